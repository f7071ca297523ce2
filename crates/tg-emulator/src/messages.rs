//! Messages the bot sends, edits and deletes: sendMessage, sendAnimation,
//! sendPhoto, sendDocument, editMessageText/Caption/ReplyMarkup and
//! deleteMessage, with Telegram's checks (Start pressed, text length,
//! keyboard shape, parse_mode, "message is not modified").

use std::time::Instant;

use serde_json::{json, Value};

use super::{
    markup,
    methods::now_unix,
    params::{ApiError, ApiResult, Params},
    state::{sent_message, State, StoredMessage},
    types::BotEvent,
};

const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;

/// The private chat a send goes to: it must be a known user who pressed
/// Start in this bot.
pub(crate) fn private_chat(state: &State, bot_id: i64, p: &Params) -> ApiResult<i64> {
    let chat_id = p
        .i64("chat_id")
        // "@username" only works for channels, which the emulator has none of.
        .map_err(|_| ApiError::bad_request("chat not found"))?
        .ok_or_else(|| ApiError::bad_request("chat_id is empty"))?;
    if !state.users.contains_key(&chat_id) {
        return Err(ApiError::bad_request("chat not found"));
    }
    if !state.started.contains(&(bot_id, chat_id)) {
        return Err(ApiError::not_started());
    }
    Ok(chat_id)
}

/// Action fields of an inline button; a button needs one of them.
const BUTTON_ACTIONS: &[&str] = &[
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

/// The inline keyboard of `reply_markup`, checked like Telegram checks it.
/// `None` when absent, empty, or a reply keyboard (which `Message` does not
/// echo: teloxide's `Message.reply_markup` is an inline keyboard only).
fn inline_markup(p: &Params) -> ApiResult<Option<Value>> {
    let Some(markup) = p.json("reply_markup")? else {
        return Ok(None);
    };
    if !markup.is_object() {
        return Err(ApiError::bad_request("can't parse reply keyboard markup JSON object"));
    }
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(None);
    };
    let rows = rows.as_array().ok_or_else(|| ApiError::bad_request("field \"inline_keyboard\" must be an Array"))?;
    for row in rows {
        let row = row
            .as_array()
            .ok_or_else(|| ApiError::bad_request("field \"inline_keyboard\" must be an Array of Arrays"))?;
        for button in row {
            if !button.get("text").is_some_and(Value::is_string) {
                return Err(ApiError::bad_request("can't parse inline keyboard button: Text is not specified"));
            }
            if !BUTTON_ACTIONS.iter().any(|a| button.get(*a).is_some()) {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
            if let Some(style) = button.get("style") {
                if !matches!(style.as_str(), Some("success" | "danger" | "primary")) {
                    return Err(ApiError::bad_request("can't parse inline keyboard button: unsupported button style"));
                }
            }
            if let Some(web_app) = button.get("web_app") {
                web_app_url(web_app)?;
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                }
            }
        }
    }
    let empty = rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty));
    Ok(if empty { None } else { Some(markup) })
}

/// A `WebAppInfo`'s URL, refused as Telegram refuses it: it must be there and be https.
pub(crate) fn web_app_url(web_app: &Value) -> ApiResult<String> {
    let url = web_app["url"].as_str().unwrap_or_default();
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() => Ok(url.to_owned()),
        _ => Err(ApiError::bad_request(format!(
            "inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        ))),
    }
}

/// The labels of a reply keyboard (`{"keyboard": [[…]]}`) in `reply_markup`, for the people's side.
fn reply_keyboard(p: &Params) -> Vec<Vec<String>> {
    let markup = p.json("reply_markup").ok().flatten().unwrap_or_default();
    let rows = markup.get("keyboard").and_then(Value::as_array).cloned().unwrap_or_default();
    let label = |b: &Value| {
        let text = b.as_str().or_else(|| b["text"].as_str()).unwrap_or_default().to_owned();
        if b.get("request_managed_bot").is_some() {
            format!("{text} (creates a bot)")
        } else {
            text
        }
    };
    rows.iter().map(|row| row.as_array().map(|r| r.iter().map(label).collect()).unwrap_or_default()).collect()
}

/// Visible text of `text`/`caption` under `parse_mode`, within `max` chars.
fn visible(p: &Params, key: &str, max: usize) -> ApiResult<Option<String>> {
    let Some(raw) = p.str(key) else {
        return Ok(None);
    };
    let text = markup::visible_text(&raw, p.str("parse_mode").as_deref())
        .map_err(|detail| ApiError::bad_request(format!("can't parse entities: {detail}")))?;
    if text.chars().count() > max {
        let what = if key == "text" { "message is too long" } else { "message caption is too long" };
        return Err(ApiError::bad_request(what));
    }
    Ok(Some(text))
}

/// A file id for a sent file: a given file id is kept, an upload or URL
/// gets a new one.
fn file_meta(state: &mut State, p: &Params, field: &str) -> ApiResult<Value> {
    let given = p
        .str(field)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("there is no {field} in the request")))?;
    let upload = p.uploads.get(field).cloned();
    let file_id = if upload.is_some() || given.starts_with("http") {
        format!("EMU{:08}{field}", state.next_seq())
    } else {
        given
    };
    let mut meta = json!({
        "file_id": file_id,
        "file_unique_id": format!("U{file_id}"),
        "file_size": 1024,
    });
    if let Some(name) = upload {
        meta["file_name"] = json!(name);
    }
    Ok(meta)
}

pub(crate) fn send(state: &mut State, bot_id: i64, method: &str, p: &Params) -> ApiResult<Value> {
    let chat_id = private_chat(state, bot_id, p)?;
    let markup = inline_markup(p)?;
    let mut msg = json!({});
    if method == "sendMessage" {
        let text = visible(p, "text", MAX_TEXT)?.filter(|t| !t.trim().is_empty());
        msg["text"] = json!(text.ok_or_else(|| ApiError::bad_request("message text is empty"))?);
        if let Some(entities) = p.json("entities")? {
            msg["entities"] = entities;
        }
    } else {
        let field = match method {
            "sendAnimation" => "animation",
            "sendPhoto" => "photo",
            _ => "document",
        };
        let meta = file_meta(state, p, field)?;
        match field {
            "animation" => {
                let mut animation = meta.clone();
                animation["width"] = json!(320);
                animation["height"] = json!(240);
                animation["duration"] = json!(2);
                animation["mime_type"] = json!("video/mp4");
                msg["animation"] = animation;
                // Telegram also sends an animation as a document, for old clients.
                msg["document"] = meta;
            }
            "photo" => {
                let mut small = meta.clone();
                small["width"] = json!(90);
                small["height"] = json!(68);
                let mut large = meta;
                large["width"] = json!(320);
                large["height"] = json!(240);
                msg["photo"] = json!([small, large]);
            }
            _ => msg["document"] = meta,
        }
        if let Some(caption) = visible(p, "caption", MAX_CAPTION)? {
            msg["caption"] = json!(caption);
        }
    }
    let reply_to = p.json("reply_parameters")?.and_then(|r| r["message_id"].as_i64()).or(p.i64("reply_to_message_id")?);
    let reply_to = match reply_to {
        None => None,
        Some(id) => {
            let target = state
                .chats
                .get(&(bot_id, chat_id))
                .and_then(|c| c.messages.get(&(id as i32)))
                .filter(|m| !m.deleted)
                .map(|m| m.json.clone());
            Some(target.ok_or_else(|| ApiError::bad_request("message to be replied not found"))?)
        }
    };
    state.rate.check(bot_id, chat_id, Instant::now()).map_err(ApiError::too_many_requests)?;

    let message_id = state.alloc_message_id(bot_id, chat_id);
    let bot_user = state.bots.get(&bot_id).map(|b| b.user_json()).unwrap_or_default();
    let chat = state.users.get(&chat_id).map(|u| u.chat_json()).unwrap_or_default();
    msg["message_id"] = json!(message_id);
    msg["from"] = bot_user;
    msg["chat"] = chat;
    msg["date"] = json!(now_unix());
    if let Some(reply_to) = reply_to {
        msg["reply_to_message"] = reply_to;
    }
    if let Some(markup) = markup {
        msg["reply_markup"] = markup;
    }
    if let Some(bytes) = ["photo", "animation", "document"].iter().find_map(|f| p.upload_bytes.get(*f)) {
        state.uploads.insert((bot_id, chat_id, message_id), bytes.clone());
    }
    let stored = StoredMessage { from_bot: true, json: msg.clone(), deleted: false };
    state.chat_mut(bot_id, chat_id).messages.insert(message_id, stored);
    let mut sent = sent_message(&msg);
    sent.reply_keyboard = reply_keyboard(p);
    state.push_event(bot_id, chat_id, BotEvent::Message(sent));
    Ok(msg)
}

/// Chat and message id of an edit or delete (inline messages are not emulated).
fn target(p: &Params) -> ApiResult<(i64, i32)> {
    if p.str("inline_message_id").is_some() {
        return Err(ApiError::bad_request("MESSAGE_ID_INVALID"));
    }
    let chat_id = p.require_i64("chat_id")?;
    let message_id = p.require_i64("message_id")?;
    let message_id = i32::try_from(message_id).map_err(|_| ApiError::bad_request("MESSAGE_ID_INVALID"))?;
    Ok((chat_id, message_id))
}

pub(crate) fn edit(state: &mut State, bot_id: i64, method: &str, p: &Params) -> ApiResult<Value> {
    let (chat_id, message_id) = target(p)?;
    let markup = inline_markup(p)?;
    let text = match method {
        "editMessageText" => Some(
            visible(p, "text", MAX_TEXT)?
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| ApiError::bad_request("message text is empty"))?,
        ),
        "editMessageCaption" => visible(p, "caption", MAX_CAPTION)?,
        _ => None,
    };
    let entities = p.json("entities")?;
    let stored = state
        .chats
        .get_mut(&(bot_id, chat_id))
        .and_then(|c| c.messages.get_mut(&message_id))
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
    if !stored.from_bot {
        return Err(ApiError::bad_request("message can't be edited"));
    }
    let old = &stored.json;
    let mut new = old.clone();
    let has_text = old.get("text").is_some();
    match method {
        "editMessageText" if !has_text => return Err(ApiError::bad_request("there is no text in the message to edit")),
        "editMessageCaption" if has_text => {
            return Err(ApiError::bad_request("there is no caption in the message to edit"))
        }
        "editMessageText" => {
            new["text"] = json!(text);
            set_or_remove(&mut new, "entities", entities);
        }
        "editMessageCaption" => set_or_remove(&mut new, "caption", text.map(Value::from)),
        _ => {}
    }
    // Like Telegram, an edit without reply_markup removes the keyboard.
    set_or_remove(&mut new, "reply_markup", markup);
    if new == *old {
        return Err(ApiError::bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        ));
    }
    new["edit_date"] = json!(now_unix());
    stored.json = new.clone();
    state.push_event(bot_id, chat_id, BotEvent::Edited(sent_message(&new)));
    Ok(new)
}

fn set_or_remove(obj: &mut Value, key: &str, value: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match value {
            Some(v) => map.insert(key.to_owned(), v),
            None => map.remove(key),
        };
    }
}

pub(crate) fn delete(state: &mut State, bot_id: i64, p: &Params) -> ApiResult<Value> {
    let (chat_id, message_id) = target(p)?;
    let stored = state
        .chats
        .get_mut(&(bot_id, chat_id))
        .and_then(|c| c.messages.get_mut(&message_id))
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::bad_request("message to delete not found"))?;
    stored.deleted = true;
    state.push_event(bot_id, chat_id, BotEvent::Deleted { message_id });
    Ok(json!(true))
}
