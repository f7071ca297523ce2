//! Step 3, the client's bot (client self-onboarding, spec §4b steps 2-3): they make a bot with
//! @BotFather and forward its message here (trusted only when `forward_origin` is BotFather's user
//! id) or paste the token. The token is checked with `getMe`, sealed at rest, never logged, and the
//! message that held it is deleted from the chat as soon as it is read. At most 3 checked tokens
//! per user per day.

use super::{naming, Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::token::{find_token, looks_like_token, BotToken, BOTFATHER_ID};
use crate::domain::{ClientBot, ContactState};
use crate::fleet::{self, tokens::TokenError};
use crate::services::telegram::{check_token, TokenCheck};
use crate::store::{limit_key, AuditEntry, Change, Claimant, Guard, StoreError};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageOrigin};

pub const MAX_TOKENS_PER_DAY: u32 = 3;

pub async fn prompt_token(ctx: &Ctx) -> HandlerResult {
    let content = &ctx.app.content;
    let animation = &content.onboarding.botfather.animation;
    if let (false, Some(dir)) = (animation.is_empty(), &content.dir) {
        let path = dir.join(animation);
        if path.exists() {
            if let Err(e) = ctx.bot.send_animation(ctx.chat, InputFile::file(path)).await {
                tracing::warn!(error = %crate::services::telegram::error_kind(&e), "could not send the BotFather animation");
            }
        }
    }
    if ctx.app.one_tap().is_some() {
        offer_one_tap(ctx).await;
    }
    let open = vec![vec![(ctx.t("button-open-botfather"), crate::services::telegram::t_me("BotFather"))]];
    ctx.ask(ctx.t("token-instructions"), super::ctx::keyboard(open)).await?;
    Ok(())
}

/// Bot Management Mode is on: a reply-keyboard button opens Telegram's own creation dialog, and
/// the `managed_bot` update that follows connects the bot (`bot::managed`). BotFather's way stays
/// below it. A failure here only leaves the fallback.
async fn offer_one_tap(ctx: &Ctx) {
    use crate::services::managed_bots::{send_create_button, CreateButton};
    let Ok(Some(c)) = ctx.app.store.contact_by_user(ctx.user_id) else { return };
    let (name, username) = fleet::people::suggested_bot(&ctx.tr(), &c.email);
    let cfg = &ctx.app.config;
    let request_id = (c.id % i32::MAX as u64) as i32;
    let (text, label) = (ctx.t("one-tap-offer"), ctx.t("button-create-bot"));
    let button = CreateButton {
        chat: ctx.chat.0,
        text: &text,
        label: &label,
        request_id,
        suggested_name: &name,
        suggested_username: &username,
    };
    let sent = send_create_button(&ctx.app.http, &cfg.api_url, &cfg.telegram_token, &button).await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not offer one-tap bot creation");
    }
}

/// A bot the client created in one tap: its token comes from Telegram (`getManagedBotToken`), is
/// checked and registered like a pasted one, and (with `M2O_AGENT_ACCESS=owner`) only its owner
/// may talk to it.
pub async fn receive_managed(ctx: &Ctx, contact_id: u64, bot_id: i64) -> HandlerResult {
    use crate::services::managed_bots::{restrict_access, token_of};
    let cfg = &ctx.app.config;
    let token = match token_of(&ctx.app.http, &cfg.api_url, &cfg.telegram_token, bot_id).await {
        Ok(Some(token)) => token,
        Ok(None) | Err(_) => {
            tracing::warn!(contact = contact_id, bot = bot_id, "could not read a managed bot's token");
            ctx.say(ctx.t("token-unreachable")).await?;
            return Ok(());
        }
    };
    // The one-tap keyboard has done its job.
    if let Err(e) = ctx.say_removing_keys(ctx.t("one-tap-created")).await {
        tracing::debug!(error = %e, "could not remove the keyboard");
    }
    if let Err(e) =
        restrict_access(&ctx.app.http, &cfg.api_url, &cfg.telegram_token, bot_id, cfg.agent_access_owner_only).await
    {
        tracing::warn!(error = %e, bot = bot_id, "could not set the managed bot's access");
    }
    check(ctx, contact_id, &token, "token-ok-one-tap").await
}

pub async fn receive_token(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text().or(msg.caption()) else {
        ctx.say(ctx.t("token-not-text")).await?;
        return Ok(());
    };
    let holds_secret = looks_like_token(text);
    let forwarded_by_botfather = match msg.forward_origin() {
        None => false,
        Some(MessageOrigin::User { sender_user, .. }) if sender_user.id.0 == BOTFATHER_ID as u64 => true,
        Some(_) => {
            if holds_secret {
                ctx.delete(msg.id).await;
            }
            ctx.say(ctx.t("token-not-from-botfather")).await?;
            return Ok(());
        }
    };
    let Some(token) = find_token(text) else {
        if holds_secret {
            ctx.delete(msg.id).await;
        }
        let key = if holds_secret || forwarded_by_botfather { "token-malformed" } else { "token-not-found" };
        ctx.say(ctx.t(key)).await?;
        return Ok(());
    };
    ctx.delete(msg.id).await;
    check(&ctx, contact_id, &token, "token-ok").await
}

async fn check(ctx: &Ctx, contact_id: u64, token: &BotToken, ok_key: &str) -> HandlerResult {
    let (app, now) = (&ctx.app, ctx.now());
    let day = limit_key("tokens", ctx.user_id, now);
    if app.store.count(&day)? >= MAX_TOKENS_PER_DAY {
        ctx.say(ctx.t_args("token-daily-limit", &[("count", MAX_TOKENS_PER_DAY.into())])).await?;
        return Ok(());
    }
    let attempt = |why: &str| {
        let mut change = Change { count: vec![day.clone()], ..Change::default() };
        change.audit.push(AuditEntry::event(now, ctx.actor(), Some(contact_id), "token_refused", why));
        change
    };
    let (bot_id, username) = match check_token(&app.http, &app.config.api_url, token).await {
        TokenCheck::Valid { bot_id, username } => (bot_id, username),
        TokenCheck::Invalid => {
            app.commit_durable(&attempt("getMe answered 401")).await?;
            ctx.say(ctx.t("token-invalid")).await?;
            return Ok(());
        }
        TokenCheck::Unreachable(kind) => {
            // Not the client's fault: the try is not counted and the step stays.
            tracing::warn!(contact = contact_id, error = %kind, "getMe for a client's token failed");
            ctx.say(ctx.t("token-unreachable")).await?;
            return Ok(());
        }
    };
    if app.store.bot_holder(bot_id)?.is_some_and(|holder| holder != Claimant::Contact(contact_id)) {
        app.commit_durable(&attempt("bot already registered to another client")).await?;
        ctx.say(ctx.t("token-taken")).await?;
        return Ok(());
    }
    let Some(mut c) = app.store.contact(contact_id)? else {
        return Ok(());
    };
    c.bot = Some(ClientBot { id: bot_id, username: username.clone(), token_sealed: app.secrets.seal(token.expose()) });
    let from = c.move_to(ContactState::TokenValidated, now)?;
    let mut change = ctx.change_to(&State::Name { contact_id });
    change.audit.push(AuditEntry::transition(
        now,
        ctx.actor(),
        contact_id,
        from,
        c.state,
        &format!("getMe ok for @{username}"),
    ));
    change.guards = vec![
        Guard::ContactIn(contact_id, ContactState::Qualified),
        Guard::BotFree { bot_id, for_contact: Some(contact_id) },
    ];
    change.claim_bot = Some((bot_id, Claimant::Contact(contact_id)));
    change.count.push(day);
    change.contact = Some(c.clone());
    match app.commit_durable(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Guard::BotFree { .. })) => {
            ctx.say(ctx.t("token-taken")).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    let ok = ctx.t_args(ok_key, &[("bot", (&username).into())]);
    if ctx.app.one_tap().is_some() {
        // BotFather's way, taken while [🤖 Create my bot] is up: take the key down.
        ctx.say_removing_keys(ok).await?;
    } else {
        ctx.say(ok).await?;
    }
    naming::prompt_name(ctx, &c).await
}

/// The weekly health check found the agent's bot token revoked and asked its owner for a new one
/// (`fleet::health`); the fleet checks it is the same bot's and redeploys.
pub async fn receive_new_token(bot: Bot, app: Arc<App>, msg: Message, agent_name: String) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text().or(msg.caption()) else {
        ctx.say(ctx.t("token-not-text")).await?;
        return Ok(());
    };
    let Some(token) = find_token(text) else {
        ctx.say(ctx.t("token-not-found")).await?;
        return Ok(());
    };
    ctx.delete(msg.id).await;
    let reply = match fleet::tokens::replace_bot_token(&app, &agent_name, &token, ctx.actor()).await {
        Ok(_) => ctx.t("new-token-ok"),
        Err(TokenError::NoSuchAgent(_)) => {
            app.commit(&ctx.change_ending())?;
            return Ok(());
        }
        Err(TokenError::OtherBot(bot)) => ctx.t_args("new-token-other-bot", &[("bot", (&bot).into())]),
        Err(TokenError::Invalid) => ctx.t("token-invalid"),
        Err(TokenError::Unreachable(_)) => ctx.t("token-unreachable"),
        Err(e @ TokenError::Store(_)) => return Err(e.into()),
    };
    ctx.say(reply).await?;
    Ok(())
}
