//! The scheduler (§7.3, §7.6, §7.7, §4b): one loop that wakes at least every 30 s (or when poked),
//! reads the clock — a trait, so tests and the console move time — and runs what is due. Each slot
//! has a marker in sled, written in the same transaction as the messages it queues, so a job runs
//! once per slot across restarts; a slot missed while the process was down runs late within its
//! window (the brief until 12:00 UTC).
//!
//! - every day at `M2O_BRIEF_AT` (07:00 UTC): the morning brief to the masters;
//! - Monday 06:30 UTC: the weekly fleet health check (`getMe` with each agent's token);
//! - Monday 08:00 UTC: the contact-track digest, each lead with [Qualify];
//! - Friday 16:00 UTC: the week in review;
//! - 09:00 in each contact-track lead's own timezone on days 1, 3 and 7: a nurture message
//!   (Telegram and email), until they are qualified or send /stop.

pub mod brief;
pub mod nurture;
pub mod slots;
pub mod weekly;

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;

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
    if let Err(e) = brief::run_due(app, now).await {
        tracing::error!(error = %e, "morning brief failed");
    }
    if let Err(e) = weekly::run_due(app, now).await {
        tracing::error!(error = %e, "weekly jobs failed");
    }
    if let Err(e) = nurture::run_due(app, now).await {
        tracing::error!(error = %e, "nurture failed");
    }
}
