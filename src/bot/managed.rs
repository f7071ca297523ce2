//! `managed_bot` updates (Bot API 9.6): Telegram tells a bot in Bot Management Mode that a user
//! created (or changed the token or owner of) a bot it manages. teloxide 0.17 models Bot API 9.1:
//! its `Update` cannot read these (it yields `UpdateKind::Error`, which its Dispatcher drops with
//! "Cannot parse an update"), so our listeners (`listener`, `webhook`) read them into the types
//! here and hand them to [`on_update`] instead of the dispatcher.
//!
//! A client at the bot step who created their bot in one tap (the button `bot::token` offers when
//! Bot Management Mode is on) gets it connected: `token::receive_managed`. For a bot behind one
//! of our agents, a new token redeploys the agent and a new owner is reported to the masters. Any
//! other is recorded
//! in the audit log (by ids: who, which bot) and otherwise ignored. Each is handled once per
//! update id: every write made while handling it records the update as handled.

use super::{token, Ctx, State};
use crate::app::App;
use crate::domain::Actor;
use crate::store::{AuditEntry, Change};
use serde::Deserialize;
use std::sync::Arc;

/// A Bot API `User`, as far as we read it here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TgUser {
    pub id: i64,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub username: Option<String>,
}

/// `ManagedBotUpdated`: `user` created the bot, or its token or owner changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ManagedBotUpdated {
    pub user: TgUser,
    pub bot: TgUser,
}

/// An update carrying `managed_bot`.
#[derive(Debug, Deserialize)]
pub struct ManagedBotEnvelope {
    pub update_id: i64,
    pub managed_bot: ManagedBotUpdated,
}

/// Handles one `managed_bot` update once (a second delivery after a restart is skipped).
pub async fn on_update(app: Arc<App>, update_id: i64, event: ManagedBotUpdated) {
    app.metrics.update_received(app.clock.now().timestamp());
    let Ok(id) = u32::try_from(update_id) else { return };
    if let Err(e) = super::once(&app, (app.config.bot_id(), id), handle(app.clone(), event)).await {
        tracing::error!(error = %e, "could not read whether an update was handled");
    }
}

async fn handle(app: Arc<App>, event: ManagedBotUpdated) {
    // The creator's private chat with us has the same id as the creator.
    let chat = event.user.id;
    if let Ok(Some(State::Token { contact_id })) = app.store.dialogue::<State>(chat) {
        let lang = app.store.contact(contact_id).ok().flatten().map(|c| c.lang);
        let user = super::ctx::person(chat, lang);
        let ctx = Ctx::new(&app, &app.bot(), teloxide::types::ChatId(chat), &user);
        if let Err(e) = token::receive_managed(&ctx, contact_id, event.bot.id).await {
            tracing::error!(error = %format!("{e:#}"), "connecting a bot created in one tap failed");
        }
        return;
    }
    if let Ok(Some(agent)) = app.store.agents().map(|all| {
        all.into_iter().find(|a| a.bot_id == event.bot.id && a.state != crate::domain::agent::AgentState::Destroyed)
    }) {
        return agent_changed(&app, agent, &event).await;
    }
    let bot = event.bot.username.as_deref().map(|u| format!("@{u}")).unwrap_or_else(|| event.bot.id.to_string());
    let why =
        format!("managed bot {bot} (id {}) reported for user {}; no step asked for it", event.bot.id, event.user.id);
    let change = Change {
        audit: vec![AuditEntry::event(app.clock.now(), Actor::User(event.user.id), None, "managed_bot_unasked", &why)],
        ..Change::default()
    };
    match app.commit(&change) {
        Ok(()) => tracing::info!(bot = event.bot.id, "a managed_bot update nobody asked for; recorded and ignored"),
        Err(e) => tracing::error!(error = %e, "could not record a managed_bot update"),
    }
}

/// Telegram reports a change to a bot behind one of our agents: a new owner (the masters are told;
/// the agent keeps running), or a new token (the agent is redeployed with it).
async fn agent_changed(app: &Arc<App>, agent: crate::domain::agent::Agent, event: &ManagedBotUpdated) {
    let now = app.clock.now();
    if event.user.id != agent.owner_user_id {
        let tr = app.master_tr();
        let text = tr.t_args(
            "managed-owner-changed",
            &[
                ("bot", (&agent.bot_username).into()),
                ("name", (&agent.name).into()),
                ("user", event.user.id.to_string().as_str().into()),
            ],
        );
        let why = format!("owner of @{} changed in Telegram to user {}", agent.bot_username, event.user.id);
        let change = Change {
            audit: vec![AuditEntry::event(
                now,
                Actor::User(event.user.id),
                agent.contact_id,
                "managed_bot_owner_changed",
                &why,
            )],
            outbox: crate::store::OutboxItem::to_each(&app.config.master_ids, &text, &[], None),
            ..Change::default()
        };
        if let Err(e) = app.commit(&change) {
            tracing::error!(error = %e, "could not record a managed bot's new owner");
        }
        return;
    }
    let cfg = &app.config;
    let Ok(Some(token)) =
        crate::services::managed_bots::token_of(&app.http, &cfg.api_url, &cfg.telegram_token, agent.bot_id).await
    else {
        tracing::warn!(agent = %agent.name, "could not read a managed bot's token after a change");
        return;
    };
    let unchanged = app.secrets.open(&agent.token_sealed).is_ok_and(|t| t == token.expose());
    if unchanged {
        return;
    }
    match crate::fleet::tokens::replace_bot_token(app, &agent.name, &token, Actor::System).await {
        Ok(_) => tracing::info!(agent = %agent.name, "a managed bot's token changed; redeploying with it"),
        Err(e) => {
            tracing::warn!(agent = %agent.name, error = %e, "a managed bot's new token could not be put in place")
        }
    }
}
