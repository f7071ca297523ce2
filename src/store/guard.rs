//! [`Guard`]s: the conditions a [`super::Change`] is written under, checked inside its transaction,
//! so that of two steps racing for the same name, email, bot or decision exactly one wins and the
//! other writes nothing.

use super::tree::{Tree, Tx};
use super::{abort, agent_blocks, capacity_tx, decode_tx, state_key, u64_from, Claimant, StoreError, TxResult};
use crate::domain::agent::Agent;
use crate::domain::escalation::{ActionRequest, ActionState, Escalation};
use crate::domain::{Contact, ContactState};

/// A condition checked inside the transaction; if it fails nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The contact is still in this state (nobody moved it since it was read).
    ContactIn(u64, ContactState),
    /// No other contact holding a claim (an open request or an agent) has this email.
    EmailFree { email: String, for_contact: u64 },
    /// The agent name is neither claimed by another contact's request nor an agent's — other than
    /// `for_contact`'s own, and other than a destroyed one. `for_contact: None` (a master's spawn)
    /// has no claim of its own.
    NameFree { name: String, for_contact: Option<u64> },
    /// No decision was taken on this request yet.
    Undecided(u64),
    /// The escalation has no ruling yet.
    EscalationOpen(u64),
    /// The action request is still pending.
    ActionPending(u64),
    /// A scheduler marker is not set yet (a job runs once per slot).
    MarkerAbsent(String),
    /// The bot is not registered to anyone but `for_contact` (`None`: to anyone at all).
    BotFree { bot_id: i64, for_contact: Option<u64> },
    /// Fewer than this many contacts have an agent running or being built (`M2O_CAPACITY`).
    CapacityBelow(usize),
}

impl Guard {
    /// The trees [`check`] reads for it.
    pub(super) fn reads(&self) -> &'static [Tree] {
        match self {
            Guard::ContactIn(..) => &[Tree::ContactsByState],
            Guard::EmailFree { .. } => &[Tree::ContactsByEmail, Tree::Contacts],
            Guard::NameFree { .. } => &[Tree::Names, Tree::Agents],
            Guard::Undecided(_) => &[Tree::Decisions],
            Guard::EscalationOpen(_) => &[Tree::Escalations],
            Guard::ActionPending(_) => &[Tree::Actions],
            Guard::MarkerAbsent(_) => &[Tree::Sched],
            Guard::CapacityBelow(_) => &[Tree::Meta],
            Guard::BotFree { .. } => &[Tree::Bots],
        }
    }
}

pub(super) fn check(t: &Tx, guard: &Guard) -> TxResult<()> {
    let refused = || Err(abort(StoreError::Conflict(guard.clone())));
    let holds = |ok: bool| if ok { Ok(()) } else { refused() };
    match guard {
        // The state index is written with the contact: its key says, without decoding it.
        Guard::ContactIn(id, state) => holds(t[Tree::ContactsByState].get(state_key(*state, *id))?.is_some()),
        Guard::EmailFree { email, for_contact } => {
            let other =
                t[Tree::ContactsByEmail].get(email.as_bytes())?.map(|v| u64_from(&v)).filter(|id| id != for_contact);
            let Some(other) = other else { return Ok(()) };
            let holder: Option<Contact> = decode_tx(t, Tree::Contacts, &other.to_be_bytes())?;
            holds(!holder.is_some_and(|c| c.state.holds_claim()))
        }
        Guard::NameFree { name, for_contact } => {
            let claimed =
                t[Tree::Names].get(name.as_bytes())?.map(|v| u64_from(&v)).is_some_and(|id| Some(id) != *for_contact);
            let agent: Option<Agent> = decode_tx(t, Tree::Agents, name.as_bytes())?;
            holds(!claimed && !agent.is_some_and(|a| agent_blocks(&a, *for_contact)))
        }
        Guard::Undecided(id) => holds(t[Tree::Decisions].get(id.to_be_bytes())?.is_none()),
        Guard::EscalationOpen(id) => {
            let e: Option<Escalation> = decode_tx(t, Tree::Escalations, &id.to_be_bytes())?;
            holds(e.is_some_and(|e| e.ruling.is_none()))
        }
        Guard::ActionPending(id) => {
            let a: Option<ActionRequest> = decode_tx(t, Tree::Actions, &id.to_be_bytes())?;
            holds(a.is_some_and(|a| a.state == ActionState::Pending))
        }
        Guard::MarkerAbsent(key) => holds(t[Tree::Sched].get(key.as_bytes())?.is_none()),
        Guard::CapacityBelow(cap) => holds((capacity_tx(t)? as usize) < *cap),
        Guard::BotFree { bot_id, for_contact } => {
            let holder = t[Tree::Bots].get(bot_id.to_be_bytes())?.map(|v| Claimant::decode(&v));
            holds(holder.is_none_or(|h| for_contact.is_some_and(|me| h == Claimant::Contact(me))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::{AgentState, NewAgent};
    use crate::domain::escalation::{Radius, Ruling, Verdict};
    use crate::domain::{Actor, Decision};
    use crate::store::{Change, Store};
    use chrono::{DateTime, Utc};

    fn now() -> DateTime<Utc> {
        "2026-11-24T10:00:00Z".parse().expect("a time")
    }

    struct Fixture {
        store: Store,
        _dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().expect("a temp dir");
            Fixture { store: Store::open(dir.path()).expect("the store opens"), _dir: dir }
        }

        fn put(&self, change: Change) {
            self.store.commit(&change).expect("the fixture is written");
        }

        fn contact(&self, id: u64, email: &str, state: ContactState) -> Contact {
            let mut c = Contact::new(id, id as i64 * 10, id as i64 * 10, "en", email, now());
            c.state = state;
            self.put(Change { contact: Some(c.clone()), index_email: Some((email.into(), id)), ..Change::default() });
            c
        }

        fn agent(&self, name: &str, contact_id: Option<u64>, state: AgentState) {
            let new = NewAgent {
                name: name.into(),
                contact_id,
                owner_user_id: 1,
                owner_label: "owner".into(),
                bot_id: 77,
                bot_username: "b_bot".into(),
                token_sealed: "sealed".into(),
                timezone: "UTC".into(),
                provisioner: "dry-run".into(),
                job_id: 5,
                last_event: "made".into(),
            };
            let mut agent = Agent::provisioning(new, now());
            agent.state = state;
            self.put(Change { agent: Some(agent), ..Change::default() });
        }

        /// Whether a change guarded by `guard` alone goes through; a refused one must write nothing.
        fn passes(&self, guard: Guard) -> bool {
            let marker = format!("probe:{}", self.store.new_id().expect("an id"));
            let change = Change {
                guards: vec![guard.clone()],
                markers: vec![(marker.clone(), "x".into())],
                ..Change::default()
            };
            match self.store.commit(&change) {
                Ok(()) => {
                    assert!(self.store.marker(&marker).expect("readable").is_some());
                    true
                }
                Err(StoreError::Conflict(g)) => {
                    assert_eq!(g, guard, "the refusal names its guard");
                    assert_eq!(self.store.marker(&marker).expect("readable"), None, "a refused change wrote");
                    false
                }
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }

    #[test]
    fn contact_in() {
        let f = Fixture::new();
        f.contact(1, "a@acme.io", ContactState::Qualifying);
        assert!(f.passes(Guard::ContactIn(1, ContactState::Qualifying)));
        assert!(!f.passes(Guard::ContactIn(1, ContactState::Qualified)), "moved on since it was read");
        assert!(!f.passes(Guard::ContactIn(2, ContactState::Qualifying)), "no such contact");
    }

    #[test]
    fn email_free() {
        let f = Fixture::new();
        let free = |email: &str, me| Guard::EmailFree { email: email.into(), for_contact: me };
        assert!(f.passes(free("new@acme.io", 9)), "nobody has it");
        f.contact(1, "a@acme.io", ContactState::PendingReview);
        assert!(f.passes(free("a@acme.io", 1)), "it is my own");
        assert!(!f.passes(free("a@acme.io", 2)), "another contact's open request holds it");
        f.contact(3, "r@acme.io", ContactState::Rejected);
        assert!(f.passes(free("r@acme.io", 4)), "a rejected request holds no claim");
    }

    #[test]
    fn name_free() {
        let f = Fixture::new();
        let free = |name: &str, me| Guard::NameFree { name: name.into(), for_contact: me };
        assert!(f.passes(free("peter", Some(1))));
        assert!(f.passes(free("peter", None)));
        f.put(Change { claim_name: Some(("anna".into(), 1)), ..Change::default() });
        assert!(f.passes(free("anna", Some(1))), "my own request's claim");
        assert!(!f.passes(free("anna", Some(2))), "another request claims it");
        assert!(!f.passes(free("anna", None)), "a master's spawn cannot take a claimed name");
        f.agent("maya", Some(1), AgentState::Live);
        assert!(f.passes(free("maya", Some(1))), "my own agent (a redeploy)");
        assert!(!f.passes(free("maya", Some(2))), "another client's agent");
        assert!(!f.passes(free("maya", None)), "a live agent");
        f.agent("gone", Some(1), AgentState::Destroyed);
        assert!(f.passes(free("gone", Some(2))), "a destroyed agent's name is free again");
        assert!(f.passes(free("gone", None)));
    }

    #[test]
    fn undecided() {
        let f = Fixture::new();
        assert!(f.passes(Guard::Undecided(1)));
        let decision = Decision { approved: true, by: Actor::Master(1), at: now(), reason: None };
        f.put(Change { decision: Some((1, decision)), ..Change::default() });
        assert!(!f.passes(Guard::Undecided(1)));
        assert!(f.passes(Guard::Undecided(2)));
    }

    #[test]
    fn escalation_open() {
        let f = Fixture::new();
        let mut e = Escalation {
            id: 5,
            agent: "peter".into(),
            doing: "d".into(),
            tried: vec![],
            need: "n".into(),
            proposed_fix: None,
            urgent: false,
            created_at: now(),
            ruling: None,
        };
        assert!(!f.passes(Guard::EscalationOpen(5)), "no such escalation");
        f.put(Change { escalation: Some(e.clone()), ..Change::default() });
        assert!(f.passes(Guard::EscalationOpen(5)));
        e.ruling = Some(Ruling { verdict: Verdict::Skip, note: None, by: Actor::Master(1), at: now() });
        f.put(Change { escalation: Some(e), ..Change::default() });
        assert!(!f.passes(Guard::EscalationOpen(5)), "already ruled");
    }

    #[test]
    fn action_pending() {
        let f = Fixture::new();
        let mut a = ActionRequest {
            id: 6,
            agent: "peter".into(),
            action: "deploy_production".into(),
            summary: "s".into(),
            radius: Radius::Yellow,
            state: ActionState::Pending,
            created_at: now(),
            decided_by: None,
            decided_at: None,
        };
        assert!(!f.passes(Guard::ActionPending(6)), "no such request");
        f.put(Change { action: Some(a.clone()), ..Change::default() });
        assert!(f.passes(Guard::ActionPending(6)));
        a.state = ActionState::Approved;
        f.put(Change { action: Some(a), ..Change::default() });
        assert!(!f.passes(Guard::ActionPending(6)), "already decided");
    }

    #[test]
    fn marker_absent() {
        let f = Fixture::new();
        assert!(f.passes(Guard::MarkerAbsent("brief:2026-11-24".into())));
        f.put(Change { markers: vec![("brief:2026-11-24".into(), "sent".into())], ..Change::default() });
        assert!(!f.passes(Guard::MarkerAbsent("brief:2026-11-24".into())), "the slot already ran");
    }

    #[test]
    fn bot_free() {
        let f = Fixture::new();
        let free = |bot, me| Guard::BotFree { bot_id: bot, for_contact: me };
        assert!(f.passes(free(100, Some(1))));
        assert!(f.passes(free(100, None)));
        f.put(Change { claim_bot: Some((100, Claimant::Contact(1))), ..Change::default() });
        assert!(f.passes(free(100, Some(1))), "my own bot");
        assert!(!f.passes(free(100, Some(2))), "another client's bot");
        assert!(!f.passes(free(100, None)), "a master cannot spawn on a client's bot");
        f.put(Change { claim_bot: Some((200, Claimant::Fleet)), ..Change::default() });
        assert!(!f.passes(free(200, Some(1))), "a bot of the fleet's own agent");
        assert!(!f.passes(free(200, None)));
        f.put(Change { release_bot: Some(200), ..Change::default() });
        assert!(f.passes(free(200, None)), "released when its agent was destroyed");
    }

    #[test]
    fn capacity_below() {
        let f = Fixture::new();
        assert!(f.passes(Guard::CapacityBelow(1)), "nobody yet");
        let mut c = f.contact(1, "a@acme.io", ContactState::PendingReview);
        assert!(f.passes(Guard::CapacityBelow(1)), "a request waiting uses no place");
        c.state = ContactState::Provisioning;
        f.put(Change { contact: Some(c.clone()), ..Change::default() });
        assert_eq!(f.store.capacity_used().unwrap(), 1);
        assert!(!f.passes(Guard::CapacityBelow(1)), "the one place is taken");
        assert!(f.passes(Guard::CapacityBelow(2)));
        c.state = ContactState::Churned;
        f.put(Change { contact: Some(c), ..Change::default() });
        assert!(f.passes(Guard::CapacityBelow(1)), "a churned client's place is free again");
    }

    #[test]
    fn one_refused_guard_refuses_the_whole_change() {
        let f = Fixture::new();
        f.contact(1, "a@acme.io", ContactState::TokenValidated);
        let mut moved = f.store.contact(1).expect("readable").expect("there");
        moved.state = ContactState::NameChosen;
        let change = Change {
            guards: vec![
                Guard::ContactIn(1, ContactState::TokenValidated),
                Guard::MarkerAbsent("m".into()),
                Guard::Undecided(1),
            ],
            contact: Some(moved),
            claim_name: Some(("anna".into(), 1)),
            markers: vec![("m".into(), "x".into())],
            ..Change::default()
        };
        f.put(Change { markers: vec![("m".into(), "set".into())], ..Change::default() });
        assert!(matches!(f.store.commit(&change), Err(StoreError::Conflict(Guard::MarkerAbsent(_)))));
        assert_eq!(f.store.contact(1).expect("readable").map(|c| c.state), Some(ContactState::TokenValidated));
        assert_eq!(f.store.name_holder("anna").expect("readable"), None);
        assert_eq!(f.store.count_in(ContactState::NameChosen), 0, "the state index did not move either");
    }
}
