//! Checking a client's bot token with `getMe` on `TELOXIDE_API_URL`, and `Bot`s for clients' tokens.
//! A 401 is the only answer that means "this token is wrong" (the Bot API server's own maintainers
//! say so); anything else is "try again later". Errors are reduced to their kind here, never the
//! full reqwest message, because a request URL contains the token.

use crate::domain::token::BotToken;
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
