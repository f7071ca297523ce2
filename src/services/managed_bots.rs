//! Bot API calls past what teloxide 0.17 models (Bot API 9.6/10.0): getMe with `can_manage_bots`
//! (at start-up and for `m2o-bot doctor`), a managed bot's token, its access settings, and a
//! message with a `request_managed_bot` reply-keyboard button; and, for the doctor,
//! getWebhookInfo as Telegram gives it (teloxide's `WebhookInfo` refuses the `managed_bot` kind
//! our bot asks for). Plain JSON over the shared client; errors never carry the URL (it holds our
//! token) nor a returned token.

use super::probe::{self, ProbeError};
use crate::domain::token::BotToken;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("network error: {0}")]
    Network(String),
    #[error("refused ({status}): {description}")]
    Refused { status: u16, description: String },
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    description: String,
    #[serde(default)]
    error_code: u16,
}

/// One Bot API method with our token.
async fn call(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    method: &str,
    body: Value,
) -> Result<Value, CallError> {
    let url = api_url.join(&format!("/bot{token}/{method}")).map_err(|e| CallError::Network(e.to_string()))?;
    let response =
        http.post(url).json(&body).send().await.map_err(|e| CallError::Network(e.without_url().to_string()))?;
    let answer: Answer = response.json().await.map_err(|e| CallError::Network(e.without_url().to_string()))?;
    if answer.ok {
        Ok(answer.result)
    } else {
        Err(CallError::Refused { status: answer.error_code, description: answer.description })
    }
}

/// Our bot, as getMe describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub id: i64,
    pub username: String,
    /// Bot Management Mode is on: clients can make their bot in one tap.
    pub can_manage_bots: bool,
}

/// What Telegram does with our bot's updates (getWebhookInfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookInfo {
    /// Empty when no webhook is set (long polling).
    pub url: String,
    pub pending_update_count: u64,
    /// The most recent failed delivery to the webhook: (unix time, Telegram's words).
    pub last_error: Option<(i64, String)>,
}

/// getMe, for start-up and the doctor.
pub async fn probe_me(http: &reqwest::Client, api_url: &reqwest::Url, token: &str) -> Result<Me, ProbeError> {
    let me = probe_call(http, api_url, token, "getMe").await?;
    Ok(Me {
        id: me["id"].as_i64().unwrap_or_default(),
        username: me["username"].as_str().unwrap_or_default().to_string(),
        can_manage_bots: me["can_manage_bots"] == true,
    })
}

/// getWebhookInfo, for the doctor.
pub async fn probe_webhook(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
) -> Result<WebhookInfo, ProbeError> {
    let info = probe_call(http, api_url, token, "getWebhookInfo").await?;
    let last_error = match (info["last_error_date"].as_i64(), info["last_error_message"].as_str()) {
        (Some(date), Some(message)) => Some((date, message.to_string())),
        _ => None,
    };
    Ok(WebhookInfo {
        url: info["url"].as_str().unwrap_or_default().to_string(),
        pending_update_count: info["pending_update_count"].as_u64().unwrap_or_default(),
        last_error,
    })
}

/// One method without parameters; its `result`, or what the failure means.
async fn probe_call(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    method: &str,
) -> Result<Value, ProbeError> {
    let url = api_url
        .join(&format!("/bot{token}/{method}"))
        .map_err(|_| ProbeError::Failed("TELOXIDE_API_URL cannot take a method path".into()))?;
    let response = http.post(url).json(&json!({})).send().await.map_err(ProbeError::network)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(ProbeError::network)?;
    match serde_json::from_str::<Answer>(&text) {
        Ok(answer) if answer.ok => Ok(answer.result),
        Ok(answer) => {
            let code = if answer.error_code > 0 { answer.error_code } else { status };
            Err(ProbeError::status(code, answer.description.replace(token, "***")))
        }
        Err(_) if (200..300).contains(&status) => {
            Err(ProbeError::Failed("the answer is not the Bot API's (is TELOXIDE_API_URL right?)".into()))
        }
        Err(_) => Err(ProbeError::status(status, probe::summary(&text).replace(token, "***"))),
    }
}

/// `https://t.me/newbot/{manager}/{username}?name={name}`: opens the same creation dialog as a
/// `request_managed_bot` button, from a link (an inline button, a message the outbox sends).
pub fn creation_link(manager: &str, suggested_username: &str, suggested_name: &str) -> String {
    let mut url = reqwest::Url::parse("https://t.me/newbot/").expect("a valid base");
    url.path_segments_mut().expect("https has segments").pop_if_empty().push(manager).push(suggested_username);
    url.query_pairs_mut().append_pair("name", suggested_name);
    url.to_string()
}

/// The token of a bot we manage.
pub async fn token_of(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    bot_id: i64,
) -> Result<Option<BotToken>, CallError> {
    let result = call(http, api_url, token, "getManagedBotToken", json!({ "user_id": bot_id })).await?;
    Ok(result.as_str().and_then(BotToken::parse))
}

/// A new token for a bot we manage; its old token stops working. `Err` when we do not manage it
/// (a bot made with @BotFather) or Telegram is unreachable.
pub async fn replace_token(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    bot_id: i64,
) -> Result<Option<BotToken>, CallError> {
    let result = call(http, api_url, token, "replaceManagedBotToken", json!({ "user_id": bot_id })).await?;
    Ok(result.as_str().and_then(BotToken::parse))
}

/// Only its owner (and no one added) may talk to the managed bot, or everyone.
pub async fn restrict_access(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    bot_id: i64,
    restricted: bool,
) -> Result<(), CallError> {
    let body = json!({ "user_id": bot_id, "is_access_restricted": restricted, "added_user_ids": [] });
    call(http, api_url, token, "setManagedBotAccessSettings", body).await.map(|_| ())
}

/// What the one-tap message says and suggests.
pub struct CreateButton<'a> {
    pub chat: i64,
    pub text: &'a str,
    pub label: &'a str,
    pub request_id: i32,
    pub suggested_name: &'a str,
    pub suggested_username: &'a str,
}

/// A message with one reply-keyboard button that opens Telegram's bot creation dialog.
pub async fn send_create_button(
    http: &reqwest::Client,
    api_url: &reqwest::Url,
    token: &str,
    b: &CreateButton<'_>,
) -> Result<(), CallError> {
    let button = json!({
        "text": b.label,
        "request_managed_bot": {
            "request_id": b.request_id,
            "suggested_name": b.suggested_name,
            "suggested_username": b.suggested_username,
        },
    });
    let body = json!({
        "chat_id": b.chat,
        "text": b.text,
        "reply_markup": { "keyboard": [[button]], "resize_keyboard": true, "one_time_keyboard": true },
    });
    call(http, api_url, token, "sendMessage", body).await.map(|_| ())
}

/// A username to suggest: letters and digits of `seed`, then `_bot`, within Telegram's 5–32.
pub fn suggested_username(seed: &str) -> String {
    let mut base: String =
        seed.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>().to_lowercase();
    if base.chars().next().is_none_or(|c| !c.is_ascii_alphabetic()) {
        base = format!("agent{base}");
    }
    base.truncate(22);
    format!("{base}_agent_bot")
}

#[cfg(test)]
mod tests {
    use super::{creation_link, suggested_username};

    #[test]
    fn the_creation_link_names_our_bot_and_escapes_the_name() {
        assert_eq!(
            creation_link("m2o_bot", "anna_agent_bot", "anna's agent & co"),
            "https://t.me/newbot/m2o_bot/anna_agent_bot?name=anna%27s+agent+%26+co"
        );
    }

    #[test]
    fn suggestions_are_valid_usernames() {
        assert_eq!(suggested_username("anna.k"), "annak_agent_bot");
        assert_eq!(suggested_username("1234"), "agent1234_agent_bot");
        assert_eq!(suggested_username(""), "agent_agent_bot");
        let long = suggested_username(&"x".repeat(100));
        assert!(long.len() <= 32 && long.ends_with("bot"), "{long}");
    }
}
