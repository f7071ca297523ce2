//! The `m2o-bot` command line: `run` the bot, `check-config`, `doctor` (each service it talks
//! to, checked), `health` (the container's health check); offline, on a stopped bot's data dir:
//! `registry`, `export`, `restore`; `console` tries it without Telegram.

use clap::{Parser, Subcommand};
use m2o_bot::app::App;
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::server;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "m2o-bot", version, about = "The Telegram bot that runs the Machine.Machine agent fleet")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot with long polling (configuration from the environment and .env).
    Run,
    /// Print the effective configuration, secrets masked; exit non-zero if anything is wrong.
    CheckConfig,
    /// Ask the running bot's /healthz (on M2O_HTTP_ADDR): exit 0 when it is ready, 1 when not.
    /// For a container's HEALTHCHECK; needs no token.
    Health {
        /// Where the bot's HTTP API listens (a 0.0.0.0 or [::] address is asked on loopback).
        #[arg(long, env = "M2O_HTTP_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Check each configured service with a real, harmless call, and the data dir; exit 0 if all pass.
    ///
    /// Telegram, Brevo, Coolify, Twenty, Planka and Guacamole each answer one harmless call with the
    /// bot's credentials; the data dir is looked at (owner, mode, free space, the secret key). One
    /// line each, with the fix; nothing is changed. Exit code 0: every configured check passed; 1:
    /// one failed; 2: the configuration is unusable.
    Doctor,
    /// Print the fleet registry (name, state, owner, app, created). The bot must not be running.
    Registry {
        /// As JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Write a backup of a stopped bot's store (JSON lines; secrets stay sealed) to stdout or --out.
    /// A running bot: GET /v1/admin/backup, or M2O_BACKUP_DIR.
    Export {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Restore a backup (or export) into a new, empty data dir, with the secret key it was made
    /// with: --key-file, else M2O_SECRET_KEY, else a secret.key already in the data dir.
    #[command(alias = "import")]
    Restore {
        file: std::path::PathBuf,
        /// The secret.key saved with the backup; copied into the data dir.
        #[arg(long)]
        key_file: Option<std::path::PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    #[cfg(feature = "console")]
    /// Try the bot without Telegram: the real bot against a loopback Bot API emulator, every role
    /// played from the terminal (or a script with `expect:` checks). `:help` inside lists the commands.
    Console(m2o_bot::console::Args),
}

#[derive(clap::Args)]
struct DataDir {
    /// The sled data dir.
    #[arg(long, env = "M2O_DATA_DIR", default_value = "./data")]
    data_dir: std::path::PathBuf,
}

/// The offline commands need only the data dir, not a bot token.
fn offline(command: &Command) -> anyhow::Result<Option<String>> {
    use m2o_bot::registry;
    use m2o_bot::store::Store;
    // Store::open says what is wrong (in use, damaged, not ours) and what to do.
    let open = |d: &DataDir| Store::open(&d.data_dir).map_err(anyhow::Error::from);
    // Reading commands never create a data dir: in the wrong folder they would print an empty
    // fleet as if it were the truth.
    let existing = |d: &DataDir| {
        anyhow::ensure!(
            d.data_dir.is_dir(),
            "there is no data dir at {}: run this where the bot's data is, or give --data-dir (or M2O_DATA_DIR)",
            d.data_dir.display()
        );
        open(d)
    };
    Ok(Some(match command {
        Command::Health { addr } => health(addr)?,
        Command::Registry { json, data } => {
            let store = existing(data)?;
            if *json {
                registry::registry_json(&store)?
            } else {
                registry::registry_table(&store)?
            }
        }
        Command::Export { out, data } => {
            let store = existing(data)?;
            let counts = match out {
                Some(path) => registry::export(&store, &mut std::io::BufWriter::new(std::fs::File::create(path)?))?,
                None => registry::export(&store, &mut std::io::stdout().lock())?,
            };
            eprintln!("exported {counts}");
            String::new()
        }
        Command::Restore { file, key_file, data } => {
            let key = match (key_file, std::env::var("M2O_SECRET_KEY").ok().filter(|k| !k.trim().is_empty())) {
                (Some(path), _) => registry::Key::File(path.clone()),
                (None, Some(hex)) => registry::Key::Hex(hex),
                (None, None) => registry::Key::InDataDir,
            };
            let backup = std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let (_, counts) = registry::restore(&data.data_dir, std::io::BufReader::new(backup), key)?;
            format!("restored {counts} into {}\n", data.data_dir.display())
        }
        _ => return Ok(None),
    }))
}

fn main() -> ExitCode {
    // Whatever the bot writes (sled's files, the key file, exports) is for its user only.
    // SAFETY: umask(2) only sets the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    #[cfg(feature = "console")]
    if let Command::Console(args) = cli.command {
        // The console shows the log its own way and needs no environment.
        return m2o_bot::console::run(args);
    }
    let _ = dotenvy::dotenv();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // A bad value is refused with the rest of the configuration (`Config::from_env`).
    if std::env::var("M2O_LOG_FORMAT").is_ok_and(|f| f.trim() == "json") {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    match offline(&cli.command) {
        Ok(Some(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("m2o-bot: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("m2o-bot: the configuration is not usable; fix these and start again:");
            for e in errors {
                eprintln!("  {e}");
            }
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::CheckConfig => {
            print!("{}", config.describe());
            println!("configuration OK");
            ExitCode::SUCCESS
        }
        Command::Doctor => doctor(&config),
        Command::Registry { .. } | Command::Export { .. } | Command::Restore { .. } | Command::Health { .. } => {
            unreachable!("handled offline")
        }
        #[cfg(feature = "console")]
        Command::Console(_) => unreachable!("handled first"),
        Command::Run => match run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("m2o-bot: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn doctor(config: &Config) -> ExitCode {
    use m2o_bot::doctor;
    // Where the configuration came from (the .env already loaded above; loading it again changes nothing).
    let env_file = dotenvy::dotenv().ok();
    println!("{}", doctor::header(env_file.as_deref()));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("m2o-bot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(doctor::run(config));
    // A check cut off by its bound may leave a blocking task behind: do not wait for it.
    runtime.shutdown_background();
    match report {
        Ok(report) => {
            print!("{}", report.render());
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            eprintln!("m2o-bot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `m2o-bot health`: one line, and whether the bot is ready.
fn health(addr: &str) -> anyhow::Result<String> {
    let mut addr: std::net::SocketAddr =
        addr.parse().map_err(|_| anyhow::anyhow!("M2O_HTTP_ADDR `{addr}` is not an address like 127.0.0.1:8080"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let response = client.get(format!("http://{addr}/healthz")).send().await?;
        let status = response.status();
        anyhow::Ok((status, response.json::<serde_json::Value>().await.unwrap_or_default()))
    });
    let (status, body) = answer.map_err(|e| anyhow::anyhow!("no answer from the bot at {addr}: {e:#}"))?;
    let seen = |key: &str| body[key].as_str().unwrap_or("?").to_string();
    let detail = format!("updates by {}: {}, store: {}", seen("updates"), seen("polling"), seen("store"));
    match body["reason"].as_str() {
        _ if status.is_success() => Ok(format!("ready ({detail}, up {} s)\n", body["uptime_seconds"])),
        Some(reason) => anyhow::bail!("not ready ({status}): {reason}"),
        None => anyhow::bail!("not ready ({status}): {detail}"),
    }
}

/// How long a failed bot keeps answering `/healthz` with 503 and its reason before it exits, so a
/// probe (or a person with curl) can read why.
const FAILED_GRACE: Duration = Duration::from_secs(3);
/// How long a stop (SIGTERM, Ctrl-C) may take: in-flight updates finish, the store is flushed.
const STOP_WITHIN: Duration = Duration::from_secs(9);

#[tokio::main]
async fn run(config: Config) -> anyhow::Result<()> {
    let app = App::build(config, Arc::new(SystemClock))?;
    tracing::info!(data_dir = %app.config.data_dir.display(), masters = app.config.master_ids.len(), "starting");
    for default in app.config.defaults_in_use() {
        tracing::warn!("embedded default in use: {default}");
    }
    let running = server::start(app.clone(), Duration::from_secs(30)).await?;
    let failure = tokio::select! {
        signal = stop_signal() => {
            tracing::info!(signal, "stopping");
            None
        }
        reason = running.failed() => {
            tracing::error!(%reason, "the bot cannot go on; exiting so that it is restarted");
            tokio::time::sleep(FAILED_GRACE).await;
            Some(reason)
        }
    };
    let stopped = tokio::time::timeout(STOP_WITHIN, async {
        running.stop().await;
        app.store.flush().await
    })
    .await;
    match (stopped, failure) {
        (_, Some(reason)) => anyhow::bail!(reason),
        (Ok(flushed), None) => Ok(flushed?),
        (Err(_), None) => {
            anyhow::bail!("the bot did not stop within {STOP_WITHIN:?}; the store's last writes may be lost")
        }
    }
}

/// SIGTERM (docker stop, Coolify) or Ctrl-C, whichever comes first.
async fn stop_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the bot cleanly");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
