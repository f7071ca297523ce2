//! The fleet panel: a Telegram Mini App on the bot's own HTTP server (spec §4b: "spawn, monitor,
//! escalate without leaving Telegram"). `GET /app/` serves one page (HTML, JS and CSS embedded in
//! the binary, `page`); its JSON endpoints under `/app/api/` take `Authorization: tma
//! <initData>`, checked against our bot's token (`auth`) and open only to masters. The panel
//! looks (`read`); what it does (`act`) is the chat's own fleet operations — a master's spawn,
//! an escalation's ruling, qualifying a lead — and a client's request is never decided here (the
//! approval ADR, spec §4c): [Decide in chat] sends its card to the master's chat.
//!
//! Every error is `{error, message}` with its status, and an error changes nothing.

mod act;
mod auth;
mod page;
mod read;

use crate::app::App;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// The panel's requests are short JSON.
const MAX_BODY: usize = 16 * 1024;

/// The panel's routes, to be merged into the HTTP server's router (it has the fallback).
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/app/api/fleet", get(read::fleet))
        .route("/app/api/requests", get(read::requests))
        .route("/app/api/requests/{id}/card", post(act::card))
        .route("/app/api/spawn", post(act::spawn))
        .route("/app/api/escalations", get(read::escalations))
        .route("/app/api/escalations/{id}/decide", post(act::decide))
        .route("/app/api/leads", get(read::leads))
        .route("/app/api/leads/{id}/qualify", post(act::qualify))
        .route("/app/api/funnel", get(read::funnel))
        .route("/app/api/{*rest}", axum::routing::any(|| async { Error::not_found("no such panel endpoint") }))
        .layer(middleware::from_fn(no_store));
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(page::index))
        .route("/app/panel.js", get(page::script))
        .route("/app/panel.css", get(page::style))
        .merge(api)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(app.clone(), deadline))
        .with_state(app)
}

/// What a master's data says is never kept by a cache on the way.
async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// The same bound as the agents' API: a request must arrive and be handled within
/// `M2O_HTTP_READ_TIMEOUT_MS`.
async fn deadline(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(app.config.http_read_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Error::new(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long").into_response(),
    }
}

/// An error answer: `{error, message}` with its status.
#[derive(Debug)]
pub struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Error {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Error {
        Error { status, code, message: message.into() }
    }

    fn bad(message: impl Into<String>) -> Error {
        Error::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn not_found(message: impl Into<String>) -> Error {
        Error::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    fn conflict(message: impl Into<String>) -> Error {
        Error::new(StatusCode::CONFLICT, "conflict", message)
    }

    fn internal(e: impl std::fmt::Display) -> Error {
        tracing::error!(error = %e, "a panel request failed");
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the request could not be done; nothing changed")
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.code, "message": self.message }))).into_response()
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        Error::internal(e)
    }
}
