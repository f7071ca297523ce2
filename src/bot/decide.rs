//! A master deciding a client's request in the chat: [✅ Approve] is one tap; [❌ Reject] asks
//! once more — type the reason the client will read, or [❌ Reject without a reason], or [↩️ Keep
//! waiting] — so a slip of the thumb is not final. `/approve` and `/reject` without an id list the
//! requests waiting, as buttons. Every outcome and refusal is said in plain words.

use super::ctx::keyboard;
use super::{Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::callback::MasterTap;
use crate::domain::{Actor, ContactState};
use crate::fleet::approval::{self, DecideError};
use crate::fleet::people;
use std::sync::Arc;
use teloxide::prelude::*;

/// What went wrong, in words a master reads.
pub fn error_text(ctx: &Ctx, id: u64, e: DecideError) -> anyhow::Result<String> {
    let id_arg = ("id", (id as i64).into());
    Ok(match e {
        DecideError::NotFound(_) => ctx.t_args("decide-not-found", &[id_arg]),
        DecideError::NotPending(_, state) => {
            let state = people::state_label(&ctx.tr(), state);
            ctx.t_args("decide-not-pending", &[id_arg, ("state", state.as_str().into())])
        }
        DecideError::AlreadyDecided(d) => {
            let key = if d.approved { "decide-already-approved" } else { "decide-already-rejected" };
            let by = d.by.to_string();
            let at = d.at.format("%Y-%m-%d %H:%M UTC").to_string();
            ctx.t_args(key, &[id_arg, ("by", by.as_str().into()), ("at", at.as_str().into())])
        }
        DecideError::NameTaken(name) => ctx.t_args("decide-name-taken", &[("name", (&name).into())]),
        e @ (DecideError::Store(_) | DecideError::Transition(_)) => return Err(e.into()),
    })
}

pub async fn approve(ctx: &Ctx, id: u64) -> anyhow::Result<String> {
    match approval::approve(&ctx.app, id, Actor::Master(ctx.user_id)).await {
        Ok(_) => Ok(ctx.t_args("master-approved", &[("id", (id as i64).into())])),
        Err(e) => error_text(ctx, id, e),
    }
}

async fn reject(ctx: &Ctx, id: u64, reason: Option<String>) -> anyhow::Result<String> {
    let with_reason = reason.is_some();
    match approval::reject(&ctx.app, id, Actor::Master(ctx.user_id), reason).await {
        Ok(()) if with_reason => Ok(ctx.t_args("master-rejected-reason", &[("id", (id as i64).into())])),
        Ok(()) => Ok(ctx.t_args("master-rejected", &[("id", (id as i64).into())])),
        Err(e) => error_text(ctx, id, e),
    }
}

/// `[❌ Reject]`, or `/reject <id>` without a reason: asks, and waits for a reason. `None` when
/// it asked; otherwise why it could not (the request is not waiting).
pub async fn ask_reject(ctx: &Ctx, id: u64) -> anyhow::Result<Option<String>> {
    let Some(c) = ctx.app.store.contact(id)? else {
        return error_text(ctx, id, DecideError::NotFound(id)).map(Some);
    };
    if let Some(d) = ctx.app.store.decision(id)? {
        return error_text(ctx, id, DecideError::AlreadyDecided(d)).map(Some);
    }
    if !matches!(c.state, ContactState::PendingReview | ContactState::Waitlisted) {
        return error_text(ctx, id, DecideError::NotPending(id, c.state)).map(Some);
    }
    ctx.app.commit(&ctx.change_to(&State::RejectReason { contact_id: id }))?;
    let who = people::who(&ctx.app, &ctx.tr(), &c);
    let rows = vec![
        vec![(ctx.t("button-reject-now"), MasterTap::RejectNow(id).data())],
        vec![(ctx.t("button-keep-waiting"), MasterTap::KeepWaiting(id).data())],
    ];
    ctx.ask(ctx.t_args("reject-ask", &[("who", who.as_str().into())]), keyboard(rows)).await?;
    Ok(None)
}

/// `[❌ Reject without a reason]` under the question.
pub async fn reject_now(ctx: &Ctx, id: u64, question: &Message) -> anyhow::Result<String> {
    leave_reason_step(ctx, id).await?;
    let reply = reject(ctx, id, None).await?;
    ctx.settle(question.id, question.text().unwrap_or_default(), &reply).await;
    Ok(reply)
}

/// `[↩️ Keep waiting]`: nothing is decided.
pub async fn keep_waiting(ctx: &Ctx, id: u64, question: &Message) -> anyhow::Result<String> {
    leave_reason_step(ctx, id).await?;
    let reply = ctx.t_args("reject-kept", &[("id", (id as i64).into())]);
    ctx.settle(question.id, question.text().unwrap_or_default(), &reply).await;
    Ok(reply)
}

async fn leave_reason_step(ctx: &Ctx, id: u64) -> anyhow::Result<()> {
    if ctx.app.store.dialogue::<State>(ctx.chat.0)? == Some(State::RejectReason { contact_id: id }) {
        ctx.app.commit(&ctx.change_ending())?;
    }
    Ok(())
}

/// The reason typed after `[❌ Reject]`: the request is rejected and the client reads it.
pub async fn receive_reason(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        ctx.say(ctx.t("reject-reason-not-text")).await?;
        return Ok(());
    };
    let reason: String = text.chars().take(500).collect();
    app.commit(&ctx.change_ending())?;
    let reply = reject(&ctx, contact_id, Some(reason)).await?;
    ctx.say(reply).await?;
    Ok(())
}

/// `/reject [id] [reason]`.
pub async fn reject_command(ctx: &Ctx, args: &str) -> anyhow::Result<Option<String>> {
    let (id, reason) = args.trim().split_once(' ').map_or((args.trim(), ""), |(a, b)| (a, b.trim()));
    if id.is_empty() {
        pick(ctx, false).await?;
        return Ok(None);
    }
    let Some(id) = parse_id(id) else { return Ok(Some(ctx.t("master-usage-reject"))) };
    if reason.is_empty() {
        // When it asked, the question is the answer; otherwise say why not.
        return ask_reject(ctx, id).await;
    }
    Ok(Some(reject(ctx, id, Some(reason.to_string())).await?))
}

/// `/approve [id]`.
pub async fn approve_command(ctx: &Ctx, args: &str) -> anyhow::Result<Option<String>> {
    if args.trim().is_empty() {
        pick(ctx, true).await?;
        return Ok(None);
    }
    match parse_id(args) {
        Some(id) => Ok(Some(approve(ctx, id).await?)),
        None => Ok(Some(ctx.t("master-usage-approve"))),
    }
}

/// The requests waiting, one button each.
async fn pick(ctx: &Ctx, approving: bool) -> HandlerResult {
    let mut waiting = ctx.app.store.contacts_in(ContactState::PendingReview)?;
    waiting.extend(ctx.app.store.contacts_in(ContactState::Waitlisted)?);
    if waiting.is_empty() {
        ctx.say(ctx.t("pick-no-requests")).await?;
        return Ok(());
    }
    let rows = waiting
        .iter()
        .take(20)
        .map(|c| {
            let name = c.agent_name.as_deref().unwrap_or("?");
            let (label, tap) = if approving {
                (format!("✅ #{} {name} · {}", c.id, c.email), MasterTap::Approve(c.id))
            } else {
                (format!("❌ #{} {name} · {}", c.id, c.email), MasterTap::Reject(c.id))
            };
            vec![(label, tap.data())]
        })
        .collect();
    let key = if approving { "pick-approve" } else { "pick-reject" };
    ctx.ask(ctx.t(key), keyboard(rows)).await?;
    Ok(())
}

pub fn parse_id(s: &str) -> Option<u64> {
    s.trim().trim_start_matches('#').parse().ok()
}
