//! Email: Brevo's transactional API (`POST /v3/smtp/email`, header `api-key`), or the `log` default
//! that sends nothing and writes the message to the log at WARN so a newcomer can read their code.
//! For `m2o-bot doctor`, [`BrevoMailer`] also reads the account (`GET /v3/account`) and whether our
//! sender is verified (`GET /v3/senders`: each sender has an `email` and `active`).

use super::probe::{self, ProbeError};
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

/// Replaces every run of exactly six digits (a one-time code's shape) with `******`, and keeps at
/// most 300 characters.
pub fn mask_codes(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(300).collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
        } else {
            if run == 6 {
                out.push_str("******");
            } else {
                out.extend(&chars[i..i + run]);
            }
            i += run;
        }
    }
    out
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
    /// `…/v3`, without a trailing slash.
    api: String,
    endpoint: String,
    api_key: String,
    from_name: String,
    from_email: String,
}

impl BrevoMailer {
    pub fn new(http: reqwest::Client, api_url: &str, api_key: &str, from_name: &str, from_email: &str) -> Self {
        let api = format!("{}/v3", api_url.trim_end_matches('/'));
        BrevoMailer {
            http,
            endpoint: format!("{api}/smtp/email"),
            api,
            api_key: api_key.into(),
            from_name: from_name.into(),
            from_email: from_email.into(),
        }
    }
}

/// The Brevo account an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrevoAccount {
    pub email: String,
    pub company: String,
}

/// Our sender (`M2O_MAIL_FROM`) among the account's senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Verified: Brevo sends from it.
    Active,
    /// Added but not verified yet: Brevo refuses to send from it.
    Inactive,
    /// Not among the account's senders.
    Missing,
}

impl BrevoMailer {
    /// The address mail is sent from.
    pub fn from_email(&self) -> &str {
        &self.from_email
    }

    /// `GET /v3/account`: whether the key is accepted, and whose account it opens.
    pub async fn probe_account(&self) -> Result<BrevoAccount, ProbeError> {
        let account = probe::get_json(self.read("account"), &self.api_key).await?;
        let field = |k: &str| account[k].as_str().unwrap_or_default().to_string();
        Ok(BrevoAccount { email: field("email"), company: field("companyName") })
    }

    /// `GET /v3/senders`: whether our sender is there and verified (`active`).
    pub async fn probe_sender(&self) -> Result<Sender, ProbeError> {
        let answer = probe::get_json(self.read("senders"), &self.api_key).await?;
        let ours = answer["senders"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(&self.from_email)));
        Ok(match ours {
            Some(s) if s["active"] == true => Sender::Active,
            Some(_) => Sender::Inactive,
            None => Sender::Missing,
        })
    }

    fn read(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}/{path}", self.api))
            .header("api-key", &self.api_key)
            .header("accept", "application/json")
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
            // A provider's error may echo the request, one-time code included: it goes to the log.
            let field = |k: &str| mask_codes(error.get(k).and_then(|v| v.as_str()).unwrap_or_default());
            Err(MailError::Rejected { status: status.as_u16(), code: field("code"), message: field("message") })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn six_digit_runs_are_masked_and_nothing_else() {
        assert_eq!(mask_codes("code 123456 in 2026-11-24, id 1234567"), "code ****** in 2026-11-24, id 1234567");
        assert_eq!(mask_codes("123456"), "******");
        assert_eq!(mask_codes(&"x".repeat(500)).len(), 300);
    }

    /// Brevo's 400 can quote the request it refused; the code in it never reaches the error (and
    /// so the log line "the code email was not sent").
    #[tokio::test]
    async fn a_refusal_that_echoes_the_request_does_not_carry_the_code() {
        let server = MockServer::start().await;
        let echo = r#"{"code":"invalid_parameter","message":"Invalid body {\"textContent\":\"Your code is 481516\"}"}"#;
        Mock::given(method("POST"))
            .and(path("/v3/smtp/email"))
            .respond_with(ResponseTemplate::new(400).set_body_raw(echo, "application/json"))
            .mount(&server)
            .await;
        let mailer = BrevoMailer::new(reqwest::Client::new(), &server.uri(), "key", "M2O", "m2o@example.org");
        let mail = Mail { to: "anna@acme.io".into(), subject: "481516".into(), text: "Your code is 481516".into() };
        let error = mailer.send(&mail).await.expect_err("refused").to_string();
        assert!(error.contains("invalid_parameter") && error.contains("Your code is ******"), "{error}");
        assert!(!error.contains("481516"), "{error}");
    }
}
