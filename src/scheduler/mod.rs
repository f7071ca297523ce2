//! The scheduler: one loop that wakes at least every 30 s (or when poked), reads the clock — a
//! trait, so tests and the console move time — and runs what is due. Each slot has a marker in
//! sled, written in the same transaction as the messages it queues, so a job runs once per slot
//! across restarts; a slot missed while the process was down runs late within its window (the brief
//! until 12:00 UTC). What each job says and decides is the fleet's (`fleet::brief`,
//! `fleet::health`); this decides when.
//!
//! - every day at `M2O_BRIEF_AT` (07:00 UTC): the morning brief to the masters (spec §7.3);
//! - Monday 06:30 UTC: the weekly fleet health check (`getMe` with each agent's token; spec §4b);
//! - Monday 08:00 UTC: the contact-track digest, each lead with `[Qualify]` (spec §7.7);
//! - Friday 16:00 UTC: the week in review (proactive behaviours, spec §7.6);
//! - every hour: a sample of the fleet's health, for the panel's chart (`fleet::panel`);
//! - a day after the newest backup in `M2O_BACKUP_DIR`: a new one (`fleet::backups`);
//! - 09:00 in each contact-track lead's own timezone on days 1, 3 and 7: a nurture message
//!   (Telegram and email), until they are qualified or send /stop (spec §7.7).

mod nudge;
mod nurture;
pub mod slots;
pub mod weekly;

use crate::app::App;
use chrono::{DateTime, NaiveTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The brief may go out late after downtime, but not after noon UTC.
pub const BRIEF_LATE_UNTIL: (u32, u32) = (12, 0);

pub async fn run(app: Arc<App>) {
    loop {
        tick(&app).await;
        tokio::select! {
            _ = app.scheduler_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
}

/// Runs everything that is due now. Public so tests can drive time step by step.
pub async fn tick(app: &Arc<App>) {
    let now = app.clock.now();
    if let Err(e) = brief_due(app, now).await {
        tracing::error!(error = %e, "morning brief failed");
    }
    if let Err(e) = weekly::run_due(app, now).await {
        tracing::error!(error = %e, "weekly jobs failed");
    }
    if let Err(e) = nurture::run_due(app, now).await {
        tracing::error!(error = %e, "nurture failed");
    }
    if let Err(e) = nudge::run_due(app, now).await {
        tracing::error!(error = %e, "nudges failed");
    }
    if let Err(e) = crate::fleet::panel::sample_health(app, now) {
        tracing::error!(error = %e, "the fleet's health sample failed");
    }
    crate::fleet::backups::run_due(app).await;
}

async fn brief_due(app: &App, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (h, m) = app.config.brief_at;
    let at = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    let until = NaiveTime::from_hms_opt(BRIEF_LATE_UNTIL.0, BRIEF_LATE_UNTIL.1, 0).unwrap_or(NaiveTime::MIN);
    if let Some(date) = slots::daily(now, at, until) {
        crate::fleet::brief::send_daily(app, date, now).await?;
    }
    Ok(())
}
