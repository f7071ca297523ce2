//! The admin endpoints, for whoever holds `M2O_API_TOKEN`: `POST /spawn/approve/{contact_id}`
//! (the one approval path, spec §4c: the same approval operation as the master's button and
//! `/approve`, for a CRM action or any other surface) and `GET /v1/admin/backup`.

use super::ApiError;
use crate::app::App;
use crate::crypto::token_hash;
use crate::domain::Actor;
use crate::fleet::approval::{self, DecideError};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// Compared as SHA-256 digests, so the time taken says nothing about the token.
fn authorised(app: &App, headers: &HeaderMap) -> bool {
    let Some(expected) = &app.config.api_token else { return false };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|g| token_hash(g.trim()) == token_hash(expected))
}

/// `GET /v1/admin/backup`: a consistent snapshot of the running bot's store, as a download
/// (`store::backup`'s format; restore it with `m2o-bot restore FILE --key-file secret.key`).
pub async fn backup(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !authorised(&app, &headers) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <M2O_API_TOKEN>")
            .into_response();
    }
    let name = format!("m2o-{}.jsonl", app.clock.now().format("%Y%m%dT%H%M%SZ"));
    let store = app.store.clone();
    let snapshot = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        store.write_backup(&mut out).map(|counts| (out, counts))
    })
    .await;
    match snapshot {
        Ok(Ok((body, counts))) => {
            tracing::info!(%counts, "backup taken over the HTTP API");
            let disposition = format!("attachment; filename=\"{name}\"");
            let headers = [
                (header::CONTENT_TYPE, "application/x-ndjson".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ];
            (headers, body).into_response()
        }
        Ok(Err(e)) => ApiError::internal(format!("{e:#}")).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

pub async fn approve(State(app): State<Arc<App>>, headers: HeaderMap, Path(contact_id): Path<String>) -> Response {
    if !authorised(&app, &headers) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <M2O_API_TOKEN>")
            .into_response();
    }
    let Ok(id) = contact_id.trim_start_matches('#').parse::<u64>() else {
        return ApiError::bad("contact_id must be a request number, e.g. 12").into_response();
    };
    match approval::approve(&app, id, Actor::Api).await {
        Ok(job_id) => Json(json!({ "contact_id": id, "decision": "approved", "job_id": job_id })).into_response(),
        Err(e @ DecideError::AlreadyDecided(_)) => {
            let DecideError::AlreadyDecided(d) = &e else { unreachable!("matched above") };
            let body = json!({
                "error": "already_decided",
                "message": e.to_string(),
                "approved": d.approved,
                "decided_by": d.by.to_string(),
                "decided_at": d.at,
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Err(e @ DecideError::NotFound(_)) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()).into_response()
        }
        Err(e @ (DecideError::NotPending(..) | DecideError::NameTaken(_))) => {
            ApiError::new(StatusCode::CONFLICT, "not_pending", e.to_string()).into_response()
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}
