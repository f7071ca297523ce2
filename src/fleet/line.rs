//! The two-way line (see `domain::line`): a client's message goes to every master as one notice
//! saying who they are, with [↩️ Reply]; a master answers by Telegram's Reply to it or through the
//! button, and the client gets the answer from the bot. A burst from one client folds into the
//! notice already sent; past a daily cap messages are kept but not relayed. Both ways are stored
//! on the line and audited (without their text), in the same write as what they send.

use super::people;
use crate::app::App;
use crate::domain::callback::MasterTap;
use crate::domain::line::{self, LineEntry, LineFrom, MAX_FOLDED_CHARS, MAX_RELAYED_PER_DAY};
use crate::domain::{Actor, Contact};
use crate::store::{limit_key, AuditEntry, Change, Notice, OutboxItem, Outgoing, StoreError};

/// The notices about a contact's line are kept under this subject (ids of contacts, escalations
/// and actions are below 2^61; a day's brief is 2^62 + date).
pub fn subject(contact_id: u64) -> u64 {
    (1 << 61) | contact_id
}

/// The contact a notice subject is about: a line's, or a request's (whose subject is the contact
/// id). A master's Reply to either answers that contact.
pub fn contact_of(app: &App, subject: u64) -> Result<Option<Contact>, StoreError> {
    if subject & (1 << 62) != 0 {
        return Ok(None);
    }
    app.store.contact(subject & !(1 << 61))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Relayed {
    /// A new notice to every master.
    Sent,
    /// Added to the notice the masters already have.
    Folded,
    /// Kept on the line, not relayed: the client sent more than `MAX_RELAYED_PER_DAY` today.
    Held,
}

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("there is no client #{0}")]
    NotFound(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The newest notice of the line in each master's chat.
fn latest_per_chat(app: &App, contact_id: u64) -> Result<Vec<Notice>, StoreError> {
    let mut latest: Vec<Notice> = Vec::new();
    for n in app.store.notices(subject(contact_id))? {
        match latest.iter_mut().find(|l| l.chat == n.chat) {
            Some(l) => *l = n,
            None => latest.push(n),
        }
    }
    Ok(latest)
}

/// Adds `line` under each master's newest notice of the line, in the store and in Telegram.
fn grow(change: &mut Change, notices: Vec<Notice>, contact_id: u64, line: &str) {
    for n in notices {
        let text = format!("{}\n{line}", n.text);
        change.outbox.push(OutboxItem::new(Outgoing::Edit {
            chat_id: n.chat,
            message_id: n.message,
            text: text.clone(),
            buttons: n.buttons.clone(),
        }));
        change.notices.push((subject(contact_id), Notice { text, ..n }));
    }
}

/// A client wrote to the team.
pub fn from_client(app: &App, contact: &Contact, text: &str) -> Result<Relayed, StoreError> {
    let now = app.clock.now();
    let text = line::clip(text);
    let day = limit_key("line", contact.user_id, now);
    let mut change = Change::default();
    change.line.push((contact.id, LineEntry { at: now, from: LineFrom::Client, text: text.clone() }));
    change.count.push(day.clone());
    let relayed = if app.store.count(&day)? >= MAX_RELAYED_PER_DAY {
        Relayed::Held
    } else {
        let previous = app.store.line_last(contact.id)?;
        let quoted = format!("› {text}");
        // Only into a card that shows the previous message already (its own card may still be on
        // its way in the outbox: then this one gets a card of its own, in order).
        let last_quoted = previous.as_ref().map(|e| format!("› {}", e.text)).unwrap_or_default();
        let latest: Vec<Notice> =
            latest_per_chat(app, contact.id)?.into_iter().filter(|n| n.text.contains(&last_quoted)).collect();
        let fits = latest.iter().all(|n| n.text.chars().count() + quoted.chars().count() < MAX_FOLDED_CHARS);
        if line::folds(previous.as_ref(), now) && !latest.is_empty() && fits {
            grow(&mut change, latest, contact.id, &quoted);
            Relayed::Folded
        } else {
            let tr = app.master_tr();
            let card = format!(
                "{}\n\n{quoted}",
                tr.t_args("line-card", &[("who", people::who(app, &tr, contact).as_str().into())])
            );
            let reply = vec![vec![(tr.t("button-reply"), MasterTap::Reply(contact.id).data())]];
            change.outbox = OutboxItem::to_each(&app.config.master_ids, &card, &reply, Some(subject(contact.id)));
            Relayed::Sent
        }
    };
    let why = match relayed {
        Relayed::Held => "client wrote to the team; over today's limit, kept but not relayed",
        _ => "client wrote to the team",
    };
    change.audit.push(AuditEntry::event(now, Actor::User(contact.user_id), Some(contact.id), "line_in", why));
    app.commit(&change)?;
    Ok(relayed)
}

/// A master answers a client: the client gets it from the bot, and every master's notice of the
/// line shows the answer under the client's words.
pub fn answer(app: &App, contact_id: u64, master: i64, text: &str) -> Result<Contact, LineError> {
    let contact = app.store.contact(contact_id)?.ok_or(LineError::NotFound(contact_id))?;
    let now = app.clock.now();
    let text = line::clip(text);
    let mut change = Change::default();
    change.line.push((contact.id, LineEntry { at: now, from: LineFrom::Master(master), text: text.clone() }));
    let tr = app.content.i18n.tr(&contact.lang);
    change
        .outbox
        .push(OutboxItem::telegram(contact.chat_id, tr.t_args("line-from-team", &[("text", text.as_str().into())])));
    let short: String = text.chars().take(300).collect();
    let shown = app.master_tr().t_args(
        "line-answered",
        &[("by", Actor::Master(master).to_string().as_str().into()), ("text", short.as_str().into())],
    );
    grow(&mut change, latest_per_chat(app, contact.id)?, contact.id, &shown);
    change.audit.push(AuditEntry::event(now, Actor::Master(master), Some(contact.id), "line_out", "a master answered"));
    app.commit(&change)?;
    Ok(contact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ContactState;
    use crate::fleet::testing::{Fixture, MASTER};

    #[tokio::test]
    async fn a_burst_folds_and_the_cap_holds() {
        let f = Fixture::new().await;
        let lead = f.contact("lead@gmail.com", ContactState::ContactTrack);
        assert_eq!(from_client(&f.app, &lead, "hello").unwrap(), Relayed::Sent);
        assert_eq!(f.queued_for(MASTER).len(), 1);
        // Until the outbox delivers the card there is no notice to fold into: a second card.
        assert_eq!(from_client(&f.app, &lead, "again").unwrap(), Relayed::Sent);
        for _ in 2..MAX_RELAYED_PER_DAY {
            from_client(&f.app, &lead, "more").unwrap();
        }
        assert_eq!(from_client(&f.app, &lead, "one too many").unwrap(), Relayed::Held);
        assert_eq!(f.app.store.line(lead.id).unwrap().len() as u32, MAX_RELAYED_PER_DAY + 1, "kept, all of them");
    }

    #[test]
    fn subjects_of_lines_do_not_meet_other_subjects() {
        assert_eq!(subject(7) & !(1 << 61), 7);
        assert_ne!(subject(7), 7);
        assert_ne!(subject(7), (1 << 62) | 7);
    }
}
