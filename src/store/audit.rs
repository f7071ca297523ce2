//! The append-only audit log: who did what to which contact, when, and why. Entries are written in
//! the same transaction as the change they describe (see `Store::commit`).

pub use crate::domain::Actor;
use crate::domain::ContactState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(default)]
    pub contact_id: Option<u64>,
    /// What happened, e.g. `transition`, `email_changed`, `master_notified`.
    pub event: String,
    #[serde(default)]
    pub from: Option<ContactState>,
    #[serde(default)]
    pub to: Option<ContactState>,
    /// A short human reason (never a secret).
    pub why: String,
}

impl AuditEntry {
    pub fn transition(
        at: DateTime<Utc>,
        actor: Actor,
        contact_id: u64,
        from: ContactState,
        to: ContactState,
        why: &str,
    ) -> Self {
        AuditEntry {
            at,
            actor,
            contact_id: Some(contact_id),
            event: "transition".into(),
            from: Some(from),
            to: Some(to),
            why: why.into(),
        }
    }

    pub fn event(at: DateTime<Utc>, actor: Actor, contact_id: Option<u64>, event: &str, why: &str) -> Self {
        AuditEntry { at, actor, contact_id, event: event.into(), from: None, to: None, why: why.into() }
    }
}

/// Keys sort by time, then by a unique sequence number, so iteration is chronological.
pub fn key(at: DateTime<Utc>, seq: u64) -> [u8; 16] {
    let nanos = at.timestamp_nanos_opt().unwrap_or_default().max(0) as u64;
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&nanos.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}
