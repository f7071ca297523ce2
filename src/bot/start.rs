//! `/start`, `/cancel`, `/status`, `/help`, and what a chat with no conversation under way gets.
//! `/start` always picks up where the contact is, so a client who left (or was cut off by a
//! restart) is never stranded and never starts over by accident.

use super::ctx::keyboard;
use super::status::status_text;
use super::{email, line, naming, qualify, token, ClientCommand, Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::callback::Tap;
use crate::domain::{Contact, ContactState};
use std::sync::Arc;
use teloxide::prelude::*;

pub async fn on_command(bot: Bot, app: Arc<App>, msg: Message, cmd: ClientCommand, state: State) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    match cmd {
        ClientCommand::Start(_payload) if app.config.is_master(ctx.user_id) => {
            if state.is_masters() {
                app.commit(&ctx.change_ending())?;
            }
            super::home::show(&ctx).await
        }
        ClientCommand::Start(_payload) => start(&ctx, &state).await,
        ClientCommand::Cancel => {
            let waiting = app
                .store
                .contact_by_user(ctx.user_id)?
                .filter(|c| matches!(c.state, ContactState::PendingReview | ContactState::Waitlisted));
            if let (State::Idle, Some(c)) = (&state, waiting) {
                // A request waiting for the team: /cancel offers to withdraw it, after a confirmation.
                let name = c.agent_name.clone().unwrap_or_default();
                let rows = vec![vec![
                    (ctx.t("button-withdraw"), Tap::Withdraw.data()),
                    (ctx.t("button-keep-request"), Tap::Keep.data()),
                ]];
                ctx.ask(ctx.t_args("withdraw-ask", &[("name", (&name).into())]), keyboard(rows)).await?;
            } else if state == State::Idle {
                ctx.say(ctx.t("cancel-nothing")).await?;
            } else if state.is_masters() {
                app.commit(&ctx.change_ending())?;
                ctx.say(ctx.t("master-cancel-done")).await?;
            } else {
                app.commit(&ctx.change_ending())?;
                ctx.say(ctx.t("cancel-done")).await?;
            }
            Ok(())
        }
        ClientCommand::Status => {
            let contact = app.store.contact_by_user(ctx.user_id)?;
            ctx.say(status_text(&ctx, contact.as_ref())).await?;
            Ok(())
        }
        ClientCommand::Help => {
            ctx.say(ctx.t("help")).await?;
            Ok(())
        }
        ClientCommand::Forget => {
            let text = match app.store.contact_by_user(ctx.user_id)? {
                None => ctx.t("forget-nothing"),
                Some(c) if c.state.holds_claim() => ctx.t("forget-withdraw-first"),
                Some(_) => {
                    let rows = vec![vec![
                        (ctx.t("button-forget"), Tap::Forget.data()),
                        (ctx.t("button-keep"), Tap::Keep.data()),
                    ]];
                    ctx.ask(ctx.t("forget-ask"), keyboard(rows)).await?;
                    return Ok(());
                }
            };
            ctx.say(text).await?;
            Ok(())
        }
        ClientCommand::Stop => {
            if let Some(mut c) = app.store.contact_by_user(ctx.user_id)? {
                c.nurture_stopped = true;
                let mut change = crate::store::Change::default();
                change.audit.push(crate::store::AuditEntry::event(
                    ctx.now(),
                    ctx.actor(),
                    Some(c.id),
                    "nurture_stopped",
                    "/stop",
                ));
                change.contact = Some(c);
                app.commit(&change)?;
            }
            ctx.say(ctx.t("stop-done")).await?;
            Ok(())
        }
    }
}

/// Text in a chat with no conversation under way.
pub async fn idle(bot: Bot, app: Arc<App>, msg: Message) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    if let Some(c) = app.store.contact_by_user(ctx.user_id)?.filter(|c| crate::domain::line::open_for(c.state)) {
        return line::from_client(&ctx, &c, &msg).await;
    }
    let hint = if app.config.is_master(ctx.user_id) { "master-idle-hint" } else { "idle-hint" };
    ctx.say(ctx.t(hint)).await?;
    Ok(())
}

async fn start(ctx: &Ctx, state: &State) -> HandlerResult {
    let Some(contact) = ctx.app.store.contact_by_user(ctx.user_id)? else {
        ctx.app.commit(&ctx.change_to(&State::Email))?;
        ctx.say(ctx.t("welcome")).await?;
        return Ok(());
    };
    resume(ctx, &contact, state).await
}

/// Puts the chat back at the step the contact's state calls for, and asks that step's question
/// again: what was answered stays answered.
async fn resume(ctx: &Ctx, contact: &Contact, state: &State) -> HandlerResult {
    let id = contact.id;
    match contact.state {
        ContactState::EmailPending => {
            let now = ctx.now();
            let live_code = ctx
                .app
                .store
                .otp(id)?
                .is_some_and(|r| now <= r.expires_at && r.wrong_tries < crate::domain::otp::MAX_WRONG_TRIES);
            if live_code {
                ctx.app.commit(&ctx.change_to(&State::Code { contact_id: id }))?;
                email::prompt_code(ctx, &contact.email, "code-resume").await
            } else {
                ctx.app.commit(&ctx.change_to(&State::Email))?;
                ctx.say(ctx.t("welcome-back-email")).await?;
                Ok(())
            }
        }
        ContactState::EmailVerified => qualify::begin(ctx, contact).await,
        ContactState::Qualifying => qualify::resume(ctx, contact, state).await,
        ContactState::Qualified => {
            ctx.app.commit(&ctx.change_to(&State::Token { contact_id: id }))?;
            token::prompt_token(ctx).await
        }
        ContactState::TokenValidated => {
            ctx.app.commit(&ctx.change_to(&State::Name { contact_id: id }))?;
            naming::prompt_name(ctx, contact).await
        }
        _ => {
            ctx.app.commit(&ctx.change_ending())?;
            ctx.say(status_text(ctx, Some(contact))).await?;
            Ok(())
        }
    }
}

/// [↩️ Withdraw my request] under `/cancel`'s question: `false` when there is nothing to withdraw
/// any more (decided meanwhile).
pub async fn tap_withdraw(ctx: &Ctx, message: &Message) -> anyhow::Result<bool> {
    let Some(c) = ctx.app.store.contact_by_user(ctx.user_id)? else { return Ok(false) };
    match crate::fleet::approval::withdraw(&ctx.app, c.id, ctx.user_id).await {
        Ok(()) => {
            ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-withdraw")).await;
            Ok(true)
        }
        Err(crate::fleet::approval::DecideError::Store(e)) => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// [🗑 Erase my data] under `/forget`'s question.
pub async fn tap_forget(ctx: &Ctx, message: &Message) -> anyhow::Result<bool> {
    use crate::fleet::privacy::{self, ForgetError};
    match privacy::forget(&ctx.app, ctx.user_id) {
        Ok(()) => {
            ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("forget-done")).await;
            Ok(true)
        }
        Err(ForgetError::Store(e)) => Err(e.into()),
        Err(ForgetError::NotFound | ForgetError::HoldsClaim(_)) => Ok(false),
    }
}
