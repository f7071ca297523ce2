//! Delivers the outbox: Telegram messages that a committed change promised (a master's
//! notification). Runs beside the dispatcher; wakes when something is queued and every second.
//! A message is removed only once Telegram accepted it, so a crash means a retry, never a loss.

use crate::app::App;
use crate::services::telegram::error_kind;
use crate::store::OutboxItem;
use chrono::Duration;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

const MAX_BACKOFF_SECONDS: i64 = 600;

pub async fn run(app: Arc<App>, bot: Bot) {
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

pub async fn deliver_due(app: &App, bot: &Bot) -> anyhow::Result<()> {
    for (key, item) in app.store.outbox_due(app.clock.now())? {
        let OutboxItem::Telegram {
            chat_id,
            text,
            attempts,
            ..
        } = &item;
        match bot.send_message(ChatId(*chat_id), text.clone()).await {
            Ok(_) => app.store.outbox_done(key)?,
            Err(RequestError::Api(
                ApiError::BotBlocked | ApiError::ChatNotFound | ApiError::UserDeactivated,
            )) => {
                tracing::warn!(
                    chat = chat_id,
                    "outbox message dropped: the chat cannot receive messages from this bot"
                );
                app.store.outbox_done(key)?;
            }
            Err(e) => {
                let wait = match &e {
                    RequestError::RetryAfter(s) => s.seconds() as i64,
                    _ => (1i64 << (*attempts).min(10)).min(MAX_BACKOFF_SECONDS),
                };
                tracing::warn!(chat = chat_id, attempts, wait, error = %error_kind(&e), "outbox message not delivered yet");
                let later = OutboxItem::Telegram {
                    chat_id: *chat_id,
                    text: text.clone(),
                    attempts: attempts + 1,
                    not_before: Some(app.clock.now() + Duration::seconds(wait)),
                };
                app.store.outbox_retry_later(key, &later)?;
            }
        }
    }
    Ok(())
}
