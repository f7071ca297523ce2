//! Counters for `/metrics` (Prometheus text format) and `/healthz`: updates handled, handler
//! errors, API requests by status, when the bot last heard from Telegram, and why it cannot go on
//! (a [`Metrics::fail`]ure: `/healthz` answers 503 with it and the process exits).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Metrics {
    pub updates: AtomicU64,
    pub handler_errors: AtomicU64,
    pub poll_errors: AtomicU64,
    /// Updates skipped because they do not decode (see `bot::listener`).
    pub updates_undecodable: AtomicU64,
    /// Updates handled before and delivered again (after a restart): skipped.
    pub updates_duplicate: AtomicU64,
    /// Webhook POSTs refused for a missing or wrong secret.
    pub webhook_refused: AtomicU64,
    /// Scheduled backups that could not be written.
    pub backups_failed: AtomicU64,
    /// Unix seconds of the last update received, of the last answered `getUpdates`, and of the
    /// last polling error (0: never).
    pub last_update_at: AtomicI64,
    pub last_poll_ok_at: AtomicI64,
    pub last_poll_error_at: AtomicI64,
    pub started_at: AtomicI64,
    api: Mutex<BTreeMap<u16, u64>>,
    /// The first reason the bot cannot go on (our token refused, a task that stopped).
    failure: Mutex<Option<String>>,
}

impl Metrics {
    pub fn update_received(&self, now: i64) {
        self.updates.fetch_add(1, Ordering::Relaxed);
        self.last_update_at.store(now, Ordering::Relaxed);
    }

    /// Records why the bot cannot go on; the first reason stays (it is the cause, later ones follow).
    pub fn fail(&self, reason: impl Into<String>) {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(|| reason.into());
    }

    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn api_request(&self, status: u16) {
        *self.api.lock().unwrap_or_else(|e| e.into_inner()).entry(status).or_default() += 1;
    }

    pub fn api_requests(&self) -> BTreeMap<u16, u64> {
        self.api.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
