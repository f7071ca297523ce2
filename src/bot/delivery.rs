//! Delivers the outbox: what a committed change promised — Telegram messages (a master's notice, a
//! client's news, a digest to every lead), emails, CRM updates. Runs beside the dispatcher; wakes when
//! something is queued and every second. An item is removed only once it was accepted, so a crash or
//! an outage means a retry, never a loss; retries back off exponentially (or as the server's
//! `retry_after` says). Telegram sends go through teloxide's `Throttle` (30 messages/s overall,
//! 1/s and 20/min per chat), so a broadcast to hundreds of chats never meets a 429.

use super::ctx::keyboard;
use crate::app::App;
use crate::services::mailer::Mail;
use crate::services::telegram::error_kind;
use crate::store::{OutboxItem, Outgoing};
use chrono::Duration;
use std::sync::Arc;
use teloxide::adaptors::throttle::{Limits, Throttle};
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

pub type Paced = Throttle<Bot>;

const MAX_BACKOFF_SECONDS: i64 = 600;

/// What became of one delivery attempt.
enum Outcome {
    Delivered,
    /// Will never work (a chat that blocked us); dropped with a warning.
    Dropped(String),
    /// Try again after this many seconds (or the usual backoff).
    Later(String, Option<i64>),
}

pub async fn run(app: Arc<App>, bot: Bot) {
    let bot = Throttle::new_spawn(bot, Limits::default());
    loop {
        if let Err(e) = deliver_due(&app, &bot).await {
            tracing::error!(error = %e, "outbox delivery failed");
        }
        tokio::select! {
            _ = app.outbox_ready.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// How many chats are sent to at once. `Throttle` does the pacing; concurrency only keeps its
/// queue full (one request at a time would wait out its timer for every message).
const CONCURRENT_CHATS: usize = 64;

pub async fn deliver_due(app: &App, bot: &Paced) -> anyhow::Result<()> {
    use futures::StreamExt;
    // One lane per chat, in order (a split brief must arrive in order); other kinds one lane each.
    let mut lanes: Vec<Vec<(u64, OutboxItem)>> = Vec::new();
    let mut lane_of_chat = std::collections::HashMap::new();
    for (key, item) in app.store.outbox_due(app.clock.now())? {
        match &item.what {
            Outgoing::Telegram { chat_id, .. } => {
                let lane = *lane_of_chat.entry(*chat_id).or_insert_with(|| {
                    lanes.push(Vec::new());
                    lanes.len() - 1
                });
                lanes[lane].push((key, item));
            }
            _ => lanes.push(vec![(key, item)]),
        }
    }
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(lanes)
        .map(|lane| async move {
            for (key, item) in lane {
                let outcome = deliver(app, bot, &item.what).await;
                let failed = matches!(outcome, Outcome::Later(..));
                settle(app, key, &item, outcome)?;
                if failed {
                    break; // the rest of this chat waits, so its messages keep their order
                }
            }
            Ok(())
        })
        .buffer_unordered(CONCURRENT_CHATS)
        .collect()
        .await;
    results.into_iter().collect()
}

fn settle(app: &App, key: u64, item: &OutboxItem, outcome: Outcome) -> anyhow::Result<()> {
    match outcome {
        Outcome::Delivered => app.store.outbox_done(key)?,
        Outcome::Dropped(why) => {
            tracing::warn!(why, "outbox item dropped");
            app.store.outbox_done(key)?;
        }
        Outcome::Later(why, wait) => {
            let wait = wait.unwrap_or_else(|| (1i64 << item.attempts.min(10)).min(MAX_BACKOFF_SECONDS));
            tracing::warn!(attempts = item.attempts, wait, why, "outbox item not delivered yet");
            let later = OutboxItem {
                what: item.what.clone(),
                attempts: item.attempts + 1,
                not_before: Some(app.clock.now() + Duration::seconds(wait)),
            };
            app.store.outbox_retry_later(key, &later)?;
        }
    }
    Ok(())
}

async fn deliver(app: &App, bot: &Paced, what: &Outgoing) -> Outcome {
    match what {
        Outgoing::Telegram { chat_id, text, buttons, notice_for } => {
            let mut request = bot.send_message(ChatId(*chat_id), text.clone());
            if !buttons.is_empty() {
                request = request.reply_markup(keyboard(buttons.clone()));
            }
            match request.await {
                Ok(sent) => {
                    if let Some(contact) = notice_for {
                        if let Err(e) = app.store.add_notice(*contact, *chat_id, sent.id.0, text) {
                            tracing::warn!(error = %e, "could not remember a notice for later edits");
                        }
                    }
                    Outcome::Delivered
                }
                Err(RequestError::Api(ApiError::BotBlocked | ApiError::ChatNotFound | ApiError::UserDeactivated)) => {
                    Outcome::Dropped(format!("chat {chat_id} cannot receive messages from this bot"))
                }
                Err(e @ RequestError::RetryAfter(s)) => Outcome::Later(error_kind(&e), Some(s.seconds() as i64)),
                Err(e) => Outcome::Later(error_kind(&e), None),
            }
        }
        Outgoing::Email { to, subject, text } => {
            let mail = Mail { to: to.clone(), subject: subject.clone(), text: text.clone() };
            match app.mailer.send(&mail).await {
                Ok(()) => Outcome::Delivered,
                Err(e) => Outcome::Later(e.to_string(), None),
            }
        }
        Outgoing::Crm { contact_id } => crate::fleet::crm::mirror(app, *contact_id).await.into(),
        Outgoing::Greeting { agent } => crate::fleet::live::deliver_greeting(app, agent).await.into(),
        Outgoing::Webhook { url, body } => {
            let sent = app.http.post(url).timeout(std::time::Duration::from_secs(10)).json(body).send().await;
            match sent {
                Ok(r) if r.status().is_success() => Outcome::Delivered,
                // The agent's endpoint is wrong: retrying will not fix it; it can still poll.
                Ok(r) if r.status().is_client_error() && r.status() != 408 && r.status() != 429 => {
                    Outcome::Dropped(format!("callback answered {}", r.status()))
                }
                Ok(r) => Outcome::Later(format!("callback answered {}", r.status()), None),
                Err(e) => Outcome::Later(format!("callback unreachable: {}", e.without_url()), None),
            }
        }
    }
}

/// How an attempt by another module (CRM mirror, greeting) ended, for the outbox.
pub enum Attempt {
    Done,
    Retry(String),
    Drop(String),
}

impl From<Attempt> for Outcome {
    fn from(o: Attempt) -> Outcome {
        match o {
            Attempt::Done => Outcome::Delivered,
            Attempt::Retry(why) => Outcome::Later(why, None),
            Attempt::Drop(why) => Outcome::Dropped(why),
        }
    }
}
