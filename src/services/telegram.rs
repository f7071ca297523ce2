//! Telegram as a service: checking a bot token with `getMe` on `TELOXIDE_API_URL`, and
//! [`TelegramNotifier`], the Telegram implementation of `services::notifier::Notifier`.
//!
//! A 401 is the only answer that means "this token is wrong" (the Bot API server's own maintainers
//! say so); anything else is "try again later". Errors are reduced to their kind here, never the
//! full reqwest message, because a request URL contains the token.

use super::keyboard::{self, Keyboard};
use super::notifier::{Buttons, Notifier, SendError};
use super::pacer::Pacer;
use crate::domain::token::BotToken;
use futures::future::BoxFuture;
use teloxide::prelude::*;
use teloxide::{ApiError, RequestError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid {
        bot_id: i64,
        username: String,
    },
    /// Telegram says the token is not a live bot token.
    Invalid,
    /// Telegram could not be asked (network, flood limit, outage).
    Unreachable(String),
}

/// A `Bot` speaking with someone else's token through our shared HTTP client.
pub fn bot_for(http: &reqwest::Client, api_url: &reqwest::Url, token: &BotToken) -> Bot {
    Bot::with_client(token.expose(), http.clone()).set_api_url(api_url.clone())
}

pub async fn check_token(http: &reqwest::Client, api_url: &reqwest::Url, token: &BotToken) -> TokenCheck {
    match bot_for(http, api_url, token).get_me().await {
        Ok(me) => TokenCheck::Valid { bot_id: me.id.0 as i64, username: me.username().to_string() },
        Err(RequestError::Api(ApiError::InvalidToken)) => TokenCheck::Invalid,
        Err(e) => TokenCheck::Unreachable(error_kind(&e)),
    }
}

/// A description of a request error that never includes a URL.
pub fn error_kind(e: &RequestError) -> String {
    match e {
        RequestError::Api(api) => format!("api error: {api}"),
        RequestError::MigrateToChatId(_) => "chat migrated".into(),
        RequestError::RetryAfter(secs) => format!("flood limit, retry after {}s", secs.seconds()),
        // teloxide already replaces the token in a network error's URL; keep only the message.
        RequestError::Network(n) => format!(
            "network error: {}",
            std::error::Error::source(&**n).map_or_else(|| n.to_string(), |s| s.to_string())
        ),
        RequestError::InvalidJson { .. } => "invalid JSON from the Bot API".into(),
        RequestError::Io(io) => format!("I/O error: {}", io.kind()),
    }
}

/// Telegram's limit for a message's text, in UTF-16 code units (as it counts them).
pub const MAX_TEXT: usize = 4096;
/// A media caption's limit, counted the same way.
pub const MAX_CAPTION: usize = 1024;

/// Length as Telegram counts it: UTF-16 code units. An emoji outside the Basic Multilingual Plane
/// such as 🟢 counts as 2; a text within [`MAX_TEXT`] units is within it by any count.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s` if it is within `max` UTF-16 units; else its longest prefix that fits with "…" after it.
/// Cuts between chars, so a surrogate pair is never split.
pub fn fit(s: &str, max: usize) -> String {
    if utf16_len(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // "…" is one unit
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    format!("{}…", s[..end].trim_end())
}

/// Messages to people through the control bot (and agents' own bots for greetings).
pub struct TelegramNotifier {
    bot: Bot,
    /// `Some` for the outbox worker: sends wait their turn under Telegram's flood limits, so a
    /// broadcast to hundreds of chats never meets a 429. Edits are not paced.
    pacer: Option<Pacer>,
    http: reqwest::Client,
    api_url: reqwest::Url,
}

impl TelegramNotifier {
    /// Sends at once: for what a person is waiting to see (progress, in-place edits).
    pub fn new(bot: Bot, http: reqwest::Client, api_url: reqwest::Url) -> TelegramNotifier {
        TelegramNotifier { bot, pacer: None, http, api_url }
    }

    /// Paces sends under Telegram's flood limits (`services::pacer`).
    pub fn paced(bot: Bot, http: reqwest::Client, api_url: reqwest::Url) -> TelegramNotifier {
        TelegramNotifier { bot, pacer: Some(Pacer::telegram()), http, api_url }
    }
}

/// `https://t.me/<username>`: where a link button to a bot (or a person) points.
pub fn t_me(username: &str) -> String {
    format!("https://t.me/{}", username.trim_start_matches('@'))
}

/// What an operator reads when Telegram answers 401 to our own token.
pub const TOKEN_REFUSED: &str = "Telegram refuses TELOXIDE_TOKEN (401 Unauthorized): it was revoked or mistyped; \
     get the bot's current token from @BotFather (/token) and restart";

/// A failed request with our own token: a 401 means ours is refused (not a client's, as in
/// [`send_error`] for `send_from`).
fn our_send_error(e: &RequestError) -> SendError {
    match e {
        RequestError::Api(ApiError::InvalidToken) => SendError::TokenRefused,
        _ => send_error(e),
    }
}

/// What a failed request means for whoever sent it.
pub fn send_error(e: &RequestError) -> SendError {
    match e {
        RequestError::Api(ApiError::BotBlocked | ApiError::ChatNotFound | ApiError::UserDeactivated) => {
            SendError::Unreachable(error_kind(e))
        }
        RequestError::Api(ApiError::CantInitiateConversation) => SendError::NotStarted,
        // teloxide does not know every 403 wording; Telegram's are all "Forbidden: …".
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Forbidden") => SendError::NotStarted,
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.seconds().into()),
        // Telegram says "Bad Request: …" for a request that is wrong in itself (400).
        RequestError::Api(api) if api.to_string().starts_with("Bad Request") => SendError::Rejected(api.to_string()),
        _ => SendError::Failed(error_kind(e)),
    }
}

impl Notifier for TelegramNotifier {
    fn send<'a>(&'a self, chat: i64, text: &'a str, buttons: &'a Buttons) -> BoxFuture<'a, Result<i32, SendError>> {
        Box::pin(async move {
            if let Some(pacer) = &self.pacer {
                pacer.wait(chat).await;
            }
            let sent = keyboard::send(&self.bot, chat, fit(text, MAX_TEXT), Keyboard::new(buttons)).await;
            sent.map(|m| m.id.0).map_err(|e| our_send_error(&e))
        })
    }

    fn edit<'a>(
        &'a self,
        chat: i64,
        message: i32,
        text: &'a str,
        buttons: &'a Buttons,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let edited = keyboard::edit(&self.bot, chat, message, fit(text, MAX_TEXT), Keyboard::new(buttons)).await;
            edited.map(|_| ()).map_err(|e| our_send_error(&e))
        })
    }

    fn send_photo<'a>(&'a self, chat: i64, png: Vec<u8>, caption: &'a str) -> BoxFuture<'a, Result<i32, SendError>> {
        Box::pin(async move {
            if let Some(pacer) = &self.pacer {
                pacer.wait(chat).await;
            }
            let photo = teloxide::types::InputFile::memory(png).file_name("funnel.png");
            let sent = self.bot.send_photo(ChatId(chat), photo).caption(fit(caption, MAX_CAPTION)).await;
            sent.map(|m| m.id.0).map_err(|e| our_send_error(&e))
        })
    }

    fn send_from<'a>(&'a self, bot: &'a BotToken, chat: i64, text: &'a str) -> BoxFuture<'a, Result<i32, SendError>> {
        Box::pin(async move {
            let text = fit(text, MAX_TEXT);
            let sent = bot_for(&self.http, &self.api_url, bot).send_message(ChatId(chat), text).await;
            sent.map(|m| m.id.0).map_err(|e| send_error(&e))
        })
    }
}
