//! [`App`]: what every fleet operation and every surface shares — the configuration, the store,
//! the content, the secret key, the clock and the clients of the outside world (Telegram through
//! a [`Notifier`], mail, a provisioner, the CRM, Planka, Guacamole). Built once from a `Config`;
//! `server::start` then runs the surfaces on it.

use crate::clock::Clock;
use crate::config::{Config, Mailer as MailerConfig, Provisioner as ProvisionerConfig};
use crate::content::Content;
use crate::crypto::Secrets;
use crate::services::coolify::CoolifyProvisioner;
use crate::services::dry_run::DryRunProvisioner;
use crate::services::guacamole::GuacamoleClient;
use crate::services::mailer::{BrevoMailer, LogMailer, Mailer};
use crate::services::notifier::Notifier;
use crate::services::planka::PlankaClient;
use crate::services::provisioner::Provisioner;
use crate::services::spawn_command::CommandProvisioner;
use crate::services::telegram::TelegramNotifier;
use crate::services::twenty::TwentyClient;
use crate::store::{self, Change, KeyFit, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::Bot;
use tokio::sync::Notify;

tokio::task_local! {
    /// The Telegram update being handled, set by the chat surface around its handlers: every
    /// commit made while handling it records it as handled, in the same transaction.
    pub static HANDLING: Handling;
}

/// An update being handled: (bot id, update id), and whether a commit recorded it yet.
#[derive(Clone, Debug)]
pub struct Handling {
    pub update: (i64, u32),
    pub recorded: Arc<std::sync::atomic::AtomicBool>,
}

pub struct App {
    pub config: Config,
    pub store: Store,
    pub content: Content,
    pub secrets: Secrets,
    pub mailer: Box<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    /// One HTTP client for every outgoing call (clients' bots, Brevo, Coolify …), so connections
    /// are reused.
    pub http: reqwest::Client,
    /// Messages to people that are sent at once (progress views, edits in place); what must not be
    /// lost goes through the outbox instead (see `fleet::outbox`).
    pub notifier: Arc<dyn Notifier>,
    /// Woken when a commit queued outbox items.
    pub outbox_ready: Notify,
    pub provisioner: Box<dyn Provisioner>,
    /// `Some` when `M2O_GUACAMOLE_URL` is set: desktops are pre-registered.
    pub guacamole: Option<GuacamoleClient>,
    /// `Some` when `M2O_CRM=twenty`: contact changes are mirrored through the outbox.
    pub crm: Option<TwentyClient>,
    pub metrics: crate::metrics::Metrics,
    /// `Some` when `M2O_PLANKA_URL` is set: the brief lists "Now" and "Done" cards.
    pub planka: Option<PlankaClient>,
    /// Wakes the scheduler at once (the console's `:time`, tests).
    pub scheduler_wake: Notify,
    /// Provisioning jobs running in this process (so a job never runs twice at once).
    pub running_jobs: Mutex<HashMap<u64, tokio::task::AbortHandle>>,
    /// Provisioning steps that may run at once ([`STEPS_AT_ONCE`]): a wave of approvals queues its
    /// steps here instead of crowding out the conversations.
    pub job_slots: tokio::sync::Semaphore,
    /// Our bot's username while Bot Management Mode is on (read from `getMe` at start): the bot
    /// step offers one-tap creation, and a link to the same dialog names our bot.
    pub one_tap: std::sync::RwLock<Option<String>>,
}

impl std::fmt::Debug for App {
    // Nothing secret: the configuration's secrets and the key stay out of any debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("data_dir", &self.config.data_dir).finish_non_exhaustive()
    }
}

/// How many provisioning steps run at once. A step is a few calls to the provisioner and two
/// progress edits; hundreds at once (a wave of approvals) took the CPU the conversations needed
/// (BENCHMARKS.md §1).
pub const STEPS_AT_ONCE: usize = 4;

impl App {
    /// Our bot's username if clients can make their bot in one tap (Bot Management Mode).
    pub fn one_tap(&self) -> Option<String> {
        self.one_tap.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        let content = match &config.content_dir {
            Some(dir) => Content::from_dir(dir)?,
            None => Content::embedded()?,
        };
        let mut store = Store::open(&config.data_dir)?;
        let secrets = secrets_for(&config, &store)?;
        let http =
            reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(config.http_timeout).build()?;
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
        let planka = config.planka.as_ref().map(|p| PlankaClient::new(http.clone(), &p.url, &p.token));
        if crm.is_some() {
            store = store.mirror_to_crm();
        }
        let notifier =
            Arc::new(TelegramNotifier::new(control_bot(&config, &http), http.clone(), config.api_url.clone()));
        Ok(Arc::new(App {
            config,
            store,
            content,
            secrets,
            mailer,
            clock,
            http,
            notifier,
            outbox_ready: Notify::new(),
            provisioner,
            guacamole,
            crm,
            running_jobs: Mutex::new(HashMap::new()),
            job_slots: tokio::sync::Semaphore::new(STEPS_AT_ONCE),
            one_tap: Default::default(),
            metrics: crate::metrics::Metrics::default(),
            planka,
            scheduler_wake: Notify::new(),
        }))
    }

    /// The masters' strings. Masters read English: their ids come from configuration, not a chat
    /// that tells us their language.
    pub fn master_tr(&self) -> crate::i18n::Tr<'_> {
        self.content.i18n.tr("en")
    }

    /// The control bot, speaking to `TELOXIDE_API_URL`: for the surfaces that talk Telegram
    /// themselves (the dispatcher's replies). Fleet code sends through [`App::notifier`].
    pub fn bot(&self) -> Bot {
        control_bot(&self.config, &self.http)
    }

    /// Commits a change and wakes the outbox worker for what it queued. Inside the handling of a
    /// Telegram update (see [`HANDLING`]) the change also records that update as handled.
    pub fn commit(&self, change: &Change) -> store::Result<()> {
        self.record(change)?;
        self.wake_outbox(change);
        Ok(())
    }

    /// The same, waiting until the change is on disk — and only then waking the outbox, so nothing
    /// it queued is sent before it is kept: for a decision that cannot be redone (a confirmed
    /// request, an approval, a deployment's outcome) or a counter that must not go back (a wrong
    /// code), before it is acknowledged.
    pub async fn commit_durable(&self, change: &Change) -> store::Result<()> {
        self.record(change)?;
        self.store.flush().await?;
        self.wake_outbox(change);
        Ok(())
    }

    fn record(&self, change: &Change) -> store::Result<()> {
        let handling = HANDLING.try_with(Handling::clone).ok().filter(|_| change.update_handled.is_none());
        match &handling {
            Some(h) => self.store.commit(&Change { update_handled: Some(h.update), ..change.clone() })?,
            None => self.store.commit(change)?,
        }
        if let Some(h) = handling {
            h.recorded.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    fn wake_outbox(&self, change: &Change) {
        // A contact's transition also queues a CRM update when the mirror is on.
        if !change.outbox.is_empty() || (self.crm.is_some() && change.contact.is_some()) {
            self.outbox_ready.notify_one();
        }
    }
}

/// The secret key, checked against the store: a data dir is opened only with the key its sealed
/// values were made with (its `key_check` in the store, or, for a store from before that, one of its
/// sealed tokens), and a new key is made only for an empty data dir — never silently for existing
/// data, which it could not read.
fn secrets_for(config: &Config, store: &Store) -> anyhow::Result<Secrets> {
    let dir = config.data_dir.display();
    let secrets = match &config.secret_key {
        Some(k) => Secrets::from_hex(k)?,
        None => match Secrets::read_key_file(&config.data_dir)? {
            Some(s) => s,
            None if store.is_empty() => Secrets::create_key_file(&config.data_dir)?,
            None => anyhow::bail!(
                "{dir} holds data but no secret key: M2O_SECRET_KEY is not set and {dir}/{} is missing. Restore {} \
                 from the backup made with this data dir (or set M2O_SECRET_KEY to its key). A new key is not made for \
                 existing data: no sealed token could be read with it.",
                crate::crypto::KEY_FILE,
                crate::crypto::KEY_FILE
            ),
        },
    };
    match store.key_fit(&secrets)? {
        KeyFit::Recorded => {}
        KeyFit::Wrong => anyhow::bail!(
            "the secret key does not match the data in {dir}: its tokens were sealed with another key. Start with the \
             key this data dir was made with (M2O_SECRET_KEY, or {} from its backup); nothing was changed.",
            crate::crypto::KEY_FILE
        ),
        KeyFit::Opens | KeyFit::NothingSealed => {
            let check = (store::KEY_CHECK.to_string(), secrets.key_check());
            store.commit(&Change { meta: Some(check), ..Change::default() })?;
        }
    }
    Ok(secrets)
}

fn control_bot(config: &Config, http: &reqwest::Client) -> Bot {
    Bot::with_client(&config.telegram_token, http.clone()).set_api_url(config.api_url.clone())
}
