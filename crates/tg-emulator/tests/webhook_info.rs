//! getWebhookInfo as the Bot API server answers it (the spec's WebhookInfo, and the reference
//! server's `Client::JsonWebhookInfo`): the url and the pending updates always; the optional fields
//! only when they hold something; a failed delivery as the last error, worded as Telegram words it.

use std::time::Duration;

use serde_json::{json, Value};
use tg_emulator::Emulator;

/// A method with a JSON body; the `result` of a successful answer.
async fn call(emu: &Emulator, token: &str, method: &str, body: Value) -> Value {
    let url = format!("{}bot{token}/{method}", emu.api_url());
    let answer: Value = reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["ok"], true, "{method}: {answer}");
    answer["result"].clone()
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls getWebhookInfo until `done` holds (the delivery task runs on its own).
async fn info_until(emu: &Emulator, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..250 {
        let info = call(emu, token, "getWebhookInfo", json!({})).await;
        if done(&info) {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("getWebhookInfo never reached the expected state: {}", call(emu, token, "getWebhookInfo", json!({})).await);
}

#[tokio::test]
async fn a_polling_bot_has_an_empty_url_and_only_the_required_fields() {
    let emu = Emulator::start().await.unwrap();
    let bot = emu.create_bot("acme_fleet_bot", "Acme");
    let anna = emu.add_user(421000001, "Anna", None, None);
    emu.send_text(&bot.token, &anna, "hello");
    let info = call(&emu, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info, json!({"url": "", "has_custom_certificate": false, "pending_update_count": 1}));

    // Once the bot chose its update kinds, Telegram says which.
    call(&emu, &bot.token, "getUpdates", json!({"allowed_updates": ["message", "managed_bot"], "offset": -1})).await;
    let info = call(&emu, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["allowed_updates"], json!(["message", "managed_bot"]));
}

#[tokio::test]
async fn a_failed_delivery_is_the_last_error_until_the_webhook_is_deleted() {
    let emu = Emulator::start().await.unwrap();
    let bot = emu.create_bot("acme_fleet_bot", "Acme");
    let anna = emu.add_user(421000001, "Anna", None, None);
    emu.send_text(&bot.token, &anna, "hello");
    let hook = format!("http://127.0.0.1:{}/hook", closed_port());
    call(&emu, &bot.token, "setWebhook", json!({"url": hook, "max_connections": 10})).await;

    let info = info_until(&emu, &bot.token, |i| i.get("last_error_message").is_some()).await;
    assert_eq!(info["url"], hook.as_str());
    assert_eq!(info["last_error_message"], "Connection refused");
    let now = chrono::Utc::now().timestamp();
    let date = info["last_error_date"].as_i64().expect("a unix time");
    assert!((now - 60..=now).contains(&date), "{date} is not just now");
    assert_eq!(info["pending_update_count"], 1, "the update waits for a delivery that works");
    assert_eq!(info["max_connections"], 10);
    assert_eq!(info["ip_address"], "127.0.0.1");

    call(&emu, &bot.token, "deleteWebhook", json!({})).await;
    let info = call(&emu, &bot.token, "getWebhookInfo", json!({})).await;
    assert_eq!(info, json!({"url": "", "has_custom_certificate": false, "pending_update_count": 1}));
}

#[tokio::test]
async fn a_webhook_that_answers_an_error_status_is_reported_with_it() {
    use axum::{http::StatusCode, routing::post, Router};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new().route("/hook", post(|| async { StatusCode::BAD_GATEWAY }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let emu = Emulator::start().await.unwrap();
    let bot = emu.create_bot("acme_fleet_bot", "Acme");
    let anna = emu.add_user(421000001, "Anna", None, None);
    emu.send_text(&bot.token, &anna, "hello");
    call(&emu, &bot.token, "setWebhook", json!({"url": hook})).await;
    let info = info_until(&emu, &bot.token, |i| i.get("last_error_message").is_some()).await;
    assert_eq!(info["last_error_message"], "Wrong response from the webhook: 502 Bad Gateway");
    assert_eq!(info["max_connections"], 40, "Telegram's default");
}
