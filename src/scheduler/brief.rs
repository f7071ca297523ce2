//! The morning brief (§7.3): gathered from the store (and Planka when configured), composed by
//! `domain::brief`, sent once a day to every master through the outbox. A decision taken from the
//! brief's buttons re-composes it and edits it in place.

use super::slots;
use crate::app::App;
use crate::content::Radius;
use crate::domain::agent::{AgentState, JobState};
use crate::domain::brief::{self, Blocked, BriefInput, BriefMessage, NeedItem};
use crate::domain::escalation::ActionState;
use crate::domain::ContactState;
use crate::store::{Change, Guard, OutboxItem};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use std::sync::Arc;
use teloxide::prelude::*;

/// The brief may go out late after downtime, but not after noon UTC.
pub const LATE_UNTIL: (u32, u32) = (12, 0);

/// The notices key under which a day's brief messages are remembered (for edits in place);
/// high bit set so it never meets a contact, escalation or action id.
fn notice_key(date: NaiveDate) -> u64 {
    (1 << 62) | date.format("%Y%m%d").to_string().parse::<u64>().unwrap_or(0)
}

pub async fn run_due(app: &Arc<App>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (h, m) = app.config.brief_at;
    let at = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    let until = NaiveTime::from_hms_opt(LATE_UNTIL.0, LATE_UNTIL.1, 0).unwrap_or(NaiveTime::MIN);
    let Some(date) = slots::daily(now, at, until) else { return Ok(()) };
    let marker = format!("brief:{date}");
    if app.store.marker(&marker)?.is_some() {
        return Ok(());
    }
    let messages = compose(app, now, date).await?;
    let mut change = Change {
        guards: vec![Guard::MarkerAbsent(marker.clone())],
        markers: vec![(
            marker,
            if messages.is_some() { "sent" } else { "skipped: nothing needs the master" }.to_string(),
        )],
        ..Change::default()
    };
    if let Some(messages) = &messages {
        change.outbox = outbox_to(&app.config.master_ids, messages, date);
    }
    match app.store.commit(&change) {
        // Another tick (or process) got there first: exactly once.
        Err(crate::store::StoreError::Conflict(_)) => return Ok(()),
        other => other?,
    }
    tracing::info!(%date, sent = messages.is_some(), "morning brief");
    app.outbox_ready.notify_one();
    Ok(())
}

/// `/brief`: the brief now, for the asking master, without counting as the day's brief.
pub async fn send_now(app: &Arc<App>, chat: i64) -> anyhow::Result<bool> {
    let now = app.clock.now();
    let Some(messages) = compose(app, now, now.date_naive()).await? else { return Ok(false) };
    let change = Change { outbox: outbox_to(&[chat], &messages, now.date_naive()), ..Change::default() };
    app.store.commit(&change)?;
    app.outbox_ready.notify_one();
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
pub async fn refresh_today(app: &Arc<App>) {
    let now = app.clock.now();
    let date = now.date_naive();
    let sent = app.store.notices(notice_key(date)).unwrap_or_default();
    if sent.is_empty() {
        return;
    }
    let messages = match compose(app, now, date).await {
        Ok(Some(m)) => m,
        Ok(None) => vec![BriefMessage { text: app.master_tr().t("brief-all-clear"), buttons: Vec::new() }],
        Err(e) => {
            tracing::warn!(error = %e, "could not recompose the brief");
            return;
        }
    };
    let bot = app.bot();
    let mut chats: Vec<i64> = sent.iter().map(|(c, _, _)| *c).collect();
    chats.dedup();
    for chat in chats {
        let ids: Vec<i32> = sent.iter().filter(|(c, _, _)| *c == chat).map(|(_, m, _)| *m).collect();
        for (i, id) in ids.iter().enumerate() {
            let (text, buttons) = match messages.get(i) {
                Some(m) => (m.text.clone(), m.buttons.clone()),
                None => ("—".to_string(), Vec::new()),
            };
            let request = bot
                .edit_message_text(ChatId(chat), teloxide::types::MessageId(*id), text)
                .reply_markup(crate::bot::ctx::keyboard(buttons));
            if let Err(e) = request.await {
                tracing::debug!(error = %crate::services::telegram::error_kind(&e), "brief not edited");
            }
        }
    }
}

/// Gathers the day's brief from the store; `None` when the seed's rule skips it.
pub async fn compose(app: &App, now: DateTime<Utc>, date: NaiveDate) -> anyhow::Result<Option<Vec<BriefMessage>>> {
    let input = gather(app, now, date).await?;
    Ok(brief::compose(&input, &app.master_tr()))
}

pub async fn gather(app: &App, now: DateTime<Utc>, date: NaiveDate) -> anyhow::Result<BriefInput> {
    let tr = app.master_tr();
    let store = &app.store;
    // `domain::brief` numbers the items and their buttons.
    let mut needs_you = Vec::new();
    let (approve, reject) = (tr.t("button-approve"), tr.t("button-reject"));
    let escalations = store.escalations()?;
    for e in escalations.iter().filter(|e| e.overdue(now, app.config.escalation_sla)) {
        let fix = e.proposed_fix.clone().unwrap_or_else(|| tr.t("escalation-no-fix"));
        let buttons = crate::fleet::escalations::buttons(app, e);
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-escalation",
                &[("agent", (&e.agent).into()), ("need", (&e.need).into()), ("fix", (&fix).into())],
            ),
            buttons,
        });
    }
    let actions = store.actions()?;
    for a in actions.iter().filter(|a| a.state == ActionState::Pending && a.radius == Radius::Red) {
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-action",
                &[("agent", (&a.agent).into()), ("action", (&a.action).into()), ("summary", (&a.summary).into())],
            ),
            buttons: vec![(approve.clone(), format!("ac:{}:a", a.id)), (reject.clone(), format!("ac:{}:r", a.id))],
        });
    }

    // Requests last and at most what the brief lists: a backlog is counted, not read.
    let room = brief::MAX_ACTION_ITEMS.saturating_sub(needs_you.len());
    for c in store.iter_in(ContactState::PendingReview).take(room) {
        let c = c?;
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-request",
                &[
                    ("name", c.agent_name.as_deref().unwrap_or("?").into()),
                    ("email", (&c.email).into()),
                    ("score", c.score.unwrap_or_default().into()),
                ],
            ),
            buttons: vec![(approve.clone(), format!("ap:{}", c.id)), (reject.clone(), format!("rj:{}", c.id))],
        });
    }
    let needs_more = store.count_in(ContactState::PendingReview).saturating_sub(room);
    let agents: Vec<_> = store.agents()?.into_iter().filter(|a| a.state != AgentState::Destroyed).collect();
    let mut happening: Vec<(String, String)> =
        agents.iter().filter_map(|a| a.doing.clone().map(|d| (a.name.clone(), d))).collect();
    let day_start = date.and_time(NaiveTime::MIN).and_utc();
    let yesterday = (day_start - Duration::days(1), day_start);
    let mut shipped = Vec::new();
    if let Some(planka) = &app.planka {
        match planka.now_cards().await {
            Ok(cards) => happening.extend(cards.into_iter().map(|c| ("Planka".to_string(), c.name))),
            Err(e) => tracing::warn!(error = %e, "Planka's Now cards are not in the brief"),
        }
        match planka.done_between(yesterday.0, yesterday.1).await {
            Ok(cards) => shipped.extend(cards.into_iter().map(|c| c.name)),
            Err(e) => tracing::warn!(error = %e, "Planka's Done cards are not in the brief"),
        }
    }
    let in_yesterday = |t: DateTime<Utc>| t >= yesterday.0 && t < yesterday.1;
    for a in agents.iter().filter(|a| a.live_at.is_some_and(in_yesterday)) {
        shipped.push(tr.t_args("brief-shipped-live", &[("name", (&a.name).into())]));
    }
    for (id, d) in store.decisions()?.into_iter().filter(|(_, d)| in_yesterday(d.at)) {
        let name = store.contact(id)?.and_then(|c| c.agent_name).unwrap_or_default();
        let key = if d.approved { "brief-shipped-approved" } else { "brief-shipped-rejected" };
        shipped.push(tr.t_args(key, &[("name", (&name).into()), ("by", d.by.to_string().as_str().into())]));
    }
    for e in escalations.iter().filter(|e| e.ruling.as_ref().is_some_and(|r| in_yesterday(r.at))) {
        shipped
            .push(tr.t_args("brief-shipped-escalation", &[("agent", (&e.agent).into()), ("need", (&e.need).into())]));
    }

    let mut blocked = Vec::new();
    let jobs = store.jobs()?;
    for job in &jobs {
        match &job.state {
            JobState::Failed { error }
                if agents.iter().any(|a| a.name == job.agent && a.state == AgentState::Failed) =>
            {
                blocked.push(Blocked {
                    what: tr.t_args(
                        "brief-blocked-job",
                        &[
                            ("name", (&job.agent).into()),
                            ("step", (job.step.number() as i64).into()),
                            ("error", error.into()),
                        ],
                    ),
                    fix: tr.t("brief-fix-job"),
                });
            }
            JobState::Deployed
                if now - job.log.last().map(|r| r.started_at).unwrap_or(job.created_at) > Duration::minutes(30) =>
            {
                blocked.push(Blocked {
                    what: tr.t_args("brief-blocked-silent", &[("name", (&job.agent).into())]),
                    fix: tr.t_args("brief-fix-silent", &[("app", job.app_id.as_deref().unwrap_or("-").into())]),
                });
            }
            _ => {}
        }
    }
    for a in agents.iter().filter(|a| a.state == AgentState::Degraded) {
        blocked.push(Blocked {
            what: tr.t_args("brief-blocked-revoked", &[("name", (&a.name).into())]),
            fix: tr.t_args("brief-fix-revoked", &[("owner", (&a.owner_label).into())]),
        });
    }
    let fleet = agents.iter().map(|a| (a.name.clone(), crate::domain::agent::health(a, now))).collect();
    Ok(BriefInput { date, needs_you, happening, shipped, blocked, fleet, needs_more })
}
