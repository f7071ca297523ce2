//! Running the bot: [`start`] puts the surfaces to work on a built `App` — Telegram long polling
//! into the dptree tree (`bot::schema`), the HTTP API, the scheduler and the outbox worker — and
//! [`Running::stop`] stops them, leaving provisioning jobs where a crash would (they resume).
//! [`Running::failed`] says when the bot cannot go on (our token refused, a task that stopped), so
//! the process exits and its supervisor restarts it, instead of running on half dead.

use crate::app::App;
use crate::services::managed_bots::{probe_me, Me};
use crate::services::probe::ProbeError;
use crate::services::telegram::{error_kind, TelegramNotifier};
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::RequestError;
use tokio::task::JoinHandle;

/// A running bot: stop it to release the store.
pub struct Running {
    app: Arc<App>,
    shutdown: ShutdownToken,
    dispatcher: JoinHandle<()>,
    delivery: JoinHandle<()>,
    scheduler: JoinHandle<()>,
    http: JoinHandle<()>,
    /// Where the HTTP API listens.
    pub http_addr: std::net::SocketAddr,
}

impl Running {
    /// Once the bot cannot go on: why. A recorded failure (`Metrics::fail`), or an essential task
    /// that stopped (then recorded, so `/healthz` says it too).
    pub async fn failed(&self) -> String {
        loop {
            if let Some(reason) = self.app.metrics.failure() {
                return reason;
            }
            let tasks = [
                (&self.dispatcher, "the update dispatcher"),
                (&self.delivery, "the outbox worker"),
                (&self.scheduler, "the scheduler"),
                (&self.http, "the HTTP server"),
            ];
            if let Some((_, what)) = tasks.iter().find(|(task, _)| task.is_finished()) {
                self.app.metrics.fail(format!("{what} stopped"));
                continue;
            }
            // Four flag reads a few times a second cost nothing, and keep every task's own code
            // free of reporting.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn stop(self) {
        // The dispatcher refuses a shutdown until it is running, and a just-spawned one may not be yet.
        // The future `shutdown` returns is dropped, not awaited: teloxide 0.17 only hears the
        // dispatcher finish if that future was polled in time, so awaiting it can hang for ever;
        // the dispatcher's own task is what tells us it is done.
        while !self.dispatcher.is_finished() {
            match self.shutdown.shutdown() {
                Ok(_requested) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        let _ = self.dispatcher.await;
        for task in [self.delivery, self.scheduler, self.http] {
            task.abort();
            let _ = task.await;
        }
        // Jobs stop where they are, as in a crash; their steps are recorded, so they resume.
        for (_, job) in self.app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            job.abort();
        }
    }
}

/// Starts polling (or the webhook), the HTTP API, the scheduler and the outbox worker. `poll_timeout` is the
/// long-poll wait: Telegram's is up to 50 s; tests use a short one so that stopping is quick.
///
/// Everything that can refuse to start (the HTTP listener's address) is done before any task is
/// spawned, so a failed start leaves nothing running and the store free.
pub async fn start(app: Arc<App>, poll_timeout: Duration) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(app.config.http_addr)
        .await
        .map_err(|e| anyhow::anyhow!("M2O_HTTP_ADDR {}: {e}", app.config.http_addr))?;
    let http_addr = listener.local_addr()?;
    let bot = app.bot();
    let me = our_bot(&app).await?;
    crate::bot::announce_commands(&app, &bot).await;
    tracing::info!(one_tap_bot_creation = me.can_manage_bots, "Bot Management Mode");
    *app.one_tap.write().unwrap_or_else(|e| e.into_inner()) = me.can_manage_bots.then_some(me.username);
    // Webhook mode, or long polling: they exclude each other (a webhook left set answers 409).
    // The panel's routes beside the API's (surfaces do not know each other; the server joins them).
    let mut router = crate::api::router(app.clone()).merge(crate::panel::router(app.clone()));
    let webhook = match &app.config.webhook_url {
        Some(url) => {
            let (route, updates) = crate::bot::webhook::endpoint(app.clone(), url);
            router = router.merge(route);
            crate::bot::webhook::set(&app, url).await.map_err(|e| anyhow::anyhow!("setWebhook: {e}"))?;
            tracing::info!(path = url.path(), "webhook set: Telegram POSTs updates here");
            Ok(updates)
        }
        None => {
            if let Err(e) = bot.delete_webhook().await {
                tracing::warn!(error = %crate::services::telegram::error_kind(&e), "could not delete a webhook");
            }
            Err(crate::bot::listener::Listener::new(app.clone(), poll_timeout)?)
        }
    };
    let resumed = crate::fleet::jobs::resume_all(&app)?;
    if resumed > 0 {
        tracing::info!(resumed, "provisioning jobs resumed");
    }
    app.metrics.started_at.store(app.clock.now().timestamp(), std::sync::atomic::Ordering::Relaxed);
    let mut dispatcher = Dispatcher::builder(bot.clone(), crate::bot::schema())
        .dependencies(dptree::deps![app.clone(), crate::bot::storage(&app)])
        .default_handler(|_| async {})
        .error_handler(Arc::new(CountingErrorHandler(app.clone())))
        .build();
    let shutdown = dispatcher.shutdown_token();
    // Ok: the webhook's updates; Err: the long-polling listener.
    // try_: teloxide's plain dispatch panics inside its task when its own getMe fails, and the
    // process would run on without updates; this way the failure is recorded and we exit.
    let failures = app.clone();
    let failed_to_start = move |e: RequestError| {
        failures.metrics.fail(format!("the update dispatcher could not start: getMe failed ({})", error_kind(&e)));
    };
    let dispatcher = match webhook {
        Ok(updates) => tokio::spawn(async move {
            if let Err(e) = dispatcher.try_dispatch_with_listener(updates, LoggingErrorHandler::new()).await {
                failed_to_start(e);
            }
        }),
        Err(polling) => tokio::spawn(async move {
            if let Err(e) = dispatcher.try_dispatch_with_listener(polling, LoggingErrorHandler::new()).await {
                failed_to_start(e);
            }
        }),
    };
    let paced = Arc::new(TelegramNotifier::paced(bot, app.http.clone(), app.config.api_url.clone()));
    let delivery = tokio::spawn(crate::fleet::outbox::run(app.clone(), paced));
    tracing::info!(addr = %http_addr, admin = app.config.api_token.is_some(), "HTTP API listening");
    let http = tokio::spawn(crate::api::serve::serve(listener, router, app.config.http_read_timeout));
    let scheduler = tokio::spawn(crate::scheduler::run(app.clone()));
    Ok(Running { app, shutdown, dispatcher, delivery, scheduler, http, http_addr })
}

/// How many times start-up asks Telegram before giving up (0.5 s, 1 s, 2 s apart).
const START_ATTEMPTS: u32 = 4;

/// Our own bot (`getMe`), asked before anything starts — whether Bot Management Mode is on comes
/// with it. Refused is final and says so; unreachable is tried a few times, then said plainly (the
/// supervisor starts us again later).
async fn our_bot(app: &App) -> anyhow::Result<Me> {
    let (api_url, token) = (&app.config.api_url, &app.config.telegram_token);
    let (mut wait, mut attempt) = (Duration::from_millis(500), 1);
    loop {
        match probe_me(&app.http, api_url, token).await {
            Ok(me) => return Ok(me),
            Err(ProbeError::Refused { status: 401, .. }) => anyhow::bail!(crate::services::telegram::TOKEN_REFUSED),
            Err(e) if attempt == START_ATTEMPTS => {
                let why = match e {
                    ProbeError::Unreachable(why) => why,
                    other => other.to_string(),
                };
                anyhow::bail!("Telegram is unreachable at {api_url} ({why}); check the network and TELOXIDE_API_URL")
            }
            Err(e) => {
                tracing::warn!(error = %e, ?wait, "Telegram did not answer getMe; trying again");
                tokio::time::sleep(wait).await;
                (wait, attempt) = (wait * 2, attempt + 1);
            }
        }
    }
}

/// Logs a failed handler and counts it for `/metrics`.
struct CountingErrorHandler(Arc<App>);

impl teloxide::error_handlers::ErrorHandler<anyhow::Error> for CountingErrorHandler {
    fn handle_error(self: Arc<Self>, error: anyhow::Error) -> futures::future::BoxFuture<'static, ()> {
        self.0.metrics.handler_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!(error = %format!("{error:#}"), "a handler failed");
        Box::pin(async {})
    }
}
