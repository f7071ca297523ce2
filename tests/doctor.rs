//! `m2o-bot doctor`, the real binary, against local doubles: the Bot API emulator for Telegram and
//! wiremock servers shaped like Brevo, Coolify, Twenty, Planka and Guacamole (`apis.md`). Each
//! service up, then down in the ways that matter — refused, not found, unreachable — and the data
//! dir open to others, sealed with another key, or held by a running bot.

use m2o_bot::crypto::Secrets;
use m2o_bot::domain::{ClientBot, Contact, ContactState};
use m2o_bot::store::{Change, Store, KEY_CHECK};
use serde_json::json;
use std::path::{Path, PathBuf};
use tg_emulator::{BotHandle, Emulator};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");
const BREVO_KEY: &str = "xkeysib-doctor-0123456789abcdef";
const SENDER: &str = "onboarding@acme.io";
const COOLIFY_TOKEN: &str = "3|coolifydoctortoken0123456789";
const PROJECT: &str = "p1k8w0c4sgo0ok8wc0gs4kso";
const SERVER: &str = "s9c0wkk4gogs0c8ks4o8kgw0";
const TWENTY_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.twenty-doctor.sig";
const PLANKA_TOKEN: &str = "planka-doctor-access-token-0123";
const GUAC_USER: &str = "m2o-bot";
const GUAC_PASSWORD: &str = "s3cret p@ss&word";
const GUAC_FORM: &str = "username=m2o-bot&password=s3cret+p%40ss%26word";
const GUAC_TOKEN: &str = "0BDA2C3F6A8E4D1B9C7E5F3A1D2B4C6E8F0A1B3C5D7E9F1A3B5C7D9E1F3A8EE8";
const KEY_A: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const KEY_B: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// A deployment: the control bot in the emulator, a double for every service, a working folder.
struct Deployment {
    emu: Emulator,
    bot: BotHandle,
    brevo: MockServer,
    coolify: MockServer,
    twenty: MockServer,
    planka: MockServer,
    guacamole: MockServer,
    dir: tempfile::TempDir,
}

impl Deployment {
    /// Every double empty: each test mounts the answers it needs.
    async fn new() -> Deployment {
        let emu = Emulator::start().await.unwrap();
        let bot = emu.create_bot("acme_fleet_bot", "Acme Fleet");
        Deployment {
            emu,
            bot,
            brevo: MockServer::start().await,
            coolify: MockServer::start().await,
            twenty: MockServer::start().await,
            planka: MockServer::start().await,
            guacamole: MockServer::start().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Every service healthy.
    async fn up() -> Deployment {
        let d = Deployment::new().await;
        d.emu.enable_bot_management(&d.bot.token);
        brevo_account(&d.brevo, 200).await;
        brevo_senders(&d.brevo, Some(true)).await;
        coolify_answers(&d.coolify, true).await;
        twenty_people(&d.twenty, 200).await;
        planka_projects(&d.planka, 200).await;
        guacamole_login(&d.guacamole, true).await;
        d
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Everything configured, each service at its double.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TELOXIDE_TOKEN", self.bot.token.clone()),
            ("TELOXIDE_API_URL", self.emu.api_url().to_string()),
            ("M2O_MASTER_IDS", "900001".into()),
            ("M2O_DATA_DIR", self.data().display().to_string()),
            ("M2O_SECRET_KEY", KEY_A.into()),
            ("M2O_HTTP_TIMEOUT_MS", "3000".into()),
            ("M2O_MAILER", "brevo".into()),
            ("M2O_BREVO_API_KEY", BREVO_KEY.into()),
            ("M2O_BREVO_API_URL", self.brevo.uri()),
            ("M2O_MAIL_FROM", format!("Machine.Machine <{SENDER}>")),
            ("M2O_PROVISIONER", "coolify".into()),
            ("M2O_COOLIFY_API_URL", self.coolify.uri()),
            ("M2O_COOLIFY_TOKEN", COOLIFY_TOKEN.into()),
            ("M2O_COOLIFY_PROJECT_UUID", PROJECT.into()),
            ("M2O_COOLIFY_SERVER_UUID", SERVER.into()),
            ("M2O_CRM", "twenty".into()),
            ("M2O_TWENTY_API_URL", format!("{}/rest", self.twenty.uri())),
            ("M2O_TWENTY_TOKEN", TWENTY_TOKEN.into()),
            ("M2O_PLANKA_URL", self.planka.uri()),
            ("M2O_PLANKA_TOKEN", PLANKA_TOKEN.into()),
            ("M2O_GUACAMOLE_URL", format!("{}/guacamole", self.guacamole.uri())),
            ("M2O_GUACAMOLE_USER", GUAC_USER.into()),
            ("M2O_GUACAMOLE_PASSWORD", GUAC_PASSWORD.into()),
        ]
    }

    /// Runs `m2o-bot doctor` with exactly `env` in a clean environment; its exit code and output.
    async fn doctor(&self, env: &[(&str, String)]) -> (Option<i32>, String) {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.arg("doctor")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for secret in [
            self.bot.token.as_str(),
            BREVO_KEY,
            COOLIFY_TOKEN,
            TWENTY_TOKEN,
            PLANKA_TOKEN,
            GUAC_PASSWORD,
            GUAC_TOKEN,
            KEY_A,
            KEY_B,
        ] {
            assert!(!text.contains(secret), "a secret in the output:\n{text}");
        }
        (out.status.code(), text)
    }
}

/// The line of one check; panics (with the whole output) when there is none.
fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_once(' ').is_some_and(|(_, rest)| rest.starts_with(&format!("{name} "))))
        .unwrap_or_else(|| panic!("no {name} line in:\n{out}"))
}

fn assert_line(out: &str, name: &str, mark: &str, parts: &[&str]) {
    let l = line(out, name);
    assert!(l.starts_with(mark), "{name} is not {mark}:\n{out}");
    for part in parts {
        assert!(l.contains(part), "{name}: `{part}` not in\n{l}\n\nwhole output:\n{out}");
    }
}

fn with(mut env: Vec<(&'static str, String)>, changes: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    for (k, v) in changes {
        env.retain(|(name, _)| name != k);
        env.push((k, v.clone()));
    }
    env
}

fn without(env: Vec<(&'static str, String)>, names: &[&str]) -> Vec<(&'static str, String)> {
    env.into_iter().filter(|(k, _)| !names.contains(k)).collect()
}

/// An address nobody listens on.
fn closed_port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

// --- The doubles, shaped like each API (apis.md) -------------------------------------------------

async fn brevo_account(server: &MockServer, status: u16) {
    let answer = if status == 200 {
        ResponseTemplate::new(200).set_body_json(json!({
            "email": "ops@acme.io", "firstName": "Ops", "lastName": "Acme", "companyName": "Acme",
            "plan": [{"type": "free", "credits": 300, "creditsType": "sendLimit"}]
        }))
    } else {
        ResponseTemplate::new(status).set_body_json(json!({"code": "unauthorized", "message": "Key not found"}))
    };
    Mock::given(method("GET"))
        .and(path("/v3/account"))
        .and(header("api-key", BREVO_KEY))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Our sender verified (`Some(true)`), added but not verified, or missing (`None`).
async fn brevo_senders(server: &MockServer, ours: Option<bool>) {
    let mut senders = vec![json!({"id": 1, "name": "Ops", "email": "ops@acme.io", "active": true, "ips": []})];
    if let Some(active) = ours {
        senders.push(json!({"id": 2, "name": "Machine.Machine", "email": SENDER, "active": active, "ips": []}));
    }
    Mock::given(method("GET"))
        .and(path("/v3/senders"))
        .and(header("api-key", BREVO_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "senders": senders })))
        .mount(server)
        .await;
}

/// Version, project and server; `project_exists: false` answers the project with Coolify's 404.
async fn coolify_answers(server: &MockServer, project_exists: bool) {
    let bearer = format!("Bearer {COOLIFY_TOKEN}");
    Mock::given(method("GET"))
        .and(path("/api/v1/version"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw("4.0.0-beta.380", "text/html"))
        .mount(server)
        .await;
    let project = if project_exists {
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": 1, "uuid": PROJECT, "name": "fleet", "description": null}))
    } else {
        ResponseTemplate::new(404).set_body_json(json!({"message": "Project not found."}))
    };
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/projects/{PROJECT}")))
        .and(header("authorization", bearer.as_str()))
        .respond_with(project)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/servers/{SERVER}")))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 2, "uuid": SERVER, "name": "hetzner-1", "ip": "10.0.0.2", "user": "root", "port": 22
        })))
        .mount(server)
        .await;
}

async fn twenty_people(server: &MockServer, status: u16) {
    let answer = if status == 200 {
        ResponseTemplate::new(200).set_body_json(json!({
            "data": {"people": [{"id": "7a3e1c52-0000-4000-8000-000000000001", "emails": {"primaryEmail": "anna@acme.io"}}]},
            "pageInfo": {"hasNextPage": true, "startCursor": "a", "endCursor": "b"},
            "totalCount": 12
        }))
    } else {
        ResponseTemplate::new(status)
            .set_body_json(json!({"statusCode": 401, "error": "UNAUTHENTICATED", "messages": ["Token has expired."]}))
    };
    Mock::given(method("GET"))
        .and(path("/rest/people"))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {TWENTY_TOKEN}").as_str()))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn planka_projects(server: &MockServer, status: u16) {
    let answer = if status == 200 {
        ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": "1", "name": "Fleet"}],
            "included": {"boards": [
                {"id": "10", "projectId": "1", "name": "Roadmap", "position": 65536},
                {"id": "11", "projectId": "1", "name": "Ops", "position": 131072}
            ]}
        }))
    } else {
        ResponseTemplate::new(status)
            .set_body_json(json!({"code": "E_UNAUTHORIZED", "message": "Access token is missing, invalid or expired"}))
    };
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .and(header("authorization", format!("Bearer {PLANKA_TOKEN}").as_str()))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// The form login (and, when it succeeds, exactly one logout of the token it gave).
async fn guacamole_login(server: &MockServer, accepted: bool) {
    let answer = if accepted {
        ResponseTemplate::new(200).set_body_json(json!({
            "authToken": GUAC_TOKEN, "username": GUAC_USER, "dataSource": "postgresql",
            "availableDataSources": ["postgresql", "postgresql-shared"]
        }))
    } else {
        ResponseTemplate::new(403).set_body_json(json!({
            "message": "Invalid login", "translatableMessage": {"key": "Invalid login", "variables": null},
            "statusCode": null, "expected": [], "type": "INVALID_CREDENTIALS"
        }))
    };
    Mock::given(method("POST"))
        .and(path("/guacamole/api/tokens"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(GUAC_FORM))
        .respond_with(answer)
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/guacamole/api/tokens/{GUAC_TOKEN}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(u64::from(accepted))
        .mount(server)
        .await;
}

// --- The data dir ----------------------------------------------------------------------------------

/// A store in `data` whose client token is sealed with `key`; with its key check recorded, as
/// every store is after one start, or without (a store from before key checks).
fn a_store_sealed_with(data: &Path, key: &str, record_check: bool) {
    let secrets = Secrets::from_hex(key).unwrap();
    let store = Store::open(data).unwrap();
    let mut c = Contact::new(1, 42, 42, "en", "anna@acme.io", "2026-11-24T10:00:00Z".parse().unwrap());
    c.state = ContactState::TokenValidated;
    c.bot = Some(ClientBot { id: 7, username: "anna_bot".into(), token_sealed: secrets.seal("7:AAAA") });
    let meta = record_check.then(|| (KEY_CHECK.to_string(), secrets.key_check()));
    store.commit(&Change { contact: Some(c), meta, ..Change::default() }).unwrap();
    store.flush_blocking().unwrap();
    drop(store);
    until_unlocked(data);
}

/// Waits until no handle holds sled's lock on the store: sled lets go of it a moment after the last
/// handle is dropped, and the doctor would rightly report it in use until then.
fn until_unlocked(data: &Path) {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new().read(true).write(true).open(data.join("db")).unwrap();
    for _ in 0..500 {
        // SAFETY: flock(2) on a descriptor that stays open across both calls.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the store in {} stayed locked", data.display());
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

// --- The tests -------------------------------------------------------------------------------------

#[tokio::test]
async fn every_service_up_passes_and_exits_0() {
    let d = Deployment::up().await;
    a_store_sealed_with(&d.data(), KEY_A, true);
    let (code, out) = d.doctor(&d.env()).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("m2o-bot doctor — checking the configuration from the environment (no .env in "), "{out}");
    let id = d.bot.id;
    assert_line(
        &out,
        "Telegram",
        "✅",
        &[&format!("@acme_fleet_bot (id {id}); Bot Management Mode on; long polling, no webhook; 0 updates waiting")],
    );
    assert_line(&out, "Brevo", "✅", &["account Acme (ops@acme.io); sender onboarding@acme.io verified"]);
    assert_line(
        &out,
        "Coolify",
        "✅",
        &["v4.0.0-beta.380; project 'fleet' (p1k8w0c4…) and server 'hetzner-1' (s9c0wkk4…) exist"],
    );
    assert_line(&out, "Twenty", "✅", &["the API key reads People (12 people)"]);
    assert_line(&out, "Planka", "✅", &["the token is accepted; 2 boards visible"]);
    assert_line(
        &out,
        "Guacamole",
        "✅",
        &["logged in as m2o-bot (data source postgresql); the session was closed again"],
    );
    let data = d.data().display().to_string();
    assert_line(
        &out,
        "Data dir",
        "✅",
        &[
            &format!("{data}: yours, mode 700, "),
            " GiB free; the secret key (M2O_SECRET_KEY) is the one its secrets were sealed with",
        ],
    );
    assert!(out.ends_with("All 7 configured checks passed. Exit code 0.\n"), "{out}");
    assert_eq!(d.emu.call_count("getMe"), 1);
    assert_eq!(d.emu.call_count("getWebhookInfo"), 1);
    assert_eq!(d.emu.call_count("deleteWebhook") + d.emu.call_count("setWebhook"), 0, "the doctor changes nothing");
}

#[tokio::test]
async fn each_service_down_fails_with_its_fix_and_exits_1() {
    let d = Deployment::new().await;
    d.emu.revoke(&d.bot.token);
    brevo_account(&d.brevo, 401).await;
    brevo_senders(&d.brevo, Some(true)).await;
    coolify_answers(&d.coolify, false).await;
    twenty_people(&d.twenty, 401).await;
    guacamole_login(&d.guacamole, false).await;
    let env = with(d.env(), &[("M2O_PLANKA_URL", closed_port())]);
    let (code, out) = d.doctor(&env).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(&out, "Telegram", "❌", &["the token is refused (401 Unauthorized). Fix: set TELOXIDE_TOKEN to"]);
    assert_line(
        &out,
        "Brevo",
        "❌",
        &["the API key is refused (401 unauthorized: Key not found). Fix: set M2O_BREVO_API_KEY"],
    );
    assert_line(
        &out,
        "Coolify",
        "❌",
        &[&format!("the project {PROJECT} does not exist (404). Fix: set M2O_COOLIFY_PROJECT_UUID")],
    );
    assert_line(
        &out,
        "Twenty",
        "❌",
        &["the API key is refused (401 UNAUTHENTICATED: Token has expired.). Fix: set M2O_TWENTY_TOKEN"],
    );
    assert_line(&out, "Planka", "❌", &["is unreachable (connection refused). Fix: check M2O_PLANKA_URL"]);
    assert_line(&out, "Guacamole", "❌", &[
        "the login as m2o-bot is refused (403 INVALID_CREDENTIALS: Invalid login). Fix: set M2O_GUACAMOLE_USER and M2O_GUACAMOLE_PASSWORD",
    ]);
    assert_line(&out, "Data dir", "✅", &["not there yet: the bot makes it at first start"]);
    assert!(out.ends_with("6 problems. Exit code 1.\n"), "{out}");
    assert!(!d.data().exists(), "the doctor makes no data dir");
}

#[tokio::test]
async fn the_other_ways_down_an_unverified_sender_a_refused_token_and_closed_ports() {
    let d = Deployment::new().await;
    brevo_account(&d.brevo, 200).await;
    brevo_senders(&d.brevo, Some(false)).await;
    // Coolify with another token: every call is refused as Coolify refuses it.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthenticated."})))
        .mount(&d.coolify)
        .await;
    planka_projects(&d.planka, 401).await;
    let env = with(d.env(), &[("M2O_TWENTY_API_URL", closed_port()), ("M2O_GUACAMOLE_URL", closed_port())]);
    let (code, out) = d.doctor(&env).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(
        &out,
        "Brevo",
        "❌",
        &[
            "the sender onboarding@acme.io is not verified yet",
            "Fix: open the verification email Brevo sent to onboarding@acme.io",
        ],
    );
    assert_line(
        &out,
        "Coolify",
        "❌",
        &["the API token is refused (401 Unauthenticated.). Fix: set M2O_COOLIFY_TOKEN"],
    );
    assert_line(&out, "Twenty", "❌", &["is unreachable (connection refused). Fix: check M2O_TWENTY_API_URL"]);
    assert_line(&out, "Planka", "❌", &[
        "the token is refused (401 E_UNAUTHORIZED: Access token is missing, invalid or expired). Fix: set M2O_PLANKA_TOKEN",
    ]);
    assert_line(&out, "Guacamole", "❌", &["is unreachable (connection refused). Fix: check M2O_GUACAMOLE_URL"]);
    assert!(out.ends_with("5 problems. Exit code 1.\n"), "{out}");

    // A sender Brevo does not know at all.
    d.brevo.reset().await;
    brevo_account(&d.brevo, 200).await;
    brevo_senders(&d.brevo, None).await;
    let (_, out) = d.doctor(&env).await;
    assert_line(
        &out,
        "Brevo",
        "❌",
        &["onboarding@acme.io is not a sender of the Brevo account Acme (ops@acme.io). Fix: add and verify it"],
    );
}

#[tokio::test]
async fn telegram_reports_the_webhook_it_has_against_the_one_the_bot_will_set() {
    let d = Deployment::new().await;
    let anna = d.emu.add_user(421000001, "Anna", None, None);
    d.emu.send_text(&d.bot.token, &anna, "hello");
    // An earlier deployment left a webhook whose host no longer answers.
    let old_hook = format!("{}/telegram/hook", closed_port());
    let set = format!("{}bot{}/setWebhook", d.emu.api_url(), d.bot.token);
    reqwest::Client::new().post(set).json(&json!({"url": old_hook})).send().await.unwrap();
    let info = format!("{}bot{}/getWebhookInfo", d.emu.api_url(), d.bot.token);
    for _ in 0..500 {
        let answer: serde_json::Value = reqwest::get(&info).await.unwrap().json().await.unwrap();
        if answer["result"]["last_error_message"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let minimal =
        without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_CRM", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);

    let (code, out) = d.doctor(&minimal).await;
    assert_eq!(code, Some(0), "{out}");
    assert_line(&out, "Telegram", "✅", &[
        "Bot Management Mode off (clients make their bot with @BotFather; for one-tap creation: @BotFather → your bot → Bot Settings → Bot Management Mode",
        "long polling, but a webhook to 127.0.0.1 is set: the bot deletes it at start; 1 update waiting; Telegram's last failed delivery (",
        "UTC): Connection refused",
    ]);

    let ours = "http://127.0.0.1:8443/telegram/hook";
    let (code, out) = d.doctor(&with(minimal, &[("M2O_WEBHOOK_URL", ours.into())])).await;
    assert_eq!(code, Some(0), "{out}");
    assert_line(
        &out,
        "Telegram",
        "✅",
        &[&format!("webhook mode: a webhook to 127.0.0.1 is set; the bot replaces it with {ours} at start")],
    );
    assert_eq!(d.emu.call_count("deleteWebhook") + d.emu.call_count("setWebhook"), 1, "only the test's own setWebhook");
}

#[tokio::test]
async fn what_is_not_configured_is_named_and_not_a_failure_and_a_dotenv_is_read() {
    let d = Deployment::new().await;
    let dotenv: String = [
        format!("TELOXIDE_TOKEN={}", d.bot.token),
        format!("TELOXIDE_API_URL={}", d.emu.api_url()),
        "M2O_MASTER_IDS=900001".into(),
        "M2O_PROVISIONER=command".into(),
        "M2O_SPAWN_COMMAND=/usr/local/bin/spawn-agent".into(),
    ]
    .join("\n");
    std::fs::write(d.dir.path().join(".env"), dotenv).unwrap();
    let (code, out) = d.doctor(&[]).await;
    assert_eq!(code, Some(0), "{out}");
    let here = d.dir.path().canonicalize().unwrap();
    assert!(
        out.starts_with(&format!(
            "m2o-bot doctor — checking the configuration in {} (.env and the environment)\n",
            here.display()
        )),
        "{out}"
    );
    assert_line(
        &out,
        "Brevo",
        "➖",
        &["not configured (M2O_MAILER=log: one-time codes go to the log, no email is sent)"],
    );
    assert_line(
        &out,
        "Coolify",
        "➖",
        &["not configured (M2O_PROVISIONER=command: M2O_SPAWN_COMMAND deploys the agents)"],
    );
    assert_line(&out, "Twenty", "➖", &["not configured (contacts are not mirrored to a CRM)"]);
    assert_line(&out, "Planka", "➖", &["not configured (the brief lists no Now and Done cards)"]);
    assert_line(&out, "Guacamole", "➖", &["not configured (desktops are not registered in Guacamole)"]);
    assert_line(
        &out,
        "Data dir",
        "✅",
        &["data: not there yet: the bot makes it at first start", "a new secret.key is made with it"],
    );
    assert!(out.ends_with("All 2 configured checks passed. Exit code 0.\n"), "{out}");
}

#[tokio::test]
async fn an_unusable_configuration_exits_2_before_any_check() {
    let d = Deployment::new().await;
    let (code, out) = d.doctor(&with(d.env(), &[("M2O_MAIL_FROM", "not an address".into())])).await;
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("M2O_MAIL_FROM: expected `Name <address@domain>`"), "{out}");
    assert_eq!(d.emu.call_count("getMe"), 0);
}

#[tokio::test]
async fn a_data_dir_open_to_others_fails_with_the_fix_and_is_left_as_it_is() {
    use std::os::unix::fs::PermissionsExt;
    let d = Deployment::new().await;
    std::fs::create_dir(d.data()).unwrap();
    std::fs::set_permissions(d.data(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_CRM", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);
    let (code, out) = d.doctor(&env).await;
    assert_eq!(code, Some(1), "{out}");
    let data = d.data().display().to_string();
    assert_line(&out, "Data dir", "❌", &[
        &format!("{data}: mode 755 lets other users in, and it holds emails, the audit log and sealed tokens. Fix: chmod -R go= {data}"),
        "Otherwise: yours, ",
        "no store yet; the secret key (M2O_SECRET_KEY) will seal its secrets",
    ]);
    assert_eq!(mode(&d.data()), 0o755, "the doctor fixes nothing itself");
    assert!(!Store::exists_in(&d.data()), "nor makes a store");
}

#[tokio::test]
async fn a_store_sealed_with_another_key_fails_and_its_own_key_passes() {
    let d = Deployment::new().await;
    a_store_sealed_with(&d.data(), KEY_A, true);
    let env = without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_CRM", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);

    let (code, out) = d.doctor(&with(env.clone(), &[("M2O_SECRET_KEY", KEY_B.into())])).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(&out, "Data dir", "❌", &[
        "the secret key (M2O_SECRET_KEY) is not the one its secrets were sealed with, and the bot refuses to start so. Fix: use the key this data dir was made with",
    ]);

    // Its own key, from the key file this time.
    std::fs::write(d.data().join("secret.key"), KEY_A).unwrap();
    let (code, out) = d.doctor(&without(env.clone(), &["M2O_SECRET_KEY"])).await;
    assert_eq!(code, Some(0), "{out}");
    assert_line(&out, "Data dir", "✅", &["the secret key (secret.key) is the one its secrets were sealed with"]);

    // Data but no key at all.
    std::fs::remove_file(d.data().join("secret.key")).unwrap();
    let (code, out) = d.doctor(&without(env, &["M2O_SECRET_KEY"])).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(
        &out,
        "Data dir",
        "❌",
        &["it holds data but no secret key", "Fix: restore secret.key from the backup"],
    );
}

#[tokio::test]
async fn a_store_from_before_key_checks_is_tried_on_a_sealed_token() {
    let d = Deployment::new().await;
    a_store_sealed_with(&d.data(), KEY_A, false);
    let env = without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_CRM", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);
    let (code, out) = d.doctor(&env).await;
    assert_eq!(code, Some(0), "{out}");
    assert_line(&out, "Data dir", "✅", &["the secret key (M2O_SECRET_KEY) opens its sealed tokens"]);
    let (code, out) = d.doctor(&with(env, &[("M2O_SECRET_KEY", KEY_B.into())])).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(&out, "Data dir", "❌", &["is not the one its secrets were sealed with"]);
    until_unlocked(&d.data());
    let store = Store::open(&d.data()).unwrap();
    assert_eq!(store.meta(KEY_CHECK).unwrap(), None, "the doctor recorded nothing");
}

#[tokio::test]
async fn a_store_held_by_a_running_bot_is_reported_not_failed() {
    let d = Deployment::new().await;
    a_store_sealed_with(&d.data(), KEY_A, true);
    // This test process plays the running bot: it holds the store as `m2o-bot run` does.
    let running = Store::open(&d.data()).unwrap();
    let env = without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_CRM", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);
    let (code, out) = d.doctor(&with(env, &[("M2O_SECRET_KEY", KEY_B.into())])).await;
    assert_eq!(code, Some(0), "{out}");
    assert_line(
        &out,
        "Data dir",
        "✅",
        &["yours, mode 700, ", "the store is open in a running m2o-bot, so the secret key was not checked"],
    );
    drop(running);
}

#[tokio::test]
async fn a_service_that_never_answers_is_unreachable_not_refused() {
    let d = Deployment::new().await;
    // Twenty takes the connection and never answers within the bot's HTTP timeout.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(60)))
        .mount(&d.twenty)
        .await;
    let env = without(d.env(), &["M2O_MAILER", "M2O_PROVISIONER", "M2O_PLANKA_URL", "M2O_GUACAMOLE_URL"]);
    let (code, out) = d.doctor(&with(env, &[("M2O_HTTP_TIMEOUT_MS", "1500".into())])).await;
    assert_eq!(code, Some(1), "{out}");
    assert_line(&out, "Twenty", "❌", &["is unreachable (no answer in time). Fix: check M2O_TWENTY_API_URL"]);
    assert_line(&out, "Telegram", "✅", &["@acme_fleet_bot"]);
}
