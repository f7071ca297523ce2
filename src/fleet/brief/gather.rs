//! Gathering the morning brief from the store (and Planka, when configured): what needs the
//! master, what the fleet is doing, what shipped yesterday, what is blocked, how each agent is.

use super::compose::{Blocked, BriefInput, NeedItem, MAX_ACTION_ITEMS, MAX_CONTEXT_LINES};
use crate::app::App;
use crate::domain::agent::{AgentState, JobState};
use crate::domain::escalation::{ActionState, Radius};
use crate::domain::ContactState;
use crate::fleet::{buttons, people};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

pub async fn gather(app: &App, now: DateTime<Utc>, date: NaiveDate) -> anyhow::Result<BriefInput> {
    let tr = app.master_tr();
    let store = &app.store;
    // `compose` numbers the items and their buttons.
    let mut needs_you = Vec::new();
    let escalations = store.escalations()?;
    for e in escalations.iter().filter(|e| e.overdue(now, app.config.escalation_sla)) {
        let fix = e.proposed_fix.clone().unwrap_or_else(|| tr.t("escalation-no-fix"));
        let buttons = buttons::escalation(&tr, e);
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-escalation",
                &[("agent", (&e.agent).into()), ("need", (&e.need).into()), ("fix", (&fix).into())],
            ),
            buttons,
        });
    }
    let actions = store.actions()?;
    for a in actions.iter().filter(|a| a.state == ActionState::Pending && a.radius == Radius::Red) {
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-action",
                &[("agent", (&a.agent).into()), ("action", (&a.action).into()), ("summary", (&a.summary).into())],
            ),
            buttons: buttons::action(&tr, a),
        });
    }

    // Requests last and at most what the brief lists: a backlog is counted, not read.
    let room = MAX_ACTION_ITEMS.saturating_sub(needs_you.len());
    for c in store.iter_in(ContactState::PendingReview).take(room) {
        let c = c?;
        needs_you.push(NeedItem {
            text: tr.t_args(
                "brief-need-request",
                &[
                    ("name", c.agent_name.as_deref().unwrap_or("?").into()),
                    ("email", (&c.email).into()),
                    ("score", people::score_text(app, &tr, &c).as_str().into()),
                ],
            ),
            buttons: buttons::request(&tr, c.id),
        });
    }
    let needs_more = store.count_in(ContactState::PendingReview).saturating_sub(room);
    // The roll call, not the registry: a fleet of thousands is read without decoding each entry.
    let agents = store.roll_call()?;
    // HAPPENING and SHIPPED list their first lines and count the rest; only listed ones are read.
    let mut happening = Listed::default();
    for a in &agents {
        if let Some(doing) = &a.doing {
            happening.push_with(|| (a.name.clone(), doing.clone()));
        }
    }
    let day_start = date.and_time(NaiveTime::MIN).and_utc();
    let yesterday = (day_start - Duration::days(1), day_start);
    let mut shipped = Listed::default();
    if let Some(planka) = &app.planka {
        match planka.now_cards().await {
            Ok(cards) => cards.into_iter().for_each(|c| happening.push_with(|| ("Planka".to_string(), c.name))),
            Err(e) => tracing::warn!(error = %e, "Planka's Now cards are not in the brief"),
        }
        match planka.done_between(yesterday.0, yesterday.1).await {
            Ok(cards) => cards.into_iter().for_each(|c| shipped.push_with(|| c.name)),
            Err(e) => tracing::warn!(error = %e, "Planka's Done cards are not in the brief"),
        }
    }
    let in_yesterday = |t: DateTime<Utc>| t >= yesterday.0 && t < yesterday.1;
    for a in agents.iter().filter(|a| a.live_at.is_some_and(in_yesterday)) {
        shipped.push_with(|| tr.t_args("brief-shipped-live", &[("name", (&a.name).into())]));
    }
    // Yesterday's decisions, through the index of decisions by time.
    for id in store.decided_between(yesterday.0, yesterday.1) {
        let id = id?;
        if shipped.full() {
            shipped.more += 1;
            continue;
        }
        let Some(d) = store.decision(id)? else { continue };
        let name = store.contact(id)?.and_then(|c| c.agent_name).unwrap_or_default();
        let key = if d.approved { "brief-shipped-approved" } else { "brief-shipped-rejected" };
        shipped.push_with(|| tr.t_args(key, &[("name", (&name).into()), ("by", d.by.to_string().as_str().into())]));
    }
    for e in escalations.iter().filter(|e| e.ruling.as_ref().is_some_and(|r| in_yesterday(r.at))) {
        shipped.push_with(|| {
            tr.t_args("brief-shipped-escalation", &[("agent", (&e.agent).into()), ("need", (&e.need).into())])
        });
    }

    // A job blocks only while its agent is being set up or failed: read those agents' jobs alone.
    let mut jobs = Vec::new();
    for a in agents.iter().filter(|a| matches!(a.state, AgentState::Failed | AgentState::Provisioning)) {
        let Some(full) = store.agent(&a.name)? else { continue };
        if let Some(job) = store.job(full.job_id)? {
            jobs.push((a.state, job));
        }
    }
    jobs.sort_by_key(|(_, job)| job.id);
    let mut blocked = Vec::new();
    for (agent_state, job) in &jobs {
        match &job.state {
            JobState::Failed { error } if *agent_state == AgentState::Failed => {
                blocked.push(Blocked {
                    what: tr.t_args(
                        "brief-blocked-job",
                        &[
                            ("name", (&job.agent).into()),
                            ("step", (job.step.number() as i64).into()),
                            ("error", error.into()),
                        ],
                    ),
                    fix: tr.t("brief-fix-job"),
                });
            }
            JobState::Deployed
                if now - job.log.last().map(|r| r.started_at).unwrap_or(job.created_at) > Duration::minutes(30) =>
            {
                blocked.push(Blocked {
                    what: tr.t_args("brief-blocked-silent", &[("name", (&job.agent).into())]),
                    fix: tr.t_args("brief-fix-silent", &[("app", job.app_id.as_deref().unwrap_or("-").into())]),
                });
            }
            _ => {}
        }
    }
    for a in agents.iter().filter(|a| a.state == AgentState::Degraded) {
        // The brief lists the first MAX_ACTION_ITEMS and counts the rest: read only their owners.
        let owner = if blocked.len() < MAX_ACTION_ITEMS {
            store.agent(&a.name)?.map(|full| full.owner_label).unwrap_or_default()
        } else {
            String::new()
        };
        blocked.push(Blocked {
            what: tr.t_args("brief-blocked-revoked", &[("name", (&a.name).into())]),
            fix: tr.t_args("brief-fix-revoked", &[("owner", (&owner).into())]),
        });
    }
    let fleet = agents.iter().map(|a| (a.name.clone(), a.status(now).health())).collect();
    Ok(BriefInput {
        date,
        needs_you,
        happening: happening.lines,
        happening_more: happening.more,
        shipped: shipped.lines,
        shipped_more: shipped.more,
        blocked,
        fleet,
        needs_more,
    })
}

/// A context section's lines: the first [`MAX_CONTEXT_LINES`], made only when they are listed,
/// and a count of the rest.
struct Listed<T> {
    lines: Vec<T>,
    more: usize,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed { lines: Vec::new(), more: 0 }
    }
}

impl<T> Listed<T> {
    fn full(&self) -> bool {
        self.lines.len() >= MAX_CONTEXT_LINES
    }

    fn push_with(&mut self, line: impl FnOnce() -> T) {
        if self.full() {
            self.more += 1;
        } else {
            self.lines.push(line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MAX_CONTEXT_LINES;
    use crate::domain::{Actor, ContactState};
    use crate::fleet::approval;
    use crate::fleet::testing::{Fixture, MASTER};
    use chrono::Duration;

    #[tokio::test]
    async fn shipped_yesterday_lists_yesterdays_decisions_found_through_the_audit_log() {
        let f = Fixture::new().await;
        let old = f.contact("old@acme.io", ContactState::PendingReview);
        let anna = f.contact("anna@acme.io", ContactState::PendingReview);
        // Two days before the brief: not yesterday.
        approval::reject(&f.app, old.id, Actor::Master(MASTER), None).await.expect("rejected");
        f.clock.advance(Duration::days(1));
        approval::reject(&f.app, anna.id, Actor::Master(MASTER), Some("not now".into())).await.expect("rejected");
        f.clock.advance(Duration::days(1));
        let now = crate::clock::Clock::now(f.clock.as_ref());
        let input = super::gather(&f.app, now, now.date_naive()).await.expect("gathered");
        assert_eq!(input.shipped.len(), 1, "{:?}", input.shipped);
        assert!(input.shipped[0].contains("rejected by"), "{:?}", input.shipped);
        assert_eq!(input.shipped_more, 0);
    }

    #[tokio::test]
    async fn a_busy_yesterday_is_listed_up_to_the_cap_and_counted_beyond_it() {
        let f = Fixture::new().await;
        let waiting: Vec<_> = (0..MAX_CONTEXT_LINES + 5)
            .map(|i| f.contact(&format!("c{i}@acme.io"), ContactState::PendingReview))
            .collect();
        for c in &waiting {
            approval::reject(&f.app, c.id, Actor::Master(MASTER), None).await.expect("rejected");
        }
        f.clock.advance(Duration::days(1));
        let now = crate::clock::Clock::now(f.clock.as_ref());
        let input = super::gather(&f.app, now, now.date_naive()).await.expect("gathered");
        assert_eq!(input.shipped.len(), MAX_CONTEXT_LINES);
        assert_eq!(input.shipped_more, 5);
    }
}
