//! Steps 5 and 6: the agent's name, then the summary the client confirms. Confirming claims the
//! name and the email, moves the contact to `name_chosen` and through the gate (`waitlisted` when
//! `M2O_CAPACITY` is reached, `pending_review` otherwise) and queues the masters' notification, all
//! in one durable write.

use super::ctx::keyboard;
use super::master::MasterTap;
use super::taps::Tap;
use super::{token, Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::name::{self, NameProblem};
use crate::domain::Actor;
use crate::domain::{Contact, ContactState};
use crate::fleet::approval;
use crate::store::{AuditEntry, Guard, OutboxItem, StoreError};
use std::sync::Arc;
use teloxide::prelude::*;

pub async fn prompt_name(ctx: &Ctx, contact: &Contact) -> HandlerResult {
    let suggestion = token::name_from_username(contact).filter(|s| name_ok(ctx, contact.id, s).unwrap_or(false));
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
    ctx.app.store.name_free(candidate, contact_id).unwrap_or(false)
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
        let key = match problem {
            NameProblem::Length => "name-length",
            NameProblem::Characters => "name-characters",
            NameProblem::Hyphen => "name-hyphen",
            NameProblem::Reserved => "name-reserved",
        };
        ctx.say(ctx.t_args(key, &[("name", candidate.into())])).await?;
        return Ok(());
    }
    if !is_free(ctx, contact_id, candidate) {
        return say_taken(ctx, contact_id, candidate).await;
    }
    let Some(contact) = ctx.app.store.contact(contact_id)? else {
        return Ok(());
    };
    ctx.app.store.commit(&ctx.change_to(&State::Confirm { contact_id, name: candidate.to_string() }))?;
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
    ctx.app.store.commit(&ctx.change_to(&State::Name { contact_id }))?;
    prompt_name(ctx, &contact).await?;
    Ok(true)
}

pub async fn tap_cancel(ctx: &Ctx, message: &Message) -> anyhow::Result<bool> {
    ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-cancel")).await;
    ctx.app.store.commit(&ctx.change_ending())?;
    ctx.say(ctx.t("cancel-done")).await?;
    Ok(true)
}

/// The client confirmed: claim, gate, notify — in one durable write.
pub async fn tap_confirm(ctx: &Ctx, contact_id: u64, name: &str, message: &Message) -> anyhow::Result<bool> {
    let app = &ctx.app;
    let Some(mut c) = app.store.contact(contact_id)? else {
        return Ok(false);
    };
    let now = ctx.now();
    let mut change = ctx.change_ending();
    let from = c.move_to(ContactState::NameChosen, now)?;
    change.audit.push(AuditEntry::transition(
        now,
        ctx.actor(),
        contact_id,
        from,
        c.state,
        &format!("confirmed agent name {name}"),
    ));
    c.agent_name = Some(name.to_string());
    let full = match app.config.capacity {
        Some(cap) => app.store.capacity_used()? >= cap,
        None => false,
    };
    // The gate (§4c, §7.7): capacity first; then a master's review only when M2O_REVIEW_ALL asks for
    // it, since a qualified contact with a verified email and a working token meets the auto rule.
    let gate = if full {
        Gate::Waitlisted
    } else if app.config.review_all {
        Gate::Review
    } else {
        Gate::Auto
    };
    change.guards = vec![
        Guard::ContactIn(contact_id, ContactState::TokenValidated),
        Guard::NameFree { name: name.to_string(), for_contact: contact_id },
        Guard::EmailFree { email: c.email.clone(), for_contact: contact_id },
    ];
    change.claim_name = Some((name.to_string(), contact_id));
    change.index_email = Some((c.email.clone(), contact_id));
    let mut job = None;
    match gate {
        Gate::Waitlisted | Gate::Review => {
            let (to, why) = if gate == Gate::Waitlisted {
                (ContactState::Waitlisted, "capacity reached")
            } else {
                (ContactState::PendingReview, "waiting for a master's review (M2O_REVIEW_ALL)")
            };
            let from = c.move_to(to, now)?;
            change.audit.push(AuditEntry::transition(now, Actor::System, contact_id, from, to, why));
            let (text, buttons) = master_notice(app, &c);
            change.outbox = OutboxItem::to_each(&app.config.master_ids, &text, &buttons, Some(contact_id));
            change.contact = Some(c.clone());
        }
        Gate::Auto => {
            let why = "auto-approved: qualified, email verified, token valid";
            job = Some(approval::approve_into(app, &mut change, c.clone(), Actor::System, now, why)?);
        }
    }
    match app.store.commit_durable(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Guard::NameFree { .. })) => {
            app.store.commit(&ctx.change_to(&State::Name { contact_id }))?;
            say_taken(ctx, contact_id, name).await?;
            return Ok(true);
        }
        Err(StoreError::Conflict(Guard::EmailFree { .. })) => {
            ctx.say(ctx.t("email-taken")).await?;
            return Ok(true);
        }
        Err(e) => return Err(e.into()),
    }
    app.outbox_ready.notify_one();
    ctx.settle(message.id, &summary(ctx, &c, name), &ctx.t("button-confirm")).await;
    if let Some(job) = job {
        crate::fleet::jobs::start(app.clone(), job);
    }
    let key = match gate {
        Gate::Waitlisted => "request-waitlisted",
        Gate::Review => "request-pending",
        Gate::Auto => "request-approved",
    };
    ctx.say(ctx.t_args(key, &[("name", name.into())])).await?;
    Ok(true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Waitlisted,
    Review,
    Auto,
}

/// What each master is told about a request waiting for them, with [Approve] [Reject].
fn master_notice(app: &App, c: &Contact) -> (String, Vec<Vec<(String, String)>>) {
    let tr = app.content.i18n.tr("en");
    let buttons = vec![vec![
        (tr.t("button-approve"), MasterTap::Approve(c.id).data()),
        (tr.t("button-reject"), MasterTap::Reject(c.id).data()),
    ]];
    (master_note(app, c), buttons)
}

/// The request's summary for the masters (masters read English).
fn master_note(app: &App, c: &Contact) -> String {
    let tr = app.content.i18n.tr("en");
    let bot = c.bot.as_ref().map(|b| b.username.as_str()).unwrap_or_default();
    let score = c.score.unwrap_or_default();
    let name = c.agent_name.clone().unwrap_or_default();
    let key = if c.state == ContactState::Waitlisted { "master-request-waitlisted" } else { "master-request-pending" };
    tr.t_args(
        key,
        &[
            ("id", (c.id as i64).into()),
            ("name", (&name).into()),
            ("email", (&c.email).into()),
            ("bot", bot.into()),
            ("timezone", c.timezone.as_deref().unwrap_or("UTC").into()),
            ("score", score.into()),
        ],
    )
}
