//! The chat side of the two-way line (`fleet::line`): a client's free text, outside any step, goes
//! to the masters; a master answers with Telegram's Reply to the relayed message (or to a
//! request's card) or with [↩️ Reply], and the client gets the answer from the bot.

use super::{Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::token::looks_like_token;
use crate::domain::Contact;
use crate::fleet::line::{self, LineError, Relayed};
use crate::fleet::people;
use std::sync::Arc;
use teloxide::prelude::*;

/// The contact a master is answering by replying to one of the bot's notices about them.
#[derive(Debug, Clone, Copy)]
pub struct Answering(pub u64);

/// For the routing table: a master's text that replies to a notice about a person.
pub fn answering(app: Arc<App>, msg: Message) -> Option<Answering> {
    let from = msg.from.as_ref()?;
    if !app.config.is_master(from.id.0 as i64) || msg.text().is_none_or(|t| t.starts_with('/')) {
        return None;
    }
    let replied = msg.reply_to_message()?;
    let subject = app.store.notice_subject(msg.chat.id.0, replied.id.0).ok()??;
    let contact = line::contact_of(&app, subject).ok()??;
    Some(Answering(contact.id))
}

/// The message's text, when it may be passed on: text only, and never a token (a secret never
/// travels on to people, nor into the line's history: the message is deleted). Otherwise the
/// sender is told why, and `None`.
async fn text_to_pass_on<'m>(ctx: &Ctx, msg: &'m Message) -> anyhow::Result<Option<&'m str>> {
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        ctx.say(ctx.t("line-text-only")).await?;
        return Ok(None);
    };
    if looks_like_token(text) {
        ctx.delete(msg.id).await;
        ctx.say(ctx.t("line-token-removed")).await?;
        return Ok(None);
    }
    Ok(Some(text))
}

/// Free text from a client past the onboarding questions, with no step under way.
pub async fn from_client(ctx: &Ctx, contact: &Contact, msg: &Message) -> HandlerResult {
    let Some(text) = text_to_pass_on(ctx, msg).await? else { return Ok(()) };
    let key = match line::from_client(&ctx.app, contact, text)? {
        Relayed::Sent | Relayed::Folded => "line-sent",
        Relayed::Held => "line-held",
    };
    ctx.say(ctx.t(key)).await?;
    Ok(())
}

/// `[↩️ Reply]`: the master's next message is the answer.
pub async fn tap_reply(ctx: &Ctx, contact_id: u64) -> anyhow::Result<String> {
    let Some(c) = ctx.app.store.contact(contact_id)? else {
        return Ok(ctx.t("tap-step-over"));
    };
    ctx.app.commit(&ctx.change_to(&State::ReplyTo { contact_id }))?;
    let who = people::who(&ctx.app, &ctx.tr(), &c);
    ctx.say(ctx.t_args("line-reply-ask", &[("who", who.as_str().into())])).await?;
    Ok(ctx.t("line-reply-waiting"))
}

/// The master's answer after `[↩️ Reply]`.
pub async fn receive_reply(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    send_answer(&ctx, &msg, contact_id, true).await
}

/// The master's answer by Telegram's Reply to a notice about the contact.
pub async fn receive_reply_to_notice(bot: Bot, app: Arc<App>, msg: Message, to: Answering) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    send_answer(&ctx, &msg, to.0, false).await
}

async fn send_answer(ctx: &Ctx, msg: &Message, contact_id: u64, after_button: bool) -> HandlerResult {
    let Some(text) = text_to_pass_on(ctx, msg).await? else { return Ok(()) };
    let reply = match line::answer(&ctx.app, contact_id, ctx.user_id, text) {
        Ok(c) => ctx.t_args("line-answer-sent", &[("email", (&c.email).into())]),
        Err(LineError::NotFound(_)) => ctx.t("tap-step-over"),
        Err(LineError::Store(e)) => return Err(e.into()),
    };
    if after_button {
        ctx.app.commit(&ctx.change_ending())?;
    }
    ctx.say(reply).await?;
    Ok(())
}
