//! setWebhook with Telegram's semantics: updates are POSTed, one at a time and in order, to the
//! bot's URL with the `X-Telegram-Bot-Api-Secret-Token` header when a secret was given; one the
//! bot does not answer with a 2xx is tried again. While a webhook is set, getUpdates answers 409.
//! Update types not in `allowed_updates` are dropped, as for polling. A failed delivery is kept as
//! the webhook's last error (getWebhookInfo's `last_error_date` and `last_error_message`, worded as
//! the Bot API server words them) until the webhook is set anew or deleted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::{
    params::{ApiError, ApiResult, Params},
    polling::allowed,
    state::{BotState, Shared, Webhook},
};

static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The `setWebhook` method: validates and stores the hook. Delivery starts in [`spawn_delivery`].
pub(crate) fn set(bot: &mut BotState, p: &Params) -> ApiResult<Value> {
    let url = p.str("url").unwrap_or_default();
    bot.webhook_error = None;
    if url.is_empty() {
        bot.webhook = None;
        bot.update_notify.notify_waiters();
        return Ok(json!(true));
    }
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|h| url.starts_with(h));
    if !url.starts_with("https://") && !loopback {
        return Err(ApiError::bad_request("bad webhook: An HTTPS URL must be provided for webhook"));
    }
    let secret = p.str("secret_token");
    if let Some(s) = &secret {
        let ok = (1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(ApiError::bad_request("secret token contains unallowed characters"));
        }
    }
    if let Some(list) = p.json("allowed_updates")? {
        bot.allowed_updates =
            Some(serde_json::from_value(list).map_err(|_| ApiError::bad_request("can't parse allowed_updates"))?);
    }
    if p.bool("drop_pending_updates") {
        bot.updates.clear();
    }
    // The Bot API server takes 1–100 and 40 when none is given.
    let max_connections = p.i64("max_connections")?.map_or(40, |n| n.clamp(1, 100) as u32);
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    bot.webhook = Some(Webhook { url, secret, max_connections, generation });
    bot.update_notify.notify_waiters();
    Ok(json!(true))
}

/// Delivers `bot_id`'s updates to its webhook until it is deleted or replaced.
pub(crate) fn spawn_delivery(shared: Arc<Shared>, bot_id: i64) {
    let Some(generation) = shared.lock().bots.get(&bot_id).and_then(|b| b.webhook.as_ref()).map(|w| w.generation)
    else {
        return;
    };
    tokio::spawn(async move {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
        loop {
            let (notify, hook, next) = {
                let mut st = shared.lock();
                if st.closed {
                    return;
                }
                let Some(bot) = st.bots.get_mut(&bot_id) else { return };
                let hook = match &bot.webhook {
                    Some(w) if w.generation == generation => w.clone(),
                    _ => return,
                };
                let allowed_now = bot.allowed_updates.clone();
                bot.updates.retain(|(_, kind, _)| allowed(&allowed_now, kind));
                let next = bot.updates.front().map(|(id, _, text)| (*id, text.clone()));
                (bot.update_notify.clone(), hook, next)
            };
            let Some((id, text)) = next else {
                let _ = tokio::time::timeout(Duration::from_millis(200), notify.notified()).await;
                continue;
            };
            let mut request = client.post(&hook.url).header("content-type", "application/json").body(text);
            if let Some(secret) = &hook.secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => {
                    if let Some(bot) = shared.lock().bots.get_mut(&bot_id) {
                        bot.updates.retain(|(u, _, _)| *u != id);
                    }
                }
                Ok(r) => {
                    tracing::debug!(status = %r.status(), "telegram emulator: webhook refused an update; retrying");
                    let status = r.status();
                    let reason = status.canonical_reason().unwrap_or_default();
                    failed(
                        &shared,
                        bot_id,
                        generation,
                        format!("Wrong response from the webhook: {} {reason}", status.as_u16()),
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    let message = if e.is_timeout() {
                        "Read timeout expired"
                    } else if e.is_connect() {
                        "Connection refused"
                    } else {
                        "Connection closed"
                    };
                    failed(&shared, bot_id, generation, message.to_string());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });
}

/// Keeps a failed delivery as the webhook's last error, unless the webhook changed meanwhile.
fn failed(shared: &Shared, bot_id: i64, generation: u64, message: String) {
    if let Some(bot) = shared.lock().bots.get_mut(&bot_id) {
        if bot.webhook.as_ref().is_some_and(|w| w.generation == generation) {
            bot.webhook_error = Some((crate::methods::now_unix(), message));
        }
    }
}
