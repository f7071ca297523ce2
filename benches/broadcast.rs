//! Broadcast benchmark (BENCHMARKS.md, "3. Broadcast"): a digest fanned out to 900 chats through
//! the outbox, with the emulator enforcing Telegram's flood limits (30 messages/s per bot, 1/s per
//! chat). Target: zero 429 answers, and wall time ≤ 1.05 × 900/30 s — Telegram's limit is the
//! floor.
//!
//! The 900 messages are queued in one transaction (as the weekly digest or a nurture wave would be)
//! and the real delivery worker sends them through its pacer (`services::pacer`).
//!
//! `cargo bench --bench broadcast` (env `M2O_BENCH_CHATS`, default 900).

use m2o_bot::app::App;
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::server;
use m2o_bot::store::{Change, OutboxItem};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tg_emulator::Emulator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let chats: usize = std::env::var("M2O_BENCH_CHATS").ok().and_then(|v| v.parse().ok()).unwrap_or(900);
    let emu = Emulator::start().await?;
    let control = emu.create_bot("m2o_bench_bot", "M2O");
    let first = 7_000_000_000_i64;
    for i in 0..chats as i64 {
        emu.add_user(first + i, "Lead", None, Some("en"));
        emu.press_start(&control.token, first + i);
    }
    let dir = tempfile::tempdir()?;
    let vars: HashMap<&str, String> = [
        ("TELOXIDE_TOKEN", control.token.clone()),
        ("TELOXIDE_API_URL", emu.api_url().to_string()),
        ("M2O_MASTER_IDS", "900001".to_string()),
        ("M2O_DATA_DIR", dir.path().display().to_string()),
        ("M2O_HTTP_ADDR", "127.0.0.1:0".to_string()),
        ("M2O_SECRET_KEY", "ab".repeat(32)),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|n| vars.get(n).cloned()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let app = App::build(config, Arc::new(SystemClock))?;
    let running = server::start(app.clone(), Duration::from_secs(1)).await?;
    emu.set_rate_limits(true);

    let items = (0..chats as i64)
        .map(|i| OutboxItem::telegram(first + i, format!("📋 This week's digest, lead {i}")))
        .collect();
    let started = Instant::now();
    app.store.commit(&Change { outbox: items, ..Change::default() })?;
    app.outbox_ready.notify_one();
    while app.store.outbox_len() > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "the outbox did not drain in 10 minutes");
    }
    let wall = started.elapsed();
    let delivered = emu.call_count("sendMessage");
    let floor = chats as f64 / 30.0;
    println!("broadcast: {chats} chats, {delivered} sendMessage calls, {} × 429", emu.count_429());
    println!(
        "wall time {:.2} s; floor {floor:.2} s; ratio {:.3} (target ≤ 1.05)",
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor
    );
    println!(
        "target zero 429: {}; target wall ≤ 1.05 × floor: {}",
        if emu.count_429() == 0 { "met" } else { "MISSED" },
        if wall.as_secs_f64() <= 1.05 * floor { "met" } else { "MISSED" }
    );
    running.stop().await;
    Ok(())
}
