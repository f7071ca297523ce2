//! The fleet panel in a real browser (issue 14): headless Chromium, driven over the W3C WebDriver
//! protocol (plain HTTP to `chromedriver`), opens `/app/` with init data signed for the master as
//! Telegram would put it in the URL's hash, sees the fleet, opens each view, and rules an open
//! escalation by clicking — then the master's notice in the chat is edited and the agent's poll
//! sees the decision. Telegram's own script cannot load here (no network): the page falls back to
//! the hash, as it must outside Telegram.
//!
//! Chromium and chromedriver are Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them); without them this test fails and says so. With `M2O_SCREENSHOTS=docs` it writes a
//! screenshot of each view to `docs/panel-<view>.png` (the README shows them).

mod common;

use chrono::Duration;
use common::*;
use m2o_bot::clock::Clock;
use m2o_bot::crypto::init_data;
use m2o_bot::fleet::panel::HealthSample;
use m2o_bot::store::Change;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session on it; both end when dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    async fn start() -> Browser {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: install Debian's chromium and chromium-driver (apt-get install -y chromium \
                 chromium-driver; .ci/run does) to run the panel's browser test"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser { driver, base, session: String::new(), http, _profile: profile };
        for _ in 0..100 {
            let ready = browser.http.get(format!("{}/status", browser.base)).send().await;
            if let Ok(r) = ready {
                if r.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true) {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Google's hosts are unreachable here: nothing that would call them.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=420,860",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let answer = browser.call("POST", "/session", caps).await;
        browser.session = answer["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_string();
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let r = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = r.send().await.expect("chromedriver answers").json().await.expect("JSON");
        v["value"].clone()
    }

    async fn session(&self, method: &str, path: &str, body: Value) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body).await
    }

    async fn go(&self, url: &str) {
        self.session("POST", "/url", json!({ "url": url })).await;
    }

    /// The element matching `css`, waiting up to 15 s for it.
    async fn find(&self, css: &str) -> String {
        for _ in 0..150 {
            let v = self.session("POST", "/element", json!({"using": "css selector", "value": css})).await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let body = self.text("body").await;
        panic!("no {css} on the page; it reads:\n{body}");
    }

    async fn gone(&self, css: &str) {
        for _ in 0..150 {
            let v = self.session("POST", "/elements", json!({"using": "css selector", "value": css})).await;
            if v.as_array().is_some_and(Vec::is_empty) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{css} is still on the page");
    }

    async fn text(&self, css: &str) -> String {
        let v = self.session("POST", "/element", json!({"using": "css selector", "value": css})).await;
        match v[ELEMENT].as_str() {
            Some(id) => {
                self.session("GET", &format!("/element/{id}/text"), Value::Null).await.as_str().unwrap_or("").into()
            }
            None => String::new(),
        }
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.session("POST", &format!("/element/{id}/click"), json!({})).await;
    }

    /// Opens a tab and waits until its view has loaded.
    async fn open(&self, view: &str) {
        self.click(&format!("#tab-{view}")).await;
        self.find(&format!("body[data-loaded={view}]")).await;
    }

    /// A PNG of the page; written to `docs/panel-<view>.png` with `M2O_SCREENSHOTS=docs`.
    async fn screenshot(&self, view: &str) {
        let b64 = self.session("GET", "/screenshot", Value::Null).await;
        let png = base64_decode(b64.as_str().expect("a base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot of {view}");
        if let Ok(dir) = std::env::var("M2O_SCREENSHOTS") {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("panel-{view}.png")), png).unwrap();
        }
    }

    async fn quit(self) {
        self.session("DELETE", "", Value::Null).await;
    }
}

/// Standard base64 (what WebDriver's screenshots are), without a crate for it.
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in s.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn a_master_watches_the_fleet_and_rules_an_escalation_in_a_real_browser() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    // A fleet to look at: peter, live; a request waiting; a lead on the contact track.
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    bench.message_containing(MASTER, "⚡ peter is online").await;
    let anna = bench.user(461_000_401, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.message_containing(MASTER, "Agent request").await;
    let lead = bench.user(461_000_402, "en");
    bench.on_contact_track(&lead, "lead@gmail.com").await;
    // A week of hourly health samples, as the scheduler would have taken them.
    let now = bench.clock.now();
    let markers = (1..=7 * 24)
        .map(|h| {
            let at = now - Duration::hours(h);
            let s = HealthSample { at, green: if h % 40 < 3 { 0 } else { 1 }, yellow: u32::from(h % 40 < 3), red: 0 };
            (format!("fleet-health:{}", at.format("%Y-%m-%dT%H")), serde_json::to_string(&s).unwrap())
        })
        .collect();
    bench.app().store.commit(&Change { markers, ..Change::default() }).unwrap();
    // peter is stuck.
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    let token = bench.app().secrets.agent_api_token("peter", agent.generation());
    let api = format!("http://{}", bench.http_addr.unwrap());
    let created: Value = reqwest::Client::new()
        .post(format!("{api}/v1/escalations"))
        .bearer_auth(&token)
        .json(&json!({"doing": "deploying machinemachine-api v2.1", "tried": ["curl deploy endpoint"],
                      "need": "fqdn set in Coolify", "proposed_fix": "set fqdn to api.machinemachine.ai"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_u64().unwrap();
    let notice = bench.message_containing(MASTER, "peter is stuck").await;
    bench.clock.advance(Duration::minutes(35));
    let beat = reqwest::Client::new()
        .post(format!("{api}/v1/agents/peter/heartbeat"))
        .bearer_auth(&token)
        .json(&json!({"doing": "waiting for the fqdn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(beat.status(), 200);

    // Telegram opens the Mini App with the signed init data in the URL's hash.
    let user = json!({"id": MASTER, "first_name": "Master", "username": "master", "language_code": "en"}).to_string();
    let date = bench.clock.now().timestamp().to_string();
    let data = init_data::sign(
        &[("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"), ("user", &user), ("auth_date", &date)],
        &bench.control.token,
    );
    let browser = Browser::start().await;
    browser.go(&format!("{api}/app/#tgWebAppData={}&tgWebAppVersion=8.0", init_data::form_encode(&data))).await;
    browser.find("[data-agent=peter]").await;
    let card = browser.text("[data-agent=peter]").await;
    assert!(card.contains("peter") && card.contains("online") && card.contains("@peter_agent_bot"), "{card}");
    browser.find("#health-chart polygon").await;
    browser.screenshot("fleet").await;

    browser.open("requests").await;
    let request = browser.text(".request").await;
    assert!(request.contains("anna@acme.io") && request.contains("company email"), "{request}");
    browser.screenshot("requests").await;
    browser.open("leads").await;
    assert!(browser.text(".lead").await.contains("lead@gmail.com"));
    browser.screenshot("leads").await;
    browser.open("funnel").await;
    browser.find("#funnel-chart rect").await;
    browser.screenshot("funnel").await;

    browser.open("escalations").await;
    let shown = browser.text(&format!("#esc-{id}")).await;
    assert!(shown.contains("fqdn set in Coolify") && shown.contains("waiting 35m"), "{shown}");
    browser.find("#waiting-chart rect").await;
    browser.screenshot("escalations").await;
    browser.click(&format!("#esc-{id} button[data-verdict=approve]")).await;
    browser.gone(&format!("#esc-{id}")).await;
    assert_eq!(browser.text("#status").await, "Sent to peter.", "the page says what the chat's toast says");

    // The chat's notice is settled in place, and the agent's poll sees the ruling.
    bench
        .eventually("the notice is edited", |b| {
            b.current_text(MASTER, notice.message_id).contains("proposed fix approved")
        })
        .await;
    let status: Value = reqwest::Client::new()
        .get(format!("{api}/v1/escalations/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (status["state"].as_str(), status["decision"].as_str(), status["decided_by"].as_str()),
        (Some("decided"), Some("approve"), Some("master 900001"))
    );
    browser.quit().await;
    bench.stop().await;
}
