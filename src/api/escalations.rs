//! `POST /v1/escalations` and `GET /v1/escalations/{id}` (the stuck protocol, spec §7.5).

use super::body::{parse, required};
use super::{authenticate, ApiError, RateLimits};
use crate::app::App;
use crate::domain::agent::AgentState;
use crate::domain::escalation::Escalation;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct NewEscalation {
    doing: String,
    tried: Vec<String>,
    need: String,
    #[serde(default)]
    proposed_fix: Option<String>,
    #[serde(default)]
    urgent: bool,
}

pub async fn create(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let agent = authenticate(&app, &limits, &headers)?;
    if agent.state == AgentState::Destroyed {
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", format!("agent {} is destroyed", agent.name)));
    }
    let body: NewEscalation = parse(&headers, body)?;
    // The seed wants every escalation pre-digested: what it needs is the one field we cannot do without.
    let need = required("need", &body.need)?;
    let doing = required("doing", &body.doing)?;
    let tried: Vec<String> = body.tried.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    let proposed_fix = body.proposed_fix.map(|f| f.trim().to_string()).filter(|f| !f.is_empty());
    let escalation = Escalation {
        id: app.store.new_id()?,
        agent: agent.name.clone(),
        doing,
        tried,
        need,
        proposed_fix,
        urgent: body.urgent,
        created_at: app.clock.now(),
        ruling: None,
    };
    crate::fleet::escalations::open(&app, &escalation).await.map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": escalation.id }))))
}

pub async fn get(
    State(app): State<Arc<App>>,
    State(limits): State<Arc<RateLimits>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let agent = authenticate(&app, &limits, &headers)?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no escalation {id} of yours"));
    let id: u64 = id.parse().map_err(|_| not_found())?;
    let e = app.store.escalation(id)?.filter(|e| e.agent == agent.name).ok_or_else(not_found)?;
    Ok(Json(crate::fleet::escalations::status_json(&e)))
}
