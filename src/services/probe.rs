//! A harmless call to a service and what its answer means, for `m2o-bot doctor`: each client has a
//! `probe…` method built on [`get`], and every failure is one of four kinds an operator acts on
//! differently — nothing answered, our credentials were refused, what we named does not exist, or
//! anything else. A probe's error never holds a secret: credentials travel in headers, reqwest's
//! errors are taken without their URL, and any echo of the secret in an answer is cut out.

use reqwest::RequestBuilder;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No answer at all: connection refused, DNS, TLS, or no answer in time.
    #[error("unreachable ({0})")]
    Unreachable(String),
    /// 401 or 403: the service does not accept our credentials (or not for this).
    #[error("refused ({status} {detail})")]
    Refused { status: u16, detail: String },
    /// 404: what we asked about does not exist, or the base URL is not the API.
    #[error("not found (404 {0})")]
    NotFound(String),
    /// Any other answer: a 5xx, a 400, a body we cannot read.
    #[error("{0}")]
    Failed(String),
}

impl ProbeError {
    /// A request that got no answer.
    pub fn network(e: reqwest::Error) -> ProbeError {
        ProbeError::Unreachable(cause(e))
    }

    /// An answer with this status (not a 2xx) and the service's own words for it.
    pub fn status(status: u16, detail: String) -> ProbeError {
        match status {
            401 | 403 => ProbeError::Refused { status, detail },
            404 => ProbeError::NotFound(detail),
            _ => ProbeError::Failed(format!("HTTP {status} {detail}").trim_end().to_string()),
        }
    }
}

/// Sends `request` and returns the body of a 2xx answer; `secret` is cut out of anything the
/// service says back.
pub async fn get(request: RequestBuilder, secret: &str) -> Result<String, ProbeError> {
    let response = request.send().await.map_err(ProbeError::network)?;
    let status = response.status();
    let text = response.text().await.map_err(ProbeError::network)?;
    if status.is_success() {
        return Ok(text);
    }
    Err(ProbeError::status(status.as_u16(), redact(&summary(&text), secret)))
}

/// [`get`], the answer read as JSON.
pub async fn get_json(request: RequestBuilder, secret: &str) -> Result<Value, ProbeError> {
    let text = get(request, secret).await?;
    serde_json::from_str(&text).map_err(|e| ProbeError::Failed(format!("an answer that is not JSON ({e})")))
}

/// Why a request got no answer, in a few words: "no answer in time", or the innermost cause
/// ("connection refused", a DNS or TLS failure), which is the one that says what to fix.
fn cause(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let e = e.without_url();
    let mut last = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    // "Connection refused (os error 111)": the number says nothing more to an operator.
    let last = match last.find(" (os error") {
        Some(i) => last[..i].to_string(),
        None => last,
    };
    let mut chars = last.chars();
    chars.next().map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// The service's own words for an error: the usual fields of an error body (Coolify's and
/// Guacamole's `message`, Twenty's `messages`, Planka's `code` and `message`, Brevo's `message`,
/// the Bot API's `description`), or the start of a body that is not JSON (a proxy's page).
pub fn summary(text: &str) -> String {
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(120).collect();
    };
    let field = |k: &str| body.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let first = |k: &str| body.get(k).and_then(Value::as_array).and_then(|a| a.first()?.as_str().map(str::to_owned));
    let words = field("message")
        .map(str::to_owned)
        .or_else(|| first("messages"))
        .or_else(|| field("description").map(str::to_owned));
    let kind =
        field("type").or_else(|| field("error")).or_else(|| field("code")).filter(|k| Some(*k) != words.as_deref());
    match (kind, words) {
        (Some(kind), Some(words)) => format!("{kind}: {words}"),
        (Some(kind), None) => kind.to_string(),
        (None, Some(words)) => words,
        (None, None) => String::new(),
    }
    .chars()
    .take(200)
    .collect()
}

fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "***")
    }
}

/// A URL as an operator may see it: without a user name or password in it.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_the_kinds_an_operator_acts_on() {
        assert!(matches!(ProbeError::status(401, "x".into()), ProbeError::Refused { status: 401, .. }));
        assert!(matches!(ProbeError::status(403, "x".into()), ProbeError::Refused { status: 403, .. }));
        assert_eq!(ProbeError::status(404, "gone".into()), ProbeError::NotFound("gone".into()));
        assert_eq!(ProbeError::status(502, String::new()), ProbeError::Failed("HTTP 502".into()));
    }

    #[test]
    fn each_service_error_body_is_summed_up_in_its_own_words() {
        assert_eq!(summary(r#"{"message":"Unauthenticated."}"#), "Unauthenticated.");
        assert_eq!(summary(r#"{"code":"unauthorized","message":"Key not found"}"#), "unauthorized: Key not found");
        assert_eq!(
            summary(r#"{"statusCode":401,"error":"UNAUTHENTICATED","messages":["Token has expired."]}"#),
            "UNAUTHENTICATED: Token has expired."
        );
        assert_eq!(
            summary(r#"{"message":"Invalid login","type":"INVALID_CREDENTIALS"}"#),
            "INVALID_CREDENTIALS: Invalid login"
        );
        assert_eq!(summary(r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#), "Unauthorized");
        assert_eq!(summary("<html>\n  <h1>502 Bad Gateway</h1></html>"), "<html> <h1>502 Bad Gateway</h1></html>");
    }

    #[test]
    fn an_echoed_secret_and_a_url_password_are_not_shown() {
        assert_eq!(redact("bad key xkeysib-123", "xkeysib-123"), "bad key ***");
        assert_eq!(shown("https://bot:hunter2@crm.example.org/rest"), "https://crm.example.org/rest");
        assert_eq!(shown("https://crm.example.org/rest"), "https://crm.example.org/rest");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_with_its_cause() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let request = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/"));
        let error = get(request, "").await.expect_err("nobody listens");
        assert_eq!(error, ProbeError::Unreachable("connection refused".into()));
    }
}
