//! Webhook mode (`M2O_WEBHOOK_URL`): Telegram POSTs each update to that URL's path, served on
//! `M2O_HTTP_ADDR` beside the agents' API, with our secret in `X-Telegram-Bot-Api-Secret-Token`.
//! A POST without the right secret (compared in constant time) gets 401 and is not processed; a
//! body over 1 MiB gets 413; one that is not JSON gets 400 and is logged without its content. An
//! update is answered 200 once it is queued for the same dispatcher tree polling feeds, so
//! Telegram does not send it again; one that does not decode is counted and skipped, as in polling.
//!
//! On start, `setWebhook` gives Telegram the URL, the secret and our `allowed_updates`; without a
//! webhook URL the bot deletes any webhook left set and polls.

use super::listener::{self, Received, ALLOWED_UPDATES};
use crate::app::App;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use futures::stream::BoxStream;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::mpsc;

/// The largest update body accepted (Telegram's are far smaller).
pub const MAX_BODY: usize = 1 << 20;
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The secret Telegram sends with every POST.
pub fn secret(app: &App) -> String {
    app.config.webhook_secret.clone().unwrap_or_else(|| app.secrets.webhook_secret())
}

#[derive(Serialize)]
struct SetWebhook {
    url: String,
    secret_token: String,
    allowed_updates: Vec<&'static str>,
}

/// `setWebhook` with our URL, secret and update kinds. Errors never carry the request's URL (it
/// holds the bot's token) nor the secret.
pub async fn set(app: &App, url: &reqwest::Url) -> anyhow::Result<()> {
    let method = app.config.api_url.join(&format!("/bot{}/setWebhook", app.config.telegram_token))?;
    let body =
        SetWebhook { url: url.to_string(), secret_token: secret(app), allowed_updates: ALLOWED_UPDATES.to_vec() };
    let response =
        app.http.post(method).json(&body).send().await.map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
    if !status.is_success() || answer["ok"] != true {
        anyhow::bail!("setWebhook refused ({status}): {}", answer["description"].as_str().unwrap_or_default());
    }
    Ok(())
}

struct Hook {
    app: Arc<App>,
    secret: String,
    updates: mpsc::Sender<Update>,
}

/// The route Telegram POSTs to, and the listener the dispatcher reads those updates from.
pub fn endpoint(app: Arc<App>, url: &reqwest::Url) -> (Router, Updates) {
    let (tx, rx) = mpsc::channel(256);
    let hook = Arc::new(Hook { secret: secret(&app), app, updates: tx });
    let router = Router::new().route(url.path(), post(receive)).layer(DefaultBodyLimit::max(MAX_BODY)).with_state(hook);
    let (token, flag) = mk_stop_token();
    (router, Updates { rx: Some(rx), token, flag: Some(flag) })
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.as_bytes())) {
        hook.app.metrics.webhook_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(secret = if given.is_empty() { "missing" } else { "wrong" }, "a webhook POST was refused");
        return StatusCode::UNAUTHORIZED;
    }
    match listener::read_update(&body) {
        Err(why) => {
            tracing::warn!(why, "a webhook POST was not an update");
            StatusCode::BAD_REQUEST
        }
        Ok(Received::ManagedBot { update_id, event }) => {
            super::managed::on_update(hook.app.clone(), update_id, event).await;
            StatusCode::OK
        }
        Ok(Received::Skipped { update_id, why }) => {
            listener::skipped(&hook.app, update_id, &why);
            StatusCode::OK
        }
        Ok(Received::Update(update)) => {
            match hook.updates.send(*update).await {
                Ok(()) => StatusCode::OK,
                // Shutting down: Telegram keeps it and sends it again to the next process.
                Err(_) => StatusCode::SERVICE_UNAVAILABLE,
            }
        }
    }
}

/// The updates POSTed to the webhook, for teloxide's Dispatcher.
pub struct Updates {
    rx: Option<mpsc::Receiver<Update>>,
    token: StopToken,
    flag: Option<StopFlag>,
}

impl UpdateListener for Updates {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, _hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        // setWebhook sent ALLOWED_UPDATES.
    }
}

impl<'a> AsUpdateStream<'a> for Updates {
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let (Some(rx), Some(flag)) = (self.rx.take(), self.flag.take()) else {
            return Box::pin(futures::stream::empty());
        };
        Box::pin(futures::stream::unfold((rx, Box::pin(flag)), |(mut rx, mut stop)| async move {
            tokio::select! {
                update = rx.recv() => update.map(|u| (Ok(u), (rx, stop))),
                _ = &mut stop => None,
            }
        }))
    }
}
