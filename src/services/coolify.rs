//! The Coolify provisioner: a client of the Coolify v4 REST API (`M2O_COOLIFY_API_URL`, bearer
//! `M2O_COOLIFY_TOKEN`) that creates the agent's `<name>-desktop` app from a Docker image in
//! `M2O_COOLIFY_PROJECT_UUID` on `M2O_COOLIFY_SERVER_UUID`, sets its environment, deploys it and
//! follows the deployment.
//!
//! Calls (paths relative to `/api/v1`, shapes from Coolify's openapi.json):
//! - `GET /applications` to find an app by name (the list has no project filter, so the name is
//!   the key; it is unique per agent because agent names are).
//! - `POST /applications/dockerimage` to create it, `instant_deploy: false` so the environment is
//!   in place before the first container starts.
//! - `PATCH /applications/{uuid}/envs/bulk`: one call that creates or updates every variable
//!   (Coolify matches by key), so a retried step never meets "already exists" (409).
//! - `POST /deploy?uuid=…`: POST, not GET, because Coolify v4.2+ answers GET with 405.
//! - `GET /deployments/{uuid}` for the status, `DELETE /applications/{uuid}` to delete.
//! - `GET /deployments/applications/{uuid}` to list an app's deployments: after a deploy call
//!   whose outcome is unknown, a deployment that was not there before it is the one it queued.
//! - For `m2o-bot doctor`: `GET /version` (it needs the token, so it checks it), `GET
//!   /projects/{uuid}` and `GET /servers/{uuid}`.
//!
//! Deployment status mapping (Coolify's `ApplicationDeploymentStatus` enum):
//! `finished` → `Finished`; `failed` → `Failed`; `cancelled-by-user` (or any `cancelled…`) →
//! `Failed`; `queued`, `in_progress` → `InProgress`; anything else → `InProgress` with a warning,
//! so a status added by a newer Coolify does not fail an agent that may still come up (the job's
//! own deadline bounds the wait).
//!
//! Errors: a network error, 408, 429 and 5xx are `Retryable` (429 with Coolify's `Retry-After`);
//! any other 4xx is `Fatal` with Coolify's `{"message": …}`. The token is only ever in the
//! `Authorization` header: never in a URL, an error or a log line. Variable values are never
//! logged, and secret ones are masked in any error text that could echo them.

use super::probe::{self, ProbeError};
use super::provisioner::{
    classify_status, retry_after, AppSpec, DeployStatus, EnvVar, ProvisionError, ProvisionResult, Provisioner,
};
use futures::future::BoxFuture;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Coolify creates a `production` environment in every project; agents live there.
pub const ENVIRONMENT_NAME: &str = "production";

/// The port the desktop image exposes (guacd, which Guacamole connects to). Coolify's API requires
/// `ports_exposes` for a Docker-image app even though the openapi marks it optional.
pub const PORTS_EXPOSES: &str = "4822";

pub struct CoolifyProvisioner {
    http: reqwest::Client,
    /// `…/api/v1`, without a trailing slash.
    base: String,
    token: String,
    project_uuid: String,
    server_uuid: String,
}

impl std::fmt::Debug for CoolifyProvisioner {
    // The token must never reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoolifyProvisioner")
            .field("base", &self.base)
            .field("project_uuid", &self.project_uuid)
            .field("server_uuid", &self.server_uuid)
            .finish_non_exhaustive()
    }
}

impl CoolifyProvisioner {
    /// `api_url` is the instance (`https://coolify.example.com`) or its API base
    /// (`https://coolify.example.com/api/v1`); both work, as operators copy either.
    pub fn new(http: reqwest::Client, api_url: &str, token: &str, project_uuid: &str, server_uuid: &str) -> Self {
        CoolifyProvisioner {
            http,
            base: api_base(api_url),
            token: token.into(),
            project_uuid: project_uuid.into(),
            server_uuid: server_uuid.into(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Sends a request and decodes a 2xx answer as `T`; any other answer becomes a `ProvisionError`.
    async fn call<T: DeserializeOwned>(&self, op: &str, request: RequestBuilder) -> ProvisionResult<T> {
        let answer = send(op, request).await?;
        answer.decode(op)
    }
}

/// What the doctor reads: harmless GETs, each failure as what an operator does about it.
impl CoolifyProvisioner {
    /// The API base these calls go to, `…/api/v1`.
    pub fn api_base(&self) -> &str {
        &self.base
    }

    /// `GET /version`: Coolify's version, e.g. `4.0.0-beta.380`.
    pub async fn probe_version(&self) -> Result<String, ProbeError> {
        let text = self.probe("/version").await?;
        Ok(text.trim().trim_matches('"').to_string())
    }

    /// `GET /projects/{M2O_COOLIFY_PROJECT_UUID}`: the project's name.
    pub async fn probe_project(&self) -> Result<String, ProbeError> {
        self.probe_name("project", &self.project_uuid, "/projects").await
    }

    /// `GET /servers/{M2O_COOLIFY_SERVER_UUID}`: the server's name.
    pub async fn probe_server(&self) -> Result<String, ProbeError> {
        self.probe_name("server", &self.server_uuid, "/servers").await
    }

    async fn probe_name(&self, what: &str, uuid: &str, collection: &str) -> Result<String, ProbeError> {
        // A uuid that is not one would reshape the path: it names nothing.
        let uuid = path_id(what, uuid).map_err(|_| ProbeError::NotFound(format!("`{uuid}` is not a uuid")))?;
        let text = self.probe(&format!("{collection}/{uuid}")).await?;
        let body: Value =
            serde_json::from_str(&text).map_err(|e| ProbeError::Failed(format!("an answer that is not JSON ({e})")))?;
        Ok(body["name"].as_str().unwrap_or_default().to_string())
    }

    async fn probe(&self, path: &str) -> Result<String, ProbeError> {
        probe::get(self.request(Method::GET, path), &self.token).await.map_err(|e| match e {
            // Coolify answers a token whose team is gone with 400 "Invalid token.": refused too.
            ProbeError::Failed(m) if m.contains("Invalid token.") => {
                ProbeError::Refused { status: 400, detail: "Invalid token.".into() }
            }
            other => other,
        })
    }
}

/// An HTTP answer, read whole.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl Answer {
    /// A 2xx body as `T`; any other status as the error it means.
    fn decode<T: DeserializeOwned>(&self, op: &str) -> ProvisionResult<T> {
        let code = self.status.as_u16();
        if !self.status.is_success() {
            return Err(http_error(op, code, self.retry_after, &self.body));
        }
        serde_json::from_slice(&self.body).map_err(|e| ProvisionError::Fatal {
            message: format!("Coolify {op}: unexpected answer (HTTP {code}): {e}"),
        })
    }
}

/// Sends a request; only a failure to talk to Coolify at all is an error here.
async fn send(op: &str, request: RequestBuilder) -> ProvisionResult<Answer> {
    let response = request.send().await.map_err(|e| network_error(op, e))?;
    let status = response.status();
    let wait = retry_after(response.headers());
    // A body cut off mid-way is a network problem like any other: worth retrying.
    let body = response.bytes().await.map_err(|e| network_error(op, e))?.to_vec();
    Ok(Answer { status, retry_after: wait, body })
}

/// Normalizes `M2O_COOLIFY_API_URL` to the API base, `…/api/v1`.
fn api_base(api_url: &str) -> String {
    let url = api_url.trim().trim_end_matches('/');
    if url.ends_with("/api/v1") {
        url.to_string()
    } else {
        format!("{url}/api/v1")
    }
}

/// Splits `name[:tag]` the way Coolify's `DockerImageParser` does: the tag is after the last `:`
/// only if that colon comes after the last `/` (otherwise it is a registry port); no tag means
/// `latest`. A digest (`name@sha256:…`) is kept whole in the tag field.
pub fn split_image(image: &str) -> (String, String) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name.to_string(), digest.to_string());
    }
    let last_slash = image.rfind('/');
    match image.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (image[..colon].to_string(), image[colon + 1..].to_string())
        }
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// An id we put in a URL path. Coolify's uuids are cuid2 (lowercase letters and digits); anything
/// else (a corrupted job record) must not be able to reshape the request.
fn path_id<'a>(what: &str, id: &'a str) -> ProvisionResult<&'a str> {
    let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(ProvisionError::Fatal { message: format!("`{id}` is not a Coolify {what} uuid") })
    }
}

fn network_error(op: &str, e: reqwest::Error) -> ProvisionError {
    // A timeout came after the request went out: Coolify may have done it anyway.
    let unanswered = e.is_timeout();
    // without_url: the URL holds no secret, but keep the message about the failure itself.
    let e = e.without_url();
    let mut message = format!("Coolify {op}: could not reach Coolify: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if unanswered {
        return ProvisionError::Unanswered { message };
    }
    ProvisionError::Retryable { message, retry_after: None }
}

/// Turns a non-2xx answer into an error, with Coolify's own message.
fn http_error(op: &str, code: u16, wait: Option<Duration>, body: &[u8]) -> ProvisionError {
    let detail = api_message(body);
    // 401 "Unauthenticated.", and 400 "Invalid token." for a token whose team is gone.
    if code == 401 || (code == 400 && detail == "Invalid token.") {
        return ProvisionError::Fatal {
            message: format!("Coolify rejected M2O_COOLIFY_TOKEN (HTTP {code} on {op}: {detail})"),
        };
    }
    let hint = match code {
        403 => {
            " (is the API enabled in Coolify's settings, and does the token have the read, write and deploy abilities?)"
        }
        _ => "",
    };
    classify_status(code, wait, format!("Coolify {op}: HTTP {code}: {detail}{hint}"))
}

/// Coolify answers errors as `{"message": …}`, validation errors with `"errors": {field: [..]}`
/// too. A body that is not JSON (a proxy's error page) is summed up by its start.
fn api_message(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() { "(empty answer)".into() } else { text.chars().take(200).collect() };
    };
    let mut message = value.get("message").and_then(Value::as_str).unwrap_or("(no message)").to_string();
    if let Some(errors) = value.get("errors").and_then(Value::as_object) {
        let fields: Vec<String> =
            errors.iter().map(|(field, problems)| format!("{field}: {}", field_problems(problems))).collect();
        if !fields.is_empty() {
            message = format!("{message} ({})", fields.join("; "));
        }
    }
    message
}

fn field_problems(problems: &Value) -> String {
    match problems {
        Value::Array(items) => {
            items.iter().map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string)).collect::<Vec<_>>().join(" ")
        }
        other => other.as_str().map_or_else(|| other.to_string(), str::to_string),
    }
}

/// Replaces every secret value in an error's text with `***`: Coolify does not echo values, but a
/// proxy or a future version might, and the error ends up in the job record and the log.
fn mask_error(error: ProvisionError, vars: &[EnvVar]) -> ProvisionError {
    let mask = |mut text: String| {
        for var in vars.iter().filter(|v| v.secret && !v.value.is_empty()) {
            text = text.replace(&var.value, "***");
        }
        text
    };
    match error {
        ProvisionError::Retryable { message, retry_after } => {
            ProvisionError::Retryable { message: mask(message), retry_after }
        }
        ProvisionError::Fatal { message } => ProvisionError::Fatal { message: mask(message) },
        ProvisionError::Unanswered { message } => ProvisionError::Unanswered { message: mask(message) },
    }
}

/// A row of `GET /applications` (the `Application` schema): only what matching needs.
#[derive(Deserialize)]
struct AppRow {
    uuid: String,
    #[serde(default)]
    name: Option<String>,
    /// ISO 8601 in UTC (`2026-01-10T09:12:45.000000Z`), so it sorts as text.
    #[serde(default)]
    created_at: Option<String>,
}

/// A row of `GET /deployments/applications/{uuid}` (an `ApplicationDeploymentQueue`; the openapi
/// calls it `Application`, the controller answers deployments).
#[derive(Deserialize)]
struct DeploymentRow {
    #[serde(default)]
    deployment_uuid: Option<String>,
}

/// `POST /applications/dockerimage` answers `{"uuid": …}` (plus `domains` on recent versions).
#[derive(Deserialize)]
struct Created {
    uuid: String,
}

/// `POST /deploy` answers `{"deployments": [{message, resource_uuid, deployment_uuid}]}`.
#[derive(Deserialize)]
struct DeployAnswer {
    #[serde(default)]
    deployments: Vec<Queued>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Queued {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    resource_uuid: Option<String>,
    #[serde(default)]
    deployment_uuid: Option<String>,
}

/// `GET /deployments/{uuid}` answers an `ApplicationDeploymentQueue`; `logs` is not read, as it
/// can hold the deployment's commands.
#[derive(Deserialize)]
struct Deployment {
    status: String,
    #[serde(default)]
    deployment_url: Option<String>,
}

/// Maps Coolify's deployment status (see the module doc).
pub fn map_status(deployment_id: &str, status: &str, deployment_url: Option<&str>) -> DeployStatus {
    let see = deployment_url.filter(|u| !u.is_empty()).map(|u| format!("; logs at {u}")).unwrap_or_default();
    match status {
        "finished" => DeployStatus::Finished,
        "queued" | "in_progress" => DeployStatus::InProgress,
        "failed" => DeployStatus::Failed(format!("Coolify deployment {deployment_id} failed{see}")),
        s if s.starts_with("cancelled") => {
            DeployStatus::Failed(format!("Coolify deployment {deployment_id} was cancelled ({s}){see}"))
        }
        other => {
            tracing::warn!(
                deployment = deployment_id,
                status = other,
                "unknown Coolify deployment status; treating it as in progress"
            );
            DeployStatus::InProgress
        }
    }
}

fn env_row(var: &EnvVar) -> Value {
    json!({
        "key": var.key,
        "value": var.value,
        "is_preview": false,
        // Literal: Coolify must not interpolate `$…` inside a token or a generated value.
        "is_literal": true,
        "is_multiline": var.value.contains('\n'),
        // Coolify's "secret" flag: the UI shows the value once, then hides it.
        "is_shown_once": var.secret,
    })
}

impl Provisioner for CoolifyProvisioner {
    fn kind(&self) -> &'static str {
        "coolify"
    }

    fn find_apps<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async move {
            let name = spec.app_name();
            let apps: Vec<AppRow> = self.call("list applications", self.request(Method::GET, "/applications")).await?;
            let mut matching: Vec<AppRow> =
                apps.into_iter().filter(|a| a.name.as_deref() == Some(name.as_str())).collect();
            // The oldest first (a stable sort: Coolify's own order where a time is missing).
            matching.sort_by(|a, b| {
                a.created_at.is_none().cmp(&b.created_at.is_none()).then(a.created_at.cmp(&b.created_at))
            });
            let found: Vec<String> = matching.into_iter().map(|a| a.uuid).collect();
            if found.len() > 1 {
                tracing::warn!(app = %name, apps = ?found, "several Coolify apps have this name");
            }
            tracing::info!(app = %name, uuids = ?found, "looked for the Coolify app");
            Ok(found)
        })
    }

    fn deployments<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async move {
            let app = path_id("application", app_id)?;
            let request =
                self.request(Method::GET, &format!("/deployments/applications/{app}")).query(&[("take", "100")]);
            let rows: Vec<DeploymentRow> = self.call("list deployments", request).await?;
            Ok(rows.into_iter().filter_map(|r| r.deployment_uuid).collect())
        })
    }

    fn create_app<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move {
            let name = spec.app_name();
            let (image, tag) = split_image(&spec.image);
            let body = json!({
                "project_uuid": self.project_uuid,
                "server_uuid": self.server_uuid,
                "environment_name": ENVIRONMENT_NAME,
                "docker_registry_image_name": image,
                "docker_registry_image_tag": tag,
                "ports_exposes": PORTS_EXPOSES,
                "name": name,
                "description": format!("m2o agent {}", spec.name),
                "instant_deploy": false,
            });
            let created: Created =
                self.call("create app", self.request(Method::POST, "/applications/dockerimage").json(&body)).await?;
            path_id("application", &created.uuid)?;
            tracing::info!(app = %name, uuid = %created.uuid, image = %spec.image, "created the Coolify app");
            Ok(created.uuid)
        })
    }

    fn set_env<'a>(&'a self, app_id: &'a str, vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async move {
            let app = path_id("application", app_id)?;
            // Coolify answers an empty bulk with 400 "Bulk data is required."; nothing to do anyway.
            if vars.is_empty() {
                return Ok(());
            }
            let body = json!({ "data": vars.iter().map(env_row).collect::<Vec<_>>() });
            let request = self.request(Method::PATCH, &format!("/applications/{app}/envs/bulk")).json(&body);
            // The answer echoes the variables (values included when the token may read
            // sensitive data): it is checked for being JSON, and not kept.
            self.call::<Value>("set environment", request).await.map_err(|e| mask_error(e, vars))?;
            let keys: Vec<&str> = vars.iter().map(|v| v.key.as_str()).collect();
            tracing::info!(uuid = %app, keys = ?keys, "set the Coolify app's environment");
            Ok(())
        })
    }

    fn deploy<'a>(&'a self, app_id: &'a str, _vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move {
            let app = path_id("application", app_id)?;
            let request = self.request(Method::POST, "/deploy").query(&[("uuid", app), ("force", "false")]);
            let answer: DeployAnswer = self.call("deploy", request).await?;
            let queued = answer
                .deployments
                .iter()
                .find(|d| d.resource_uuid.as_deref() == Some(app))
                .or(answer.deployments.first());
            let Some(deployment) = queued.and_then(|d| d.deployment_uuid.clone()) else {
                let said =
                    queued.and_then(|d| d.message.clone()).or(answer.message).unwrap_or_else(|| "(no message)".into());
                return Err(ProvisionError::Fatal {
                    message: format!("Coolify deploy: no deployment was queued for {app}: {said}"),
                });
            };
            path_id("deployment", &deployment)?;
            tracing::info!(uuid = %app, deployment = %deployment, "Coolify deployment queued");
            Ok(deployment)
        })
    }

    fn status<'a>(&'a self, app_id: &'a str, deployment_id: &'a str) -> BoxFuture<'a, ProvisionResult<DeployStatus>> {
        Box::pin(async move {
            let id = path_id("deployment", deployment_id)?;
            let deployment: Deployment =
                self.call("deployment status", self.request(Method::GET, &format!("/deployments/{id}"))).await?;
            let status = map_status(id, &deployment.status, deployment.deployment_url.as_deref());
            tracing::debug!(uuid = %app_id, deployment = %id, coolify = %deployment.status, ?status, "Coolify deployment status");
            Ok(status)
        })
    }

    fn delete<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async move {
            let app = path_id("application", app_id)?;
            // Coolify's defaults, stated so the request says what it does: a deleted agent's app
            // leaves no configuration, volume, image or network behind.
            let request = self.request(Method::DELETE, &format!("/applications/{app}")).query(&[
                ("delete_configurations", "true"),
                ("delete_volumes", "true"),
                ("docker_cleanup", "true"),
                ("delete_connected_networks", "true"),
            ]);
            let answer = send("delete app", request).await?;
            // Already gone (a retried delete, or removed by hand): the goal is reached.
            if answer.status == StatusCode::NOT_FOUND {
                tracing::info!(uuid = %app, "the Coolify app was already gone");
                return Ok(());
            }
            answer.decode::<Value>("delete app")?;
            tracing::info!(uuid = %app, "deleted the Coolify app (Coolify removes it in the background)");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_base_is_found_from_either_form_of_the_url() {
        assert_eq!(api_base("https://c.example.com"), "https://c.example.com/api/v1");
        assert_eq!(api_base("https://c.example.com/"), "https://c.example.com/api/v1");
        assert_eq!(api_base("https://c.example.com/api/v1/"), "https://c.example.com/api/v1");
    }

    #[test]
    fn error_messages_come_from_coolifys_body() {
        assert_eq!(api_message(br#"{"message":"Application not found."}"#), "Application not found.");
        assert_eq!(
            api_message(br#"{"message":"Validation failed.","errors":{"name":["Too long.","Bad."]}}"#),
            "Validation failed. (name: Too long. Bad.)"
        );
        assert_eq!(api_message(b"<html>502 Bad Gateway</html>"), "<html>502 Bad Gateway</html>");
        assert_eq!(api_message(b""), "(empty answer)");
    }

    #[test]
    fn an_invalid_token_answer_names_the_variable() {
        let e = http_error("list applications", 400, None, br#"{"message":"Invalid token."}"#);
        assert!(matches!(&e, ProvisionError::Fatal { message } if message.contains("M2O_COOLIFY_TOKEN")));
        let e = http_error("deploy", 403, None, br#"{"message":"Missing required permissions: deploy"}"#);
        assert!(matches!(&e, ProvisionError::Fatal { message } if message.contains("Missing required permissions")));
    }

    #[test]
    fn ids_are_checked_before_they_go_into_a_path() {
        assert!(path_id("application", "a4w8kk8ok0c0gs4s0kwo4cgs").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "a b"] {
            assert!(path_id("application", bad).is_err(), "{bad}");
        }
    }
}
