//! The dptree tree: private messages and button taps, routed by the chat's dialogue [`State`].
//! One module per part of the conversation; each step's handler answers bad input with a short
//! re-prompt and writes nothing, and writes a good step's effects in one `Store::commit`.

pub mod ctx;
pub mod delivery;
mod email;
pub mod master;
mod naming;
mod qualify;
mod start;
pub mod taps;
mod token;

use crate::app::App;
use crate::store::SledStorage;
pub use ctx::Ctx;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use teloxide::dispatching::dialogue::{ErasedStorage, Storage};
use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

pub type HandlerResult = anyhow::Result<()>;
pub type DialogueStorage = ErasedStorage<State>;

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
}

/// What every client can send.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum ClientCommand {
    /// Start, or pick up where you left off.
    Start(String),
    /// Stop the conversation; your progress is kept.
    Cancel,
    /// Where your request stands.
    Status,
    /// What this bot does and how to use it.
    Help,
    /// No more follow-up messages from us.
    Stop,
}

pub fn storage(app: &App) -> Arc<DialogueStorage> {
    SledStorage::<State>::new(app.store.clone()).erase()
}

pub fn schema() -> UpdateHandler<anyhow::Error> {
    use dptree::case;

    let master_commands = dptree::entry().filter_command::<master::MasterCommand>().endpoint(master::on_command);
    let commands = dptree::entry().filter_command::<ClientCommand>().endpoint(start::on_command);
    let messages = Update::filter_message()
        .filter(|m: Message| m.chat.is_private() && m.from.is_some())
        .enter_dialogue::<Message, DialogueStorage, State>()
        .branch(master_commands)
        .branch(commands)
        .branch(case![State::Email].endpoint(email::receive_email))
        .branch(case![State::Code { contact_id }].endpoint(email::receive_code))
        .branch(case![State::Question { contact_id, index }].endpoint(qualify::receive_answer))
        .branch(case![State::Timezone { contact_id }].endpoint(qualify::receive_timezone))
        .branch(case![State::Token { contact_id }].endpoint(token::receive_token))
        .branch(case![State::Name { contact_id }].endpoint(naming::receive_name))
        .branch(case![State::Confirm { contact_id, name }].endpoint(naming::receive_text_at_confirm))
        .branch(case![State::EscalationNote { escalation }].endpoint(master::receive_note))
        .branch(case![State::NewToken { agent }].endpoint(token::receive_new_token))
        .branch(case![State::Idle].endpoint(start::idle));
    let taps = Update::filter_callback_query()
        .enter_dialogue::<CallbackQuery, DialogueStorage, State>()
        .endpoint(taps::on_tap);
    dptree::entry()
        .inspect(|app: Arc<App>| app.metrics.update_received(app.clock.now().timestamp()))
        .branch(messages)
        .branch(taps)
}
