//! The one approval path (the spawn approval ADR, spec §4c). A client's confirmed request passes
//! the gate ([`confirm`]): waitlisted when the fleet is full, waiting for a master when
//! `M2O_REVIEW_ALL` says so, otherwise approved by the auto-approval rule. [`approve`] and
//! [`reject`] are called by the master's inline buttons, by `/approve` and `/reject`, and by
//! `POST /spawn/approve/{contact_id}`. The decision is written with a guard that no decision exists
//! yet, inside the same transaction that moves the contact and creates the agent and its job, so
//! whichever surface calls first wins and a second call starts nothing.

use super::{brief, buttons, jobs, notices, people};
use crate::app::App;
use crate::domain::agent::{Agent, Job, NewAgent};
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

/// Where a confirmed request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// `M2O_CAPACITY` is reached: waiting for room (and a master's decision).
    Waitlisted,
    /// Waiting for a master's review (`M2O_REVIEW_ALL`).
    Review,
    /// Approved by the rule; this provisioning job is running.
    Approved { job_id: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("there is no request #{0}")]
    NotFound(u64),
    #[error("request #{0} has no bot yet")]
    NoBot(u64),
    /// Someone else claimed the name since it was offered.
    #[error("the agent name {0} was taken meanwhile")]
    NameTaken(String),
    /// Someone else's request or agent holds the email now.
    #[error("the email is taken by another request")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// The client confirmed their summary with agent name `name`: claim the name and the email, move
/// the contact to `name_chosen` and through the gate, tell the masters (or start provisioning), and
/// end the client's conversation — in one durable write.
pub async fn confirm(app: &Arc<App>, contact_id: u64, name: &str, by: Actor) -> Result<Gate, ConfirmError> {
    match pass_gate(app, contact_id, name, by.clone(), false).await? {
        Some(gate) => Ok(gate),
        // The last place went to another confirm meanwhile: this one waits for room.
        None => pass_gate(app, contact_id, name, by, true).await?.ok_or(ConfirmError::NotFound(contact_id)),
    }
}

/// The gate, once: `None` when the fleet filled up between reading and writing (nothing written).
async fn pass_gate(
    app: &Arc<App>,
    contact_id: u64,
    name: &str,
    by: Actor,
    known_full: bool,
) -> Result<Option<Gate>, ConfirmError> {
    let mut c = app.store.contact(contact_id)?.ok_or(ConfirmError::NotFound(contact_id))?;
    let now = app.clock.now();
    let mut change = Change { dialogue: Some((c.chat_id, None)), ..Change::default() };
    let from = c.move_to(ContactState::NameChosen, now)?;
    change.audit.push(AuditEntry::transition(
        now,
        by,
        contact_id,
        from,
        c.state,
        &format!("confirmed agent name {name}"),
    ));
    c.agent_name = Some(name.to_string());
    let full = known_full
        || match app.config.capacity {
            Some(cap) => app.store.capacity_used()? >= cap,
            None => false,
        };
    change.guards = vec![
        Guard::ContactIn(contact_id, ContactState::TokenValidated),
        Guard::NameFree { name: name.to_string(), for_contact: Some(contact_id) },
        Guard::EmailFree { email: c.email.clone(), for_contact: contact_id },
    ];
    change.claim_name = Some((name.to_string(), contact_id));
    change.index_email = Some((c.email.clone(), contact_id));
    // Capacity first; then a master's review only when M2O_REVIEW_ALL asks for it, since a
    // qualified contact with a verified email and a working token meets the auto rule. The cap
    // is checked again inside the write (`Guard::CapacityBelow`): of confirms racing for the last
    // place, one gets it and the others are waitlisted.
    let gate = if full || app.config.review_all {
        let (to, why, gate) = if full {
            (ContactState::Waitlisted, "capacity reached", Gate::Waitlisted)
        } else {
            (ContactState::PendingReview, "waiting for a master's review (M2O_REVIEW_ALL)", Gate::Review)
        };
        let from = c.move_to(to, now)?;
        change.audit.push(AuditEntry::transition(now, Actor::System, contact_id, from, to, why));
        let (text, buttons) = request_notice(app, &c);
        change.outbox = OutboxItem::to_each(&app.config.master_ids, &text, &buttons, Some(contact_id));
        change.contact = Some(c);
        gate
    } else {
        let why = "auto-approved: qualified, email verified, token valid";
        if let Some(cap) = app.config.capacity {
            change.guards.push(Guard::CapacityBelow(cap));
        }
        let job_id = approve_into(app, &mut change, c, Actor::System, now, why).map_err(|e| match e {
            DecideError::Store(e) => ConfirmError::Store(e),
            DecideError::Transition(e) => ConfirmError::Transition(e),
            _ => ConfirmError::NoBot(contact_id),
        })?;
        Gate::Approved { job_id }
    };
    match app.commit_durable(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Guard::CapacityBelow(_))) => return Ok(None),
        Err(StoreError::Conflict(Guard::NameFree { name, .. })) => return Err(ConfirmError::NameTaken(name)),
        Err(StoreError::Conflict(Guard::EmailFree { .. })) => return Err(ConfirmError::EmailTaken),
        Err(e) => return Err(e.into()),
    }
    if let Gate::Approved { job_id } = gate {
        jobs::start(app.clone(), job_id);
    }
    Ok(Some(gate))
}

/// What each master is told about a request waiting for them, with [Approve] [Reject].
fn request_notice(app: &App, c: &Contact) -> (String, Vec<Vec<(String, String)>>) {
    let tr = app.master_tr();
    let buttons = vec![buttons::request(&tr, c.id)];
    let bot = c.bot.as_ref().map(|b| b.username.as_str()).unwrap_or_default();
    let name = c.agent_name.clone().unwrap_or_default();
    let key = if c.state == ContactState::Waitlisted { "master-request-waitlisted" } else { "master-request-pending" };
    let text = tr.t_args(
        key,
        &[
            ("id", (c.id as i64).into()),
            ("name", (&name).into()),
            ("email", (&c.email).into()),
            ("bot", bot.into()),
            ("timezone", c.timezone.as_deref().unwrap_or("UTC").into()),
            ("score", people::score_text(app, &tr, c).as_str().into()),
        ],
    );
    (text, buttons)
}

/// Sends a waiting request's card, with fresh \[Approve\] \[Reject\], to one master's chat (the fleet
/// panel's [Decide in chat]: the panel only looks; deciding stays in the chat). Queued as a notice
/// about the request, so it is settled in place like the others when the request is decided.
pub fn send_card(app: &App, contact_id: u64, master: i64) -> Result<(), DecideError> {
    let c = app.store.contact(contact_id)?.ok_or(DecideError::NotFound(contact_id))?;
    if let Some(d) = app.store.decision(contact_id)? {
        return Err(DecideError::AlreadyDecided(d));
    }
    if !matches!(c.state, ContactState::PendingReview | ContactState::Waitlisted) {
        return Err(DecideError::NotPending(contact_id, c.state));
    }
    let (text, buttons) = request_notice(app, &c);
    let change =
        Change { outbox: OutboxItem::to_each(&[master], &text, &buttons, Some(contact_id)), ..Change::default() };
    app.commit(&change)?;
    Ok(())
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
    let outcome = app.master_tr().t_args(
        "master-decided-approved",
        &[("by", by.to_string().as_str().into()), ("time", notices::time(now).as_str().into())],
    );
    settle_request(app, contact_id, ContactState::Provisioning, &outcome).await;
    Ok(job_id)
}

/// Adds to `change` everything an approval writes: the decision (guarded), the contact's move to
/// `provisioning`, the agent's registry entry and its job. Used by `approve` and the gate.
fn approve_into(
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
    change.guards.push(Guard::NameFree { name: name.clone(), for_contact: Some(id) });
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
    change.job = Some(Job::new(job_id, &name, now));
    change.contact = Some(contact);
    Ok(job_id)
}

/// Every card and brief item about a decided request shows the decision and the state it led to.
async fn settle_request(app: &App, contact_id: u64, state: ContactState, outcome: &str) {
    let tr = app.master_tr();
    let header = tr.t_args(
        "master-request-decided",
        &[("id", (contact_id as i64).into()), ("state", people::state_label(&tr, state).as_str().into())],
    );
    notices::settle_with_header(app, contact_id, Some(&header), outcome).await;
    brief::settle_item(app, &buttons::decided_request(contact_id), outcome);
}

/// The client takes back their own waiting request (`/cancel`, then [Withdraw my request]): as a
/// rejection by them, so the name and bot are free again and the masters' cards say so.
pub async fn withdraw(app: &Arc<App>, contact_id: u64, user_id: i64) -> Result<(), DecideError> {
    close(app, contact_id, Actor::User(user_id), None, true).await
}

/// Rejects a waiting request: the contact is told, and the name and bot are free again.
pub async fn reject(app: &Arc<App>, contact_id: u64, by: Actor, reason: Option<String>) -> Result<(), DecideError> {
    close(app, contact_id, by, reason, false).await
}

async fn close(
    app: &Arc<App>,
    contact_id: u64,
    by: Actor,
    reason: Option<String>,
    withdrawn: bool,
) -> Result<(), DecideError> {
    let reason = if withdrawn { Some("withdrawn by the client".to_string()) } else { reason };
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
    let text = if withdrawn {
        tr.t("request-withdrawn")
    } else {
        let mut text = tr.t("request-rejected");
        if let Some(r) = &reason {
            text.push_str(&tr.t_args("request-rejected-reason", &[("reason", r.into())]));
        }
        text
    };
    change.outbox.push(OutboxItem::telegram(contact.chat_id, text));
    change.contact = Some(contact);
    commit_decision(app, contact_id, &change).await?;
    let time = notices::time(now);
    let outcome = if withdrawn {
        app.master_tr().t_args("master-decided-withdrawn", &[("time", time.as_str().into())])
    } else {
        app.master_tr().t_args(
            "master-decided-rejected",
            &[
                ("by", by.to_string().as_str().into()),
                ("time", time.as_str().into()),
                ("reason", reason.as_deref().unwrap_or("-").into()),
            ],
        )
    };
    settle_request(app, contact_id, ContactState::Rejected, &outcome).await;
    Ok(())
}

/// Commits a decision durably; a lost race reports the decision that won.
async fn commit_decision(app: &App, contact_id: u64, change: &Change) -> Result<(), DecideError> {
    match app.commit_durable(change).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::State;
    use crate::fleet::testing::{Fixture, MASTER};

    fn dialogue(f: &Fixture, chat: i64) -> Option<State> {
        f.app.store.dialogue(chat).unwrap()
    }

    #[tokio::test]
    async fn the_gate_approves_by_the_rule_and_ends_the_conversation() {
        let f = Fixture::new().await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let at_confirm = State::Confirm { contact_id: anna.id, name: "anna-agent".into() };
        let at_confirm = crate::store::dialogue::to_value(&at_confirm);
        f.app.commit(&Change { dialogue: Some((anna.chat_id, Some(at_confirm))), ..Change::default() }).unwrap();
        assert!(dialogue(&f, anna.chat_id).is_some());
        let gate = confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await.expect("confirmed");
        let Gate::Approved { job_id } = gate else { panic!("{gate:?}") };
        let c = f.app.store.contact(anna.id).unwrap().unwrap();
        assert_eq!((c.state, c.agent_name.as_deref()), (ContactState::Provisioning, Some("anna-agent")));
        let decision = f.app.store.decision(anna.id).unwrap().expect("the rule's decision is kept");
        assert_eq!((decision.approved, decision.by), (true, Actor::System));
        assert_eq!(f.app.store.agent("anna-agent").unwrap().unwrap().job_id, job_id);
        assert_eq!(dialogue(&f, anna.chat_id), None, "the conversation is over");
        assert!(f.queued_for(MASTER).is_empty(), "nothing for the masters to decide");
        assert!(matches!(
            confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await,
            Err(ConfirmError::Transition(_))
        ));
    }

    #[tokio::test]
    async fn the_gate_holds_requests_for_review_or_capacity() {
        let f = Fixture::with(&[("M2O_REVIEW_ALL", "true")]).await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        assert_eq!(confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await.unwrap(), Gate::Review);
        assert_eq!(f.app.store.contact(anna.id).unwrap().unwrap().state, ContactState::PendingReview);
        let notice = f.queued_for(MASTER);
        assert!(notice.len() == 1 && notice[0].contains("anna@acme.io") && notice[0].contains("120"), "{notice:?}");
        assert_eq!(f.app.store.decision(anna.id).unwrap(), None);

        let f = Fixture::with(&[("M2O_CAPACITY", "0")]).await;
        let bob = f.client_with_bot("bob@acme.io", "bob_helper_bot");
        assert_eq!(confirm(&f.app, bob.id, "bob-agent", Actor::User(bob.user_id)).await.unwrap(), Gate::Waitlisted);
        assert_eq!(f.app.store.contact(bob.id).unwrap().unwrap().state, ContactState::Waitlisted);
    }

    /// `M2O_CAPACITY=2` and ten clients confirming at the same moment: two are approved, eight
    /// waitlisted, in every round (the cap is a guard inside each write, not a read before it).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_capacity_cap_holds_when_confirms_race() {
        for round in 0..5 {
            let f = Fixture::with(&[("M2O_CAPACITY", "2")]).await;
            let clients: Vec<Contact> = (0..10)
                .map(|i| f.client_with_bot(&format!("c{i}@acme{round}.io"), &format!("c{i}_r{round}_bot")))
                .collect();
            let barrier = Arc::new(tokio::sync::Barrier::new(clients.len()));
            let tasks: Vec<_> = clients
                .iter()
                .map(|c| {
                    let (app, barrier, c) = (f.app.clone(), barrier.clone(), c.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        confirm(&app, c.id, &format!("agent-{}", c.id), Actor::User(c.user_id)).await
                    })
                })
                .collect();
            let mut gates = Vec::new();
            for t in tasks {
                gates.push(t.await.unwrap().expect("confirmed"));
            }
            let approved = gates.iter().filter(|g| matches!(g, Gate::Approved { .. })).count();
            let waitlisted = gates.iter().filter(|g| **g == Gate::Waitlisted).count();
            assert_eq!((approved, waitlisted), (2, 8), "round {round}: {gates:?}");
            assert_eq!(f.app.store.capacity_used().unwrap(), 2);
        }
    }

    #[tokio::test]
    async fn a_name_or_email_taken_meanwhile_refuses_the_whole_confirm() {
        let f = Fixture::with(&[("M2O_REVIEW_ALL", "true")]).await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let bob = f.client_with_bot("bob@acme.io", "bob_helper_bot");
        confirm(&f.app, anna.id, "shared", Actor::User(anna.user_id)).await.unwrap();
        let taken = confirm(&f.app, bob.id, "shared", Actor::User(bob.user_id)).await;
        assert!(matches!(taken, Err(ConfirmError::NameTaken(ref n)) if n == "shared"), "{taken:?}");
        let bob_now = f.app.store.contact(bob.id).unwrap().unwrap();
        assert_eq!((bob_now.state, bob_now.agent_name), (ContactState::TokenValidated, None), "nothing written");

        // Another account that typed the same address (the index still names Anna, who holds it).
        let copycat = f.client_with_bot("anna@acme.io", "copycat_bot");
        f.app.commit(&Change { index_email: Some(("anna@acme.io".into(), anna.id)), ..Change::default() }).unwrap();
        let taken = confirm(&f.app, copycat.id, "copycat", Actor::User(copycat.user_id)).await;
        assert!(matches!(taken, Err(ConfirmError::EmailTaken)), "{taken:?}");
        assert_eq!(f.app.store.name_holder("copycat").unwrap(), None);
    }

    #[tokio::test]
    async fn the_first_decision_wins_and_a_second_says_whose() {
        let f = Fixture::with(&[("M2O_REVIEW_ALL", "true")]).await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await.unwrap();
        let job = approve(&f.app, anna.id, Actor::Master(MASTER)).await.expect("approved");
        assert_eq!(f.app.store.agent("anna-agent").unwrap().unwrap().job_id, job);
        let again = approve(&f.app, anna.id, Actor::Api).await;
        assert!(matches!(again, Err(DecideError::AlreadyDecided(ref d)) if d.by == Actor::Master(MASTER)), "{again:?}");
        let late = reject(&f.app, anna.id, Actor::Api, None).await;
        assert!(matches!(late, Err(DecideError::AlreadyDecided(_))), "{late:?}");
        assert!(matches!(approve(&f.app, 424242, Actor::Api).await, Err(DecideError::NotFound(424242))));
        let lead = f.contact("lead@acme.io", ContactState::ContactTrack);
        assert!(matches!(
            approve(&f.app, lead.id, Actor::Api).await,
            Err(DecideError::NotPending(_, ContactState::ContactTrack))
        ));
    }

    #[tokio::test]
    async fn a_rejection_frees_the_name_and_the_bot_and_tells_the_client() {
        let f = Fixture::with(&[("M2O_REVIEW_ALL", "true")]).await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await.unwrap();
        reject(&f.app, anna.id, Actor::Master(MASTER), Some("not a fit".into())).await.expect("rejected");
        let c = f.app.store.contact(anna.id).unwrap().unwrap();
        assert_eq!(c.state, ContactState::Rejected);
        assert_eq!(f.app.store.name_holder("anna-agent").unwrap(), None);
        assert_eq!(f.app.store.bot_holder(c.bot.as_ref().unwrap().id).unwrap(), None);
        let told = f.queued_for(anna.chat_id);
        assert!(told.len() == 1 && told[0].contains("not a fit"), "{told:?}");
        assert_eq!(f.app.store.agent("anna-agent").unwrap(), None);
    }
}
