//! The optional services: Twenty (the CRM mirror), Planka (the brief's cards) and Guacamole (the
//! agents' desktops). Each is asked one harmless thing with the bot's credentials.

use super::{Finding, Place};
use crate::config::Config;
use crate::services::guacamole::GuacamoleClient;
use crate::services::planka::PlankaClient;
use crate::services::probe::{shown, ProbeError};
use crate::services::twenty::TwentyClient;

pub const TWENTY: &str = "Twenty";
pub const PLANKA: &str = "Planka";
pub const GUACAMOLE: &str = "Guacamole";

/// Reads one person: the key is accepted and People is readable.
pub async fn twenty(config: &Config, http: &reqwest::Client) -> Finding {
    let Some(t) = &config.crm else {
        return Finding::not_configured(TWENTY, "contacts are not mirrored to a CRM");
    };
    let client = TwentyClient::new(http.clone(), &t.api_url, &t.token);
    let place = Place { service: TWENTY, url: shown(client.api_base()), var: "M2O_TWENTY_API_URL" };
    match client.probe().await {
        Ok(Some(1)) => Finding::pass(TWENTY, "the API key reads People (1 person)"),
        Ok(Some(n)) => Finding::pass(TWENTY, format!("the API key reads People ({n} people)")),
        Ok(None) => Finding::pass(TWENTY, "the API key reads People"),
        Err(ProbeError::Refused { status, detail }) => Finding::fail(
            TWENTY,
            format!(
                "the API key is refused ({status} {detail}). Fix: set M2O_TWENTY_TOKEN to an API key from Twenty → \
                 Settings → APIs & Webhooks"
            ),
        ),
        Err(ProbeError::NotFound(_)) => Finding::fail(
            TWENTY,
            format!(
                "no Twenty REST API at {} (404). Fix: set M2O_TWENTY_API_URL to its REST base, e.g. \
                 https://crm.example.com/rest",
                place.url
            ),
        ),
        Err(e) => Finding::fail(TWENTY, place.failure(&e)),
    }
}

/// Lists the projects: the token is accepted; how many boards the brief can read.
pub async fn planka(config: &Config, http: &reqwest::Client) -> Finding {
    let Some(p) = &config.planka else {
        return Finding::not_configured(PLANKA, "the brief lists no Now and Done cards");
    };
    let client = PlankaClient::new(http.clone(), &p.url, &p.token);
    let place = Place { service: PLANKA, url: shown(client.api_base()), var: "M2O_PLANKA_URL" };
    match client.probe().await {
        Ok(1) => Finding::pass(PLANKA, "the token is accepted; 1 board visible"),
        Ok(n) => Finding::pass(PLANKA, format!("the token is accepted; {n} boards visible")),
        Err(ProbeError::Refused { status, detail }) => Finding::fail(
            PLANKA,
            format!(
                "the token is refused ({status} {detail}). Fix: set M2O_PLANKA_TOKEN to an access token of the bot's \
                 Planka user (POST /api/access-tokens), or key:<API key> on Planka 2"
            ),
        ),
        Err(ProbeError::NotFound(_)) => Finding::fail(
            PLANKA,
            format!("no Planka API at {} (404). Fix: set M2O_PLANKA_URL to Planka's address", place.url),
        ),
        Err(e) => Finding::fail(PLANKA, place.failure(&e)),
    }
}

/// Logs in and out again: the user and password are accepted.
pub async fn guacamole(config: &Config, http: &reqwest::Client) -> Finding {
    let Some(g) = &config.guacamole else {
        return Finding::not_configured(GUACAMOLE, "desktops are not registered in Guacamole");
    };
    let client = GuacamoleClient::new(http.clone(), &g.url, &g.user, &g.password);
    let place = Place { service: GUACAMOLE, url: shown(client.api_base()), var: "M2O_GUACAMOLE_URL" };
    match client.probe().await {
        Ok(login) => {
            let after = if login.logged_out { "the session was closed again" } else { "the session ends by itself" };
            Finding::pass(GUACAMOLE, format!("logged in as {} (data source {}); {after}", g.user, login.data_source))
        }
        Err(ProbeError::Refused { status, detail }) => Finding::fail(
            GUACAMOLE,
            format!(
                "the login as {} is refused ({status} {detail}). Fix: set M2O_GUACAMOLE_USER and \
                 M2O_GUACAMOLE_PASSWORD to a Guacamole user that may create connections",
                g.user
            ),
        ),
        Err(ProbeError::NotFound(_)) => Finding::fail(
            GUACAMOLE,
            format!(
                "no Guacamole API at {} (404). Fix: set M2O_GUACAMOLE_URL to the web app's root, e.g. \
                 https://desktops.example.com/guacamole",
                place.url
            ),
        ),
        Err(e) => Finding::fail(GUACAMOLE, place.failure(&e)),
    }
}
