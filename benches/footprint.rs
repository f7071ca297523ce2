//! Footprint benchmark (BENCHMARKS.md, "4. Footprint"): 100,000 contacts and 10,000 agents in the
//! store. Targets: start-up to the first poll ≤ 300 ms, RSS ≤ 50 MB idle, `/fleet` and the brief
//! each composed in ≤ 50 ms.
//!
//! The store is seeded through `Store::commit` by a child process (so none of the seeding's memory
//! is counted); this process then opens it as the bot does (`App::build` + `server::start`) against
//! the emulator, with one update already waiting, and times until that first `getUpdates` is
//! answered. Idle RSS is read after the first scheduler pass (brief, nurture scan) and a moment of
//! quiet.
//!
//! `cargo bench --bench footprint` (env `M2O_BENCH_CONTACTS`, `M2O_BENCH_AGENTS`).

use chrono::Utc;
use m2o_bot::app::App;
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::domain::agent::{Agent, AgentState, NewAgent};
use m2o_bot::domain::{Contact, ContactState};
use m2o_bot::server;
use m2o_bot::store::{Change, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tg_emulator::Emulator;

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn seed(dir: &std::path::Path, contacts: usize, agents: usize) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let now = Utc::now();
    let states = [ContactState::ContactTrack, ContactState::Qualified, ContactState::Live, ContactState::PendingReview];
    for i in 0..contacts {
        let mut c = Contact::new(
            i as u64 + 1,
            1_000_000 + i as i64,
            1_000_000 + i as i64,
            "en",
            &format!("lead{i}@example{}.com", i % 97),
            now,
        );
        c.state = states[i % states.len()];
        c.score = Some(50 + (i % 60) as u32);
        c.timezone = Some("Europe/Warsaw".into());
        store.commit(&Change { contact: Some(c), ..Change::default() })?;
    }
    for i in 0..agents {
        let new = NewAgent {
            name: format!("agent-{i}"),
            contact_id: Some(i as u64 + 1),
            owner_user_id: 1_000_000 + i as i64,
            owner_label: format!("lead{i}@example.com"),
            bot_id: 5_000_000 + i as i64,
            bot_username: format!("agent_{i}_bot"),
            token_sealed: "00".repeat(60),
            timezone: "UTC".into(),
            provisioner: "dry-run".into(),
            job_id: 10_000_000 + i as u64,
            last_event: "online".into(),
        };
        let mut a = Agent::provisioning(new, now);
        a.state = if i % 10 == 0 { AgentState::Degraded } else { AgentState::Live };
        a.heartbeat_at = Some(now);
        a.doing = Some(format!("card {i}"));
        store.commit(&Change { agent: Some(a), ..Change::default() })?;
    }
    store.flush_blocking()?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let contacts: usize = std::env::var("M2O_BENCH_CONTACTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let agents: usize = std::env::var("M2O_BENCH_AGENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--seed") {
        return seed(std::path::Path::new(&args[i + 1]), contacts, agents);
    }
    let dir = tempfile::tempdir()?;
    let seeding = Instant::now();
    let status = std::process::Command::new(std::env::current_exe()?).arg("--seed").arg(dir.path()).status()?;
    anyhow::ensure!(status.success(), "seeding failed");
    println!("seeded {contacts} contacts and {agents} agents in {:.1} s", seeding.elapsed().as_secs_f64());
    println!("RSS before start: {} KiB", rss_kib("VmRSS:"));

    let emu = Emulator::start().await?;
    let control = emu.create_bot("m2o_bench_bot", "M2O");
    let waiting = emu.add_user(42, "First", None, Some("en"));
    emu.send_text(&control.token, &waiting, "/help");
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
    let started = Instant::now();
    let config = Config::from_lookup(|n| vars.get(n).cloned()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let app = App::build(config, Arc::new(SystemClock))?;
    let running = server::start(app.clone(), Duration::from_secs(30)).await?;
    while emu.call_count("getUpdates") == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "no poll within a minute");
    }
    let to_poll = started.elapsed();
    // Idle: after the first scheduler pass and a moment of quiet.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = rss_kib("VmRSS:");
    let t = Instant::now();
    let fleet = m2o_bot::bot::views::fleet(&app);
    let fleet_time = t.elapsed();
    let t = Instant::now();
    let now = Utc::now();
    let brief = m2o_bot::fleet::brief::messages(&app, now, now.date_naive()).await?;
    let brief_time = t.elapsed();
    let peak = rss_kib("VmHWM:");
    println!(
        "start-up to first poll: {:.1} ms (target ≤ 300 ms: {})",
        to_poll.as_secs_f64() * 1e3,
        verdict(to_poll <= Duration::from_millis(300))
    );
    println!(
        "RSS idle: {:.1} MB (target ≤ 50 MB: {}); peak {:.1} MB",
        idle_rss as f64 / 1024.0,
        verdict(idle_rss <= 50 * 1024),
        peak as f64 / 1024.0
    );
    println!(
        "/fleet composed in {:.1} ms ({} chars; target ≤ 50 ms: {})",
        fleet_time.as_secs_f64() * 1e3,
        fleet.len(),
        verdict(fleet_time <= Duration::from_millis(50))
    );
    println!(
        "brief composed in {:.1} ms ({} messages; target ≤ 50 ms: {})",
        brief_time.as_secs_f64() * 1e3,
        brief.map_or(0, |b| b.len()),
        verdict(brief_time <= Duration::from_millis(50))
    );
    running.stop().await;
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}
