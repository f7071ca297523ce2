//! Starting the bot when something is in the way: a start that fails leaves nothing running.

use m2o_bot::app::App;
use m2o_bot::clock::ManualClock;
use m2o_bot::config::Config;
use m2o_bot::server;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tg_emulator::Emulator;

const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// `M2O_HTTP_ADDR` is taken by another process: `start` says so, and neither the dispatcher nor
/// the outbox worker is left running — nothing polls Telegram, the store is free to reopen.
#[tokio::test]
async fn a_taken_http_address_fails_the_start_and_leaves_nothing_running() {
    let emu = Emulator::start().await.expect("emulator starts");
    let control = emu.create_bot("m2o_test_bot", "M2O");
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = taken.local_addr().expect("its address");
    let dir = tempfile::tempdir().expect("a temp dir");
    let vars: HashMap<&str, String> = HashMap::from([
        ("TELOXIDE_TOKEN", control.token.clone()),
        ("TELOXIDE_API_URL", emu.api_url().to_string()),
        ("M2O_MASTER_IDS", "900001".to_string()),
        ("M2O_DATA_DIR", dir.path().display().to_string()),
        ("M2O_SECRET_KEY", SECRET_KEY.to_string()),
        ("M2O_HTTP_ADDR", addr.to_string()),
    ]);
    let config = Config::from_lookup(|n| vars.get(n).cloned()).expect("valid configuration");
    let clock = Arc::new(ManualClock::new("2026-11-24T10:00:00Z".parse().expect("a time")));
    let app = App::build(config, clock).expect("app builds");

    let error = match server::start(app.clone(), Duration::from_millis(200)).await {
        Ok(_) => panic!("started on a taken address"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("M2O_HTTP_ADDR") && error.contains(&addr.to_string()), "{error}");

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(emu.call_count("getUpdates"), 0, "a dispatcher was left polling Telegram");
    assert_eq!(Arc::strong_count(&app), 1, "a task still holds the app (and the store)");
    drop(app);
    let mut reopened = m2o_bot::store::Store::open(dir.path());
    for _ in 0..100 {
        if reopened.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        reopened = m2o_bot::store::Store::open(dir.path());
    }
    assert!(reopened.is_ok(), "the store is still locked");
    drop(taken);
}
