//! `GET /healthz` and `GET /metrics` (Prometheus text format).

use crate::app::App;
use crate::domain::agent::JobState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Liveness: 200 while the bot can go on, 503 with the reason once it cannot (the process is
/// about to exit; its supervisor restarts it).
pub async fn livez(State(app): State<Arc<App>>) -> impl IntoResponse {
    match app.metrics.failure() {
        None => (StatusCode::OK, Json(json!({ "ok": true }))),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ok": false, "reason": reason }))),
    }
}

/// Readiness: ready when nothing has failed for good, the store answers and polling is not
/// failing: the last polling error (if any) is older than the last answered poll, or more than a
/// minute old.
pub async fn healthz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let now = app.clock.now().timestamp();
    let m = &app.metrics;
    let ago = |t: i64| (t > 0).then_some(now - t);
    let last_update = ago(m.last_update_at.load(Ordering::Relaxed));
    let last_error = ago(m.last_poll_error_at.load(Ordering::Relaxed));
    let last_poll = ago(m.last_poll_ok_at.load(Ordering::Relaxed));
    let store_ok = app.store.ping();
    let polling_ok = match (last_error, last_poll) {
        (None, _) => true,
        (Some(e), Some(u)) => u <= e || e > 60,
        (Some(e), None) => e > 60,
    };
    let failure = m.failure();
    let ok = store_ok && polling_ok && failure.is_none();
    let body = json!({
        "ok": ok,
        "reason": failure,
        "store": if store_ok { "ok" } else { "unreachable" },
        "updates": if app.config.webhook_url.is_some() { "webhook" } else { "polling" },
        "polling": if polling_ok { "ok" } else { "failing" },
        "last_update_seconds_ago": last_update,
        "last_poll_seconds_ago": last_poll,
        "last_poll_error_seconds_ago": last_error,
        "uptime_seconds": now - m.started_at.load(Ordering::Relaxed),
    });
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}

pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
    };
    counter("m2o_updates_total", "Telegram updates handled.", m.updates.load(Ordering::Relaxed));
    counter("m2o_handler_errors_total", "Updates whose handler failed.", m.handler_errors.load(Ordering::Relaxed));
    counter("m2o_poll_errors_total", "Failed getUpdates calls.", m.poll_errors.load(Ordering::Relaxed));
    counter(
        "m2o_updates_undecodable_total",
        "Updates skipped because they do not decode (logged by id).",
        m.updates_undecodable.load(Ordering::Relaxed),
    );
    counter(
        "m2o_webhook_refused_total",
        "Webhook POSTs refused for a missing or wrong secret.",
        m.webhook_refused.load(Ordering::Relaxed),
    );
    counter(
        "m2o_store_fsyncs_total",
        "Flushes of the store to disk (one serves every commit waiting for it).",
        app.store.fsyncs(),
    );
    counter(
        "m2o_backups_failed_total",
        "Scheduled backups that could not be written (see the log).",
        m.backups_failed.load(Ordering::Relaxed),
    );
    counter(
        "m2o_updates_duplicate_total",
        "Updates delivered again after being handled, skipped.",
        m.updates_duplicate.load(Ordering::Relaxed),
    );
    let jobs = app.store.job_states().unwrap_or_default();
    let _ = writeln!(out, "# HELP m2o_jobs Provisioning jobs by state.\n# TYPE m2o_jobs gauge");
    for (state, label) in [(JobState::Running, "running"), (JobState::Deployed, "deployed"), (JobState::Done, "done")] {
        let n = jobs.iter().filter(|(_, j)| *j == state).count();
        let _ = writeln!(out, "m2o_jobs{{state=\"{label}\"}} {n}");
    }
    let failed = jobs.iter().filter(|(_, j)| matches!(j, JobState::Failed { .. })).count();
    let _ = writeln!(out, "m2o_jobs{{state=\"failed\"}} {failed}");
    let _ = writeln!(out, "# HELP m2o_outbox_depth Messages waiting in the outbox.\n# TYPE m2o_outbox_depth gauge");
    let _ = writeln!(out, "m2o_outbox_depth {}", app.store.outbox_len());
    let _ = writeln!(
        out,
        "# HELP m2o_outbox_parked Messages refused for good and set aside.\n# TYPE m2o_outbox_parked gauge"
    );
    let _ = writeln!(out, "m2o_outbox_parked {}", app.store.outbox_parked().len());
    let _ = writeln!(
        out,
        "# HELP m2o_api_requests_total HTTP API requests by status.\n# TYPE m2o_api_requests_total counter"
    );
    for (status, n) in m.api_requests() {
        let _ = writeln!(out, "m2o_api_requests_total{{status=\"{status}\"}} {n}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
