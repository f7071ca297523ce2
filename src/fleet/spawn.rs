//! A master's own spawn (the spawn flow, spec §3.10: "the master's whole input is a name and a
//! token"): the name is checked (the same rules as onboarding, and free), the token with `getMe`
//! (a live bot registered to nobody), and the agent is registered and provisioned for the fleet.

use super::jobs;
use crate::app::App;
use crate::domain::agent::{Agent, Job, NewAgent};
use crate::domain::name::{self, NameProblem};
use crate::domain::token::BotToken;
use crate::domain::Actor;
use crate::services::telegram::{check_token, TokenCheck};
use crate::store::{AuditEntry, Change, Claimant, Guard, StoreError};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("{0:?} is not a valid agent name: {1:?}")]
    BadName(String, NameProblem),
    #[error("the name {0} is taken")]
    NameTaken(String),
    /// Telegram says the token is not a live bot's.
    #[error("that token doesn't work")]
    TokenInvalid,
    /// Telegram could not be asked; try again.
    #[error("Telegram could not be reached: {0}")]
    TelegramUnreachable(String),
    /// The bot already belongs to a client or to another agent of the fleet.
    #[error("that bot is already registered")]
    BotTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawned {
    pub name: String,
    pub bot_username: String,
    pub job_id: u64,
}

/// Registers agent `name` (lowercased) on the bot of `token` for the fleet, owned by `master`, and
/// starts its provisioning job.
pub async fn spawn(app: &Arc<App>, master: i64, name: &str, token: &BotToken) -> Result<Spawned, SpawnError> {
    let name = name.to_lowercase();
    name::check(&name, &app.content.onboarding.names.reserved).map_err(|p| SpawnError::BadName(name.clone(), p))?;
    if !app.store.name_free(&name, None)? {
        return Err(SpawnError::NameTaken(name));
    }
    let (bot_id, username) = match check_token(&app.http, &app.config.api_url, token).await {
        TokenCheck::Valid { bot_id, username } => (bot_id, username),
        TokenCheck::Invalid => return Err(SpawnError::TokenInvalid),
        TokenCheck::Unreachable(why) => return Err(SpawnError::TelegramUnreachable(why)),
    };
    if app.store.bot_holder(bot_id)?.is_some() {
        return Err(SpawnError::BotTaken);
    }
    let now = app.clock.now();
    let job_id = app.store.new_id()?;
    let mut change = Change {
        guards: vec![
            Guard::NameFree { name: name.clone(), for_contact: None },
            Guard::BotFree { bot_id, for_contact: None },
        ],
        claim_bot: Some((bot_id, Claimant::Fleet)),
        ..Change::default()
    };
    let new = NewAgent {
        name: name.clone(),
        contact_id: None,
        owner_user_id: master,
        owner_label: format!("master {master}"),
        bot_id,
        bot_username: username.clone(),
        token_sealed: app.secrets.seal(token.expose()),
        timezone: "UTC".into(),
        provisioner: app.provisioner.kind().to_string(),
        job_id,
        last_event: "spawned by a master".into(),
    };
    change.agent = Some(Agent::provisioning(new, now));
    change.job = Some(Job::new(job_id, &name, now));
    change.audit.push(AuditEntry::event(now, Actor::Master(master), None, "spawn", &format!("{name} @{username}")));
    match app.commit_durable(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Guard::BotFree { .. })) => return Err(SpawnError::BotTaken),
        Err(StoreError::Conflict(_)) => return Err(SpawnError::NameTaken(name)),
        Err(e) => return Err(e.into()),
    }
    jobs::start(app.clone(), job_id);
    Ok(Spawned { name, bot_username: username, job_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::AgentState;
    use crate::fleet::testing::{Fixture, MASTER};

    #[tokio::test]
    async fn a_masters_spawn_registers_the_bot_to_the_fleet_and_goes_live() {
        let f = Fixture::new().await;
        let (bot_id, token) = f.bot("peter_agent_bot");
        let s = spawn(&f.app, MASTER, "Peter", &token).await.expect("spawned");
        assert_eq!((s.name.as_str(), s.bot_username.as_str()), ("peter", "peter_agent_bot"));
        assert_eq!(f.app.store.bot_holder(bot_id).unwrap(), Some(Claimant::Fleet));
        f.eventually("peter is live", |app| {
            app.store.agent("peter").ok().flatten().is_some_and(|a| a.state == AgentState::Live)
        })
        .await;
        let agent = f.app.store.agent("peter").unwrap().unwrap();
        assert_eq!((agent.contact_id, agent.owner_user_id, agent.job_id), (None, MASTER, s.job_id));
        assert_eq!(f.app.secrets.open(&agent.token_sealed).unwrap(), token.expose(), "sealed, and only sealed");
    }

    #[tokio::test]
    async fn each_refusal_says_why_and_writes_nothing() {
        let f = Fixture::new().await;
        let (_, token) = f.bot("peter_agent_bot");
        let bad = spawn(&f.app, MASTER, "-x", &token).await;
        assert!(matches!(bad, Err(SpawnError::BadName(_, NameProblem::Length))), "{bad:?}");
        let bad = spawn(&f.app, MASTER, "admin", &token).await;
        assert!(matches!(bad, Err(SpawnError::BadName(_, NameProblem::Reserved))), "{bad:?}");
        let revoked = BotToken::parse("123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(matches!(spawn(&f.app, MASTER, "peter", &revoked).await, Err(SpawnError::TokenInvalid)));
        assert!(f.app.store.agents().unwrap().is_empty());

        spawn(&f.app, MASTER, "peter", &token).await.expect("spawned");
        let (_, other) = f.bot("another_bot");
        assert!(matches!(spawn(&f.app, MASTER, "peter", &other).await, Err(SpawnError::NameTaken(n)) if n == "peter"));
        assert!(matches!(spawn(&f.app, MASTER, "maya", &token).await, Err(SpawnError::BotTaken)));
        let client = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let clients = f.app.secrets.open(&client.bot.expect("a bot").token_sealed).unwrap();
        let clients = BotToken::parse(&clients).unwrap();
        assert!(matches!(spawn(&f.app, MASTER, "maya", &clients).await, Err(SpawnError::BotTaken)), "a client's bot");
        assert_eq!(f.app.store.agents().unwrap().len(), 1);
    }
}
