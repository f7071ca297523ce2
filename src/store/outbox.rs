//! The outbox: what must follow from a state change (a master's notification, a CRM update, an
//! email, a greeting, a decision POSTed to an agent), written in the same transaction as the change
//! and delivered by `fleet::outbox` with retries, so a crash or an outage between the two never
//! loses one.

use super::Tree;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One thing to deliver, with its retry bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub what: Outgoing,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    /// Set aside for good (the receiver refused the request itself), with why: kept for an
    /// operator to see, never tried again.
    #[serde(default)]
    pub parked: Option<String>,
    /// An alert about a parked item: if it cannot be delivered either, it is parked silently
    /// rather than alerted about in turn.
    #[serde(default)]
    pub alert: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// A Telegram message from the control bot, optionally with buttons (label, callback data).
    Telegram {
        chat_id: i64,
        text: String,
        #[serde(default)]
        buttons: Vec<Vec<(String, String)>>,
        /// The request this message is a master's notice about; its message id is kept so the
        /// notice can be edited in place when the request is decided.
        #[serde(default)]
        notice_for: Option<u64>,
    },
    /// An edit of a message the control bot sent (a notice that grew: a client's folded messages,
    /// a master's answer under them). The store's copy of the notice was updated in the same write.
    Edit {
        chat_id: i64,
        message_id: i32,
        text: String,
        #[serde(default)]
        buttons: Vec<Vec<(String, String)>>,
    },
    /// An email through the configured mailer (never a secret: codes are sent directly).
    Email { to: String, subject: String, text: String },
    /// Mirror the contact's current state to the CRM.
    Crm { contact_id: u64 },
    /// Greet the agent's owner from the agent's own bot (see `fleet::live`).
    Greeting { agent: String },
    /// POST a decision to an agent's `callback_url`.
    Webhook { url: String, body: serde_json::Value },
    /// The onboarding funnel up to the week that began on `week`, as a picture with its counts in
    /// the caption (`fleet::chart`), drawn from the store when it is sent.
    FunnelChart { chat_id: i64, week: chrono::NaiveDate },
}

impl OutboxItem {
    pub fn new(what: Outgoing) -> OutboxItem {
        OutboxItem { what, attempts: 0, not_before: None, parked: None, alert: false }
    }

    pub fn telegram(chat_id: i64, text: String) -> OutboxItem {
        OutboxItem::new(Outgoing::Telegram { chat_id, text, buttons: Vec::new(), notice_for: None })
    }

    /// The same message with buttons to each chat (the masters, the orchestrators), remembered as a
    /// notice about `notice_for` so it can be edited when that is decided.
    pub fn to_each(
        chats: &[i64],
        text: &str,
        buttons: &[Vec<(String, String)>],
        notice_for: Option<u64>,
    ) -> Vec<OutboxItem> {
        chats
            .iter()
            .map(|chat| {
                OutboxItem::new(Outgoing::Telegram {
                    chat_id: *chat,
                    text: text.to_string(),
                    buttons: buttons.to_vec(),
                    notice_for,
                })
            })
            .collect()
    }
}

impl super::Store {
    /// Items whose time has come, oldest first, with their keys.
    pub fn outbox_due(&self, now: DateTime<Utc>) -> super::Result<Vec<(u64, OutboxItem)>> {
        let mut due = Vec::new();
        for item in self.tree(Tree::Outbox).iter() {
            let (k, v) = item?;
            let item: OutboxItem = super::decode(Tree::Outbox, &v)?;
            if item.parked.is_none() && item.not_before.is_none_or(|t| t <= now) {
                due.push((super::u64_from(&k), item));
            }
        }
        Ok(due)
    }

    /// Items waiting to be delivered (parked ones are not waiting).
    pub fn outbox_len(&self) -> usize {
        self.tree(Tree::Outbox).len().saturating_sub(self.outbox_parked().len())
    }

    /// The items set aside for good, with their keys.
    pub fn outbox_parked(&self) -> Vec<(u64, OutboxItem)> {
        self.tree(Tree::Outbox)
            .iter()
            .filter_map(|item| item.ok())
            .filter_map(|(k, v)| Some((super::u64_from(&k), super::decode::<OutboxItem>(Tree::Outbox, &v).ok()?)))
            .filter(|(_, item)| item.parked.is_some())
            .collect()
    }
}
