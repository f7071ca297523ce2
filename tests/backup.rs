//! Backups of a running bot (issue 12, item 3): snapshots taken over the HTTP API while clients
//! onboard and agents are provisioned are whole — every contact's state agrees with its audit
//! trail, every job has its agent — and restore into a new data dir, with the key they were made
//! with only; the last one, taken at rest, holds every contact, agent, job and audit entry.

mod common;

use common::*;
use m2o_bot::domain::agent::{Agent, Job};
use m2o_bot::domain::{Contact, ContactState};
use m2o_bot::registry::{restore, Key};
use m2o_bot::store::{AuditEntry, Store};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

const ADMIN: &str = "admin-secret-for-backups";
const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");

/// What a store holds, by kind, decoded.
#[derive(Debug, PartialEq)]
struct Held {
    contacts: BTreeMap<u64, Contact>,
    agents: BTreeMap<String, Agent>,
    jobs: BTreeMap<u64, Job>,
    audit: Vec<AuditEntry>,
}

fn held(store: &Store) -> Held {
    let mut h = Held { contacts: BTreeMap::new(), agents: BTreeMap::new(), jobs: BTreeMap::new(), audit: Vec::new() };
    for entry in store.dump() {
        let (tree, _, value) = entry.unwrap();
        match tree {
            "contacts" => {
                let c: Contact = serde_json::from_slice(&value).unwrap();
                h.contacts.insert(c.id, c);
            }
            "agents" => {
                let a: Agent = serde_json::from_slice(&value).unwrap();
                h.agents.insert(a.name.clone(), a);
            }
            "jobs" => {
                let j: Job = serde_json::from_slice(&value).unwrap();
                h.jobs.insert(j.id, j);
            }
            "audit" => h.audit.push(serde_json::from_slice(&value).unwrap()),
            _ => {}
        }
    }
    h
}

/// A snapshot is whole: each contact is where its last recorded transition took it (they are
/// written in one commit; a new contact starts at the email step), and each provisioning job's
/// agent is there.
fn assert_whole(h: &Held, which: usize) {
    for c in h.contacts.values() {
        let last = h.audit.iter().rfind(|e| e.contact_id == Some(c.id) && e.event == "transition");
        let expected = last.and_then(|e| e.to).unwrap_or(ContactState::EmailPending);
        assert_eq!(expected, c.state, "backup {which}: contact #{} and its audit trail", c.id);
    }
    for j in h.jobs.values() {
        assert!(h.agents.contains_key(&j.agent), "backup {which}: job #{} without its agent {}", j.id, j.agent);
    }
}

async fn take_backup(bench: &Bench, http: &reqwest::Client) -> Vec<u8> {
    let url = format!("http://{}/v1/admin/backup", bench.http_addr.unwrap());
    let response = http.get(url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backups_taken_under_load_are_whole_and_restore_only_with_their_key() {
    let bench = Bench::with(&[("M2O_API_TOKEN", ADMIN), ("M2O_REVIEW_ALL", "false")]).await;
    let http = reqwest::Client::new();
    let unauthorised = http.get(format!("http://{}/v1/admin/backup", bench.http_addr.unwrap())).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401);

    // Twelve clients onboard at once (each approved automatically, so agents and jobs appear)
    // while backups are taken one after another.
    let done = AtomicBool::new(false);
    let clients = (0..12).map(|i| {
        let bench = &bench;
        async move {
            let user = bench.user(530_000_000 + i, "en");
            let summary = bench
                .at_confirm(&user, &format!("c{i}@acme.io"), &format!("c{i}_helper_bot"), &format!("agent-{i}"))
                .await;
            bench.tap(&user, &summary, "Confirm").await;
        }
    });
    let load = async {
        futures::future::join_all(clients).await;
        done.store(true, Ordering::SeqCst);
    };
    let snapshots = async {
        let mut taken = Vec::new();
        while !done.load(Ordering::SeqCst) {
            taken.push(take_backup(&bench, &http).await);
        }
        taken
    };
    let ((), mut taken) = tokio::join!(load, snapshots);
    assert!(taken.len() >= 2, "backups were taken during the load: {}", taken.len());
    // At rest: provisioning finished and nothing changed for half a second.
    let mut last = held(&bench.app().store);
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = held(&bench.app().store);
        if now == last && now.agents.len() == 12 {
            break;
        }
        last = now;
    }
    taken.push(take_backup(&bench, &http).await);

    for (i, body) in taken.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = restore(dir.path(), body.as_slice(), Key::Hex(SECRET_KEY.into())).unwrap();
        assert_whole(&held(&store), i);
    }
    // The last, at rest: everything the running bot holds.
    let live = held(&bench.app().store);
    assert_eq!(live.contacts.len(), 12);
    let dir = tempfile::tempdir().unwrap();
    let (store, counts) = restore(dir.path(), taken.last().unwrap().as_slice(), Key::Hex(SECRET_KEY.into())).unwrap();
    assert_eq!(
        (counts.contacts, counts.agents, counts.jobs, counts.audit),
        (12, 12, live.jobs.len(), live.audit.len())
    );
    assert_eq!(held(&store), live);

    // Through the binary, as an operator restores: the wrong key refuses and writes nothing;
    // a file cut short is refused; the right key file restores and travels into the data dir.
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("m2o-backup.jsonl");
    std::fs::write(&file, taken.last().unwrap()).unwrap();
    let wrong_key = work.path().join("wrong.key");
    std::fs::write(&wrong_key, "ab".repeat(32)).unwrap();
    let right_key = work.path().join("secret.key");
    std::fs::write(&right_key, SECRET_KEY).unwrap();
    let restore_cmd = |backup: &std::path::Path, key: &std::path::Path, into: &std::path::Path| {
        Command::new(BIN)
            .env_clear()
            .args(["restore", &backup.display().to_string(), "--key-file", &key.display().to_string()])
            .args(["--data-dir", &into.display().to_string()])
            .output()
            .unwrap()
    };
    let target = work.path().join("data");
    let out = restore_cmd(&file, &wrong_key, &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("the key does not match this backup"), "{err}");
    assert!(!target.exists(), "nothing was written");

    let cut = work.path().join("cut.jsonl");
    let text = String::from_utf8(taken.last().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&cut, lines[..lines.len() - 5].join("\n")).unwrap();
    let out = restore_cmd(&cut, &right_key, &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cut short"), "{err}");
    assert!(!target.exists(), "nothing was written");

    let out = restore_cmd(&file, &right_key, &target);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("12 contacts, 12 agents"), "{said}");
    assert_eq!(std::fs::read_to_string(target.join("secret.key")).unwrap(), SECRET_KEY);
    let again = restore_cmd(&file, &right_key, &target);
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"), "a second restore over it is refused");
    let registry =
        Command::new(BIN).env_clear().args(["registry", "--data-dir", &target.display().to_string()]).output().unwrap();
    assert!(String::from_utf8_lossy(&registry.stdout).contains("agent-11"));
    bench.stop().await;
}
