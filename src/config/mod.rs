//! Configuration from the environment (and `.env` if present), with exactly the names of
//! `../shared/design.md`: operators and tests rely on them. Every value is validated up front and
//! every problem is reported, one line each, before anything touches Telegram.

use crate::domain::email;
use crate::domain::token::BotToken;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_BREVO_URL: &str = "https://api.brevo.com";
pub const DEFAULT_AGENT_IMAGE: &str = "machine-machine/m2-desktop:agent-latest";

#[derive(Clone, PartialEq, Eq)]
pub enum Mailer {
    /// Writes codes to the log; sends nothing.
    Log,
    Brevo {
        api_key: String,
        api_url: String,
        from_name: String,
        from_email: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioner {
    DryRun,
    Coolify,
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coolify {
    pub api_url: String,
    pub token: String,
    pub project_uuid: String,
    pub server_uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twenty {
    pub api_url: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planka {
    pub url: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guacamole {
    pub url: String,
    pub user: String,
    pub password: String,
}

#[derive(Clone)]
pub struct Config {
    pub telegram_token: String,
    pub api_url: reqwest::Url,
    pub master_ids: Vec<i64>,
    pub orchestrator_ids: Vec<i64>,
    pub data_dir: PathBuf,
    pub http_addr: SocketAddr,
    pub public_url: String,
    pub api_token: Option<String>,
    pub mailer: Mailer,
    pub provisioner: Provisioner,
    pub spawn_command: Option<String>,
    pub agent_image: String,
    pub capacity: Option<usize>,
    pub review_all: bool,
    pub secret_key: Option<String>,
    pub brief_at: (u32, u32),
    pub content_dir: Option<PathBuf>,
    pub coolify: Option<Coolify>,
    pub spawn_timeout: std::time::Duration,
    /// How long an outgoing HTTP call (Coolify, Brevo, Twenty, Planka, Guacamole, `getMe`) may take.
    pub http_timeout: std::time::Duration,
    /// How long a client of our HTTP API may take to send a request (headers, then body).
    pub http_read_timeout: std::time::Duration,
    /// Hosts an agent's `callback_url` may point at (`M2O_CALLBACK_HOSTS`): exact names or IPs,
    /// or `*.suffix`. Empty: no callbacks (agents poll).
    pub callback_hosts: Vec<String>,
    pub crm: Option<Twenty>,
    pub guacamole: Option<Guacamole>,
    /// First wait before retrying a failed provisioning step (doubles each attempt).
    pub retry_base: std::time::Duration,
    /// How long an escalation may stay open before it goes into the master's brief (the stuck
    /// protocol, spec §7.5).
    pub escalation_sla: chrono::Duration,
    /// Requests per minute one agent may make to the API.
    pub agent_rate_per_minute: u32,
    /// `M2O_MINIAPP_MAX_AGE`: how old a Mini App's signed init data may be (its `auth_date`) before
    /// the panel refuses it and the master reopens the panel.
    pub miniapp_max_age: chrono::Duration,
    pub planka: Option<Planka>,
    /// `M2O_WEBHOOK_URL`: Telegram POSTs updates here (served on `M2O_HTTP_ADDR` at its path);
    /// `None`: long polling.
    pub webhook_url: Option<reqwest::Url>,
    /// `M2O_WEBHOOK_SECRET`; `None`: derived from the secret key (`App::webhook_secret`).
    pub webhook_secret: Option<String>,
    /// `M2O_AGENT_ACCESS=owner` (default): a bot created in one tap answers only its owner;
    /// `open`: anyone.
    pub agent_access_owner_only: bool,
    /// `M2O_LOG_FORMAT=json`: one JSON object per log line, for log shippers (read by `main`
    /// before the rest; checked here so `check-config` refuses a typo).
    pub log_json: bool,
    /// `M2O_BACKUP_DIR`: a snapshot of the store is written here every day, the newest
    /// `backup_keep` kept.
    pub backup_dir: Option<PathBuf>,
    pub backup_keep: usize,
    /// Every other variable of the design, as given, for `check-config` (secrets masked there).
    pub other: Vec<(&'static str, Option<String>)>,
}

/// Variables whose values are secrets: shown as "set (hidden)".
const SECRETS: [&str; 9] = [
    "TELOXIDE_TOKEN",
    "M2O_WEBHOOK_SECRET",
    "M2O_API_TOKEN",
    "M2O_BREVO_API_KEY",
    "M2O_COOLIFY_TOKEN",
    "M2O_TWENTY_TOKEN",
    "M2O_PLANKA_TOKEN",
    "M2O_GUACAMOLE_PASSWORD",
    "M2O_SECRET_KEY",
];

/// Names shown by `check-config` as given (their features validate them where they are read).
/// Daily snapshots kept when `M2O_BACKUP_KEEP` is unset: a week.
const DEFAULT_BACKUP_KEEP: usize = 7;

const OTHER: [&str; 12] = [
    "M2O_COOLIFY_API_URL",
    "M2O_COOLIFY_TOKEN",
    "M2O_COOLIFY_PROJECT_UUID",
    "M2O_COOLIFY_SERVER_UUID",
    "M2O_CRM",
    "M2O_TWENTY_API_URL",
    "M2O_TWENTY_TOKEN",
    "M2O_PLANKA_URL",
    "M2O_PLANKA_TOKEN",
    "M2O_GUACAMOLE_URL",
    "M2O_GUACAMOLE_USER",
    "M2O_GUACAMOLE_PASSWORD",
];

impl Config {
    /// Reads the process environment (after loading `.env`, if there is one).
    pub fn from_env() -> Result<Config, Vec<String>> {
        let _ = dotenvy::dotenv();
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `get`, collecting every problem instead of stopping at the
    /// first.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, Vec<String>> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let errors = std::cell::RefCell::new(Vec::new());
        let bad = |name: &str, msg: String| errors.borrow_mut().push(format!("{name}: {msg}"));

        let telegram_token = match get("TELOXIDE_TOKEN") {
            Some(t) if BotToken::parse(&t).is_some() => t,
            Some(_) => {
                bad("TELOXIDE_TOKEN", "is not a bot token (`<digits>:<35 characters>` from @BotFather)".into());
                String::new()
            }
            None => {
                bad("TELOXIDE_TOKEN", "missing: the bot's token from @BotFather".into());
                String::new()
            }
        };
        let api_url_raw = get("TELOXIDE_API_URL").unwrap_or_else(|| DEFAULT_API_URL.into());
        let api_url = match reqwest::Url::parse(&api_url_raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                bad("TELOXIDE_API_URL", format!("`{api_url_raw}` is not an http(s) URL"));
                reqwest::Url::parse(DEFAULT_API_URL).expect("default URL parses")
            }
        };
        let ids = |name: &str, required: bool, bad: &dyn Fn(&str, String)| -> Vec<i64> {
            let Some(raw) = get(name) else {
                if required {
                    bad(name, "missing: comma-separated Telegram user ids of the fleet's masters".into());
                }
                return Vec::new();
            };
            let mut out = Vec::new();
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part.parse::<i64>() {
                    Ok(id) if id > 0 => out.push(id),
                    _ => bad(name, format!("`{part}` is not a Telegram user id (a positive number)")),
                }
            }
            out
        };
        let master_ids = ids("M2O_MASTER_IDS", true, &bad);
        let orchestrator_ids = ids("M2O_ORCHESTRATOR_IDS", false, &bad);
        let data_dir = PathBuf::from(get("M2O_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let addr_raw = get("M2O_HTTP_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let http_addr = addr_raw.parse().unwrap_or_else(|_| {
            bad("M2O_HTTP_ADDR", format!("`{addr_raw}` is not a listen address like 127.0.0.1:8080"));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        let public_url = get("M2O_PUBLIC_URL").unwrap_or_else(|| format!("http://{http_addr}"));
        if reqwest::Url::parse(&public_url).is_err() {
            bad("M2O_PUBLIC_URL", format!("`{public_url}` is not a URL"));
        }

        let mailer = match get("M2O_MAILER").as_deref() {
            None | Some("log") => Mailer::Log,
            Some("brevo") => {
                let api_key = get("M2O_BREVO_API_KEY").unwrap_or_else(|| {
                    bad("M2O_BREVO_API_KEY", "missing: required when M2O_MAILER=brevo".into());
                    String::new()
                });
                let api_url = get("M2O_BREVO_API_URL").unwrap_or_else(|| DEFAULT_BREVO_URL.into());
                if reqwest::Url::parse(&api_url).is_err() {
                    bad("M2O_BREVO_API_URL", format!("`{api_url}` is not a URL"));
                }
                let (from_name, from_email) = match get("M2O_MAIL_FROM").map(|f| parse_from(&f)) {
                    Some(Some(pair)) => pair,
                    Some(None) => {
                        bad("M2O_MAIL_FROM", "expected `Name <address@domain>` or an address".into());
                        Default::default()
                    }
                    None => {
                        bad(
                            "M2O_MAIL_FROM",
                            "missing: the sender, e.g. `Machine.Machine <onboarding@example.org>`".into(),
                        );
                        Default::default()
                    }
                };
                Mailer::Brevo { api_key, api_url, from_name, from_email }
            }
            Some(other) => {
                bad("M2O_MAILER", format!("`{other}`: expected `brevo` or `log`"));
                Mailer::Log
            }
        };
        let provisioner = match get("M2O_PROVISIONER").as_deref() {
            None | Some("dry-run") => Provisioner::DryRun,
            Some("coolify") => Provisioner::Coolify,
            Some("command") => Provisioner::Command,
            Some(other) => {
                bad("M2O_PROVISIONER", format!("`{other}`: expected `coolify`, `command` or `dry-run`"));
                Provisioner::DryRun
            }
        };
        let spawn_command = get("M2O_SPAWN_COMMAND");
        if provisioner == Provisioner::Command && spawn_command.is_none() {
            bad("M2O_SPAWN_COMMAND", "missing: required when M2O_PROVISIONER=command".into());
        }
        let capacity = get("M2O_CAPACITY").and_then(|c| match c.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad("M2O_CAPACITY", format!("`{c}` is not a whole number of agents"));
                None
            }
        });
        let review_all = match get("M2O_REVIEW_ALL").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                bad("M2O_REVIEW_ALL", format!("`{other}`: expected true or false"));
                false
            }
        };
        let secret_key = get("M2O_SECRET_KEY");
        if let Some(k) = &secret_key {
            if crate::crypto::Secrets::from_hex(k).is_err() {
                bad("M2O_SECRET_KEY", "must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`".into());
            }
        }
        let brief_raw = get("M2O_BRIEF_AT").unwrap_or_else(|| "07:00".into());
        let brief_at = parse_hhmm(&brief_raw).unwrap_or_else(|| {
            bad("M2O_BRIEF_AT", format!("`{brief_raw}` is not a UTC time like 07:00"));
            (7, 0)
        });
        let content_dir = get("M2O_CONTENT_DIR").map(PathBuf::from);
        if let Some(dir) = &content_dir {
            if let Err(e) = crate::content::Content::from_dir(dir) {
                bad("M2O_CONTENT_DIR", e.to_string());
            }
        }
        // Every variable of a group, or one line per missing one.
        let group = |names: &[&str], why: &str| -> Option<Vec<String>> {
            let values: Vec<Option<String>> = names.iter().map(|n| get(n)).collect();
            for (n, v) in names.iter().zip(&values) {
                if v.is_none() {
                    bad(n, format!("missing: required when {why}"));
                }
            }
            values.into_iter().collect()
        };
        let coolify = if provisioner == Provisioner::Coolify {
            group(
                &["M2O_COOLIFY_API_URL", "M2O_COOLIFY_TOKEN", "M2O_COOLIFY_PROJECT_UUID", "M2O_COOLIFY_SERVER_UUID"],
                "M2O_PROVISIONER=coolify",
            )
            .map(|v| Coolify {
                api_url: v[0].clone(),
                token: v[1].clone(),
                project_uuid: v[2].clone(),
                server_uuid: v[3].clone(),
            })
        } else {
            None
        };
        let crm = match get("M2O_CRM").as_deref() {
            None | Some("none") => None,
            Some("twenty") => group(&["M2O_TWENTY_API_URL", "M2O_TWENTY_TOKEN"], "M2O_CRM=twenty")
                .map(|v| Twenty { api_url: v[0].clone(), token: v[1].clone() }),
            Some(other) => {
                bad("M2O_CRM", format!("`{other}`: expected `twenty` or `none`"));
                None
            }
        };
        let guacamole = match get("M2O_GUACAMOLE_URL") {
            None => None,
            Some(url) => group(&["M2O_GUACAMOLE_USER", "M2O_GUACAMOLE_PASSWORD"], "M2O_GUACAMOLE_URL is set")
                .map(|v| Guacamole { url, user: v[0].clone(), password: v[1].clone() }),
        };
        let millis = |name: &str, default: u64| -> std::time::Duration {
            let raw = get(name);
            let value = raw.as_deref().map_or(Ok(default), str::parse::<u64>);
            std::time::Duration::from_millis(value.unwrap_or_else(|_| {
                bad(name, format!("`{}` is not a whole number of milliseconds", raw.unwrap_or_default()));
                default
            }))
        };
        let retry_base = millis("M2O_RETRY_BASE_MS", 2_000);
        let spawn_timeout = millis("M2O_SPAWN_TIMEOUT_MS", 600_000);
        let http_timeout = millis("M2O_HTTP_TIMEOUT_MS", 30_000).max(std::time::Duration::from_millis(100));
        let http_read_timeout = millis("M2O_HTTP_READ_TIMEOUT_MS", 10_000).max(std::time::Duration::from_millis(100));
        let mut callback_hosts = Vec::new();
        for host in get("M2O_CALLBACK_HOSTS").unwrap_or_default().split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let ok = host.trim_start_matches("*.").chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
            if ok {
                callback_hosts.push(host.to_lowercase());
            } else {
                bad(
                    "M2O_CALLBACK_HOSTS",
                    format!("`{host}` is not a host name (e.g. agents.internal, *.agents.internal, 10.0.0.5)"),
                );
            }
        }
        let sla_raw = get("M2O_ESCALATION_SLA").unwrap_or_else(|| "4h".into());
        let escalation_sla = crate::domain::escalation::parse_duration(&sla_raw).unwrap_or_else(|| {
            bad("M2O_ESCALATION_SLA", format!("`{sla_raw}` is not a duration like 4h, 30m or 1d"));
            chrono::Duration::hours(4)
        });
        let rate_raw = get("M2O_AGENT_RATE_PER_MIN").unwrap_or_else(|| "60".into());
        let agent_rate_per_minute = rate_raw.parse::<u32>().ok().filter(|n| *n > 0).unwrap_or_else(|| {
            bad("M2O_AGENT_RATE_PER_MIN", format!("`{rate_raw}` is not a positive whole number"));
            60
        });
        let age_raw = get("M2O_MINIAPP_MAX_AGE").unwrap_or_else(|| "86400".into());
        let miniapp_max_age =
            age_raw.parse::<i64>().ok().filter(|n| *n > 0).map(chrono::Duration::seconds).unwrap_or_else(|| {
                bad("M2O_MINIAPP_MAX_AGE", format!("`{age_raw}` is not a positive whole number of seconds"));
                chrono::Duration::hours(24)
            });
        let planka = match get("M2O_PLANKA_URL") {
            None => None,
            Some(url) => {
                group(&["M2O_PLANKA_TOKEN"], "M2O_PLANKA_URL is set").map(|v| Planka { url, token: v[0].clone() })
            }
        };
        let webhook_url = get("M2O_WEBHOOK_URL").and_then(|raw| match reqwest::Url::parse(&raw) {
            Ok(url) if webhook_url_ok(&url) => Some(url),
            _ => {
                bad(
                    "M2O_WEBHOOK_URL",
                    format!("`{raw}` is not an https URL (plain http only for 127.0.0.1, ::1 or localhost)"),
                );
                None
            }
        });
        let agent_access_owner_only = match get("M2O_AGENT_ACCESS").as_deref() {
            None | Some("owner") => true,
            Some("open") => false,
            Some(other) => {
                bad("M2O_AGENT_ACCESS", format!("`{other}`: use owner or open"));
                true
            }
        };
        let webhook_secret = get("M2O_WEBHOOK_SECRET");
        if let Some(s) = &webhook_secret {
            if !webhook_secret_ok(s) {
                bad("M2O_WEBHOOK_SECRET", "must be 1 to 256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)".into());
            }
        }
        let log_json = match get("M2O_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                bad("M2O_LOG_FORMAT", format!("`{other}`: use text or json"));
                false
            }
        };
        let backup_dir = get("M2O_BACKUP_DIR").map(PathBuf::from);
        let backup_keep = match get("M2O_BACKUP_KEEP").map(|v| v.parse::<usize>()) {
            None => DEFAULT_BACKUP_KEEP,
            Some(Ok(n)) if (1..=365).contains(&n) => n,
            Some(_) => {
                bad("M2O_BACKUP_KEEP", "must be a number of daily backups from 1 to 365".into());
                DEFAULT_BACKUP_KEEP
            }
        };
        let other = OTHER.iter().map(|n| (*n, get(n))).collect();

        let errors = errors.into_inner();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            telegram_token,
            api_url,
            master_ids,
            orchestrator_ids,
            data_dir,
            http_addr,
            public_url,
            api_token: get("M2O_API_TOKEN"),
            mailer,
            provisioner,
            spawn_command,
            agent_image: get("M2O_AGENT_IMAGE").unwrap_or_else(|| DEFAULT_AGENT_IMAGE.into()),
            capacity,
            review_all,
            secret_key,
            brief_at,
            content_dir,
            coolify,
            spawn_timeout,
            http_timeout,
            http_read_timeout,
            callback_hosts,
            crm,
            guacamole,
            retry_base,
            escalation_sla,
            miniapp_max_age,
            agent_rate_per_minute,
            planka,
            webhook_url,
            webhook_secret,
            agent_access_owner_only,
            log_json,
            backup_dir,
            backup_keep,
            other,
        })
    }

    /// The embedded defaults this configuration runs on, each with what it means, for the
    /// start-up log: what the bot does *not* do until configured.
    pub fn defaults_in_use(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.mailer == Mailer::Log {
            out.push("M2O_MAILER=log: no email is sent; one-time codes are written to this log".to_string());
        }
        if self.provisioner == Provisioner::DryRun {
            out.push("M2O_PROVISIONER=dry-run: approved agents are not deployed anywhere".into());
        }
        if self.secret_key.is_none() {
            let key = self.data_dir.join(crate::crypto::KEY_FILE);
            out.push(format!("M2O_SECRET_KEY unset: the key is {} (back it up apart from the data)", key.display()));
        }
        if self.content_dir.is_none() {
            out.push("M2O_CONTENT_DIR unset: the built-in dialogues and texts".into());
        }
        if self.api_token.is_none() {
            out.push("M2O_API_TOKEN unset: no admin API (no approvals or backups over HTTP)".into());
        }
        if self.backup_dir.is_none() {
            out.push("M2O_BACKUP_DIR unset: no scheduled backups".into());
        }
        out
    }

    /// The effective configuration, one `NAME = value` line each, secrets masked.
    pub fn describe(&self) -> String {
        let mut rows: Vec<(&str, String)> = vec![
            ("TELOXIDE_TOKEN", self.telegram_token.clone()),
            ("TELOXIDE_API_URL", self.api_url.to_string()),
            ("M2O_MASTER_IDS", join(&self.master_ids)),
            (
                "M2O_ORCHESTRATOR_IDS",
                if self.orchestrator_ids.is_empty() { "(the masters)".into() } else { join(&self.orchestrator_ids) },
            ),
            ("M2O_DATA_DIR", self.data_dir.display().to_string()),
            ("M2O_HTTP_ADDR", self.http_addr.to_string()),
            ("M2O_PUBLIC_URL", self.public_url.clone()),
            ("M2O_API_TOKEN", self.api_token.clone().unwrap_or_default()),
        ];
        match &self.mailer {
            Mailer::Log => rows.push(("M2O_MAILER", "log (codes go to the log; no email is sent)".into())),
            Mailer::Brevo { api_key, api_url, from_name, from_email } => {
                rows.push(("M2O_MAILER", "brevo".into()));
                rows.push(("M2O_BREVO_API_KEY", api_key.clone()));
                rows.push(("M2O_BREVO_API_URL", api_url.clone()));
                rows.push(("M2O_MAIL_FROM", format!("{from_name} <{from_email}>")));
            }
        }
        let provisioner = match self.provisioner {
            Provisioner::DryRun => "dry-run (nothing is deployed)",
            Provisioner::Coolify => "coolify",
            Provisioner::Command => "command",
        };
        rows.push(("M2O_PROVISIONER", provisioner.into()));
        rows.push(("M2O_SPAWN_COMMAND", self.spawn_command.clone().unwrap_or_default()));
        rows.push(("M2O_AGENT_IMAGE", self.agent_image.clone()));
        rows.push(("M2O_CAPACITY", self.capacity.map_or("unlimited".into(), |c| c.to_string())));
        rows.push(("M2O_REVIEW_ALL", self.review_all.to_string()));
        rows.push(("M2O_SECRET_KEY", self.secret_key.clone().unwrap_or_default()));
        match &self.webhook_url {
            Some(url) => rows.push(("M2O_WEBHOOK_URL", format!("{url} (webhook mode: Telegram POSTs updates here)"))),
            None => rows.push(("M2O_WEBHOOK_URL", "(unset: long polling)".into())),
        }
        rows.push(("M2O_WEBHOOK_SECRET", self.webhook_secret.clone().unwrap_or_default()));
        let access = if self.agent_access_owner_only { "owner (one-tap bots answer only their owner)" } else { "open" };
        rows.push(("M2O_AGENT_ACCESS", access.into()));
        rows.push(("M2O_LOG_FORMAT", if self.log_json { "json" } else { "text" }.into()));
        let backups = self.backup_dir.as_ref().map_or("(unset: no scheduled backups)".into(), |d| {
            format!("{} (daily, the newest {} kept)", d.display(), self.backup_keep)
        });
        rows.push(("M2O_BACKUP_DIR", backups));
        rows.push(("M2O_BRIEF_AT", format!("{:02}:{:02} UTC", self.brief_at.0, self.brief_at.1)));
        rows.push(("M2O_ESCALATION_SLA", format!("{} minutes", self.escalation_sla.num_minutes())));
        rows.push(("M2O_AGENT_RATE_PER_MIN", self.agent_rate_per_minute.to_string()));
        rows.push(("M2O_MINIAPP_MAX_AGE", format!("{} seconds", self.miniapp_max_age.num_seconds())));
        rows.push((
            "M2O_CONTENT_DIR",
            self.content_dir.as_ref().map_or("(built in)".into(), |d| d.display().to_string()),
        ));
        for (name, value) in &self.other {
            rows.push((name, value.clone().unwrap_or_default()));
        }
        let mut out = String::new();
        for (name, value) in rows {
            let shown = match (value.is_empty(), SECRETS.contains(&name)) {
                (true, _) if name == "M2O_SECRET_KEY" => {
                    format!("(unset: key file {} in the data dir)", crate::crypto::KEY_FILE)
                }
                (true, _) if name == "M2O_WEBHOOK_SECRET" => "(unset: derived from the secret key)".into(),
                (true, _) => "(unset)".into(),
                (false, true) => "set (hidden)".into(),
                (false, false) => value,
            };
            let _ = writeln!(out, "{name} = {shown}");
        }
        out
    }

    pub fn is_master(&self, user_id: i64) -> bool {
        self.master_ids.contains(&user_id)
    }

    /// Whether an agent's callback may be POSTed to this URL: http(s), and its host among
    /// `M2O_CALLBACK_HOSTS` — so an agent's token cannot make the bot call internal services.
    pub fn callback_allowed(&self, url: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(url) else { return false };
        let Some(host) = url.host_str().map(str::to_lowercase) else { return false };
        matches!(url.scheme(), "http" | "https")
            && url.username().is_empty()
            && self.callback_hosts.iter().any(|allowed| match allowed.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => *allowed == host || allowed.trim_matches(['[', ']']) == host.trim_matches(['[', ']']),
            })
    }

    /// The control bot's id (the digits of its token before the colon).
    pub fn bot_id(&self) -> i64 {
        BotToken::parse(&self.telegram_token).map(|t| t.bot_id()).unwrap_or_default()
    }
}

/// https, or plain http to a loopback host (a local Bot API server, tests).
fn webhook_url_ok(url: &reqwest::Url) -> bool {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// Telegram's rule for `secret_token`.
pub fn webhook_secret_ok(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn join(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn parse_hhmm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    let (h, m) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() == 5).then_some((h, m))
}

/// `Name <address>` or a bare address.
fn parse_from(s: &str) -> Option<(String, String)> {
    match s.split_once('<') {
        Some((name, rest)) => {
            let addr = email::normalize(rest.strip_suffix('>')?)?;
            Some((name.trim().to_string(), addr))
        }
        None => Some((String::new(), email::normalize(s)?)),
    }
}

#[cfg(test)]
mod tests;
