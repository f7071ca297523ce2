//! End-to-end benchmark (BENCHMARKS.md, "1. End to end"): K simulated clients (default 1,000)
//! onboard at once through the Bot API emulator over loopback, against the real bot — the
//! `m2o-bot run` binary in a process of its own (the dptree tree, sled, the dry-run provisioner,
//! INFO logs to a file) — from `/start` to the auto-approval; then a bare teloxide bot (the floor)
//! answers the same number of updates from the same number of clients, so that our cost can be
//! given as a ratio to it.
//!
//! Each client sends the 10 updates of the happy path (/start, email, code, 4 taps, BotFather's
//! forward, a name, Confirm) and waits for the bot's answer before the next. Codes come from a
//! loopback Brevo double (a small axum server here) that keeps the code of each request it gets.
//! The emulator, the Brevo double and the clients run in this process; the bot in its child
//! (`env!("CARGO_BIN_EXE_m2o-bot")`, built by `cargo bench` in the bench profile), so the bot's CPU
//! and peak RSS are its own.
//!
//! Two paces, each on two stores:
//! - **flat out**: no think time; K clients keep the bot saturated, so updates/s is the capacity;
//!   latency is then queueing (Little's law: K / throughput), reported but not judged;
//! - **paced**: clients think (uniform around K / rate s) so the offered load is `rate` updates/s
//!   (default 1,500, the target); the latency at that load is what a client feels.
//! - stores: sled in a temp dir on disk (as deployed), and the same sled tree on tmpfs
//!   (`/dev/shm`): the in-memory upper bound (see BENCHMARKS.md for why this one).
//!
//! **The floor** (`benches/e2e/floor.rs`): this bench binary started again with
//! `M2O_BENCH_ROLE=floor` is a bare teloxide bot (default polling, one `Update::filter_message()`
//! endpoint that sends one short reply, no storage). K clients send it 10 texts each, flat out,
//! each waiting for the reply before the next, on the same emulator setup; its CPU and peak RSS are
//! measured the same way, and our CPU per update is printed as a ratio to its CPU per update.
//!
//! Latency: from just before the update is queued in the emulator to the moment the client task
//! holds the bot's next new message in that chat. The window: from the release of the clients to
//! the last client's last answer (each bot has answered one warm-up update before it). CPU of the
//! bot: its process's CPU clock (`clock_getcpuclockid`, every thread, to the nanosecond) over the
//! window — the bot, its provisioning jobs and outbox — split into user and system time with the
//! utime and stime of /proc/<pid>/stat (10 ms ticks); CPU of this process (`getrusage`: the
//! emulator, the Brevo double, the clients) beside it. Peak RSS: the bot process's VmHWM, reset before the window (/proc/<pid>/clear_refs).
//! Jobs and outbox items left at the end of the window: from the bot's `/metrics`. Each run ends
//! with SIGTERM, and the bot must exit 0.
//!
//! **Instructions** (`M2O_BENCH_ONLY=instructions`): the same flat-out run (sled on disk), then the
//! floor's, each bot under `valgrind --tool=callgrind --instr-atstart=no`, instrumented
//! (`callgrind_control -i on`) only from the release of the clients to the last answer (then
//! `callgrind_control -i off`, `-d`): instructions per update for both, their ratio, the top
//! functions by self Ir, self Ir by crate, and our own functions by inclusive Ir
//! (`callgrind_annotate`). Default 100 clients (valgrind is ~50×
//! slower); not a noisy figure, so small runs are enough.
//!
//! `cargo bench --bench e2e` (env `M2O_BENCH_CLIENTS`, `M2O_BENCH_RATE`,
//! `M2O_BENCH_ONLY=flat|paced|floor|instructions`, `M2O_BENCH_LOG=1`: the bots' logs to stderr,
//! `M2O_BENCH_WATCHDOG_S`).

#[path = "e2e/child.rs"]
mod child;
#[path = "e2e/floor.rs"]
mod floor;

use child::{Child, Cpu, Probe, Profile};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
/// The same under callgrind, which runs the bot ~50× slower and one thread at a time.
const PATIENCE_CALLGRIND: Duration = Duration::from_secs(1800);

/// Updates answered so far, for the watchdog.
static PROGRESS: AtomicUsize = AtomicUsize::new(0);
/// Whether clients are at work (the watchdog looks only then: starting and stopping a bot under
/// callgrind can take a while).
static IN_WINDOW: AtomicBool = AtomicBool::new(false);

/// If no update is answered for `secs` s (two looks in a row) while clients are at work, the bot is
/// stuck (or this process: both tokio workers blocked, so timeouts cannot fire), so a plain thread
/// reports it, kills the bot's process and exits.
fn watchdog(secs: u64) {
    std::thread::spawn(move || {
        let mut last = None;
        loop {
            std::thread::sleep(Duration::from_secs(secs));
            if !IN_WINDOW.load(Ordering::Relaxed) {
                last = None;
                continue;
            }
            let now = PROGRESS.load(Ordering::Relaxed);
            if last == Some(now) {
                let pid = child::RUNNING.load(Ordering::Relaxed);
                eprintln!(
                    "e2e: no update answered for {secs} s after {now}: the bot (pid {pid}) is stuck; killing it (a larger \
                     M2O_BENCH_WATCHDOG_S leaves time for gdb). A past cause: with sled 0.34, concurrent flush_async \
                     calls deadlock (spacejam/sled#1308): see BENCHMARKS.md."
                );
                if pid > 0 {
                    // SAFETY: kill(2) on the bot's pid, our child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                std::process::exit(3);
            }
            last = Some(now);
        }
    });
}

#[derive(Clone, Copy, PartialEq)]
enum StoreKind {
    Disk,
    Tmpfs,
}

/// Which bot answers.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// `m2o-bot run`, its data dir on disk or tmpfs.
    Ours(StoreKind),
    /// The bare teloxide bot (`floor.rs`).
    Floor,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Ours(StoreKind::Disk) => "m2o-bot, sled on disk",
            Target::Ours(StoreKind::Tmpfs) => "m2o-bot, sled on tmpfs (in-memory bound)",
            Target::Floor => "floor: bare teloxide bot (dptree, one reply per update, no storage)",
        }
    }
}

#[derive(Clone, Copy)]
enum Pace {
    FlatOut,
    /// Offered updates per second.
    Paced(f64),
}

impl Pace {
    fn label(self) -> String {
        match self {
            Pace::FlatOut => "flat out".to_string(),
            Pace::Paced(r) => format!("paced at {r:.0} updates/s offered"),
        }
    }
}

/// What our bot's `/metrics` said: counters over the window, gauges at its end.
struct Seen {
    updates: u64,
    fsyncs: u64,
    jobs_running: u64,
    outbox: u64,
}

/// The window and then the provisioning jobs its confirms started, until the last is done: what
/// those updates cost the bot in all (but the outbox's notices, paced at 20 a minute per chat).
struct WithJobs {
    /// From releasing the clients to the last job done.
    elapsed: Duration,
    /// The bot's CPU over that time (not under callgrind).
    bot_cpu: Cpu,
    /// Bot API calls the bot made over that time.
    api_calls: usize,
    /// Under callgrind: the instructions of the window and of the jobs after it.
    instructions: Option<u64>,
}

struct Report {
    target: Target,
    pace: Pace,
    probe: Probe,
    clients: usize,
    failed: Vec<String>,
    updates: usize,
    window: Duration,
    /// (step index, when it was sent after the start, latency) of every update.
    latencies: Vec<(usize, Duration, Duration)>,
    /// The bot's process over the window (meaningless under callgrind: valgrind's own).
    bot_cpu: Cpu,
    /// Bot API calls the bot made in the window (each an HTTP request to the emulator).
    api_calls: usize,
    /// This process over the window: the emulator, the Brevo double, the clients.
    bench_cpu: Duration,
    /// The bot process's VmHWM, reset before the window.
    peak_rss_kib: u64,
    /// Ours only.
    seen: Option<Seen>,
    /// SIGTERM, then exit 0; or what happened instead.
    stopped: Result<(), String>,
    /// Under callgrind: the window's instructions.
    profile: Option<Profile>,
    /// Ours only, flat out: the window and the jobs it started.
    with_jobs: Option<WithJobs>,
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
    patience: Duration,
}

impl World {
    async fn reply(&self, chat: i64) -> Result<SentMessage, String> {
        self.emu.next_message(&self.control.token, chat, self.patience).await.ok_or_else(|| "no reply".to_string())
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
            PROGRESS.fetch_add(1, Ordering::Relaxed);
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

/// A client of the floor: as many texts as an onboarding has updates, each answered before the next.
async fn floor_client(
    world: Arc<World>,
    user: TestUser,
    start: Instant,
) -> Result<Vec<(usize, Duration, Duration)>, String> {
    let mut lat = Vec::with_capacity(STEPS.len());
    for step in 0..STEPS.len() {
        let t0 = Instant::now();
        world.emu.send_text(&world.control.token, &user, &format!("update {step}"));
        let m = world.reply(user.id).await?;
        lat.push((step, t0 - start, t0.elapsed()));
        PROGRESS.fetch_add(1, Ordering::Relaxed);
        if m.text != floor::REPLY {
            return Err(format!("expected {:?}, got {:?}", floor::REPLY, m.text));
        }
    }
    Ok(lat)
}

/// This process's CPU (the emulator, the Brevo double, the clients; the bot is a child).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A loopback address with a free port for the bot's HTTP API (free when asked; the bot binds it
/// a moment later).
fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port")
}

/// `m2o-bot run`'s whole configuration, as production gives it: environment variables.
fn ours_env(
    world: &World,
    brevo_url: &str,
    data_dir: &Path,
    http: std::net::SocketAddr,
) -> Vec<(&'static str, String)> {
    vec![
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
        ("M2O_HTTP_ADDR", http.to_string()),
        ("RUST_LOG", "info".into()),
    ]
}

/// The bot's `/metrics`, as name (with labels) → value.
async fn metrics(addr: std::net::SocketAddr) -> HashMap<String, f64> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    let text = async { http.get(format!("http://{addr}/metrics")).send().await?.error_for_status()?.text().await };
    let text = text.await.unwrap_or_else(|e| panic!("GET /metrics: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn run(target: Target, pace: Pace, clients: usize, id_base: i64, probe: Probe) -> Report {
    let slow = probe == Probe::Callgrind;
    let data = match target {
        Target::Ours(StoreKind::Tmpfs) => {
            tempfile::tempdir_in("/dev/shm").expect("/dev/shm (tmpfs) is needed for the bound")
        }
        _ => tempfile::tempdir().unwrap(),
    };
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_bench_bot", "M2O");
    emu.add_user(MASTER, "Master", Some("master"), Some("en"));
    emu.press_start(&control.token, MASTER);
    let (brevo_url, codes) = brevo().await;
    let patience = if slow { PATIENCE_CALLGRIND } else { PATIENCE };
    let world = Arc::new(World { emu, control, codes, patience });
    let log = std::env::var_os("M2O_BENCH_LOG").is_some();
    let http = free_addr();
    let mut bot = match target {
        Target::Ours(_) => {
            let env = ours_env(&world, &brevo_url, data.path(), http);
            Child::spawn(Path::new(env!("CARGO_BIN_EXE_m2o-bot")), &["run"], &env, probe, log)
        }
        Target::Floor => {
            let me = std::env::current_exe().expect("the bench's own path");
            let env = [
                ("M2O_BENCH_ROLE", "floor".to_string()),
                ("TELOXIDE_TOKEN", world.control.token.clone()),
                ("TELOXIDE_API_URL", world.emu.api_url().to_string()),
                ("RUST_LOG", "info".into()),
            ];
            Child::spawn(&me, &[], &env, probe, log)
        }
    };
    let ready_within = Duration::from_secs(if slow { 600 } else { 60 });
    if let Target::Ours(_) = target {
        bot.wait_healthy(http, ready_within).await;
    }
    // One update answered before the window: the bot is polling and its connections are open.
    let warm = world.emu.add_user(id_base - 1, "Warm", None, Some("en"));
    world.emu.send_text(&world.control.token, &warm, "/start");
    let deadline = Instant::now() + ready_within;
    loop {
        bot.check_alive();
        if world.emu.next_message(&world.control.token, warm.id, Duration::from_secs(1)).await.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer to the warm-up update within {ready_within:?}; the bot's log ends:\n{}",
            bot.log_tail()
        );
    }
    let before = match target {
        Target::Ours(_) => Some(metrics(http).await),
        Target::Floor => None,
    };
    // People and their bots exist before the clock starts; each pressed Start in their own bot, so
    // the greeting goes straight out (no 403 round). The floor's clients need no bot.
    let people: Vec<(TestUser, Option<BotHandle>)> = (0..clients)
        .map(|i| {
            let user = world.emu.add_user(id_base + i as i64, "Client", None, Some("en"));
            let bot = matches!(target, Target::Ours(_)).then(|| {
                let bot = world.emu.create_bot(&format!("c{}_bench_bot", id_base + i as i64), "Bench");
                world.emu.press_start(&bot.token, user.id);
                bot
            });
            (user, bot)
        })
        .collect();
    let mean_think = match pace {
        Pace::FlatOut => None,
        Pace::Paced(rate) => Some(clients as f64 / rate),
    };

    bot.reset_peak_rss();
    let calls0 = world.emu.calls().len();
    let bot_cpu0 = bot.cpu();
    if slow {
        bot.callgrind_control(&["-i", "on"]).await;
    }
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    IN_WINDOW.store(true, Ordering::Relaxed);
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
                match bot {
                    Some(bot) => client(world, user, bot, i, mean_think, t0).await,
                    None => floor_client(world, user, t0).await,
                }
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
    let bench_cpu = cpu_time() - cpu0;
    let bot_cpu = bot.cpu() - bot_cpu0;
    let peak_rss_kib = bot.peak_rss_kib();
    if slow {
        // Off first: the counts stop at once, and the dump writes them (`-d` alone takes a moment,
        // during which the bot's jobs would go on being counted).
        bot.callgrind_control(&["-i", "off"]).await;
        bot.callgrind_control(&["-d"]).await;
    }
    IN_WINDOW.store(false, Ordering::Relaxed);
    let api_calls = world.emu.calls().len() - calls0;
    // The provisioning jobs the approvals started and the outbox (the masters' notices are paced at
    // 20 a minute per chat, as Telegram wants) go on after the window; they are counted, not
    // awaited, and stopped with the bot (jobs resume at the next start, as after a crash).
    let seen = match before {
        Some(before) => {
            let after = metrics(http).await;
            let get = |m: &HashMap<String, f64>, name: &str| m.get(name).copied().unwrap_or(0.0) as u64;
            Some(Seen {
                updates: get(&after, "m2o_updates_total") - get(&before, "m2o_updates_total"),
                fsyncs: get(&after, "m2o_store_fsyncs_total") - get(&before, "m2o_store_fsyncs_total"),
                jobs_running: get(&after, "m2o_jobs{state=\"running\"}"),
                outbox: get(&after, "m2o_outbox_depth"),
            })
        }
        None => None,
    };
    // Flat out, ours: go on until the jobs the confirms started are done, so their cost is counted
    // too (the window alone flatters a bot that defers work).
    let with_jobs = match (&target, pace, &seen) {
        (Target::Ours(_), Pace::FlatOut, Some(_)) => {
            if slow {
                bot.callgrind_control(&["-i", "on"]).await;
            }
            let deadline = Instant::now() + Duration::from_secs(if slow { 1200 } else { 300 });
            let mut done = false;
            while Instant::now() < deadline {
                let m = metrics(http).await;
                if m.get("m2o_jobs{state=\"running\"}").copied().unwrap_or(0.0) == 0.0 {
                    done = true;
                    break;
                }
                // Once a second: each /metrics is counted with the rest.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let elapsed = t0.elapsed();
            let cpu = bot.cpu() - bot_cpu0;
            if slow {
                bot.callgrind_control(&["-i", "off"]).await;
                bot.callgrind_control(&["-d"]).await;
            }
            let calls = world.emu.calls().len() - calls0;
            done.then_some(WithJobs { elapsed, bot_cpu: cpu, api_calls: calls, instructions: None })
        }
        _ => None,
    };
    let stopped = bot.stop(Duration::from_secs(if slow { 600 } else { 30 })).await;
    let profile = slow.then(|| bot.profile(15));
    let with_jobs = with_jobs.map(|mut w| {
        if let Some(p) = &profile {
            w.instructions = Some(p.instructions + bot.dump_instructions(2));
        }
        w
    });
    if let Ok(keep) = std::env::var("M2O_BENCH_KEEP") {
        bot.keep_dumps(std::path::Path::new(&keep), target.label());
    }
    world.emu.shutdown().await;
    let updates = latencies.len();
    Report {
        target,
        pace,
        probe,
        clients,
        failed,
        updates,
        window,
        latencies,
        bot_cpu,
        api_calls,
        bench_cpu,
        peak_rss_kib,
        seen,
        stopped,
        profile,
        with_jobs,
    }
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

/// 1234567 → "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    fn rate(&self) -> f64 {
        self.updates as f64 / self.window.as_secs_f64()
    }

    /// The bot process's CPU seconds per 1,000 updates.
    fn bot_cpu_per_1000(&self) -> f64 {
        self.bot_cpu.total().as_secs_f64() * 1000.0 / self.updates.max(1) as f64
    }

    fn instructions_per_update(&self) -> Option<f64> {
        self.profile.as_ref().map(|p| p.instructions as f64 / self.updates.max(1) as f64)
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
        let all = self.sorted(None);
        let under = if self.probe == Probe::Callgrind { ", under callgrind" } else { "" };
        println!("\n### {} — {}, {} clients{under}", self.target.label(), self.pace.label(), self.clients);
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
        match &self.profile {
            None => {
                println!(
                    "- CPU of the bot's process in the window: {:.3} s (ticks: user {:.2}, system {:.2}) = **{:.3} CPU \
                     s per 1,000 updates**; this process (emulator, Brevo double, clients): {:.2} s = {:.3} per 1,000",
                    self.bot_cpu.total().as_secs_f64(),
                    self.bot_cpu.user.as_secs_f64(),
                    self.bot_cpu.system.as_secs_f64(),
                    self.bot_cpu_per_1000(),
                    self.bench_cpu.as_secs_f64(),
                    self.bench_cpu.as_secs_f64() * 1000.0 / self.updates.max(1) as f64
                );
                println!("- peak RSS of the bot's process (VmHWM): **{:.1} MiB**", self.peak_rss_kib as f64 / 1024.0);
            }
            Some(p) => println!(
                "- instructions of the bot's process in the window (callgrind Ir): {} = **{} per update**",
                thousands(p.instructions),
                thousands(self.instructions_per_update().unwrap_or(0.0) as u64)
            ),
        }
        println!(
            "- Bot API calls by the bot in the window: {} = {:.2} per update",
            self.api_calls,
            self.api_calls as f64 / self.updates.max(1) as f64
        );
        if let Some(seen) = &self.seen {
            println!(
                "- the bot's /metrics: {} updates handled and {} fsyncs in the window; still to do at its end: {} \
                 provisioning jobs running, {} outbox items",
                seen.updates, seen.fsyncs, seen.jobs_running, seen.outbox
            );
        }
        match &self.stopped {
            Ok(()) => println!("- stopped with SIGTERM: exit 0"),
            Err(e) => println!("- stopped with SIGTERM: **FAILED**: {e}"),
        }
        if let Some(w) = &self.with_jobs {
            let per = |x: f64| x / self.updates.max(1) as f64;
            match w.instructions {
                Some(ir) => println!(
                    "- **with the jobs its confirms started** (the window, then until the last job was done, {:.1} s \
                     from the start): {} instructions = **{} per update**; {} Bot API calls = {:.2} per update",
                    w.elapsed.as_secs_f64(),
                    thousands(ir),
                    thousands(per(ir as f64) as u64),
                    w.api_calls,
                    per(w.api_calls as f64)
                ),
                None => println!(
                    "- **with the jobs its confirms started** (the window, then until the last job was done, {:.1} s \
                     from the start): bot CPU {:.3} s = **{:.3} CPU s per 1,000 updates**; {} Bot API calls = {:.2} \
                     per update",
                    w.elapsed.as_secs_f64(),
                    w.bot_cpu.total().as_secs_f64(),
                    per(w.bot_cpu.total().as_secs_f64() * 1000.0),
                    w.api_calls,
                    per(w.api_calls as f64)
                ),
            }
        }
        if let Target::Ours(_) = self.target {
            let per_step: Vec<String> = (0..STEPS.len())
                .map(|s| {
                    let l = self.sorted(Some(s));
                    format!("{} {}/{}", STEPS[s], ms(percentile(&l, 0.5)), ms(percentile(&l, 0.99)))
                })
                .collect();
            println!("- per step, p50/p99 ms: {}", per_step.join(" · "));
        }
    }
}

/// `M2O_BENCH_ONLY=instructions`: ours and the floor under callgrind, flat out.
async fn instructions(clients: usize) {
    println!("## Instructions per update (callgrind): {clients} clients, {} updates each, flat out", STEPS.len());
    println!("(the bot: {}, in its own process)", env!("CARGO_BIN_EXE_m2o-bot"));
    let ours = run(Target::Ours(StoreKind::Disk), Pace::FlatOut, clients, 2_000_000_000, Probe::Callgrind).await;
    ours.print();
    let floor = run(Target::Floor, Pace::FlatOut, clients, 3_000_000_000, Probe::Callgrind).await;
    floor.print();
    if let (Some(a), Some(b)) = (ours.instructions_per_update(), floor.instructions_per_update()) {
        println!(
            "\n## Beside the floor: {} instructions per update against {} = **{:.1}×** the floor",
            thousands(a as u64),
            thousands(b as u64),
            a / b
        );
        if let Some(all) = ours.with_jobs.as_ref().and_then(|w| w.instructions) {
            let a = all as f64 / ours.updates.max(1) as f64;
            println!(
                "With the jobs its confirms started: {} instructions per update = **{:.1}×** the floor",
                thousands(a as u64),
                a / b
            );
        }
    }
    for r in [&ours, &floor] {
        let Some(p) = &r.profile else { continue };
        println!("\n### {}: top functions by self Ir (the window)\n```", r.target.label());
        p.by_self.iter().for_each(|l| println!("{l}"));
        println!("```\n\n### {}: self Ir by crate\n```", r.target.label());
        p.by_crate.iter().for_each(|l| println!("{l}"));
        println!("```");
        if !p.ours_inclusive.is_empty() {
            println!("\n### {}: our functions (m2o_bot::) by inclusive Ir\n```", r.target.label());
            p.ours_inclusive.iter().for_each(|l| println!("{l}"));
            println!("```");
        }
    }
}

fn main() {
    // The floor's process: this binary started again by `run`.
    if std::env::var("M2O_BENCH_ROLE").as_deref() == Ok("floor") {
        return floor::main();
    }
    let only = std::env::var("M2O_BENCH_ONLY").unwrap_or_default();
    assert!(
        ["", "flat", "paced", "floor", "instructions"].contains(&only.as_str()),
        "M2O_BENCH_ONLY is one of flat, paced, floor, instructions"
    );
    let counting = only == "instructions";
    // `cargo bench` passes `--bench`; a number on the command line is the client count.
    let arg = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok());
    let clients = arg
        .or_else(|| std::env::var("M2O_BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()))
        .unwrap_or(if counting { 100 } else { 1000 });
    let rate: f64 = std::env::var("M2O_BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(1500.0);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let watchdog_s = std::env::var("M2O_BENCH_WATCHDOG_S").ok().and_then(|v| v.parse().ok());
    watchdog(watchdog_s.unwrap_or(if counting { 600 } else { 30 }));
    if counting {
        rt.block_on(instructions(clients));
        rt.shutdown_background();
        return;
    }
    println!("## End to end: {clients} clients, {} updates each", STEPS.len());
    println!("(the bot: {}, in its own process)", env!("CARGO_BIN_EXE_m2o-bot"));
    if only != "floor" {
        // A short warm-up (the binary and the page cache), not reported.
        rt.block_on(run(Target::Ours(StoreKind::Disk), Pace::FlatOut, 50.min(clients), 1_000_000_000, Probe::Proc));
    }
    let mut reports = Vec::new();
    let mut base = 2_000_000_000;
    for pace in [Pace::FlatOut, Pace::Paced(rate)] {
        let name = if matches!(pace, Pace::FlatOut) { "flat" } else { "paced" };
        if !only.is_empty() && only != name {
            continue;
        }
        for store in [StoreKind::Disk, StoreKind::Tmpfs] {
            let report = rt.block_on(run(Target::Ours(store), pace, clients, base, Probe::Proc));
            base += 1_000_000_000;
            report.print();
            reports.push(report);
        }
    }
    let floor = ["", "flat", "floor"].contains(&only.as_str()).then(|| {
        let report = rt.block_on(run(Target::Floor, Pace::FlatOut, clients, base, Probe::Proc));
        report.print();
        report
    });
    if !reports.is_empty() {
        println!("\n## Targets (2 cores)");
    }
    let find = |store: StoreKind, flat: bool| {
        reports.iter().find(|r| r.target == Target::Ours(store) && matches!(r.pace, Pace::FlatOut) == flat)
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
    if let Some(floor) = &floor {
        println!(
            "\n## Beside the floor (the bare teloxide bot: {:.0} updates/s, {:.3} CPU s per 1,000 updates, peak RSS {:.1} MiB)",
            floor.rate(),
            floor.bot_cpu_per_1000(),
            floor.peak_rss_kib as f64 / 1024.0
        );
        // Per update, each bot's process: all CPU, user CPU alone (the part instructions count).
        let per_update = |r: &Report, cpu: Duration| cpu.as_secs_f64() / r.updates.max(1) as f64;
        for r in &reports {
            println!(
                "- {}, {}: CPU per update **{:.1}×** the floor's (user CPU alone {:.1}×); updates/s {:.2}× the floor's",
                r.target.label(),
                r.pace.label(),
                per_update(r, r.bot_cpu.total()) / per_update(floor, floor.bot_cpu.total()).max(1e-12),
                per_update(r, r.bot_cpu.user) / per_update(floor, floor.bot_cpu.user).max(1e-12),
                r.rate() / floor.rate()
            );
        }
    }
    // Detached tasks (the emulator's connections) must not hold the exit.
    rt.shutdown_background();
}
