//! Steps 5 and 6: the agent's name, then the summary the client confirms. Confirming hands the
//! request to the fleet's gate (`fleet::approval::confirm`): waitlisted, waiting for a master, or
//! approved at once.

use super::ctx::keyboard;
use super::{Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::callback::Tap;
use crate::domain::name::{self, NameProblem};
use crate::domain::Contact;
use crate::fleet::approval::{self, ConfirmError, Gate};
use std::sync::Arc;
use teloxide::prelude::*;

pub async fn prompt_name(ctx: &Ctx, contact: &Contact) -> HandlerResult {
    let suggestion = contact
        .bot
        .as_ref()
        .and_then(|b| name::from_bot_username(&b.username))
        .filter(|s| name_ok(ctx, contact.id, s).unwrap_or(false));
    let text = ctx.t("name-ask");
    match suggestion {
        Some(s) => {
            ctx.ask(
                text,
                keyboard(vec![vec![(ctx.t_args("button-use-name", &[("name", (&s).into())]), Tap::UseName(s).data())]]),
            )
            .await?
        }
        None => ctx.say(text).await?,
    };
    Ok(())
}

fn reserved(ctx: &Ctx) -> &[String] {
    &ctx.app.content.onboarding.names.reserved
}

fn is_free(ctx: &Ctx, contact_id: u64, candidate: &str) -> bool {
    ctx.app.store.name_free(candidate, Some(contact_id)).unwrap_or(false)
}

fn name_ok(ctx: &Ctx, contact_id: u64, candidate: &str) -> anyhow::Result<bool> {
    Ok(name::check(candidate, reserved(ctx)).is_ok() && is_free(ctx, contact_id, candidate))
}

pub async fn receive_name(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("answer-not-text")).await?;
        return Ok(());
    };
    accept_name(&ctx, contact_id, &text.trim().to_lowercase()).await
}

/// Checks a name (typed or tapped) and, if it is good and free, shows the summary to confirm.
pub async fn accept_name(ctx: &Ctx, contact_id: u64, candidate: &str) -> HandlerResult {
    if let Err(problem) = name::check(candidate, reserved(ctx)) {
        ctx.say(ctx.t_args(problem_key(problem), &[("name", candidate.into())])).await?;
        return Ok(());
    }
    if !is_free(ctx, contact_id, candidate) {
        return say_taken(ctx, contact_id, candidate).await;
    }
    let Some(contact) = ctx.app.store.contact(contact_id)? else {
        return Ok(());
    };
    ctx.app.commit(&ctx.change_to(&State::Confirm { contact_id, name: candidate.to_string() }))?;
    prompt_confirm(ctx, &contact, candidate).await
}

async fn say_taken(ctx: &Ctx, contact_id: u64, candidate: &str) -> HandlerResult {
    match name::suggest(candidate, reserved(ctx), |c| is_free(ctx, contact_id, c)) {
        Some(s) => {
            let text = ctx.t_args("name-taken", &[("name", candidate.into()), ("suggestion", (&s).into())]);
            let label = ctx.t_args("button-use-name", &[("name", (&s).into())]);
            ctx.ask(text, keyboard(vec![vec![(label, Tap::UseName(s).data())]])).await?;
        }
        None => {
            ctx.say(ctx.t_args("name-taken-no-suggestion", &[("name", candidate.into())])).await?;
        }
    }
    Ok(())
}

fn summary(ctx: &Ctx, contact: &Contact, name: &str) -> String {
    let bot = contact.bot.as_ref().map(|b| b.username.as_str()).unwrap_or_default();
    let tz = contact.timezone.as_deref().unwrap_or("UTC");
    ctx.t_args(
        "confirm-summary",
        &[("email", (&contact.email).into()), ("bot", bot.into()), ("timezone", tz.into()), ("name", name.into())],
    )
}

pub async fn prompt_confirm(ctx: &Ctx, contact: &Contact, name: &str) -> HandlerResult {
    let buttons = keyboard(vec![
        vec![(ctx.t("button-confirm"), Tap::Confirm.data())],
        vec![(ctx.t("button-change-name"), Tap::ChangeName.data()), (ctx.t("button-cancel"), Tap::Cancel.data())],
    ]);
    ctx.ask(summary(ctx, contact, name), buttons).await?;
    Ok(())
}

pub async fn receive_text_at_confirm(
    bot: Bot,
    app: Arc<App>,
    msg: Message,
    (contact_id, name): (u64, String),
) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(contact) = app.store.contact(contact_id)? else {
        return Ok(());
    };
    ctx.say(ctx.t("answer-use-buttons")).await?;
    prompt_confirm(&ctx, &contact, &name).await
}

pub async fn tap_change_name(ctx: &Ctx, contact_id: u64, message: &Message) -> anyhow::Result<bool> {
    let Some(contact) = ctx.app.store.contact(contact_id)? else {
        return Ok(false);
    };
    ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-change-name")).await;
    ctx.app.commit(&ctx.change_to(&State::Name { contact_id }))?;
    prompt_name(ctx, &contact).await?;
    Ok(true)
}

pub async fn tap_cancel(ctx: &Ctx, message: &Message) -> anyhow::Result<bool> {
    ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-cancel")).await;
    ctx.app.commit(&ctx.change_ending())?;
    ctx.say(ctx.t("cancel-done")).await?;
    Ok(true)
}

/// The client confirmed: the fleet claims, gates and notifies in one durable write.
pub async fn tap_confirm(ctx: &Ctx, contact_id: u64, name: &str, message: &Message) -> anyhow::Result<bool> {
    let app = &ctx.app;
    let Some(contact) = app.store.contact(contact_id)? else {
        return Ok(false);
    };
    let key = match approval::confirm(app, contact_id, name, ctx.actor()).await {
        Ok(Gate::Waitlisted) => "request-waitlisted",
        Ok(Gate::Review) => "request-pending",
        Ok(Gate::Approved { .. }) => "request-approved",
        Err(ConfirmError::NameTaken(_)) => {
            app.commit(&ctx.change_to(&State::Name { contact_id }))?;
            say_taken(ctx, contact_id, name).await?;
            return Ok(true);
        }
        Err(ConfirmError::EmailTaken) => {
            ctx.say(ctx.t("email-taken")).await?;
            return Ok(true);
        }
        Err(e) => return Err(e.into()),
    };
    ctx.settle(message.id, &summary(ctx, &contact, name), &ctx.t("button-confirm")).await;
    ctx.say(ctx.t_args(key, &[("name", name.into())])).await?;
    Ok(true)
}

/// What is wrong with a name, as a locale key (its text takes `$name`).
pub fn problem_key(problem: NameProblem) -> &'static str {
    match problem {
        NameProblem::Length => "name-length",
        NameProblem::Characters => "name-characters",
        NameProblem::Hyphen => "name-hyphen",
        NameProblem::Reserved => "name-reserved",
    }
}
