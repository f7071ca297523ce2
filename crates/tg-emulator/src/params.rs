//! Request parameters and Bot API errors.
//!
//! Telegram accepts parameters as JSON, form fields, query string or multipart
//! parts, so one value may arrive as a JSON number or as the string "42".
//! [`Params`] reads both; every bad value becomes a 400 [`ApiError`] like
//! Telegram's, never a panic.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// An error answer: `{"ok":false,"error_code":code,"description":...}` with
/// HTTP status `code`, plus `parameters.retry_after` and a `Retry-After`
/// header for 429.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        ApiError { code, description: description.into(), retry_after: None }
    }

    /// 400 `Bad Request: <what>`.
    pub fn bad_request(what: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", what.as_ref()))
    }

    /// 429 with the body of `fixtures/error-429.json`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }

    /// The exact body of `fixtures/getme-401.json`.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    /// The exact body of `fixtures/error-403-not-started.json`.
    pub fn not_started() -> Self {
        Self::new(403, "Forbidden: bot can't initiate conversation with a user")
    }

    /// The JSON body, fields in the order the real server writes them.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            ok: false,
            error_code: self.code,
            description: self.description.clone(),
            parameters: self.retry_after.map(|retry_after| RetryAfter { retry_after }),
        }
    }
}

/// `{"ok":false,"error_code":..,"description":..,"parameters"?:{..}}`.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    ok: bool,
    error_code: u16,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<RetryAfter>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RetryAfter {
    retry_after: u64,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// Parameters whose Bot API type is an object or array: over form or
/// multipart they arrive JSON-serialised in a string.
const JSON_TYPED: &[&str] = &[
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "media",
    "menu_button",
];

/// The merged parameters of one call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub values: Map<String, Value>,
    /// Parameter name -> file name, for files uploaded as multipart parts.
    pub uploads: HashMap<String, String>,
    /// Parameter name -> the uploaded file's bytes (a test reads them: `Emulator::uploaded`).
    pub upload_bytes: HashMap<String, Vec<u8>>,
}

impl Params {
    /// Adds a form/query/multipart text value, kept as a string: `json()`
    /// parses it when a JSON-typed parameter is asked for.
    pub fn insert_text(&mut self, key: String, value: String) {
        self.values.insert(key, Value::String(value));
    }

    /// The parameters as recorded in [`super::ApiCall::params`]: JSON-typed
    /// parameters that arrived as text (`reply_markup` in a form) are parsed,
    /// so a test sees one shape whatever the encoding.
    pub fn to_value(&self) -> Value {
        let mut out = self.values.clone();
        for (key, value) in out.iter_mut() {
            if JSON_TYPED.contains(&key.as_str()) {
                if let Value::String(s) = value {
                    if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                        *value = parsed;
                    }
                }
            }
        }
        Value::Object(out)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).filter(|v| !v.is_null())
    }

    /// A string parameter; numbers and booleans are accepted as their text.
    pub fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// An integer parameter, given as a JSON number or a decimal string.
    pub fn i64(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| ApiError::bad_request(format!("field \"{key}\" must be an integer")))
            }
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("field \"{key}\" must be an integer"))),
            Some(_) => Err(ApiError::bad_request(format!("field \"{key}\" must be an integer"))),
        }
    }

    /// A required integer parameter: 400 `Bad Request: <key> is empty` if absent.
    pub fn require_i64(&self, key: &str) -> ApiResult<i64> {
        self.i64(key)?.ok_or_else(|| ApiError::bad_request(format!("{key} is empty")))
    }

    /// A boolean parameter: JSON bool or "true"/"false"/"1"/"0"; absent = false.
    pub fn bool(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A JSON-serialised parameter (object or array), given as JSON or as a
    /// string holding JSON.
    pub fn json(&self, key: &str) -> ApiResult<Option<Value>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_as_numbers_or_strings() {
        let mut p = Params::default();
        p.insert_text("chat_id".into(), "42".into());
        p.values.insert("message_id".into(), Value::from(7));
        assert_eq!(p.i64("chat_id"), Ok(Some(42)));
        assert_eq!(p.require_i64("message_id"), Ok(7));
        assert_eq!(p.require_i64("nope").unwrap_err().code, 400);
        p.insert_text("bad".into(), "x".into());
        assert!(p.i64("bad").is_err());
    }

    #[test]
    fn json_text_is_parsed_only_where_json_is_expected() {
        let mut p = Params::default();
        p.insert_text("reply_markup".into(), r#"{"inline_keyboard":[]}"#.into());
        p.insert_text("text".into(), "[1]".into());
        assert!(p.json("reply_markup").unwrap().unwrap().is_object());
        assert!(p.to_value()["reply_markup"].is_object());
        assert_eq!(p.str("text").as_deref(), Some("[1]"));
        assert_eq!(p.to_value()["text"], "[1]");
    }
}
