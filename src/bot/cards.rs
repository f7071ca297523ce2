//! Cards a master acts from, and the pick-lists a command shows without its argument: one agent
//! (`/agent NAME`) with [🔑 New token] [🗑 Destroy] [👤 Owner]; one person (`/lead ID|EMAIL`) with
//! what can be done for them. Destructive buttons ask first.

use super::ctx::keyboard;
use super::{views, Ctx, HandlerResult};
use crate::domain::agent::AgentState;
use crate::domain::callback::MasterTap;
use crate::domain::line::LineFrom;
use crate::domain::{Actor, Contact, ContactState};
use crate::fleet::leads::{self, QualifyError};
use crate::fleet::people;
use crate::fleet::tokens::TokenError;
use teloxide::prelude::*;

/// A person by `#12`, `12` or their email.
pub fn find(ctx: &Ctx, arg: &str) -> anyhow::Result<Option<Contact>> {
    if let Some(id) = super::decide::parse_id(arg) {
        return Ok(ctx.app.store.contact(id)?);
    }
    match crate::domain::email::normalize(arg.trim()) {
        Some(email) => Ok(ctx.app.store.contact_by_email(&email)?),
        None => Ok(None),
    }
}

/// Buttons, one per row, under a question.
async fn pick(ctx: &Ctx, key: &str, empty_key: &str, rows: Vec<(String, String)>) -> HandlerResult {
    if rows.is_empty() {
        ctx.say(ctx.t(empty_key)).await?;
    } else {
        ctx.ask(ctx.t(key), keyboard(rows.into_iter().take(30).map(|b| vec![b]).collect())).await?;
    }
    Ok(())
}

fn agent_names(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let mut agents: Vec<_> = ctx.app.store.agents()?.into_iter().filter(|a| a.state != AgentState::Destroyed).collect();
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(agents.into_iter().map(|a| a.name).collect())
}

/// `/agent [name]`.
pub async fn agent_command(ctx: &Ctx, arg: &str) -> HandlerResult {
    let name = arg.trim().to_lowercase();
    if name.is_empty() {
        let rows = agent_names(ctx)?.into_iter().map(|n| (n.clone(), MasterTap::Agent(n).data())).collect();
        return pick(ctx, "pick-agent", "master-fleet-empty", rows).await;
    }
    agent_card(ctx, &name).await
}

pub async fn agent_card(ctx: &Ctx, name: &str) -> HandlerResult {
    let text = views::agent(ctx, name)?;
    let Some(a) = ctx.app.store.agent(name)?.filter(|a| a.state != AgentState::Destroyed) else {
        ctx.say(text).await?;
        return Ok(());
    };
    let mut rows = vec![vec![
        (ctx.t("button-new-token"), MasterTap::TokenAsk(a.name.clone()).data()),
        (ctx.t("button-destroy-ask"), MasterTap::DestroyAsk(a.name.clone()).data()),
    ]];
    if let Some(owner) = a.contact_id {
        rows.push(vec![(ctx.t("button-owner"), MasterTap::Lead(owner).data())]);
    }
    ctx.ask(text, keyboard(rows)).await?;
    Ok(())
}

/// `/destroy [name]`.
pub async fn destroy_command(ctx: &Ctx, arg: &str) -> anyhow::Result<Option<String>> {
    let name = arg.trim().to_lowercase();
    if name.is_empty() {
        let rows = agent_names(ctx)?.into_iter().map(|n| (format!("🗑 {n}"), MasterTap::DestroyAsk(n).data())).collect();
        pick(ctx, "pick-destroy", "master-fleet-empty", rows).await?;
        return Ok(None);
    }
    destroy_ask(ctx, &name).await
}

/// Asks before destroying: `None` when it asked, otherwise why not.
pub async fn destroy_ask(ctx: &Ctx, name: &str) -> anyhow::Result<Option<String>> {
    match ctx.app.store.agent(name)? {
        Some(a) if a.state != AgentState::Destroyed => {
            let text = ctx.t_args("master-destroy-ask", &[("name", name.into()), ("owner", (&a.owner_label).into())]);
            let label = ctx.t_args("button-destroy", &[("name", name.into())]);
            ctx.ask(text, keyboard(vec![vec![(label, MasterTap::Destroy(name.to_string()).data())]])).await?;
            Ok(None)
        }
        _ => Ok(Some(ctx.t_args("master-no-such-agent", &[("name", name.into())]))),
    }
}

/// `/token [name]`.
pub async fn token_command(ctx: &Ctx, arg: &str) -> anyhow::Result<Option<String>> {
    let name = arg.trim().to_lowercase();
    if name.is_empty() {
        let rows = agent_names(ctx)?.into_iter().map(|n| (format!("🔑 {n}"), MasterTap::TokenAsk(n).data())).collect();
        pick(ctx, "pick-token", "master-fleet-empty", rows).await?;
        return Ok(None);
    }
    token_ask(ctx, &name).await
}

/// Asks before rotating (the agent's current token stops working at once): `None` when it asked,
/// otherwise why not.
pub async fn token_ask(ctx: &Ctx, name: &str) -> anyhow::Result<Option<String>> {
    if ctx.app.store.agent(name)?.filter(|a| a.state != AgentState::Destroyed).is_none() {
        return Ok(Some(ctx.t_args("master-no-such-agent", &[("name", name.into())])));
    }
    let rows = vec![vec![(ctx.t("button-rotate-now"), MasterTap::TokenNow(name.to_string()).data())]];
    ctx.ask(ctx.t_args("token-ask", &[("name", name.into())]), keyboard(rows)).await?;
    Ok(None)
}

/// `[🔑 Rotate now]`: the new token, shown once.
pub async fn token_now(ctx: &Ctx, name: &str, question: &Message) -> anyhow::Result<String> {
    match crate::fleet::tokens::rotate_api_token(&ctx.app, name, Actor::Master(ctx.user_id)).await {
        Ok(token) => {
            ctx.settle(question.id, question.text().unwrap_or_default(), &ctx.t("button-rotate-now")).await;
            ctx.say(ctx.t_args("master-token-rotated", &[("name", name.into()), ("token", (&token).into())])).await?;
            Ok(ctx.t("token-rotated-toast"))
        }
        Err(TokenError::NoSuchAgent(_)) => Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())])),
        Err(e) => Err(e.into()),
    }
}

/// `/lead [id|email]`.
pub async fn lead_command(ctx: &Ctx, arg: &str) -> HandlerResult {
    if arg.trim().is_empty() {
        let mut recent = Vec::new();
        for state in ContactState::ALL {
            recent.extend(ctx.app.store.contacts_in(state)?);
        }
        recent.sort_by_key(|c| std::cmp::Reverse(c.updated_at));
        let rows =
            recent.iter().take(15).map(|c| (format!("#{} {}", c.id, c.email), MasterTap::Lead(c.id).data())).collect();
        return pick(ctx, "pick-lead", "pick-no-leads", rows).await;
    }
    match find(ctx, arg)? {
        Some(c) => lead_card(ctx, &c).await,
        None => {
            ctx.say(ctx.t_args("master-no-such-person", &[("who", arg.trim().into())])).await?;
            Ok(())
        }
    }
}

/// One person: who, since when, their last messages on the line, and what can be done for them.
pub async fn lead_card(ctx: &Ctx, c: &Contact) -> HandlerResult {
    let tr = ctx.tr();
    let mut text = ctx.t_args(
        "lead-card",
        &[
            ("who", people::who(&ctx.app, &tr, c).as_str().into()),
            ("created", c.created_at.format("%Y-%m-%d").to_string().as_str().into()),
            ("updated", c.updated_at.format("%Y-%m-%d %H:%M UTC").to_string().as_str().into()),
            ("bot", c.bot.as_ref().map(|b| format!("@{}", b.username)).unwrap_or_else(|| "—".into()).as_str().into()),
            ("timezone", c.timezone.as_deref().unwrap_or("—").into()),
        ],
    );
    let line = ctx.app.store.line(c.id)?;
    for e in line.iter().rev().take(5).rev() {
        let who = match e.from {
            LineFrom::Client => "›".to_string(),
            LineFrom::Master(id) => format!("↩️ {}:", Actor::Master(id)),
        };
        let short: String = e.text.chars().take(200).collect();
        text.push_str(&format!("\n{} {who} {short}", e.at.format("%m-%d %H:%M")));
    }
    let mut row = Vec::new();
    match c.state {
        ContactState::ContactTrack => row.extend(crate::fleet::buttons::qualify(&tr, c.id)),
        ContactState::PendingReview | ContactState::Waitlisted => row.extend(crate::fleet::buttons::request(&tr, c.id)),
        _ => {}
    }
    if leads::is_stalled(c, ctx.now()) && c.nudged_at.is_none() && !c.nurture_stopped {
        row.push((ctx.t_args("button-nudge", &[("id", (c.id as i64).into())]), MasterTap::Nudge(c.id).data()));
    }
    row.push((ctx.t("button-reply"), MasterTap::Reply(c.id).data()));
    ctx.ask(text, keyboard(vec![row])).await?;
    Ok(())
}

/// `/qualify [id|email]`.
pub async fn qualify_command(ctx: &Ctx, arg: &str) -> anyhow::Result<Option<String>> {
    if arg.trim().is_empty() {
        let tr = ctx.tr();
        let rows = ctx
            .app
            .store
            .contacts_in(ContactState::ContactTrack)?
            .iter()
            .map(|c| {
                let label = tr.t_args("button-qualify", &[("id", (c.id as i64).into())]);
                (format!("{label} · {}", c.email), MasterTap::Qualify(c.id).data())
            })
            .collect();
        pick(ctx, "pick-qualify", "pick-no-track", rows).await?;
        return Ok(None);
    }
    match find(ctx, arg)? {
        Some(c) => Ok(Some(qualify(ctx, c.id)?)),
        None => Ok(Some(ctx.t_args("master-no-such-person", &[("who", arg.trim().into())]))),
    }
}

/// `/qualify` and `[Qualify]`.
pub fn qualify(ctx: &Ctx, contact_id: u64) -> anyhow::Result<String> {
    Ok(match leads::qualify(&ctx.app, contact_id, Actor::Master(ctx.user_id)) {
        Ok(c) => ctx.t_args("master-qualified", &[("email", (&c.email).into())]),
        Err(QualifyError::NotFound(id)) => {
            ctx.t_args("master-no-such-person", &[("who", format!("#{id}").as_str().into())])
        }
        Err(QualifyError::NotContactTrack(email, state)) => {
            let state = people::state_label(&ctx.tr(), state);
            ctx.t_args("master-not-contact-track", &[("email", (&email).into()), ("state", state.as_str().into())])
        }
        Err(e) => return Err(e.into()),
    })
}
