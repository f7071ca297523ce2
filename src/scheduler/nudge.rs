//! Stalled clients (stuck mid-onboarding for two days, see `fleet::leads::stalled`) get one nudge,
//! at 10:00–12:00 in their own timezone (UTC before they gave one), unless they sent /stop or a
//! master already nudged them. `fleet::leads::nudge` marks the contact in the same write as the
//! message, so a tick after a restart never sends a second one.

use crate::app::App;
use crate::domain::Actor;
use crate::fleet::leads::{self, NudgeError};
use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// The local hours a nudge may go out in.
const FROM_HOUR: u32 = 10;
const UNTIL_HOUR: u32 = 12;

pub async fn run_due(app: &Arc<App>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut sent = false;
    // Glances, not contacts: a pass reads whole only the clients it nudges.
    for g in leads::stalled_glances(app, now)? {
        if g.nudged || g.nurture_stopped {
            continue;
        }
        let tz = g.timezone.as_deref().and_then(|t| t.parse::<Tz>().ok()).unwrap_or(Tz::UTC);
        let hour = now.with_timezone(&tz).hour();
        if !(FROM_HOUR..UNTIL_HOUR).contains(&hour) {
            continue;
        }
        match leads::nudge(app, g.id, Actor::System) {
            Ok(_) => sent = true,
            Err(NudgeError::Store(e)) => return Err(e.into()),
            // Moved on, nudged or stopped meanwhile.
            Err(_) => {}
        }
    }
    if sent {
        app.outbox_ready.notify_one();
    }
    Ok(())
}
