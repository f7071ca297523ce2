//! A client's own data (`/forget`): their contact record — email, answers, score, timezone, their
//! bot's sealed token — the one-time code, their conversation, their messages on the line and the
//! notices kept about them are erased in one write. What stays is what the audit needs and holds
//! no personal data: audit entries by contact id (with a keyed hash of the email in the entry
//! that records the erasure), a decision on their request, daily-limit counters, scheduler
//! markers. Messages already in the masters' Telegram chats and the CRM's copy are outside the
//! bot's store: the README says so.
//!
//! Someone with a request waiting or an agent running cannot be forgotten by a tap: the agent
//! would be left without an owner. They withdraw first (`/cancel`), or ask the team.

use crate::app::App;
use crate::domain::{Actor, ContactState};
use crate::store::{AuditEntry, Change, Claimant, Guard, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error("nothing is stored about them")]
    NotFound,
    /// A request or an agent holds their name and bot: withdraw or ask the team first.
    #[error("they hold a request or an agent ({0})")]
    HoldsClaim(ContactState),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn forget(app: &App, user_id: i64) -> Result<(), ForgetError> {
    let c = app.store.contact_by_user(user_id)?.ok_or(ForgetError::NotFound)?;
    if c.state.holds_claim() {
        return Err(ForgetError::HoldsClaim(c.state));
    }
    let now = app.clock.now();
    let subjects = vec![c.id, super::line::subject(c.id)];
    let mut change = Change { guards: vec![Guard::ContactIn(c.id, c.state)], ..Change::default() };
    // A bot they registered and still hold (they stopped before confirming) is free again.
    if let Some(bot) = &c.bot {
        if app.store.bot_holder(bot.id)? == Some(Claimant::Contact(c.id)) {
            change.release_bot = Some(bot.id);
        }
    }
    let why =
        format!("personal data erased at their request (/forget); email hmac {}", app.secrets.email_hash(&c.email));
    change.audit.push(AuditEntry::event(now, Actor::User(user_id), Some(c.id), "forgotten", &why));
    change.forget = Some(app.store.forgetting(&c, subjects)?);
    app.commit(&change)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line::{LineEntry, LineFrom};
    use crate::fleet::testing::Fixture;

    #[tokio::test]
    async fn forgetting_erases_the_person_and_keeps_the_audit_trail() {
        let f = Fixture::new().await;
        let c = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let line = Change {
            line: vec![(c.id, LineEntry { at: f.app.clock.now(), from: LineFrom::Client, text: "hi".into() })],
            ..Change::default()
        };
        f.app.commit(&line).unwrap();
        forget(&f.app, c.user_id).unwrap();
        assert!(f.app.store.contact(c.id).unwrap().is_none());
        assert!(f.app.store.contact_by_user(c.user_id).unwrap().is_none());
        assert!(f.app.store.contact_by_email("anna@acme.io").unwrap().is_none());
        assert!(f.app.store.line(c.id).unwrap().is_empty());
        assert_eq!(f.app.store.bot_holder(c.bot.as_ref().unwrap().id).unwrap(), None, "the bot is free");
        let log = f.app.store.audit_log().unwrap();
        let entry = log.iter().find(|e| e.event == "forgotten").expect("the erasure is audited");
        assert!(!entry.why.contains("anna@acme.io") && entry.why.contains("email hmac"));
        assert!(matches!(forget(&f.app, c.user_id), Err(ForgetError::NotFound)));
    }
}
