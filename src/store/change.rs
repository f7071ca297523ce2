//! [`Change`]: everything one step writes, applied by [`Store::commit`] in one sled transaction
//! across every tree it touches, after its [`Guard`]s were checked inside that same transaction.

use super::guard::{check, Guard};
use super::tree::{Tree, Trees, Tx};
use super::{
    audit, capacity_tx, count_tx, decided_key, decode_tx, dialogue, encode, mark_kept_from_the_start, state_key,
    u64_from, update_key, Claimant, Store, TxResult, CAPACITY_USED, UPDATES_KEPT,
};
use super::{AuditEntry, Notice, OutboxItem, Outgoing, Result};
use crate::domain::agent::{Agent, Job};
use crate::domain::escalation::{ActionRequest, Escalation};
use crate::domain::line::LineEntry;
use crate::domain::otp::OtpRecord;
use crate::domain::{Contact, Decision};
use sled::transaction::TransactionError;
use sled::Transactional;

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
    /// An open request's claim on an agent name: (name, contact id).
    pub claim_name: Option<(String, u64)>,
    pub claim_bot: Option<(i64, Claimant)>,
    /// An agent's registry entry. Its API token's hash is indexed, and a hash it no longer has
    /// (a rotated token) is dropped from the index in the same transaction.
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
    /// Counters to add one to (see `super::limit_key`).
    pub count: Vec<String>,
    /// New outbox items, delivered after the commit.
    pub outbox: Vec<OutboxItem>,
    /// An outbox item the worker is done with (`None`) or puts back for later (`Some`).
    pub outbox_settled: Option<(u64, Option<OutboxItem>)>,
    /// The Telegram update this change handles, as (bot id, update id): recorded in the same write,
    /// so an update delivered again after a restart is recognised and skipped.
    pub update_handled: Option<(i64, u32)>,
    /// A fact about the store itself: (key, value) in the `meta` tree.
    pub meta: Option<(String, String)>,
    /// Messages sent about a subject (a request, an escalation, a day's brief, a client's line),
    /// remembered so they can be edited in place: (subject id, notice). One with the chat and
    /// message id of a notice already kept replaces it (the message was edited).
    pub notices: Vec<(u64, Notice)>,
    /// Messages on the two-way line: (contact id, entry).
    pub line: Vec<(u64, LineEntry)>,
    /// A person erased at their request (`/forget`): their record, its indexes, code, line and the
    /// notices kept about them. Built by [`Store::forgetting`], which knows the line's keys.
    pub forget: Option<Forget>,
}

/// What `/forget` removes: the contact as stored, and the keys of its line entries.
#[derive(Debug, Clone)]
pub struct Forget {
    pub contact: Contact,
    pub line_keys: Vec<Vec<u8>>,
    /// Notice subjects about them (their request card, their line).
    pub subjects: Vec<u64>,
    /// Outbox items not delivered yet that would carry their data: to their chat or address, or
    /// a notice about them (delivering it would also store its text again).
    pub outbox_keys: Vec<u64>,
}

impl Store {
    /// The erasure of `contact`, for a `Change`.
    pub fn forgetting(&self, contact: &Contact, subjects: Vec<u64>) -> Result<Forget> {
        let mut line_keys = Vec::new();
        for item in self.tree(Tree::Line).scan_prefix(contact.id.to_be_bytes()) {
            line_keys.push(item?.0.to_vec());
        }
        let mut outbox_keys = Vec::new();
        for item in self.tree(Tree::Outbox).iter() {
            let (k, v) = item?;
            let about_them = match super::decode::<OutboxItem>(Tree::Outbox, &v)?.what {
                Outgoing::Telegram { chat_id, notice_for, .. } => {
                    chat_id == contact.chat_id || notice_for.is_some_and(|s| subjects.contains(&s))
                }
                Outgoing::Email { to, .. } => to == contact.email,
                Outgoing::Edit { chat_id, text, .. } => chat_id == contact.chat_id || text.contains(&contact.email),
                Outgoing::Crm { contact_id } => contact_id == contact.id,
                Outgoing::Greeting { .. } | Outgoing::Webhook { .. } | Outgoing::FunnelChart { .. } => false,
            };
            if about_them {
                outbox_keys.push(super::u64_from(&k));
            }
        }
        Ok(Forget { contact: contact.clone(), line_keys, subjects, outbox_keys })
    }
}

impl Store {
    /// Applies a change atomically. Guards are checked inside the transaction, so two concurrent
    /// steps cannot both claim the same name, email or bot.
    pub fn commit(&self, change: &Change) -> Result<()> {
        #[cfg(test)]
        if self.fail_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(super::StoreError::Sled(sled::Error::Io(std::io::Error::other("injected: no space left"))));
        }
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
        let wanted = change.audit.len() + change.outbox.len() + change.line.len();
        let mut keys = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            keys.push(self.db.generate_id()?);
        }
        let spanned = spans(change);
        let trees: Vec<&sled::Tree> = spanned.iter().map(|t| self.tree(t)).collect();
        if trees.is_empty() {
            return Ok(());
        }
        let _writing = self.writing();
        let result = trees.as_slice().transaction(|t| {
            let t = Tx::new(spanned, t);
            for guard in &change.guards {
                check(&t, guard)?;
            }
            apply(&t, change, &keys)
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
}

/// The trees `apply` and the change's guards read or write: the transaction spans these only.
fn spans(change: &Change) -> Trees {
    use Tree::*;
    let mut set = Trees::default();
    for guard in &change.guards {
        set = set.and(guard.reads());
    }
    let mut add = |on: bool, trees: &[Tree]| {
        if on {
            set = set.and(trees);
        }
    };
    add(change.contact.is_some(), &[Contacts, ContactsByState, ContactsByUser, Meta]);
    add(!change.audit.is_empty(), &[Audit]);
    add(!change.outbox.is_empty() || change.outbox_settled.is_some(), &[Outbox]);
    add(!change.notices.is_empty(), &[Notices, NoticesByMessage]);
    add(
        change.forget.is_some(),
        &[Contacts, ContactsByState, ContactsByUser, ContactsByEmail, Otps, Dialogues, Line, Notices, Outbox, Meta],
    );
    add(!change.line.is_empty(), &[Line]);
    add(change.dialogue.is_some(), &[Dialogues]);
    add(change.otp.is_some(), &[Otps]);
    add(change.index_email.is_some(), &[ContactsByEmail]);
    add(change.claim_name.is_some() || change.release_name.is_some(), &[Names]);
    add(change.claim_bot.is_some() || change.release_bot.is_some(), &[Bots]);
    add(change.agent.is_some(), &[Agents, AgentTokens, Roll]);
    add(change.escalation.is_some(), &[Escalations]);
    add(change.action.is_some(), &[Actions]);
    add(!change.markers.is_empty(), &[Sched]);
    add(change.job.is_some(), &[Jobs]);
    add(change.decision.is_some(), &[Decisions, Decided]);
    add(change.update_handled.is_some(), &[Updates]);
    add(change.meta.is_some(), &[Meta]);
    add(!change.count.is_empty(), &[Limits]);
    set
}

fn apply(t: &Tx, change: &Change, keys: &[u64]) -> TxResult<()> {
    if let Some(contact) = &change.contact {
        let id = contact.id.to_be_bytes();
        let before: Option<Contact> = decode_tx(t, Tree::Contacts, &id)?;
        let was_there = before.is_some();
        // The glance is compared only where its key stays (the same state).
        let old_glance = before.as_ref().filter(|old| old.state == contact.state).map(super::glance::encode);
        let old_user = before.as_ref().map(|old| old.user_id);
        let was_using = before.as_ref().is_some_and(|old| old.state.uses_capacity());
        if was_using != contact.state.uses_capacity() {
            let used = capacity_tx(t)?;
            let used = if was_using { used.saturating_sub(1) } else { used + 1 };
            t[Tree::Meta].insert(CAPACITY_USED.as_bytes(), &used.to_be_bytes())?;
        }
        match before.map(|old| old.state).filter(|old| *old != contact.state) {
            Some(old) => {
                t[Tree::ContactsByState].remove(state_key(old, contact.id).as_slice())?;
                count_tx(t, old, -1)?;
                count_tx(t, contact.state, 1)?;
            }
            None if !was_there => {
                count_tx(t, contact.state, 1)?;
                mark_kept_from_the_start(t)?;
            }
            None => {}
        }
        // The indexes are written when what they hold changes: most writes of a contact (an
        // answer, a step) change neither its user nor its glance.
        let glance = super::glance::encode(contact);
        if old_glance.as_ref() != Some(&glance) {
            t[Tree::ContactsByState].insert(state_key(contact.state, contact.id).as_slice(), glance)?;
        }
        t[Tree::Contacts].insert(&id, encode(contact))?;
        if old_user != Some(contact.user_id) {
            t[Tree::ContactsByUser].insert(&contact.user_id.to_be_bytes(), &id)?;
        }
    }
    let mut keys = keys.iter();
    for entry in &change.audit {
        let seq = keys.next().copied().unwrap_or_default();
        t[Tree::Audit].insert(audit::key(entry.at, seq).as_slice(), encode(entry))?;
    }
    for item in &change.outbox {
        let seq = keys.next().copied().unwrap_or_default();
        t[Tree::Outbox].insert(&seq.to_be_bytes(), encode(item))?;
    }
    if let Some((key, item)) = &change.outbox_settled {
        match item {
            Some(item) => t[Tree::Outbox].insert(&key.to_be_bytes(), encode(item))?,
            None => t[Tree::Outbox].remove(&key.to_be_bytes())?,
        };
    }
    for (subject, notice) in &change.notices {
        super::notices::upsert(t, *subject, notice)?;
    }
    if let Some(f) = &change.forget {
        let c = &f.contact;
        let id = c.id.to_be_bytes();
        t[Tree::Contacts].remove(&id)?;
        if t[Tree::ContactsByState].remove(state_key(c.state, c.id).as_slice())?.is_some() {
            count_tx(t, c.state, -1)?;
        }
        t[Tree::ContactsByUser].remove(&c.user_id.to_be_bytes())?;
        if t[Tree::ContactsByEmail].get(c.email.as_bytes())?.is_some_and(|v| v.as_ref() == id) {
            t[Tree::ContactsByEmail].remove(c.email.as_bytes())?;
        }
        t[Tree::Otps].remove(&id)?;
        t[Tree::Dialogues].remove(&c.chat_id.to_be_bytes())?;
        for key in &f.line_keys {
            t[Tree::Line].remove(key.as_slice())?;
        }
        for subject in &f.subjects {
            t[Tree::Notices].remove(&subject.to_be_bytes())?;
        }
        for key in &f.outbox_keys {
            t[Tree::Outbox].remove(&key.to_be_bytes())?;
        }
    }
    for (contact, entry) in &change.line {
        let seq = keys.next().copied().unwrap_or_default();
        t[Tree::Line].insert(&super::line_key(*contact, seq), encode(entry))?;
    }
    if let Some((chat, state)) = &change.dialogue {
        match state {
            Some(value) => t[Tree::Dialogues].insert(&chat.to_be_bytes(), dialogue::encode_value(value))?,
            None => t[Tree::Dialogues].remove(&chat.to_be_bytes())?,
        };
    }
    if let Some((id, record)) = &change.otp {
        match record {
            Some(r) => t[Tree::Otps].insert(&id.to_be_bytes(), encode(r))?,
            None => t[Tree::Otps].remove(&id.to_be_bytes())?,
        };
    }
    if let Some((email, id)) = &change.index_email {
        t[Tree::ContactsByEmail].insert(email.as_bytes(), &id.to_be_bytes())?;
    }
    if let Some((name, id)) = &change.claim_name {
        t[Tree::Names].insert(name.as_bytes(), &id.to_be_bytes())?;
    }
    if let Some((bot, holder)) = &change.claim_bot {
        t[Tree::Bots].insert(&bot.to_be_bytes(), &holder.encode())?;
    }
    if let Some(agent) = &change.agent {
        let before: Option<Agent> = decode_tx(t, Tree::Agents, agent.name.as_bytes())?;
        if let Some(old) = before.and_then(|b| b.api_token_hash).filter(|h| agent.api_token_hash.as_ref() != Some(h)) {
            t[Tree::AgentTokens].remove(old.as_bytes())?;
        }
        t[Tree::Agents].insert(agent.name.as_bytes(), encode(agent))?;
        t[Tree::Roll].insert(agent.name.as_bytes(), super::roll::encode(agent))?;
        if let Some(hash) = &agent.api_token_hash {
            t[Tree::AgentTokens].insert(hash.as_bytes(), agent.name.as_bytes())?;
        }
    }
    if let Some(e) = &change.escalation {
        t[Tree::Escalations].insert(&e.id.to_be_bytes(), encode(e))?;
    }
    if let Some(a) = &change.action {
        t[Tree::Actions].insert(&a.id.to_be_bytes(), encode(a))?;
    }
    for (key, value) in &change.markers {
        t[Tree::Sched].insert(key.as_bytes(), value.as_bytes())?;
    }
    if let Some(job) = &change.job {
        t[Tree::Jobs].insert(&job.id.to_be_bytes(), encode(job))?;
    }
    if let Some((id, decision)) = &change.decision {
        t[Tree::Decisions].insert(&id.to_be_bytes(), encode(decision))?;
        t[Tree::Decided].insert(&decided_key(decision.at, *id), &[])?;
    }
    if let Some(name) = &change.release_name {
        t[Tree::Names].remove(name.as_bytes())?;
    }
    if let Some(bot) = &change.release_bot {
        t[Tree::Bots].remove(&bot.to_be_bytes())?;
    }
    if let Some((bot, id)) = change.update_handled {
        t[Tree::Updates].insert(update_key(bot, id).as_slice(), &[])?;
        if let Some(old) = id.checked_sub(UPDATES_KEPT) {
            t[Tree::Updates].remove(update_key(bot, old).as_slice())?;
        }
    }
    if let Some((key, value)) = &change.meta {
        t[Tree::Meta].insert(key.as_bytes(), value.as_bytes())?;
    }
    for key in &change.count {
        let n = t[Tree::Limits].get(key.as_bytes())?.map(|v| u64_from(&v)).unwrap_or(0);
        t[Tree::Limits].insert(key.as_bytes(), &(n + 1).to_be_bytes())?;
    }
    Ok(())
}
