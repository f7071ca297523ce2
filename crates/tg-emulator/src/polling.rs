//! getUpdates: long polling with Telegram's semantics.
//!
//! - `offset` confirms (drops) every update with a smaller id; a negative
//!   offset returns the last `-offset` updates without confirming any.
//! - `limit` is clamped to 1..=100 (default 100), `timeout` to 0..=50 s
//!   (the open-source server's `LONG_POLL_MAX_TIMEOUT`).
//! - The call returns as soon as an update is queued, or empty at the timeout.
//! - A newer getUpdates for the same bot makes a still-waiting older one
//!   answer 409, so two bot instances on one token fail as in production.
//! - `allowed_updates` is remembered per bot; updates of other types are
//!   dropped when a poll would deliver them.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    params::{ApiError, ApiResult, Params},
    state::{BotState, Shared},
};

const MAX_TIMEOUT_SECS: i64 = 50;

/// Update types an empty or absent `allowed_updates` leaves out (spec).
const NOT_BY_DEFAULT: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

/// The answer's `result`, as JSON text (an array of the queued updates' texts).
pub(crate) async fn get_updates(shared: &Shared, bot_id: i64, p: &Params) -> ApiResult<String> {
    let offset = p.i64("offset")?.unwrap_or(0);
    let limit = p.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = p.i64("timeout")?.unwrap_or(0).clamp(0, MAX_TIMEOUT_SECS) as u64;
    let allowed: Option<Vec<String>> = p
        .json("allowed_updates")?
        .map(|v| serde_json::from_value(v).map_err(|_| ApiError::bad_request("can't parse allowed_updates")))
        .transpose()?;

    let (notify, my_poll) = {
        let mut st = shared.lock();
        let bot = st.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
        bot.poll_seq += 1;
        if allowed.is_some() {
            bot.allowed_updates = allowed;
        }
        if offset > 0 {
            bot.updates.retain(|(id, _, _)| *id >= offset);
        }
        (bot.update_notify.clone(), bot.poll_seq)
    };
    // Wake an older poll that is still waiting: it sees it was superseded.
    notify.notify_waiters();

    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        // Registered before looking at the queue, so an update queued in
        // between still wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            let closed = st.closed;
            let bot = st.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
            if bot.webhook.is_some() {
                return Err(ApiError::new(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                ));
            }
            if bot.poll_seq != my_poll {
                return Err(ApiError::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            let batch = take_batch(bot, offset, limit);
            if !batch.is_empty() || closed || Instant::now() >= deadline {
                return Ok(format!("[{}]", batch.join(",")));
            }
        }
        // On timeout the loop looks once more and then returns what it has.
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

/// Whether an update of `kind` is delivered under the bot's `allowed_updates`.
pub(crate) fn allowed(list: &Option<Vec<String>>, kind: &str) -> bool {
    match list.as_deref() {
        None | Some([]) => !NOT_BY_DEFAULT.contains(&kind),
        Some(list) => list.iter().any(|k| k == kind),
    }
}

/// Up to `limit` pending updates, oldest first (they stay queued until a
/// later call confirms them with its offset).
fn take_batch(bot: &mut BotState, offset: i64, limit: usize) -> Vec<String> {
    let allowed_now = bot.allowed_updates.clone();
    bot.updates.retain(|(_, kind, _)| allowed(&allowed_now, kind));
    let skip = if offset < 0 { bot.updates.len().saturating_sub(offset.unsigned_abs() as usize) } else { 0 };
    bot.updates.iter().skip(skip).take(limit).map(|(_, _, u)| u.clone()).collect()
}
