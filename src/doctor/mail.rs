//! Brevo: the API key opens an account (`GET /v3/account`), and the sender in `M2O_MAIL_FROM` is
//! one of its senders and verified (`GET /v3/senders`) — Brevo refuses to send from any other, so
//! without it no client would get their one-time code.

use super::{Finding, Place};
use crate::config::{Config, Mailer};
use crate::services::mailer::{BrevoMailer, Sender};
use crate::services::probe::{self, ProbeError};

pub const NAME: &str = "Brevo";

pub async fn check(config: &Config, http: &reqwest::Client) -> Finding {
    let Mailer::Brevo { api_key, api_url, from_name, from_email } = &config.mailer else {
        return Finding::not_configured(NAME, "M2O_MAILER=log: one-time codes go to the log, no email is sent");
    };
    let brevo = BrevoMailer::new(http.clone(), api_url, api_key, from_name, from_email);
    let place = Place { service: NAME, url: probe::shown(api_url), var: "M2O_BREVO_API_URL" };
    let (account, sender) = tokio::join!(brevo.probe_account(), brevo.probe_sender());
    let account = match account {
        Ok(account) => account,
        Err(e) => return Finding::fail(NAME, failure(&place, &e)),
    };
    let whose = match (account.company.as_str(), account.email.as_str()) {
        ("", email) => email.to_string(),
        (company, email) => format!("{company} ({email})"),
    };
    match sender {
        Ok(Sender::Active) => Finding::pass(NAME, format!("account {whose}; sender {from_email} verified")),
        Ok(Sender::Inactive) => Finding::fail(
            NAME,
            format!(
                "the sender {from_email} is not verified yet, and Brevo sends from verified senders only. Fix: open \
                 the verification email Brevo sent to {from_email} (Brevo → Senders, Domains & Dedicated IPs → \
                 Senders), or set M2O_MAIL_FROM to a verified sender"
            ),
        ),
        Ok(Sender::Missing) => Finding::fail(
            NAME,
            format!(
                "{from_email} is not a sender of the Brevo account {whose}. Fix: add and verify it in Brevo → Senders, Domains & \
                 Dedicated IPs → Senders, or set M2O_MAIL_FROM to a verified sender"
            ),
        ),
        Err(e) => Finding::fail(NAME, format!("the senders could not be read: {}", failure(&place, &e))),
    }
}

fn failure(place: &Place, e: &ProbeError) -> String {
    match e {
        ProbeError::Refused { status, detail } => format!(
            "the API key is refused ({status} {detail}). Fix: set M2O_BREVO_API_KEY to a v3 API key from Brevo → \
             SMTP & API → API keys (if Brevo names an unrecognised IP address: Brevo → Security → Authorised IPs)"
        ),
        other => place.failure(other),
    }
}
