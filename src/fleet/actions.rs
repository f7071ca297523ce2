//! The autonomy radius (spec §7.2) applied: an agent's action request is approved at once (🟢,
//! audited), or sent to the orchestrator (🟡) or the masters (🔴) with `[Approve]` `[Reject]`; pending
//! ones are also listed in the brief. The decision reaches the agent by polling or callback.

use super::{brief, buttons, escalations, notices};
use crate::app::App;
use crate::domain::agent::Agent;
use crate::domain::escalation::{ActionRequest, ActionState, Radius};
use crate::domain::Actor;
use crate::store::{AuditEntry, Change, Guard, OutboxItem, Outgoing, StoreError};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("there is no action request #{0}")]
    NotFound(u64),
    #[error("action #{0} was already decided")]
    Decided(u64),
    #[error("only a master decides 🔴 actions")]
    NotAllowed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn request(app: &Arc<App>, agent: &Agent, action: &str, summary: &str) -> anyhow::Result<ActionRequest> {
    let radius = app.content.autonomy.radius(action);
    let now = app.clock.now();
    let state = if radius == Radius::Green { ActionState::Auto } else { ActionState::Pending };
    let request = ActionRequest {
        id: app.store.new_id()?,
        agent: agent.name.clone(),
        action: action.chars().take(64).collect(),
        summary: summary.chars().take(500).collect(),
        radius,
        state,
        created_at: now,
        decided_by: None,
        decided_at: None,
    };
    let mut change = Change { action: Some(request.clone()), ..Change::default() };
    let why = format!("#{} {} by {} ({:?}): {}", request.id, request.action, agent.name, radius, request.summary);
    change.audit.push(AuditEntry::event(now, Actor::System, agent.contact_id, "action", &why));
    if state == ActionState::Pending {
        let to = if radius == Radius::Yellow { escalations::deciders(app) } else { app.config.master_ids.clone() };
        let (text, buttons) = notice(app, &request);
        change.outbox = OutboxItem::to_each(&to, &text, &buttons, Some(request.id));
    }
    app.commit(&change)?;
    Ok(request)
}

pub fn notice(app: &App, a: &ActionRequest) -> (String, Vec<Vec<(String, String)>>) {
    let tr = app.master_tr();
    let emoji = if a.radius == Radius::Yellow { "🟡" } else { "🔴" };
    let text = tr.t_args(
        "action-notice",
        &[
            ("emoji", emoji.into()),
            ("id", (a.id as i64).into()),
            ("agent", (&a.agent).into()),
            ("action", (&a.action).into()),
            ("summary", (&a.summary).into()),
        ],
    );
    (text, vec![buttons::action(&tr, a)])
}

pub fn may_decide(app: &App, a: &ActionRequest, user: i64) -> bool {
    match a.radius {
        Radius::Red => app.config.is_master(user),
        _ => escalations::may_decide(app, user),
    }
}

pub fn status_json(a: &ActionRequest) -> Value {
    json!({
        "id": a.id,
        "action": a.action,
        "state": a.state,
        "decided_by": a.decided_by.as_ref().map(|b| b.to_string()),
        "decided_at": a.decided_at,
    })
}

pub async fn decide(
    app: &Arc<App>,
    id: u64,
    approve: bool,
    by: Actor,
    user: i64,
) -> Result<ActionRequest, ActionError> {
    let mut a = app.store.action(id)?.ok_or(ActionError::NotFound(id))?;
    if !may_decide(app, &a, user) {
        return Err(ActionError::NotAllowed);
    }
    if a.state != ActionState::Pending {
        return Err(ActionError::Decided(id));
    }
    let now = app.clock.now();
    a.state = if approve { ActionState::Approved } else { ActionState::Rejected };
    a.decided_by = Some(by.clone());
    a.decided_at = Some(now);
    let mut change = Change { guards: vec![Guard::ActionPending(id)], action: Some(a.clone()), ..Change::default() };
    change.audit.push(AuditEntry::event(now, by.clone(), None, "action_decided", &format!("#{id}: {:?}", a.state)));
    if let Some(url) = app.store.agent(&a.agent)?.and_then(|ag| ag.callback_url) {
        let mut body = status_json(&a);
        body["kind"] = json!("action");
        change.outbox.push(OutboxItem::new(Outgoing::Webhook { url, body }));
    }
    match app.commit(&change) {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(ActionError::Decided(id)),
        Err(e) => return Err(e.into()),
    }
    let tr = app.master_tr();
    let key = if approve { "master-decided-approved" } else { "action-decided-rejected" };
    let outcome =
        tr.t_args(key, &[("by", by.to_string().as_str().into()), ("time", notices::time(now).as_str().into())]);
    notices::settle(app, id, &outcome).await;
    brief::settle_item(app, &buttons::decided_action(id), &outcome);
    Ok(a)
}
