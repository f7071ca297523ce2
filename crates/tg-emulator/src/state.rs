//! The emulator's world: bots, users, private chats with their messages and
//! event queues, pending updates, recorded calls and injected faults.
//!
//! Everything sits behind one `std::sync::Mutex` that is never held across an
//! `.await`; waiting (long polling, `next_event`) uses `tokio::sync::Notify`
//! handles cloned out of the lock.

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use serde_json::{json, Value};
use tokio::sync::Notify;

use super::{
    rate::RateLimiter,
    types::{ApiCall, BotEvent, Button, ChatEntry, Fault, SentMessage, TestUser},
};

/// State shared by the HTTP server and the [`super::Emulator`] handles.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    /// Locks the state. A panic elsewhere while locked must not wedge every
    /// later request, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub(crate) struct State {
    pub bots: HashMap<i64, BotState>,
    /// Every token ever issued, revoked or not, so that tests can still drive
    /// a bot whose token they revoked.
    pub tokens: HashMap<String, i64>,
    pub revoked: HashSet<String>,
    pub users: HashMap<i64, TestUser>,
    /// (bot id, user id) pairs where the user has pressed Start.
    pub started: HashSet<(i64, i64)>,
    pub chats: HashMap<(i64, i64), ChatState>,
    /// Callback query id -> (bot id, chat id of the tapped message).
    pub queries: HashMap<String, (i64, i64)>,
    pub calls: Vec<ApiCall>,
    /// Lowercase method name -> faults for its next calls, oldest first.
    pub faults: HashMap<String, VecDeque<Fault>>,
    pub rate: RateLimiter,
    pub count_429: u64,
    /// Source of update ids, callback query ids and file ids; only grows.
    pub seq: i64,
    pub closed: bool,
    /// The bytes of every file uploaded with a send, by (bot, chat, message id).
    pub uploads: HashMap<(i64, i64, i32), Vec<u8>>,
}

pub(crate) struct BotState {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    /// Queued updates, oldest first: (update_id, kind such as "message", update JSON text). Text,
    /// so a test can queue what a `serde_json::Value` cannot hold (a lone surrogate escape).
    pub updates: VecDeque<(i64, String, String)>,
    /// Woken when an update is queued, a newer getUpdates starts, or on shutdown.
    pub update_notify: Arc<Notify>,
    /// Bumped by each getUpdates; a waiting poll that sees a newer number
    /// answers 409 like Telegram does.
    pub poll_seq: u64,
    /// Every update ever queued, by id: what `Emulator::deliver_again` re-queues.
    pub history: HashMap<i64, (String, String)>,
    /// The last `allowed_updates` given to getUpdates (Telegram remembers it).
    pub allowed_updates: Option<Vec<String>>,
    /// setMyCommands lists keyed by (scope JSON, language code).
    pub commands: HashMap<(String, String), Value>,
    /// Set by setWebhook: updates are POSTed there instead of waiting for getUpdates.
    pub webhook: Option<Webhook>,
    /// The most recent failed webhook delivery: (unix time, Telegram's wording), for getWebhookInfo.
    /// Cleared when the webhook is set anew or deleted.
    pub webhook_error: Option<(i64, String)>,
    /// Bot Management Mode (enabled in @BotFather's Mini App): getMe says `can_manage_bots`.
    pub can_manage_bots: bool,
    /// For a managed bot: the bot managing it, and the user who owns it.
    pub manager: Option<i64>,
    pub owner: Option<i64>,
    /// setManagedBotAccessSettings: only the owner and `added_user_ids` reach a restricted bot.
    pub access_restricted: bool,
    pub added_user_ids: Vec<i64>,
    /// setChatMenuButton: the menu button per private chat (0: the bot's default).
    pub menu_buttons: HashMap<i64, Value>,
}

#[derive(Clone, Debug)]
pub struct Webhook {
    pub url: String,
    pub secret: Option<String>,
    /// setWebhook's `max_connections` (1–100, 40 when not given).
    pub max_connections: u32,
    /// Bumped by every setWebhook/deleteWebhook: a delivery task of an older one stops.
    pub generation: u64,
}

impl BotState {
    pub fn new(id: i64, username: &str, first_name: &str) -> Self {
        BotState {
            id,
            username: username.to_owned(),
            first_name: first_name.to_owned(),
            updates: VecDeque::new(),
            history: HashMap::new(),
            update_notify: Arc::new(Notify::new()),
            poll_seq: 0,
            allowed_updates: None,
            commands: HashMap::new(),
            webhook: None,
            webhook_error: None,
            can_manage_bots: false,
            manager: None,
            owner: None,
            access_restricted: false,
            menu_buttons: HashMap::new(),
            added_user_ids: Vec::new(),
        }
    }

    /// The bot as a `User` (`from` of its messages).
    pub fn user_json(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": true,
            "first_name": self.first_name,
            "username": self.username,
        })
    }

    /// The getMe result: every field of `fixtures/getme-ok.json`. teloxide's
    /// `Me` refuses a result without `can_join_groups`,
    /// `can_read_all_group_messages`, `supports_inline_queries` and
    /// `has_main_web_app`.
    pub fn me_json(&self) -> Value {
        let mut me = self.user_json();
        me["can_join_groups"] = json!(true);
        me["can_read_all_group_messages"] = json!(false);
        me["supports_inline_queries"] = json!(false);
        me["can_connect_to_business"] = json!(false);
        me["has_main_web_app"] = json!(false);
        me["can_manage_bots"] = json!(self.can_manage_bots);
        me
    }
}

/// One private chat between a bot and a user.
pub(crate) struct ChatState {
    /// Message ids are shared by both sides of the chat, as in Telegram.
    pub next_message_id: i32,
    pub messages: BTreeMap<i32, StoredMessage>,
    pub events: VecDeque<BotEvent>,
    /// Woken when an event is pushed.
    pub notify: Arc<Notify>,
}

impl Default for ChatState {
    fn default() -> Self {
        ChatState {
            next_message_id: 1,
            messages: BTreeMap::new(),
            events: VecDeque::new(),
            notify: Arc::new(Notify::new()),
        }
    }
}

pub(crate) struct StoredMessage {
    pub from_bot: bool,
    /// The full `Message` JSON as it is now (edits applied).
    pub json: Value,
    pub deleted: bool,
}

impl State {
    /// A bot's token in force (not revoked).
    pub fn active_token(&self, bot_id: i64) -> Option<String> {
        self.tokens.iter().find(|(t, id)| **id == bot_id && !self.revoked.contains(*t)).map(|(t, _)| t.clone())
    }

    /// Whether `user` may reach `bot` (a managed bot with restricted access lets only its owner
    /// and the users added in).
    pub fn may_reach(&self, bot_id: i64, user: i64) -> bool {
        self.bots
            .get(&bot_id)
            .is_none_or(|b| !b.access_restricted || b.owner == Some(user) || b.added_user_ids.contains(&user))
    }

    /// The bot id of a token, revoked or not (for the test-side API).
    pub fn bot_id_any(&self, token: &str) -> Option<i64> {
        self.tokens.get(token).copied()
    }

    /// The bot id of a token that the HTTP API accepts.
    pub fn bot_id_active(&self, token: &str) -> Option<i64> {
        self.bot_id_any(token).filter(|_| !self.revoked.contains(token))
    }

    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    pub fn chat_mut(&mut self, bot_id: i64, chat_id: i64) -> &mut ChatState {
        self.chats.entry((bot_id, chat_id)).or_default()
    }

    /// Takes the next message id of a chat.
    pub fn alloc_message_id(&mut self, bot_id: i64, chat_id: i64) -> i32 {
        let chat = self.chat_mut(bot_id, chat_id);
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        id
    }

    /// Queues an update with payload `kind` for a bot and wakes its poller.
    pub fn enqueue_update(&mut self, bot_id: i64, kind: &str, payload: Value) -> i64 {
        let update_id = self.next_seq();
        if let Some(bot) = self.bots.get_mut(&bot_id) {
            let mut update = json!({ "update_id": update_id });
            update[kind] = payload;
            bot.history.insert(update_id, (kind.to_owned(), update.to_string()));
            bot.updates.push_back((update_id, kind.to_owned(), update.to_string()));
            bot.update_notify.notify_waiters();
        }
        update_id
    }

    /// Queues an update given as JSON text (`{"<kind>": …}` without its id), as is.
    pub fn enqueue_raw_update(&mut self, bot_id: i64, kind: &str, body: &str) -> i64 {
        let update_id = self.next_seq();
        if let Some(bot) = self.bots.get_mut(&bot_id) {
            let inner = body.trim().trim_start_matches('{');
            let text = format!("{{\"update_id\":{update_id},{inner}");
            bot.history.insert(update_id, (kind.to_owned(), text.clone()));
            bot.updates.push_back((update_id, kind.to_owned(), text));
            bot.update_notify.notify_waiters();
        }
        update_id
    }

    /// Records something the bot did in a chat and wakes `next_event` waiters.
    pub fn push_event(&mut self, bot_id: i64, chat_id: i64, event: BotEvent) {
        let chat = self.chat_mut(bot_id, chat_id);
        chat.events.push_back(event);
        chat.notify.notify_waiters();
    }
}

/// Rows of buttons of an `InlineKeyboardMarkup` (empty for anything else).
pub(crate) fn buttons_of(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let rows = markup.and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array);
    rows.map(|rows| {
        rows.iter()
            .map(|row| {
                row.as_array()
                    .map(|row| {
                        row.iter()
                            .map(|b| Button {
                                text: b["text"].as_str().unwrap_or_default().to_owned(),
                                data: b["callback_data"].as_str().map(str::to_owned),
                                url: b["url"].as_str().map(str::to_owned),
                                style: b["style"].as_str().map(str::to_owned),
                                web_app: b["web_app"]["url"].as_str().map(str::to_owned),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The kind of a message, judged by its payload field.
pub(crate) fn kind_of(message: &Value) -> &'static str {
    // `animation` first: Telegram also sends `document` with an animation.
    const KINDS: &[&str] = &[
        "text",
        "animation",
        "photo",
        "video",
        "document",
        "sticker",
        "voice",
        "audio",
        "video_note",
        "contact",
        "location",
    ];
    KINDS.iter().copied().find(|k| message.get(*k).is_some()).unwrap_or("other")
}

/// Text or caption of a message.
pub(crate) fn text_of(message: &Value) -> String {
    message.get("text").or_else(|| message.get("caption")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

pub(crate) fn sent_message(message: &Value) -> SentMessage {
    SentMessage {
        message_id: message["message_id"].as_i64().unwrap_or_default() as i32,
        chat_id: message["chat"]["id"].as_i64().unwrap_or_default(),
        text: text_of(message),
        kind: kind_of(message).to_owned(),
        buttons: buttons_of(message.get("reply_markup")),
        reply_keyboard: Vec::new(),
    }
}

pub(crate) fn chat_entry(id: i32, stored: &StoredMessage) -> ChatEntry {
    let mut text = text_of(&stored.json);
    if text.is_empty() {
        text = format!("[{}]", kind_of(&stored.json));
    }
    ChatEntry {
        message_id: id,
        from_bot: stored.from_bot,
        text,
        deleted: stored.deleted,
        buttons: buttons_of(stored.json.get("reply_markup")),
    }
}
