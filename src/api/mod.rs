//! The HTTP API (axum, on `M2O_HTTP_ADDR`). For now: `POST /spawn/approve/{contact_id}` (§4c), the
//! single approval endpoint any surface may call (e.g. a CRM action on a `pending_review`
//! contact), with the bearer `M2O_API_TOKEN`. Without a token the endpoint does not exist.
//! Answers are JSON; errors are `{error, message}` and change nothing.

use crate::app::App;
use crate::crypto::token_hash;
use crate::domain::Actor;
use crate::fleet::approval::{self, DecideError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    let mut router = Router::new();
    if app.config.api_token.is_some() {
        router = router.route("/spawn/approve/{contact_id}", post(approve));
    }
    router.fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") }).with_state(app)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// Whether the request carries `Authorization: Bearer <M2O_API_TOKEN>`. Compared as SHA-256
/// digests, so the time taken says nothing about the token.
fn authorised(app: &App, headers: &HeaderMap) -> bool {
    let Some(expected) = &app.config.api_token else { return false };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|g| token_hash(g.trim()) == token_hash(expected))
}

async fn approve(State(app): State<Arc<App>>, headers: HeaderMap, Path(contact_id): Path<String>) -> Response {
    if !authorised(&app, &headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <M2O_API_TOKEN>");
    }
    let Ok(id) = contact_id.trim_start_matches('#').parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, "bad_contact_id", "contact_id must be a request number, e.g. 12");
    };
    match approval::approve(&app, id, Actor::Api).await {
        Ok(job_id) => (StatusCode::OK, Json(json!({ "contact_id": id, "decision": "approved", "job_id": job_id })))
            .into_response(),
        Err(e @ DecideError::AlreadyDecided(_)) => {
            let DecideError::AlreadyDecided(d) = &e else { unreachable!() };
            let body = json!({
                "error": "already_decided",
                "message": e.to_string(),
                "approved": d.approved,
                "decided_by": d.by.to_string(),
                "decided_at": d.at,
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Err(e @ DecideError::NotFound(_)) => error(StatusCode::NOT_FOUND, "not_found", &e.to_string()),
        Err(e @ (DecideError::NotPending(..) | DecideError::NameTaken(_))) => {
            error(StatusCode::CONFLICT, "not_pending", &e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "approve failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the decision could not be stored; nothing changed")
        }
    }
}
