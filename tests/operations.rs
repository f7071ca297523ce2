//! Running it for real (issue 12, items 2 and 5), through the binary as Docker or Coolify runs it:
//! start-up failures are one clear line and an exit code, never a panic with a live process; a bot
//! that cannot go on answers 503 with the reason and exits so that it is restarted; SIGTERM stops
//! it cleanly; `health` is the container's health check; logs can be JSON.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tg_emulator::{BotHandle, Emulator, Fault};

const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");
const WAIT: Duration = Duration::from_secs(20);

/// The binary with a clean environment, in `dir` (no .env).
fn m2o(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).current_dir(dir);
    cmd
}

/// A free loopback port for the bot's HTTP API (so `health` knows where to ask).
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

struct Bot {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Bot {
    fn start(emu: &Emulator, control: &BotHandle, extra: &[(&str, &str)]) -> Bot {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let mut cmd = m2o(dir.path());
        cmd.args(["run"])
            .env("TELOXIDE_API_URL", emu.api_url().as_str())
            .env("TELOXIDE_TOKEN", &control.token)
            .env("M2O_MASTER_IDS", "42")
            .env("M2O_DATA_DIR", dir.path().join("data"))
            .env("M2O_HTTP_ADDR", &addr)
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Bot { child: cmd.spawn().unwrap(), addr, dir }
    }

    /// `m2o-bot health` against this bot: (exit code, what it printed).
    fn health(&self) -> (Option<i32>, String) {
        let out = m2o(self.dir.path()).args(["health"]).env("M2O_HTTP_ADDR", &self.addr).output().unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), said)
    }

    async fn until_ready(&self) {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if self.health().0 == Some(0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the bot never became ready: {}", self.health().1);
    }

    /// Waits for the process to end: (exit code, its log).
    async fn exit(mut self) -> (Option<i32>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > WAIT {
                self.child.kill().unwrap();
                panic!("the bot did not exit");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut log = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        (status.code(), log)
    }
}

async fn healthz(addr: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_unreachable_telegram_at_start_is_one_clear_line_and_an_exit_code() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_ops_bot", "M2O");
    emu.revoke(&control.token);
    let (code, log) = Bot::start(&emu, &control, &[]).exit().await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("m2o-bot: Telegram refuses TELOXIDE_TOKEN (401 Unauthorized)"), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    let closed = free_addr(); // nothing listens there
    let control = emu.create_bot("m2o_ops2_bot", "M2O");
    let unreachable = {
        let dir = tempfile::tempdir().unwrap();
        m2o(dir.path())
            .args(["run"])
            .env("TELOXIDE_API_URL", format!("http://{closed}/"))
            .env("TELOXIDE_TOKEN", &control.token)
            .env("M2O_MASTER_IDS", "42")
            .env("M2O_DATA_DIR", dir.path().join("data"))
            .env("M2O_HTTP_ADDR", free_addr())
            .output()
            .unwrap()
    };
    let log = String::from_utf8_lossy(&unreachable.stderr);
    assert_eq!(unreachable.status.code(), Some(1), "{log}");
    assert!(log.contains(&format!("m2o-bot: Telegram is unreachable at http://{closed}/")), "{log}");
    assert!(!log.contains(&control.token) && !log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_while_running_makes_it_unhealthy_and_exit_with_the_reason() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_ops_bot", "M2O");
    let bot = Bot::start(&emu, &control, &[]);
    bot.until_ready().await;
    let (code, said) = bot.health();
    assert_eq!(code, Some(0));
    assert!(said.starts_with("ready (updates by polling: ok, store: ok"), "{said}");

    // Revoked (as @BotFather's /revoke does); the long poll under way ends with the next update,
    // and the next getUpdates is refused.
    emu.revoke(&control.token);
    let ann = emu.add_user(4242, "Ann", None, Some("en"));
    emu.send_text(&control.token, &ann, "/start");
    let start = Instant::now();
    let (status, body) = loop {
        let (status, body) = healthz(&bot.addr).await;
        if status != 200 || start.elapsed() > WAIT {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 503, "{body}");
    assert!(body["reason"].as_str().unwrap().starts_with("Telegram refuses TELOXIDE_TOKEN (401"), "{body}");
    let (code, said) = bot.health();
    assert_eq!(code, Some(1));
    assert!(said.contains("not ready (503 Service Unavailable): Telegram refuses TELOXIDE_TOKEN"), "{said}");
    let (code, log) = bot.exit().await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.lines().last().unwrap().starts_with("m2o-bot: Telegram refuses TELOXIDE_TOKEN (401"), "{log}");
}

/// teloxide's dispatcher asks `getMe` once more when it starts; if that fails it used to panic in
/// its task while the process (and a 200 `/healthz`) lived on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_that_cannot_start_is_reported_and_the_process_exits() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_ops_bot", "M2O");
    // Start-up's own getMe (which also tells Bot Management Mode) passes; the dispatcher's fails.
    emu.inject_fault("getMe", Fault::Delay(Duration::ZERO));
    let answer = serde_json::json!({"ok": false, "error_code": 500, "description": "Internal Server Error"});
    emu.inject_fault("getMe", Fault::Status(500, answer));
    let bot = Bot::start(&emu, &control, &[]);
    let addr = bot.addr.clone();
    let start = Instant::now();
    let body = loop {
        if let Ok(response) = reqwest::get(format!("http://{addr}/healthz")).await {
            if response.status() == 503 {
                break response.json::<serde_json::Value>().await.unwrap();
            }
        }
        assert!(start.elapsed() < WAIT, "never 503");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(body["reason"].as_str().unwrap().starts_with("the update dispatcher could not start"), "{body}");
    let (code, log) = bot.exit().await;
    assert_eq!(code, Some(1), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_it_cleanly_and_logs_can_be_json() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_ops_bot", "M2O");
    let bot = Bot::start(&emu, &control, &[("M2O_LOG_FORMAT", "json")]);
    bot.until_ready().await;
    // SAFETY: kill(2) with our own child's pid only sends it a signal.
    unsafe {
        libc::kill(bot.child.id() as i32, libc::SIGTERM);
    }
    let (code, log) = bot.exit().await;
    assert_eq!(code, Some(0), "{log}");
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let said = |m: &str| lines.iter().any(|l| l["fields"]["message"].as_str().is_some_and(|t| t.contains(m)));
    assert!(said("stopping"), "{log}");
    // Every embedded default is named at start.
    for default in ["M2O_MAILER=log", "M2O_PROVISIONER=dry-run", "M2O_SECRET_KEY unset", "M2O_BACKUP_DIR unset"] {
        assert!(said(&format!("embedded default in use: {default}")), "{default}: {log}");
    }
    assert!(!log.contains(&control.token));
}

#[test]
fn reading_commands_refuse_a_data_dir_that_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["registry"][..], &["registry", "--json"], &["export"]] {
        let out = m2o(dir.path()).args(args).env("M2O_DATA_DIR", "nowhere").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("there is no data dir at nowhere"), "{err}");
    }
    assert!(!dir.path().join("nowhere").exists(), "nothing was created");
    let out = m2o(dir.path()).args(["health"]).env("M2O_HTTP_ADDR", free_addr()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no answer from the bot at 127.0.0.1:"));
    let out = m2o(dir.path()).args(["check-config"]).env("M2O_LOG_FORMAT", "yaml").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("M2O_LOG_FORMAT: `yaml`: use text or json"));
}
