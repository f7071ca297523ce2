//! Provisioners build an agent's app (the spawn flow, spec §3.10 steps 3-5) behind one small trait,
//! so the persisted provisioning job (see `fleet::job`) can drive Coolify, an operator's spawn
//! command, or the dry-run default the same way, step by step, and resume after a restart without a
//! second app.

use futures::future::BoxFuture;
use std::time::Duration;

/// What the job asks a provisioner to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// The agent's name (a valid slug); the app is named `<name>-desktop`.
    pub name: String,
    /// Docker image, `M2O_AGENT_IMAGE`.
    pub image: String,
}

impl AppSpec {
    pub fn app_name(&self) -> String {
        format!("{}-desktop", self.name)
    }
}

/// An environment variable for the agent. `secret` values are never logged or shown.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    pub secret: bool,
}

impl std::fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = if self.secret { "***" } else { self.value.as_str() };
        write!(f, "{}={}", self.key, shown)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployStatus {
    InProgress,
    Finished,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    /// Worth trying again: a network error, a 5xx, a 429 (with the server's `Retry-After`).
    #[error("{message}")]
    Retryable { message: String, retry_after: Option<Duration> },
    /// Sent, but no answer came (a timeout): it may have happened. Worth trying again, after
    /// looking whether it did.
    #[error("{message}")]
    Unanswered { message: String },
    /// Trying again will not help (bad credentials, a 4xx about our request, a failed script).
    #[error("{message}")]
    Fatal { message: String },
}

pub type ProvisionResult<T> = Result<T, ProvisionError>;

pub trait Provisioner: Send + Sync {
    /// `coolify`, `command` or `dry-run`, for messages and the registry.
    fn kind(&self) -> &'static str;

    /// The ids of the apps made for this spec, oldest first: a job at the create step asks this
    /// first (an interrupted or late create may have made one), and the register step deletes
    /// any twin of the app it kept.
    fn find_apps<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<Vec<String>>>;

    /// Creates the app and returns its id (Coolify's uuid).
    fn create_app<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<String>>;

    /// Sets (creates or replaces) the agent's environment variables on the app.
    fn set_env<'a>(&'a self, app_id: &'a str, vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<()>>;

    /// Starts a deployment and returns its id. `vars` are the same as given to `set_env`, for a
    /// provisioner that can only take them at this point (the spawn command).
    fn deploy<'a>(&'a self, app_id: &'a str, vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<String>>;

    /// The ids of the app's deployments, in any order: a job whose deploy call's outcome is unknown
    /// (cut off by a crash or a timeout) compares them with those before it, so it never deploys
    /// twice. A provisioner that cannot tell answers none (its deploy must then be idempotent).
    fn deployments<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<Vec<String>>>;

    /// Where a deployment stands.
    fn status<'a>(&'a self, app_id: &'a str, deployment_id: &'a str) -> BoxFuture<'a, ProvisionResult<DeployStatus>>;

    /// Deletes the app (and its deployments).
    fn delete<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<()>>;
}

/// Classifies an HTTP answer the way every provisioner's retry policy wants it.
pub fn classify_status(status: u16, retry_after: Option<Duration>, message: String) -> ProvisionError {
    if status == 429 || status >= 500 || status == 408 {
        ProvisionError::Retryable { message, retry_after }
    } else {
        ProvisionError::Fatal { message }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the APIs we call).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}
