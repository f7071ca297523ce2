//! What a master does from the panel, through the same fleet operations as the chat: a spawn
//! (`/spawn`), an escalation's ruling (its buttons), qualifying a lead (`/qualify`), and sending a
//! request's card to the chat to decide it there ([Decide in chat]). Bad input gets a 400 that
//! says what to fix and changes nothing.

use super::auth::Master;
use super::Error;
use crate::app::App;
use crate::domain::escalation::Verdict;
use crate::domain::name::NameProblem;
use crate::domain::token::BotToken;
use crate::fleet::approval::{self, DecideError};
use crate::fleet::escalations::{self, RuleError};
use crate::fleet::leads::{self, QualifyError};
use crate::fleet::spawn::{self, SpawnError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::bad(format!("the body is not the JSON expected: {e}")))
}

fn id(raw: &str, what: &str) -> Result<u64, Error> {
    raw.trim_start_matches('#').parse().map_err(|_| Error::bad(format!("{what} must be a number, e.g. 12")))
}

#[derive(Deserialize)]
struct NewAgent {
    name: String,
    token: String,
}

/// `POST /app/api/spawn` `{name, token}`: a master's own agent, as `/spawn <name> <token>`.
pub async fn spawn(
    State(app): State<Arc<App>>,
    master: Master,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), Error> {
    let NewAgent { name, token } = body(&bytes)?;
    let tr = app.master_tr();
    let token = BotToken::parse(token.trim()).ok_or_else(|| {
        Error::bad("that is not a bot token: BotFather gives one like 7890123456:AAH… (digits, a colon, 35 characters)")
    })?;
    match spawn::spawn(&app, master.0, name.trim(), &token).await {
        Ok(s) => Ok((
            StatusCode::CREATED,
            Json(json!({
                "name": s.name,
                "bot": s.bot_username,
                "job_id": s.job_id,
                "message": tr.t_args("master-spawning", &[("name", (&s.name).into()), ("bot", (&s.bot_username).into())]),
            })),
        )),
        Err(SpawnError::BadName(name, problem)) => {
            let key = match problem {
                NameProblem::Length => "name-length",
                NameProblem::Characters => "name-characters",
                NameProblem::Hyphen => "name-hyphen",
                NameProblem::Reserved => "name-reserved",
            };
            Err(Error::bad(tr.t_args(key, &[("name", (&name).into())])))
        }
        Err(SpawnError::NameTaken(name)) => {
            Err(Error::conflict(tr.t_args("master-name-taken", &[("name", (&name).into())])))
        }
        Err(SpawnError::TokenInvalid) => Err(Error::bad(tr.t("token-invalid"))),
        Err(SpawnError::BotTaken) => Err(Error::conflict(tr.t("token-taken"))),
        Err(SpawnError::TelegramUnreachable(_)) => {
            Err(Error::new(StatusCode::BAD_GATEWAY, "telegram_unreachable", tr.t("token-unreachable")))
        }
        Err(e @ SpawnError::Store(_)) => Err(Error::internal(e)),
    }
}

#[derive(Deserialize)]
struct Ruling {
    decision: Verdict,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /app/api/escalations/{id}/decide` `{decision: approve|skip|modify, note?}`: the same
/// ruling as the notice's buttons (and the modify step's note); the first ruling wins, a second
/// answers 409 saying whose it was.
pub async fn decide(
    State(app): State<Arc<App>>,
    master: Master,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, Error> {
    let id = id(&raw, "the escalation id")?;
    let Ruling { decision, note } = body(&bytes)?;
    let note = note.map(|n| n.trim().chars().take(2000).collect::<String>()).filter(|n| !n.is_empty());
    if decision == Verdict::Modify && note.is_none() {
        return Err(Error::bad("modify needs a note: the instruction the agent gets instead of its own fix"));
    }
    let note = if decision == Verdict::Modify { note } else { None };
    match escalations::rule(&app, id, decision, note, master.actor()).await {
        Ok(e) => {
            let mut answer = escalations::status_json(&e);
            // The words the chat's toast says after a tap on the notice.
            answer["message"] = json!(app.master_tr().t_args("escalation-sent", &[("agent", (&e.agent).into())]));
            Ok(Json(answer))
        }
        Err(e @ RuleError::NotFound(_)) => Err(Error::not_found(e.to_string())),
        Err(e @ RuleError::AlreadyRuled(_)) => Err(Error::conflict(format!("escalation #{id} is {e}"))),
        Err(e @ RuleError::NoFix(_)) => Err(Error::bad(e.to_string())),
        Err(e @ RuleError::Store(_)) => Err(Error::internal(e)),
    }
}

/// `POST /app/api/leads/{id}/qualify`: a contact-track lead to the qualified path, as `/qualify`.
pub async fn qualify(
    State(app): State<Arc<App>>,
    master: Master,
    Path(raw): Path<String>,
) -> Result<Json<Value>, Error> {
    let id = id(&raw, "the lead id")?;
    match leads::qualify(&app, id, master.actor()) {
        Ok(c) => Ok(Json(json!({
            "id": c.id,
            "state": c.state.as_str(),
            "message": app.master_tr().t_args("master-qualified", &[("email", (&c.email).into())]),
        }))),
        Err(e @ QualifyError::NotFound(_)) => Err(Error::not_found(e.to_string())),
        Err(e @ QualifyError::NotContactTrack(..)) => Err(Error::conflict(e.to_string())),
        Err(e) => Err(Error::internal(e)),
    }
}

/// `POST /app/api/requests/{id}/card`: the request's card, with fresh [Approve] [Reject], in the
/// calling master's chat — deciding happens there, not in the panel.
pub async fn card(State(app): State<Arc<App>>, master: Master, Path(raw): Path<String>) -> Result<Json<Value>, Error> {
    let id = id(&raw, "the request id")?;
    match approval::send_card(&app, id, master.0) {
        Ok(()) => Ok(Json(json!({ "id": id, "sent_to": master.0 }))),
        Err(e @ DecideError::NotFound(_)) => Err(Error::not_found(e.to_string())),
        Err(e @ (DecideError::AlreadyDecided(_) | DecideError::NotPending(..))) => {
            Err(Error::conflict(format!("request #{id}: {e}")))
        }
        Err(e) => Err(Error::internal(e)),
    }
}
