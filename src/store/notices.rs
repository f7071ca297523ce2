//! Notices: messages sent to masters (or orchestrators) about a subject — a request, an
//! escalation, an action, a day's brief, a client's line — remembered so they can be edited in
//! place, and found again from a message a master replies to.

use super::{decode_tx, encode, Result, Store, Tree, Tx, TxResult};
use serde::{Deserialize, Serialize};

/// Rows of buttons: (label, callback data or an https URL).
pub type Buttons = Vec<Vec<(String, String)>>;

/// One message sent about a subject, with the text and buttons it shows now. (An older store
/// wrote `[chat, message, text]`; that still reads, with no buttons.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub chat: i64,
    pub message: i32,
    pub text: String,
    #[serde(default)]
    pub buttons: Buttons,
}

fn by_message_key(chat: i64, message: i32) -> [u8; 12] {
    let mut key = [0; 12];
    key[..8].copy_from_slice(&chat.to_be_bytes());
    key[8..].copy_from_slice(&message.to_be_bytes());
    key
}

/// Adds `notice` to its subject's list, or replaces the one with the same chat and message (an
/// edit), and indexes the message.
pub(super) fn upsert(t: &Tx, subject: u64, notice: &Notice) -> TxResult<()> {
    let key = subject.to_be_bytes();
    let mut all: Vec<Notice> = decode_tx(t, Tree::Notices, &key)?.unwrap_or_default();
    match all.iter_mut().find(|n| n.chat == notice.chat && n.message == notice.message) {
        Some(old) => *old = notice.clone(),
        None => all.push(notice.clone()),
    }
    t[Tree::Notices].insert(&key, encode(&all))?;
    t[Tree::NoticesByMessage].insert(&by_message_key(notice.chat, notice.message), &key)?;
    Ok(())
}

impl Store {
    /// The notices sent about a subject, in the order they were sent.
    pub fn notices(&self, subject: u64) -> Result<Vec<Notice>> {
        Ok(self.get(Tree::Notices, &subject.to_be_bytes())?.unwrap_or_default())
    }

    /// The subject a message in `chat` is a notice about (a master replied to it).
    pub fn notice_subject(&self, chat: i64, message: i32) -> Result<Option<u64>> {
        Ok(self.tree(Tree::NoticesByMessage).get(by_message_key(chat, message))?.map(|v| super::u64_from(&v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_stored_before_buttons_were_kept_still_reads() {
        let old: Notice = serde_json::from_str(r#"[900001, 42, "🆕 Agent request #7"]"#).unwrap();
        assert_eq!(old, Notice { chat: 900001, message: 42, text: "🆕 Agent request #7".into(), buttons: vec![] });
    }
}
