//! A read-only client of the Planka REST API (`M2O_PLANKA_URL`, `M2O_PLANKA_TOKEN`) for the morning
//! brief: the cards in every "Now" list are HAPPENING, the cards that reached a "Done" list
//! yesterday are SHIPPED (the brief loop and the Planka pull protocol, spec §7.3 and §7.4).
//!
//! Calls (shapes from the fleet's API notes on Planka, `apis.md` section 5; Planka v1.26 and v2.x):
//! - `GET /api/projects`: the boards the user sees are in `included.boards` (never in `items`).
//! - `GET /api/boards/{id}`: `included.lists` and `included.cards`; cards join lists by `listId`.
//! - `m2o-bot doctor` calls `GET /api/projects` alone, to see that the token is accepted.
//!
//! Version differences handled here:
//! - v2 lists have a `type` (`active | closed | archive | trash`); v1 lists have none. Archive and
//!   trash lists are system lists with no name of their own, so they are skipped; a "Done" list of
//!   type `closed` counts, and v2 includes its cards in the board answer.
//! - A list's `name` is `null` for v2 system lists; cards may have a `null` position.
//! - `listChangedAt` tells when a card entered its list. Where a server does not send it (v1),
//!   `updatedAt` stands in: moving a card updates it, so "moved to Done yesterday" still works,
//!   at the price that editing an old Done card brings it back into SHIPPED once.
//!
//! Auth: a Planka access token goes in `Authorization: Bearer …`; a token written `key:<api key>`
//! is a v2 API key and goes in the `X-Api-Key` header instead (v1 has no API keys).
//!
//! Errors: a network error, 408, 429 and 5xx are [`PlankaError::Retryable`]; 401, 403 and any other
//! 4xx are [`PlankaError::Fatal`] (auth errors name `M2O_PLANKA_TOKEN`, which the operator must
//! fix). The token is only ever in a header: never in a URL, an error or a log line.

use super::probe::{self, ProbeError};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(15);

/// Boards fetched at once: enough to keep a brief quick on a busy instance, few enough not to
/// hammer a small self-hosted Planka.
const BOARD_CONCURRENCY: usize = 4;

/// The prefix that marks `M2O_PLANKA_TOKEN` as a v2 API key rather than an access token.
const API_KEY_PREFIX: &str = "key:";

/// The list names the brief reads (spec §7.4), compared case-insensitively.
const NOW_LIST: &str = "now";
const DONE_LIST: &str = "done";

/// Why a Planka call failed. The message never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlankaError {
    /// Network trouble, a 5xx, 408 or 429: the next brief can try again.
    #[error("Planka is unavailable for now: {0}")]
    Retryable(String),
    /// Bad credentials, another 4xx, or an answer we cannot read: retrying will not help.
    #[error("Planka request failed: {0}")]
    Fatal(String),
}

/// One card, with the name of the list it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlankaCard {
    pub id: String,
    pub name: String,
    /// The list's name as Planka spells it (e.g. "Now").
    pub list: String,
    /// When the card entered its list: `listChangedAt`, or `updatedAt` on servers without it (v1).
    pub list_changed_at: Option<DateTime<Utc>>,
}

enum Auth {
    Bearer(String),
    ApiKey(String),
}

impl Auth {
    fn secret(&self) -> &str {
        match self {
            Auth::Bearer(s) | Auth::ApiKey(s) => s,
        }
    }
}

pub struct PlankaClient {
    http: reqwest::Client,
    /// `…/api`, without a trailing slash.
    base: String,
    auth: Auth,
}

impl std::fmt::Debug for PlankaClient {
    // The token opens the whole Planka account: never print it, not even its kind's value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match self.auth {
            Auth::Bearer(_) => "bearer",
            Auth::ApiKey(_) => "api key",
        };
        f.debug_struct("PlankaClient").field("base", &self.base).field("auth", &auth).finish_non_exhaustive()
    }
}

impl PlankaClient {
    /// `base_url` = `M2O_PLANKA_URL` (host, or ending in /api); `token` = `M2O_PLANKA_TOKEN`: an
    /// access token sent as `Authorization: Bearer …`, or — when it starts with "key:" — a Planka
    /// v2 API key sent as `X-Api-Key`.
    pub fn new(http: reqwest::Client, base_url: &str, token: &str) -> Self {
        let base = base_url.trim().trim_end_matches('/');
        let base = if base.ends_with("/api") { base.to_string() } else { format!("{base}/api") };
        let token = token.trim();
        let auth = match token.strip_prefix(API_KEY_PREFIX) {
            Some(key) => Auth::ApiKey(key.trim().to_string()),
            None => Auth::Bearer(token.to_string()),
        };
        PlankaClient { http, base, auth }
    }

    /// Cards in lists named "Now" (case-insensitive) across every board the user sees.
    pub async fn now_cards(&self) -> Result<Vec<PlankaCard>, PlankaError> {
        self.cards_in_lists_named(NOW_LIST).await
    }

    /// Cards in lists named "Done" whose `listChangedAt` is within [from, to).
    pub async fn done_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<PlankaCard>, PlankaError> {
        let mut cards: Vec<PlankaCard> = self
            .cards_in_lists_named(DONE_LIST)
            .await?
            .into_iter()
            .filter(|c| c.list_changed_at.is_some_and(|at| from <= at && at < to))
            .collect();
        // In the order they were finished: the brief reads like a log of the day.
        cards.sort_by_key(|c| c.list_changed_at);
        Ok(cards)
    }

    /// Every card in a list with this (lowercase) name, board by board, each list in its own order.
    async fn cards_in_lists_named(&self, wanted: &str) -> Result<Vec<PlankaCard>, PlankaError> {
        let boards = self.board_ids().await?;
        let per_board: Vec<Vec<PlankaCard>> = stream::iter(boards)
            .map(|id| async move { self.board(&id).await.map(|b| b.cards_in_lists_named(wanted)) })
            .buffered(BOARD_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(per_board.into_iter().flatten().collect())
    }

    /// The API base these calls go to (`…/api`).
    pub fn api_base(&self) -> &str {
        &self.base
    }

    /// `GET /api/projects`, for the doctor: the token is accepted; how many boards it sees.
    pub async fn probe(&self) -> Result<usize, ProbeError> {
        let request = self.authorized(self.http.get(format!("{}/projects", self.base)));
        let body = probe::get_json(request, self.auth.secret()).await?;
        Ok(body["included"]["boards"].as_array().map_or(0, Vec::len))
    }

    async fn board_ids(&self) -> Result<Vec<String>, PlankaError> {
        let answer: ProjectsAnswer = self.get("projects").await?;
        // In Planka's order; a board listed twice is read once.
        let mut seen = HashSet::new();
        Ok(answer.included.boards.into_iter().map(|b| b.id).filter(|id| seen.insert(id.clone())).collect())
    }

    async fn board(&self, id: &str) -> Result<BoardIncluded, PlankaError> {
        // Planka ids are decimal digits; anything else would change the path, so refuse it.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PlankaError::Fatal(format!("Planka sent a board id that is not an id: {id:?}")));
        }
        let answer: BoardAnswer = self.get(&format!("boards/{id}")).await?;
        Ok(answer.included)
    }

    /// `GET {base}/{path}` with our credentials; the JSON body of a 2xx answer.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, PlankaError> {
        let response = self
            .authorized(self.http.get(format!("{}/{path}", self.base)))
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| PlankaError::Retryable(self.redact(&format!("GET /api/{path}: {e}"))))?;
        let status = response.status();
        let text =
            response.text().await.map_err(|e| PlankaError::Retryable(self.redact(&format!("GET /api/{path}: {e}"))))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                PlankaError::Fatal(format!("GET /api/{path}: unreadable answer (HTTP {}): {e}", status.as_u16()))
            });
        }
        Err(self.classify(path, status, &text))
    }

    /// A request with our credentials, asking for JSON.
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = request.header("Accept", "application/json");
        match &self.auth {
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::ApiKey(key) => request.header("X-Api-Key", key),
        }
    }

    fn classify(&self, path: &str, status: StatusCode, body: &str) -> PlankaError {
        let what = self.redact(&format!("GET /api/{path}: HTTP {} {}", status.as_u16(), error_summary(body)));
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                PlankaError::Fatal(format!("{what} (check M2O_PLANKA_TOKEN: Planka did not accept it)"))
            }
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => PlankaError::Retryable(what),
            s if s.is_server_error() => PlankaError::Retryable(what),
            _ => PlankaError::Fatal(what),
        }
    }

    /// Belt and braces: Planka has no reason to echo the token, but errors end up in logs.
    fn redact(&self, s: &str) -> String {
        let secret = self.auth.secret();
        if secret.is_empty() {
            s.to_string()
        } else {
            s.replace(secret, "***")
        }
    }
}

/// `GET /api/projects`: only the boards matter.
#[derive(Deserialize)]
struct ProjectsAnswer {
    #[serde(default)]
    included: ProjectsIncluded,
}

#[derive(Deserialize, Default)]
struct ProjectsIncluded {
    #[serde(default)]
    boards: Vec<BoardRef>,
}

#[derive(Deserialize)]
struct BoardRef {
    id: String,
}

/// `GET /api/boards/{id}`: its lists and cards.
#[derive(Deserialize)]
struct BoardAnswer {
    #[serde(default)]
    included: BoardIncluded,
}

#[derive(Deserialize, Default)]
struct BoardIncluded {
    #[serde(default)]
    lists: Vec<RawList>,
    #[serde(default)]
    cards: Vec<RawCard>,
}

#[derive(Deserialize)]
struct RawList {
    id: String,
    /// `null` for v2's archive and trash lists.
    #[serde(default)]
    name: Option<String>,
    /// v2 only.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    position: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCard {
    id: String,
    list_id: String,
    name: String,
    #[serde(default)]
    position: Option<f64>,
    #[serde(default)]
    list_changed_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

impl BoardIncluded {
    /// The cards of the lists named `wanted` (lowercase), lists and cards in their board order.
    fn cards_in_lists_named(self, wanted: &str) -> Vec<PlankaCard> {
        let mut lists: Vec<&RawList> = self
            .lists
            .iter()
            .filter(|l| !matches!(l.kind.as_deref(), Some("archive" | "trash")))
            .filter(|l| l.name.as_deref().is_some_and(|n| n.trim().to_lowercase() == wanted))
            .collect();
        lists.sort_by(|a, b| position(a.position).total_cmp(&position(b.position)));
        let mut out = Vec::new();
        for list in lists {
            let mut cards: Vec<&RawCard> = self.cards.iter().filter(|c| c.list_id == list.id).collect();
            cards.sort_by(|a, b| position(a.position).total_cmp(&position(b.position)));
            out.extend(cards.into_iter().map(|c| PlankaCard {
                id: c.id.clone(),
                name: c.name.clone(),
                list: list.name.clone().unwrap_or_default(),
                list_changed_at: timestamp(c.list_changed_at.as_deref()).or_else(|| timestamp(c.updated_at.as_deref())),
            }));
        }
        out
    }
}

/// A missing position sorts last, as Planka shows it.
fn position(p: Option<f64>) -> f64 {
    p.unwrap_or(f64::MAX)
}

/// Planka writes ISO 8601 with milliseconds (`2026-03-13T09:30:00.000Z`).
fn timestamp(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?;
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => {
            tracing::warn!(value = s, error = %e, "Planka sent a timestamp we cannot read");
            None
        }
    }
}

/// Planka's error body is `{"code": "E_UNAUTHORIZED", "message": "…"}`; fall back to raw text.
fn error_summary(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => {
            let code = v.get("code").and_then(serde_json::Value::as_str).unwrap_or_default();
            let message = v.get("message").and_then(serde_json::Value::as_str).unwrap_or_default();
            format!("{code}: {message}")
        }
        Err(_) => body.chars().take(200).collect(),
    }
}
