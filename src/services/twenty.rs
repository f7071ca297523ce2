//! The CRM mirror: every contact state change is copied to a Person in Twenty CRM through its REST
//! API (`/rest/people`), keyed by the person's primary email. The outbox that calls this client
//! owns retries; this module only says whether a failure is worth retrying ([`CrmError`]).
//!
//! An upsert is two calls, because Twenty's REST API has no upsert flag: a filtered
//! `GET /rest/people?filter=emails.primaryEmail[eq]:"<email>"&limit=1`, then `POST /rest/people`
//! when nobody matched or `PATCH /rest/people/<id>` when someone did. `m2o-bot doctor` reads one
//! person (`GET /rest/people?limit=1`) to see that the key is accepted.
//!
//! # Fields an operator must create first
//!
//! Our own data lives in custom fields on the Person object. Twenty rejects unknown fields, so an
//! operator must add these in Settings → Data model → People before setting `M2O_CRM=twenty`
//! (the API name is the camelCase name below; the label is free):
//!
//! | API name          | Twenty type | Holds                                                      |
//! |-------------------|-------------|------------------------------------------------------------|
//! | `m2oState`        | Text        | our contact state, e.g. `pending_review`                   |
//! | `m2oScore`        | Number      | the qualification score, empty until scored                |
//! | `m2oAgentName`    | Text        | the agent's name, empty until one is provisioned           |
//! | `m2oTelegramId`   | Text        | the Telegram user id, as decimal digits                    |
//!
//! The state is Text rather than Select because Twenty's select values are fixed UPPERCASE options:
//! every new state of ours would need a data-model change first, or the mirror would fail. The
//! Telegram id is Text because it is an identifier, not a quantity: a Number field would show it
//! with thousands separators and store it as a float.

use super::probe::{self, ProbeError};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Custom Person field (Text): our contact state.
pub const FIELD_STATE: &str = "m2oState";
/// Custom Person field (Number): the qualification score, `null` when there is none.
pub const FIELD_SCORE: &str = "m2oScore";
/// Custom Person field (Text): the agent's name, empty when there is none.
pub const FIELD_AGENT_NAME: &str = "m2oAgentName";
/// Custom Person field (Text): the Telegram user id in decimal.
pub const FIELD_TELEGRAM_ID: &str = "m2oTelegramId";

const TIMEOUT: Duration = Duration::from_secs(15);

/// What we mirror about one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmPerson {
    pub email: String,
    /// May be empty: then the name in Twenty is left as it is.
    pub first_name: String,
    pub state: String,
    pub score: Option<u32>,
    pub agent_name: Option<String>,
    pub telegram_user_id: i64,
}

/// Why a mirror call failed. The message never contains the API token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// Network trouble, a 5xx or a 429: try again later.
    #[error("Twenty CRM is unavailable for now: {0}")]
    Retryable(String),
    /// Any other 4xx, or an answer we cannot read: retrying the same call will not help.
    #[error("Twenty CRM mirror failed: {0}")]
    Fatal(String),
}

pub struct TwentyClient {
    http: reqwest::Client,
    people: String,
    token: String,
}

impl std::fmt::Debug for TwentyClient {
    // The token is a workspace-wide API key: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwentyClient").field("people", &self.people).finish_non_exhaustive()
    }
}

impl TwentyClient {
    /// `api_url` is `M2O_TWENTY_API_URL`: the REST base such as `https://api.twenty.com/rest`.
    /// A bare host (`https://crm.example.com`) works too: `/rest` is added when missing.
    pub fn new(http: reqwest::Client, api_url: &str, token: &str) -> Self {
        let base = api_url.trim_end_matches('/');
        let base = if base.ends_with("/rest") { base.to_string() } else { format!("{base}/rest") };
        TwentyClient { http, people: format!("{base}/people"), token: token.into() }
    }

    /// Finds the person by primary email; creates them or updates the fields. Returns Twenty's id.
    pub async fn upsert_person(&self, p: &CrmPerson) -> Result<String, CrmError> {
        match self.find_by_email(&p.email).await? {
            Some(id) => {
                self.update(&id, p).await?;
                tracing::info!(twenty_id = %id, state = %p.state, "CRM person updated");
                Ok(id)
            }
            None => {
                let id = self.create(p).await?;
                tracing::info!(twenty_id = %id, state = %p.state, "CRM person created");
                Ok(id)
            }
        }
    }

    /// The REST base the mirror writes to (`…/rest`).
    pub fn api_base(&self) -> &str {
        self.people.trim_end_matches("/people")
    }

    /// `GET /rest/people?limit=1`, for the doctor: the key is accepted and People can be read.
    /// How many people there are, when Twenty says (`totalCount`).
    pub async fn probe(&self) -> Result<Option<u64>, ProbeError> {
        let request = self
            .http
            .get(&self.people)
            .query(&[("limit", "1")])
            .bearer_auth(&self.token)
            .header("accept", "application/json");
        let body = probe::get_json(request, &self.token).await?;
        Ok(body["totalCount"].as_u64())
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<String>, CrmError> {
        // Quoted so that a comma or parenthesis in the address cannot be read as filter syntax;
        // Twenty strips the quotes (formatFieldValue). reqwest percent-encodes the whole value.
        let filter = format!("emails.primaryEmail[eq]:\"{email}\"");
        let request = self.http.get(&self.people).query(&[("filter", filter.as_str()), ("limit", "1")]);
        let body = self.send(request).await?;
        Ok(first_person_id(&body))
    }

    async fn create(&self, p: &CrmPerson) -> Result<String, CrmError> {
        let body = self.send(self.http.post(&self.people).json(&create_body(p))).await?;
        record_id(&body, "createPerson").ok_or_else(|| CrmError::Fatal("the create answer holds no person id".into()))
    }

    async fn update(&self, id: &str, p: &CrmPerson) -> Result<(), CrmError> {
        let url = format!("{}/{}", self.people, id);
        self.send(self.http.patch(url).json(&update_body(p))).await.map(drop)
    }

    /// Sends with the bearer token and returns the JSON body of a 2xx answer.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, CrmError> {
        let response = request
            .bearer_auth(&self.token)
            .header("accept", "application/json")
            .timeout(TIMEOUT)
            .send()
            .await
            // The URL holds the client's email: keep it out of errors that end up in logs.
            .map_err(|e| CrmError::Retryable(self.redact(&e.without_url().to_string())))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| CrmError::Retryable(self.redact(&e.without_url().to_string())))?;
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|e| CrmError::Fatal(format!("unreadable answer (HTTP {status}): {e}")));
        }
        Err(self.classify(status, &text))
    }

    fn classify(&self, status: reqwest::StatusCode, text: &str) -> CrmError {
        let message = self.redact(&format!("HTTP {} {}", status.as_u16(), error_summary(text)));
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            CrmError::Retryable(message)
        } else {
            CrmError::Fatal(message)
        }
    }

    /// Belt and braces: Twenty has no reason to echo the key, but errors end up in logs.
    fn redact(&self, s: &str) -> String {
        if self.token.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.token, "***")
        }
    }
}

/// Our fields, shared by create and update.
fn m2o_fields(p: &CrmPerson) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert(FIELD_STATE.into(), json!(p.state));
    // Number fields are nullable; clearing the score mirrors a contact that lost it.
    fields.insert(FIELD_SCORE.into(), json!(p.score));
    // Text fields get "" rather than null: "" is accepted whether or not the field is nullable.
    fields.insert(FIELD_AGENT_NAME.into(), json!(p.agent_name.as_deref().unwrap_or_default()));
    fields.insert(FIELD_TELEGRAM_ID.into(), json!(p.telegram_user_id.to_string()));
    fields
}

/// The `POST /rest/people` body: the email as the composite `emails` field, plus our fields.
fn create_body(p: &CrmPerson) -> Value {
    let mut body = m2o_fields(p);
    body.insert("emails".into(), json!({ "primaryEmail": p.email, "additionalEmails": [] }));
    add_first_name(&mut body, p);
    Value::Object(body)
}

/// The `PATCH /rest/people/<id>` body: only what we own. The email is the key and stays as is.
fn update_body(p: &CrmPerson) -> Value {
    let mut body = m2o_fields(p);
    add_first_name(&mut body, p);
    Value::Object(body)
}

/// Twenty writes only the sub-fields given (format-data.util.ts), so sending `firstName` alone
/// keeps a last name an operator typed; an empty first name keeps theirs too.
fn add_first_name(body: &mut Map<String, Value>, p: &CrmPerson) {
    if !p.first_name.is_empty() {
        body.insert("name".into(), json!({ "firstName": p.first_name }));
    }
}

/// The id of the first person of a find answer: `data.people[]` today, or the older
/// GraphQL-like `data.people.edges[].node` some 2024 versions returned.
fn first_person_id(body: &Value) -> Option<String> {
    let people = body.pointer("/data/people")?;
    let first = match people {
        Value::Array(list) => list.first(),
        other => other.pointer("/edges/0/node"),
    }?;
    first.get("id")?.as_str().map(str::to_string)
}

/// `data.<key>.id` of a create or update answer.
fn record_id(body: &Value, key: &str) -> Option<String> {
    body.get("data")?.get(key)?.get("id")?.as_str().map(str::to_string)
}

/// Twenty's error body is `{"statusCode", "error", "messages": [..]}`; fall back to raw text.
fn error_summary(text: &str) -> String {
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return text.chars().take(200).collect();
    };
    let error = body.get("error").and_then(Value::as_str).unwrap_or_default();
    let messages: Vec<&str> = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    format!("{error}: {}", messages.join("; "))
}
