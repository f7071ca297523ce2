//! The fleet's inline buttons with their labels: one row per decision, the same wherever the
//! decision is offered (a notice, the brief, a digest). Their callback data comes from
//! `domain::callback`, which also reads it back.

use crate::domain::callback::MasterTap;
use crate::domain::escalation::{ActionRequest, Escalation, Verdict};
use crate::i18n::Tr;

/// A row of (label, callback data).
pub type Row = Vec<(String, String)>;

/// The callback data of every button that decides request `id` (to find them once it is decided).
pub fn decided_request(id: u64) -> Vec<String> {
    vec![MasterTap::Approve(id).data(), MasterTap::Reject(id).data()]
}

pub fn decided_escalation(id: u64) -> Vec<String> {
    [Verdict::Approve, Verdict::Skip, Verdict::Modify].map(|v| MasterTap::Escalation(id, v).data()).to_vec()
}

pub fn decided_action(id: u64) -> Vec<String> {
    vec![MasterTap::Action(id, true).data(), MasterTap::Action(id, false).data()]
}

/// A waiting request's `[✅ Approve]` `[❌ Reject]`.
pub fn request(tr: &Tr, contact_id: u64) -> Row {
    vec![
        (tr.t("button-approve"), MasterTap::Approve(contact_id).data()),
        (tr.t("button-reject"), MasterTap::Reject(contact_id).data()),
    ]
}

/// An escalation's `[✅ Approve proposed fix]` (only with a fix) `[❌ Skip]` `[🔄 Modify]`.
pub fn escalation(tr: &Tr, e: &Escalation) -> Row {
    let mut row = Vec::new();
    if e.proposed_fix.is_some() {
        row.push((tr.t("button-approve-fix"), MasterTap::Escalation(e.id, Verdict::Approve).data()));
    }
    row.push((tr.t("button-skip-escalation"), MasterTap::Escalation(e.id, Verdict::Skip).data()));
    row.push((tr.t("button-modify"), MasterTap::Escalation(e.id, Verdict::Modify).data()));
    row
}

/// An action request's `[✅ Approve]` `[❌ Reject]`.
pub fn action(tr: &Tr, a: &ActionRequest) -> Row {
    vec![
        (tr.t("button-approve"), MasterTap::Action(a.id, true).data()),
        (tr.t("button-reject"), MasterTap::Action(a.id, false).data()),
    ]
}

/// A failed provisioning job's `[🔁 Retry]`.
pub fn retry(tr: &Tr, job_id: u64) -> Row {
    vec![(tr.t("button-retry"), MasterTap::Retry(job_id).data())]
}

/// A contact-track lead's `[Qualify #id]`.
pub fn qualify(tr: &Tr, contact_id: u64) -> Row {
    vec![(tr.t_args("button-qualify", &[("id", (contact_id as i64).into())]), MasterTap::Qualify(contact_id).data())]
}

/// Where the fleet panel (the Mini App) is: `M2O_PUBLIC_URL` + `/app/`, only when that is https —
/// Telegram opens Mini Apps from https URLs only.
pub fn panel_url(app: &crate::app::App) -> Option<String> {
    let base = app.config.public_url.trim_end_matches('/');
    base.starts_with("https://").then(|| format!("{base}/app/"))
}

/// `[📊 Open panel]`, opening the fleet panel inside Telegram; none without an https public URL.
pub fn open_panel(app: &crate::app::App, tr: &Tr) -> Option<Row> {
    let url = panel_url(app)?;
    Some(vec![(tr.t("button-open-panel"), format!("{}{url}", crate::services::keyboard::WEB_APP))])
}

/// The owner's `[✅ Done]` after pressing Start in their agent's bot.
pub fn done(tr: &Tr, agent: &str) -> Row {
    vec![(tr.t("button-done"), MasterTap::Done(agent.to_string()).data())]
}
