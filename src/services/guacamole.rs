//! Apache Guacamole: pre-registering an agent's desktop as a VNC connection (the spawn flow, spec
//! §3.10 step 2), and removing it when the agent is destroyed. Guacamole's REST API is undocumented
//! upstream; the calls here follow the guacamole-client source:
//!
//! - `POST <base>/api/tokens` (form `username`, `password`) gives `authToken` and `dataSource`;
//! - `GET <base>/api/session/data/<dataSource>/connections` lists connections as a map by id;
//! - `POST` to the same path creates one (JSON, every value a string) and echoes it with its id;
//! - `DELETE <base>/api/session/data/<dataSource>/connections/<id>` removes one;
//! - `DELETE <base>/api/tokens/<token>` logs out (`m2o-bot doctor` logs in and straight out again).
//!
//! The token travels in the `Guacamole-Token` header (Guacamole 1.4 and later) rather than the
//! `?token=` parameter, so it never appears in a URL that an error message or a proxy log could
//! show. It is kept between calls; Guacamole drops it after `api-session-timeout` idle minutes
//! (60 by default) and then answers 403 PERMISSION_DENIED, so we log in again and retry once.

use super::probe::{self, ProbeError};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::Mutex;

const TIMEOUT: Duration = Duration::from_secs(15);

/// The message for a refused login: it names the settings to fix, never their values.
pub const REJECTED_LOGIN: &str = "Guacamole rejected M2O_GUACAMOLE_USER/M2O_GUACAMOLE_PASSWORD";

/// Why a Guacamole call failed. The message never contains the password or the auth token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuacError {
    /// Network trouble, a 5xx or a 429 (the ban extension): try again later.
    #[error("{0} (temporary)")]
    Retryable(String),
    /// Bad credentials, missing permissions, any other 4xx or an unreadable answer.
    #[error("{0}")]
    Fatal(String),
}

/// A logged-in session: the token and the data source it belongs to (`postgresql`, `mysql`...).
#[derive(Clone)]
struct Session {
    token: String,
    data_source: String,
}

pub struct GuacamoleClient {
    http: reqwest::Client,
    api: String,
    user: String,
    password: String,
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for GuacamoleClient {
    // Neither the password nor the session token may reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuacamoleClient").field("api", &self.api).field("user", &self.user).finish_non_exhaustive()
    }
}

/// What the doctor's login found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuacamoleLogin {
    /// Where connections are kept (`postgresql`, `mysql`...).
    pub data_source: String,
    /// The session was closed again (else it expires by itself after Guacamole's idle timeout).
    pub logged_out: bool,
}

/// A status and body, read whole: Guacamole's answers are small.
struct Answer {
    status: StatusCode,
    text: String,
}

/// One connection of the list, as much as we need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    identifier: String,
    name: String,
}

impl GuacamoleClient {
    /// `base_url` is `M2O_GUACAMOLE_URL`, the web app's root such as `https://g2.example/guacamole`
    /// (the context path depends on the deployment). A URL already ending in `/api` works too.
    pub fn new(http: reqwest::Client, base_url: &str, user: &str, password: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        let api = if base.ends_with("/api") { base.to_string() } else { format!("{base}/api") };
        GuacamoleClient { http, api, user: user.into(), password: password.into(), session: Mutex::new(None) }
    }

    /// Logs in (POST /api/tokens form), then finds a connection named `name` or creates a VNC
    /// connection to `hostname:port` at the top level. Idempotent by name. Returns the identifier.
    pub async fn ensure_vnc_connection(&self, name: &str, hostname: &str, port: u16) -> Result<String, GuacError> {
        if let Some(found) = self.find(name).await? {
            tracing::info!(name, identifier = %found.identifier, "Guacamole connection already registered");
            return Ok(found.identifier);
        }
        let body = vnc_connection(name, hostname, port);
        let created = self.json(self.call(Method::POST, "connections", Some(&body)).await?)?;
        let identifier = created
            .get("identifier")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| GuacError::Fatal("Guacamole created the connection but gave no identifier".into()))?;
        tracing::info!(name, identifier, "Guacamole connection registered");
        Ok(identifier.to_string())
    }

    /// Deletes the connection named `name` if it exists (used when an agent is destroyed).
    /// Every connection of that name goes: names are `<agent>-desktop`, ours alone.
    pub async fn delete_connection(&self, name: &str) -> Result<(), GuacError> {
        let listed = self.list().await?;
        for connection in listed.iter().filter(|c| c.name == name) {
            let path = format!("connections/{}", connection.identifier);
            let answer = self.call(Method::DELETE, &path, None).await?;
            // A 404 means someone removed it between the list and the delete: the goal is met.
            if answer.status != StatusCode::NOT_FOUND {
                self.json(answer)?;
            }
            tracing::info!(name, identifier = %connection.identifier, "Guacamole connection deleted");
        }
        Ok(())
    }

    /// The API base these calls go to (`…/api`).
    pub fn api_base(&self) -> &str {
        &self.api
    }

    /// Logs in and straight out again, for the doctor: the credentials are accepted. Its own
    /// session, not the one kept for provisioning.
    pub async fn probe(&self) -> Result<GuacamoleLogin, ProbeError> {
        let form = [("username", self.user.as_str()), ("password", self.password.as_str())];
        let login = self.http.post(format!("{}/tokens", self.api)).header("accept", "application/json").form(&form);
        let text = probe::get(login, &self.password).await?;
        let session = parse_token(&text).map_err(|e| ProbeError::Failed(e.to_string()))?;
        // The token is in this URL: a probe's error never carries a URL, and the token is cut out
        // of anything Guacamole says back.
        let logout = self
            .http
            .delete(format!("{}/tokens/{}", self.api, session.token))
            .header("Guacamole-Token", &session.token);
        let logged_out = probe::get(logout, &session.token).await.is_ok();
        Ok(GuacamoleLogin { data_source: session.data_source, logged_out })
    }

    async fn find(&self, name: &str) -> Result<Option<Listed>, GuacError> {
        Ok(self.list().await?.into_iter().find(|c| c.name == name))
    }

    async fn list(&self) -> Result<Vec<Listed>, GuacError> {
        let map = self.json(self.call(Method::GET, "connections", None).await?)?;
        let Value::Object(map) = map else {
            return Err(GuacError::Fatal("Guacamole's connection list is not a map".into()));
        };
        Ok(map.iter().filter_map(listed).collect())
    }

    /// A call under `/session/data/<dataSource>/`, with one fresh login if the token was refused.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer, GuacError> {
        let session = self.session(None).await?;
        let answer = self.send(&session, method.clone(), path, body).await?;
        if answer.status != StatusCode::FORBIDDEN {
            return Ok(answer);
        }
        // An expired token and a missing permission both give 403 PERMISSION_DENIED; only a new
        // token tells them apart, so log in again once and let a second 403 stand.
        tracing::info!("Guacamole refused the session token; logging in again");
        let session = self.session(Some(&session.token)).await?;
        let answer = self.send(&session, method, path, body).await?;
        if answer.status == StatusCode::FORBIDDEN {
            return Err(GuacError::Fatal(format!(
                "Guacamole user {} lacks the permission for this: {}",
                self.user,
                self.redact(&error_summary(&answer.text))
            )));
        }
        Ok(answer)
    }

    async fn send(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GuacError> {
        let url = format!("{}/session/data/{}/{}", self.api, session.data_source, path);
        let mut request = self
            .http
            .request(method, url)
            .header("Guacamole-Token", &session.token)
            .header("accept", "application/json")
            .timeout(TIMEOUT);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.answer(request).await
    }

    /// Sends; any network failure, before or during the body, is worth a retry.
    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<Answer, GuacError> {
        let unreachable = |e: reqwest::Error| {
            // without_url: the URL holds no secret, but it makes the message long for nothing.
            GuacError::Retryable(format!("could not reach Guacamole: {}", self.redact(&e.without_url().to_string())))
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        Ok(Answer { status, text })
    }

    /// The JSON of a 2xx answer (`null` for an empty one, as DELETE's 204), or the error.
    fn json(&self, answer: Answer) -> Result<Value, GuacError> {
        let Answer { status, text } = answer;
        if !status.is_success() {
            return Err(classify(status, &self.redact(&error_summary(&text))));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .map_err(|e| GuacError::Fatal(format!("unreadable Guacamole answer (HTTP {status}): {e}")))
    }

    /// The current session, or a new one when there is none or when `stale` (a token just
    /// refused) is still the current one. Holding the lock while logging in keeps concurrent
    /// callers from opening a session each.
    async fn session(&self, stale: Option<&str>) -> Result<Session, GuacError> {
        let mut current = self.session.lock().await;
        if let Some(session) = current.as_ref() {
            if Some(session.token.as_str()) != stale {
                return Ok(session.clone());
            }
        }
        *current = None;
        let session = self.login().await?;
        *current = Some(session.clone());
        Ok(session)
    }

    async fn login(&self) -> Result<Session, GuacError> {
        let form = [("username", self.user.as_str()), ("password", self.password.as_str())];
        let request = self
            .http
            .post(format!("{}/tokens", self.api))
            .header("accept", "application/json")
            .form(&form)
            .timeout(TIMEOUT);
        let Answer { status, text } = self.answer(request).await?;
        if !status.is_success() {
            return Err(self.login_error(status, &text));
        }
        let session = parse_token(&text)?;
        tracing::debug!(user = %self.user, data_source = %session.data_source, "logged in to Guacamole");
        Ok(session)
    }

    fn login_error(&self, status: StatusCode, text: &str) -> GuacError {
        let kind = error_type(text);
        // Guacamole answers a bad login with 403 INVALID_CREDENTIALS, not 401.
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            if kind == "INSUFFICIENT_CREDENTIALS" {
                return GuacError::Fatal(format!(
                    "Guacamole wants more than M2O_GUACAMOLE_USER/M2O_GUACAMOLE_PASSWORD to log in \
                     (a second factor?): {}",
                    self.redact(&error_summary(text))
                ));
            }
            return GuacError::Fatal(REJECTED_LOGIN.into());
        }
        classify(status, &self.redact(&error_summary(text)))
    }

    /// Removes the password from text that came from the network. Guacamole has no reason to
    /// echo it, but these messages end up in logs. The session token is only ever sent in a
    /// header, so no URL or error of ours can hold it.
    fn redact(&self, s: &str) -> String {
        if self.password.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.password, "***")
        }
    }
}

/// The APIConnection body: top level (`ROOT`), every parameter a string. `attributes` must be a
/// map, even empty: the JDBC backends read it without a null check.
fn vnc_connection(name: &str, hostname: &str, port: u16) -> Value {
    json!({
        "parentIdentifier": "ROOT",
        "name": name,
        "protocol": "vnc",
        "parameters": { "hostname": hostname, "port": port.to_string() },
        "attributes": {},
    })
}

/// One entry of the `{"<id>": {...}}` list; the id is in the value and, the same, in the key.
fn listed((key, value): (&String, &Value)) -> Option<Listed> {
    let name = value.get("name")?.as_str()?.to_string();
    let identifier = value.get("identifier").and_then(Value::as_str).unwrap_or(key).to_string();
    Some(Listed { identifier, name })
}

fn parse_token(text: &str) -> Result<Session, GuacError> {
    let body: Value =
        serde_json::from_str(text).map_err(|e| GuacError::Fatal(format!("unreadable Guacamole login answer: {e}")))?;
    let field = |k: &str| body.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    match (field("authToken"), field("dataSource")) {
        (Some(token), Some(data_source)) => Ok(Session { token, data_source }),
        _ => Err(GuacError::Fatal("Guacamole's login answer lacks authToken or dataSource".into())),
    }
}

/// 5xx and 429 are worth retrying; any other status is not.
fn classify(status: StatusCode, summary: &str) -> GuacError {
    let message = format!("Guacamole answered HTTP {} {summary}", status.as_u16());
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        GuacError::Retryable(message)
    } else {
        GuacError::Fatal(message)
    }
}

/// The `type` of an APIError body (`INVALID_CREDENTIALS`, `PERMISSION_DENIED`, ...).
fn error_type(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `TYPE: message` from an APIError body, or the start of a non-JSON body (a proxy's page).
fn error_summary(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(body) => {
            let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
            format!("{}: {message}", error_type(text))
        }
        Err(_) => text.chars().take(200).collect(),
    }
}
