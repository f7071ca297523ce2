//! The fleet panel's HTTP side (issue 14): the page and its policy, every authentication case of
//! `Authorization: tma <initData>`, and every endpoint through the real fleet operations — a
//! spawn as `/spawn`, an escalation ruled as its buttons rule it (a second ruling is 409), a lead
//! qualified as `/qualify`, a request's card sent to the master's chat (there is no approving in
//! the panel), the funnel counted.

mod common;

use chrono::Duration;
use common::*;
use m2o_bot::clock::Clock;
use m2o_bot::crypto::init_data;
use m2o_bot::domain::escalation::Verdict;
use m2o_bot::domain::ContactState;
use serde_json::{json, Value};

const STRANGER: i64 = 461_777_001;

fn url(bench: &Bench, p: &str) -> String {
    format!("http://{}{p}", bench.http_addr.unwrap())
}

/// Init data as Telegram signs it for the bench's bot: `user` opened the panel `age` ago.
fn signed(bench: &Bench, user: i64, age: Duration) -> String {
    signed_with(&bench.control.token, user, (bench.clock.now() - age).timestamp())
}

fn signed_with(token: &str, user: i64, auth_date: i64) -> String {
    let user = json!({"id": user, "first_name": "Master", "username": "master", "language_code": "en"}).to_string();
    let date = auth_date.to_string();
    init_data::sign(&[("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"), ("user", &user), ("auth_date", &date)], token)
}

async fn call(bench: &Bench, auth: Option<&str>, method: &str, p: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut r = if method == "GET" { client.get(url(bench, p)) } else { client.post(url(bench, p)) };
    if let Some(a) = auth {
        r = r.header("Authorization", a);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// As the master, with fresh init data.
async fn master(bench: &Bench, method: &str, p: &str, body: Option<Value>) -> (u16, Value) {
    let auth = format!("tma {}", signed(bench, MASTER, Duration::minutes(1)));
    call(bench, Some(&auth), method, p, body).await
}

#[tokio::test]
async fn the_page_is_served_with_its_policy_and_holds_no_secret() {
    let bench = Bench::new().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.get(url(&bench, "/app")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (308, "/app/"));
    for (path, kind) in [("/app/", "text/html"), ("/app/panel.js", "text/javascript"), ("/app/panel.css", "text/css")] {
        let r = client.get(url(&bench, path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert!(h["content-type"].to_str().unwrap().starts_with(kind), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'none'",
            "script-src 'self' https://telegram.org;",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors https://web.telegram.org https://*.telegram.org",
        ] {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let body = r.text().await.unwrap();
        assert!(!body.contains(&bench.control.token) && !body.contains(SECRET_KEY), "{path} holds a secret");
        if path == "/app/" {
            // No inline script: every <script> has a src.
            assert_eq!(body.matches("<script").count(), body.matches("<script src=").count(), "{body}");
            assert!(body.contains(r#"<script src="https://telegram.org/js/telegram-web-app.js">"#));
        }
    }
    let (s, body) = master(&bench, "GET", "/app/api/nothing-here", None).await;
    assert_eq!((s, body["error"].as_str()), (404, Some("not_found")));
    bench.stop().await;
}

#[tokio::test]
async fn only_telegrams_fresh_data_for_our_bot_and_a_master_gets_in() {
    let bench = Bench::new().await;
    let good = signed(&bench, MASTER, Duration::minutes(5));
    let tampered = good.replace("900001", "900002");
    let forged = format!("{}&hash={}", good.split("&hash=").next().unwrap(), "ab".repeat(32));
    let stale = signed(&bench, MASTER, Duration::hours(24) + Duration::seconds(1));
    let other_bot = bench.emu.create_bot("other_bot", "Other");
    let another_bots = signed_with(&other_bot.token, MASTER, bench.clock.now().timestamp());
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing header", None),
        ("wrong scheme", Some(format!("Bearer {good}"))),
        ("empty", Some("tma ".to_string())),
        ("forged hash", Some(format!("tma {forged}"))),
        ("tampered user", Some(format!("tma {tampered}"))),
        ("stale auth_date", Some(format!("tma {stale}"))),
        ("another bot's data", Some(format!("tma {another_bots}"))),
    ];
    for endpoint in ["/app/api/fleet", "/app/api/requests", "/app/api/escalations", "/app/api/leads", "/app/api/funnel"]
    {
        for (case, auth) in &cases {
            let (s, body) = call(&bench, auth.as_deref(), "GET", endpoint, None).await;
            assert_eq!((s, body["error"].as_str()), (401, Some("unauthorized")), "{case} on {endpoint}: {body}");
            assert!(body["message"].as_str().unwrap().contains("open the panel from Telegram again"), "{body}");
        }
        let (s, _) = call(&bench, Some(&format!("tma {good}")), "GET", endpoint, None).await;
        assert_eq!(s, 200, "the master on {endpoint}");
    }
    // Exactly the maximum age is still fine; a shorter M2O_MINIAPP_MAX_AGE is obeyed below.
    let day_old = signed(&bench, MASTER, Duration::hours(24));
    assert_eq!(call(&bench, Some(&format!("tma {day_old}")), "GET", "/app/api/fleet", None).await.0, 200);

    // A real Telegram user who is not a master: 403, audited, nothing else.
    let stranger = signed(&bench, STRANGER, Duration::minutes(1));
    let (s, body) = call(&bench, Some(&format!("tma {stranger}")), "POST", "/app/api/spawn", Some(json!({}))).await;
    assert_eq!((s, body["error"].as_str()), (403, Some("forbidden")), "{body}");
    let audit = bench.app().store.audit_log().unwrap();
    assert!(audit.iter().any(|e| e.event == "panel_refused" && e.why.contains("/app/api/spawn")), "{audit:?}");
    bench.stop().await;

    let bench = Bench::with(&[("M2O_MINIAPP_MAX_AGE", "600")]).await;
    let eleven_minutes = signed(&bench, MASTER, Duration::minutes(11));
    assert_eq!(call(&bench, Some(&format!("tma {eleven_minutes}")), "GET", "/app/api/fleet", None).await.0, 401);
    bench.stop().await;
}

#[tokio::test]
async fn spawn_watch_and_rule_an_escalation_from_the_panel() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");

    // Bad input: a clear 400, and nothing is registered.
    let (s, body) = master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "peter", "token": "nope"}))).await;
    assert_eq!(s, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("not a bot token"), "{body}");
    let (s, body) = master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "P!", "token": bot.token}))).await;
    assert_eq!(s, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("3 to 20 characters"), "{body}");
    let (s, body) = master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "peter"}))).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("bad_request")), "{body}");
    let revoked = bench.emu.create_bot("gone_bot", "Gone");
    bench.emu.revoke(&revoked.token);
    let (s, body) =
        master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "peter", "token": revoked.token}))).await;
    assert_eq!(s, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("doesn't work"), "{body}");
    assert!(bench.app().store.agents().unwrap().is_empty(), "a refused spawn registers nothing");

    // The same spawn as /spawn: the master is told in the chat as it goes live.
    let (s, body) = master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "peter", "token": bot.token}))).await;
    assert_eq!(
        (s, body["name"].as_str(), body["bot"].as_str()),
        (201, Some("peter"), Some("peter_agent_bot")),
        "{body}"
    );
    bench.message_containing(m.id, "⚡ peter is online").await;
    let (s, body) = master(&bench, "POST", "/app/api/spawn", Some(json!({"name": "peter", "token": bot.token}))).await;
    assert_eq!(s, 409, "{body}");
    let (s, fleet) = master(&bench, "GET", "/app/api/fleet", None).await;
    assert_eq!(s, 200);
    let peter = &fleet["agents"][0];
    assert_eq!(
        (peter["name"].as_str(), peter["state"].as_str(), peter["health"].as_str(), peter["bot"].as_str()),
        (Some("peter"), Some("live"), Some("green"), Some("peter_agent_bot"))
    );
    assert_eq!(peter["image"], bench.app().config.agent_image.as_str());
    assert!(fleet["health"].as_array().unwrap().len() <= 1, "sampled hourly by the scheduler");

    // An escalation over the agents' API; ruled in the panel, as by its button.
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    let token = bench.app().secrets.agent_api_token("peter", agent.generation());
    let r = reqwest::Client::new()
        .post(url(&bench, "/v1/escalations"))
        .bearer_auth(&token)
        .json(&json!({"doing": "deploying v2", "tried": ["curl"], "need": "fqdn set", "proposed_fix": "set fqdn"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let notice = bench.message_containing(MASTER, "peter is stuck").await;
    bench.clock.advance(Duration::minutes(42));
    let (_, list) = master(&bench, "GET", "/app/api/escalations", None).await;
    let e = &list["escalations"][0];
    assert_eq!(
        (e["id"].as_u64(), e["need"].as_str(), e["waited_minutes"].as_i64()),
        (Some(id), Some("fqdn set"), Some(42))
    );
    assert_eq!(list["sla_minutes"], 240);

    let path = format!("/app/api/escalations/{id}/decide");
    let (s, body) = master(&bench, "POST", &path, Some(json!({"decision": "modify"}))).await;
    assert_eq!(s, 400, "modify needs a note: {body}");
    let (s, body) = master(&bench, "POST", &path, Some(json!({"decision": "maybe"}))).await;
    assert_eq!(s, 400, "{body}");
    let (s, body) =
        master(&bench, "POST", "/app/api/escalations/999999/decide", Some(json!({"decision": "skip"}))).await;
    assert_eq!(s, 404, "{body}");
    let (s, body) = master(&bench, "POST", &path, Some(json!({"decision": "approve"}))).await;
    assert_eq!(
        (s, body["decision"].as_str(), body["decided_by"].as_str()),
        (200, Some("approve"), Some("master 900001"))
    );
    // The agent's poll sees it; the chat's notice is settled in place.
    let r = reqwest::Client::new().get(url(&bench, &format!("/v1/escalations/{id}"))).bearer_auth(&token).send().await;
    let status: Value = r.unwrap().json().await.unwrap();
    assert_eq!((status["state"].as_str(), status["decision"].as_str()), (Some("decided"), Some("approve")));
    bench
        .eventually("notice settled", |b| b.current_text(MASTER, notice.message_id).contains("proposed fix approved"))
        .await;
    // A second ruling: 409, saying whose the first was; nothing changes.
    let (s, body) = master(&bench, "POST", &path, Some(json!({"decision": "skip"}))).await;
    assert_eq!((s, body["error"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("already decided (Approve) by master 900001"), "{body}");
    assert_eq!(bench.app().store.escalation(id).unwrap().unwrap().ruling.unwrap().verdict, Verdict::Approve);
    bench.stop().await;
}

#[tokio::test]
async fn requests_are_only_looked_at_and_their_card_goes_to_the_chat() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(461_000_101, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    let id = bench.contact(&anna).unwrap().id;
    bench.message_containing(MASTER, "Agent request").await;

    let (s, body) = master(&bench, "GET", "/app/api/requests", None).await;
    assert_eq!(s, 200);
    let r = &body["requests"][0];
    assert_eq!(
        (r["id"].as_u64(), r["email"].as_str(), r["agent_name"].as_str()),
        (Some(id), Some("anna@acme.io"), Some("anna-agent"))
    );
    let parts: Vec<(String, u64)> = serde_json::from_value(r["parts"].clone()).unwrap();
    assert_eq!(parts.iter().map(|(_, p)| p).sum::<u64>(), r["score"].as_u64().unwrap(), "{parts:?}");
    assert!(parts.iter().any(|(w, _)| w == "company email"), "{parts:?}");

    // The panel does not approve: no such endpoint.
    for verb in ["approve", "reject"] {
        let (s, _) = master(&bench, "POST", &format!("/app/api/requests/{id}/{verb}"), Some(json!({}))).await;
        assert_eq!(s, 404, "{verb}");
    }
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::PendingReview);

    // [Decide in chat]: a fresh card with [Approve] [Reject] in the master's chat, which decides.
    let (s, body) = master(&bench, "POST", &format!("/app/api/requests/{id}/card"), None).await;
    assert_eq!((s, body["sent_to"].as_i64()), (200, Some(MASTER)), "{body}");
    let card = bench.message_containing(MASTER, "Agent request").await;
    assert!(card.text.contains("anna@acme.io"), "{}", card.text);
    assert_eq!(card.all_button_labels(), vec!["✅ Approve", "❌ Reject"]);
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Approve").unwrap());
    bench.toast(&q).await;
    assert_eq!(bench.app().store.decision(id).unwrap().map(|d| d.approved), Some(true));
    let (s, body) = master(&bench, "POST", &format!("/app/api/requests/{id}/card"), None).await;
    assert_eq!(s, 409, "decided already: {body}");
    let (s, _) = master(&bench, "POST", "/app/api/requests/424242/card", None).await;
    assert_eq!(s, 404);
    let (_, body) = master(&bench, "GET", "/app/api/requests", None).await;
    assert_eq!(body["requests"], json!([]));
    bench.stop().await;
}

#[tokio::test]
async fn a_lead_is_qualified_from_the_panel_and_the_funnel_counts_the_week() {
    let bench = Bench::new().await;
    bench.master(MASTER);
    let lead = bench.user(461_000_201, "en");
    let id = bench.on_contact_track(&lead, "lead@gmail.com").await;
    let (s, body) = master(&bench, "GET", "/app/api/leads", None).await;
    assert_eq!((s, body["leads"][0]["id"].as_u64()), (200, Some(id)), "{body}");

    let (s, body) = master(&bench, "GET", "/app/api/funnel", None).await;
    assert_eq!(s, 200);
    assert_eq!(body["stages"][3]["label"], "contact track");
    let week = body["weeks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(week["week"], "2026-11-23");
    assert_eq!(week["counts"], json!([1, 1, 0, 1, 0, 0, 0]));

    let (s, body) = master(&bench, "POST", &format!("/app/api/leads/{id}/qualify"), None).await;
    assert_eq!((s, body["state"].as_str()), (200, Some("qualified")), "{body}");
    assert_eq!(bench.contact(&lead).unwrap().state, ContactState::Qualified);
    let told = bench.reply(&lead).await;
    assert!(told.text.contains("@BotFather"), "the lead goes on to the bot step: {}", told.text);
    let (s, body) = master(&bench, "POST", &format!("/app/api/leads/{id}/qualify"), None).await;
    assert_eq!(s, 409, "{body}");
    let (s, _) = master(&bench, "POST", "/app/api/leads/x/qualify", None).await;
    assert_eq!(s, 400);
    let (_, body) = master(&bench, "GET", "/app/api/funnel", None).await;
    assert_eq!(body["weeks"].as_array().unwrap().last().unwrap()["counts"], json!([1, 1, 1, 1, 0, 0, 0]));
    bench.stop().await;
}

/// The panel's URL on each [📊 Open panel] button of a message.
fn panel_buttons(m: &tg_emulator::SentMessage) -> Vec<String> {
    m.buttons.iter().flatten().filter_map(|b| b.web_app.clone()).collect()
}

#[tokio::test]
async fn with_an_https_public_url_masters_open_the_panel_from_the_menu_fleet_home_and_brief() {
    let bench = Bench::with(&[("M2O_PUBLIC_URL", "https://bot.example.com/")]).await;
    let m = bench.master(MASTER);
    let panel = "https://bot.example.com/app/";
    let menu = bench.emu.menu_button(&bench.control.token, MASTER).expect("set at start-up");
    assert_eq!((menu["type"].as_str(), menu["web_app"]["url"].as_str()), (Some("web_app"), Some(panel)));
    assert_eq!(bench.emu.menu_button(&bench.control.token, STRANGER), None, "masters' chats only");

    bench.emu.send_text(&bench.control.token, &m, "/fleet");
    let fleet = bench.message_containing(MASTER, "no agents yet").await;
    assert_eq!(panel_buttons(&fleet), vec![panel]);
    assert_eq!(fleet.all_button_labels(), vec!["📊 Open panel"]);

    let anna = bench.user(461_000_301, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.message_containing(MASTER, "Agent request").await;
    bench.emu.send_text(&bench.control.token, &m, "/start");
    let home = bench.message_containing(MASTER, "Your fleet").await;
    assert_eq!(panel_buttons(&home), vec![panel]);
    bench.emu.send_text(&bench.control.token, &m, "/brief");
    let brief = bench.message_containing(MASTER, "Morning Brief").await;
    assert_eq!(panel_buttons(&brief), vec![panel], "{:?}", brief.all_button_labels());
    assert!(brief.all_button_labels().iter().any(|l| l.contains("Approve")), "the brief's own buttons stay");
    bench.stop().await;
}

#[tokio::test]
async fn without_https_there_is_no_menu_button_and_no_panel_button() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    assert!(bench.app().config.public_url.starts_with("http://"));
    assert_eq!(bench.emu.menu_button(&bench.control.token, MASTER), None);
    assert_eq!(bench.emu.call_count("setChatMenuButton"), 0);
    bench.emu.send_text(&bench.control.token, &m, "/fleet");
    let fleet = bench.message_containing(MASTER, "no agents yet").await;
    assert!(fleet.buttons.is_empty(), "{:?}", fleet.all_button_labels());
    bench.stop().await;
}
