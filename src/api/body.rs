//! Reading a JSON body with our errors: 413 over the limit, 400 naming what is wrong (bad JSON, a
//! missing or mistyped field) — never axum's plain-text rejections.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

pub fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
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
