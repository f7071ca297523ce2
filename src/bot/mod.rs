//! The chat surface: the dptree tree that routes private messages and button taps by the chat's
//! conversation [`State`], and the handlers that parse what a person sent, call `fleet` for
//! anything the fleet decides, and answer. One module per part of the onboarding conversation
//! (`email`, `qualify`, `token`, `naming`, `start`), `master` for the master's commands and
//! buttons (with `home` for `/start`, `decide` for approve/reject, `cards` for one agent or one
//! person and the pick-lists), `views` for what the master reads, `line` for the two-way line
//! between clients and masters, `unknown` for commands we do not have, `taps` for routing taps. Each step's
//! handler answers bad input with a short re-prompt and writes nothing, and writes a good step's
//! effects in one `Change`.

mod cards;
pub mod ctx;
mod decide;
mod email;
mod home;
mod line;
pub mod listener;
pub mod managed;
pub mod master;
mod naming;
mod qualify;
mod start;
mod status;
mod taps;
mod token;
mod unknown;
pub mod views;
pub mod webhook;

use crate::app::{App, Handling, HANDLING};
pub use crate::domain::conversation::State;
use crate::store::SledStorage;
pub use ctx::Ctx;
use std::sync::Arc;
use teloxide::dispatching::dialogue::{ErasedStorage, Storage};
use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::BotCommandScope;
use teloxide::utils::command::BotCommands;

pub type HandlerResult = anyhow::Result<()>;
pub type DialogueStorage = ErasedStorage<State>;

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
    /// Erase your personal data (asks first).
    Forget,
}

/// Shows the client commands in every private chat and the master commands in the masters'.
pub async fn announce_commands(app: &App, bot: &Bot) {
    if let Err(e) = bot.set_my_commands(ClientCommand::bot_commands()).scope(BotCommandScope::AllPrivateChats).await {
        tracing::warn!(error = %crate::services::telegram::error_kind(&e), "could not set the command list");
    }
    master::announce_commands(bot, app).await;
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
        .branch(dptree::filter_map(unknown::unknown_command).endpoint(unknown::on_unknown_command))
        .branch(dptree::filter_map(line::answering).endpoint(line::receive_reply_to_notice))
        .branch(case![State::Email].endpoint(email::receive_email))
        .branch(case![State::Code { contact_id }].endpoint(email::receive_code))
        .branch(case![State::Question { contact_id, index }].endpoint(qualify::receive_answer))
        .branch(case![State::Timezone { contact_id }].endpoint(qualify::receive_timezone))
        .branch(case![State::Token { contact_id }].endpoint(token::receive_token))
        .branch(case![State::Name { contact_id }].endpoint(naming::receive_name))
        .branch(case![State::Confirm { contact_id, name }].endpoint(naming::receive_text_at_confirm))
        .branch(case![State::EscalationNote { escalation }].endpoint(master::receive_note))
        .branch(case![State::NewToken { agent }].endpoint(token::receive_new_token))
        .branch(case![State::ReplyTo { contact_id }].endpoint(line::receive_reply))
        .branch(case![State::RejectReason { contact_id }].endpoint(decide::receive_reason))
        .branch(case![State::Idle].endpoint(start::idle));
    let taps = Update::filter_callback_query()
        .enter_dialogue::<CallbackQuery, DialogueStorage, State>()
        .endpoint(taps::on_tap);
    dptree::entry()
        .inspect(|app: Arc<App>| app.metrics.update_received(app.clock.now().timestamp()))
        .chain(once_per_update())
        .branch(messages)
        .branch(taps)
}

/// Handles each Telegram update once. Telegram delivers an update again when the process stopped
/// before confirming it; one whose handling was committed is skipped (and counted). Every commit
/// of its handlers records it as handled in the same write (`App::commit` reads [`HANDLING`]); a
/// handler that commits nothing (a plain reply) is recorded after it returns.
fn once_per_update() -> UpdateHandler<anyhow::Error> {
    use dptree::di::DependencyMap;
    use dptree::{HandlerSignature, Type};
    use std::ops::ControlFlow;
    let here = std::panic::Location::caller();
    let sig = HandlerSignature::Other {
        obligations: [(Type::of::<Update>(), here), (Type::of::<Arc<App>>(), here)].into_iter().collect(),
        guaranteed_outcomes: Default::default(),
        conditional_outcomes: Default::default(),
        continues: true,
    };
    dptree::from_fn(
        |deps: DependencyMap, cont| async move {
            let update: Arc<Update> = deps.get();
            let app: Arc<App> = Arc::clone(&deps.get::<Arc<App>>());
            match once(&app, (app.config.bot_id(), update.id.0), cont(deps)).await {
                Ok(Some(outcome)) => outcome,
                Ok(None) => ControlFlow::Break(Ok(())),
                Err(e) => ControlFlow::Break(Err(e.into())),
            }
        },
        sig,
    )
}

/// Runs `handle` for the update `key` (bot id, update id) unless it was handled before (then it
/// is counted and skipped: `Ok(None)`). Every commit made inside records the update as handled in
/// the same write; when none did, it is recorded afterwards. Used by the dispatcher's tree and by
/// the updates teloxide cannot read (`managed`).
pub(crate) async fn once<T>(
    app: &App,
    key: (i64, u32),
    handle: impl std::future::Future<Output = T>,
) -> crate::store::Result<Option<T>> {
    if app.store.update_handled(key.0, key.1)? {
        app.metrics.updates_duplicate.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(update_id = key.1, "an update handled before was delivered again; skipped");
        return Ok(None);
    }
    let handling = Handling { update: key, recorded: Default::default() };
    let outcome = HANDLING.scope(handling.clone(), handle).await;
    if !handling.recorded.load(std::sync::atomic::Ordering::SeqCst) {
        let recorded = app.store.commit(&crate::store::Change { update_handled: Some(key), ..Default::default() });
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not record an update as handled");
        }
    }
    Ok(Some(outcome))
}
