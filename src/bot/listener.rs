//! Long polling, update by update: our own `getUpdates` listener for teloxide's Dispatcher.
//!
//! teloxide's `Polling` decodes a whole `getUpdates` answer at once, so one update it cannot read
//! (a `callback_data` that decodes to a lone UTF-16 surrogate, say) fails the whole batch, the
//! offset never moves past it, and nobody is answered again. Here the answer is read as raw JSON
//! values (`serde_json::value::RawValue` only checks the syntax), each update is decoded on its own,
//! and one that does not decode is logged by its id only — never its content, which may hold a
//! token — counted in `/metrics` (`m2o_updates_undecodable_total`) and skipped.
//!
//! The request is made here with reqwest rather than through teloxide's `JsonRequest`, whose
//! response envelope buffers every value (so a raw value cannot pass through it), on a client that
//! waits longer than the long poll (the shared client gives up after 30 s, the poll's own length).
//! Errors never carry the URL, which holds the token. `allowed_updates` is ours: the Dispatcher's
//! hint, a list of the kinds its tree names, is ignored.

use crate::app::App;
use futures::future::{select, Either};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

/// The update kinds we ask Telegram for.
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "callback_query", "managed_bot"];

/// `getUpdates`' parameters.
#[derive(Debug, Clone, Serialize)]
struct GetUpdates {
    offset: i64,
    timeout: u32,
    limit: u8,
    allowed_updates: Vec<&'static str>,
}

/// The Bot API's envelope, with the updates left as raw JSON so that each is decoded on its own.
#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// Why a `getUpdates` failed, and how long to wait before the next.
#[derive(Debug)]
pub struct Failed {
    pub why: String,
    pub retry_after: Option<Duration>,
    /// The Bot API's `error_code`, when it answered.
    pub code: Option<u16>,
}

/// Just the id of an update, and whether it is a `managed_bot` one (which teloxide cannot read):
/// readable even when the rest of it is not. One cheap pass picks the decoder, instead of trying
/// each (a failed attempt builds an error with its message).
#[derive(serde::Deserialize)]
struct Peek {
    update_id: i64,
    #[serde(default)]
    managed_bot: Option<serde::de::IgnoredAny>,
}

pub struct Listener {
    app: Arc<App>,
    http: reqwest::Client,
    url: reqwest::Url,
    timeout: Duration,
    token: StopToken,
    flag: Option<StopFlag>,
}

impl Listener {
    /// Polls with the control bot's token; `timeout` is the long poll's wait.
    pub fn new(app: Arc<App>, timeout: Duration) -> anyhow::Result<Listener> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout + Duration::from_secs(15))
            .build()?;
        // As teloxide builds method URLs: `/bot<token>/<method>` from the API URL.
        let url = app.config.api_url.join(&format!("/bot{}/getUpdates", app.config.telegram_token))?;
        let (token, flag) = mk_stop_token();
        Ok(Listener { app, http, url, timeout, token, flag: Some(flag) })
    }
}

impl UpdateListener for Listener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, _hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        // We ask for ALLOWED_UPDATES whatever the tree names.
    }
}

struct Polling {
    app: Arc<App>,
    http: reqwest::Client,
    url: reqwest::Url,
    timeout: u32,
    offset: i64,
    ready: VecDeque<Update>,
    errors: u32,
    stop: Pin<Box<StopFlag>>,
}

impl<'a> AsUpdateStream<'a> for Listener {
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let stop = match self.flag.take() {
            Some(flag) => flag,
            None => {
                let (token, flag) = mk_stop_token();
                self.token = token;
                flag
            }
        };
        let state = Polling {
            app: self.app.clone(),
            http: self.http.clone(),
            url: self.url.clone(),
            timeout: self.timeout.as_secs().try_into().unwrap_or(u32::MAX),
            offset: 0,
            ready: VecDeque::new(),
            errors: 0,
            stop: Box::pin(stop),
        };
        Box::pin(futures::stream::unfold(state, |mut s| async move {
            loop {
                if let Some(update) = s.ready.pop_front() {
                    return Some((Ok(update), s));
                }
                if !s.poll().await {
                    return None;
                }
            }
        }))
    }
}

impl Polling {
    /// One `getUpdates`; false once stopped.
    async fn poll(&mut self) -> bool {
        let body = GetUpdates {
            offset: self.offset,
            timeout: self.timeout,
            limit: 100,
            allowed_updates: ALLOWED_UPDATES.to_vec(),
        };
        let request = get_updates(self.http.clone(), self.url.clone(), body);
        let answer = match select(Box::pin(request), self.stop.as_mut()).await {
            Either::Left((answer, _)) => answer,
            Either::Right(_) => return false,
        };
        let metrics = &self.app.metrics;
        match answer {
            Ok(raw) => {
                self.errors = 0;
                metrics.last_poll_ok_at.store(self.app.clock.now().timestamp(), Ordering::Relaxed);
                for update in raw {
                    self.take(update);
                }
                true
            }
            Err(failed) if failed.code == Some(401) => {
                // Retrying cannot help: the token was revoked or mistyped. Stop, so the process
                // exits and its supervisor (Docker, Coolify) shows why.
                metrics.fail(crate::services::telegram::TOKEN_REFUSED);
                tracing::error!("{}", crate::services::telegram::TOKEN_REFUSED);
                false
            }
            Err(failed) => {
                self.errors += 1;
                metrics.poll_errors.fetch_add(1, Ordering::Relaxed);
                metrics.last_poll_error_at.store(self.app.clock.now().timestamp(), Ordering::Relaxed);
                // teloxide's own default: exponential, capped at a minute; or what Telegram says.
                let wait = failed.retry_after.unwrap_or_else(|| Duration::from_secs(1 << self.errors.min(6)));
                tracing::warn!(error = %failed.why, ?wait, "getUpdates failed");
                let sleep = Box::pin(tokio::time::sleep(wait));
                !matches!(select(sleep, self.stop.as_mut()).await, Either::Right(_))
            }
        }
    }
}

async fn get_updates(http: reqwest::Client, url: reqwest::Url, body: GetUpdates) -> Result<Vec<Received>, Failed> {
    let failed = |why: String| Failed { why, retry_after: None, code: None };
    // without_url: the URL holds the bot's token.
    let response = http.post(url).json(&body).send().await;
    let response = response.map_err(|e| failed(format!("network error: {}", e.without_url())))?;
    let bytes = response.bytes().await.map_err(|e| failed(format!("network error: {}", e.without_url())))?;
    read_answer(&bytes)
}

/// One update of an answer, as far as it could be read.
#[derive(Debug)]
pub enum Received {
    Update(Box<Update>),
    /// `managed_bot` (Bot API 9.6), which teloxide cannot read: ours (see `bot::managed`).
    ManagedBot {
        update_id: i64,
        event: super::managed::ManagedBotUpdated,
    },
    /// It does not decode, or is of a kind we do not read: skipped, counted, logged by id.
    Skipped {
        update_id: Option<i64>,
        why: String,
    },
}

impl Received {
    pub fn update_id(&self) -> Option<i64> {
        match self {
            Received::Update(u) => Some(u.id.0.into()),
            Received::ManagedBot { update_id, .. } => Some(*update_id),
            Received::Skipped { update_id, .. } => *update_id,
        }
    }
}

/// Reads a `getUpdates` answer's body, each update on its own. Never panics, whatever the bytes
/// (the fuzz tests hold it to that).
pub fn read_answer(bytes: &[u8]) -> Result<Vec<Received>, Failed> {
    let failed = |why: String| Failed { why, retry_after: None, code: None };
    let answer: Answer = serde_json::from_slice(bytes)
        .map_err(|e| failed(format!("not a Bot API answer ({:?} at column {})", e.classify(), e.column())))?;
    match (answer.ok, answer.result) {
        (true, Some(updates)) => Ok(updates.iter().map(|raw| decode(raw)).collect()),
        _ => Err(Failed {
            why: format!(
                "api error {}: {}",
                answer.error_code.unwrap_or_default(),
                answer.description.unwrap_or_default()
            ),
            retry_after: answer.parameters.and_then(|p| p.retry_after).map(Duration::from_secs),
            code: answer.error_code,
        }),
    }
}

/// Reads one update POSTed to the webhook: `Err` (with where, never the content) when the body is
/// not JSON at all; an update we cannot read is a `Skipped`, as in a `getUpdates` answer.
pub fn read_update(bytes: &[u8]) -> Result<Received, String> {
    let raw: &RawValue = serde_json::from_slice(bytes)
        .map_err(|e| format!("not JSON ({:?} error at column {})", e.classify(), e.column()))?;
    Ok(decode(raw))
}

/// Counts and logs an update that is skipped (by id only).
pub fn skipped(app: &App, update_id: Option<i64>, why: &str) {
    app.metrics.updates_undecodable.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(update_id = ?update_id, why, "skipped an update");
}

/// Decodes one raw update. The reason for a skip names the kind of error and where, not serde's
/// message: that can quote the update's text.
fn decode(raw: &RawValue) -> Received {
    let peek = serde_json::from_str::<Peek>(raw.get()).ok();
    let update_id = peek.as_ref().map(|p| p.update_id);
    if peek.is_some_and(|p| p.managed_bot.is_some()) {
        return match serde_json::from_str::<super::managed::ManagedBotEnvelope>(raw.get()) {
            Ok(m) => Received::ManagedBot { update_id: m.update_id, event: m.managed_bot },
            Err(e) => {
                Received::Skipped { update_id, why: format!("{:?} error at column {}", e.classify(), e.column()) }
            }
        };
    }
    match serde_json::from_str::<Update>(raw.get()) {
        Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => Received::Update(Box::new(update)),
        Ok(_) => Received::Skipped { update_id, why: "a kind or shape we do not read".into() },
        Err(e) => Received::Skipped { update_id, why: format!("{:?} error at column {}", e.classify(), e.column()) },
    }
}

impl Polling {
    /// Queues one received update, or counts and skips it; the offset moves past it either way.
    fn take(&mut self, received: Received) {
        if let Some(id) = received.update_id() {
            self.offset = self.offset.max(id + 1);
        }
        match received {
            Received::Update(update) => self.ready.push_back(*update),
            Received::ManagedBot { update_id, event } => {
                tokio::spawn(super::managed::on_update(self.app.clone(), update_id, event));
            }
            Received::Skipped { update_id, why } => skipped(&self.app, update_id, &why),
        }
    }
}
