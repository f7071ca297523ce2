//! The floor: a bare teloxide bot, what any bot on this stack costs at the least. Default long
//! polling (`Dispatcher::dispatch`), one dptree endpoint for messages that replies once with a
//! short text, no storage, no state, INFO logs formatted to stderr as `m2o-bot run` does.
//!
//! It runs in its own process: the bench binary started again with `M2O_BENCH_ROLE=floor`,
//! `TELOXIDE_TOKEN` and `TELOXIDE_API_URL` (see `main` in e2e.rs). SIGTERM stops it cleanly, exit 0.

use std::time::Duration;
use teloxide::prelude::*;

/// What the floor answers to every message.
pub const REPLY: &str = "pong";

pub fn main() {
    let filter = tracing_subscriber::EnvFilter::new("info");
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    // What `#[tokio::main]` builds, as for `m2o-bot run`: a multi-threaded runtime.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    rt.block_on(async {
        let bot = Bot::from_env();
        let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
            bot.send_message(msg.chat.id, REPLY).await?;
            respond(())
        });
        let mut dispatcher = Dispatcher::builder(bot, handler).build();
        let shutdown = dispatcher.shutdown_token();
        let dispatching = tokio::spawn(async move { dispatcher.dispatch().await });
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
        term.recv().await;
        // As `server::Running::stop` does: request the shutdown without awaiting its future (teloxide
        // 0.17 can miss the dispatcher's "done"), then wait for the dispatcher's task itself.
        while !dispatching.is_finished() {
            match shutdown.shutdown() {
                Ok(_requested) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        if tokio::time::timeout(Duration::from_secs(10), dispatching).await.is_err() {
            eprintln!("floor: the dispatcher did not stop within 10 s");
            std::process::exit(1);
        }
    });
}
