//! Steps 1 and 2: the client's email and the one-time code sent to it (client self-onboarding,
//! spec §4b: "Email OTP before the BotFather step"). Limits: a code lives 10 minutes, 5 wrong tries
//! lock it, a new one after 60 s, at most 3 per Telegram user per day. Only an HMAC of the code is
//! stored; it is never logged.

use super::ctx::keyboard;
use super::{qualify, status, Ctx, HandlerResult, State};
use crate::app::App;
use crate::crypto;
use crate::domain::callback::Tap;
use crate::domain::otp::{
    CodeCheck, OtpRecord, CODE_TTL_MINUTES, MAX_CODES_PER_ADDRESS_DAY, MAX_CODES_PER_ADDRESS_HOUR, MAX_CODES_PER_DAY,
    MAX_WRONG_TRIES,
};
use crate::domain::{email, Contact, ContactState};
use crate::services::mailer::Mail;
use crate::store::{address_limit_keys, limit_key, AuditEntry, Guard, StoreError};
use std::sync::Arc;
use teloxide::prelude::*;

pub async fn receive_email(bot: Bot, app: Arc<App>, msg: Message) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("email-not-text")).await?;
        return Ok(());
    };
    let existing = app.store.contact_by_user(ctx.user_id)?;
    // [✏️ Change email], then the code arrives after all: it is a code, not a bad address.
    if let Some(c) = existing.as_ref().filter(|c| c.state == ContactState::EmailPending) {
        if looks_like_code(text) && app.store.otp(c.id)?.is_some() {
            app.commit(&ctx.change_to(&State::Code { contact_id: c.id }))?;
            return check_code(&ctx, c.id, text).await;
        }
    }
    let Some(address) = email::normalize(text) else {
        ctx.say(ctx.t("email-invalid")).await?;
        return Ok(());
    };
    if let Some(c) = existing.as_ref().filter(|c| c.state != ContactState::EmailPending) {
        // The email is settled for this contact; nothing to ask here.
        app.commit(&ctx.change_ending())?;
        ctx.say(status::status_text(&ctx, Some(c))).await?;
        return Ok(());
    }
    if email_taken(&app, &address, ctx.user_id)? {
        ctx.say(ctx.t("email-taken")).await?;
        return Ok(());
    }
    let created = existing.is_none();
    let same_address = existing.as_ref().is_some_and(|c| c.email == address);
    if let (true, Some(c)) = (same_address, existing.as_ref()) {
        if let Some(wait) = app.store.otp(c.id)?.and_then(|r| r.resend_wait(ctx.now())) {
            // The same address again, seconds later: the code on its way is the one to type.
            app.commit(&ctx.change_to(&State::Code { contact_id: c.id }))?;
            let text = ctx.t_args("code-still-valid", &[("email", (&c.email).into()), ("seconds", wait.into())]);
            ctx.ask(text, code_keyboard(&ctx)).await?;
            return Ok(());
        }
    }
    let contact = match existing {
        Some(mut c) => {
            c.email = address;
            c.lang = ctx.lang.to_string();
            c
        }
        None => Contact::new(app.store.new_id()?, ctx.user_id, ctx.chat.0, ctx.lang, &address, ctx.now()),
    };
    // A new address gets its code at once: the 60 s wait is between codes to one address, and the
    // per-user and per-address caps still hold.
    send_code(&ctx, contact, created, !same_address).await
}

fn looks_like_code(text: &str) -> bool {
    let typed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit())
}

/// Whether another person's open request or agent already uses this email.
fn email_taken(app: &App, address: &str, user_id: i64) -> anyhow::Result<bool> {
    Ok(app.store.contact_by_email(address)?.is_some_and(|o| o.user_id != user_id && o.state.holds_claim()))
}

/// Mails a fresh code and, only once the provider accepted it, stores its hash and moves the chat
/// to the code step. A refused or failed send changes nothing.
async fn send_code(ctx: &Ctx, contact: Contact, created: bool, new_address: bool) -> HandlerResult {
    let (app, now) = (&ctx.app, ctx.now());
    let day = limit_key("codes", ctx.user_id, now);
    if app.store.count(&day)? >= MAX_CODES_PER_DAY {
        ctx.say(ctx.t_args("code-daily-limit", &[("count", MAX_CODES_PER_DAY.into())])).await?;
        return Ok(());
    }
    if let Some(wait) = app.store.otp(contact.id)?.and_then(|r| r.resend_wait(now)).filter(|_| !new_address) {
        ctx.say(ctx.t_args("code-wait", &[("seconds", wait.into())])).await?;
        return Ok(());
    }
    // Whoever asks: an address gets a few codes an hour and a day, so nobody's inbox is flooded.
    let (hour, address_day) = address_limit_keys(&contact.email, now);
    if app.store.count(&address_day)? >= MAX_CODES_PER_ADDRESS_DAY {
        ctx.say(ctx.t_args("code-address-daily-limit", &[("email", (&contact.email).into())])).await?;
        return Ok(());
    }
    if app.store.count(&hour)? >= MAX_CODES_PER_ADDRESS_HOUR {
        ctx.say(ctx.t_args("code-address-hourly-limit", &[("email", (&contact.email).into())])).await?;
        return Ok(());
    }
    let code = crypto::new_code();
    let mail = Mail {
        to: contact.email.clone(),
        subject: ctx.t_args("mail-code-subject", &[("code", (&code).into())]),
        text: ctx.t_args("mail-code-body", &[("code", (&code).into()), ("minutes", CODE_TTL_MINUTES.into())]),
    };
    if let Err(e) = app.mailer.send(&mail).await {
        tracing::warn!(contact = contact.id, error = %e, "the code email was not sent");
        ctx.say(ctx.t("code-send-failed")).await?;
        return Ok(());
    }
    let mut change = ctx.change_to(&State::Code { contact_id: contact.id });
    if created {
        change.audit.push(AuditEntry {
            to: Some(ContactState::EmailPending),
            ..AuditEntry::event(now, ctx.actor(), Some(contact.id), "created", "client gave an email")
        });
    }
    change.audit.push(AuditEntry::event(now, ctx.actor(), Some(contact.id), "code_sent", "one-time code emailed"));
    change.otp = Some((contact.id, Some(OtpRecord::new(app.secrets.code_hash(contact.id, &code), now))));
    change.count.extend([day, hour, address_day]);
    change.contact = Some(contact.clone());
    // Durable before the reply: a restart must not forget a code was sent (the daily limit).
    app.commit_durable(&change).await?;
    prompt_code(ctx, &contact.email, "code-sent").await
}

pub async fn prompt_code(ctx: &Ctx, address: &str, key: &str) -> HandlerResult {
    let text = ctx.t_args(key, &[("email", address.into()), ("minutes", CODE_TTL_MINUTES.into())]);
    ctx.ask(text, code_keyboard(ctx)).await?;
    Ok(())
}

fn code_keyboard(ctx: &Ctx) -> crate::services::keyboard::Keyboard {
    keyboard(vec![vec![
        (ctx.t("button-new-code"), Tap::NewCode.data()),
        (ctx.t("button-change-email"), Tap::ChangeEmail.data()),
    ]])
}

pub async fn receive_code(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text() else {
        ctx.say(ctx.t("code-not-text")).await?;
        return Ok(());
    };
    check_code(&ctx, contact_id, text).await
}

async fn check_code(ctx: &Ctx, contact_id: u64, text: &str) -> HandlerResult {
    let (ctx, app) = (ctx, &ctx.app);
    let typed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !looks_like_code(text) {
        // Maybe they meant to give another email: say how, rather than counting a wrong try.
        let hint = if email::normalize(text).is_some() { "code-looks-like-email" } else { "code-format" };
        ctx.ask(ctx.t(hint), code_keyboard(ctx)).await?;
        return Ok(());
    }
    let (Some(contact), Some(record)) = (app.store.contact(contact_id)?, app.store.otp(contact_id)?) else {
        ctx.ask(ctx.t("code-none"), code_keyboard(ctx)).await?;
        return Ok(());
    };
    let now = ctx.now();
    let matches = app.secrets.code_matches(contact_id, &typed, &record.hash);
    let counted = |why: &str| {
        let mut change =
            crate::store::Change { otp: Some((contact_id, Some(record.with_wrong_try()))), ..Default::default() };
        change.audit.push(AuditEntry::event(now, ctx.actor(), Some(contact_id), "code_wrong", why));
        change
    };
    match record.judge(matches, now) {
        CodeCheck::Correct => verified(ctx, contact).await,
        CodeCheck::Wrong(left) => {
            app.commit_durable(&counted("wrong code")).await?;
            ctx.ask(ctx.t_args("code-wrong", &[("left", left.into())]), code_keyboard(ctx)).await?;
            Ok(())
        }
        CodeCheck::Locked => {
            if record.wrong_tries < MAX_WRONG_TRIES {
                app.commit_durable(&counted("wrong code; code locked")).await?;
            }
            ctx.ask(ctx.t("code-locked"), code_keyboard(ctx)).await?;
            Ok(())
        }
        CodeCheck::Expired => {
            ctx.ask(ctx.t("code-expired"), code_keyboard(ctx)).await?;
            Ok(())
        }
    }
}

/// The code was right: the email is the client's. Verify, index the email, start the questions.
async fn verified(ctx: &Ctx, contact: Contact) -> HandlerResult {
    let (app, now, id) = (&ctx.app, ctx.now(), contact.id);
    let mut c = contact.clone();
    let mut change = ctx.change_to(&State::Question { contact_id: id, index: 0 });
    let from = c.move_to(ContactState::EmailVerified, now)?;
    change.audit.push(AuditEntry::transition(now, ctx.actor(), id, from, c.state, "email code correct"));
    let from = c.move_to(ContactState::Qualifying, now)?;
    change.audit.push(AuditEntry::transition(now, ctx.actor(), id, from, c.state, "qualification questions started"));
    c.answers.clear();
    change.guards = vec![
        Guard::ContactIn(id, ContactState::EmailPending),
        Guard::EmailFree { email: c.email.clone(), for_contact: id },
    ];
    change.otp = Some((id, None));
    change.index_email = Some((c.email.clone(), id));
    change.contact = Some(c);
    match app.commit(&change) {
        Ok(()) => {}
        Err(StoreError::Conflict(Guard::EmailFree { .. })) => {
            app.commit(&ctx.change_to(&State::Email))?;
            ctx.say(ctx.t("email-taken")).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    ctx.say(ctx.t("code-ok")).await?;
    qualify::prompt_question(ctx, 0).await
}

pub async fn tap_new_code(ctx: &Ctx, contact_id: u64) -> anyhow::Result<bool> {
    let Some(contact) = ctx.app.store.contact(contact_id)? else {
        return Ok(false);
    };
    send_code(ctx, contact, false, false).await?;
    Ok(true)
}

pub async fn tap_change_email(ctx: &Ctx, contact_id: u64) -> anyhow::Result<bool> {
    let Some(contact) = ctx.app.store.contact(contact_id)? else {
        return Ok(false);
    };
    ctx.app.commit(&ctx.change_to(&State::Email))?;
    ctx.say(ctx.t_args("email-ask-again", &[("email", (&contact.email).into())])).await?;
    Ok(true)
}
