//! Button taps, read by `domain::callback`: a fleet button goes to `master::on_tap`; a step's button
//! is acted on only when it belongs to the chat's current step; anything else is answered "that
//! step is over" and changes nothing. Every tap is answered (the client shows a spinner until then).

use super::{email, master, naming, qualify, start, Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::callback::{Callback, Tap};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::MaybeInaccessibleMessage;

pub async fn on_tap(bot: Bot, app: Arc<App>, q: CallbackQuery, state: State) -> HandlerResult {
    let Some(MaybeInaccessibleMessage::Regular(message)) = q.message.as_ref() else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    if !message.chat.is_private() {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    }
    let ctx = Ctx::new(&app, &bot, message.chat.id, &q.from);
    let tap = match q.data.as_deref().and_then(Callback::parse) {
        Some(Callback::Fleet(tap)) => {
            let answer = master::on_tap(&ctx, tap, message).await?;
            bot.answer_callback_query(q.id.clone()).text(answer).await?;
            return Ok(());
        }
        Some(Callback::Step(tap)) => Some(tap),
        None => None,
    };
    // Every tap is answered (the client shows a spinner until then), with a note when it changed nothing.
    let handled = match (tap, state) {
        (Some(Tap::Answer { question, option }), State::Question { contact_id, index }) => {
            qualify::tap_answer(&ctx, contact_id, index, &question, &option, message).await?
        }
        (Some(Tap::Timezone(zone)), State::Timezone { contact_id }) => {
            qualify::tap_timezone(&ctx, contact_id, &zone, message).await?
        }
        (Some(Tap::NewCode), State::Code { contact_id }) => email::tap_new_code(&ctx, contact_id).await?,
        (Some(Tap::ChangeEmail), State::Code { contact_id }) => email::tap_change_email(&ctx, contact_id).await?,
        (Some(Tap::UseName(name)), State::Name { contact_id }) => {
            naming::accept_name(&ctx, contact_id, &name).await.map(|_| true)?
        }
        (Some(Tap::Confirm), State::Confirm { contact_id, name }) => {
            naming::tap_confirm(&ctx, contact_id, &name, message).await?
        }
        (Some(Tap::ChangeName), State::Confirm { contact_id, .. }) => {
            naming::tap_change_name(&ctx, contact_id, message).await?
        }
        (Some(Tap::Cancel), State::Confirm { .. }) => naming::tap_cancel(&ctx, message).await?,
        (Some(Tap::Withdraw), _) => start::tap_withdraw(&ctx, message).await?,
        (Some(Tap::Forget), _) => start::tap_forget(&ctx, message).await?,
        (Some(Tap::Keep), _) => {
            ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("nothing-changed")).await;
            true
        }
        _ => false,
    };
    let answer = bot.answer_callback_query(q.id.clone());
    if handled {
        answer.await?;
    } else {
        tracing::info!(user = ctx.user_id, "a button of another step was tapped; nothing changed");
        answer.text(ctx.t("tap-step-over")).await?;
    }
    Ok(())
}
