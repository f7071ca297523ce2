//! The agents' HTTP API on a real socket: every endpoint with good input and each error class, the
//! stuck protocol end to end (buttons → approve / skip / modify → the agent sees it by polling and by
//! callback) and the autonomy radius (one action of each colour and an unknown one).

mod common;

use common::*;
use m2o_bot::domain::agent::AgentState;
use serde_json::{json, Value};
use std::time::Duration;
use tg_emulator::{BotEvent, TestUser};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORCHESTRATOR: i64 = 900_003;

/// A bench with one live agent, `peter`, spawned by the master (dry run), and its API token.
async fn with_agent(extra: &[(&str, &str)]) -> (Bench, TestUser, String) {
    let mut vars = vec![("M2O_ORCHESTRATOR_IDS", "900003")];
    vars.extend_from_slice(extra);
    let bench = Bench::with(&vars).await;
    let m = bench.master(MASTER);
    bench.master(ORCHESTRATOR);
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    bench.message_containing(m.id, "⚡ peter is online").await;
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    let token = bench.app().secrets.agent_api_token("peter", agent.generation());
    (bench, m, token)
}

fn url(bench: &Bench, p: &str) -> String {
    format!("http://{}{p}", bench.http_addr.unwrap())
}

async fn post(bench: &Bench, token: Option<&str>, p: &str, body: Value) -> (u16, Value) {
    let mut r = reqwest::Client::new().post(url(bench, p)).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn get(bench: &Bench, token: &str, p: &str) -> (u16, Value) {
    let r = reqwest::Client::new().get(url(bench, p)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn heartbeat_feeds_the_fleet_and_every_error_class_changes_nothing() {
    let (bench, _m, token) = with_agent(&[("M2O_AGENT_RATE_PER_MIN", "10")]).await;
    let (s, body) = post(
        &bench,
        Some(&token),
        "/v1/agents/peter/heartbeat",
        json!({"doing": "TopoDIM blog post 3", "card": "101"}),
    )
    .await;
    assert_eq!((s, body), (200, json!({"ok": true})));
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    assert_eq!(agent.doing.as_deref(), Some("TopoDIM blog post 3"));

    // 401: none, wrong, and someone else's name.
    let (s, body) = post(&bench, None, "/v1/escalations", json!({})).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("unauthorized")));
    let (s, _) = post(&bench, Some("m2o_wrong"), "/v1/agents/peter/heartbeat", json!({})).await;
    assert_eq!(s, 401);
    let (s, _) = post(&bench, Some(&token), "/v1/agents/maya/heartbeat", json!({})).await;
    assert_eq!(s, 401);
    // 415: a body that is not sent as JSON.
    let r = reqwest::Client::new()
        .post(url(&bench, "/v1/escalations"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"doing": "x", "tried": [], "need": "y"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // 400: bad JSON, a missing field (named), an empty need, a mistyped field.
    let r = reqwest::Client::new()
        .post(url(&bench, "/v1/escalations"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("bad JSON"), "{body}");
    let (s, body) = post(&bench, Some(&token), "/v1/escalations", json!({"doing": "x", "tried": []})).await;
    assert_eq!(s, 400);
    assert!(body["message"].as_str().unwrap().contains("need"), "{body}");
    let (s, body) =
        post(&bench, Some(&token), "/v1/escalations", json!({"doing": "x", "tried": [], "need": "  "})).await;
    assert_eq!(s, 400);
    assert!(body["message"].as_str().unwrap().contains("`need` must not be empty"), "{body}");
    let (s, _) =
        post(&bench, Some(&token), "/v1/escalations", json!({"doing": "x", "tried": "curl", "need": "y"})).await;
    assert_eq!(s, 400);
    // 413 over 64 KiB.
    let big = json!({"doing": "x".repeat(70_000), "tried": [], "need": "y"});
    let (s, body) = post(&bench, Some(&token), "/v1/escalations", big).await;
    assert_eq!((s, body["error"].as_str()), (413, Some("too_large")));
    // 404: an unknown escalation; an unknown path.
    let (s, body) = get(&bench, &token, "/v1/escalations/424242").await;
    assert_eq!((s, body["error"].as_str()), (404, Some("not_found")));
    assert!(bench.app().store.escalations().unwrap().is_empty(), "no error stored anything");
    // 429 past the per-agent rate (10/min here; 9 used so far, refused ones included).
    let (s, _) = post(&bench, Some(&token), "/v1/agents/peter/heartbeat", json!({})).await;
    assert_eq!(s, 200);
    let r = reqwest::Client::new()
        .post(url(&bench, "/v1/agents/peter/heartbeat"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());

    // healthz and metrics.
    let h: Value = reqwest::get(url(&bench, "/healthz")).await.unwrap().json().await.unwrap();
    assert_eq!(h["ok"], true, "{h}");
    let metrics = reqwest::get(url(&bench, "/metrics")).await.unwrap().text().await.unwrap();
    for line in [
        "m2o_updates_total",
        "m2o_outbox_depth",
        "m2o_jobs{state=\"done\"} 1",
        "m2o_api_requests_total{status=\"401\"} 3",
        "m2o_api_requests_total{status=\"429\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    bench.stop().await;
}

/// The per-agent limit refills by the bot's clock (the one tests and the console's `:time` move),
/// not by the machine's: a limited agent gets through again once the clock says its minute passed.
#[tokio::test]
async fn the_rate_limit_refills_by_the_bots_clock() {
    let (bench, _m, token) = with_agent(&[("M2O_AGENT_RATE_PER_MIN", "2")]).await;
    let beat = || post(&bench, Some(&token), "/v1/agents/peter/heartbeat", json!({}));
    assert_eq!(beat().await.0, 200);
    assert_eq!(beat().await.0, 200);
    let (s, body) = beat().await;
    assert_eq!((s, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
    bench.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(beat().await.0, 200, "half a minute later one request is free again");
    assert_eq!(beat().await.0, 429, "and only one");
    bench.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(beat().await.0, 200);
    assert_eq!(beat().await.0, 200);
    bench.stop().await;
}

#[tokio::test]
async fn a_destroyed_agent_is_told_409() {
    let (bench, m, token) = with_agent(&[]).await;
    let ask = {
        bench.emu.send_text(&bench.control.token, &m, "/destroy peter");
        bench.message_containing(m.id, "cannot be undone").await
    };
    bench.emu.tap(&bench.control.token, &m, ask.message_id, &ask.button_data("Destroy").unwrap());
    bench
        .eventually("destroyed", |b| b.app().store.agent("peter").unwrap().unwrap().state == AgentState::Destroyed)
        .await;
    let (s, body) = post(&bench, Some(&token), "/v1/agents/peter/online", json!({})).await;
    assert_eq!((s, body["error"].as_str()), (409, Some("conflict")));
    bench.stop().await;
}

async fn answer_of(bench: &Bench, chat: i64, query: &str) -> Option<String> {
    loop {
        match bench.emu.next_event(&bench.control.token, chat, WAIT).await.expect("an answer") {
            BotEvent::CallbackAnswered { query_id, text, .. } if query_id == query => return text,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn an_escalation_reaches_the_orchestrator_and_each_decision_reaches_the_agent() {
    let (bench, m, token) = with_agent(&[("M2O_CALLBACK_HOSTS", "127.0.0.1")]).await;
    let orch = bench.emu.add_user(ORCHESTRATOR, "Orch", None, Some("en"));
    let callback = MockServer::start().await;
    Mock::given(method("POST")).and(path("/decisions")).respond_with(ResponseTemplate::new(200)).mount(&callback).await;
    let (s, _) = post(
        &bench,
        Some(&token),
        "/v1/agents/peter/online",
        json!({"callback_url": format!("{}/decisions", callback.uri())}),
    )
    .await;
    assert_eq!(s, 200);

    // 1. Approve the proposed fix.
    let (s, body) = post(
        &bench,
        Some(&token),
        "/v1/escalations",
        json!({"doing": "deploying machinemachine-api v2.1", "tried": ["curl deploy endpoint", "checked Coolify logs — 422 on fqdn field"],
               "need": "someone with Coolify API access to set fqdn manually", "proposed_fix": "set fqdn to api.machinemachine.ai"}),
    )
    .await;
    assert_eq!(s, 201);
    let id = body["id"].as_u64().unwrap();
    let notice = bench.message_containing(ORCHESTRATOR, "peter is stuck").await;
    for part in [
        "deploying machinemachine-api v2.1",
        "• checked Coolify logs — 422 on fqdn field",
        "Needs: someone with Coolify API access",
        "Proposed fix: set fqdn",
    ] {
        assert!(notice.text.contains(part), "{part} missing in {}", notice.text);
    }
    assert_eq!(notice.all_button_labels(), vec!["✅ Approve proposed fix", "❌ Skip", "🔄 Modify"]);
    assert!(
        bench.emu.transcript(&bench.control.token, MASTER).iter().all(|e| !e.text.contains("is stuck")),
        "not urgent: the orchestrator only"
    );
    let (_, status) = get(&bench, &token, &format!("/v1/escalations/{id}")).await;
    assert_eq!(status["state"], "open");
    let q = bench.emu.tap(&bench.control.token, &orch, notice.message_id, &notice.button_data("Approve").unwrap());
    assert_eq!(answer_of(&bench, ORCHESTRATOR, &q).await.as_deref(), Some("Sent to peter."));
    let (_, status) = get(&bench, &token, &format!("/v1/escalations/{id}")).await;
    assert_eq!(
        (status["state"].as_str(), status["decision"].as_str(), status["decided_by"].as_str()),
        (Some("decided"), Some("approve"), Some("master 900003"))
    );
    bench
        .eventually("notice settled", |b| {
            b.current_text(ORCHESTRATOR, notice.message_id).contains("proposed fix approved")
        })
        .await;
    // A second tap is told, and changes nothing.
    let q = bench.emu.tap(&bench.control.token, &orch, notice.message_id, &notice.button_data("Skip").unwrap());
    assert!(answer_of(&bench, ORCHESTRATOR, &q).await.unwrap().starts_with("already decided"));

    // 2. Skip; urgent, so the master hears it at once too; no proposed fix, so no approve button.
    let (_, body) = post(
        &bench,
        Some(&token),
        "/v1/escalations",
        json!({"doing": "billing run", "tried": [], "need": "a card that works", "urgent": true}),
    )
    .await;
    let id2 = body["id"].as_u64().unwrap();
    let urgent = bench.message_containing(MASTER, "URGENT").await;
    assert!(urgent.text.contains("Proposed fix: (none proposed"), "{}", urgent.text);
    assert_eq!(urgent.all_button_labels(), vec!["❌ Skip", "🔄 Modify"]);
    let q = bench.emu.tap(&bench.control.token, &m, urgent.message_id, &urgent.button_data("Skip").unwrap());
    answer_of(&bench, MASTER, &q).await;
    let (_, status) = get(&bench, &token, &format!("/v1/escalations/{id2}")).await;
    assert_eq!(status["decision"], "skip");

    // 3. Modify: the next message from the one who tapped is the decision.
    let (_, body) = post(
        &bench,
        Some(&token),
        "/v1/escalations",
        json!({"doing": "d", "tried": ["a"], "need": "n", "proposed_fix": "f"}),
    )
    .await;
    let id3 = body["id"].as_u64().unwrap();
    let n3 = bench.message_containing(ORCHESTRATOR, &format!("(#{id3})")).await;
    bench.emu.tap(&bench.control.token, &orch, n3.message_id, &n3.button_data("Modify").unwrap());
    bench.message_containing(ORCHESTRATOR, "Send the instruction").await;
    bench.emu.send_text(&bench.control.token, &orch, "use the staging cluster instead");
    bench.message_containing(ORCHESTRATOR, "Sent to peter.").await;
    let (_, status) = get(&bench, &token, &format!("/v1/escalations/{id3}")).await;
    assert_eq!(
        (status["decision"].as_str(), status["note"].as_str()),
        (Some("modify"), Some("use the staging cluster instead"))
    );

    // The callback received all three decisions.
    bench.eventually("callbacks delivered", |b| b.app().store.outbox_len() == 0).await;
    let calls = callback.received_requests().await.unwrap();
    let decisions: Vec<String> = calls
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["decision"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(decisions, vec!["approve", "skip", "modify"]);
    // Another agent cannot read these.
    let (s, _) = get(&bench, "m2o_someone_else", &format!("/v1/escalations/{id}")).await;
    assert_eq!(s, 401);
    bench.stop().await;
}

#[tokio::test]
async fn the_autonomy_radius_green_yellow_red_and_unknown() {
    let (bench, m, token) = with_agent(&[]).await;
    let orch = bench.emu.add_user(ORCHESTRATOR, "Orch", None, Some("en"));
    let (s, green) =
        post(&bench, Some(&token), "/v1/actions", json!({"action": "read_files", "summary": "read the brief"})).await;
    assert_eq!((s, green["decision"].as_str()), (201, Some("auto")));
    let (_, yellow) =
        post(&bench, Some(&token), "/v1/actions", json!({"action": "deploy_production", "summary": "api v2.1"})).await;
    assert_eq!(yellow["decision"], "pending");
    let y = bench.message_containing(ORCHESTRATOR, "asks to deploy_production").await;
    assert!(y.text.starts_with("🟡"), "{}", y.text);
    let (_, red) =
        post(&bench, Some(&token), "/v1/actions", json!({"action": "spend_credits", "summary": "$40 of GPU"})).await;
    assert_eq!(red["decision"], "pending");
    let (_, unknown) =
        post(&bench, Some(&token), "/v1/actions", json!({"action": "launch_rocket", "summary": "to the moon"})).await;
    assert_eq!((unknown["decision"].as_str(), unknown["radius"].as_str()), (Some("pending"), Some("red")));
    let r = bench.message_containing(MASTER, "asks to spend_credits").await;
    assert!(r.text.starts_with("🔴"), "{}", r.text);

    // The orchestrator decides 🟡; only a master decides 🔴.
    let q = bench.emu.tap(&bench.control.token, &orch, y.message_id, &y.button_data("Approve").unwrap());
    answer_of(&bench, ORCHESTRATOR, &q).await;
    let (_, status) = get(&bench, &token, &format!("/v1/actions/{}", yellow["id"])).await;
    assert_eq!(status["state"], "approved");
    let forged = bench.emu.tap(&bench.control.token, &orch, y.message_id, &format!("ac:{}:a", red["id"]));
    assert_eq!(answer_of(&bench, ORCHESTRATOR, &forged).await.as_deref(), Some("only a master decides 🔴 actions"));
    let (_, status) = get(&bench, &token, &format!("/v1/actions/{}", red["id"])).await;
    assert_eq!(status["state"], "pending");
    let q = bench.emu.tap(&bench.control.token, &m, r.message_id, &r.button_data("Reject").unwrap());
    answer_of(&bench, MASTER, &q).await;
    let (_, status) = get(&bench, &token, &format!("/v1/actions/{}", red["id"])).await;
    assert_eq!((status["state"].as_str(), status["decided_by"].as_str()), (Some("rejected"), Some("master 900001")));
    let audit = bench.app().store.audit_log().unwrap();
    assert!(
        audit.iter().any(|e| e.event == "action" && e.why.contains("read_files") && e.why.contains("Green")),
        "the 🟢 one is audited"
    );
    bench.stop().await;
}

/// An escalation longer than a Telegram message used to be refused by Telegram ("message is too
/// long") and retried for ever: its notice is now cut to fit, with its buttons, and the outbox
/// empties.
#[tokio::test]
async fn an_escalation_longer_than_a_message_reaches_the_deciders_cut_to_fit() {
    let (bench, _m, token) = with_agent(&[]).await;
    bench.emu.add_user(ORCHESTRATOR, "Orch", None, Some("en"));
    let need = format!("a very long need {}", "🟢 lorem ipsum ".repeat(600));
    let (s, body) = post(
        &bench,
        Some(&token),
        "/v1/escalations",
        json!({"doing": "writing", "tried": ["x"], "need": need, "proposed_fix": "shorten it"}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let notice = bench.message_containing(ORCHESTRATOR, "peter is stuck").await;
    assert!(notice.text.encode_utf16().count() <= 4096 && notice.text.ends_with('…'), "{}", notice.text.len());
    assert_eq!(notice.all_button_labels(), vec!["✅ Approve proposed fix", "❌ Skip", "🔄 Modify"]);
    assert_eq!(bench.outbox_drained().await, 0, "nothing left to retry");
    bench.stop().await;
}

/// A client that sends its request slowly used to hold a connection open for as long as it liked
/// (six stayed 40 s). Headers and body must now arrive within M2O_HTTP_READ_TIMEOUT_MS.
#[tokio::test]
async fn slow_requests_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (bench, _m, token) = with_agent(&[("M2O_HTTP_READ_TIMEOUT_MS", "300")]).await;
    let addr = bench.http_addr.unwrap();

    // Headers that never finish: the connection is closed.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /v1/escalations HTTP/1.1\r\nHost: bot\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "still open after 5 s");
    assert!(started.elapsed() < Duration::from_secs(3), "closed after {:?}", started.elapsed());

    // A body that never finishes: 408.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/escalations HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"doing\""
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(bench.app().store.escalations().unwrap().is_empty());

    // And the API still answers everyone else.
    let (s, _) = post(&bench, Some(&token), "/v1/agents/peter/heartbeat", json!({})).await;
    assert_eq!(s, 200);
    bench.stop().await;
}

/// An agent's `callback_url` may only point where the operator allows (M2O_CALLBACK_HOSTS): an
/// agent token could otherwise make the bot POST to the fleet's internal services.
#[tokio::test]
async fn callback_urls_only_to_allowed_hosts() {
    let (bench, _m, token) = with_agent(&[("M2O_CALLBACK_HOSTS", "*.agents.internal,10.0.0.5")]).await;
    for refused in [
        "http://127.0.0.1:8000/x",
        "http://coolify:8000/api",
        "http://169.254.169.254/latest",
        "http://agents.internal.evil.io/x",
    ] {
        let (s, body) = post(&bench, Some(&token), "/v1/agents/peter/online", json!({"callback_url": refused})).await;
        assert_eq!(s, 400, "{refused}: {body}");
        assert!(body["message"].as_str().unwrap().contains("M2O_CALLBACK_HOSTS"), "{body}");
    }
    assert_eq!(bench.app().store.agent("peter").unwrap().unwrap().callback_url, None, "nothing stored");
    for allowed in ["http://peter.agents.internal:9000/decisions", "https://10.0.0.5/d"] {
        let (s, body) = post(&bench, Some(&token), "/v1/agents/peter/online", json!({"callback_url": allowed})).await;
        assert_eq!(s, 200, "{allowed}: {body}");
    }
    bench.stop().await;
}
