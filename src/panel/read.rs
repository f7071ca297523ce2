//! What the panel shows: the fleet's read models (`fleet::panel`, `fleet::funnel`) as JSON.

use super::auth::Master;
use super::Error;
use crate::app::App;
use crate::fleet::{funnel, panel};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// How far back the charts look.
const HEALTH_DAYS: i64 = 7;
const ESCALATION_DAYS: i64 = 30;
const FUNNEL_WEEKS: usize = 8;

/// `GET /app/api/fleet`: every agent, and the fleet's health by the hour.
pub async fn fleet(State(app): State<Arc<App>>, _: Master) -> Result<Json<Value>, Error> {
    Ok(Json(json!({
        "agents": panel::agents(&app)?,
        "health": panel::health_history(&app, HEALTH_DAYS)?,
    })))
}

/// `GET /app/api/requests`: requests waiting for a decision, with their score's parts. Read-only:
/// they are decided in the chat.
pub async fn requests(State(app): State<Arc<App>>, _: Master) -> Result<Json<Value>, Error> {
    Ok(Json(json!({ "requests": panel::requests(&app)? })))
}

/// `GET /app/api/escalations`: the open ones and the recently decided, with how long each waited.
pub async fn escalations(State(app): State<Arc<App>>, _: Master) -> Result<Json<Value>, Error> {
    Ok(Json(json!({
        "escalations": panel::escalations(&app, ESCALATION_DAYS)?,
        "sla_minutes": app.config.escalation_sla.num_minutes(),
    })))
}

/// `GET /app/api/leads`: the contact track.
pub async fn leads(State(app): State<Arc<App>>, _: Master) -> Result<Json<Value>, Error> {
    Ok(Json(json!({ "leads": panel::leads(&app)? })))
}

/// `GET /app/api/funnel`: each stage's count per week, with the stages' names.
pub async fn funnel(State(app): State<Arc<App>>, _: Master) -> Result<Json<Value>, Error> {
    let tr = app.master_tr();
    let stages: Vec<Value> = funnel::STAGES.iter().map(|s| json!({ "stage": s, "label": tr.t(s.key()) })).collect();
    Ok(Json(json!({ "stages": stages, "weeks": funnel::weekly(&app, app.clock.now(), FUNNEL_WEEKS)? })))
}
