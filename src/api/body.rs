//! Reading a JSON body with our errors: 413 over the limit, 400 naming what is wrong (bad JSON, a
//! missing or mistyped field) — never axum's plain-text rejections.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// A JSON body: 415 unless it is sent as `application/json` (an empty body, meaning "no fields",
/// needs no type); 413 over the limit; 400 naming what is wrong.
pub fn parse<T: DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is over {} bytes", super::MAX_BODY),
            )
        } else {
            ApiError::bad(format!("the body could not be read: {e}"))
        }
    })?;
    if bytes.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|e| ApiError::bad(format!("a JSON body is required: {e}")));
    }
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON, with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad(format!("bad JSON: {e}")))
}

/// A required text field: present and not blank after trimming.
pub fn required(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::bad(format!("`{field}` must not be empty")));
    }
    Ok(v.to_string())
}
