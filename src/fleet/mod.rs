//! Every fleet decision, in one place, for every surface: the chat (`bot`), the HTTP API (`api`),
//! the scheduler, the console, the fleet panel (a Telegram Mini App) — call these and only
//! render what they return, so a decision means the same thing wherever it is taken.
//!
//! Each operation reads the store, decides, and writes its state change together with everything
//! that must follow from it (outbox items, audit entries, conversation moves) in one
//! `store::Change`; errors are typed, so a surface can say precisely what went wrong. Messages
//! that must not be lost go through the outbox ([`outbox`] delivers them); progress views and
//! edits go straight out through `App::notifier`.
//!
//! - clients' requests: [`approval`] (the gate, approve, reject — the one approval path of the
//!   spawn approval ADR, spec §4c), [`leads`] (qualify a contact-track lead), [`line`](mod@line) (the
//!   two-way line between a client and the masters), [`people`] (who a person is, in every notice);
//! - agents: [`spawn`] (a master's own), [`jobs`] and [`progress`] (provisioning, spec §3.10),
//!   [`live`] (going live, online, heartbeats, the greeting), [`tokens`] (API token rotation, a
//!   new bot token), [`destroy`], [`health`] (the weekly check);
//! - agents asking humans: [`escalations`] (the stuck protocol, spec §7.5), [`actions`] (the
//!   autonomy radius, spec §7.2);
//! - telling people: [`buttons`] (every decision's row of buttons), [`notices`] (edited in place
//!   when decided), [`brief`] (the morning brief, spec §7.3), [`outbox`] (delivery with retries),
//!   [`crm`] (the CRM mirror);
//! - looking: [`panel`] (what the fleet panel, a Telegram Mini App, shows), [`funnel`] (the
//!   onboarding funnel per week), [`chart`] (the funnel as a picture for the chat);
//! - keeping it: [`backups`] (daily snapshots of the store).

pub mod actions;
pub mod approval;
pub mod backups;
pub mod brief;
pub mod buttons;
pub mod chart;
pub mod crm;
pub mod destroy;
pub mod escalations;
pub mod funnel;
pub mod health;
pub mod jobs;
pub mod leads;
pub mod line;
pub mod live;
pub mod notices;
pub mod outbox;
pub mod panel;
pub mod people;
pub mod privacy;
pub mod progress;
pub mod spawn;
#[cfg(test)]
pub(crate) mod testing;
pub mod tokens;

use crate::app::App;
use crate::domain::Actor;
use crate::store::{AuditEntry, Change};

/// Records a refused attempt — a command from someone who may not give it, a forged button — in
/// the audit log. Nothing else changes.
pub fn record_refusal(app: &App, by: Actor, event: &str, why: &str) -> crate::store::Result<()> {
    app.commit(&Change { audit: vec![AuditEntry::event(app.clock.now(), by, None, event, why)], ..Change::default() })
}

/// How one delivery attempt by a fleet module (the CRM mirror, a greeting) ended, for the outbox.
pub enum Attempt {
    Done,
    /// Maybe later (an outage): the outbox backs off and tries again.
    Retry(String),
    /// Never (the contact is gone, the CRM refused it): dropped with a warning.
    Drop(String),
}
