//! The `m2o-bot` command line: `run` the bot, or `check-config`.

use clap::{Parser, Subcommand};
use m2o_bot::app::{self, App};
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
        Command::Run => match run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("m2o-bot: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

#[tokio::main]
async fn run(config: Config) -> anyhow::Result<()> {
    let app = App::build(config, Arc::new(SystemClock))?;
    tracing::info!(data_dir = %app.config.data_dir.display(), masters = app.config.master_ids.len(), "starting");
    if app.config.mailer == m2o_bot::config::Mailer::Log {
        tracing::warn!("M2O_MAILER=log: no email is sent; one-time codes are written to this log");
    }
    let running = app::start(app.clone(), Duration::from_secs(30)).await?;
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    running.stop().await;
    app.store.flush().await?;
    Ok(())
}
