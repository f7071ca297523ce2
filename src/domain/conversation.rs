//! Where each chat is in its conversation with the bot: one [`State`] per chat, stored by
//! `store::dialogue` (teloxide's dialogue storage over sled) so a conversation survives restarts.
//! The bot's handlers move it step by step; fleet decisions move it too when they change what a
//! person is asked next (a master qualifies a lead: they are asked for their bot's token).

use serde::{Deserialize, Serialize};

/// Where a chat is in the onboarding conversation. Stored per chat (see `store::dialogue`); change
/// it compatibly or bump `store::dialogue::VERSION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum State {
    /// No conversation under way.
    #[default]
    Idle,
    Email,
    Code {
        contact_id: u64,
    },
    Question {
        contact_id: u64,
        index: usize,
    },
    Timezone {
        contact_id: u64,
    },
    Token {
        contact_id: u64,
    },
    Name {
        contact_id: u64,
    },
    Confirm {
        contact_id: u64,
        name: String,
    },
    /// A master tapped [🔄 Modify] on an escalation: their next message is the instruction.
    EscalationNote {
        escalation: u64,
    },
    /// The weekly health check found the agent's bot token revoked: the owner sends a new one.
    NewToken {
        agent: String,
    },
    /// A master tapped [↩️ Reply] under a client's message: their next message goes to the client.
    ReplyTo {
        contact_id: u64,
    },
    /// A master tapped [❌ Reject] on a request: their next message is the reason the client reads.
    RejectReason {
        contact_id: u64,
    },
}

impl State {
    /// A master's step (a note, an answer, a reason): a master's command leaves it.
    pub fn is_masters(&self) -> bool {
        matches!(self, State::EscalationNote { .. } | State::ReplyTo { .. } | State::RejectReason { .. })
    }
}
