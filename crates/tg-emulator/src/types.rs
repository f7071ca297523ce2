//! Public value types of the emulator: what tests create (bots, users, faults)
//! and what they observe (events, transcripts, recorded API calls).

use std::time::Duration;

use serde_json::{json, Value};

/// The user id of @BotFather. Community-known, not in the Bot API docs; a bot
/// recognises a forwarded BotFather message by its `forward_origin` user id.
pub const BOTFATHER_ID: i64 = 93372553;

/// @BotFather as a Bot API `User` object, for [`super::Emulator::forward_text`].
pub fn botfather_user() -> Value {
    json!({
        "id": BOTFATHER_ID,
        "is_bot": true,
        "first_name": "BotFather",
        "username": "BotFather"
    })
}

/// BotFather's reply to `/newbot` for `username` with `token`, word for word as Telegram sends it
/// (the wording changes now and then: bots should find the token by its shape, not the sentences).
/// A test forwards it to the bot under test with [`super::Emulator::forward_text`] and
/// [`botfather_user`] as the origin.
pub fn botfather_newbot_text(username: &str, token: &str) -> String {
    format!(
        "Done! Congratulations on your new bot. You will find it at t.me/{username}. You can now add a description, \
         about section and profile picture for your bot, see /help for a list of commands. By the way, when you've \
         finished creating your cool bot, ping our Bot Support if you want a better username for it. Just make sure \
         the bot is fully operational before you do this.\n\nUse this token to access the HTTP API:\n{token}\nKeep \
         your token secure and store it safely, it can be used by anyone to control your bot.\n\nFor a description \
         of the Bot API, see this page: https://core.telegram.org/bots/api"
    )
}

/// A bot registered with [`super::Emulator::create_bot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotHandle {
    pub id: i64,
    /// Shaped like Telegram's: `<id>:<35 chars of [A-Za-z0-9_-]>`.
    pub token: String,
    pub username: String,
}

/// A person who talks to the bots, registered with [`super::Emulator::add_user`].
/// Their private chat with any bot has `chat.id == id`, as in Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl TestUser {
    /// The Bot API `User` object of this person (as in `update.message.from`).
    pub fn user_json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(username) = &self.username {
            user["username"] = json!(username);
        }
        if let Some(lang) = &self.language_code {
            user["language_code"] = json!(lang);
        }
        user
    }

    /// The Bot API `Chat` object of this person's private chat with a bot.
    pub fn chat_json(&self) -> Value {
        let mut chat = json!({ "id": self.id, "type": "private", "first_name": self.first_name });
        if let Some(username) = &self.username {
            chat["username"] = json!(username);
        }
        chat
    }
}

/// A fault to inject into the next call of one method (see
/// [`super::Emulator::inject_fault`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this HTTP status and JSON body instead of the real answer.
    /// A 5xx makes teloxide sleep 10 s before it returns, so prefer 4xx.
    Status(u16, Value),
    /// Close the TCP connection without writing any HTTP answer: the client
    /// sees a network error (teloxide: `RequestError::Network`).
    Disconnect,
    /// Wait this long, then handle the call normally.
    Delay(Duration),
}

/// One inline keyboard button as the bot sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    /// `callback_data`, if the button has one.
    pub data: Option<String>,
    /// `url`, if the button is a link.
    pub url: Option<String>,
    /// `style` (Bot API 9.4): "success" (green), "danger" (red), "primary" (blue), or the app's own.
    pub style: Option<String>,
    /// `web_app.url`, if the button opens a Mini App.
    pub web_app: Option<String>,
}

/// A message the bot sent (or its new state after an edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub message_id: i32,
    pub chat_id: i64,
    /// The text, or the caption of a media message ("" if it has neither).
    pub text: String,
    /// "text", "animation", "photo" or "document".
    pub kind: String,
    /// Inline keyboard rows; empty when the message has no keyboard.
    pub buttons: Vec<Vec<Button>>,
    /// Labels of the reply keyboard a send carried (Telegram's `Message` does not echo it, so an
    /// edit or a transcript never has one); a `request_managed_bot` button reads
    /// "LABEL (creates a bot)".
    pub reply_keyboard: Vec<Vec<String>>,
}

impl SentMessage {
    /// The `callback_data` of the first button whose label contains `label_contains`.
    pub fn button_data(&self, label_contains: &str) -> Option<String> {
        self.buttons.iter().flatten().find(|b| b.text.contains(label_contains)).and_then(|b| b.data.clone())
    }

    /// Every button label, row by row, left to right.
    pub fn all_button_labels(&self) -> Vec<String> {
        self.buttons.iter().flatten().map(|b| b.text.clone()).collect()
    }
}

/// Something the bot did in one chat, in the order it did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotEvent {
    /// A new message (sendMessage, sendAnimation, sendPhoto, sendDocument).
    Message(SentMessage),
    /// The new state of a message after editMessageText/ReplyMarkup/Caption.
    Edited(SentMessage),
    /// answerCallbackQuery for a query whose message is in this chat.
    CallbackAnswered { query_id: String, text: Option<String>, show_alert: bool },
    /// deleteMessage of a message in this chat (the user's or the bot's).
    Deleted { message_id: i32 },
}

/// One message of a chat as a person sees it now (edits applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatEntry {
    pub message_id: i32,
    pub from_bot: bool,
    /// Text or caption; for a message with neither (a sticker, a voice note)
    /// a placeholder such as `[sticker]`.
    pub text: String,
    /// The message was deleted; a person no longer sees it.
    pub deleted: bool,
    pub buttons: Vec<Vec<Button>>,
}

/// One HTTP call the emulator answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// The bot whose token was used; `None` for an unknown or revoked token.
    pub bot_id: Option<i64>,
    /// lowerCamel as in the Bot API spec ("sendMessage"), whatever case the
    /// client used.
    pub method: String,
    /// All parameters merged (query string, then body). Form and multipart
    /// values stay strings, except JSON objects/arrays (e.g. `reply_markup`),
    /// which are parsed; an uploaded file is recorded as its file name.
    pub params: Value,
    /// HTTP status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
}
