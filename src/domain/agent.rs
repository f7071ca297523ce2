//! Agents (the fleet registry) and their provisioning jobs (the spawn flow, spec §3.10): the data,
//! and the pure rules of a job's steps and retries. The runner that performs the steps is `fleet::jobs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Being built by its job.
    Provisioning,
    /// The job gave up; a master can retry it.
    Failed,
    Live,
    Degraded,
    Destroyed,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Failed => "failed",
            Self::Live => "live",
            Self::Degraded => "degraded",
            Self::Destroyed => "destroyed",
        }
    }
}

/// What every view says about an agent — one word and one colour, from its state and its latest
/// heartbeat — so the brief, `/fleet`, `/agent` and the home panel never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Live, heartbeat (or going live) within 30 minutes: 🟢.
    Online,
    /// Live, but no heartbeat for 30 minutes: 🟡.
    Silent,
    /// Being provisioned: 🟡.
    SettingUp,
    /// Provisioning failed: 🔴.
    SetupFailed,
    /// Live with a problem (e.g. its bot token was revoked): 🔴.
    Degraded,
    /// Deleted: ⚫.
    Destroyed,
}

impl Status {
    pub fn emoji(self) -> &'static str {
        match self {
            Status::Destroyed => "⚫",
            other => other.health().emoji(),
        }
    }

    pub fn health(self) -> Health {
        match self {
            Status::Online => Health::Green,
            Status::Silent | Status::SettingUp => Health::Yellow,
            Status::SetupFailed | Status::Degraded | Status::Destroyed => Health::Red,
        }
    }
}

/// An agent is silent after this long without a heartbeat.
pub const SILENT_AFTER_MINUTES: i64 = 30;

pub fn status(agent: &Agent, now: DateTime<Utc>) -> Status {
    status_of(agent.state, agent.heartbeat_at.or(agent.live_at), now)
}

/// An agent's status from its state and when it last spoke (its heartbeat, else going live).
fn status_of(state: AgentState, spoke: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Status {
    match state {
        AgentState::Live => match spoke {
            Some(t) if now - t <= chrono::Duration::minutes(SILENT_AFTER_MINUTES) => Status::Online,
            _ => Status::Silent,
        },
        AgentState::Provisioning => Status::SettingUp,
        AgentState::Failed => Status::SetupFailed,
        AgentState::Degraded => Status::Degraded,
        AgentState::Destroyed => Status::Destroyed,
    }
}

/// What the fleet's views read of an agent (`/fleet`, the brief): kept beside its registry entry
/// by the store, so a fleet of thousands is read without decoding each whole entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RollCall {
    pub name: String,
    pub state: AgentState,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub live_at: Option<DateTime<Utc>>,
    pub doing: Option<String>,
}

impl RollCall {
    pub fn of(agent: &Agent) -> RollCall {
        RollCall {
            name: agent.name.clone(),
            state: agent.state,
            heartbeat_at: agent.heartbeat_at,
            live_at: agent.live_at,
            doing: agent.doing.clone(),
        }
    }

    /// The same as [`status`] of the whole entry.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        status_of(self.state, self.heartbeat_at.or(self.live_at), now)
    }
}

/// One agent of the fleet registry, keyed by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub name: String,
    pub state: AgentState,
    /// The client it belongs to; `None` for an agent a master spawned for the fleet.
    pub contact_id: Option<u64>,
    /// Who to tell about the agent: the client's or the spawning master's Telegram user id.
    pub owner_user_id: i64,
    pub owner_label: String,
    pub bot_id: i64,
    pub bot_username: String,
    /// The agent's Telegram bot token, sealed (`crypto::Secrets`).
    pub token_sealed: String,
    pub timezone: String,
    pub provisioner: String,
    #[serde(default)]
    pub app_id: Option<String>,
    /// Hash of the agent's bearer token for our API (`M2O_AGENT_TOKEN`); the token is never stored.
    #[serde(default)]
    pub api_token_hash: Option<String>,
    pub job_id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_event: String,
    /// Which generation of the API token is current (starts at the job id; `/token` bumps it).
    #[serde(default)]
    pub token_generation: Option<u64>,
    /// When it went live (for "shipped yesterday").
    #[serde(default)]
    pub live_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// What it said it is doing in its latest heartbeat (the brief's HAPPENING).
    #[serde(default)]
    pub doing: Option<String>,
    #[serde(default)]
    pub card: Option<String>,
    /// Where it wants decisions POSTed (given at `online`).
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// How an agent is doing, as the morning brief's `Fleet:` line (spec §7.3) shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Green,
    Yellow,
    Red,
}

impl Health {
    pub fn emoji(self) -> &'static str {
        match self {
            Health::Green => "🟢",
            Health::Yellow => "🟡",
            Health::Red => "🔴",
        }
    }
}

/// The `Fleet:` line's colour (spec §7.3): [`status`]'s.
pub fn health(agent: &Agent, now: DateTime<Utc>) -> Health {
    status(agent, now).health()
}

/// Who an agent belongs to and which bot it speaks through, for a new registry entry.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub contact_id: Option<u64>,
    pub owner_user_id: i64,
    pub owner_label: String,
    pub bot_id: i64,
    pub bot_username: String,
    pub token_sealed: String,
    pub timezone: String,
    pub provisioner: String,
    pub job_id: u64,
    pub last_event: String,
}

impl Agent {
    /// A registry entry for an agent whose provisioning job starts now.
    pub fn provisioning(new: NewAgent, now: DateTime<Utc>) -> Agent {
        Agent {
            name: new.name,
            state: AgentState::Provisioning,
            contact_id: new.contact_id,
            owner_user_id: new.owner_user_id,
            owner_label: new.owner_label,
            bot_id: new.bot_id,
            bot_username: new.bot_username,
            token_sealed: new.token_sealed,
            timezone: new.timezone,
            provisioner: new.provisioner,
            app_id: None,
            api_token_hash: None,
            job_id: new.job_id,
            created_at: now,
            updated_at: now,
            last_event: new.last_event,
            token_generation: None,
            live_at: None,
            heartbeat_at: None,
            doing: None,
            card: None,
            callback_url: None,
        }
    }

    pub fn generation(&self) -> u64 {
        self.token_generation.unwrap_or(self.job_id)
    }
}

/// The steps of the spawn flow (spec §3.10), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    CheckName,
    Guacamole,
    CreateApp,
    SetEnv,
    Deploy,
    Register,
    /// Waiting for the deployment to finish (the agent's own "online" report comes later).
    WaitLive,
}

impl Step {
    pub const ALL: [Step; 7] =
        [Step::CheckName, Step::Guacamole, Step::CreateApp, Step::SetEnv, Step::Deploy, Step::Register, Step::WaitLive];

    pub fn next(self) -> Option<Step> {
        Step::ALL.iter().position(|s| *s == self).and_then(|i| Step::ALL.get(i + 1)).copied()
    }

    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// The locale key of the step's label.
    pub fn key(self) -> &'static str {
        match self {
            Step::CheckName => "step-check-name",
            Step::Guacamole => "step-guacamole",
            Step::CreateApp => "step-create-app",
            Step::SetEnv => "step-set-env",
            Step::Deploy => "step-deploy",
            Step::Register => "step-register",
            Step::WaitLive => "step-wait-live",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    Running,
    /// Deployed; waiting for the agent to report online (`POST /v1/agents/{name}/online`).
    Deployed,
    Failed {
        error: String,
    },
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: Step,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// `ok`, `skipped: …`, or the last error.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A persisted provisioning job. Each step is recorded before it runs and after it finishes, so a
/// restart resumes at the step it was in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub agent: String,
    pub step: Step,
    pub state: JobState,
    pub attempts: u32,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub deployment_id: Option<String>,
    /// The app's deployments before this job's deploy call was first sent: after a crash or a
    /// timeout, one that is not among them is the deployment that call queued.
    #[serde(default)]
    pub deployments_before: Option<Vec<String>>,
    #[serde(default)]
    pub log: Vec<StepRecord>,
    /// Progress messages edited in place: (chat id, message id).
    #[serde(default)]
    pub progress: Vec<(i64, i32)>,
    pub created_at: DateTime<Utc>,
}

impl Job {
    /// A provisioning job at its first step.
    pub fn new(id: u64, agent: &str, now: DateTime<Utc>) -> Job {
        Job {
            id,
            agent: agent.to_string(),
            step: Step::CheckName,
            state: JobState::Running,
            attempts: 0,
            app_id: None,
            deployment_id: None,
            deployments_before: None,
            log: Vec::new(),
            progress: Vec::new(),
            created_at: now,
        }
    }
}

pub const MAX_ATTEMPTS: u32 = 5;

/// How long to wait before attempt `attempt + 1` of a step: the server's `Retry-After` when given,
/// otherwise exponential from `base`, capped at five minutes.
pub fn backoff(attempt: u32, base: Duration, retry_after: Option<Duration>) -> Duration {
    retry_after.unwrap_or_else(|| base.saturating_mul(1 << attempt.min(10))).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_in_the_seeds_order() {
        let mut s = Step::CheckName;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            seen.push(n);
            s = n;
        }
        assert_eq!(seen, Step::ALL.to_vec());
        assert_eq!(Step::Deploy.number(), 5);
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let base = Duration::from_secs(1);
        assert_eq!(backoff(0, base, None), Duration::from_secs(1));
        assert_eq!(backoff(3, base, None), Duration::from_secs(8));
        assert_eq!(backoff(3, base, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert_eq!(backoff(30, base, None), Duration::from_secs(300));
    }
}
