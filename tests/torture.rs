//! Crash torture: the real binary is SIGKILLed ten times at random moments while twenty clients
//! onboard through the emulator, with Coolify and Brevo played by doubles in this process (they
//! outlive every kill). While the bot is down, the store is opened and checked:
//!
//! - every Confirm a client saw acknowledged has exactly one agent, and it is that client's;
//! - no agent name, email or bot is held by two contacts or agents;
//! - Coolify got at most one app per agent name and at most one deploy per app;
//! - counters never go backwards (daily limits, wrong code tries, the audit log).
//!
//! Bounded: about half a minute on two cores. The seed is printed, so a failure can be replayed
//! with `M2O_TORTURE_SEED`.

use axum::extract::{Path, Query, State};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use m2o_bot::domain::ContactState;
use m2o_bot::store::Store;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tg_emulator::{botfather_newbot_text, botfather_user, Emulator, SentMessage, TestUser};
use tokio::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");
const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const CLIENTS: usize = 20;
const KILLS: usize = 10;

/// Coolify as far as the provisioner uses it, counting what matters.
#[derive(Default)]
struct Coolify {
    /// (uuid, name) of every app created.
    apps: Vec<(String, String)>,
    /// app uuid → its deployment uuids.
    deployments: HashMap<String, Vec<String>>,
}

type Shared = Arc<Mutex<Coolify>>;

async fn coolify_double() -> (String, Shared) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/api/v1/applications",
            get(|State(s): State<Shared>| async move {
                let apps =
                    s.lock().unwrap().apps.iter().map(|(u, n)| json!({"uuid": u, "name": n})).collect::<Vec<_>>();
                Json(json!(apps))
            }),
        )
        .route(
            "/api/v1/applications/dockerimage",
            post(|State(s): State<Shared>, Json(body): Json<Value>| async move {
                let mut s = s.lock().unwrap();
                let uuid = format!("app{:021}", s.apps.len());
                s.apps.push((uuid.clone(), body["name"].as_str().unwrap_or_default().to_string()));
                (axum::http::StatusCode::CREATED, Json(json!({"uuid": uuid})))
            }),
        )
        .route(
            "/api/v1/applications/{uuid}/envs/bulk",
            patch(|| async { (axum::http::StatusCode::CREATED, Json(json!([]))) }),
        )
        .route(
            "/api/v1/deploy",
            post(|State(s): State<Shared>, Query(q): Query<HashMap<String, String>>| async move {
                let app = q.get("uuid").cloned().unwrap_or_default();
                let mut s = s.lock().unwrap();
                let list = s.deployments.entry(app.clone()).or_default();
                let id = format!("dep{:03}x{}", list.len(), &app[3..]);
                list.push(id.clone());
                Json(json!({"deployments": [{"message": "queued", "resource_uuid": app, "deployment_uuid": id}]}))
            }),
        )
        .route(
            "/api/v1/deployments/applications/{uuid}",
            get(|State(s): State<Shared>, Path(uuid): Path<String>| async move {
                let list = s.lock().unwrap().deployments.get(&uuid).cloned().unwrap_or_default();
                Json(json!(list
                    .iter()
                    .map(|d| json!({"deployment_uuid": d, "status": "finished"}))
                    .collect::<Vec<_>>()))
            }),
        )
        .route("/api/v1/deployments/{uuid}", get(|| async { Json(json!({"status": "finished"})) }))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

/// Brevo, keeping the last code mailed to each address.
async fn brevo_double() -> (String, Arc<Mutex<HashMap<String, String>>>) {
    let codes: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let app = Router::new()
        .route(
            "/v3/smtp/email",
            post(|State(c): State<Arc<Mutex<HashMap<String, String>>>>, Json(body): Json<Value>| async move {
                let to = body["to"][0]["email"].as_str().unwrap_or_default().to_string();
                let text = body["textContent"].as_str().unwrap_or_default();
                if let Some(code) = text.split(|ch: char| !ch.is_ascii_digit()).find(|w| w.len() == 6) {
                    c.lock().unwrap().insert(to, code.to_string());
                }
                (axum::http::StatusCode::CREATED, Json(json!({"messageId": "<x@smtp-relay.mailin.fr>"})))
            }),
        )
        .with_state(codes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, codes)
}

struct Bot {
    child: Option<Child>,
    env: Vec<(String, String)>,
    health: String,
}

impl Bot {
    async fn start(&mut self) {
        let mut cmd = Command::new(BIN);
        cmd.arg("run").env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.envs(self.env.iter().cloned()).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        self.child = Some(cmd.spawn().expect("the binary starts"));
        let http = reqwest::Client::new();
        for _ in 0..250 {
            if http.get(&self.health).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the bot did not come up");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
    }
}

/// One client's walk, driven by what the bot last said; a silence (the bot was killed) is met
/// with `/start`, which picks up wherever the client is. Returns when the Confirm is acknowledged.
/// Each step comes after a think time, so that the walks overlap the kills.
async fn client(
    emu: Emulator,
    token: String,
    user: TestUser,
    n: usize,
    codes: Arc<Mutex<HashMap<String, String>>>,
    deadline: Instant,
    seed: u64,
) -> bool {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let email = format!("client{n}@acme{n}.io");
    let bot = emu.create_bot(&format!("client{n}_helper_bot"), "Client");
    tokio::time::sleep(Duration::from_millis(rng.gen_range(0..4_000))).await;
    emu.send_text(&token, &user, "/start");
    while Instant::now() < deadline {
        let Some(m) = emu.next_message(&token, user.id, Duration::from_secs(2)).await else {
            emu.send_text(&token, &user, "/start");
            continue;
        };
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
        let tap = |m: &SentMessage, label: &str| m.button_data(label).map(|d| emu.tap(&token, &user, m.message_id, &d));
        let t = m.text.as_str();
        // The acknowledgement, or — when a kill took it — what /start says of a request that exists.
        let acknowledged =
            ["Approved!", "Request sent", "on the waitlist", "is being set up", "is live", "waiting for review"];
        if acknowledged.iter().any(|a| t.contains(a)) {
            return true;
        } else if t.contains("email address") || t.contains("Welcome to") {
            emu.send_text(&token, &user, &email);
        } else if t.contains("6-digit code") {
            let code = codes.lock().unwrap().get(&email).cloned();
            if let Some(code) = code {
                emu.send_text(&token, &user, &code);
            }
        } else if t.contains("mostly do") {
            tap(&m, "🔎");
        } else if t.contains("Who will work") {
            tap(&m, "small team");
        } else if t.contains("referral") {
            tap(&m, "Skip");
        } else if t.contains("timezone") {
            tap(&m, "Europe/Warsaw");
        } else if t.contains("@BotFather") {
            emu.forward_text(&token, &user, &botfather_user(), &botfather_newbot_text(&bot.username, &bot.token));
        } else if t.contains("should your agent be called") {
            emu.send_text(&token, &user, &format!("agent-{n}"));
        } else if t.contains("check your agent request") {
            tap(&m, "Confirm");
        }
    }
    false
}

/// What must hold whenever the bot is down. `before` carries the counters seen last time.
fn check(dir: &std::path::Path, acked: &HashSet<i64>, coolify: &Coolify, before: &mut BTreeMap<String, u64>) {
    let store = (0..250)
        .find_map(|_| {
            Store::open(dir).ok().or_else(|| {
                std::thread::sleep(Duration::from_millis(20));
                None
            })
        })
        .expect("the store opens after a kill");
    let agents = store.agents().unwrap();
    // Each acknowledged Confirm: exactly one agent, the client's.
    for user in acked {
        let contact = store.contact_by_user(*user).unwrap().expect("an acknowledged client exists");
        assert!(
            matches!(
                contact.state,
                ContactState::Provisioning
                    | ContactState::Live
                    | ContactState::Waitlisted
                    | ContactState::PendingReview
            ),
            "acknowledged but {:?}",
            contact.state
        );
        let theirs = agents.iter().filter(|a| a.contact_id == Some(contact.id)).count();
        assert_eq!(theirs, 1, "client {user}: {theirs} agents");
    }
    // Nothing held twice.
    let mut names = HashSet::new();
    let mut bots = HashSet::new();
    for a in &agents {
        assert!(names.insert(a.name.clone()), "two agents named {}", a.name);
        assert!(bots.insert(a.bot_id), "two agents on bot {}", a.bot_id);
    }
    let mut emails = HashSet::new();
    for state in ContactState::ALL.iter().filter(|s| s.holds_claim()) {
        for c in store.contacts_in(*state).unwrap() {
            assert!(emails.insert(c.email.clone()), "two open requests for {}", c.email);
        }
    }
    // One app per name, one deploy per app.
    let mut per_name: HashMap<&str, usize> = HashMap::new();
    for (_, name) in &coolify.apps {
        *per_name.entry(name.as_str()).or_default() += 1;
    }
    assert!(per_name.values().all(|n| *n == 1), "apps made twice: {per_name:?}");
    assert!(coolify.deployments.values().all(|d| d.len() == 1), "deployed twice: {:?}", coolify.deployments);
    // Counters never go back.
    let mut now: BTreeMap<String, u64> = BTreeMap::new();
    now.insert("audit entries".into(), store.audit_log().unwrap().len() as u64);
    for (tree, key, value) in store.dump().map(Result::unwrap) {
        if tree == "limits" {
            now.insert(
                format!("limit {}", String::from_utf8_lossy(&key)),
                u64::from_be_bytes(value.as_slice().try_into().unwrap()),
            );
        }
        if tree == "otps" {
            let record: Value = serde_json::from_slice(&value).unwrap();
            now.insert(format!("otp {}", hex_of(&key)), record["wrong_tries"].as_u64().unwrap_or(0));
        }
    }
    for (key, value) in before.iter() {
        if key.starts_with("otp ") && !now.contains_key(key) {
            continue; // a code record ends when the code is right
        }
        let current = now.get(key).copied().unwrap_or(0);
        assert!(current >= *value, "{key} went back from {value} to {current}");
    }
    *before = now;
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_nine_ten_times_and_every_promise_holds() {
    let seed: u64 = std::env::var("M2O_TORTURE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("M2O_TORTURE_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_torture_bot", "M2O");
    let (coolify_url, coolify) = coolify_double().await;
    let (brevo_url, codes) = brevo_double().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env: Vec<(String, String)> = [
        ("TELOXIDE_TOKEN", control.token.as_str()),
        ("TELOXIDE_API_URL", emu.api_url().as_str()),
        ("M2O_MASTER_IDS", "900001"),
        ("M2O_DATA_DIR", &dir.path().display().to_string()),
        ("M2O_SECRET_KEY", SECRET_KEY),
        ("M2O_HTTP_ADDR", &format!("127.0.0.1:{port}")),
        ("M2O_MAILER", "brevo"),
        ("M2O_BREVO_API_KEY", "xkeysib-torture"),
        ("M2O_BREVO_API_URL", &brevo_url),
        ("M2O_MAIL_FROM", "M2O <m2o@example.org>"),
        ("M2O_PROVISIONER", "coolify"),
        ("M2O_COOLIFY_API_URL", &coolify_url),
        ("M2O_COOLIFY_TOKEN", "torture"),
        ("M2O_COOLIFY_PROJECT_UUID", "pj0k4wgwc8o0wk8sgoso4k0g"),
        ("M2O_COOLIFY_SERVER_UUID", "sv0c0o8s4g8kskw0ss4cw8c0"),
        ("M2O_RETRY_BASE_MS", "50"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut bot = Bot { child: None, env, health: format!("http://127.0.0.1:{port}/healthz") };
    bot.start().await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let acked: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let user = emu.add_user(470_000_000 + n as i64, "Client", None, Some("en"));
        let (emu, token, codes, acked) = (emu.clone(), control.token.clone(), codes.clone(), acked.clone());
        let client_seed = seed.wrapping_add(n as u64);
        clients.push(tokio::spawn(async move {
            if client(emu, token, user.clone(), n, codes, deadline, client_seed).await {
                acked.lock().unwrap().insert(user.id);
            }
        }));
    }

    let mut counters = BTreeMap::new();
    for kill in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1_200))).await;
        bot.kill();
        let seen = acked.lock().unwrap().clone();
        check(dir.path(), &seen, &coolify.lock().unwrap(), &mut counters);
        println!("kill {kill}: {} of {CLIENTS} confirmed so far; every promise holds", seen.len());
        bot.start().await;
    }
    for c in clients {
        c.await.unwrap();
    }
    bot.kill();
    let seen = acked.lock().unwrap().clone();
    check(dir.path(), &seen, &coolify.lock().unwrap(), &mut counters);
    assert_eq!(seen.len(), CLIENTS, "every client got through ({} did)", seen.len());
    let coolify = coolify.lock().unwrap();
    assert!(coolify.apps.len() >= CLIENTS / 2 && !coolify.deployments.is_empty(), "provisioning ran under the kills");
}

/// A wrong code try must not be forgotten by a crash right after the bot said so: SIGKILLed a
/// moment after each "That code isn't right", the bot still counts every try ("4 tries left",
/// then 3, then 2 — not "4" each time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_try_survives_a_kill_right_after_the_reply() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_torture_bot", "M2O");
    let (brevo_url, _codes) = brevo_double().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env: Vec<(String, String)> = [
        ("TELOXIDE_TOKEN", control.token.as_str()),
        ("TELOXIDE_API_URL", emu.api_url().as_str()),
        ("M2O_MASTER_IDS", "900001"),
        ("M2O_DATA_DIR", &dir.path().display().to_string()),
        ("M2O_SECRET_KEY", SECRET_KEY),
        ("M2O_HTTP_ADDR", &format!("127.0.0.1:{port}")),
        ("M2O_MAILER", "brevo"),
        ("M2O_BREVO_API_KEY", "xkeysib-torture"),
        ("M2O_BREVO_API_URL", &brevo_url),
        ("M2O_MAIL_FROM", "M2O <m2o@example.org>"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut bot = Bot { child: None, env, health: format!("http://127.0.0.1:{port}/healthz") };
    bot.start().await;
    let anna = emu.add_user(471_000_001, "Anna", None, Some("en"));
    let say = |text: &str| {
        emu.send_text(&control.token, &anna, text);
        let emu = emu.clone();
        let token = control.token.clone();
        async move { emu.next_message(&token, anna.id, Duration::from_secs(5)).await.expect("a reply").text }
    };
    say("/start").await;
    assert!(say("anna@acme.io").await.contains("6-digit code"));
    for left in [4, 3, 2] {
        let reply = say("000000").await;
        assert!(reply.contains(&format!("{left} tries left")), "expected {left} tries left: {reply}");
        bot.kill(); // at once: sled would flush on its own only within 0.5 s
        bot.start().await;
        let resumed = say("/start").await;
        assert!(resumed.contains("6-digit code"), "{resumed}");
    }
    bot.kill();
}
