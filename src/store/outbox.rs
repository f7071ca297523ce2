//! The outbox: messages that must follow from a state change (a master's notification, later CRM
//! updates and emails), written in the same transaction as the change and delivered by a worker
//! with retries, so a crash or an outage between the two never loses one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxItem {
    /// A Telegram message from the control bot.
    Telegram {
        chat_id: i64,
        text: String,
        #[serde(default)]
        attempts: u32,
        #[serde(default)]
        not_before: Option<DateTime<Utc>>,
    },
}

impl OutboxItem {
    pub fn telegram(chat_id: i64, text: String) -> OutboxItem {
        OutboxItem::Telegram {
            chat_id,
            text,
            attempts: 0,
            not_before: None,
        }
    }
}

impl super::Store {
    /// Items whose time has come, oldest first, with their keys.
    pub fn outbox_due(&self, now: DateTime<Utc>) -> super::Result<Vec<(u64, OutboxItem)>> {
        let mut due = Vec::new();
        for item in self.outbox_tree().iter() {
            let (k, v) = item?;
            let item: OutboxItem = super::decode("outbox", &v)?;
            let OutboxItem::Telegram { not_before, .. } = &item;
            if not_before.is_none_or(|t| t <= now) {
                due.push((super::u64_from(&k), item));
            }
        }
        Ok(due)
    }

    pub fn outbox_len(&self) -> usize {
        self.outbox_tree().len()
    }

    pub fn outbox_done(&self, key: u64) -> super::Result<()> {
        self.outbox_tree().remove(key.to_be_bytes())?;
        Ok(())
    }

    pub fn outbox_retry_later(&self, key: u64, item: &OutboxItem) -> super::Result<()> {
        self.outbox_tree()
            .insert(key.to_be_bytes(), super::encode(item))?;
        Ok(())
    }
}
