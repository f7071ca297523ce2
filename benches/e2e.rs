//! End-to-end benchmark (BENCHMARKS.md, "1. End to end"): K simulated clients (default 1,000)
//! onboard at once through the Bot API emulator over loopback, against the real bot (`App::build` +
//! `server::start`, the real dptree tree, sled, the dry-run provisioner), from `/start` to the
//! auto-approval.
//!
//! Each client sends the 10 updates of the happy path (/start, email, code, 4 taps, BotFather's
//! forward, a name, Confirm) and waits for the bot's answer before the next. Codes come from a
//! loopback Brevo double (a small axum server here) that keeps the code of each request it gets.
//!
//! Two paces, each on two stores:
//! - **flat out**: no think time; K clients keep the bot saturated, so updates/s is the capacity;
//!   latency is then queueing (Little's law: K / throughput), reported but not judged;
//! - **paced**: clients think (uniform around K / rate s) so the offered load is `rate` updates/s
//!   (default 1,500, the target); the latency at that load is what a client feels.
//! - stores: sled in a temp dir on disk (as deployed), and the same sled tree on tmpfs
//!   (`/dev/shm`): the in-memory upper bound (see BENCHMARKS.md for why this one).
//!
//! Latency: from just before the update is queued in the emulator to the moment the client task
//! holds the bot's next new message in that chat. CPU: `getrusage` of the whole process (bot, its
//! provisioning jobs and outbox, the emulator and the clients) from the release of the clients to
//! the last client's approval. Peak RSS: VmHWM, reset before each run.
//!
//! `cargo bench --bench e2e` (env `M2O_BENCH_CLIENTS`, `M2O_BENCH_RATE`,
//! `M2O_BENCH_ONLY=flat|paced`).

use m2o_bot::app::App;
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::server;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tg_emulator::{botfather_user, BotHandle, Emulator, SentMessage, TestUser};

const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const BREVO_KEY: &str = "xkeysib-bench";
const MASTER: i64 = 900_001;
const STEPS: [&str; 10] =
    ["/start", "email", "code", "use case", "team", "referral", "timezone", "token", "name", "confirm"];
/// A client that hears nothing for this long has failed (and is reported).
const PATIENCE: Duration = Duration::from_secs(60);

/// Updates answered so far, for the watchdog.
static PROGRESS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// If no update is answered for 30 s while a run is under way, the process is stuck (both tokio
/// workers blocked: timeouts cannot fire), so a plain thread reports it and exits.
fn watchdog() {
    let secs = std::env::var("M2O_BENCH_WATCHDOG_S").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    std::thread::spawn(move || {
        let mut last = usize::MAX;
        loop {
            std::thread::sleep(Duration::from_secs(secs));
            let now = PROGRESS.load(std::sync::atomic::Ordering::Relaxed);
            if now == last && now != 0 {
                eprintln!(
                    "e2e: no update answered for {secs} s after {now}: the bot is stuck. With sled 0.34, concurrent \
                     flush_async calls (Store::commit_durable) deadlock (spacejam/sled#1308): see BENCHMARKS.md."
                );
                std::process::exit(3);
            }
            last = now;
        }
    });
}

#[derive(Clone, Copy, PartialEq)]
enum StoreKind {
    Disk,
    Tmpfs,
}

impl StoreKind {
    fn label(self) -> &'static str {
        match self {
            StoreKind::Disk => "sled on disk",
            StoreKind::Tmpfs => "sled on tmpfs (in-memory bound)",
        }
    }
}

#[derive(Clone, Copy)]
enum Pace {
    FlatOut,
    /// Offered updates per second.
    Paced(f64),
}

struct Report {
    store: StoreKind,
    pace: Pace,
    clients: usize,
    failed: Vec<String>,
    updates: usize,
    window: Duration,
    /// (step index, when it was sent after the start, latency) of every update.
    latencies: Vec<(usize, Duration, Duration)>,
    cpu: Duration,
    jobs_left: usize,
    outbox_left: usize,
    peak_rss_kib: u64,
}

type Codes = Arc<Mutex<HashMap<String, String>>>;

/// The Brevo double: accepts every mail and keeps the 6-digit code of each, by recipient.
async fn brevo() -> (String, Codes) {
    use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
    let codes: Codes = Arc::default();
    async fn send(State(codes): State<Codes>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
        let to = body["to"][0]["email"].as_str().unwrap_or_default().to_string();
        let text = body["textContent"].as_str().unwrap_or_default();
        if let Some(code) = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6) {
            codes.lock().unwrap().insert(to, code.to_string());
        }
        (StatusCode::CREATED, Json(json!({ "messageId": "<bench@localhost>" })))
    }
    let router = Router::new().route("/v3/smtp/email", post(send)).with_state(codes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, codes)
}

struct World {
    emu: Emulator,
    control: BotHandle,
    codes: Codes,
}

impl World {
    async fn reply(&self, chat: i64) -> Result<SentMessage, String> {
        self.emu.next_message(&self.control.token, chat, PATIENCE).await.ok_or_else(|| "no reply".to_string())
    }

    fn tap(&self, user: &TestUser, on: &SentMessage, label: &str) -> Result<(), String> {
        let data = on.button_data(label).ok_or_else(|| format!("no button {label:?} under {:?}", on.text))?;
        self.emu.tap(&self.control.token, user, on.message_id, &data);
        Ok(())
    }
}

/// Waits the think time (paced runs only): uniform in [0.5, 1.5] × mean, so that every client is
/// active through the middle of the run and the offered load there is K / mean.
async fn think(mean: Option<f64>) {
    if let Some(mean) = mean {
        let factor: f64 = rand::thread_rng().gen_range(0.5..1.5);
        tokio::time::sleep(Duration::from_secs_f64(mean * factor)).await;
    }
}

/// One client's onboarding; returns (step, sent at, latency) of each of its updates.
async fn client(
    world: Arc<World>,
    user: TestUser,
    bot: BotHandle,
    i: usize,
    mean_think: Option<f64>,
    start: Instant,
) -> Result<Vec<(usize, Duration, Duration)>, String> {
    let w = &world;
    let chat = user.id;
    let mut lat = Vec::with_capacity(STEPS.len());
    let email = format!("c{i}@firm{i}.io");
    // Each step: think, queue one update, time until the bot's next new message.
    macro_rules! step {
        ($send:expr) => {{
            think(mean_think).await;
            let t0 = Instant::now();
            $send;
            let m = w.reply(chat).await?;
            lat.push((lat.len(), t0 - start, t0.elapsed()));
            PROGRESS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            m
        }};
    }
    let expect = |m: &SentMessage, needle: &str| {
        if m.text.contains(needle) {
            Ok(())
        } else {
            Err(format!("expected {needle:?}, got {:?}", m.text))
        }
    };
    let m = step!(w.emu.send_text(&w.control.token, &user, "/start"));
    expect(&m, "email")?;
    let m = step!(w.emu.send_text(&w.control.token, &user, &email));
    expect(&m, "6-digit code")?;
    let code = w.codes.lock().unwrap().get(&email).cloned().ok_or("no code mailed")?;
    let m = step!(w.emu.send_text(&w.control.token, &user, &code));
    expect(&m, "Email confirmed")?;
    let q1 = w.reply(chat).await?;
    let q2 = step!(w.tap(&user, &q1, "Research")?);
    let q3 = step!(w.tap(&user, &q2, "small team")?);
    let tz = step!(w.tap(&user, &q3, "Skip")?);
    let m = step!(w.tap(&user, &tz, "Europe/Warsaw")?);
    expect(&m, "you're in")?;
    w.reply(chat).await?; // the BotFather instructions
    let text = tg_emulator::botfather_newbot_text(&bot.username, &bot.token);
    let m = step!(w.emu.forward_text(&w.control.token, &user, &botfather_user(), &text));
    expect(&m, "is connected")?;
    w.reply(chat).await?; // "What should your agent be called?"
    let summary = step!(w.emu.send_text(&w.control.token, &user, &format!("agent-{i}")));
    expect(&summary, "Agent name")?;
    // The first new message after Confirm is the answer or the job's progress message: either is
    // the bot reacting. The client is done when it has been told it is approved.
    let mut m = step!(w.tap(&user, &summary, "Confirm")?);
    while !m.text.contains("Approved") {
        m = w.reply(chat).await?;
    }
    Ok(lat)
}

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// VmHWM in KiB; `reset` first clears it (Linux: `5` in /proc/self/clear_refs).
fn peak_rss(reset: bool) -> u64 {
    if reset {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config(world: &World, brevo_url: &str, data_dir: &Path) -> Config {
    let vars: HashMap<&str, String> = HashMap::from([
        ("TELOXIDE_TOKEN", world.control.token.clone()),
        ("TELOXIDE_API_URL", world.emu.api_url().to_string()),
        ("M2O_MASTER_IDS", MASTER.to_string()),
        ("M2O_DATA_DIR", data_dir.display().to_string()),
        ("M2O_MAILER", "brevo".into()),
        ("M2O_BREVO_API_KEY", BREVO_KEY.into()),
        ("M2O_BREVO_API_URL", brevo_url.into()),
        ("M2O_MAIL_FROM", "Bench <bench@example.org>".into()),
        ("M2O_SECRET_KEY", SECRET_KEY.into()),
        ("M2O_REVIEW_ALL", "false".into()),
        ("M2O_HTTP_ADDR", "127.0.0.1:0".into()),
    ]);
    Config::from_lookup(|n| vars.get(n).cloned()).expect("bench configuration is valid")
}

async fn run(store: StoreKind, pace: Pace, clients: usize, id_base: i64) -> Report {
    let dir = match store {
        StoreKind::Disk => tempfile::tempdir().unwrap(),
        StoreKind::Tmpfs => tempfile::tempdir_in("/dev/shm").expect("/dev/shm (tmpfs) is needed for the bound"),
    };
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_bench_bot", "M2O");
    emu.add_user(MASTER, "Master", Some("master"), Some("en"));
    emu.press_start(&control.token, MASTER);
    let (brevo_url, codes) = brevo().await;
    let world = Arc::new(World { emu, control, codes });
    let app = App::build(config(&world, &brevo_url, dir.path()), Arc::new(SystemClock)).unwrap();
    let running = server::start(app.clone(), Duration::from_secs(10)).await.unwrap();
    // People and their bots exist before the clock starts; each pressed Start in their own bot, so
    // the greeting goes straight out (no 403 round).
    let people: Vec<(TestUser, BotHandle)> = (0..clients)
        .map(|i| {
            let user = world.emu.add_user(id_base + i as i64, "Client", None, Some("en"));
            let bot = world.emu.create_bot(&format!("c{}_bench_bot", id_base + i as i64), "Bench");
            world.emu.press_start(&bot.token, user.id);
            (user, bot)
        })
        .collect();
    let mean_think = match pace {
        Pace::FlatOut => None,
        Pace::Paced(rate) => Some(clients as f64 / rate),
    };

    peak_rss(true);
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let tasks: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(i, (user, bot))| {
            let world = world.clone();
            tokio::spawn(async move {
                if let Some(mean) = mean_think {
                    // Spread the starts so the load is steady from the beginning.
                    let start = rand::thread_rng().gen_range(0.0..mean);
                    tokio::time::sleep(Duration::from_secs_f64(start)).await;
                }
                client(world, user, bot, i, mean_think, t0).await
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(clients * STEPS.len());
    let mut failed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(l) => latencies.extend(l),
            Err(e) => failed.push(e),
        }
    }
    let window = t0.elapsed();
    let cpu = cpu_time() - cpu0;
    let peak_rss_kib = peak_rss(false);
    // The provisioning jobs the approvals started and the outbox (the masters' notices are paced at
    // 20 a minute per chat, as Telegram wants) go on after the window; they are counted, not
    // awaited.
    let jobs_left = app.running_jobs.lock().unwrap().len();
    let outbox_left = app.store.outbox_len();
    let updates = latencies.len();
    // teloxide's ShutdownToken can miss the dispatcher's "done" (it starts waiting only when its
    // future is first polled), so `Running::stop` may never return: give it 5 s (BENCHMARKS.md).
    if tokio::time::timeout(Duration::from_secs(5), running.stop()).await.is_err() {
        eprintln!("e2e: Running::stop did not return within 5 s (teloxide shutdown race); going on");
    }
    world.emu.shutdown().await;
    Report { store, pace, clients, failed, updates, window, latencies, cpu, jobs_left, outbox_left, peak_rss_kib }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

impl Report {
    fn rate(&self) -> f64 {
        self.updates as f64 / self.window.as_secs_f64()
    }

    /// Updates per second while the load was steady: between the 5th and the 95th percentile of
    /// the send times (leaving out the ramp-up and the stragglers' tail).
    fn steady_rate(&self) -> f64 {
        let mut sent: Vec<Duration> = self.latencies.iter().map(|(_, at, _)| *at).collect();
        sent.sort();
        let (from, to) = (percentile(&sent, 0.05), percentile(&sent, 0.95));
        let n = sent.iter().filter(|t| **t >= from && **t <= to).count();
        n as f64 / (to - from).as_secs_f64().max(1e-9)
    }

    fn sorted(&self, step: Option<usize>) -> Vec<Duration> {
        let mut all: Vec<Duration> =
            self.latencies.iter().filter(|(s, _, _)| step.is_none_or(|x| x == *s)).map(|(_, _, d)| *d).collect();
        all.sort();
        all
    }

    fn print(&self) {
        let pace = match self.pace {
            Pace::FlatOut => "flat out".to_string(),
            Pace::Paced(r) => format!("paced at {r:.0} updates/s offered"),
        };
        let all = self.sorted(None);
        println!("\n### {} — {pace}, {} clients", self.store.label(), self.clients);
        println!(
            "- clients done: {} of {} ({} failed)",
            self.clients - self.failed.len(),
            self.clients,
            self.failed.len()
        );
        for f in self.failed.iter().take(3) {
            println!("  - failed: {f}");
        }
        println!(
            "- updates: {} in {:.2} s = **{:.0} updates/s** overall; {:.0} updates/s in the steady middle (5th–95th percentile of send times)",
            self.updates,
            self.window.as_secs_f64(),
            self.rate(),
            self.steady_rate()
        );
        println!(
            "- latency (update queued → reply received): p50 **{} ms**, p90 {} ms, p99 **{} ms**, max {} ms",
            ms(percentile(&all, 0.50)),
            ms(percentile(&all, 0.90)),
            ms(percentile(&all, 0.99)),
            ms(percentile(&all, 1.0))
        );
        println!(
            "- CPU (bot + emulator + clients, in the window): {:.2} s = **{:.2} CPU s per 1,000 updates**",
            self.cpu.as_secs_f64(),
            self.cpu.as_secs_f64() * 1000.0 / self.updates.max(1) as f64
        );
        println!(
            "- left running at the end of the window: {} provisioning jobs, {} outbox items",
            self.jobs_left, self.outbox_left
        );
        println!("- peak RSS (VmHWM, whole process): **{:.1} MiB**", self.peak_rss_kib as f64 / 1024.0);
        let per_step: Vec<String> = (0..STEPS.len())
            .map(|s| {
                let l = self.sorted(Some(s));
                format!("{} {}/{}", STEPS[s], ms(percentile(&l, 0.5)), ms(percentile(&l, 0.99)))
            })
            .collect();
        println!("- per step, p50/p99 ms: {}", per_step.join(" · "));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a number on the command line is the client count.
    let arg = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok());
    let clients = arg.or_else(|| std::env::var("M2O_BENCH_CLIENTS").ok().and_then(|v| v.parse().ok())).unwrap_or(1000);
    let rate: f64 = std::env::var("M2O_BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(1500.0);
    let only = std::env::var("M2O_BENCH_ONLY").unwrap_or_default();
    // What `m2o-bot run` does: INFO logs, formatted (into nothing; `M2O_BENCH_LOG=1`: to stderr).
    let filter = tracing_subscriber::EnvFilter::new("info");
    if std::env::var_os("M2O_BENCH_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::sink).init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    watchdog();
    println!("## End to end: {clients} clients, {} updates each", STEPS.len());
    // A short warm-up (connections, allocator, page cache), not reported.
    rt.block_on(run(StoreKind::Disk, Pace::FlatOut, 50.min(clients), 1_000_000_000));
    let mut reports = Vec::new();
    let mut base = 2_000_000_000;
    for pace in [Pace::FlatOut, Pace::Paced(rate)] {
        let name = if matches!(pace, Pace::FlatOut) { "flat" } else { "paced" };
        if !only.is_empty() && only != name {
            continue;
        }
        for store in [StoreKind::Disk, StoreKind::Tmpfs] {
            let report = rt.block_on(run(store, pace, clients, base));
            base += 1_000_000_000;
            report.print();
            reports.push(report);
        }
    }
    println!("\n## Targets (2 cores)");
    let find = |store: StoreKind, flat: bool| {
        reports.iter().find(|r| r.store == store && matches!(r.pace, Pace::FlatOut) == flat)
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    if let Some(r) = find(StoreKind::Disk, true) {
        println!("- ≥ 1,500 updates/s: {:.0} updates/s — {}", r.rate(), verdict(r.rate() >= 1500.0));
    }
    if let Some(r) = find(StoreKind::Disk, false) {
        let p99 = percentile(&r.sorted(None), 0.99);
        println!(
            "- p99 ≤ 50 ms at {rate:.0} updates/s offered ({:.0} achieved in the steady middle): {} ms — {}",
            r.steady_rate(),
            ms(p99),
            verdict(p99 <= Duration::from_millis(50))
        );
    }
    if let (Some(disk), Some(mem)) = (find(StoreKind::Disk, true), find(StoreKind::Tmpfs, true)) {
        let ratio = mem.rate() / disk.rate();
        println!(
            "- sled within 1.5× of the in-memory bound: bound {:.0} / sled {:.0} = {ratio:.2}× — {}",
            mem.rate(),
            disk.rate(),
            verdict(ratio <= 1.5)
        );
    }
    // Detached tasks (sled's flusher, the outbox worker) must not hold the exit.
    rt.shutdown_background();
}
