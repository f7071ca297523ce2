//! The fleet's roll call: beside each agent's registry entry, the little `/fleet`, the brief and
//! the weekly check read of it — its state, when it last spoke, what it is doing — written in the
//! same transaction as the entry. Reading 10,000 of these costs a fraction of decoding 10,000
//! whole entries (BENCHMARKS.md §4). It is an index: [`Store::open`] rebuilds it from the
//! registry when it is missing (a store or a backup from before it).
//!
//! An entry: `[version 1][state][flags][heartbeat µs, i64 BE][live since µs, i64 BE][doing, UTF-8]`,
//! where flags bit 0 says `doing` is there, and a time that is not there is `i64::MIN`.

use super::{micros, time, Result, Store, StoreError, Tree};
use crate::domain::agent::{Agent, AgentState, RollCall};

const VERSION: u8 = 1;
const HEAD: usize = 3 + 8 + 8;

fn state_byte(state: AgentState) -> u8 {
    match state {
        AgentState::Provisioning => 0,
        AgentState::Failed => 1,
        AgentState::Live => 2,
        AgentState::Degraded => 3,
        AgentState::Destroyed => 4,
    }
}

fn state_of(byte: u8) -> Option<AgentState> {
    Some(match byte {
        0 => AgentState::Provisioning,
        1 => AgentState::Failed,
        2 => AgentState::Live,
        3 => AgentState::Degraded,
        4 => AgentState::Destroyed,
        _ => return None,
    })
}

pub(super) fn encode(agent: &Agent) -> Vec<u8> {
    let doing = agent.doing.as_deref();
    let mut out = Vec::with_capacity(HEAD + doing.map_or(0, str::len));
    out.extend([VERSION, state_byte(agent.state), u8::from(doing.is_some())]);
    out.extend(micros(agent.heartbeat_at));
    out.extend(micros(agent.live_at));
    out.extend(doing.unwrap_or_default().as_bytes());
    out
}

fn decode(name: &[u8], bytes: &[u8]) -> Option<RollCall> {
    if bytes.len() < HEAD || bytes[0] != VERSION {
        return None;
    }
    let doing = (bytes[2] & 1 == 1).then(|| std::str::from_utf8(&bytes[HEAD..]).ok().map(str::to_owned));
    Some(RollCall {
        name: std::str::from_utf8(name).ok()?.to_owned(),
        state: state_of(bytes[1])?,
        heartbeat_at: time(&bytes[3..11]),
        live_at: time(&bytes[11..19]),
        doing: doing.flatten(),
    })
}

impl Store {
    /// The fleet's roll call, by name: every agent but the destroyed ones (every view that reads it
    /// counts the fleet as it is).
    pub fn roll_call(&self) -> Result<Vec<RollCall>> {
        let mut fleet = Vec::new();
        for item in self.tree(Tree::Roll).iter() {
            let (k, v) = item?;
            let entry = decode(&k, &v).ok_or_else(|| {
                StoreError::Open(format!("a roll-call entry of {:?} does not read", String::from_utf8_lossy(&k)))
            })?;
            if entry.state != AgentState::Destroyed {
                fleet.push(entry);
            }
        }
        Ok(fleet)
    }

    /// Builds the roll call from the registry when it is missing (see the module's docs).
    pub(super) fn index_roll(&self) -> Result<()> {
        let roll = self.tree(Tree::Roll);
        if !roll.is_empty() || self.tree(Tree::Agents).is_empty() {
            return Ok(());
        }
        for agent in self.agents()? {
            roll.insert(agent.name.as_bytes(), encode(&agent))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::NewAgent;
    use chrono::{DateTime, Utc};

    fn peter(now: DateTime<Utc>) -> Agent {
        let new = NewAgent {
            name: "peter".into(),
            contact_id: Some(1),
            owner_user_id: 7,
            owner_label: "anna@acme.io".into(),
            bot_id: 9,
            bot_username: "peter_bot".into(),
            token_sealed: "00".into(),
            timezone: "UTC".into(),
            provisioner: "dry-run".into(),
            job_id: 3,
            last_event: "new".into(),
        };
        Agent::provisioning(new, now)
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let now: DateTime<Utc> = "2026-11-30T05:00:00.123456Z".parse().unwrap();
        let mut a = peter(now);
        let read = |a: &Agent| decode(a.name.as_bytes(), &encode(a)).unwrap();
        assert_eq!(read(&a), RollCall::of(&a));
        assert_eq!(read(&a).doing, None);
        a.state = AgentState::Live;
        a.heartbeat_at = Some(now);
        a.live_at = Some(now);
        a.doing = Some("card 12 — «ü»".into());
        assert_eq!(read(&a), RollCall::of(&a));
        a.doing = Some(String::new());
        assert_eq!(read(&a).doing.as_deref(), Some(""));
        assert!(decode(b"x", &[9, 0, 0]).is_none(), "another version or a short entry does not read");
    }

    #[test]
    fn a_store_without_its_roll_call_gets_one_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let mut a = peter(now);
        a.state = AgentState::Live;
        store.commit(&crate::store::Change { agent: Some(a.clone()), ..Default::default() }).unwrap();
        assert_eq!(store.roll_call().unwrap(), vec![RollCall::of(&a)], "written with the entry");
        // As a store from before the roll call.
        store.tree(Tree::Roll).clear().unwrap();
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.roll_call().unwrap(), vec![RollCall::of(&a)]);
    }

    #[test]
    fn the_roll_call_leaves_the_destroyed_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut a = peter(Utc::now());
        a.state = AgentState::Destroyed;
        store.commit(&crate::store::Change { agent: Some(a), ..Default::default() }).unwrap();
        assert_eq!(store.tree(Tree::Roll).len(), 1, "its entry is kept");
        assert_eq!(store.roll_call().unwrap(), vec![]);
    }
}
