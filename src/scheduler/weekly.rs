//! The weekly jobs: the fleet health check (Monday 06:30 UTC, before the brief; `fleet::health`),
//! the contact-track digest (the qualify-first flow, spec §7.7; Monday 08:00 UTC) and the week in
//! review (proactive behaviours, spec §7.6; Friday 16:00 UTC). The digest and the review each carry
//! the onboarding funnel as a picture (`fleet::chart`).

use super::slots;
use crate::app::App;
use crate::domain::agent::AgentState;
use crate::domain::escalation::median;
use crate::domain::{Actor, ContactState};
use crate::fleet::{buttons, people};
use crate::store::{AuditEntry, Change, Guard, OutboxItem, Outgoing, StoreError};
use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use std::sync::Arc;

const GRACE_HOURS: i64 = 4;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

pub async fn run_due(app: &Arc<App>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let grace = Duration::hours(GRACE_HOURS);
    if let Some(date) = slots::weekly(now, Weekday::Mon, hm(6, 30), grace) {
        once(app, &format!("health:{date}"), |app| Box::pin(health_check(app))).await?;
    }
    if let Some(date) = slots::weekly(now, Weekday::Mon, hm(8, 0), grace) {
        once(app, &format!("digest:{date}"), |app| Box::pin(digest(app))).await?;
    }
    if let Some(date) = slots::weekly(now, Weekday::Fri, hm(16, 0), grace) {
        once(app, &format!("review:{date}"), |app| Box::pin(review(app, now))).await?;
    }
    Ok(())
}

type Job<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Change>> + Send + 'a>>;

/// Runs a slot's job unless its marker is set; the marker is written with what the job queued.
async fn once<'a>(app: &'a Arc<App>, marker: &str, job: impl FnOnce(&'a Arc<App>) -> Job<'a>) -> anyhow::Result<()> {
    if app.store.marker(marker)?.is_some() {
        return Ok(());
    }
    let mut change = job(app).await?;
    change.guards.push(Guard::MarkerAbsent(marker.to_string()));
    change.markers.push((marker.to_string(), app.clock.now().to_rfc3339()));
    match app.commit(&change) {
        Err(StoreError::Conflict(_)) => return Ok(()),
        other => other?,
    }
    tracing::info!(marker, "weekly job done");
    Ok(())
}

fn to_masters(app: &App, text: String, buttons: Vec<Vec<(String, String)>>) -> Vec<OutboxItem> {
    OutboxItem::to_each(&app.config.master_ids, &text, &buttons, None)
}

/// The funnel picture of this week to every master, after the text it belongs to (the same chat's
/// lane keeps the order). Queued with the slot's marker: sent once, however often the process
/// restarts; drawn when it is sent.
fn funnel_to_masters(app: &App, now: DateTime<Utc>) -> Vec<OutboxItem> {
    let week = crate::fleet::funnel::monday(now);
    app.config.master_ids.iter().map(|m| OutboxItem::new(Outgoing::FunnelChart { chat_id: *m, week })).collect()
}

/// The weekly health check; revoked agents are written one by one as they are found.
pub async fn health_check(app: &Arc<App>) -> anyhow::Result<Change> {
    let revoked = crate::fleet::health::check_fleet(app).await?;
    let why = format!(
        "weekly getMe per agent; revoked: {}",
        if revoked.is_empty() { "none".into() } else { revoked.join(", ") }
    );
    Ok(Change {
        audit: vec![AuditEntry::event(app.clock.now(), Actor::System, None, "health_check", &why)],
        ..Change::default()
    })
}

/// The contact-track digest: each lead with its score and a one-tap `[Qualify]`.
pub async fn digest(app: &Arc<App>) -> anyhow::Result<Change> {
    let tr = app.master_tr();
    let mut leads: Vec<_> = app.store.contacts_in(ContactState::ContactTrack)?;
    leads.sort_by_key(|c| std::cmp::Reverse(c.score));
    let mut change = Change::default();
    if leads.is_empty() {
        return Ok(change);
    }
    let mut text = tr.t_args("digest-title", &[("count", (leads.len() as i64).into())]);
    let mut rows = Vec::new();
    for c in leads.iter().take(40) {
        text.push_str(&format!("\n#{} {} — {}", c.id, c.email, people::score_text(app, &tr, c)));
        rows.push(buttons::qualify(&tr, c.id));
    }
    if leads.len() > 40 {
        text.push_str(&tr.t_args("master-leads-more", &[("count", ((leads.len() - 40) as i64).into())]));
    }
    change.outbox = to_masters(app, text, rows);
    change.outbox.extend(funnel_to_masters(app, app.clock.now()));
    Ok(change)
}

/// The week in review: agents live, leads by state, escalations decided, median time to decision.
pub async fn review(app: &Arc<App>, now: DateTime<Utc>) -> anyhow::Result<Change> {
    let tr = app.master_tr();
    let week_ago = now - Duration::days(7);
    let agents = app.store.agents()?;
    let live = agents.iter().filter(|a| a.state == AgentState::Live).count();
    let new_live = agents.iter().filter(|a| a.live_at.is_some_and(|t| t >= week_ago)).count();
    let count = |s: ContactState| app.store.count_in(s) as i64;
    let decided: Vec<_> = app
        .store
        .escalations()?
        .into_iter()
        .filter_map(|e| e.ruling.map(|r| (e.created_at, r.at)))
        .filter(|(_, at)| *at >= week_ago)
        .collect();
    let times = decided.iter().map(|(created, at)| *at - *created).collect();
    let median =
        median(times).map(|d| format!("{}h {}m", d.num_hours(), d.num_minutes() % 60)).unwrap_or_else(|| "—".into());
    let text = tr.t_args(
        "review",
        &[
            ("live", (live as i64).into()),
            ("new", (new_live as i64).into()),
            ("pending", count(ContactState::PendingReview).into()),
            ("qualified", count(ContactState::Qualified).into()),
            ("track", count(ContactState::ContactTrack).into()),
            ("waitlisted", count(ContactState::Waitlisted).into()),
            ("decided", (decided.len() as i64).into()),
            ("median", (&median).into()),
        ],
    );
    let mut outbox = to_masters(app, text, Vec::new());
    outbox.extend(funnel_to_masters(app, now));
    Ok(Change { outbox, ..Change::default() })
}
