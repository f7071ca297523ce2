//! Leads on the contact track (the qualify-first flow, spec §7.7): a master pushes one on with
//! `/qualify` or the digest's `[Qualify]`; the lead is told in their chat, in their language, and
//! their conversation continues at the bot step.

use crate::app::App;
use crate::domain::contact::Glance;
use crate::domain::conversation::State;
use crate::domain::{Actor, Contact, ContactState, TransitionError};
use crate::store::{dialogue, AuditEntry, Change, Guard, OutboxItem, StoreError};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, thiserror::Error)]
pub enum QualifyError {
    #[error("there is no lead #{0}")]
    NotFound(u64),
    /// Only a contact-track lead can be pushed on; this one (email) is elsewhere (state).
    #[error("{0} is {1}, not on the contact track")]
    NotContactTrack(String, ContactState),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// Moves a contact-track lead to `qualified`, asks them for their bot, and returns them.
pub fn qualify(app: &App, contact_id: u64, by: Actor) -> Result<Contact, QualifyError> {
    let mut c = app.store.contact(contact_id)?.ok_or(QualifyError::NotFound(contact_id))?;
    if c.state != ContactState::ContactTrack {
        return Err(QualifyError::NotContactTrack(c.email, c.state));
    }
    let now = app.clock.now();
    let from = c.move_to(ContactState::Qualified, now)?;
    let mut change = Change { guards: vec![Guard::ContactIn(c.id, ContactState::ContactTrack)], ..Change::default() };
    change.audit.push(AuditEntry::transition(now, by, c.id, from, c.state, "pushed by a master (/qualify)"));
    change.dialogue = Some((c.chat_id, Some(dialogue::to_value(&State::Token { contact_id: c.id }))));
    let tr = app.content.i18n.tr(&c.lang);
    let text = format!("{}\n\n{}", tr.t("qualified-by-master"), tr.t("token-instructions"));
    change.outbox.extend(OutboxItem::to_each(&[c.chat_id], &text, &one_tap_link(app, &tr, &c), None));
    change.contact = Some(c.clone());
    match app.commit(&change) {
        Ok(()) => Ok(c),
        // Another master (or the lead) moved it meanwhile: say where it is now.
        Err(StoreError::Conflict(_)) => match app.store.contact(contact_id)? {
            Some(now) => Err(QualifyError::NotContactTrack(now.email, now.state)),
            None => Err(QualifyError::NotFound(contact_id)),
        },
        Err(e) => Err(e.into()),
    }
}

/// [🤖 Create my bot] as a link to Telegram's creation dialog, when Bot Management Mode is on (a
/// queued message cannot carry the reply-keyboard button; the `managed_bot` update that follows
/// is the same). No buttons otherwise.
fn one_tap_link(app: &App, tr: &crate::i18n::Tr<'_>, c: &Contact) -> Vec<Vec<(String, String)>> {
    let Some(manager) = app.one_tap() else { return Vec::new() };
    let (name, username) = super::people::suggested_bot(tr, &c.email);
    let link = crate::services::managed_bots::creation_link(&manager, &username, &name);
    vec![vec![(tr.t("button-create-bot"), link)]]
}

/// What every master is told when a lead joins the contact track: who they are, with `[Qualify]`
/// and [↩️ Reply] (a Reply to it answers the lead). Queued with the move, in the same write.
pub fn new_lead_notice(app: &App, c: &Contact) -> Vec<OutboxItem> {
    let tr = app.master_tr();
    let text = tr.t_args("master-new-lead", &[("who", super::people::who(app, &tr, c).as_str().into())]);
    let mut row = super::buttons::qualify(&tr, c.id);
    row.push((tr.t("button-reply"), crate::domain::callback::MasterTap::Reply(c.id).data()));
    OutboxItem::to_each(&app.config.master_ids, &text, &[row], Some(super::line::subject(c.id)))
}

/// Mid-onboarding states a client can stall in (their next step is theirs).
pub const STALLED_STATES: [ContactState; 5] = [
    ContactState::EmailPending,
    ContactState::EmailVerified,
    ContactState::Qualifying,
    ContactState::Qualified,
    ContactState::TokenValidated,
];

/// How long without a step before a client counts as stalled.
pub const STALLED_AFTER_HOURS: i64 = 48;

/// Whether `c` is stuck mid-onboarding: in one of [`STALLED_STATES`], with no step for
/// `STALLED_AFTER_HOURS`.
pub fn is_stalled(c: &Contact, now: DateTime<Utc>) -> bool {
    STALLED_STATES.contains(&c.state) && idle_long_enough(c.updated_at, now)
}

fn idle_long_enough(updated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - updated_at >= Duration::hours(STALLED_AFTER_HOURS)
}

/// A glance at each client stuck mid-onboarding, longest-stuck first, read from the state index
/// without decoding a contact (the scheduler asks every 30 s).
pub fn stalled_glances(app: &App, now: DateTime<Utc>) -> Result<Vec<Glance>, StoreError> {
    let mut stuck = Vec::new();
    for state in STALLED_STATES {
        for g in app.store.glances_in(state) {
            let g = g?;
            if idle_long_enough(g.updated_at, now) {
                stuck.push(g);
            }
        }
    }
    stuck.sort_by_key(|g| g.updated_at);
    Ok(stuck)
}

/// Clients stuck mid-onboarding: how many, and the `first` longest-stuck, read whole.
pub fn stalled(app: &App, now: DateTime<Utc>, first: usize) -> Result<(usize, Vec<Contact>), StoreError> {
    let stuck = stalled_glances(app, now)?;
    let mut shown = Vec::new();
    for g in stuck.iter().take(first) {
        // Moved on between the two reads: left out.
        if let Some(c) = app.store.contact(g.id)?.filter(|c| is_stalled(c, now)) {
            shown.push(c);
        }
    }
    Ok((stuck.len(), shown))
}

#[derive(Debug, thiserror::Error)]
pub enum NudgeError {
    #[error("there is no lead #{0}")]
    NotFound(u64),
    /// Past onboarding, or not stuck long enough.
    #[error("not stalled")]
    NotStalled,
    #[error("already nudged")]
    AlreadyNudged,
    /// They sent /stop.
    #[error("they asked for no more messages")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One reminder to a client stuck mid-onboarding, in their language, with how to pick up or stop.
/// At most once per client, whoever asks (a master's [🔔 Nudge], or the scheduler at 10:00 their
/// time); the mark and the message are written together.
pub fn nudge(app: &App, contact_id: u64, by: Actor) -> Result<Contact, NudgeError> {
    let mut c = app.store.contact(contact_id)?.ok_or(NudgeError::NotFound(contact_id))?;
    let now = app.clock.now();
    if !is_stalled(&c, now) {
        return Err(NudgeError::NotStalled);
    }
    if c.nudged_at.is_some() {
        return Err(NudgeError::AlreadyNudged);
    }
    if c.nurture_stopped {
        return Err(NudgeError::Stopped);
    }
    c.nudged_at = Some(now);
    let tr = app.content.i18n.tr(&c.lang);
    let mut change = Change { guards: vec![Guard::ContactIn(c.id, c.state)], ..Change::default() };
    change.outbox.push(OutboxItem::telegram(c.chat_id, tr.t("nudge")));
    change.audit.push(AuditEntry::event(now, by, Some(c.id), "nudged", "stalled mid-onboarding"));
    change.contact = Some(c.clone());
    app.commit(&change).map_err(|e| match e {
        StoreError::Conflict(_) => NudgeError::NotStalled,
        e => e.into(),
    })?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::testing::{Fixture, MASTER};

    #[tokio::test]
    async fn qualifying_moves_the_lead_on_and_asks_for_their_bot() {
        let f = Fixture::new().await;
        let lead = f.contact("lead@gmail.com", ContactState::ContactTrack);
        let c = qualify(&f.app, lead.id, Actor::Master(MASTER)).expect("qualified");
        assert_eq!(c.state, ContactState::Qualified);
        assert_eq!(f.app.store.contact(lead.id).unwrap().unwrap().state, ContactState::Qualified);
        assert_eq!(f.app.store.dialogue::<State>(lead.chat_id).unwrap(), Some(State::Token { contact_id: lead.id }));
        let told = f.queued_for(lead.chat_id);
        assert!(told.len() == 1 && told[0].contains("@BotFather"), "{told:?}");
        let again = qualify(&f.app, lead.id, Actor::Master(MASTER));
        assert!(
            matches!(again, Err(QualifyError::NotContactTrack(ref e, ContactState::Qualified)) if e == "lead@gmail.com")
        );
        assert!(matches!(qualify(&f.app, 424242, Actor::Master(MASTER)), Err(QualifyError::NotFound(424242))));
        assert_eq!(f.queued_for(lead.chat_id).len(), 1, "refusals queue nothing");
    }
}
