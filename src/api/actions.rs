//! `POST /v1/actions` and `GET /v1/actions/{id}` (the autonomy radius, spec §7.2): 🟢 approved at
//! once, 🟡 to the orchestrator, 🔴 to the masters; an unknown action type is 🔴.

use super::body::{parse, required};
use super::{authenticate, ApiError, RateLimits};
use crate::app::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct NewAction {
    action: String,
    summary: String,
}

pub async fn create(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let agent = authenticate(&app, &limits, &headers)?;
    let body: NewAction = parse(&headers, body)?;
    let action = required("action", &body.action)?;
    let summary = required("summary", &body.summary)?;
    let request = crate::fleet::actions::request(&app, &agent, &action, &summary).await.map_err(ApiError::internal)?;
    let decision = if request.state == crate::domain::escalation::ActionState::Auto { "auto" } else { "pending" };
    Ok((StatusCode::CREATED, Json(json!({ "decision": decision, "id": request.id, "radius": request.radius }))))
}

pub async fn get(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let agent = authenticate(&app, &limits, &headers)?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no action {id} of yours"));
    let id: u64 = id.parse().map_err(|_| not_found())?;
    let a = app.store.action(id)?.filter(|a| a.agent == agent.name).ok_or_else(not_found)?;
    Ok(Json(crate::fleet::actions::status_json(&a)))
}
