//! What the fleet panel (the Telegram Mini App, `panel`) shows: read models of the store, in the
//! words and numbers a master reads — the agents with their health, the requests waiting with
//! their score's parts, the escalations and how long each waited, the contact-track leads, and the
//! fleet's health over time (an hourly sample the scheduler takes). Nothing here decides: the
//! panel's decisions are the same fleet operations the chat's buttons call.

use crate::app::App;
use crate::domain::agent::{status, AgentState, Health, Status};
use crate::domain::ContactState;
use crate::store::{Change, Guard, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentView {
    pub name: String,
    pub owner: String,
    pub bot: String,
    /// The stored state (`live`, `provisioning`, …).
    pub state: &'static str,
    /// The one word every view uses (`online`, `silent`, `setting_up`, …).
    pub status: &'static str,
    /// `green`, `yellow` or `red`, as the brief's `Fleet:` line.
    pub health: &'static str,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub doing: Option<String>,
    /// The container image agents run (`M2O_AGENT_IMAGE`).
    pub image: String,
    /// The agent's application in Coolify's web UI, when it was deployed there.
    pub coolify_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Online => "online",
        Status::Silent => "silent",
        Status::SettingUp => "setting_up",
        Status::SetupFailed => "setup_failed",
        Status::Degraded => "degraded",
        Status::Destroyed => "destroyed",
    }
}

pub fn health_word(h: Health) -> &'static str {
    match h {
        Health::Green => "green",
        Health::Yellow => "yellow",
        Health::Red => "red",
    }
}

/// Every agent not destroyed, by name.
pub fn agents(app: &App) -> Result<Vec<AgentView>, StoreError> {
    let now = app.clock.now();
    let mut agents: Vec<_> = app.store.agents()?.into_iter().filter(|a| a.state != AgentState::Destroyed).collect();
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(agents
        .into_iter()
        .map(|a| {
            let s = status(&a, now);
            let coolify_url = match (&app.config.coolify, &a.app_id) {
                (Some(c), Some(id)) if a.provisioner == "coolify" => coolify_link(&c.api_url, &c.project_uuid, id),
                _ => None,
            };
            AgentView {
                state: a.state.as_str(),
                status: status_word(s),
                health: health_word(s.health()),
                last_heartbeat: a.heartbeat_at,
                doing: a.doing.clone(),
                image: app.config.agent_image.clone(),
                coolify_url,
                owner: a.owner_label,
                bot: a.bot_username,
                created_at: a.created_at,
                name: a.name,
            }
        })
        .collect())
}

/// Coolify's page of an application: its web UI is on the API's origin, agents are in the
/// project's `production` environment (`services::coolify`).
fn coolify_link(api_url: &str, project: &str, app_id: &str) -> Option<String> {
    let url = reqwest::Url::parse(api_url).ok()?;
    let origin = url.origin().ascii_serialization();
    Some(format!("{origin}/project/{project}/production/application/{app_id}"))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonView {
    pub id: u64,
    pub email: String,
    pub state: &'static str,
    /// The state in the masters' words.
    pub state_label: String,
    pub agent_name: Option<String>,
    pub score: Option<u32>,
    /// What earned the points, by today's table.
    pub parts: Vec<(String, u32)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn people_in(app: &App, states: &[ContactState]) -> Result<Vec<PersonView>, StoreError> {
    let tr = app.master_tr();
    let mut out = Vec::new();
    for state in states {
        for c in app.store.contacts_in(*state)? {
            out.push(PersonView {
                id: c.id,
                state: c.state.as_str(),
                state_label: super::people::state_label(&tr, c.state),
                agent_name: c.agent_name.clone(),
                score: c.score,
                parts: if c.score.is_some() { super::people::score_parts(app, &tr, &c) } else { Vec::new() },
                created_at: c.created_at,
                updated_at: c.updated_at,
                email: c.email,
            });
        }
    }
    out.sort_by_key(|p| p.updated_at);
    Ok(out)
}

/// Requests waiting for a decision (pending review, then waitlisted), oldest first.
pub fn requests(app: &App) -> Result<Vec<PersonView>, StoreError> {
    people_in(app, &[ContactState::PendingReview, ContactState::Waitlisted])
}

/// Leads on the contact track, oldest first.
pub fn leads(app: &App) -> Result<Vec<PersonView>, StoreError> {
    people_in(app, &[ContactState::ContactTrack])
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationView {
    pub id: u64,
    pub agent: String,
    pub doing: String,
    pub tried: Vec<String>,
    pub need: String,
    pub proposed_fix: Option<String>,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    /// Minutes it waited for a decision (so far, while open).
    pub waited_minutes: i64,
    pub overdue: bool,
    /// `approve`, `skip` or `modify` once decided.
    pub decision: Option<crate::domain::escalation::Verdict>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
}

/// The escalations still open, and those decided in the last `days` days (their waiting times
/// are the chart's), newest first.
pub fn escalations(app: &App, days: i64) -> Result<Vec<EscalationView>, StoreError> {
    let now = app.clock.now();
    let since = now - Duration::days(days);
    let mut out: Vec<EscalationView> = app
        .store
        .escalations()?
        .into_iter()
        .filter(|e| e.ruling.as_ref().is_none_or(|r| r.at >= since))
        .map(|e| {
            let until = e.ruling.as_ref().map_or(now, |r| r.at);
            EscalationView {
                waited_minutes: (until - e.created_at).num_minutes().max(0),
                overdue: e.overdue(now, app.config.escalation_sla),
                decision: e.ruling.as_ref().map(|r| r.verdict),
                note: e.ruling.as_ref().and_then(|r| r.note.clone()),
                decided_by: e.ruling.as_ref().map(|r| r.by.to_string()),
                id: e.id,
                agent: e.agent,
                doing: e.doing,
                tried: e.tried,
                need: e.need,
                proposed_fix: e.proposed_fix,
                urgent: e.urgent,
                created_at: e.created_at,
            }
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.id));
    Ok(out)
}

/// The fleet's health at one hour: how many agents were green, yellow and red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSample {
    pub at: DateTime<Utc>,
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
}

const SAMPLE_PREFIX: &str = "fleet-health:";

/// Takes this hour's sample of the fleet's health, once per hour (a marker per hour, so a restart
/// neither loses nor doubles one). Called by the scheduler.
pub fn sample_health(app: &App, now: DateTime<Utc>) -> Result<(), StoreError> {
    let key = format!("{SAMPLE_PREFIX}{}", now.format("%Y-%m-%dT%H"));
    if app.store.marker(&key)?.is_some() {
        return Ok(());
    }
    let mut sample = HealthSample { at: now, green: 0, yellow: 0, red: 0 };
    // The roll call, not the registry: the scheduler's first pass at start-up takes a sample.
    for a in app.store.roll_call()? {
        match a.status(now).health() {
            Health::Green => sample.green += 1,
            Health::Yellow => sample.yellow += 1,
            Health::Red => sample.red += 1,
        }
    }
    let value = serde_json::to_string(&sample).unwrap_or_default();
    let change =
        Change { guards: vec![Guard::MarkerAbsent(key.clone())], markers: vec![(key, value)], ..Change::default() };
    match app.store.commit(&change) {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The samples of the last `days` days, oldest first.
pub fn health_history(app: &App, days: i64) -> Result<Vec<HealthSample>, StoreError> {
    let since = app.clock.now() - Duration::days(days);
    Ok(app
        .store
        .markers_with_prefix(SAMPLE_PREFIX)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str::<HealthSample>(&v).ok())
        .filter(|s| s.at >= since)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::fleet::testing::Fixture;

    #[tokio::test]
    async fn requests_show_their_score_parts_and_leads_the_track() {
        let f = Fixture::new().await;
        let mut c = f.contact("anna@acme.io", ContactState::PendingReview);
        c.score = Some(80);
        f.app.store.commit(&Change { contact: Some(c.clone()), ..Change::default() }).unwrap();
        f.contact("lead@gmail.com", ContactState::ContactTrack);
        f.contact("new@acme.io", ContactState::EmailPending);
        let requests = requests(&f.app).unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].email, "anna@acme.io");
        assert_eq!(requests[0].parts, vec![("base".to_string(), 50), ("company email".to_string(), 30)]);
        assert_eq!(requests[0].state_label, "waiting for review");
        let leads = leads(&f.app).unwrap();
        assert_eq!(leads.iter().map(|l| l.email.as_str()).collect::<Vec<_>>(), vec!["lead@gmail.com"]);
    }

    #[tokio::test]
    async fn health_is_sampled_once_an_hour() {
        let f = Fixture::new().await;
        sample_health(&f.app, f.clock.now()).unwrap();
        sample_health(&f.app, f.clock.now() + Duration::minutes(30)).unwrap();
        assert_eq!(health_history(&f.app, 7).unwrap().len(), 1, "the same hour once");
        f.clock.advance(Duration::hours(1));
        sample_health(&f.app, f.clock.now()).unwrap();
        let history = health_history(&f.app, 7).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[1].green, history[1].yellow, history[1].red), (0, 0, 0));
        f.clock.advance(Duration::days(8));
        assert!(health_history(&f.app, 7).unwrap().is_empty(), "older than the window");
    }

    #[test]
    fn coolify_links_go_to_the_ui_origin() {
        assert_eq!(
            coolify_link("https://coolify.example.com/api/v1", "p1", "a1").as_deref(),
            Some("https://coolify.example.com/project/p1/production/application/a1")
        );
    }
}
