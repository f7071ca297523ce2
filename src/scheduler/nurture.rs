//! Nurture (the qualify-first flow, spec §7.7): contact-track leads get a message at 09:00 in their
//! own timezone on days 1, 3 and 7 (`dialogues/nurture.toml`), in Telegram and by email, until they
//! are qualified or send /stop. A message whose moment passed more than 12 hours ago (the process
//! was down) is skipped rather than sent at a strange hour. The pass runs every 30 s over every
//! lead on the track, on their glances (`store::glance`): it reads a lead whole only to send.

use super::slots;
use crate::app::App;
use crate::content::Nurture;
use crate::domain::ContactState;
use crate::store::{Change, Guard, OutboxItem, Outgoing, StoreError};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

const LATE: i64 = 12;

pub async fn run_due(app: &Arc<App>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let nurture = &app.content.nurture;
    let at = nurture.time();
    let mut sent = false;
    // Glances, not contacts: a lead whose days are all ahead or long past costs no read.
    for g in app.store.glances_in(ContactState::ContactTrack) {
        let g = g?;
        if g.nurture_stopped {
            continue;
        }
        let Some(tz) = g.timezone.as_deref().and_then(|t| t.parse::<Tz>().ok()) else { continue };
        let since = g.contact_track_at.unwrap_or(g.updated_at);
        let mut lead = None;
        for day in &nurture.days {
            let fire = slots::nurture_instant(since, *day, at, tz);
            // Not yet, or its moment passed more than LATE hours ago: sent then, or skipped
            // rather than sent at a strange hour.
            if now < fire || now - fire > Duration::hours(LATE) {
                continue;
            }
            let marker = format!("nurture:{}:{day}", g.id);
            if app.store.marker(&marker)?.is_some() {
                continue;
            }
            if lead.is_none() {
                lead = app.store.contact(g.id)?;
            }
            // Moved on or stopped since the glance.
            let Some(c) = lead.as_ref().filter(|c| c.state == ContactState::ContactTrack && !c.nurture_stopped) else {
                break;
            };
            let tr = app.content.i18n.tr(&c.lang);
            let text = tr.t(&Nurture::text_key(*day));
            let change = Change {
                guards: vec![Guard::MarkerAbsent(marker.clone())],
                outbox: vec![
                    OutboxItem::telegram(c.chat_id, text.clone()),
                    OutboxItem::new(Outgoing::Email {
                        to: c.email.clone(),
                        subject: tr.t(&Nurture::subject_key(*day)),
                        text: format!("{text}\n\n{}", tr.t("nurture-email-footer")),
                    }),
                ],
                markers: vec![(marker, now.to_rfc3339())],
                ..Change::default()
            };
            match app.store.commit(&change) {
                Ok(()) => sent = true,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if sent {
        app.outbox_ready.notify_one();
    }
    Ok(())
}
