//! The HTTP surface (axum, on `M2O_HTTP_ADDR`): the agents' API — escalations (the stuck protocol,
//! spec §7.5), action requests (the autonomy radius, spec §7.2), online and heartbeats — with one
//! bearer token per agent, `POST /spawn/approve/{contact_id}` for admin surfaces (the one approval
//! path, spec §4c; bearer `M2O_API_TOKEN`, absent without one), `/healthz` and `/metrics`. JSON in
//! and out; every error is `{error, message}` with the right status, and an error changes no state.
//! Handlers parse, call `fleet`, and render JSON.

mod actions;
mod admin;
mod agents;
mod body;
mod escalations;
mod health;
mod limit;
pub mod serve;

use crate::app::App;
use crate::domain::agent::Agent;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// Bodies over this are refused with 413 (the agents send short JSON).
pub const MAX_BODY: usize = 64 * 1024;

/// What the handlers share: the app, and the API's own per-agent rate limits.
#[derive(Clone)]
pub struct ApiState {
    app: Arc<App>,
    limits: Arc<RateLimits>,
}

impl FromRef<ApiState> for Arc<App> {
    fn from_ref(state: &ApiState) -> Arc<App> {
        state.app.clone()
    }
}

impl FromRef<ApiState> for Arc<RateLimits> {
    fn from_ref(state: &ApiState) -> Arc<RateLimits> {
        state.limits.clone()
    }
}

pub fn router(app: Arc<App>) -> Router {
    let limits = Arc::new(RateLimits::new(app.config.agent_rate_per_minute));
    let state = ApiState { app: app.clone(), limits };
    let mut router = Router::new()
        .route("/v1/agents/{name}/online", post(agents::online))
        .route("/v1/agents/{name}/heartbeat", post(agents::heartbeat))
        .route("/v1/escalations", post(escalations::create))
        .route("/v1/escalations/{id}", get(escalations::get))
        .route("/v1/actions", post(actions::create))
        .route("/v1/actions/{id}", get(actions::get))
        .route("/healthz", get(health::healthz))
        .route("/livez", get(health::livez))
        .route("/metrics", get(health::metrics));
    if app.config.api_token.is_some() {
        router = router
            .route("/spawn/approve/{contact_id}", post(admin::approve))
            .route("/v1/admin/backup", get(admin::backup));
    }
    router
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(app.clone(), deadline))
        .layer(middleware::from_fn_with_state(app, count))
        .with_state(state)
}

/// A request (its body, then its handler) must be done within `M2O_HTTP_READ_TIMEOUT_MS`: a client
/// that sends its body slowly gets 408 and the connection back, instead of holding it.
async fn deadline(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(app.config.http_read_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long to arrive").into_response()
        }
    }
}

async fn count(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    app.metrics.api_request(response.status().as_u16());
    response
}

/// An error answer: `{error, message}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "API request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the request could not be stored; nothing changed")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.code, "message": self.message }))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = secs.to_string().parse() {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

/// The agent a request speaks for: its bearer token's hash must be a live agent's current one.
/// Also applies the per-agent rate limit, by the app's clock.
pub fn authenticate(app: &App, limits: &RateLimits, headers: &HeaderMap) -> Result<Agent, ApiError> {
    let unauthorized =
        || ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <M2O_AGENT_TOKEN>");
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    let agent = app.store.agent_by_token_hash(&crate::crypto::token_hash(token.trim()))?.ok_or_else(unauthorized)?;
    if let Err(wait) = limits.check(&agent.name, app.clock.now()) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests; retry after {wait} s"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok(agent)
}

pub use limit::RateLimits;
