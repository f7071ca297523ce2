//! Going live: the agent and its client move to `live`, the masters hear "⚡ {name} is online", the
//! client gets a welcome email and a message **from their new bot**. A bot cannot message someone
//! who never pressed Start in it (Telegram answers 403), so then the onboarding chat asks the
//! client to open `t.me/<bot>`, press Start and tap [Done], and the greeting is sent again.

use super::jobs;
use crate::app::App;
use crate::domain::agent::{Agent, AgentState, Job, JobState};
use crate::domain::{Actor, ContactState};
use crate::services::telegram::{bot_for, error_kind};
use crate::store::{AuditEntry, Change, OutboxItem, Outgoing};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

/// The agent said it is online (`POST /v1/agents/{name}/online`) while still `provisioning`: its
/// job is over whatever step it was waiting in, and it goes live.
pub async fn reported_online(app: &Arc<App>, agent: Agent) -> anyhow::Result<()> {
    if let Some(task) = app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).remove(&agent.job_id) {
        task.abort();
    }
    let job = match app.store.job(agent.job_id)? {
        Some(j) => j,
        None => super::approval::new_job(agent.job_id, &agent.name, app.clock.now()),
    };
    go_live(app, job, agent).await
}

pub async fn go_live(app: &Arc<App>, mut job: Job, mut agent: Agent) -> anyhow::Result<()> {
    let now = app.clock.now();
    job.state = JobState::Done;
    agent.state = AgentState::Live;
    agent.last_event = "online".into();
    agent.updated_at = now;
    agent.live_at = Some(now);
    let mut change = Change::default();
    if let Some(mut contact) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
        if contact.state == ContactState::Degraded {
            let from = contact.move_to(ContactState::Active, now)?;
            let why = "redeployed with a new bot token";
            change.audit.push(AuditEntry::transition(now, Actor::System, contact.id, from, ContactState::Active, why));
            change.contact = Some(contact);
        } else if contact.state == ContactState::Provisioning {
            let from = contact.move_to(ContactState::Live, now)?;
            change.audit.push(AuditEntry::transition(
                now,
                Actor::System,
                contact.id,
                from,
                ContactState::Live,
                "deployment finished",
            ));
            let tr = app.content.i18n.tr(&contact.lang);
            let link = format!("https://t.me/{}", agent.bot_username);
            change.outbox.push(OutboxItem::new(Outgoing::Email {
                to: contact.email.clone(),
                subject: tr.t_args("mail-welcome-subject", &[("name", (&agent.name).into())]),
                text: tr.t_args("mail-welcome-body", &[("name", (&agent.name).into()), ("link", (&link).into())]),
            }));
            change.contact = Some(contact);
        }
    }
    for m in &app.config.master_ids {
        let text = app.master_tr().t_args("master-agent-online", &[("name", (&agent.name).into())]);
        change.outbox.push(OutboxItem::telegram(*m, text));
    }
    change.outbox.push(OutboxItem::new(Outgoing::Greeting { agent: agent.name.clone() }));
    change.job = Some(job.clone());
    change.agent = Some(agent);
    app.store.commit_durable(&change).await?;
    app.outbox_ready.notify_one();
    jobs::refresh_progress(app, &job).await;
    Ok(())
}

/// What greeting the owner from their bot came to.
pub enum Greeting {
    Sent,
    /// They never pressed Start in their bot; asked to.
    NeedsStart,
    Failed(String),
}

/// Sends "⚡ Your agent {name} is live" from the agent's own bot to its owner.
pub async fn greet(app: &App, name: &str) -> Greeting {
    let agent = match app.store.agent(name) {
        Ok(Some(a)) => a,
        Ok(None) => return Greeting::Failed(format!("no agent {name}")),
        Err(e) => return Greeting::Failed(e.to_string()),
    };
    let token = match app.secrets.open(&agent.token_sealed).ok().and_then(|t| crate::domain::token::BotToken::parse(&t))
    {
        Some(t) => t,
        None => return Greeting::Failed("the agent's token cannot be opened".into()),
    };
    let tr = app.content.i18n.tr(&owner_lang(app, &agent));
    let text = tr.t_args("live-greeting", &[("name", name.into())]);
    match bot_for(&app.http, &app.config.api_url, &token).send_message(ChatId(agent.owner_user_id), text).await {
        Ok(_) => Greeting::Sent,
        Err(e) if never_started(&e) => Greeting::NeedsStart,
        Err(e) => Greeting::Failed(error_kind(&e)),
    }
}

fn never_started(e: &RequestError) -> bool {
    match e {
        RequestError::Api(ApiError::BotBlocked | ApiError::CantInitiateConversation) => true,
        // teloxide does not know every 403 wording; Telegram's are all "Forbidden: …".
        RequestError::Api(ApiError::Unknown(text)) => text.starts_with("Forbidden"),
        _ => false,
    }
}

fn owner_lang(app: &App, agent: &Agent) -> String {
    agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()).map(|c| c.lang).unwrap_or_else(|| "en".into())
}

/// The outbox's attempt at a greeting: on a 403 the owner is asked, in the onboarding chat, to
/// press Start and tap [Done].
pub async fn deliver_greeting(app: &App, name: &str) -> crate::bot::delivery::Attempt {
    use crate::bot::delivery::Attempt as O;
    match greet(app, name).await {
        Greeting::Sent => O::Done,
        Greeting::NeedsStart => {
            let Ok(Some(agent)) = app.store.agent(name) else { return O::Drop(format!("no agent {name}")) };
            let tr = app.content.i18n.tr(&owner_lang(app, &agent));
            let text = tr.t_args("live-press-start", &[("bot", (&agent.bot_username).into()), ("name", name.into())]);
            let buttons = crate::bot::ctx::keyboard(vec![vec![(tr.t("button-done"), format!("dn:{name}"))]]);
            match app.bot().send_message(ChatId(agent.owner_user_id), text).reply_markup(buttons).await {
                Ok(_) => O::Done,
                Err(e) => O::Retry(error_kind(&e)),
            }
        }
        Greeting::Failed(why) => O::Retry(why),
    }
}
