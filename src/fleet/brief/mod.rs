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
use crate::store::{Change, Guard, Notice, OutboxItem, Outgoing, StoreError};
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

/// After a decision (`decided`: the callback data of its buttons): in today's brief, wherever it
/// was sent, only that item changes — its button row goes and its line ends with `outcome`; the
/// rest of the brief stays as the master read it. The stored copy and the edit are one write.
pub fn settle_item(app: &App, decided: &[String], outcome: &str) {
    let key = notice_key(app.clock.now().date_naive());
    let Ok(sent) = app.store.notices(key) else { return };
    let mut change = Change::default();
    for n in sent {
        let mut number = None;
        let buttons: Vec<Vec<(String, String)>> = n
            .buttons
            .iter()
            .filter(|row| {
                let hit = row.iter().any(|(_, data)| decided.contains(data));
                if hit {
                    // Labels are "2. ✅ Approve": the item's number.
                    number = row.first().and_then(|(label, _)| label.split_once(". ")).map(|(n, _)| n.to_string());
                }
                !hit
            })
            .cloned()
            .collect();
        let Some(number) = number else { continue };
        let item = format!("{}{number}. ", compose::INDENT);
        let text = n
            .text
            .lines()
            .map(|l| if l.starts_with(&item) { format!("{l} — {outcome}") } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n");
        change.outbox.push(OutboxItem::new(Outgoing::Edit {
            chat_id: n.chat,
            message_id: n.message,
            text: text.clone(),
            buttons: buttons.clone(),
        }));
        change.notices.push((key, Notice { text, buttons, ..n }));
    }
    if !change.notices.is_empty() {
        if let Err(e) = app.commit(&change) {
            tracing::warn!(error = %e, "the brief's item was not settled");
        }
    }
}

/// The day's brief as messages; `None` when the seed's rule skips it.
pub async fn messages(app: &App, now: DateTime<Utc>, date: NaiveDate) -> anyhow::Result<Option<Vec<BriefMessage>>> {
    let input = gather(app, now, date).await?;
    let tr = app.master_tr();
    let mut messages = compose(&input, &tr);
    // The panel is one tap away under the brief's last part, where the master has read it all.
    if let (Some(last), Some(row)) =
        (messages.as_mut().and_then(|m| m.last_mut()), super::buttons::open_panel(app, &tr))
    {
        last.buttons.push(row);
    }
    Ok(messages)
}
