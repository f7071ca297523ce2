//! The weekly fleet health check (client self-onboarding, spec §4b: a client may revoke their bot's
//! token at any time): `getMe` with every live agent's bot token. A 401 means the client revoked
//! it: the agent (and its client) become `degraded` — a BLOCKED item in the brief — and the owner is
//! asked, in the onboarding chat, for a new token of the same bot (see `tokens::replace_bot_token`).
//! A bot we manage (created in one tap) heals without the client: `replaceManagedBotToken` gives a
//! new token, the agent is redeployed with it, and the owner is only told.

use crate::app::App;
use crate::domain::agent::AgentState;
use crate::domain::conversation::State;
use crate::domain::token::BotToken;
use crate::domain::{Actor, ContactState};
use crate::services::telegram::{check_token, TokenCheck};
use crate::store::{dialogue, AuditEntry, Change, OutboxItem};
use std::sync::Arc;

/// Checks every live agent; each revoked one is written on its own (one agent's conflict must not
/// lose another's). Returns the names found revoked.
pub async fn check_fleet(app: &Arc<App>) -> anyhow::Result<Vec<String>> {
    let now = app.clock.now();
    let mut revoked = Vec::new();
    for mut agent in app.store.agents()?.into_iter().filter(|a| a.state == AgentState::Live) {
        let Some(token) = app.secrets.open(&agent.token_sealed).ok().and_then(|t| BotToken::parse(&t)) else {
            tracing::warn!(agent = %agent.name, "health check: the agent's bot token cannot be opened");
            continue;
        };
        match check_token(&app.http, &app.config.api_url, &token).await {
            TokenCheck::Valid { .. } => {}
            TokenCheck::Unreachable(why) => {
                tracing::warn!(agent = %agent.name, why, "health check could not reach Telegram")
            }
            TokenCheck::Invalid if heal(app, &agent).await => {}
            TokenCheck::Invalid => {
                tracing::warn!(agent = %agent.name, "health check: the agent's bot token was revoked");
                agent.state = AgentState::Degraded;
                agent.last_event = "token revoked (weekly health check)".into();
                agent.updated_at = now;
                let mut change = Change::default();
                if let Some(mut c) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
                    if let Ok(from) = c.move_to(ContactState::Degraded, now) {
                        change.audit.push(AuditEntry::transition(
                            now,
                            Actor::System,
                            c.id,
                            from,
                            c.state,
                            "bot token revoked",
                        ));
                    }
                    let tr = app.content.i18n.tr(&c.lang);
                    let text = tr.t_args(
                        "health-token-revoked",
                        &[("bot", (&agent.bot_username).into()), ("name", (&agent.name).into())],
                    );
                    change.outbox.push(OutboxItem::telegram(c.chat_id, text));
                    change.dialogue =
                        Some((c.chat_id, Some(dialogue::to_value(&State::NewToken { agent: agent.name.clone() }))));
                    change.contact = Some(c);
                }
                revoked.push(agent.name.clone());
                change.agent = Some(agent);
                app.commit(&change)?;
            }
        }
    }
    Ok(revoked)
}

/// A managed bot's revoked token replaced by us, the agent redeployed, the owner told. `false`
/// when the bot is not ours to manage (or Telegram did not answer): the owner is asked instead.
async fn heal(app: &Arc<App>, agent: &crate::domain::agent::Agent) -> bool {
    let cfg = &app.config;
    let token =
        match crate::services::managed_bots::replace_token(&app.http, &cfg.api_url, &cfg.telegram_token, agent.bot_id)
            .await
        {
            Ok(Some(token)) => token,
            Ok(None) | Err(_) => return false,
        };
    if let Err(e) = super::tokens::replace_bot_token(app, &agent.name, &token, Actor::System).await {
        tracing::warn!(agent = %agent.name, error = %e, "a managed bot's new token could not be put in place");
        return false;
    }
    tracing::info!(agent = %agent.name, "health check: a managed bot's revoked token was replaced; redeploying");
    if let Some(c) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
        let tr = app.content.i18n.tr(&c.lang);
        let text =
            tr.t_args("health-token-healed", &[("bot", (&agent.bot_username).into()), ("name", (&agent.name).into())]);
        if let Err(e) = app.commit(&Change { outbox: vec![OutboxItem::telegram(c.chat_id, text)], ..Change::default() })
        {
            tracing::warn!(error = %e, "could not tell the owner about the new token");
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::approval::{self, Gate};
    use crate::fleet::testing::Fixture;

    #[tokio::test]
    async fn a_revoked_token_degrades_the_agent_and_asks_its_owner_for_a_new_one() {
        let f = Fixture::new().await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let bob = f.client_with_bot("bob@acme.io", "bob_helper_bot");
        for (c, name) in [(&anna, "anna-agent"), (&bob, "bob-agent")] {
            let gate = approval::confirm(&f.app, c.id, name, Actor::User(c.user_id)).await.unwrap();
            assert!(matches!(gate, Gate::Approved { .. }));
        }
        f.eventually("both live", |app| {
            app.store.agents().unwrap_or_default().iter().filter(|a| a.state == AgentState::Live).count() == 2
        })
        .await;
        let annas_token = f.app.secrets.open(&anna.bot.as_ref().unwrap().token_sealed).unwrap();
        f.emu.revoke(&annas_token);

        assert_eq!(check_fleet(&f.app).await.unwrap(), vec!["anna-agent".to_string()]);
        assert_eq!(f.app.store.agent("anna-agent").unwrap().unwrap().state, AgentState::Degraded);
        assert_eq!(f.app.store.contact(anna.id).unwrap().unwrap().state, ContactState::Degraded);
        assert_eq!(
            f.app.store.dialogue::<State>(anna.chat_id).unwrap(),
            Some(State::NewToken { agent: "anna-agent".into() })
        );
        assert!(f.queued_for(anna.chat_id).iter().any(|t| t.contains("@anna_helper_bot")), "the owner is asked");
        assert_eq!(f.app.store.agent("bob-agent").unwrap().unwrap().state, AgentState::Live, "bob's token works");
        assert!(check_fleet(&f.app).await.unwrap().is_empty(), "a degraded agent is not checked again");
    }
}
