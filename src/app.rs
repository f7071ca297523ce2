//! Wiring: the configuration, store, content and services every handler shares, and starting and
//! stopping the bot (the dispatcher and the outbox worker) against a Bot API.

use crate::bot;
use crate::clock::Clock;
use crate::config::{Config, Mailer as MailerConfig, Provisioner as ProvisionerConfig};
use crate::content::Content;
use crate::crypto::Secrets;
use crate::services::coolify::CoolifyProvisioner;
use crate::services::dry_run::DryRunProvisioner;
use crate::services::guacamole::GuacamoleClient;
use crate::services::mailer::{BrevoMailer, LogMailer, Mailer};
use crate::services::provisioner::Provisioner;
use crate::services::spawn_command::CommandProvisioner;
use crate::services::twenty::TwentyClient;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, BotCommandScope};
use teloxide::update_listeners::Polling;
use teloxide::utils::command::BotCommands;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub content: Content,
    pub secrets: Secrets,
    pub mailer: Box<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// One HTTP client for every outgoing call (clients' bots, Brevo), so connections are reused.
    pub http: reqwest::Client,
    /// Woken when a commit queued outbox items.
    pub outbox_ready: Notify,
    pub provisioner: Box<dyn Provisioner>,
    /// `Some` when `M2O_GUACAMOLE_URL` is set: desktops are pre-registered.
    pub guacamole: Option<GuacamoleClient>,
    /// `Some` when `M2O_CRM=twenty`: contact changes are mirrored through the outbox.
    pub crm: Option<TwentyClient>,
    pub metrics: crate::metrics::Metrics,
    pub api_limits: crate::api::RateLimits,
    /// `Some` when `M2O_PLANKA_URL` is set: the brief lists "Now" and "Done" cards.
    pub planka: Option<crate::services::planka::PlankaClient>,
    /// Wakes the scheduler at once (the console's `:time`, tests).
    pub scheduler_wake: Notify,
    /// Provisioning jobs running in this process (so a job never runs twice at once).
    pub running_jobs: Mutex<HashMap<u64, tokio::task::AbortHandle>>,
}

impl App {
    pub fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        let content = match &config.content_dir {
            Some(dir) => Content::from_dir(dir)?,
            None => Content::embedded()?,
        };
        let mut store = Store::open(&config.data_dir)?;
        let secrets = match &config.secret_key {
            Some(k) => Secrets::from_hex(k)?,
            None => Secrets::from_key_file(&config.data_dir)?,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        let mailer: Box<dyn Mailer> = match &config.mailer {
            MailerConfig::Log => Box::new(LogMailer),
            MailerConfig::Brevo { api_key, api_url, from_name, from_email } => {
                Box::new(BrevoMailer::new(http.clone(), api_url, api_key, from_name, from_email))
            }
        };
        let provisioner: Box<dyn Provisioner> = match (config.provisioner, &config.coolify, &config.spawn_command) {
            (ProvisionerConfig::Coolify, Some(c), _) => {
                Box::new(CoolifyProvisioner::new(http.clone(), &c.api_url, &c.token, &c.project_uuid, &c.server_uuid))
            }
            (ProvisionerConfig::Command, _, Some(cmd)) => {
                Box::new(CommandProvisioner::new(cmd.as_str(), config.spawn_timeout))
            }
            _ => Box::new(DryRunProvisioner),
        };
        let guacamole =
            config.guacamole.as_ref().map(|g| GuacamoleClient::new(http.clone(), &g.url, &g.user, &g.password));
        let crm = config.crm.as_ref().map(|t| TwentyClient::new(http.clone(), &t.api_url, &t.token));
        let planka =
            config.planka.as_ref().map(|p| crate::services::planka::PlankaClient::new(http.clone(), &p.url, &p.token));
        let config_rate = config.agent_rate_per_minute;
        if crm.is_some() {
            store = store.mirror_to_crm();
        }
        Ok(Arc::new(App {
            config,
            store,
            content,
            secrets,
            mailer,
            clock,
            http,
            outbox_ready: Notify::new(),
            provisioner,
            guacamole,
            crm,
            running_jobs: Mutex::new(HashMap::new()),
            metrics: crate::metrics::Metrics::default(),
            api_limits: crate::api::RateLimits::new(config_rate),
            planka,
            scheduler_wake: Notify::new(),
        }))
    }

    /// The masters' strings. Masters read English: their ids come from configuration, not a chat
    /// that tells us their language.
    pub fn master_tr(&self) -> crate::i18n::Tr<'_> {
        self.content.i18n.tr("en")
    }

    /// The control bot, speaking to `TELOXIDE_API_URL`.
    pub fn bot(&self) -> Bot {
        Bot::with_client(&self.config.telegram_token, self.http.clone()).set_api_url(self.config.api_url.clone())
    }
}

/// A running bot: stop it to release the store.
pub struct Running {
    app: Arc<App>,
    shutdown: ShutdownToken,
    dispatcher: JoinHandle<()>,
    delivery: JoinHandle<()>,
    scheduler: JoinHandle<()>,
    http: Option<JoinHandle<()>>,
    /// Where the HTTP API listens.
    pub http_addr: Option<std::net::SocketAddr>,
}

impl Running {
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
        self.delivery.abort();
        let _ = self.delivery.await;
        self.scheduler.abort();
        let _ = self.scheduler.await;
        if let Some(http) = self.http {
            http.abort();
            let _ = http.await;
        }
        // Jobs stop where they are, as in a crash; their steps are recorded, so they resume.
        for (_, job) in self.app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            job.abort();
        }
    }
}

/// Starts polling and the outbox worker. `poll_timeout` is the long-poll wait: Telegram's is up to
/// 50 s; tests use a short one so that stopping is quick.
pub async fn start(app: Arc<App>, poll_timeout: Duration) -> anyhow::Result<Running> {
    let bot = app.bot();
    if let Err(e) =
        bot.set_my_commands(bot::ClientCommand::bot_commands()).scope(BotCommandScope::AllPrivateChats).await
    {
        tracing::warn!(error = %crate::services::telegram::error_kind(&e), "could not set the command list");
    }
    bot::master::announce_commands(&bot, &app).await;
    let resumed = crate::fleet::jobs::resume_all(&app)?;
    if resumed > 0 {
        tracing::info!(resumed, "provisioning jobs resumed");
    }
    app.metrics.started_at.store(app.clock.now().timestamp(), std::sync::atomic::Ordering::Relaxed);
    let watch = app.clone();
    let listener = Polling::builder(bot.clone())
        .backoff_strategy(move |errors| {
            watch.metrics.poll_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            watch.metrics.last_poll_error_at.store(watch.clock.now().timestamp(), std::sync::atomic::Ordering::Relaxed);
            // teloxide's own default: exponential, capped.
            Duration::from_secs(1 << errors.min(6))
        })
        .timeout(poll_timeout)
        .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .delete_webhook()
        .await
        .build();
    let mut dispatcher = Dispatcher::builder(bot.clone(), bot::schema())
        .dependencies(dptree::deps![app.clone(), bot::storage(&app)])
        .default_handler(|_| async {})
        .error_handler(Arc::new(CountingErrorHandler(app.clone())))
        .build();
    let shutdown = dispatcher.shutdown_token();
    let dispatcher = tokio::spawn(async move {
        dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("polling failed")).await;
    });
    let delivery = tokio::spawn(bot::delivery::run(app.clone(), bot));
    let listener = tokio::net::TcpListener::bind(app.config.http_addr)
        .await
        .map_err(|e| anyhow::anyhow!("M2O_HTTP_ADDR {}: {e}", app.config.http_addr))?;
    let http_addr = Some(listener.local_addr()?);
    tracing::info!(addr = ?http_addr, admin = app.config.api_token.is_some(), "HTTP API listening");
    let router = crate::api::router(app.clone());
    let http = Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the HTTP API stopped");
        }
    }));
    let scheduler = tokio::spawn(crate::scheduler::run(app.clone()));
    Ok(Running { app, shutdown, dispatcher, delivery, scheduler, http, http_addr })
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
