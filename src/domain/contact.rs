//! A contact is one person on their way to an agent: the client-onboarding state machine of the
//! seed (client self-onboarding, spec §4b; the qualify-first flow, §7.7; the approval ADR, §4c) and
//! the one pure function that says which moves are allowed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Every state a contact can be in. The names are the seed's CRM states: they are stored, exported
/// and mirrored to the CRM, so renaming one is a data migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    EmailPending,
    EmailVerified,
    Qualifying,
    Qualified,
    ContactTrack,
    TokenValidated,
    NameChosen,
    PendingReview,
    Waitlisted,
    Provisioning,
    Live,
    Active,
    Degraded,
    Churned,
    Rejected,
}

impl ContactState {
    pub const ALL: [ContactState; 15] = [
        Self::EmailPending,
        Self::EmailVerified,
        Self::Qualifying,
        Self::Qualified,
        Self::ContactTrack,
        Self::TokenValidated,
        Self::NameChosen,
        Self::PendingReview,
        Self::Waitlisted,
        Self::Provisioning,
        Self::Live,
        Self::Active,
        Self::Degraded,
        Self::Churned,
        Self::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailPending => "email_pending",
            Self::EmailVerified => "email_verified",
            Self::Qualifying => "qualifying",
            Self::Qualified => "qualified",
            Self::ContactTrack => "contact_track",
            Self::TokenValidated => "token_validated",
            Self::NameChosen => "name_chosen",
            Self::PendingReview => "pending_review",
            Self::Waitlisted => "waitlisted",
            Self::Provisioning => "provisioning",
            Self::Live => "live",
            Self::Active => "active",
            Self::Degraded => "degraded",
            Self::Churned => "churned",
            Self::Rejected => "rejected",
        }
    }

    /// A request is open, or an agent exists: the email and the agent name are taken.
    pub fn holds_claim(self) -> bool {
        matches!(
            self,
            Self::NameChosen
                | Self::PendingReview
                | Self::Waitlisted
                | Self::Provisioning
                | Self::Live
                | Self::Active
                | Self::Degraded
        )
    }

    /// States that count against `M2O_CAPACITY` (agents running or being built).
    pub fn uses_capacity(self) -> bool {
        matches!(self, Self::Provisioning | Self::Live | Self::Active | Self::Degraded)
    }
}

impl fmt::Display for ContactState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a contact cannot go from {from} to {to}")]
pub struct TransitionError {
    pub from: ContactState,
    pub to: ContactState,
}

/// The one place that says which moves exist. Anything not listed is refused.
pub fn check_transition(from: ContactState, to: ContactState) -> Result<(), TransitionError> {
    use ContactState::*;
    let allowed = match from {
        EmailPending => matches!(to, EmailVerified),
        EmailVerified => matches!(to, Qualifying),
        Qualifying => matches!(to, Qualified | ContactTrack),
        ContactTrack => matches!(to, Qualified),
        Qualified => matches!(to, TokenValidated),
        TokenValidated => matches!(to, NameChosen),
        NameChosen => matches!(to, PendingReview | Waitlisted | Provisioning),
        PendingReview => matches!(to, Provisioning | Rejected),
        Waitlisted => matches!(to, Provisioning | PendingReview | Rejected),
        Provisioning => matches!(to, Live | Churned),
        Live => matches!(to, Active | Degraded | Churned),
        Active => matches!(to, Degraded | Churned),
        Degraded => matches!(to, Active | Churned),
        Churned | Rejected => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

/// Who did something: stored in the audit log and with every decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A Telegram user acting on their own behalf (a client).
    User(i64),
    /// A master, by Telegram user id.
    Master(i64),
    /// A caller of the HTTP API with `M2O_API_TOKEN` (e.g. a CRM action).
    Api,
    /// The bot itself (a rule, a timer).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user {id}"),
            Actor::Master(id) => write!(f, "master {id}"),
            Actor::Api => f.write_str("the API"),
            Actor::System => f.write_str("auto-approval"),
        }
    }
}

/// A master's (or the rule's) decision on a request: the first one wins and is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub approved: bool,
    pub by: Actor,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The client's bot, as `getMe` described it. The token itself lives encrypted beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientBot {
    pub id: i64,
    pub username: String,
    /// ChaCha20-Poly1305 ciphertext of the token, hex; see `crypto::Secrets`.
    pub token_sealed: String,
}

/// The few fields of a contact the scheduler's passes filter on (is this lead stalled, due a
/// nurture message, nudged, stopped?), kept beside the state index so that a pass over 25,000
/// leads reads whole only the contacts it acts on (`store::glance`).
#[derive(Debug, Clone, PartialEq)]
pub struct Glance {
    pub id: u64,
    pub updated_at: DateTime<Utc>,
    pub contact_track_at: Option<DateTime<Utc>>,
    pub nurture_stopped: bool,
    pub nudged: bool,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: u64,
    pub user_id: i64,
    pub chat_id: i64,
    pub lang: String,
    pub email: String,
    pub state: ContactState,
    /// Qualification answers by question id (option id, or the referral code).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    #[serde(default)]
    pub score: Option<u32>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub bot: Option<ClientBot>,
    #[serde(default)]
    pub agent_name: Option<String>,
    /// When the score sent them to the contact track (nurture days count from here).
    #[serde(default)]
    pub contact_track_at: Option<DateTime<Utc>>,
    /// They sent /stop: no more nurture messages.
    #[serde(default)]
    pub nurture_stopped: bool,
    /// When they were nudged to finish their onboarding (once: by a master's [🔔 Nudge] or the
    /// scheduler).
    #[serde(default)]
    pub nudged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn new(id: u64, user_id: i64, chat_id: i64, lang: &str, email: &str, now: DateTime<Utc>) -> Self {
        Contact {
            id,
            user_id,
            chat_id,
            lang: lang.to_string(),
            email: email.to_string(),
            state: ContactState::EmailPending,
            answers: BTreeMap::new(),
            score: None,
            timezone: None,
            bot: None,
            agent_name: None,
            contact_track_at: None,
            nurture_stopped: false,
            nudged_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// What the scheduler's passes look at before reading the whole contact.
    pub fn glance(&self) -> Glance {
        Glance {
            id: self.id,
            updated_at: self.updated_at,
            contact_track_at: self.contact_track_at,
            nurture_stopped: self.nurture_stopped,
            nudged: self.nudged_at.is_some(),
            timezone: self.timezone.clone(),
        }
    }

    /// Moves the contact, or refuses with the typed error; the caller audits the move in the same
    /// write.
    pub fn move_to(&mut self, to: ContactState, now: DateTime<Utc>) -> Result<ContactState, TransitionError> {
        check_transition(self.state, to)?;
        let from = self.state;
        self.state = to;
        self.updated_at = now;
        Ok(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContactState::*;

    #[test]
    fn happy_path_is_allowed() {
        let path = [
            EmailPending,
            EmailVerified,
            Qualifying,
            Qualified,
            TokenValidated,
            NameChosen,
            PendingReview,
            Provisioning,
            Live,
            Active,
            Degraded,
            Churned,
        ];
        for pair in path.windows(2) {
            assert_eq!(check_transition(pair[0], pair[1]), Ok(()), "{} -> {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn contact_track_can_be_pushed_to_qualified_only() {
        assert!(check_transition(ContactTrack, Qualified).is_ok());
        for to in ContactState::ALL.into_iter().filter(|s| *s != Qualified) {
            assert!(check_transition(ContactTrack, to).is_err(), "contact_track -> {to}");
        }
    }

    #[test]
    fn terminal_states_go_nowhere_and_nothing_skips_verification() {
        for to in ContactState::ALL {
            assert!(check_transition(Rejected, to).is_err());
            assert!(check_transition(Churned, to).is_err());
            assert!(check_transition(to, to).is_err(), "self-move {to}");
        }
        assert!(check_transition(EmailPending, Qualified).is_err());
        assert!(check_transition(Qualified, NameChosen).is_err());
    }

    #[test]
    fn move_to_reports_the_origin_and_refuses_without_changing() {
        let now = Utc::now();
        let mut c = Contact::new(1, 7, 7, "en", "a@b.io", now);
        assert_eq!(c.move_to(EmailVerified, now), Ok(EmailPending));
        let err = c.move_to(Live, now).unwrap_err();
        assert_eq!(err, TransitionError { from: EmailVerified, to: Live });
        assert_eq!(c.state, EmailVerified);
    }

    #[test]
    fn names_round_trip_through_serde() {
        for s in ContactState::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
