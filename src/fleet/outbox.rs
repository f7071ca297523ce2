//! Delivers the outbox: what a committed change promised — Telegram messages (a master's notice, a
//! client's news, a digest to every lead), emails, CRM updates, greetings from agents' bots,
//! decisions POSTed to agents. Runs beside the dispatcher; wakes when something is queued and every
//! second. An item is removed only once it was accepted, so a crash or an outage means a retry,
//! never a loss; retries back off exponentially (or as the server's `retry_after` says). Telegram
//! sends go through a paced notifier (`TelegramNotifier::paced`: 30 messages/s overall, 1/s and
//! 20/min per chat), so a broadcast to hundreds of chats never meets a 429.

use super::Attempt;
use crate::app::App;
use crate::services::mailer::{Mail, MailError};
use crate::services::notifier::{Notifier, SendError};
use crate::store::{Change, Notice, OutboxItem, Outgoing};
use chrono::Duration;
use std::sync::Arc;

const MAX_BACKOFF_SECONDS: i64 = 600;

/// What became of one delivery attempt.
enum Outcome {
    /// Accepted; for a notice, the message to remember (subject, what was sent where) so it can
    /// be edited in place when its subject is decided.
    Delivered(Option<(u64, Notice)>),
    /// Will never work (a chat that blocked us); dropped with a warning.
    Dropped(String),
    /// Try again after this many seconds (or the usual backoff).
    Later(String, Option<i64>),
    /// The receiver refused the request itself (a 4xx): retrying would fail the same way for ever.
    /// Kept aside, and the masters are told.
    Parked(String),
}

pub async fn run(app: Arc<App>, notifier: Arc<dyn Notifier>) {
    loop {
        if let Err(e) = deliver_due(&app, notifier.as_ref()).await {
            tracing::error!(error = %e, "outbox delivery failed");
        }
        tokio::select! {
            _ = app.outbox_ready.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// How many chats are sent to at once. The paced notifier does the pacing; concurrency only keeps
/// its queue full (one request at a time would wait out its timer for every message).
const CONCURRENT_CHATS: usize = 64;

pub async fn deliver_due(app: &App, notifier: &dyn Notifier) -> anyhow::Result<()> {
    use futures::StreamExt;
    // One lane per chat, in order (a split brief must arrive in order); other kinds one lane each.
    let mut lanes: Vec<Vec<(u64, OutboxItem)>> = Vec::new();
    let mut lane_of_chat = std::collections::HashMap::new();
    for (key, item) in app.store.outbox_due(app.clock.now())? {
        match &item.what {
            // A picture follows its text in the same chat (the review, then its funnel).
            Outgoing::Telegram { chat_id, .. } | Outgoing::FunnelChart { chat_id, .. } => {
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
                let outcome = deliver(app, notifier, &item.what).await;
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
        // The item goes and its notice is remembered together: a crash between the two would
        // otherwise send it again.
        Outcome::Delivered(notice) => {
            let notices = notice.into_iter().collect();
            app.store.commit(&Change { outbox_settled: Some((key, None)), notices, ..Change::default() })?
        }
        Outcome::Dropped(why) => {
            tracing::warn!(why, "outbox item dropped");
            app.store.commit(&Change { outbox_settled: Some((key, None)), ..Change::default() })?;
        }
        Outcome::Later(why, wait) => {
            let wait = wait.unwrap_or_else(|| (1i64 << item.attempts.min(10)).min(MAX_BACKOFF_SECONDS));
            tracing::warn!(attempts = item.attempts, wait, why, "outbox item not delivered yet");
            let later = OutboxItem {
                attempts: item.attempts + 1,
                not_before: Some(app.clock.now() + Duration::seconds(wait)),
                ..item.clone()
            };
            app.store.commit(&Change { outbox_settled: Some((key, Some(later))), ..Change::default() })?;
        }
        Outcome::Parked(why) => {
            tracing::error!(item = key, what = describe(&item.what), why, "outbox item refused for good; set aside");
            let parked = OutboxItem { parked: Some(why.clone()), ..item.clone() };
            let mut change = Change { outbox_settled: Some((key, Some(parked))), ..Change::default() };
            if !item.alert {
                let text = app.master_tr().t_args(
                    "master-outbox-parked",
                    &[("what", describe(&item.what).as_str().into()), ("why", why.as_str().into())],
                );
                change.outbox = OutboxItem::to_each(&app.config.master_ids, &text, &[], None);
                change.outbox.iter_mut().for_each(|alert| alert.alert = true);
            }
            app.commit(&change)?;
        }
    }
    Ok(())
}

/// Our own token refused (in webhook mode nothing else would notice): the bot cannot go on, so
/// it stops and is restarted; the message waits in the outbox for the new token.
fn token_refused(app: &App, e: SendError) -> Outcome {
    app.metrics.fail(crate::services::telegram::TOKEN_REFUSED);
    Outcome::Later(e.to_string(), None)
}

async fn deliver(app: &App, notifier: &dyn Notifier, what: &Outgoing) -> Outcome {
    match what {
        Outgoing::Telegram { chat_id, text, buttons, notice_for } => match notifier.send(*chat_id, text, buttons).await
        {
            Ok(message_id) => Outcome::Delivered(notice_for.map(|s| {
                (s, Notice { chat: *chat_id, message: message_id, text: text.clone(), buttons: buttons.clone() })
            })),
            Err(SendError::Unreachable(why)) => Outcome::Dropped(format!("chat {chat_id}: {why}")),
            Err(SendError::Rejected(why)) => Outcome::Parked(why),
            Err(e @ SendError::RetryAfter(seconds)) => Outcome::Later(e.to_string(), Some(seconds as i64)),
            // A master who has not pressed Start yet may still do so: keep trying, backing off.
            Err(e @ (SendError::NotStarted | SendError::Failed(_))) => Outcome::Later(e.to_string(), None),
            Err(e @ SendError::TokenRefused) => token_refused(app, e),
        },
        Outgoing::Edit { chat_id, message_id, text, buttons } => {
            match notifier.edit(*chat_id, *message_id, text, buttons).await {
                Ok(()) => Outcome::Delivered(None),
                // Too old to edit, or deleted: the store and the line keep the text.
                Err(SendError::Rejected(why) | SendError::Unreachable(why)) => {
                    Outcome::Dropped(format!("edit in chat {chat_id}: {why}"))
                }
                Err(SendError::RetryAfter(seconds)) => Outcome::Later("rate limited".into(), Some(seconds as i64)),
                Err(e @ SendError::TokenRefused) => token_refused(app, e),
                Err(e) => Outcome::Later(e.to_string(), None),
            }
        }
        Outgoing::Email { to, subject, text } => {
            let mail = Mail { to: to.clone(), subject: subject.clone(), text: text.clone() };
            match app.mailer.send(&mail).await {
                Ok(()) => Outcome::Delivered(None),
                // The provider refused this message (a bad address, say): it will refuse it again.
                Err(e @ MailError::Rejected { status, .. })
                    if (400..500).contains(&status) && status != 408 && status != 429 =>
                {
                    Outcome::Parked(e.to_string())
                }
                Err(e) => Outcome::Later(e.to_string(), None),
            }
        }
        Outgoing::Crm { contact_id } => super::crm::mirror(app, *contact_id).await.into(),
        Outgoing::FunnelChart { chat_id, week } => {
            let (png, caption) = match super::chart::funnel_for(app, *week) {
                Ok(drawn) => drawn,
                Err(e) => return Outcome::Later(format!("the funnel could not be drawn: {e:#}"), None),
            };
            match notifier.send_photo(*chat_id, png, &caption).await {
                Ok(_) => Outcome::Delivered(None),
                Err(SendError::Unreachable(why)) => Outcome::Dropped(format!("chat {chat_id}: {why}")),
                Err(SendError::Rejected(why)) => Outcome::Parked(why),
                Err(e @ SendError::RetryAfter(seconds)) => Outcome::Later(e.to_string(), Some(seconds as i64)),
                Err(e @ (SendError::NotStarted | SendError::Failed(_))) => Outcome::Later(e.to_string(), None),
                Err(e @ SendError::TokenRefused) => token_refused(app, e),
            }
        }
        Outgoing::Greeting { agent } => super::live::deliver_greeting(app, notifier, agent).await.into(),
        Outgoing::Webhook { url, body } => {
            // Checked again here: M2O_CALLBACK_HOSTS may have changed since the agent gave its URL.
            if !app.config.callback_allowed(url) {
                return Outcome::Dropped("the callback's host is not in M2O_CALLBACK_HOSTS".into());
            }
            let sent = webhook_client().post(url).timeout(std::time::Duration::from_secs(10)).json(body).send().await;
            match sent {
                Ok(r) if r.status().is_success() => Outcome::Delivered(None),
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

/// The client for agents' callbacks: it follows no redirect, so an allowed host cannot send the
/// bot on to one that is not.
fn webhook_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    })
}

/// What an item is, for a log line or an alert: never its content.
fn describe(what: &Outgoing) -> String {
    match what {
        Outgoing::Telegram { chat_id, .. } => format!("a Telegram message to chat {chat_id}"),
        Outgoing::Edit { chat_id, .. } => format!("an edit of a message in chat {chat_id}"),
        Outgoing::Email { to, .. } => format!("an email to {to}"),
        Outgoing::Crm { contact_id } => format!("the CRM update of contact {contact_id}"),
        Outgoing::Greeting { agent } => format!("{agent}'s greeting"),
        Outgoing::Webhook { .. } => "a decision for an agent's callback".to_string(),
        Outgoing::FunnelChart { chat_id, week } => format!("the funnel picture of week {week} to chat {chat_id}"),
    }
}

impl From<Attempt> for Outcome {
    fn from(o: Attempt) -> Outcome {
        match o {
            Attempt::Done => Outcome::Delivered(None),
            Attempt::Retry(why) => Outcome::Later(why, None),
            Attempt::Drop(why) => Outcome::Dropped(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::testing::{Fixture, MASTER};

    /// Telegram has no way to send exactly once: a message it took just before a crash (or a
    /// failed write) is sent again. What the outbox does guarantee: the item and the notice it
    /// leaves are settled in one write, so a notice is never remembered twice nor an item lost.
    #[tokio::test]
    async fn a_notice_is_settled_in_one_write_and_sent_at_least_once() {
        let f = Fixture::new().await;
        let notice = OutboxItem::to_each(&[MASTER], "🆕 Agent request #7", &[], Some(7));
        f.app.commit(&Change { outbox: notice, ..Change::default() }).unwrap();

        f.app.store.fail_next_commit();
        assert!(deliver_due(&f.app, f.app.notifier.as_ref()).await.is_err(), "the settling write failed");
        assert_eq!(f.app.store.outbox_len(), 1, "so the item is still there");
        assert!(f.app.store.notices(7).unwrap().is_empty(), "and no notice was half-recorded");

        deliver_due(&f.app, f.app.notifier.as_ref()).await.unwrap();
        assert_eq!(f.app.store.outbox_len(), 0);
        assert_eq!(f.app.store.notices(7).unwrap().len(), 1, "one notice remembered");
        let sent = f
            .emu
            .transcript(&f.app.config.telegram_token, MASTER)
            .into_iter()
            .filter(|e| e.text.contains("request #7"))
            .count();
        assert_eq!(sent, 2, "at least once: Telegram got it twice");
    }
}
