//! The onboarding funnel, per week: of the people who started in a week (their contact was made),
//! how many confirmed their email, qualified or went to the contact track, connected a bot,
//! confirmed their request, and went live. A person counts at every stage they reached, however
//! far they went since (a rejected request was confirmed; a churned agent was live). The panel
//! draws it; the Friday review and the digest carry it as a picture (`fleet::chart`).

use crate::app::App;
use crate::domain::{Contact, ContactState};
use crate::store::StoreError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

/// The stages, in the order a person passes them. Qualified and the contact track are two paths
/// out of the questions (a contact-track lead a master qualified counts on both).
pub const STAGES: [Stage; 7] = [
    Stage::Started,
    Stage::EmailConfirmed,
    Stage::Qualified,
    Stage::ContactTrack,
    Stage::BotConnected,
    Stage::Confirmed,
    Stage::Live,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Started,
    EmailConfirmed,
    Qualified,
    ContactTrack,
    BotConnected,
    Confirmed,
    Live,
}

impl Stage {
    /// Its locale key (the panel's legend and the picture's caption).
    pub fn key(self) -> &'static str {
        match self {
            Stage::Started => "funnel-started",
            Stage::EmailConfirmed => "funnel-email-confirmed",
            Stage::Qualified => "funnel-qualified",
            Stage::ContactTrack => "funnel-contact-track",
            Stage::BotConnected => "funnel-bot-connected",
            Stage::Confirmed => "funnel-confirmed",
            Stage::Live => "funnel-live",
        }
    }
}

/// How far along the happy path a state is; the contact track sits beside `Qualified`.
fn depth(state: ContactState) -> u8 {
    use ContactState::*;
    match state {
        EmailPending => 0,
        EmailVerified | Qualifying | ContactTrack => 1,
        Qualified => 2,
        TokenValidated | NameChosen => 3,
        PendingReview | Waitlisted | Rejected | Provisioning | Churned => 4,
        Live | Active | Degraded => 5,
    }
}

/// Whether `c` reached `stage`; `was_live` says whether a churned contact's agent ever went live.
pub fn reached(c: &Contact, stage: Stage, was_live: bool) -> bool {
    let d = depth(c.state);
    match stage {
        Stage::Started => true,
        Stage::EmailConfirmed => d >= 1,
        Stage::Qualified => d >= 2,
        Stage::ContactTrack => c.contact_track_at.is_some() || c.state == ContactState::ContactTrack,
        Stage::BotConnected => d >= 3,
        Stage::Confirmed => d >= 4,
        Stage::Live => d >= 5 || (c.state == ContactState::Churned && was_live),
    }
}

/// One week's cohort: the Monday it began and the count at each of [`STAGES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    pub week: NaiveDate,
    pub counts: [u32; 7],
}

/// The Monday of `t`'s week (UTC).
pub fn monday(t: DateTime<Utc>) -> NaiveDate {
    let d = t.date_naive();
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// The last `weeks` weeks up to `now`'s, oldest first, every week present (zeros too).
pub fn weekly(app: &App, now: DateTime<Utc>, weeks: usize) -> Result<Vec<Week>, StoreError> {
    let last = monday(now);
    let first = last - Duration::weeks(weeks.saturating_sub(1) as i64);
    let mut out: Vec<Week> =
        (0..weeks as i64).map(|i| Week { week: first + Duration::weeks(i), counts: [0; 7] }).collect();
    for state in ContactState::ALL {
        for c in app.store.iter_in(state) {
            let c = c?;
            let week = monday(c.created_at);
            let Some(row) = out.iter_mut().find(|w| w.week == week) else { continue };
            let was_live = match (&c.agent_name, c.state) {
                (Some(name), ContactState::Churned) => app.store.agent(name)?.is_some_and(|a| a.live_at.is_some()),
                _ => false,
            };
            for (i, stage) in STAGES.iter().enumerate() {
                row.counts[i] += u32::from(reached(&c, *stage, was_live));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::fleet::testing::Fixture;
    use ContactState::*;

    fn at(state: ContactState) -> Contact {
        let mut c = Contact::new(1, 1, 1, "en", "a@b.c", "2026-11-24T10:00:00Z".parse().unwrap());
        c.state = state;
        c
    }

    #[test]
    fn a_person_counts_at_every_stage_they_reached() {
        let stages = |c: &Contact, live: bool| -> Vec<Stage> {
            STAGES.iter().copied().filter(|s| reached(c, *s, live)).collect()
        };
        assert_eq!(stages(&at(EmailPending), false), vec![Stage::Started]);
        assert_eq!(stages(&at(ContactTrack), false), vec![Stage::Started, Stage::EmailConfirmed, Stage::ContactTrack]);
        let mut pushed = at(Qualified);
        pushed.contact_track_at = Some(pushed.created_at);
        assert!(reached(&pushed, Stage::ContactTrack, false) && reached(&pushed, Stage::Qualified, false));
        assert!(reached(&at(Rejected), Stage::Confirmed, false) && !reached(&at(Rejected), Stage::Live, false));
        assert_eq!(stages(&at(Active), false).len(), 6, "everything but the contact track");
        assert!(!reached(&at(Churned), Stage::Live, false));
        assert!(reached(&at(Churned), Stage::Live, true));
    }

    #[tokio::test]
    async fn weeks_are_cohorts_by_the_monday_they_started() {
        let f = Fixture::new().await;
        // 2026-11-24 is a Tuesday: its week began on Monday the 23rd.
        assert_eq!(monday(f.clock.now()), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        f.contact("a@acme.io", PendingReview);
        f.contact("b@acme.io", EmailPending);
        f.clock.advance(chrono::Duration::days(-7));
        f.contact("c@acme.io", ContactTrack);
        f.clock.advance(chrono::Duration::days(7));
        let weeks = weekly(&f.app, f.clock.now(), 3).unwrap();
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[2].week, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(weeks[2].counts, [2, 1, 1, 0, 1, 1, 0]);
        assert_eq!(weeks[1].counts, [1, 1, 0, 1, 0, 0, 0]);
        assert_eq!(weeks[0].counts, [0; 7]);
    }
}
