//! Nurture (the qualify-first flow, spec §7.7): contact-track leads get a message at 09:00 in their
//! own timezone on days 1, 3 and 7 (`dialogues/nurture.toml`), in Telegram and by email, until they
//! are qualified or send /stop. A message whose moment passed more than 12 hours ago (the process
//! was down) is skipped rather than sent at a strange hour.

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
    for c in app.store.iter_in(ContactState::ContactTrack) {
        let c = c?;
        if c.nurture_stopped {
            continue;
        }
        let Some(tz) = c.timezone.as_deref().and_then(|t| t.parse::<Tz>().ok()) else { continue };
        let since = c.contact_track_at.unwrap_or(c.updated_at);
        for day in &nurture.days {
            let fire = slots::nurture_instant(since, *day, at, tz);
            if now < fire {
                continue;
            }
            let marker = format!("nurture:{}:{day}", c.id);
            if app.store.marker(&marker)?.is_some() {
                continue;
            }
            let mut change = Change { guards: vec![Guard::MarkerAbsent(marker.clone())], ..Change::default() };
            if now - fire > Duration::hours(LATE) {
                change.markers.push((marker, "missed".into()));
            } else {
                let tr = app.content.i18n.tr(&c.lang);
                let text = tr.t(&Nurture::text_key(*day));
                change.outbox.push(OutboxItem::telegram(c.chat_id, text.clone()));
                change.outbox.push(OutboxItem::new(Outgoing::Email {
                    to: c.email.clone(),
                    subject: tr.t(&Nurture::subject_key(*day)),
                    text: format!("{text}\n\n{}", tr.t("nurture-email-footer")),
                }));
                change.markers.push((marker, now.to_rfc3339()));
                sent = true;
            }
            match app.store.commit(&change) {
                Err(StoreError::Conflict(_)) => {}
                other => other?,
            }
        }
    }
    if sent {
        app.outbox_ready.notify_one();
    }
    Ok(())
}
