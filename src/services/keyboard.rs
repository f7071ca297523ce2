//! Inline keyboards as the Bot API has them since 9.4, with a button's `style` (green for a yes,
//! red for a no or an end), and the two requests that carry them — `sendMessage` and
//! `editMessageText` — as our own payloads. teloxide 0.17's `InlineKeyboardButton` has no
//! `style`; its `JsonRequest` sends any payload, so errors, retries and the token's handling stay
//! teloxide's.
//!
//! A button whose data is [`WEB_APP`] + an https URL opens that page as a Mini App (the fleet
//! panel); `setChatMenuButton` puts one in a chat's menu ([`set_menu_button`]).
//!
//! A button's colour follows from what it does ([`Callback::style`]), not from its label, so a
//! translation cannot paint a Reject green.

use crate::domain::callback::{Callback, Style};
use serde::{Deserialize, Serialize};
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::MessageId;
use teloxide::Bot;

/// Rows of buttons under a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Keyboard {
    inline_keyboard: Vec<Vec<Button>>,
}

/// Button data that opens a Mini App rather than calling back: `web_app:https://…`. Telegram
/// takes only https URLs for these.
pub const WEB_APP: &str = "web_app:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Button {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_app: Option<WebAppInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<&'static str>,
}

/// The Bot API's `WebAppInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebAppInfo {
    url: String,
}

fn https(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| u.scheme() == "https")
}

impl Keyboard {
    /// From rows of (label, data). Data that is an `https://` link makes a link button (@BotFather,
    /// the client's own bot); any other is callback data, coloured by what the tap means.
    pub fn new(rows: &[Vec<(String, String)>]) -> Keyboard {
        let button = |(text, data): &(String, String)| {
            let plain = Button { text: text.clone(), callback_data: None, url: None, web_app: None, style: None };
            if let Some(url) = data.strip_prefix(WEB_APP).filter(|u| https(u)) {
                return Button { web_app: Some(WebAppInfo { url: url.to_string() }), ..plain };
            }
            if data.starts_with("https://") && reqwest::Url::parse(data).is_ok() {
                return Button { url: Some(data.clone()), ..plain };
            }
            let style = Callback::parse(data).and_then(|c| c.style()).map(|s| match s {
                Style::Success => "success",
                Style::Danger => "danger",
            });
            Button { callback_data: Some(data.clone()), style, ..plain }
        };
        Keyboard { inline_keyboard: rows.iter().map(|row| row.iter().map(button).collect()).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.inline_keyboard.iter().all(Vec::is_empty)
    }
}

/// `sendMessage` with an inline keyboard that may have styled buttons.
#[derive(Debug, Clone, Serialize)]
pub struct SendMessage {
    chat_id: i64,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_markup: Option<Keyboard>,
}

/// What we read of a message Telegram says it sent: its id. Its answer is the whole `Message`;
/// teloxide's type for it is decoded through serde's buffering of its flattened kinds, which cost
/// more than the rest of a send (the e2e bench's profile), for fields nothing here reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Sent {
    #[serde(rename = "message_id", deserialize_with = "message_id")]
    pub id: MessageId,
}

/// A `Message`'s `message_id` is a bare number (teloxide's `MessageId` reads `{"message_id": n}`).
fn message_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<MessageId, D::Error> {
    i32::deserialize(d).map(MessageId)
}

impl Payload for SendMessage {
    type Output = Sent;
    const NAME: &'static str = "sendMessage";
}

/// `editMessageText` of a message in a chat; like Telegram, no keyboard removes the old one.
#[derive(Debug, Clone, Serialize)]
pub struct EditMessageText {
    chat_id: i64,
    message_id: i32,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_markup: Option<Keyboard>,
}

impl Payload for EditMessageText {
    /// The edited `Message` (or `true`), of which nothing is read.
    type Output = serde::de::IgnoredAny;
    const NAME: &'static str = "editMessageText";
}

fn markup(keyboard: Keyboard) -> Option<Keyboard> {
    (!keyboard.is_empty()).then_some(keyboard)
}

pub fn send(bot: &Bot, chat: i64, text: String, keyboard: Keyboard) -> JsonRequest<SendMessage> {
    JsonRequest::new(bot.clone(), SendMessage { chat_id: chat, text, reply_markup: markup(keyboard) })
}

pub fn edit(bot: &Bot, chat: i64, message: i32, text: String, keyboard: Keyboard) -> JsonRequest<EditMessageText> {
    let payload = EditMessageText { chat_id: chat, message_id: message, text, reply_markup: markup(keyboard) };
    JsonRequest::new(bot.clone(), payload)
}

/// `setChatMenuButton` with a `web_app` menu button: the button beside a chat's text field opens
/// the page at `url`.
#[derive(Debug, Clone, Serialize)]
pub struct SetChatMenuButton {
    chat_id: i64,
    menu_button: MenuButton,
}

#[derive(Debug, Clone, Serialize)]
struct MenuButton {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
    web_app: WebAppInfo,
}

impl Payload for SetChatMenuButton {
    type Output = teloxide::types::True;
    const NAME: &'static str = "setChatMenuButton";
}

pub fn set_menu_button(bot: &Bot, chat: i64, text: String, url: String) -> JsonRequest<SetChatMenuButton> {
    let menu_button = MenuButton { kind: "web_app", text, web_app: WebAppInfo { url } };
    JsonRequest::new(bot.clone(), SetChatMenuButton { chat_id: chat, menu_button })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::callback::{MasterTap, Tap};

    #[test]
    fn buttons_are_coloured_by_what_they_do_and_links_stay_links() {
        let rows = vec![
            vec![("Approve".to_string(), MasterTap::Approve(7).data()), ("Reject".into(), MasterTap::Reject(7).data())],
            vec![("Open".to_string(), "https://t.me/anna_bot".to_string()), ("Fleet".into(), "vw:fl".into())],
        ];
        let json = serde_json::to_value(Keyboard::new(&rows)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"inline_keyboard": [
                [{"text": "Approve", "callback_data": "ap:7", "style": "success"},
                 {"text": "Reject", "callback_data": "rj:7", "style": "danger"}],
                [{"text": "Open", "url": "https://t.me/anna_bot"},
                 {"text": "Fleet", "callback_data": "vw:fl"}],
            ]})
        );
        let confirm = Keyboard::new(&[vec![("Yes".into(), Tap::Confirm.data()), ("No".into(), Tap::Cancel.data())]]);
        let json = serde_json::to_string(&confirm).unwrap();
        assert!(json.contains(r#""callback_data":"cf:yes","style":"success""#), "{json}");
        assert!(json.contains(r#""callback_data":"cf:no","style":"danger""#), "{json}");
        assert!(Keyboard::new(&[vec![]]).is_empty());
    }

    #[test]
    fn a_sent_message_is_read_for_its_id_only() {
        let answer =
            r#"{"message_id":42,"date":1796013863,"chat":{"id":7,"type":"private","first_name":"A"},"text":"hi"}"#;
        let sent: Sent = serde_json::from_str(answer).unwrap();
        assert_eq!(sent.id, MessageId(42));
        assert!(serde_json::from_str::<Sent>(r#"{"message_id":{"message_id":42}}"#).is_err());
    }

    #[test]
    fn web_app_data_makes_a_mini_app_button_only_for_https() {
        let rows = vec![vec![
            ("📊 Open panel".to_string(), format!("{WEB_APP}https://bot.example.com/app/")),
            ("Plain".to_string(), format!("{WEB_APP}http://bot.example.com/app/")),
        ]];
        let json = serde_json::to_value(Keyboard::new(&rows)).unwrap();
        assert_eq!(
            json["inline_keyboard"][0][0],
            serde_json::json!({"text": "📊 Open panel", "web_app": {"url": "https://bot.example.com/app/"}})
        );
        assert!(json["inline_keyboard"][0][1].get("web_app").is_none(), "Telegram refuses http web apps: {json}");
    }
}
