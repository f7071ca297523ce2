//! Webhook mode (issue 11, item 2): Telegram (here the emulator, after our `setWebhook`) POSTs
//! each update to `M2O_WEBHOOK_URL`'s path on `M2O_HTTP_ADDR` with our secret; the same dispatch
//! tree answers. A POST without the right secret is refused and not processed; too big is 413; not
//! JSON is 400; a restart in webhook mode resumes the conversation.

mod common;

use common::*;
use m2o_bot::domain::ContactState;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn webhook_bench() -> (Bench, String) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/telegram/hook");
    let bench = Bench::with(&[("M2O_HTTP_ADDR", &format!("127.0.0.1:{port}")), ("M2O_WEBHOOK_URL", &url)]).await;
    (bench, url)
}

#[tokio::test]
async fn updates_arrive_by_post_with_the_secret_and_the_conversation_survives_a_restart() {
    let (mut bench, url) = webhook_bench().await;
    let anna = bench.user(501_000_001, "en");
    let welcome = bench.say(&anna, "/start").await;
    assert!(welcome.text.contains("Welcome"), "{}", welcome.text);
    let sent = bench.say(&anna, "anna@acme.io").await;
    assert!(sent.text.contains("sent a 6-digit code"), "{}", sent.text);

    // While the webhook is set, getUpdates is refused, as Telegram does.
    let client = reqwest::Client::new();
    let poll =
        client.post(format!("{}bot{}/getUpdates", bench.emu.api_url(), bench.control.token)).send().await.unwrap();
    assert_eq!(poll.status(), 409);

    // Forged or missing secret: 401, nothing processed.
    let update = serde_json::json!({
        "update_id": 999_001,
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": "/start",
            "chat": { "id": 501_000_002, "type": "private", "first_name": "Mallory" },
            "from": { "id": 501_000_002, "is_bot": false, "first_name": "Mallory" },
        },
    });
    for secret in [Some("wrong"), None] {
        let mut post = client.post(&url).json(&update);
        if let Some(s) = secret {
            post = post.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(post.send().await.unwrap().status(), 401, "{secret:?}");
    }
    let secret = m2o_bot::bot::webhook::secret(bench.app());
    let big = vec![b' '; 2 << 20];
    let r = client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", &secret).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let r = client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", &secret).body("not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let mallory = bench.emu.add_user(501_000_002, "Mallory", None, Some("en"));
    bench.silent(&mallory).await;
    assert!(bench.app().store.contact_by_user(501_000_002).unwrap().is_none());
    let health: serde_json::Value =
        client.get(format!("http://{}/healthz", bench.http_addr.unwrap())).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["updates"], "webhook");

    // A restart in webhook mode: setWebhook again, and the code step goes on.
    bench.restart().await;
    let code = bench.last_code("anna@acme.io").await;
    let ok = bench.say(&anna, &code).await;
    assert!(ok.text.starts_with("✅ Email confirmed"), "{}", ok.text);
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::Qualifying);
    // A managed_bot update, which teloxide cannot read, comes through the webhook too.
    let created = bench.emu.create_bot("anna_helper_bot", "Anna");
    bench.emu.managed_bot_update(&bench.control.token, &anna, &created);
    bench
        .eventually("recorded", |b| b.app().store.audit_log().unwrap().iter().any(|e| e.event == "managed_bot_unasked"))
        .await;
    let metrics =
        client.get(format!("http://{}/metrics", bench.http_addr.unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("m2o_webhook_refused_total 0"), "a new process counts from zero: {metrics}");
    bench.stop().await;
}

/// In webhook mode no poll would notice our token revoked; the first message the outbox tries to
/// send does: the bot reports it (503 with the reason) so the process exits and is restarted, and
/// the message waits in the outbox for the new token.
#[tokio::test]
async fn a_token_refused_on_send_in_webhook_mode_makes_the_bot_unhealthy() {
    let (bench, _) = webhook_bench().await;
    let anna = bench.user(501_000_009, "en");
    bench.say(&anna, "/start").await; // the dispatcher is up
    bench.emu.revoke(&bench.control.token);
    let notice = m2o_bot::store::OutboxItem::telegram(MASTER, "📋 A notice".into());
    bench.app().commit(&m2o_bot::store::Change { outbox: vec![notice], ..Default::default() }).unwrap();
    bench.eventually("the failure is recorded", |b| b.app().metrics.failure().is_some()).await;
    let response = reqwest::get(format!("http://{}/healthz", bench.http_addr.unwrap())).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["reason"].as_str().unwrap().starts_with("Telegram refuses TELOXIDE_TOKEN (401"), "{body}");
    assert_eq!(bench.app().store.outbox_len(), 1, "the notice waits for the new token");
    bench.stop().await;
}
