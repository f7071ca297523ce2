//! `POST /v1/agents/{name}/online` (the agent booted: the bootstrap's last step, spec §3.4 step 8)
//! and `…/heartbeat`.

use super::body::parse;
use super::{authenticate, ApiError, RateLimits};
use crate::app::App;
use crate::domain::agent::{Agent, AgentState};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
struct Online {
    /// Where decisions on this agent's escalations and actions are POSTed.
    #[serde(default)]
    callback_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Heartbeat {
    #[serde(default)]
    doing: Option<String>,
    #[serde(default)]
    card: Option<String>,
}

/// The token must be this agent's, and the agent must still exist in the fleet.
fn this_agent(app: &App, limits: &RateLimits, headers: &HeaderMap, name: &str) -> Result<Agent, ApiError> {
    let agent = authenticate(app, limits, headers)?;
    if agent.name != name {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", format!("this token is not {name}'s")));
    }
    if matches!(agent.state, AgentState::Destroyed | AgentState::Failed) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("agent {name} is {}", agent.state.as_str()),
        ));
    }
    Ok(agent)
}

pub async fn online(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let agent = this_agent(&app, &limits, &headers, &name)?;
    let body: Online = parse(&headers, body)?;
    if let Some(url) = &body.callback_url {
        if reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
            return Err(ApiError::bad("`callback_url` must be an http(s) URL"));
        }
        if !app.config.callback_allowed(url) {
            return Err(ApiError::bad(
                "`callback_url` is not on a host this fleet allows (M2O_CALLBACK_HOSTS); poll GET /v1/escalations/{id} and /v1/actions/{id} instead",
            ));
        }
    }
    crate::fleet::live::online(&app, agent, body.callback_url).await.map_err(ApiError::internal)?;
    Ok(Json(json!({ "name": name, "state": "live" })))
}

pub async fn heartbeat(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let agent = this_agent(&app, &limits, &headers, &name)?;
    let body: Heartbeat = parse(&headers, body)?;
    let clean = |s: Option<String>| s.map(|v| v.trim().chars().take(200).collect::<String>()).filter(|v| !v.is_empty());
    crate::fleet::live::heartbeat(&app, agent, clean(body.doing), clean(body.card))?;
    Ok(Json(json!({ "ok": true })))
}
