//! Dispatch of the Bot API methods the emulator answers (all but getUpdates,
//! which waits and lives in `polling.rs`), and the small ones: getMe,
//! webhook info, commands, answerCallbackQuery. Sends, edits and deletes are
//! in `messages.rs`. Each takes the locked state and the call's parameters
//! and returns the `result` JSON or a Telegram-shaped error.

use serde_json::{json, Value};

use super::{
    messages,
    params::{ApiError, ApiResult, Params},
    state::{BotState, State},
    types::BotEvent,
};

/// Canonical (spec) names of the methods the emulator knows, so a call in
/// any case ("SendMessage", "sendmessage") is matched and recorded as spec'd.
pub(crate) const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "getWebhookInfo",
    "deleteWebhook",
    "setWebhook",
    "getManagedBotToken",
    "replaceManagedBotToken",
    "setManagedBotAccessSettings",
    "getManagedBotAccessSettings",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setChatMenuButton",
    "getChatMenuButton",
    "sendMessage",
    "sendAnimation",
    "sendPhoto",
    "sendDocument",
    "sendChatAction",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessage",
];

/// The spec name of a known method, matched case-insensitively.
pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    METHODS.iter().copied().find(|m| m.eq_ignore_ascii_case(name))
}

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs one method (not getUpdates) for `bot_id`.
pub(crate) fn call(state: &mut State, bot_id: i64, method: &str, p: &Params) -> ApiResult<Value> {
    if method.contains("ManagedBot") {
        return crate::managed::call(state, bot_id, method, p);
    }
    let bot = state.bots.get_mut(&bot_id).ok_or_else(ApiError::unauthorized)?;
    match method {
        "getMe" => Ok(bot.me_json()),
        "getWebhookInfo" => Ok(webhook_info(bot)),
        "deleteWebhook" => {
            if p.bool("drop_pending_updates") {
                bot.updates.clear();
            }
            bot.webhook = None;
            bot.webhook_error = None;
            bot.update_notify.notify_waiters();
            Ok(json!(true))
        }
        "setWebhook" => crate::webhook::set(bot, p),
        "setMyCommands" => {
            let commands = p
                .json("commands")?
                .filter(Value::is_array)
                .ok_or_else(|| ApiError::bad_request("commands is empty"))?;
            bot.commands.insert(commands_key(p)?, commands);
            Ok(json!(true))
        }
        "getMyCommands" => Ok(bot.commands.get(&commands_key(p)?).cloned().unwrap_or_else(|| json!([]))),
        "deleteMyCommands" => {
            bot.commands.remove(&commands_key(p)?);
            Ok(json!(true))
        }
        "setChatMenuButton" => set_menu_button(bot, p),
        "getChatMenuButton" => {
            let chat = p.i64("chat_id")?.unwrap_or(0);
            let button = bot.menu_buttons.get(&chat).or_else(|| bot.menu_buttons.get(&0));
            Ok(button.cloned().unwrap_or_else(|| json!({"type": "default"})))
        }
        "sendMessage" | "sendAnimation" | "sendPhoto" | "sendDocument" => messages::send(state, bot_id, method, p),
        "sendChatAction" => {
            messages::private_chat(state, bot_id, p)?;
            Ok(json!(true))
        }
        "editMessageText" | "editMessageCaption" | "editMessageReplyMarkup" => messages::edit(state, bot_id, method, p),
        "answerCallbackQuery" => answer_callback(state, bot_id, p),
        "deleteMessage" => messages::delete(state, bot_id, p),
        _ => Err(ApiError::new(404, "Not Found: method not found")),
    }
}

/// WebhookInfo as the Bot API server writes it (`Client::JsonWebhookInfo`): the optional fields
/// only when they hold something — the last error once a delivery failed, `max_connections` and
/// `ip_address` while a webhook is set, `allowed_updates` once the bot chose some.
fn webhook_info(bot: &BotState) -> Value {
    let url = bot.webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default();
    let mut info = json!({
        "url": url,
        "has_custom_certificate": false,
        "pending_update_count": bot.updates.len(),
    });
    if let Some((date, message)) = &bot.webhook_error {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    if let Some(hook) = &bot.webhook {
        info["max_connections"] = json!(hook.max_connections);
        // The emulator delivers over loopback; the server says "<unknown>" when it has no address.
        let host = url::Url::parse(&hook.url).ok().and_then(|u| u.host_str().map(str::to_owned));
        let ip = host.filter(|h| h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok());
        info["ip_address"] = json!(ip.as_deref().unwrap_or("<unknown>").trim_matches(['[', ']']));
    }
    if let Some(allowed) = &bot.allowed_updates {
        info["allowed_updates"] = json!(allowed);
    }
    info
}

/// setChatMenuButton: `commands`, `default`, or `web_app` with a text and an https URL, per
/// private chat (none: the bot's default), checked as Telegram checks them.
fn set_menu_button(bot: &mut BotState, p: &Params) -> ApiResult<Value> {
    let chat = p.i64("chat_id")?.unwrap_or(0);
    let button = p.json("menu_button")?.unwrap_or_else(|| json!({"type": "default"}));
    match button["type"].as_str() {
        Some("commands" | "default") => {}
        Some("web_app") => {
            if button["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
                return Err(ApiError::bad_request("menu button text is empty"));
            }
            messages::web_app_url(&button["web_app"])?;
        }
        _ => return Err(ApiError::bad_request("can't parse menu button: unsupported type")),
    }
    bot.menu_buttons.insert(chat, button);
    Ok(json!(true))
}

/// Commands are stored per (scope, language) as Telegram does.
fn commands_key(p: &Params) -> ApiResult<(String, String)> {
    let scope = p.json("scope")?.unwrap_or_else(|| json!({"type": "default"}));
    Ok((scope.to_string(), p.str("language_code").unwrap_or_default()))
}

fn answer_callback(state: &mut State, bot_id: i64, p: &Params) -> ApiResult<Value> {
    let query_id = p.str("callback_query_id").ok_or_else(|| ApiError::bad_request("callback_query_id is empty"))?;
    let (_, chat_id) =
        state.queries.get(&query_id).copied().filter(|(bot, _)| *bot == bot_id).ok_or_else(|| {
            ApiError::bad_request("query is too old and response timeout expired or query ID is invalid")
        })?;
    let event = BotEvent::CallbackAnswered { query_id, text: p.str("text"), show_alert: p.bool("show_alert") };
    state.push_event(bot_id, chat_id, event);
    Ok(json!(true))
}
