//! Email: Brevo's transactional API (`POST /v3/smtp/email`, header `api-key`), or the `log` default
//! that sends nothing and writes the message to the log at WARN so a newcomer can read their code.

use futures::future::BoxFuture;
use serde_json::json;
use std::time::Duration;

#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl std::fmt::Debug for Mail {
    // The body may hold a one-time code: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").field("to", &self.to).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail provider refused the message: HTTP {status} {code}: {message}")]
    Rejected { status: u16, code: String, message: String },
    #[error("the mail provider could not be reached: {0}")]
    Unreachable(String),
}

pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, mail: &'a Mail) -> BoxFuture<'a, Result<(), MailError>>;
}

/// The embedded default: sends nothing.
#[derive(Debug, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(async move {
            tracing::warn!(
                to = %mail.to,
                subject = %mail.subject,
                "M2O_MAILER=log: NO EMAIL WAS SENT. The message would have said: {}",
                mail.text.replace('\n', " ")
            );
            Ok(())
        })
    }
}

pub struct BrevoMailer {
    http: reqwest::Client,
    endpoint: String,
    api_key: String,
    from_name: String,
    from_email: String,
}

impl BrevoMailer {
    pub fn new(http: reqwest::Client, api_url: &str, api_key: &str, from_name: &str, from_email: &str) -> Self {
        BrevoMailer {
            http,
            endpoint: format!("{}/v3/smtp/email", api_url.trim_end_matches('/')),
            api_key: api_key.into(),
            from_name: from_name.into(),
            from_email: from_email.into(),
        }
    }
}

impl Mailer for BrevoMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(async move {
            let mut sender = json!({ "email": self.from_email });
            if !self.from_name.is_empty() {
                sender["name"] = json!(self.from_name);
            }
            let body = json!({
                "sender": sender,
                "to": [{ "email": mail.to }],
                "subject": mail.subject,
                "textContent": mail.text,
            });
            let response = self
                .http
                .post(&self.endpoint)
                .header("api-key", &self.api_key)
                .header("accept", "application/json")
                .timeout(Duration::from_secs(15))
                .json(&body)
                .send()
                .await
                // without_url: keep the error short; Brevo's URL holds no secret, but the habit is cheap.
                .map_err(|e| MailError::Unreachable(e.without_url().to_string()))?;
            let status = response.status();
            if status.is_success() {
                tracing::info!(to = %mail.to, status = status.as_u16(), "email accepted by Brevo");
                return Ok(());
            }
            let error: serde_json::Value = response.json().await.unwrap_or_default();
            let field = |k: &str| error.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            Err(MailError::Rejected { status: status.as_u16(), code: field("code"), message: field("message") })
        })
    }
}
