//! The one approval path of §4c. `approve` and `reject` are called by the master's inline buttons,
//! by `/approve` and `/reject`, by `POST /spawn/approve/{contact_id}`, and (as `Actor::System`) by
//! the auto-approval rule at the confirm step. The decision is written with a guard that no
//! decision exists yet, inside the same transaction that moves the contact and creates the agent
//! and its job, so whichever surface calls first wins and a second call starts nothing.

use super::jobs;
use crate::app::App;
use crate::domain::agent::{Agent, Job, JobState, NewAgent, Step};
use crate::domain::{Actor, Contact, ContactState, Decision, TransitionError};
use crate::store::{AuditEntry, Change, Guard, OutboxItem, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("there is no request #{0}")]
    NotFound(u64),
    #[error("request #{0} is {1}, not waiting for a decision")]
    NotPending(u64, ContactState),
    #[error("already {} by {} at {}", if .0.approved { "approved" } else { "rejected" }, .0.by, .0.at.format("%Y-%m-%d %H:%M UTC"))]
    AlreadyDecided(Decision),
    #[error("the agent name {0} is taken by another agent")]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// Approves a waiting request (pending review or waitlisted) and starts its provisioning job.
/// Returns the job id.
pub async fn approve(app: &Arc<App>, contact_id: u64, by: Actor) -> Result<u64, DecideError> {
    let contact = app.store.contact(contact_id)?.ok_or(DecideError::NotFound(contact_id))?;
    if let Some(d) = app.store.decision(contact_id)? {
        return Err(DecideError::AlreadyDecided(d));
    }
    if !matches!(contact.state, ContactState::PendingReview | ContactState::Waitlisted) {
        return Err(DecideError::NotPending(contact_id, contact.state));
    }
    let now = app.clock.now();
    let mut change = Change::default();
    change.guards.push(Guard::ContactIn(contact_id, contact.state));
    let job_id = approve_into(app, &mut change, contact, by.clone(), now, "approved")?;
    commit_decision(app, contact_id, &change).await?;
    jobs::start(app.clone(), job_id);
    let time = now.format("%H:%M UTC").to_string();
    let outcome = app
        .master_tr()
        .t_args("master-decided-approved", &[("by", by.to_string().as_str().into()), ("time", (&time).into())]);
    settle_notices(app, contact_id, &outcome).await;
    crate::scheduler::brief::refresh_today(app).await;
    Ok(job_id)
}

/// Adds to `change` everything an approval writes: the decision (guarded), the contact's move to
/// `provisioning`, the agent's registry entry and its job. Used by `approve` and the confirm step.
pub fn approve_into(
    app: &App,
    change: &mut Change,
    mut contact: Contact,
    by: Actor,
    now: DateTime<Utc>,
    why: &str,
) -> Result<u64, DecideError> {
    let id = contact.id;
    let name = contact.agent_name.clone().unwrap_or_default();
    let bot = contact.bot.clone().ok_or(DecideError::NotPending(id, contact.state))?;
    change.guards.push(Guard::Undecided(id));
    change.guards.push(Guard::NameFree { name: name.clone(), for_contact: id });
    change.decision = Some((id, Decision { approved: true, by: by.clone(), at: now, reason: None }));
    let from = contact.move_to(ContactState::Provisioning, now)?;
    change.audit.push(AuditEntry::transition(now, by, id, from, ContactState::Provisioning, why));
    let job_id = app.store.new_id()?;
    let new = NewAgent {
        name: name.clone(),
        contact_id: Some(id),
        owner_user_id: contact.user_id,
        owner_label: contact.email.clone(),
        bot_id: bot.id,
        bot_username: bot.username.clone(),
        token_sealed: bot.token_sealed.clone(),
        timezone: contact.timezone.clone().unwrap_or_else(|| "UTC".into()),
        provisioner: app.provisioner.kind().to_string(),
        job_id,
        last_event: "approved".into(),
    };
    change.agent = Some(Agent::provisioning(new, now));
    change.job = Some(new_job(job_id, &name, now));
    change.contact = Some(contact);
    Ok(job_id)
}

pub fn new_job(id: u64, agent: &str, now: DateTime<Utc>) -> Job {
    Job {
        id,
        agent: agent.to_string(),
        step: Step::CheckName,
        state: JobState::Running,
        attempts: 0,
        app_id: None,
        deployment_id: None,
        log: Vec::new(),
        progress: Vec::new(),
        created_at: now,
    }
}

/// Rejects a waiting request: the contact is told, and the name and bot are free again.
pub async fn reject(app: &Arc<App>, contact_id: u64, by: Actor, reason: Option<String>) -> Result<(), DecideError> {
    let mut contact = app.store.contact(contact_id)?.ok_or(DecideError::NotFound(contact_id))?;
    if let Some(d) = app.store.decision(contact_id)? {
        return Err(DecideError::AlreadyDecided(d));
    }
    if !matches!(contact.state, ContactState::PendingReview | ContactState::Waitlisted) {
        return Err(DecideError::NotPending(contact_id, contact.state));
    }
    let now = app.clock.now();
    let mut change = Change {
        guards: vec![Guard::ContactIn(contact_id, contact.state), Guard::Undecided(contact_id)],
        decision: Some((contact_id, Decision { approved: false, by: by.clone(), at: now, reason: reason.clone() })),
        ..Change::default()
    };
    let from = contact.move_to(ContactState::Rejected, now)?;
    change.audit.push(AuditEntry::transition(
        now,
        by.clone(),
        contact_id,
        from,
        ContactState::Rejected,
        reason.as_deref().unwrap_or("rejected"),
    ));
    change.release_name = contact.agent_name.clone();
    change.release_bot = contact.bot.as_ref().map(|b| b.id);
    let tr = app.content.i18n.tr(&contact.lang);
    let mut text = tr.t("request-rejected");
    if let Some(r) = &reason {
        text.push_str(&tr.t_args("request-rejected-reason", &[("reason", r.into())]));
    }
    change.outbox.push(OutboxItem::telegram(contact.chat_id, text));
    change.contact = Some(contact);
    commit_decision(app, contact_id, &change).await?;
    app.outbox_ready.notify_one();
    let time = now.format("%H:%M UTC").to_string();
    let outcome = app.master_tr().t_args(
        "master-decided-rejected",
        &[
            ("by", by.to_string().as_str().into()),
            ("time", (&time).into()),
            ("reason", reason.as_deref().unwrap_or("-").into()),
        ],
    );
    settle_notices(app, contact_id, &outcome).await;
    crate::scheduler::brief::refresh_today(app).await;
    Ok(())
}

/// Commits a decision durably; a lost race reports the decision that won.
async fn commit_decision(app: &App, contact_id: u64, change: &Change) -> Result<(), DecideError> {
    match app.store.commit_durable(change).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(Guard::NameFree { name, .. })) => Err(DecideError::NameTaken(name)),
        Err(StoreError::Conflict(_)) => match app.store.decision(contact_id)? {
            Some(d) => Err(DecideError::AlreadyDecided(d)),
            None => {
                let state = app.store.contact(contact_id)?.map(|c| c.state).unwrap_or(ContactState::Rejected);
                Err(DecideError::NotPending(contact_id, state))
            }
        },
        Err(e) => Err(e.into()),
    }
}

/// Edits every master notice about the request to show the outcome, without its buttons.
pub async fn settle_notices(app: &App, contact_id: u64, outcome: &str) {
    use teloxide::prelude::*;
    let bot = app.bot();
    for (chat, message, text) in app.store.notices(contact_id).unwrap_or_default() {
        let edited = format!("{text}\n\n{outcome}");
        let request = bot.edit_message_text(ChatId(chat), teloxide::types::MessageId(message), edited);
        if let Err(e) = request.await {
            tracing::debug!(error = %crate::services::telegram::error_kind(&e), "could not settle a notice");
        }
    }
}
