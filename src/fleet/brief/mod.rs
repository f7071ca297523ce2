//! The morning brief (spec §7.3, "the brief loop"): once a day every master gets one message (or a
//! few, when it is long) with what needs them, what is happening, what shipped, what is blocked and
//! the fleet line; it is skipped when nothing needs them. A decision taken from its buttons — or
//! anywhere else — composes it again and edits it in place. When it is due is the scheduler's
//! business; this is what it says and where it goes.
//!
//! Files: `gather.rs` reads the store into a `BriefInput`, `compose.rs` lays it out (pure),
//! `split.rs` cuts it into Telegram messages (pure).

mod compose;
mod gather;
pub mod split;

use crate::app::App;
use crate::store::{Change, Guard, OutboxItem, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
pub use compose::{compose, fleet_line, Blocked, BriefInput, NeedItem, MAX_ACTION_ITEMS, MAX_FLEET_NAMES};
pub use gather::gather;
use split::BriefMessage;

/// The notices key under which a day's brief messages are remembered (for edits in place);
/// high bit set so it never meets a contact, escalation or action id.
fn notice_key(date: NaiveDate) -> u64 {
    (1 << 62) | date.format("%Y%m%d").to_string().parse::<u64>().unwrap_or(0)
}

/// The day's brief to every master, exactly once: the day's marker is written (guarded) in the
/// same transaction as the messages it queues. Returns whether it was sent (false: skipped by the
/// seed's rule, or already done).
pub async fn send_daily(app: &App, date: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let marker = format!("brief:{date}");
    if app.store.marker(&marker)?.is_some() {
        return Ok(false);
    }
    let messages = messages(app, now, date).await?;
    let outcome = if messages.is_some() { "sent" } else { "skipped: nothing needs the master" };
    let mut change = Change {
        guards: vec![Guard::MarkerAbsent(marker.clone())],
        markers: vec![(marker, outcome.to_string())],
        ..Change::default()
    };
    if let Some(messages) = &messages {
        change.outbox = outbox_to(&app.config.master_ids, messages, date);
    }
    match app.commit(&change) {
        // Another tick (or process) got there first: exactly once.
        Err(StoreError::Conflict(_)) => return Ok(false),
        other => other?,
    }
    tracing::info!(%date, sent = messages.is_some(), "morning brief");
    Ok(messages.is_some())
}

/// `/brief`: the brief now, for the asking master, without counting as the day's brief. Returns
/// false when there is nothing to say.
pub async fn send_now(app: &App, chat: i64) -> anyhow::Result<bool> {
    let now = app.clock.now();
    let Some(messages) = messages(app, now, now.date_naive()).await? else { return Ok(false) };
    app.commit(&Change { outbox: outbox_to(&[chat], &messages, now.date_naive()), ..Change::default() })?;
    Ok(true)
}

fn outbox_to(chats: &[i64], messages: &[BriefMessage], date: NaiveDate) -> Vec<OutboxItem> {
    // Per chat, in order: a split brief arrives as consecutive messages.
    let mut items = Vec::new();
    for chat in chats {
        for m in messages {
            items.extend(OutboxItem::to_each(&[*chat], &m.text, &m.buttons, Some(notice_key(date))));
        }
    }
    items
}

/// After a decision: today's brief, wherever it was sent, is composed again and edited in place.
pub async fn refresh_today(app: &App) {
    let now = app.clock.now();
    let date = now.date_naive();
    let sent = app.store.notices(notice_key(date)).unwrap_or_default();
    if sent.is_empty() {
        return;
    }
    let messages = match messages(app, now, date).await {
        Ok(Some(m)) => m,
        Ok(None) => vec![BriefMessage { text: app.master_tr().t("brief-all-clear"), buttons: Vec::new() }],
        Err(e) => {
            tracing::warn!(error = %e, "could not recompose the brief");
            return;
        }
    };
    let mut chats: Vec<i64> = sent.iter().map(|n| n.chat).collect();
    chats.dedup();
    for chat in chats {
        let ids: Vec<i32> = sent.iter().filter(|n| n.chat == chat).map(|n| n.message).collect();
        for (i, id) in ids.iter().enumerate() {
            let (text, buttons) = match messages.get(i) {
                Some(m) => (m.text.as_str(), m.buttons.as_slice()),
                None => ("—", &[][..]),
            };
            if let Err(e) = app.notifier.edit(chat, *id, text, buttons).await {
                tracing::debug!(error = %e, "brief not edited");
            }
        }
    }
}

/// The day's brief as messages; `None` when the seed's rule skips it.
pub async fn messages(app: &App, now: DateTime<Utc>, date: NaiveDate) -> anyhow::Result<Option<Vec<BriefMessage>>> {
    let input = gather(app, now, date).await?;
    Ok(compose(&input, &app.master_tr()))
}
