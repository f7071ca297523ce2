//! The two-way line between a client and the masters: what a client writes outside a conversation
//! step (a contact-track lead answering a nurture message, a client waiting for review, a live
//! client with a question) is relayed to the masters, and a master's answer comes back from the
//! bot. Every message both ways is one [`LineEntry`], kept per contact.

use super::ContactState;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Messages from one client relayed to the masters in a day; beyond, they are kept (the lead card
/// shows them) but not relayed, and the client is told once.
pub const MAX_RELAYED_PER_DAY: u32 = 30;
/// A client's messages within this time of the last one, with no answer in between, are folded
/// into the masters' last relayed message instead of sending another.
pub const FOLD_MINUTES: i64 = 10;
/// The longest text a relayed message may grow to by folding (Telegram's limit is 4,096).
pub const MAX_FOLDED_CHARS: usize = 3_000;
/// The longest single message kept and relayed; the rest is cut with "…".
pub const MAX_TEXT_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "who", content = "id", rename_all = "snake_case")]
pub enum LineFrom {
    Client,
    /// A master, by Telegram user id.
    Master(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineEntry {
    pub at: DateTime<Utc>,
    pub from: LineFrom,
    pub text: String,
}

/// Whether a client in `state`, with no conversation step under way, is on the line: they have
/// finished the onboarding questions, so what they write is for a person. Earlier, `/start` picks
/// up their step instead.
pub fn open_for(state: ContactState) -> bool {
    use ContactState::*;
    matches!(
        state,
        ContactTrack
            | NameChosen
            | PendingReview
            | Waitlisted
            | Provisioning
            | Live
            | Active
            | Degraded
            | Churned
            | Rejected
    )
}

/// `text` cut to [`MAX_TEXT_CHARS`].
pub fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Whether a new message from the client folds into the relay of `last` (the line's newest
/// entry): it is the client's and recent, so no master answered since.
pub fn folds(last: Option<&LineEntry>, now: DateTime<Utc>) -> bool {
    last.is_some_and(|last| last.from == LineFrom::Client && now - last.at < Duration::minutes(FOLD_MINUTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    fn entry(minute: i64, from: LineFrom) -> LineEntry {
        LineEntry { at: at(minute), from, text: "hi".into() }
    }

    #[test]
    fn a_burst_folds_an_answer_or_a_pause_does_not() {
        assert!(!folds(None, at(0)));
        assert!(folds(Some(&entry(0, LineFrom::Client)), at(9)));
        assert!(!folds(Some(&entry(0, LineFrom::Client)), at(10)));
        // After a master's answer (the newest entry), a new card.
        assert!(!folds(Some(&entry(1, LineFrom::Master(7))), at(2)));
    }

    #[test]
    fn long_text_is_clipped_on_a_char_boundary() {
        assert_eq!(clip("  short "), "short");
        let long = "ż".repeat(MAX_TEXT_CHARS + 5);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn only_clients_past_the_questions_are_on_the_line() {
        assert!(open_for(ContactState::ContactTrack));
        assert!(open_for(ContactState::Rejected));
        assert!(open_for(ContactState::Live));
        assert!(!open_for(ContactState::Qualifying));
        assert!(!open_for(ContactState::EmailPending));
    }
}
