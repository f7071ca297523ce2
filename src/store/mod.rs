//! The store: typed sled trees, values as JSON so an export is readable. All writes that belong
//! together go through [`Store::commit`], which applies one [`Change`] in a single sled transaction
//! across every tree it touches, after checking its [`Guard`]s inside that transaction.
//!
//! Durability: sled flushes to disk every 500 ms. A conversation step that a crash loses is at most
//! half a second of typing, which the client simply sends again. A decision that spends money or
//! cannot be redone (a confirmed request, later an approval) is flushed before it is acknowledged:
//! callers use [`Store::commit_durable`].

pub mod audit;
pub mod dialogue;
pub mod outbox;

use crate::domain::agent::{Agent, Job};
use crate::domain::escalation::{ActionRequest, Escalation};
use crate::domain::otp::OtpRecord;
use crate::domain::{Contact, ContactState, Decision};
pub use audit::{Actor, AuditEntry};
pub use dialogue::SledStorage;
pub use outbox::{OutboxItem, Outgoing};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::path::Path;

/// Trees by name; the order is the index in a transaction.
pub const TREES: [&str; 19] = [
    "contacts",
    "contacts_by_email",
    "contacts_by_user",
    "names",
    "bots",
    "otps",
    "audit",
    "dialogues",
    "outbox",
    "limits",
    "agents",
    "jobs",
    "decisions",
    "notices",
    "agent_tokens",
    "escalations",
    "actions",
    "sched",
    "contacts_by_state",
];
const CONTACTS: usize = 0;
const BY_EMAIL: usize = 1;
const BY_USER: usize = 2;
const NAMES: usize = 3;
const BOTS: usize = 4;
const OTPS: usize = 5;
const AUDIT: usize = 6;
const DIALOGUES: usize = 7;
const OUTBOX: usize = 8;
const LIMITS: usize = 9;
const AGENTS: usize = 10;
const JOBS: usize = 11;
const DECISIONS: usize = 12;
const NOTICES: usize = 13;
const AGENT_TOKENS: usize = 14;
const ESCALATIONS: usize = 15;
const ACTIONS: usize = 16;
const SCHED: usize = 17;
const BY_STATE: usize = 18;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored value in {tree} is unreadable: {source}")]
    Decode { tree: &'static str, source: serde_json::Error },
    #[error("the change was refused: {0:?}")]
    Conflict(Guard),
    #[error("no tree named {0}")]
    UnknownTree(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A condition checked inside the transaction; if it fails nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The contact is still in this state (nobody moved it since it was read).
    ContactIn(u64, ContactState),
    /// No other contact holding a claim (an open request or an agent) has this email.
    EmailFree { email: String, for_contact: u64 },
    /// The agent name is neither claimed by another contact nor an agent's (other than this
    /// contact's own, or a destroyed one). `for_contact` 0 means "a master's spawn".
    NameFree { name: String, for_contact: u64 },
    /// No decision was taken on this request yet.
    Undecided(u64),
    /// The escalation has no ruling yet.
    EscalationOpen(u64),
    /// The action request is still pending.
    ActionPending(u64),
    /// A scheduler marker is not set yet (a job runs once per slot).
    MarkerAbsent(String),
    /// The bot is not registered to another contact.
    BotFree { bot_id: i64, for_contact: u64 },
}

/// Everything one step writes, applied together or not at all.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub guards: Vec<Guard>,
    pub contact: Option<Contact>,
    pub audit: Vec<AuditEntry>,
    /// The chat's dialogue state: `Some(None)` removes it.
    pub dialogue: Option<(i64, Option<serde_json::Value>)>,
    /// A contact's one-time code record: `Some((id, None))` removes it.
    pub otp: Option<(u64, Option<OtpRecord>)>,
    pub index_email: Option<(String, u64)>,
    pub claim_name: Option<(String, u64)>,
    pub claim_bot: Option<(i64, u64)>,
    pub agent: Option<Agent>,
    pub job: Option<Job>,
    pub escalation: Option<Escalation>,
    pub action: Option<ActionRequest>,
    /// Scheduler markers to set: (key, value).
    pub markers: Vec<(String, String)>,
    pub decision: Option<(u64, Decision)>,
    /// Claims to drop (a rejected request frees its name and bot).
    pub release_name: Option<String>,
    pub release_bot: Option<i64>,
    /// Counters to add one to (see [`limit_key`]).
    pub count: Vec<String>,
    pub outbox: Vec<OutboxItem>,
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// Mirror every contact transition to the CRM through the outbox (`M2O_CRM`).
    mirror: bool,
    /// Serialises flushes (see [`Store::flush`]).
    flushing: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        // sled's default page cache is 1 GiB; 16 MiB keeps the idle process small and is plenty for
        // the working set (contacts and dialogues are a few hundred bytes each).
        let db = sled::Config::new().path(path).cache_capacity(16 * 1024 * 1024).open()?;
        let trees = TREES.iter().map(|n| db.open_tree(n)).collect::<std::result::Result<Vec<_>, _>>()?;
        let store = Store { db, trees, mirror: false, flushing: Default::default() };
        store.index_states()?;
        Ok(store)
    }

    /// From now on every committed contact transition also queues a CRM update, in the same
    /// transaction, so the CRM can never miss one.
    pub fn mirror_to_crm(mut self) -> Store {
        self.mirror = true;
        self
    }

    pub fn agent(&self, name: &str) -> Result<Option<Agent>> {
        get_json(&self.trees[AGENTS], "agents", name.as_bytes())
    }

    pub fn agents(&self) -> Result<Vec<Agent>> {
        self.trees[AGENTS].iter().map(|item| decode("agents", &item?.1)).collect()
    }

    /// Saves an agent's registry entry on its own (progress notes, heartbeats), with the index from
    /// its API token's hash to its name.
    pub fn save_agent(&self, agent: &Agent) -> Result<()> {
        self.trees[AGENTS].insert(agent.name.as_bytes(), encode(agent))?;
        if let Some(hash) = &agent.api_token_hash {
            self.trees[AGENT_TOKENS].insert(hash.as_bytes(), agent.name.as_bytes())?;
        }
        Ok(())
    }

    /// The agent whose API token has this hash.
    pub fn agent_by_token_hash(&self, hash: &str) -> Result<Option<Agent>> {
        match self.trees[AGENT_TOKENS].get(hash.as_bytes())? {
            Some(name) => {
                let agent = self.agent(&String::from_utf8_lossy(&name))?;
                // A rotated-away hash may linger in the index; only the current one counts.
                Ok(agent.filter(|a| a.api_token_hash.as_deref() == Some(hash)))
            }
            None => Ok(None),
        }
    }

    pub fn forget_token_hash(&self, hash: &str) -> Result<()> {
        self.trees[AGENT_TOKENS].remove(hash.as_bytes())?;
        Ok(())
    }

    pub fn escalation(&self, id: u64) -> Result<Option<Escalation>> {
        get_json(&self.trees[ESCALATIONS], "escalations", &id.to_be_bytes())
    }

    pub fn escalations(&self) -> Result<Vec<Escalation>> {
        self.trees[ESCALATIONS].iter().map(|item| decode("escalations", &item?.1)).collect()
    }

    pub fn action(&self, id: u64) -> Result<Option<ActionRequest>> {
        get_json(&self.trees[ACTIONS], "actions", &id.to_be_bytes())
    }

    pub fn actions(&self) -> Result<Vec<ActionRequest>> {
        self.trees[ACTIONS].iter().map(|item| decode("actions", &item?.1)).collect()
    }

    /// A scheduler marker (e.g. `brief:2026-11-24` → when it was sent).
    pub fn marker(&self, key: &str) -> Result<Option<String>> {
        Ok(self.trees[SCHED].get(key.as_bytes())?.map(|v| String::from_utf8_lossy(&v).to_string()))
    }

    pub fn set_marker(&self, key: &str, value: &str) -> Result<()> {
        self.trees[SCHED].insert(key.as_bytes(), value.as_bytes())?;
        Ok(())
    }

    /// Whether the store answers (for `/healthz`).
    pub fn ping(&self) -> bool {
        self.trees[SCHED].get(b"ping").is_ok()
    }

    pub fn decisions(&self) -> Result<Vec<(u64, Decision)>> {
        self.trees[DECISIONS]
            .iter()
            .map(|item| {
                let (k, v) = item?;
                Ok((u64_from(&k), decode("decisions", &v)?))
            })
            .collect()
    }

    pub fn job(&self, id: u64) -> Result<Option<Job>> {
        get_json(&self.trees[JOBS], "jobs", &id.to_be_bytes())
    }

    pub fn jobs(&self) -> Result<Vec<Job>> {
        self.trees[JOBS].iter().map(|item| decode("jobs", &item?.1)).collect()
    }

    /// Saves a job's progress on its own (step records between steps).
    pub fn save_job(&self, job: &Job) -> Result<()> {
        self.trees[JOBS].insert(job.id.to_be_bytes(), encode(job))?;
        Ok(())
    }

    pub fn decision(&self, contact_id: u64) -> Result<Option<Decision>> {
        get_json(&self.trees[DECISIONS], "decisions", &contact_id.to_be_bytes())
    }

    /// Master notices sent about a request: (chat id, message id, text).
    pub fn notices(&self, contact_id: u64) -> Result<Vec<(i64, i32, String)>> {
        Ok(get_json(&self.trees[NOTICES], "notices", &contact_id.to_be_bytes())?.unwrap_or_default())
    }

    pub fn add_notice(&self, contact_id: u64, chat_id: i64, message_id: i32, text: &str) -> Result<()> {
        let mut all = self.notices(contact_id)?;
        all.push((chat_id, message_id, text.to_string()));
        self.trees[NOTICES].insert(contact_id.to_be_bytes(), encode(&all))?;
        Ok(())
    }

    /// Whether `name` is free for `for_contact` (0: a master's spawn), outside a transaction.
    pub fn name_free(&self, name: &str, for_contact: u64) -> Result<bool> {
        let claimed = self.name_holder(name)?.is_some_and(|id| id != for_contact);
        let agent = self.agent(name)?.is_some_and(|a| agent_blocks(&a, for_contact));
        Ok(!claimed && !agent)
    }

    /// Every tree, for `export`: (tree, key, value) raw.
    pub fn dump(&self) -> impl Iterator<Item = Result<(&'static str, Vec<u8>, Vec<u8>)>> + '_ {
        TREES.iter().zip(&self.trees).flat_map(|(name, tree)| {
            tree.iter().map(move |item| item.map(|(k, v)| (*name, k.to_vec(), v.to_vec())).map_err(StoreError::from))
        })
    }

    /// Writes one raw entry, for `import`.
    pub fn load_raw(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let index = TREES.iter().position(|t| *t == tree).ok_or(StoreError::UnknownTree(tree.to_string()))?;
        self.trees[index].insert(key, value)?;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.trees.iter().all(|t| t.is_empty())
    }

    /// A unique, increasing id (contacts, outbox items).
    pub fn new_id(&self) -> Result<u64> {
        Ok(self.db.generate_id()? + 1)
    }

    pub fn contact(&self, id: u64) -> Result<Option<Contact>> {
        get_json(&self.trees[CONTACTS], "contacts", &id.to_be_bytes())
    }

    pub fn contact_by_user(&self, user_id: i64) -> Result<Option<Contact>> {
        match self.trees[BY_USER].get(user_id.to_be_bytes())? {
            Some(id) => self.contact(u64_from(&id)),
            None => Ok(None),
        }
    }

    pub fn contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        match self.trees[BY_EMAIL].get(email.as_bytes())? {
            Some(id) => self.contact(u64_from(&id)),
            None => Ok(None),
        }
    }

    /// The contact holding a claim on this agent name, if any.
    pub fn name_holder(&self, name: &str) -> Result<Option<u64>> {
        Ok(self.trees[NAMES].get(name.as_bytes())?.map(|v| u64_from(&v)))
    }

    pub fn bot_holder(&self, bot_id: i64) -> Result<Option<u64>> {
        Ok(self.trees[BOTS].get(bot_id.to_be_bytes())?.map(|v| u64_from(&v)))
    }

    pub fn otp(&self, contact_id: u64) -> Result<Option<OtpRecord>> {
        get_json(&self.trees[OTPS], "otps", &contact_id.to_be_bytes())
    }

    pub fn count(&self, key: &str) -> Result<u32> {
        Ok(self.trees[LIMITS].get(key.as_bytes())?.map(|v| u64_from(&v) as u32).unwrap_or(0))
    }

    /// Contacts whose agent is running or being built (what `M2O_CAPACITY` limits).
    pub fn capacity_used(&self) -> Result<usize> {
        Ok(ContactState::ALL.iter().filter(|s| s.uses_capacity()).map(|s| self.count_in(*s)).sum())
    }

    /// How many contacts are in a state (from the index: nothing is decoded).
    pub fn count_in(&self, state: ContactState) -> usize {
        self.trees[BY_STATE].scan_prefix(state_prefix(state)).count()
    }

    /// The contacts in one state, oldest first, read through the index so that a scheduler pass or
    /// a brief never decodes the whole contact list.
    pub fn contacts_in(&self, state: ContactState) -> Result<Vec<Contact>> {
        self.iter_in(state).collect()
    }

    /// The same, one at a time (a pass over thousands of leads holds one in memory, not all).
    pub fn iter_in(&self, state: ContactState) -> impl Iterator<Item = Result<Contact>> + '_ {
        self.trees[BY_STATE].scan_prefix(state_prefix(state)).filter_map(move |item| {
            let id = match item {
                Ok((k, _)) => u64_from(&k[k.len() - 8..]),
                Err(e) => return Some(Err(e.into())),
            };
            self.contact(id).transpose()
        })
    }

    /// Builds the state index for a store written before it existed.
    fn index_states(&self) -> Result<()> {
        if !self.trees[BY_STATE].is_empty() || self.trees[CONTACTS].is_empty() {
            return Ok(());
        }
        for item in self.trees[CONTACTS].iter() {
            let (_, v) = item?;
            let c: Contact = decode("contacts", &v)?;
            self.trees[BY_STATE].insert(state_key(c.state, c.id), &[])?;
        }
        Ok(())
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.trees[AUDIT].iter().map(|item| decode("audit", &item?.1)).collect()
    }

    pub fn dialogue_tree(&self) -> &sled::Tree {
        &self.trees[DIALOGUES]
    }

    pub fn outbox_tree(&self) -> &sled::Tree {
        &self.trees[OUTBOX]
    }

    /// Applies a change atomically. Guards are checked inside the transaction, so two concurrent
    /// steps cannot both claim the same name, email or bot.
    pub fn commit(&self, change: &Change) -> Result<()> {
        let mirrored;
        let change = match (&change.contact, self.mirror) {
            (Some(c), true) if change.audit.iter().any(|e| e.event == "transition") => {
                let mut with_crm = change.clone();
                with_crm.outbox.push(OutboxItem::new(Outgoing::Crm { contact_id: c.id }));
                mirrored = with_crm;
                &mirrored
            }
            _ => change,
        };
        let mut keys = Vec::with_capacity(change.audit.len() + change.outbox.len());
        for _ in 0..change.audit.len() + change.outbox.len() {
            keys.push(self.db.generate_id()?);
        }
        let result = self.trees.as_slice().transaction(|t| {
            for guard in &change.guards {
                check_guard(t, guard)?;
            }
            apply(t, change, &keys)
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Commits and waits until the change is on disk.
    pub async fn commit_durable(&self, change: &Change) -> Result<()> {
        self.commit(change)?;
        self.flush().await
    }

    /// The same, for the offline commands (no async runtime).
    pub fn flush_blocking(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Waits until everything committed so far is on disk. One flush at a time, on a blocking
    /// thread: sled 0.34's `flush_async` deadlocks when called concurrently (spacejam/sled#1308;
    /// the e2e benchmark froze the bot with 1,000 clients).
    pub async fn flush(&self) -> Result<()> {
        let _one_at_a_time = self.flushing.lock().await;
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StoreError::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))))??;
        Ok(())
    }
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

/// The key of a per-user, per-day counter, e.g. `codes:421000001:2026-11-24`.
pub fn limit_key(kind: &str, user_id: i64, now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{kind}:{user_id}:{}", now.format("%Y-%m-%d"))
}

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<StoreError>>;

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn check_guard(t: &[TransactionalTree], guard: &Guard) -> TxResult<()> {
    let conflict = || Err(abort(StoreError::Conflict(guard.clone())));
    let other_holder = |tree: usize, key: &[u8], me: u64| -> TxResult<Option<u64>> {
        Ok(t[tree].get(key)?.map(|v| u64_from(&v)).filter(|id| *id != me))
    };
    match guard {
        Guard::ContactIn(id, state) => {
            let current: Option<Contact> = tx_get(&t[CONTACTS], "contacts", &id.to_be_bytes())?;
            if current.map(|c| c.state) != Some(*state) {
                return conflict();
            }
        }
        Guard::EmailFree { email, for_contact } => {
            if let Some(other) = other_holder(BY_EMAIL, email.as_bytes(), *for_contact)? {
                let holder: Option<Contact> = tx_get(&t[CONTACTS], "contacts", &other.to_be_bytes())?;
                if holder.is_some_and(|c| c.state.holds_claim()) {
                    return conflict();
                }
            }
        }
        Guard::NameFree { name, for_contact } => {
            let agent: Option<Agent> = tx_get(&t[AGENTS], "agents", name.as_bytes())?;
            if other_holder(NAMES, name.as_bytes(), *for_contact)?.is_some()
                || agent.is_some_and(|a| agent_blocks(&a, *for_contact))
            {
                return conflict();
            }
        }
        Guard::Undecided(id) => {
            if t[DECISIONS].get(id.to_be_bytes())?.is_some() {
                return conflict();
            }
        }
        Guard::EscalationOpen(id) => {
            let e: Option<Escalation> = tx_get(&t[ESCALATIONS], "escalations", &id.to_be_bytes())?;
            if e.is_none_or(|e| e.ruling.is_some()) {
                return conflict();
            }
        }
        Guard::ActionPending(id) => {
            let a: Option<ActionRequest> = tx_get(&t[ACTIONS], "actions", &id.to_be_bytes())?;
            if !a.is_some_and(|a| a.state == crate::domain::escalation::ActionState::Pending) {
                return conflict();
            }
        }
        Guard::MarkerAbsent(key) => {
            if t[SCHED].get(key.as_bytes())?.is_some() {
                return conflict();
            }
        }
        Guard::BotFree { bot_id, for_contact } => {
            if other_holder(BOTS, &bot_id.to_be_bytes(), *for_contact)?.is_some() {
                return conflict();
            }
        }
    }
    Ok(())
}

fn apply(t: &[TransactionalTree], change: &Change, keys: &[u64]) -> TxResult<()> {
    if let Some(contact) = &change.contact {
        let id = contact.id.to_be_bytes();
        let before: Option<Contact> = tx_get(&t[CONTACTS], "contacts", &id)?;
        if let Some(old) = before.filter(|old| old.state != contact.state) {
            t[BY_STATE].remove(state_key(old.state, contact.id).as_slice())?;
        }
        t[BY_STATE].insert(state_key(contact.state, contact.id).as_slice(), &[])?;
        t[CONTACTS].insert(&id, encode(contact))?;
        t[BY_USER].insert(&contact.user_id.to_be_bytes(), &id)?;
    }
    let mut keys = keys.iter();
    for entry in &change.audit {
        let seq = keys.next().copied().unwrap_or_default();
        t[AUDIT].insert(audit::key(entry.at, seq).as_slice(), encode(entry))?;
    }
    for item in &change.outbox {
        let seq = keys.next().copied().unwrap_or_default();
        t[OUTBOX].insert(&seq.to_be_bytes(), encode(item))?;
    }
    if let Some((chat, state)) = &change.dialogue {
        match state {
            Some(value) => t[DIALOGUES].insert(&chat.to_be_bytes(), dialogue::encode_value(value))?,
            None => t[DIALOGUES].remove(&chat.to_be_bytes())?,
        };
    }
    if let Some((id, record)) = &change.otp {
        match record {
            Some(r) => t[OTPS].insert(&id.to_be_bytes(), encode(r))?,
            None => t[OTPS].remove(&id.to_be_bytes())?,
        };
    }
    if let Some((email, id)) = &change.index_email {
        t[BY_EMAIL].insert(email.as_bytes(), &id.to_be_bytes())?;
    }
    if let Some((name, id)) = &change.claim_name {
        t[NAMES].insert(name.as_bytes(), &id.to_be_bytes())?;
    }
    if let Some((bot, id)) = &change.claim_bot {
        t[BOTS].insert(&bot.to_be_bytes(), &id.to_be_bytes())?;
    }
    if let Some(agent) = &change.agent {
        t[AGENTS].insert(agent.name.as_bytes(), encode(agent))?;
        if let Some(hash) = &agent.api_token_hash {
            t[AGENT_TOKENS].insert(hash.as_bytes(), agent.name.as_bytes())?;
        }
    }
    if let Some(e) = &change.escalation {
        t[ESCALATIONS].insert(&e.id.to_be_bytes(), encode(e))?;
    }
    if let Some(a) = &change.action {
        t[ACTIONS].insert(&a.id.to_be_bytes(), encode(a))?;
    }
    for (key, value) in &change.markers {
        t[SCHED].insert(key.as_bytes(), value.as_bytes())?;
    }
    if let Some(job) = &change.job {
        t[JOBS].insert(&job.id.to_be_bytes(), encode(job))?;
    }
    if let Some((id, decision)) = &change.decision {
        t[DECISIONS].insert(&id.to_be_bytes(), encode(decision))?;
    }
    if let Some(name) = &change.release_name {
        t[NAMES].remove(name.as_bytes())?;
    }
    if let Some(bot) = &change.release_bot {
        t[BOTS].remove(&bot.to_be_bytes())?;
    }
    for key in &change.count {
        let n = t[LIMITS].get(key.as_bytes())?.map(|v| u64_from(&v)).unwrap_or(0);
        t[LIMITS].insert(key.as_bytes(), &(n + 1).to_be_bytes())?;
    }
    Ok(())
}

/// An agent holds its name against everyone but its own client, until it is destroyed.
fn agent_blocks(agent: &Agent, for_contact: u64) -> bool {
    agent.state != crate::domain::agent::AgentState::Destroyed
        && (for_contact == 0 || agent.contact_id != Some(for_contact))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("our types always serialise")
}

fn decode<T: DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode { tree, source })
}

fn get_json<T: DeserializeOwned>(tree: &sled::Tree, name: &'static str, key: &[u8]) -> Result<Option<T>> {
    tree.get(key)?.map(|v| decode(name, &v)).transpose()
}

fn tx_get<T: DeserializeOwned>(tree: &TransactionalTree, name: &'static str, key: &[u8]) -> TxResult<Option<T>> {
    tree.get(key)?.map(|v| decode(name, &v).map_err(abort)).transpose()
}

fn u64_from(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or_default()
}
