//! Agents going live and staying in touch. An agent reports `online` when it boots (the
//! bootstrap's last step, spec §3.4 step 8) and sends heartbeats. The first `online` after a
//! deployment takes it live: the agent and its client move to `live`, the masters hear "⚡ {name} is
//! online", the client gets a welcome email and a message **from their new bot**. A bot cannot
//! message someone who never pressed Start in it (Telegram answers 403), so then the onboarding
//! chat asks the client to open `t.me/<bot>`, press Start and tap `[Done]`, and the greeting is sent
//! again.

use super::{buttons, progress, Attempt};
use crate::app::App;
use crate::domain::agent::{Agent, AgentState, Job, JobState};
use crate::domain::{Actor, ContactState};
use crate::services::notifier::{Notifier, SendError};
use crate::store::{AuditEntry, Change, OutboxItem, Outgoing, StoreError};
use std::sync::Arc;

/// The agent booted (`POST /v1/agents/{name}/online`), optionally telling us where to POST
/// decisions. A deployed agent goes live; a live one that restarted is noted.
pub async fn online(app: &Arc<App>, mut agent: Agent, callback_url: Option<String>) -> anyhow::Result<()> {
    let now = app.clock.now();
    agent.callback_url = callback_url.or(agent.callback_url);
    agent.heartbeat_at = Some(now);
    if agent.state == AgentState::Provisioning {
        // Its job is over, whatever step it was waiting in.
        if let Some(task) = app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).remove(&agent.job_id) {
            task.abort();
        }
        let job = match app.store.job(agent.job_id)? {
            Some(j) => j,
            None => Job::new(agent.job_id, &agent.name, now),
        };
        return go_live(app, job, agent).await;
    }
    agent.last_event = "online again (restarted)".into();
    agent.updated_at = now;
    app.commit(&Change { agent: Some(agent), ..Change::default() })?;
    Ok(())
}

/// What the agent says it is doing (the brief's HAPPENING) and when it last spoke (the fleet
/// line's colour).
pub fn heartbeat(app: &App, mut agent: Agent, doing: Option<String>, card: Option<String>) -> Result<(), StoreError> {
    agent.heartbeat_at = Some(app.clock.now());
    agent.doing = doing;
    agent.card = card;
    app.commit(&Change { agent: Some(agent), ..Change::default() })
}

/// The job is done: the agent (and its client) go live, with everything that follows queued in
/// the same durable write.
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
    let text = app.master_tr().t_args("master-agent-online", &[("name", (&agent.name).into())]);
    change.outbox.extend(OutboxItem::to_each(&app.config.master_ids, &text, &[], None));
    change.outbox.push(OutboxItem::new(Outgoing::Greeting { agent: agent.name.clone() }));
    change.job = Some(job.clone());
    change.agent = Some(agent);
    app.commit_durable(&change).await?;
    progress::refresh(app, &job).await;
    Ok(())
}

/// What greeting the owner from their bot came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    Sent,
    /// They never pressed Start in their bot (or blocked it).
    NeedsStart,
    Failed(String),
}

/// Sends "⚡ Your agent {name} is live" from the agent's own bot to its owner.
pub async fn greet(app: &App, notifier: &dyn Notifier, name: &str) -> Greeting {
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
    match notifier.send_from(&token, agent.owner_user_id, &text).await {
        Ok(_) => Greeting::Sent,
        Err(SendError::NotStarted | SendError::Unreachable(_)) => Greeting::NeedsStart,
        Err(e) => Greeting::Failed(e.to_string()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DoneError {
    #[error("there is no agent {0}")]
    NoSuchAgent(String),
    /// Only the agent's owner may say they pressed Start in its bot.
    #[error("{0} is not this agent's owner")]
    NotOwner(i64),
}

/// The owner tapped `[Done]` after pressing Start in their bot: greet them from it now.
pub async fn owner_started(app: &App, name: &str, user: i64) -> Result<Greeting, DoneError> {
    let agent = app.store.agent(name).ok().flatten().ok_or_else(|| DoneError::NoSuchAgent(name.to_string()))?;
    if agent.owner_user_id != user {
        return Err(DoneError::NotOwner(user));
    }
    Ok(greet(app, app.notifier.as_ref(), name).await)
}

fn owner_lang(app: &App, agent: &Agent) -> String {
    agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()).map(|c| c.lang).unwrap_or_else(|| "en".into())
}

/// The outbox's attempt at a greeting: when the owner has not pressed Start in their bot they are
/// asked to, in the onboarding chat, with `[Done]`.
pub async fn deliver_greeting(app: &App, notifier: &dyn Notifier, name: &str) -> Attempt {
    match greet(app, notifier, name).await {
        Greeting::Sent => Attempt::Done,
        Greeting::NeedsStart => {
            let Ok(Some(agent)) = app.store.agent(name) else { return Attempt::Drop(format!("no agent {name}")) };
            let tr = app.content.i18n.tr(&owner_lang(app, &agent));
            let text = tr.t_args("live-press-start", &[("bot", (&agent.bot_username).into()), ("name", name.into())]);
            let open = tr.t_args("button-open-bot", &[("bot", (&agent.bot_username).into())]);
            let buttons =
                [vec![(open, crate::services::telegram::t_me(&agent.bot_username))], buttons::done(&tr, name)];
            match notifier.send(agent.owner_user_id, &text, &buttons).await {
                Ok(_) => Attempt::Done,
                Err(SendError::Unreachable(why)) => Attempt::Drop(why),
                Err(e) => Attempt::Retry(e.to_string()),
            }
        }
        Greeting::Failed(why) => Attempt::Retry(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::testing::{Fixture, MASTER};

    /// A deployed agent (its job waiting for it to report online), as Coolify would leave it.
    async fn deployed(f: &Fixture) -> Agent {
        let (_, token) = f.bot("peter_agent_bot");
        crate::fleet::spawn::spawn(&f.app, MASTER, "peter", &token).await.unwrap();
        f.eventually("live", |app| {
            app.store.agent("peter").ok().flatten().is_some_and(|a| a.state == AgentState::Live)
        })
        .await;
        let mut agent = f.app.store.agent("peter").unwrap().unwrap();
        agent.state = AgentState::Provisioning;
        let mut job = f.app.store.job(agent.job_id).unwrap().unwrap();
        job.state = JobState::Deployed;
        f.app.commit(&Change { agent: Some(agent.clone()), job: Some(job), ..Change::default() }).unwrap();
        agent
    }

    #[tokio::test]
    async fn online_takes_a_deployed_agent_live_once_then_notes_restarts() {
        let f = Fixture::new().await;
        let agent = deployed(&f).await;
        let before = f.queued_for(MASTER).len();
        online(&f.app, agent, Some("http://peter:9000/decisions".into())).await.unwrap();
        let agent = f.app.store.agent("peter").unwrap().unwrap();
        assert_eq!(agent.state, AgentState::Live);
        assert_eq!(agent.callback_url.as_deref(), Some("http://peter:9000/decisions"));
        assert_eq!(f.app.store.job(agent.job_id).unwrap().unwrap().state, JobState::Done);
        let masters = f.queued_for(MASTER);
        assert_eq!(masters.len(), before + 1, "{masters:?}");
        assert!(masters.last().unwrap().contains("peter is online"));

        online(&f.app, agent, None).await.unwrap();
        let agent = f.app.store.agent("peter").unwrap().unwrap();
        assert_eq!(agent.last_event, "online again (restarted)");
        assert_eq!(agent.callback_url.as_deref(), Some("http://peter:9000/decisions"), "kept");
        assert_eq!(f.queued_for(MASTER).len(), before + 1, "no second \"online\" for the masters");
    }

    #[tokio::test]
    async fn a_heartbeat_is_stored_by_the_clock() {
        let f = Fixture::new().await;
        let agent = deployed(&f).await;
        f.clock.advance(chrono::Duration::minutes(5));
        heartbeat(&f.app, agent, Some("TopoDIM blog post 3".into()), Some("101".into())).unwrap();
        let agent = f.app.store.agent("peter").unwrap().unwrap();
        assert_eq!(agent.doing.as_deref(), Some("TopoDIM blog post 3"));
        assert_eq!(agent.heartbeat_at, Some(crate::clock::Clock::now(f.clock.as_ref())));
    }

    #[tokio::test]
    async fn only_the_owner_may_say_they_pressed_start() {
        let f = Fixture::new().await;
        deployed(&f).await;
        assert!(matches!(owner_started(&f.app, "peter", 42).await, Err(DoneError::NotOwner(42))));
        assert!(matches!(owner_started(&f.app, "nobody", MASTER).await, Err(DoneError::NoSuchAgent(_))));
        // The master never pressed Start in peter's bot: the emulator answers 403.
        assert_eq!(owner_started(&f.app, "peter", MASTER).await.unwrap(), Greeting::NeedsStart);
    }
}
