//! Escalations (the stuck protocol, spec §7.5) and action requests (the autonomy radius, spec
//! §7.2): what agents ask the humans, and the decisions that go back to them.

use super::Actor;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Who decides an action an agent asks to take (the autonomy radius, spec §7.2): 🟢 the agent
/// itself (approved at once and audited), 🟡 the orchestrator, 🔴 a master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Radius {
    Green,
    Yellow,
    Red,
}

/// How an escalation was decided: [✅ Approve proposed fix] [❌ Skip] [🔄 Modify].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Skip,
    Modify,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruling {
    pub verdict: Verdict,
    #[serde(default)]
    pub note: Option<String>,
    pub by: Actor,
    pub at: DateTime<Utc>,
}

/// An agent's pre-digested "I am stuck": what it is doing, what it tried, what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub id: u64,
    pub agent: String,
    pub doing: String,
    pub tried: Vec<String>,
    pub need: String,
    #[serde(default)]
    pub proposed_fix: Option<String>,
    #[serde(default)]
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub ruling: Option<Ruling>,
}

impl Escalation {
    /// Past the SLA and still open: it goes into the master's brief under NEEDS YOU.
    pub fn overdue(&self, now: DateTime<Utc>, sla: Duration) -> bool {
        self.ruling.is_none() && now - self.created_at >= sla
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// 🟢: approved at once.
    Auto,
    Pending,
    Approved,
    Rejected,
}

/// An action an agent wants to take, judged by the autonomy radius.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub id: u64,
    pub agent: String,
    pub action: String,
    pub summary: String,
    pub radius: Radius,
    pub state: ActionState,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub decided_by: Option<Actor>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
}

/// Parses `4h`, `30m`, `90s`, `1d` (the form of `M2O_ESCALATION_SLA`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "s" => Some(Duration::seconds(n)),
        "m" => Some(Duration::minutes(n)),
        "h" => Some(Duration::hours(n)),
        "d" => Some(Duration::days(n)),
        _ => None,
    }
}

/// The median of durations, for the week in review ("median time to decision").
pub fn median(mut values: Vec<Duration>) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("4h"), Some(Duration::hours(4)));
        assert_eq!(parse_duration("30m"), Some(Duration::minutes(30)));
        assert_eq!(parse_duration("1d"), Some(Duration::days(1)));
        assert_eq!(parse_duration("4"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("4w"), None);
    }

    #[test]
    fn overdue_after_the_sla_only_while_open() {
        let t0: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        let mut e = Escalation {
            id: 1,
            agent: "peter".into(),
            doing: "d".into(),
            tried: vec![],
            need: "n".into(),
            proposed_fix: None,
            urgent: false,
            created_at: t0,
            ruling: None,
        };
        assert!(!e.overdue(t0 + Duration::hours(3), Duration::hours(4)));
        assert!(e.overdue(t0 + Duration::hours(4), Duration::hours(4)));
        e.ruling = Some(Ruling { verdict: Verdict::Skip, note: None, by: Actor::Master(1), at: t0 });
        assert!(!e.overdue(t0 + Duration::hours(5), Duration::hours(4)));
    }

    #[test]
    fn median_of_odd_and_even() {
        let m = |v: &[i64]| median(v.iter().map(|n| Duration::minutes(*n)).collect());
        assert_eq!(m(&[]), None);
        assert_eq!(m(&[5, 1, 3]), Some(Duration::minutes(3)));
        assert_eq!(m(&[1, 2, 3, 10]), Some(Duration::seconds(150)));
    }
}
