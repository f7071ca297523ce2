//! The state index's values: beside each `<state>\0<contact id>` key, a [`Glance`] at the contact —
//! when it last moved, when it joined the contact track, whether it was nudged or sent /stop, its
//! timezone — written in the same transaction as the contact. The scheduler's passes run every
//! 30 s over every lead mid-onboarding and on the contact track; with the glance they read whole
//! only the few contacts they act on (at 100,000 contacts: BENCHMARKS.md §4).
//!
//! An entry: `[version 1][flags][updated_at µs, i64 BE][contact_track_at µs, i64 BE][timezone,
//! UTF-8]`, flags bit 0 = /stop, bit 1 = nudged; a time that is not there is `i64::MIN`. An empty
//! value (a store from before glances, until [`Store::open`] rewrites it) reads the contact
//! instead.

use super::{micros, state_key, state_prefix, time, u64_from, Result, Store, Tree};
use crate::domain::contact::Glance;
use crate::domain::{Contact, ContactState};

const VERSION: u8 = 1;
const HEAD: usize = 2 + 8 + 8;
const STOPPED: u8 = 1;
const NUDGED: u8 = 2;
/// The `meta` marker: every index value is a glance.
pub(super) const GLANCES_KEPT: &str = "state_glances";

pub(super) fn encode(c: &Contact) -> Vec<u8> {
    let tz = c.timezone.as_deref().unwrap_or_default();
    let mut out = Vec::with_capacity(HEAD + tz.len());
    let flags = if c.nurture_stopped { STOPPED } else { 0 } | if c.nudged_at.is_some() { NUDGED } else { 0 };
    out.extend([VERSION, flags]);
    out.extend(micros(Some(c.updated_at)));
    out.extend(micros(c.contact_track_at));
    out.extend(tz.as_bytes());
    out
}

fn decode(id: u64, bytes: &[u8]) -> Option<Glance> {
    if bytes.len() < HEAD || bytes[0] != VERSION {
        return None;
    }
    let tz = std::str::from_utf8(&bytes[HEAD..]).ok()?;
    Some(Glance {
        id,
        updated_at: time(&bytes[2..10])?,
        contact_track_at: time(&bytes[10..18]),
        nurture_stopped: bytes[1] & STOPPED != 0,
        nudged: bytes[1] & NUDGED != 0,
        timezone: (!tz.is_empty()).then(|| tz.to_owned()),
    })
}

impl Store {
    /// A glance at each contact in one state, oldest first, without decoding the contacts.
    pub fn glances_in(&self, state: ContactState) -> impl Iterator<Item = Result<Glance>> + '_ {
        self.tree(Tree::ContactsByState).scan_prefix(state_prefix(state)).filter_map(move |item| {
            let (k, v) = match item {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e.into())),
            };
            let id = u64_from(&k[k.len() - 8..]);
            match decode(id, &v) {
                Some(g) => Some(Ok(g)),
                // Not rewritten yet: the contact itself says.
                None => self.contact(id).map(|c| c.map(|c| c.glance())).transpose(),
            }
        })
    }

    /// Builds the state index for a store written before it existed, and writes glances into an
    /// index from before them; once (a marker in `meta`). A new store stays empty (a restore asks
    /// for one).
    pub(super) fn index_states(&self) -> Result<()> {
        let meta = self.tree(Tree::Meta);
        if meta.get(GLANCES_KEPT)?.is_some() || self.tree(Tree::Contacts).is_empty() {
            return Ok(());
        }
        let index = self.tree(Tree::ContactsByState);
        for item in self.tree(Tree::Contacts).iter() {
            let (_, v) = item?;
            let c: Contact = super::decode(Tree::Contacts, &v)?;
            index.insert(state_key(c.state, c.id), encode(&c))?;
        }
        meta.insert(GLANCES_KEPT, b"1")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Change;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_glance_reads_back_what_the_contact_says() {
        let mut c = Contact::new(7, 70, 70, "pl", "ola@example.com", at("2026-11-01T08:00:00Z"));
        assert_eq!(decode(7, &encode(&c)), Some(c.glance()));
        c.timezone = Some("Europe/Warsaw".into());
        c.contact_track_at = Some(at("2026-11-02T09:30:00.123456Z"));
        c.nurture_stopped = true;
        c.nudged_at = Some(at("2026-11-03T10:00:00Z"));
        let g = decode(7, &encode(&c)).unwrap();
        assert_eq!(g, c.glance());
        assert!(g.nurture_stopped && g.nudged);
        assert_eq!(g.timezone.as_deref(), Some("Europe/Warsaw"));
        assert_eq!(decode(7, &[]), None, "an empty value is not a glance");
        assert_eq!(decode(7, &[9; HEAD]), None, "nor another version's");
    }

    #[test]
    fn glances_follow_each_write_and_an_older_index_is_rewritten_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let now = at("2026-11-01T08:00:00Z");
        {
            let store = Store::open(dir.path()).unwrap();
            let mut c = Contact::new(1, 10, 10, "en", "a@example.com", now);
            store.commit(&Change { contact: Some(c.clone()), ..Change::default() }).unwrap();
            c.timezone = Some("Asia/Tokyo".into());
            c.nudged_at = Some(now);
            store.commit(&Change { contact: Some(c.clone()), ..Change::default() }).unwrap();
            let glances: Vec<_> = store.glances_in(ContactState::EmailPending).collect::<Result<_>>().unwrap();
            assert_eq!(glances, vec![c.glance()]);
            // As a store from before glances: empty values, no marker.
            store.tree(Tree::ContactsByState).insert(state_key(c.state, c.id), &[]).unwrap();
            store.tree(Tree::Meta).remove(GLANCES_KEPT).unwrap();
            let glances: Vec<_> = store.glances_in(ContactState::EmailPending).collect::<Result<_>>().unwrap();
            assert_eq!(glances, vec![c.glance()], "read from the contact meanwhile");
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let (_, v) = store.tree(Tree::ContactsByState).iter().next().unwrap().unwrap();
        assert_eq!(decode(1, &v).unwrap().timezone.as_deref(), Some("Asia/Tokyo"), "rewritten on open");
    }

    #[test]
    fn a_new_store_is_marked_with_its_first_contact_so_no_open_rewrites_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.tree(Tree::Meta).get(GLANCES_KEPT).unwrap().is_none(), "an empty store stays empty");
        let c = Contact::new(1, 10, 10, "en", "a@example.com", at("2026-11-01T08:00:00Z"));
        store.commit(&Change { contact: Some(c), ..Change::default() }).unwrap();
        assert!(store.tree(Tree::Meta).get(GLANCES_KEPT).unwrap().is_some());
        assert!(store.tree(Tree::Meta).get(super::super::COUNTS_KEPT).unwrap().is_some());
    }
}
