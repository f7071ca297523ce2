//! The stuck protocol (spec §7.5): an escalation goes to the orchestrator at once (and to the masters
//! too when urgent) with [✅ Approve proposed fix] [❌ Skip] [🔄 Modify]; the first ruling wins, the
//! notices are edited to show it, and the decision reaches the agent by polling or by a POST to its
//! `callback_url` through the outbox. Open past `M2O_ESCALATION_SLA` it goes into the brief.

use super::{brief, buttons, notices};
use crate::app::App;
use crate::domain::escalation::{Escalation, Ruling, Verdict};
use crate::domain::Actor;
use crate::store::{AuditEntry, Change, Guard, OutboxItem, Outgoing, StoreError};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("there is no escalation #{0}")]
    NotFound(u64),
    #[error("already decided ({:?}) by {} at {}", .0.verdict, .0.by, .0.at.format("%Y-%m-%d %H:%M UTC"))]
    AlreadyRuled(Ruling),
    #[error("escalation #{0} has no proposed fix to approve")]
    NoFix(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is asked first: the orchestrators, or the masters when there are none.
pub fn deciders(app: &App) -> Vec<i64> {
    if app.config.orchestrator_ids.is_empty() {
        app.config.master_ids.clone()
    } else {
        app.config.orchestrator_ids.clone()
    }
}

pub fn may_decide(app: &App, user: i64) -> bool {
    app.config.is_master(user) || app.config.orchestrator_ids.contains(&user)
}

pub async fn open(app: &Arc<App>, e: &Escalation) -> anyhow::Result<()> {
    let mut to = deciders(app);
    if e.urgent {
        for m in &app.config.master_ids {
            if !to.contains(m) {
                to.push(*m);
            }
        }
    }
    let (text, buttons) = notice(app, e);
    let mut change = Change { escalation: Some(e.clone()), ..Change::default() };
    change.audit.push(AuditEntry::event(
        e.created_at,
        Actor::System,
        None,
        "escalation",
        &format!("#{} from {}", e.id, e.agent),
    ));
    change.outbox = OutboxItem::to_each(&to, &text, &buttons, Some(e.id));
    app.commit(&change)?;
    Ok(())
}

/// The pre-digested notice: agent, doing, tried, need, proposed fix, and the buttons.
pub fn notice(app: &App, e: &Escalation) -> (String, Vec<Vec<(String, String)>>) {
    let tr = app.master_tr();
    let tried = if e.tried.is_empty() {
        tr.t("escalation-tried-nothing")
    } else {
        e.tried.iter().map(|t| format!("\n • {t}")).collect()
    };
    let fix = e.proposed_fix.clone().unwrap_or_else(|| tr.t("escalation-no-fix"));
    let key = if e.urgent { "escalation-notice-urgent" } else { "escalation-notice" };
    let text = tr.t_args(
        key,
        &[
            ("id", (e.id as i64).into()),
            ("agent", (&e.agent).into()),
            ("doing", (&e.doing).into()),
            ("tried", (&tried).into()),
            ("need", (&e.need).into()),
            ("fix", (&fix).into()),
        ],
    );
    (text, vec![buttons::escalation(&tr, e)])
}

pub fn status_json(e: &Escalation) -> Value {
    match &e.ruling {
        None => json!({ "id": e.id, "state": "open" }),
        Some(r) => json!({
            "id": e.id,
            "state": "decided",
            "decision": r.verdict,
            "note": r.note,
            "decided_by": r.by.to_string(),
            "decided_at": r.at,
        }),
    }
}

/// Records the first ruling; tells the agent (callback) and settles every notice.
pub async fn rule(
    app: &Arc<App>,
    id: u64,
    verdict: Verdict,
    note: Option<String>,
    by: Actor,
) -> Result<Escalation, RuleError> {
    let mut e = app.store.escalation(id)?.ok_or(RuleError::NotFound(id))?;
    if let Some(r) = e.ruling {
        return Err(RuleError::AlreadyRuled(r));
    }
    if verdict == Verdict::Approve && e.proposed_fix.is_none() {
        return Err(RuleError::NoFix(id));
    }
    let now = app.clock.now();
    e.ruling = Some(Ruling { verdict, note: note.clone(), by: by.clone(), at: now });
    let mut change =
        Change { guards: vec![Guard::EscalationOpen(id)], escalation: Some(e.clone()), ..Change::default() };
    change.audit.push(AuditEntry::event(now, by.clone(), None, "escalation_ruled", &format!("#{id}: {verdict:?}")));
    if let Some(url) = app.store.agent(&e.agent)?.and_then(|a| a.callback_url) {
        let mut body = status_json(&e);
        body["kind"] = json!("escalation");
        change.outbox.push(OutboxItem::new(Outgoing::Webhook { url, body }));
    }
    match app.commit(&change) {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            let ruling = app.store.escalation(id)?.and_then(|e| e.ruling).ok_or(RuleError::NotFound(id))?;
            return Err(RuleError::AlreadyRuled(ruling));
        }
        Err(e) => return Err(e.into()),
    }
    let tr = app.master_tr();
    let what = match verdict {
        Verdict::Approve => tr.t("escalation-ruled-approve"),
        Verdict::Skip => tr.t("escalation-ruled-skip"),
        Verdict::Modify => tr.t_args("escalation-ruled-modify", &[("note", note.as_deref().unwrap_or("").into())]),
    };
    let outcome = tr.t_args(
        "escalation-ruled",
        &[
            ("what", (&what).into()),
            ("by", by.to_string().as_str().into()),
            ("time", notices::time(now).as_str().into()),
        ],
    );
    notices::settle(app, id, &outcome).await;
    brief::settle_item(app, &buttons::decided_escalation(id), &outcome);
    Ok(e)
}
