//! The store: typed sled trees ([`Tree`]), values as JSON so an export is readable.
//!
//! **Every write goes through [`Store::commit`]**, which applies one [`Change`] in a single sled
//! transaction across every tree it touches, after checking its [`Guard`]s inside that
//! transaction. The exceptions, each atomic on its own: teloxide's dialogue storage
//! ([`SledStorage`]: one key per call, and our handlers move dialogues inside their `Change`s
//! anyway), a restore into an empty data dir ([`backup::Backup::write_into`]), and building the
//! state index of a store written before it existed (at open). A backup of a running bot is
//! consistent: see [`backup`].
//!
//! Durability: sled flushes to disk every 500 ms. A conversation step that a crash loses is at most
//! half a second of typing, which the client simply sends again. A decision that spends money or
//! cannot be redone (a confirmed request, an approval) is flushed before it is acknowledged:
//! callers use [`Store::commit_durable`].
//!
//! Files: `tree.rs` the trees by name, `change.rs` a `Change` and its commit, `guard.rs` the
//! conditions a change is written under, `audit.rs` the audit log, `outbox.rs` what follows a
//! change, `dialogue.rs` the conversation states.

pub mod audit;
pub mod backup;
mod change;
pub mod dialogue;
mod glance;
mod guard;
mod notices;
pub mod outbox;
mod roll;
mod tree;

use crate::domain::agent::{Agent, AgentState, Job};
use crate::domain::escalation::{ActionRequest, Escalation};
use crate::domain::otp::OtpRecord;
use crate::domain::{Contact, ContactState, Decision};
pub use audit::{Actor, AuditEntry};
pub use change::{Change, Forget};
pub use dialogue::SledStorage;
pub use guard::Guard;
pub use notices::{Buttons, Notice};
pub use outbox::{OutboxItem, Outgoing};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::ConflictableTransactionError;
use std::path::Path;
pub use tree::Tree;
use tree::Tx;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    #[error(
        "a stored value in {tree} is unreadable ({source}): the data dir is damaged, or was written by a newer m2o-bot"
    )]
    Decode { tree: &'static str, source: serde_json::Error },
    #[error("the change was refused: {0:?}")]
    Conflict(Guard),
    #[error("no tree named {0}")]
    UnknownTree(String),
    /// The data dir cannot be opened: what happened, and what to do.
    #[error("{0}")]
    Open(String),
    /// Another process holds the data dir (sled lets one open it at a time): what to do.
    #[error("{0}")]
    InUse(String),
}

/// Says why a data dir did not open, and what the operator can do about it.
fn open_error(path: &Path, e: sled::Error) -> StoreError {
    let dir = path.display();
    if let sled::Error::Io(io) = &e {
        if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") {
            return StoreError::InUse(format!(
                "the data dir {dir} is in use by another process (an m2o-bot already running on it?): stop it, or use \
             another M2O_DATA_DIR"
            ));
        }
    }
    StoreError::Open(match e {
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            format!("the data dir {dir} cannot be read or written by this user ({io}): check its owner and permissions")
        }
        sled::Error::Io(io) => format!("the data dir {dir} cannot be used: {io}"),
        sled::Error::Corruption { .. } => format!(
            "the data dir {dir} is damaged (the database found corrupted data) and was not opened, so nothing more is \
             lost. Restore it from a backup (with its secret.key), or move it aside to start empty"
        ),
        other => format!("the data dir {dir} could not be opened: {other}"),
    })
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The `meta` key of the secret key's check value ([`crate::crypto::Secrets::key_check`]).
pub const KEY_CHECK: &str = "key_check";

/// How a secret key fits a store ([`Store::key_fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFit {
    /// The store's recorded check value is this key's.
    Recorded,
    /// No check value yet, and the key opens a sealed token.
    Opens,
    /// No check value and nothing sealed: any key fits.
    NothingSealed,
    /// Another key: its sealed tokens cannot be read with this one.
    Wrong,
}

/// Who holds a bot (the `bots` tree): a client's request or agent, or the fleet itself (an agent a
/// master spawned). Stored as the contact id, big-endian; the fleet as 0, which no contact has
/// (ids start at 1, see [`Store::new_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimant {
    Contact(u64),
    Fleet,
}

impl Claimant {
    fn encode(self) -> [u8; 8] {
        match self {
            Claimant::Contact(id) => id.to_be_bytes(),
            Claimant::Fleet => 0u64.to_be_bytes(),
        }
    }

    fn decode(bytes: &[u8]) -> Claimant {
        match u64_from(bytes) {
            0 => Claimant::Fleet,
            id => Claimant::Contact(id),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// In the order of [`Tree::ALL`].
    trees: Vec<sled::Tree>,
    /// Mirror every contact transition to the CRM through the outbox (`M2O_CRM`).
    mirror: bool,
    /// Serialises flushes (see [`Store::flush`]).
    flushing: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Every write holds it shared; a backup holds it alone, so it sees whole commits only.
    writes: std::sync::Arc<std::sync::RwLock<()>>,
    /// Writes finished, and how many of them the last flush covered: group commit (see
    /// [`Store::flush`]).
    written: std::sync::Arc<std::sync::atomic::AtomicU64>,
    flushed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    fsyncs: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Unit tests make the next commit fail as a full disk would (see `Store::fail_next_commit`).
    #[cfg(test)]
    fail_next: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let unusable =
            |e: std::io::Error| StoreError::Open(format!("the data dir {} cannot be used: {e}", path.display()));
        // Emails, the audit log and sealed tokens: for this user only, not other local users.
        private_dir(path).map_err(unusable)?;
        let store = Store::open_as_is(path)?;
        make_private(path).map_err(unusable)?;
        store.index_states()?;
        store.index_roll()?;
        store.count_states()?;
        store.index_decisions()?;
        // A store from before the counter: count once (an absent counter reads 0, so a new
        // store stays empty).
        if store.tree(Tree::Meta).get(CAPACITY_USED)?.is_none() {
            let used = store.capacity_counted() as u64;
            if used > 0 {
                store.tree(Tree::Meta).insert(CAPACITY_USED, &used.to_be_bytes())?;
            }
        }
        Ok(store)
    }

    /// Opens a data dir as it is, to look at it (`m2o-bot doctor`): unlike [`Store::open`] it
    /// creates no directory, changes no permission and writes no index or counter, so what it
    /// reports is what the bot will find. sled still takes its lock ([`StoreError::InUse`] while a
    /// bot runs on it), and makes a store in a dir without one: check [`Store::exists_in`] first.
    pub fn open_as_is(path: &Path) -> Result<Store> {
        // sled's default page cache is 1 GiB; 16 MiB keeps the idle process small and is plenty for
        // the working set (contacts and dialogues are a few hundred bytes each).
        let db =
            sled::Config::new().path(path).cache_capacity(16 * 1024 * 1024).open().map_err(|e| open_error(path, e))?;
        let trees = Tree::ALL
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| open_error(path, e))?;
        Ok(Store {
            db,
            trees,
            mirror: false,
            flushing: Default::default(),
            writes: Default::default(),
            // 1: what opening wrote (the state index) is flushed by the first flush too.
            written: std::sync::Arc::new(1.into()),
            flushed: Default::default(),
            fsyncs: Default::default(),
            #[cfg(test)]
            fail_next: Default::default(),
        })
    }

    /// Whether a data dir holds a store (sled's main file is there).
    pub fn exists_in(path: &Path) -> bool {
        path.join("db").is_file()
    }

    /// From now on every committed contact transition also queues a CRM update, in the same
    /// transaction, so the CRM can never miss one.
    pub fn mirror_to_crm(mut self) -> Store {
        self.mirror = true;
        self
    }

    /// Held by every write while it writes: shared (see [`Store::write_backup`]), and counted
    /// when it is done (see [`Store::flush`]).
    fn writing(&self) -> Writing<'_> {
        Writing { _shared: self.writes.read().unwrap_or_else(|e| e.into_inner()), written: &self.written }
    }

    fn tree(&self, tree: Tree) -> &sled::Tree {
        &self.trees[tree.index()]
    }

    fn get<T: DeserializeOwned>(&self, tree: Tree, key: &[u8]) -> Result<Option<T>> {
        self.tree(tree).get(key)?.map(|v| decode(tree, &v)).transpose()
    }

    fn all<T: DeserializeOwned>(&self, tree: Tree) -> Result<Vec<T>> {
        self.tree(tree).iter().map(|item| decode(tree, &item?.1)).collect()
    }

    pub fn agent(&self, name: &str) -> Result<Option<Agent>> {
        self.get(Tree::Agents, name.as_bytes())
    }

    pub fn agents(&self) -> Result<Vec<Agent>> {
        self.all(Tree::Agents)
    }

    /// The agent whose API token has this hash.
    pub fn agent_by_token_hash(&self, hash: &str) -> Result<Option<Agent>> {
        match self.tree(Tree::AgentTokens).get(hash.as_bytes())? {
            Some(name) => {
                let agent = self.agent(&String::from_utf8_lossy(&name))?;
                // Only the agent's current hash counts (the index drops a replaced one with it).
                Ok(agent.filter(|a| a.api_token_hash.as_deref() == Some(hash)))
            }
            None => Ok(None),
        }
    }

    pub fn escalation(&self, id: u64) -> Result<Option<Escalation>> {
        self.get(Tree::Escalations, &id.to_be_bytes())
    }

    pub fn escalations(&self) -> Result<Vec<Escalation>> {
        self.all(Tree::Escalations)
    }

    pub fn action(&self, id: u64) -> Result<Option<ActionRequest>> {
        self.get(Tree::Actions, &id.to_be_bytes())
    }

    pub fn actions(&self) -> Result<Vec<ActionRequest>> {
        self.all(Tree::Actions)
    }

    /// A scheduler marker (e.g. `brief:2026-11-24` → when it was sent).
    pub fn marker(&self, key: &str) -> Result<Option<String>> {
        Ok(self.tree(Tree::Sched).get(key.as_bytes())?.map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    /// Every marker whose key starts with `prefix`, in key order (e.g. the fleet's hourly health
    /// samples, `fleet-health:2026-11-24T10`).
    pub fn markers_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for item in self.tree(Tree::Sched).scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).to_string(), String::from_utf8_lossy(&v).to_string()));
        }
        Ok(out)
    }

    /// A fact about the store itself (see [`Tree::Meta`]).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.tree(Tree::Meta).get(key.as_bytes())?.map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    /// Whether `secrets` holds the key this store's secrets were sealed with: its check value in
    /// [`Tree::Meta`] (kept since the first start), or for a store from before that, whether it
    /// opens one of its sealed tokens. Writes nothing.
    pub fn key_fit(&self, secrets: &crate::crypto::Secrets) -> Result<KeyFit> {
        Ok(match self.meta(KEY_CHECK)? {
            Some(stored) if stored == secrets.key_check() => KeyFit::Recorded,
            Some(_) => KeyFit::Wrong,
            None => match self.any_sealed()? {
                Some(sealed) if secrets.open(&sealed).is_err() => KeyFit::Wrong,
                Some(_) => KeyFit::Opens,
                None => KeyFit::NothingSealed,
            },
        })
    }

    /// A sealed value kept in the store (a client's or an agent's bot token), if there is one: to
    /// tell whether a key opens this store's secrets.
    pub fn any_sealed(&self) -> Result<Option<String>> {
        if let Some(item) = self.tree(Tree::Agents).iter().next() {
            let agent: Agent = decode(Tree::Agents, &item?.1)?;
            return Ok(Some(agent.token_sealed));
        }
        for item in self.tree(Tree::Contacts).iter() {
            let contact: Contact = decode(Tree::Contacts, &item?.1)?;
            if let Some(bot) = contact.bot {
                return Ok(Some(bot.token_sealed));
            }
        }
        Ok(None)
    }

    /// Whether this Telegram update of this bot was handled already.
    pub fn update_handled(&self, bot: i64, id: u32) -> Result<bool> {
        Ok(self.tree(Tree::Updates).contains_key(update_key(bot, id))?)
    }

    /// Whether the store answers (for `/healthz`).
    pub fn ping(&self) -> bool {
        self.tree(Tree::Sched).get(b"ping").is_ok()
    }

    pub fn decisions(&self) -> Result<Vec<(u64, Decision)>> {
        self.tree(Tree::Decisions)
            .iter()
            .map(|item| {
                let (k, v) = item?;
                Ok((u64_from(&k), decode(Tree::Decisions, &v)?))
            })
            .collect()
    }

    pub fn job(&self, id: u64) -> Result<Option<Job>> {
        self.get(Tree::Jobs, &id.to_be_bytes())
    }

    pub fn jobs(&self) -> Result<Vec<Job>> {
        self.all(Tree::Jobs)
    }

    /// Every job's id and state, without decoding the rest of it (its step log): for `/metrics`,
    /// which a scraper reads every few seconds, and for resuming jobs at start-up.
    pub fn job_states(&self) -> Result<Vec<(u64, crate::domain::agent::JobState)>> {
        #[derive(serde::Deserialize)]
        struct StateOnly {
            id: u64,
            state: crate::domain::agent::JobState,
        }
        let only: Vec<StateOnly> = self.all(Tree::Jobs)?;
        Ok(only.into_iter().map(|j| (j.id, j.state)).collect())
    }

    pub fn decision(&self, contact_id: u64) -> Result<Option<Decision>> {
        self.get(Tree::Decisions, &contact_id.to_be_bytes())
    }

    /// The newest entry of the line with a contact (without reading the rest).
    pub fn line_last(&self, contact_id: u64) -> Result<Option<crate::domain::line::LineEntry>> {
        match self.tree(Tree::Line).scan_prefix(contact_id.to_be_bytes()).next_back() {
            Some(item) => Ok(Some(decode(Tree::Line, &item?.1)?)),
            None => Ok(None),
        }
    }

    /// The two-way line with a contact, oldest first.
    pub fn line(&self, contact_id: u64) -> Result<Vec<crate::domain::line::LineEntry>> {
        let mut entries = Vec::new();
        for item in self.tree(Tree::Line).scan_prefix(contact_id.to_be_bytes()) {
            let (_, v) = item?;
            entries.push(decode(Tree::Line, &v)?);
        }
        Ok(entries)
    }

    /// Whether `name` is free for `for_contact` (`None`: a master's spawn), outside a transaction;
    /// the commit that takes it checks again with [`Guard::NameFree`].
    pub fn name_free(&self, name: &str, for_contact: Option<u64>) -> Result<bool> {
        let claimed = self.name_holder(name)?.is_some_and(|id| Some(id) != for_contact);
        let agent = self.agent(name)?.is_some_and(|a| agent_blocks(&a, for_contact));
        Ok(!claimed && !agent)
    }

    /// Every tree's raw (tree, key, value), as it is now (not a consistent snapshot: see
    /// [`Store::write_backup`]).
    pub fn dump(&self) -> impl Iterator<Item = Result<(&'static str, Vec<u8>, Vec<u8>)>> + '_ {
        Tree::ALL.iter().flat_map(move |t| {
            let name = t.name();
            self.tree(*t)
                .iter()
                .map(move |item| item.map(|(k, v)| (name, k.to_vec(), v.to_vec())).map_err(StoreError::from))
        })
    }

    /// Writes one raw entry, for tests that plant old data.
    pub fn load_raw(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let tree = Tree::named(tree).ok_or(StoreError::UnknownTree(tree.to_string()))?;
        self.tree(tree).insert(key, value)?;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.trees.iter().all(|t| t.is_empty())
    }

    /// A unique, increasing id (contacts, jobs, escalations, outbox items …); never 0.
    pub fn new_id(&self) -> Result<u64> {
        Ok(self.db.generate_id()? + 1)
    }

    pub fn contact(&self, id: u64) -> Result<Option<Contact>> {
        self.get(Tree::Contacts, &id.to_be_bytes())
    }

    pub fn contact_by_user(&self, user_id: i64) -> Result<Option<Contact>> {
        match self.tree(Tree::ContactsByUser).get(user_id.to_be_bytes())? {
            Some(id) => self.contact(u64_from(&id)),
            None => Ok(None),
        }
    }

    pub fn contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        match self.tree(Tree::ContactsByEmail).get(email.as_bytes())? {
            Some(id) => self.contact(u64_from(&id)),
            None => Ok(None),
        }
    }

    /// The contact whose open request claims this agent name, if any.
    pub fn name_holder(&self, name: &str) -> Result<Option<u64>> {
        Ok(self.tree(Tree::Names).get(name.as_bytes())?.map(|v| u64_from(&v)))
    }

    pub fn bot_holder(&self, bot_id: i64) -> Result<Option<Claimant>> {
        Ok(self.tree(Tree::Bots).get(bot_id.to_be_bytes())?.map(|v| Claimant::decode(&v)))
    }

    pub fn otp(&self, contact_id: u64) -> Result<Option<OtpRecord>> {
        self.get(Tree::Otps, &contact_id.to_be_bytes())
    }

    pub fn count(&self, key: &str) -> Result<u32> {
        Ok(self.tree(Tree::Limits).get(key.as_bytes())?.map(|v| u64_from(&v) as u32).unwrap_or(0))
    }

    /// Contacts whose agent is running or being built (what `M2O_CAPACITY` limits): a counter
    /// kept in every contact's own transaction, so [`Guard::CapacityBelow`] can check it in one.
    pub fn capacity_used(&self) -> Result<usize> {
        Ok(self.tree(Tree::Meta).get(CAPACITY_USED)?.map(|v| u64_from(&v) as usize).unwrap_or(0))
    }

    /// The same, counted from the state index (the counter's origin for a store from before it).
    fn capacity_counted(&self) -> usize {
        ContactState::ALL.iter().filter(|s| s.uses_capacity()).map(|s| self.count_in(*s)).sum()
    }

    /// How many contacts are in a state: a counter kept with each move (counting the index's keys
    /// cost a brief 70 M instructions at 25,000 requests waiting, BENCHMARKS.md §4).
    pub fn count_in(&self, state: ContactState) -> usize {
        let kept = self.tree(Tree::Meta).get(count_key(state)).ok().flatten();
        kept.map_or(0, |v| u64_from(&v) as usize)
    }

    /// Counts each state's contacts from the index, once, for a store from before the counters.
    fn count_states(&self) -> Result<()> {
        let meta = self.tree(Tree::Meta);
        // A new store stays empty (a restore asks for one); its first writes start the counts.
        if meta.get(COUNTS_KEPT)?.is_some() || self.tree(Tree::Contacts).is_empty() {
            return Ok(());
        }
        for state in ContactState::ALL {
            let n = self.tree(Tree::ContactsByState).scan_prefix(state_prefix(state)).count() as u64;
            meta.insert(count_key(state), &n.to_be_bytes())?;
        }
        meta.insert(COUNTS_KEPT, b"1")?;
        Ok(())
    }

    /// The contacts whose requests were decided in `[from, to)`, by the time of their decision: a
    /// range of the `decided` index, read as it goes (a brief that lists 14 reads 14 decisions).
    pub fn decided_between(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> impl Iterator<Item = Result<u64>> + '_ {
        self.tree(Tree::Decided).range(decided_key(from, 0)..decided_key(to, 0)).map(|item| Ok(u64_from(&item?.0[8..])))
    }

    /// Indexes the decisions by time, once, for a store from before the index.
    fn index_decisions(&self) -> Result<()> {
        let index = self.tree(Tree::Decided);
        if !index.is_empty() || self.tree(Tree::Decisions).is_empty() {
            return Ok(());
        }
        for (id, d) in self.decisions()? {
            index.insert(decided_key(d.at, id), &[])?;
        }
        Ok(())
    }

    /// The contacts in one state, oldest first, read through the index so that a scheduler pass or
    /// a brief never decodes the whole contact list.
    pub fn contacts_in(&self, state: ContactState) -> Result<Vec<Contact>> {
        self.iter_in(state).collect()
    }

    /// The same, one at a time (a pass over thousands of leads holds one in memory, not all).
    pub fn iter_in(&self, state: ContactState) -> impl Iterator<Item = Result<Contact>> + '_ {
        self.tree(Tree::ContactsByState).scan_prefix(state_prefix(state)).filter_map(move |item| {
            let id = match item {
                Ok((k, _)) => u64_from(&k[k.len() - 8..]),
                Err(e) => return Some(Err(e.into())),
            };
            self.contact(id).transpose()
        })
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.all(Tree::Audit)
    }

    /// Makes the next commit fail with an I/O error and write nothing, as a full disk would: for
    /// tests of what a failed write leaves behind.
    #[cfg(test)]
    pub(crate) fn fail_next_commit(&self) {
        self.fail_next.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The same, for the offline commands (no async runtime).
    pub fn flush_blocking(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Waits until everything written so far is on disk. One flush at a time, on a blocking
    /// thread: sled 0.34's `flush_async` deadlocks when called concurrently (spacejam/sled#1308;
    /// the e2e benchmark froze the bot with 1,000 clients).
    ///
    /// Group commit: a flush puts on disk every write finished before it began, so those who
    /// queued behind a running flush usually find theirs covered by the next one *someone else*
    /// ran, and return without an fsync of their own — one fsync serves every commit waiting.
    pub async fn flush(&self) -> Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let mine = self.written.load(SeqCst);
        let _one_at_a_time = self.flushing.lock().await;
        if self.flushed.load(SeqCst) >= mine {
            return Ok(());
        }
        let upto = self.written.load(SeqCst);
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StoreError::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))))??;
        self.flushed.fetch_max(upto, SeqCst);
        self.fsyncs.fetch_add(1, SeqCst);
        Ok(())
    }

    /// How many flushes actually ran (for `/metrics` and the benchmarks: fsyncs per commit).
    pub fn fsyncs(&self) -> u64 {
        self.fsyncs.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A write in progress: holds the backup lock shared, and counts itself done when dropped.
struct Writing<'a> {
    _shared: std::sync::RwLockReadGuard<'a, ()>,
    written: &'a std::sync::atomic::AtomicU64,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Creates the data dir if needed, for its owner only (0700).
fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

/// Everything in the data dir for its owner only: directories 0700, files 0600. (Files sled makes
/// later inherit the process's umask, which `main` sets to 077.)
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o700))?;
            make_private(&entry.path())?;
        } else if kind.is_file() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

fn state_prefix(state: ContactState) -> Vec<u8> {
    let mut k = state.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

/// `<state>\0<contact id, big-endian>`: contacts by state, in id (= age) order.
fn state_key(state: ContactState, id: u64) -> Vec<u8> {
    let mut k = state_prefix(state);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The `meta` key of a state's contact count (see [`Store::count_in`]).
fn count_key(state: ContactState) -> Vec<u8> {
    let mut k = b"count:".to_vec();
    k.extend_from_slice(state.as_str().as_bytes());
    k
}

/// Set in `meta` once the per-state counts are kept (a store from before them counts once).
const COUNTS_KEPT: &str = "state_counts";

/// With a store's first contact: its counts and glances are kept from the start, so that no open
/// recounts them or rewrites its index. (Open leaves a new store empty: a restore asks for one.)
/// Every later contact costs one read here.
fn mark_kept_from_the_start(t: &Tx) -> TxResult<()> {
    if t[Tree::Meta].get(glance::GLANCES_KEPT)?.is_none() {
        t[Tree::Meta].insert(COUNTS_KEPT.as_bytes(), b"1")?;
        t[Tree::Meta].insert(glance::GLANCES_KEPT.as_bytes(), b"1")?;
    }
    Ok(())
}

/// Adds `delta` to a state's count, inside a transaction.
fn count_tx(t: &Tx, state: ContactState, delta: i64) -> TxResult<()> {
    let key = count_key(state);
    let n = t[Tree::Meta].get(&key)?.map(|v| u64_from(&v)).unwrap_or(0);
    t[Tree::Meta].insert(key, &n.saturating_add_signed(delta).to_be_bytes())?;
    Ok(())
}

/// `<decided at, ns>` `<contact id>`, both big-endian: decisions by time.
fn decided_key(at: chrono::DateTime<chrono::Utc>, contact_id: u64) -> [u8; 16] {
    let mut k = [0; 16];
    k[..8].copy_from_slice(&(at.timestamp_nanos_opt().unwrap_or_default().max(0) as u64).to_be_bytes());
    k[8..].copy_from_slice(&contact_id.to_be_bytes());
    k
}

/// The `meta` key of the capacity counter (see [`Store::capacity_used`]).
const CAPACITY_USED: &str = "capacity_used";

/// The capacity counter, inside a transaction.
fn capacity_tx(t: &Tx) -> TxResult<u64> {
    Ok(t[Tree::Meta].get(CAPACITY_USED.as_bytes())?.map(|v| u64_from(&v)).unwrap_or(0))
}

/// How many handled update ids are remembered per bot: far more than Telegram keeps unconfirmed.
const UPDATES_KEPT: u32 = 10_000;

/// `<bot id, big-endian><update id, big-endian>`.
fn update_key(bot: i64, id: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&bot.to_be_bytes());
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

/// The keys of the per-address counters of codes sent: per hour and per day, e.g.
/// `codes-to:<hash>:2026-11-24T10` and `codes-to:<hash>:2026-11-24`. The address is hashed (the
/// first 16 hex digits of its SHA-256): a counter must outlive `/forget` and hold no address.
pub fn address_limit_keys(email: &str, now: chrono::DateTime<chrono::Utc>) -> (String, String) {
    let address = &crate::crypto::token_hash(email)[..16];
    (
        format!("codes-to:{address}:{}", now.format("%Y-%m-%dT%H")),
        format!("codes-to:{address}:{}", now.format("%Y-%m-%d")),
    )
}

/// The key of a per-user, per-day counter, e.g. `codes:421000001:2026-11-24`.
pub fn limit_key(kind: &str, user_id: i64, now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{kind}:{user_id}:{}", now.format("%Y-%m-%d"))
}

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<StoreError>>;

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

/// An agent holds its name against everyone but its own client, until it is destroyed.
fn agent_blocks(agent: &Agent, for_contact: Option<u64>) -> bool {
    agent.state != AgentState::Destroyed && (for_contact.is_none() || agent.contact_id != for_contact)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("our types always serialise")
}

fn decode<T: DeserializeOwned>(tree: Tree, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode { tree: tree.name(), source })
}

fn decode_tx<T: DeserializeOwned>(t: &Tx, tree: Tree, key: &[u8]) -> TxResult<Option<T>> {
    t[tree].get(key)?.map(|v| decode(tree, &v).map_err(abort)).transpose()
}

fn line_key(contact: u64, seq: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&contact.to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// A time in an index value (the roll call, the glances): µs since the epoch, big-endian;
/// `i64::MIN` when there is none.
fn micros(t: Option<chrono::DateTime<chrono::Utc>>) -> [u8; 8] {
    t.map_or(i64::MIN, |t| t.timestamp_micros()).to_be_bytes()
}

/// Reads what [`micros`] wrote.
fn time(bytes: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    match i64::from_be_bytes(bytes.try_into().ok()?) {
        i64::MIN => None,
        us => chrono::DateTime::from_timestamp_micros(us),
    }
}

fn u64_from(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_change(n: u64) -> Change {
        Change { meta: Some((format!("test-{n}"), "x".into())), ..Change::default() }
    }

    /// Ten commits, then ten flushes waiting at once: one fsync serves them all. A new commit
    /// needs a new one; a flush with nothing new needs none.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_flush_serves_every_commit_waiting_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for n in 0..10 {
            store.commit(&a_change(n)).unwrap();
        }
        let waiting: Vec<_> = (0..10).map(|_| store.flush()).collect();
        for flushed in futures::future::join_all(waiting).await {
            flushed.unwrap();
        }
        assert_eq!(store.fsyncs(), 1);
        store.commit(&a_change(10)).unwrap();
        store.flush().await.unwrap();
        assert_eq!(store.fsyncs(), 2);
        store.flush().await.unwrap();
        assert_eq!(store.fsyncs(), 2, "nothing new, nothing to flush");
    }

    /// Counts follow each move and each erasure, and a store from before the counters counts once.
    #[test]
    fn contacts_are_counted_by_state_as_they_move() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = chrono::Utc::now();
        let mut anna = Contact::new(1, 10, 10, "en", "anna@acme.io", now);
        let bob = Contact::new(2, 20, 20, "en", "bob@acme.io", now);
        for c in [&anna, &bob] {
            store.commit(&Change { contact: Some(c.clone()), ..Change::default() }).unwrap();
        }
        let pending = anna.state;
        assert_eq!(store.count_in(pending), 2);
        store.commit(&Change { contact: Some(anna.clone()), ..Change::default() }).unwrap();
        assert_eq!(store.count_in(pending), 2, "a write without a move counts nothing");
        anna.state = ContactState::ContactTrack;
        store.commit(&Change { contact: Some(anna.clone()), ..Change::default() }).unwrap();
        assert_eq!((store.count_in(pending), store.count_in(ContactState::ContactTrack)), (1, 1));
        let forget = store.forgetting(&bob, Vec::new()).unwrap();
        store.commit(&Change { forget: Some(forget), ..Change::default() }).unwrap();
        assert_eq!(store.count_in(pending), 0);
        // As a store from before the counters.
        for state in ContactState::ALL {
            store.tree(Tree::Meta).remove(count_key(state)).unwrap();
        }
        store.tree(Tree::Meta).remove(COUNTS_KEPT).unwrap();
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!((store.count_in(pending), store.count_in(ContactState::ContactTrack)), (0, 1));
    }
}
