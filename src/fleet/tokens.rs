//! An agent's two tokens. Its **API token** (`M2O_AGENT_TOKEN`, its bearer for our HTTP API) is
//! derived from the secret key, the agent's name and a generation, and only its hash is stored;
//! `/token` rotates it. Its **bot token** is the client's: when the weekly health check finds it
//! revoked, the owner sends a new one for the same bot and the agent is redeployed with it.

use super::jobs;
use crate::app::App;
use crate::domain::agent::{AgentState, Job, Step};
use crate::domain::token::BotToken;
use crate::domain::Actor;
use crate::services::telegram::{check_token, TokenCheck};
use crate::store::{AuditEntry, Change, StoreError};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("there is no agent {0}")]
    NoSuchAgent(String),
    /// The new bot token is a working token, but of another bot.
    #[error("that token is for another bot, not @{0}")]
    OtherBot(String),
    #[error("that token doesn't work")]
    Invalid,
    #[error("Telegram could not be reached: {0}")]
    Unreachable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new API token for the agent, returned once (only its hash is kept); the old one stops working
/// in the same write.
pub async fn rotate_api_token(app: &App, name: &str, by: Actor) -> Result<String, TokenError> {
    let name = name.to_lowercase();
    let mut agent = app.store.agent(&name)?.filter(|a| a.state != AgentState::Destroyed);
    let Some(agent) = agent.as_mut() else { return Err(TokenError::NoSuchAgent(name)) };
    let generation = app.store.new_id()?;
    let token = app.secrets.agent_api_token(&agent.name, generation);
    agent.token_generation = Some(generation);
    // The old hash leaves the index inside the same transaction (see `store::Change::agent`):
    // if this write fails, the old token still works.
    agent.api_token_hash = Some(crate::crypto::token_hash(&token));
    agent.last_event = format!("API token rotated by {by}");
    let change = Change {
        audit: vec![AuditEntry::event(app.clock.now(), by, agent.contact_id, "token_rotated", &agent.name)],
        agent: Some(agent.clone()),
        ..Change::default()
    };
    app.commit_durable(&change).await?;
    Ok(token)
}

/// The owner sent a new bot token for their degraded agent: it must be a working token of the same
/// bot. The agent's environment is set again and it is redeployed (a job from the set-env step);
/// the owner's conversation ends. Returns the job id.
pub async fn replace_bot_token(app: &Arc<App>, name: &str, token: &BotToken, by: Actor) -> Result<u64, TokenError> {
    let Some(mut agent) = app.store.agent(name)? else { return Err(TokenError::NoSuchAgent(name.to_string())) };
    match check_token(&app.http, &app.config.api_url, token).await {
        TokenCheck::Valid { bot_id, .. } if bot_id == agent.bot_id => {}
        TokenCheck::Valid { .. } => return Err(TokenError::OtherBot(agent.bot_username)),
        TokenCheck::Invalid => return Err(TokenError::Invalid),
        TokenCheck::Unreachable(why) => return Err(TokenError::Unreachable(why)),
    }
    let now = app.clock.now();
    let job_id = app.store.new_id()?;
    let mut job = Job::new(job_id, &agent.name, now);
    job.step = Step::SetEnv;
    job.app_id = agent.app_id.clone();
    // The API token keeps its generation: only the bot token changes.
    agent.token_generation = Some(agent.generation());
    agent.token_sealed = app.secrets.seal(token.expose());
    agent.state = AgentState::Provisioning;
    agent.job_id = job_id;
    agent.last_event = "new bot token from the owner; redeploying".into();
    let mut change = Change::default();
    if let Some(c) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
        change.dialogue = Some((c.chat_id, None));
    }
    change.audit.push(AuditEntry::event(now, by, agent.contact_id, "token_replaced", &agent.name));
    change.agent = Some(agent);
    change.job = Some(job);
    app.commit_durable(&change).await?;
    jobs::start(app.clone(), job_id);
    Ok(job_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::token_hash;
    use crate::fleet::testing::{Fixture, MASTER};
    use crate::store::Claimant;

    /// A master's agent `peter`, live (spawned and provisioned by the dry run).
    async fn peter(f: &Fixture) -> crate::domain::agent::Agent {
        let (_, token) = f.bot("peter_agent_bot");
        crate::fleet::spawn::spawn(&f.app, MASTER, "peter", &token).await.expect("spawned");
        f.eventually("peter is live", |app| {
            app.store.agent("peter").ok().flatten().is_some_and(|a| a.state == AgentState::Live)
        })
        .await;
        f.app.store.agent("peter").unwrap().unwrap()
    }

    #[tokio::test]
    async fn a_rotated_api_token_replaces_the_old_one_in_one_write() {
        let f = Fixture::new().await;
        let before = peter(&f).await;
        let old = before.api_token_hash.clone().expect("provisioning set an API token");
        let by = Actor::Master(MASTER);

        // A write that fails (a full disk) leaves the old token working: nothing was half done.
        f.app.store.fail_next_commit();
        assert!(matches!(rotate_api_token(&f.app, "peter", by.clone()).await, Err(TokenError::Store(_))));
        assert!(f.app.store.agent_by_token_hash(&old).unwrap().is_some(), "the old token stopped working");

        let token = rotate_api_token(&f.app, "Peter", by.clone()).await.expect("rotated");
        assert!(f.app.store.agent_by_token_hash(&old).unwrap().is_none(), "the old token still works");
        let after = f.app.store.agent_by_token_hash(&token_hash(&token)).unwrap().expect("the new token works");
        assert_ne!(after.generation(), before.generation());
        assert_eq!(token, f.app.secrets.agent_api_token("peter", after.generation()));
        let audit = f.app.store.audit_log().unwrap();
        assert_eq!(audit.iter().filter(|e| e.event == "token_rotated").count(), 1, "only the rotation that happened");

        assert!(
            matches!(rotate_api_token(&f.app, "nobody", by).await, Err(TokenError::NoSuchAgent(n)) if n == "nobody")
        );
    }

    #[tokio::test]
    async fn a_new_bot_token_must_be_the_same_bots_and_redeploys() {
        let f = Fixture::new().await;
        let mut agent = peter(&f).await;
        agent.state = AgentState::Degraded;
        f.app.commit(&Change { agent: Some(agent.clone()), ..Change::default() }).unwrap();
        let by = Actor::Master(MASTER);

        let (_, other) = f.bot("someone_elses_bot");
        let refused = replace_bot_token(&f.app, "peter", &other, by.clone()).await;
        assert!(matches!(refused, Err(TokenError::OtherBot(ref b)) if b == "peter_agent_bot"), "{refused:?}");
        let revoked = BotToken::parse("123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(matches!(replace_bot_token(&f.app, "peter", &revoked, by.clone()).await, Err(TokenError::Invalid)));
        assert_eq!(f.app.store.agent("peter").unwrap().unwrap().state, AgentState::Degraded, "refusals change nothing");

        let same = f.emu.reissue(&f.app.secrets.open(&agent.token_sealed).unwrap());
        let same = BotToken::parse(&same).unwrap();
        let job = replace_bot_token(&f.app, "peter", &same, by).await.expect("accepted");
        f.eventually("redeployed", |app| {
            app.store.agent("peter").ok().flatten().is_some_and(|a| a.state == AgentState::Live && a.job_id == job)
        })
        .await;
        let after = f.app.store.agent("peter").unwrap().unwrap();
        assert_eq!(f.app.secrets.open(&after.token_sealed).unwrap(), same.expose());
        assert_eq!(after.generation(), agent.generation(), "the API token is unchanged");
        assert_eq!(f.app.store.job(job).unwrap().unwrap().log[0].step, Step::SetEnv, "from the set-env step");
        assert_eq!(f.app.store.bot_holder(agent.bot_id).unwrap(), Some(Claimant::Fleet));
    }
}
