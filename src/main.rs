//! The `m2o-bot` command line: `run` the bot, `check-config`, or `doctor` to check each service it
//! talks to; `console` tries it without Telegram.

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
    /// Write everything in the store as JSON lines (secrets stay sealed) to stdout or --out.
    Export {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Read an export into an empty data dir.
    Import {
        file: std::path::PathBuf,
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
    Ok(Some(match command {
        Command::Registry { json, data } => {
            let store = open(data)?;
            if *json {
                registry::registry_json(&store)?
            } else {
                registry::registry_table(&store)?
            }
        }
        Command::Export { out, data } => {
            let store = open(data)?;
            let n = match out {
                Some(path) => registry::export(&store, &mut std::io::BufWriter::new(std::fs::File::create(path)?))?,
                None => registry::export(&store, &mut std::io::stdout().lock())?,
            };
            eprintln!("exported {n} entries");
            String::new()
        }
        Command::Import { file, data } => {
            let store = open(data)?;
            let n = registry::import(&store, std::io::BufReader::new(std::fs::File::open(file)?))?;
            store.flush_blocking()?;
            format!("imported {n} entries into {}\n", data.data_dir.display())
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let _ = dotenvy::dotenv();
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
        Command::Registry { .. } | Command::Export { .. } | Command::Import { .. } => unreachable!("handled offline"),
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

#[tokio::main]
async fn run(config: Config) -> anyhow::Result<()> {
    let app = App::build(config, Arc::new(SystemClock))?;
    tracing::info!(data_dir = %app.config.data_dir.display(), masters = app.config.master_ids.len(), "starting");
    if app.config.mailer == m2o_bot::config::Mailer::Log {
        tracing::warn!("M2O_MAILER=log: no email is sent; one-time codes are written to this log");
    }
    let running = server::start(app.clone(), Duration::from_secs(30)).await?;
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    running.stop().await;
    app.store.flush().await?;
    Ok(())
}
