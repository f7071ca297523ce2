//! Fuzzing every parser that reads outside input, with proptest: the seed corpus in
//! `tests/fuzz/corpus/` as it is, the same inputs mutated (bytes replaced, inserted, deleted), and
//! arbitrary input. Each parser must never panic, and what it accepts must be well formed. 256
//! cases a target in `cargo test`; `PROPTEST_CASES=20000 cargo test --test fuzz` for a campaign.

use m2o_bot::app::App;
use m2o_bot::bot::listener::{read_answer, Received};
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::crypto::token_hash;
use m2o_bot::domain::agent::{Agent, AgentState, NewAgent};
use m2o_bot::domain::callback::Callback;
use m2o_bot::domain::token::{find_bot_username, find_token, looks_like_token, BotToken};
use m2o_bot::domain::{email, name, timezone};
use m2o_bot::store::Change;
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The seed inputs of one corpus folder.
fn corpus(folder: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "no corpus in {}", dir.display());
    seeds
}

/// An edit to a seed: replace, insert or delete one byte.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ];
    prop::collection::vec(edit, 0..8)
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for e in edits {
        match *e {
            Edit::Replace(i, b) if !out.is_empty() => {
                let n = out.len();
                out[i % n] = b;
            }
            Edit::Insert(i, b) => out.insert(i % (out.len() + 1), b),
            Edit::Delete(i) if !out.is_empty() => {
                let n = out.len();
                out.remove(i % n);
            }
            _ => {}
        }
    }
    out
}

/// A seed of `folder`, mutated or not, or arbitrary bytes.
fn input(folder: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = corpus(folder);
    let n = seeds.len();
    prop_oneof![
        3 => (0..n, edits()).prop_map(move |(i, e)| mutate(&seeds[i], &e)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

proptest! {
    #[test]
    fn update_answers_are_read_update_by_update(bytes in input("updates")) {
        if let Ok(received) = read_answer(&bytes) {
            for r in received {
                if let Received::Update(u) = &r {
                    prop_assert_eq!(r.update_id(), Some(i64::from(u.id.0)));
                }
            }
        }
    }

    #[test]
    fn tokens_found_are_tokens_and_in_the_text(bytes in input("botfather")) {
        let t = text(&bytes);
        if let Some(token) = find_token(&t) {
            prop_assert!(t.contains(token.expose()));
            prop_assert!(looks_like_token(&t));
            prop_assert_eq!(BotToken::parse(token.expose()).map(|p| p.expose().to_string()), Some(token.expose().to_string()));
            let (id, secret) = token.expose().split_once(':').unwrap();
            prop_assert!(id.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(secret.len() == 35 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        }
        if let Some(username) = find_bot_username(&t) {
            prop_assert!(!username.is_empty());
        }
    }

    #[test]
    fn emails_normalize_once_and_for_all(bytes in input("emails")) {
        if let Some(address) = email::normalize(&text(&bytes)) {
            prop_assert_eq!(address.matches('@').count(), 1);
            prop_assert_eq!(address.trim(), address.as_str());
            prop_assert_eq!(email::normalize(&address), Some(address.clone()), "normalizing is idempotent");
        }
    }

    #[test]
    fn names_that_pass_are_slugs_and_suggestions_pass(bytes in input("names")) {
        let candidate = text(&bytes).trim().to_lowercase();
        let reserved = vec!["fleet-admin".to_string()];
        if name::check(&candidate, &reserved).is_ok() {
            prop_assert!((3..=20).contains(&candidate.len()));
            prop_assert!(candidate.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Some(s) = name::suggest(&candidate, &reserved, |c| c.ends_with('3')) {
            prop_assert!(name::check(&s, &reserved).is_ok(), "{}", s);
        }
    }

    #[test]
    fn timezones_that_parse_are_iana_names(bytes in input("timezones")) {
        if let Some(tz) = timezone::parse(&text(&bytes)) {
            prop_assert_eq!(tz.name().parse::<chrono_tz::Tz>().ok(), Some(tz));
        }
    }

    #[test]
    fn callback_data_reads_back_as_itself(bytes in input("callbacks")) {
        let data = text(&bytes);
        match Callback::parse(&data) {
            Some(Callback::Step(tap)) => prop_assert_eq!(Callback::parse(&tap.data()), Some(Callback::Step(tap))),
            Some(Callback::Fleet(tap)) => prop_assert_eq!(Callback::parse(&tap.data()), Some(Callback::Fleet(tap))),
            None => {}
        }
    }
}

/// The agents' API on the real router: an App on a temp store with one live agent and its token.
struct Api {
    app: Arc<App>,
    router: axum::Router,
    token: String,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let vars: HashMap<&str, String> = HashMap::from([
            ("TELOXIDE_TOKEN", "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx".to_string()),
            ("M2O_MASTER_IDS", "900001".to_string()),
            ("M2O_DATA_DIR", dir.path().display().to_string()),
            ("M2O_SECRET_KEY", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".to_string()),
            ("M2O_AGENT_RATE_PER_MIN", "1000000".to_string()),
            ("M2O_CALLBACK_HOSTS", "*.agents.internal".to_string()),
        ]);
        let config = Config::from_lookup(|n| vars.get(n).cloned()).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let app = runtime.block_on(async { App::build(config, Arc::new(SystemClock)).unwrap() });
        let new = NewAgent {
            name: "peter".into(),
            contact_id: None,
            owner_user_id: 900001,
            owner_label: "master 900001".into(),
            bot_id: 7,
            bot_username: "peter_bot".into(),
            token_sealed: app.secrets.seal("7:AAAA"),
            timezone: "UTC".into(),
            provisioner: "dry-run".into(),
            job_id: 1,
            last_event: "made".into(),
        };
        let mut agent = Agent::provisioning(new, chrono::Utc::now());
        agent.state = AgentState::Live;
        let token = app.secrets.agent_api_token("peter", agent.generation());
        agent.api_token_hash = Some(token_hash(&token));
        app.store.commit(&Change { agent: Some(agent), ..Change::default() }).unwrap();
        let router = m2o_bot::api::router(app.clone());
        Api { app, router, token, runtime, _dir: dir }
    })
}

const ENDPOINTS: [&str; 4] =
    ["/v1/escalations", "/v1/actions", "/v1/agents/peter/online", "/v1/agents/peter/heartbeat"];

proptest! {
    /// Whatever body an agent sends: an answer, never a 5xx, and a refused one stores nothing.
    #[test]
    fn api_bodies_get_an_answer_and_a_refusal_stores_nothing(bytes in input("api"), endpoint in 0..ENDPOINTS.len(), json_type in any::<bool>()) {
        use tower::ServiceExt;
        let api = api();
        let path = ENDPOINTS[endpoint];
        let before = (api.app.store.escalations().unwrap().len(), api.app.store.actions().unwrap().len());
        let mut request = axum::http::Request::post(path).header("authorization", format!("Bearer {}", api.token));
        if json_type {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(axum::body::Body::from(bytes)).unwrap();
        let status = api.runtime.block_on(api.router.clone().oneshot(request)).unwrap().status().as_u16();
        prop_assert!([200, 201, 400, 413, 415].contains(&status), "{} answered {}", path, status);
        if status >= 400 {
            let after = (api.app.store.escalations().unwrap().len(), api.app.store.actions().unwrap().len());
            prop_assert_eq!(before, after, "a refused request stored something");
        }
    }
}

#[test]
fn the_corpus_as_it_is_reads_as_expected() {
    // Every seed answer reads; the one with a lone surrogate skips that update and keeps the next.
    for seed in corpus("updates") {
        let _ = read_answer(&seed);
    }
    let surrogate =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/updates/lone-surrogate.json"))
            .unwrap();
    let received = read_answer(&surrogate).expect("the answer reads");
    assert!(matches!(received[0], Received::Skipped { update_id: Some(7), .. }), "{received:?}");
    assert!(matches!(received[1], Received::Update(_)), "{received:?}");
    let three =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/updates/three-updates.json"))
            .unwrap();
    assert!(read_answer(&three).unwrap().iter().all(|r| matches!(r, Received::Update(_))));
    let flood =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/updates/flood.json")).unwrap();
    assert_eq!(read_answer(&flood).unwrap_err().retry_after, Some(std::time::Duration::from_secs(3)));
}
