//! The user side: a test plays a person who writes to a bot, forwards a
//! message, or taps a button. Each call queues one Update for the bot (with
//! increasing `update_id`), stores the user's message in the chat transcript,
//! and counts as the user having pressed Start.

use serde_json::{json, Map, Value};

use super::{methods::now_unix, state::StoredMessage, types::TestUser, Emulator};

impl Emulator {
    /// The user sends `text`. A leading `/command` (up to the first space)
    /// gets a `bot_command` entity, as real clients send it.
    pub fn send_text(&self, bot_token: &str, user: &TestUser, text: &str) -> i32 {
        let mut fields = json!({ "text": text });
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or(text);
            let length = command.encode_utf16().count();
            fields["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": length }]);
        }
        self.send_message_json(bot_token, user, fields)
    }

    /// The user sends a message whose fields are merged from `extra` (an
    /// object), e.g. `{"sticker":{...}}`, `{"photo":[...]}` or
    /// `{"text":..., "forward_origin":{...}}`. `extra` may override any field.
    pub fn send_message_json(&self, bot_token: &str, user: &TestUser, extra: Value) -> i32 {
        let fields = match extra {
            Value::Object(map) => map,
            other => panic!("emulator: send_message_json wants a JSON object, got {other}"),
        };
        self.user_message(bot_token, user, fields)
    }

    /// The user answers the bot's message `message_id` with Telegram's Reply:
    /// the update carries that message, as the bot stored it, in
    /// `reply_to_message`.
    pub fn reply_text(&self, bot_token: &str, user: &TestUser, message_id: i32, text: &str) -> i32 {
        let bot_id = self.bot_id(bot_token);
        let replied = {
            let st = self.lock();
            st.chats
                .get(&(bot_id, user.id))
                .and_then(|chat| chat.messages.get(&message_id))
                .filter(|m| !m.deleted)
                .map(|m| m.json.clone())
                .unwrap_or_else(|| panic!("emulator: no message {message_id} to reply to in chat {}", user.id))
        };
        self.send_message_json(bot_token, user, json!({ "text": text, "reply_to_message": replied }))
    }

    /// The user forwards a message with `text` originally sent by `from` (a
    /// Bot API `User` object, e.g. [`super::botfather_user`]).
    pub fn forward_text(&self, bot_token: &str, user: &TestUser, from: &Value, text: &str) -> i32 {
        let fields = json!({
            "text": text,
            "forward_origin": { "type": "user", "date": now_unix() - 60, "sender_user": from },
        });
        self.send_message_json(bot_token, user, fields)
    }

    /// The user taps a button with callback `data` under the bot's message
    /// `message_id` (any stored message, old ones too). Returns the callback
    /// query id the bot must answer.
    pub fn tap(&self, bot_token: &str, user: &TestUser, message_id: i32, data: &str) -> String {
        let bot_id = self.bot_id(bot_token);
        let mut st = self.lock();
        let message = st
            .chats
            .get(&(bot_id, user.id))
            .and_then(|chat| chat.messages.get(&message_id))
            .filter(|m| !m.deleted)
            .map(|m| m.json.clone())
            .unwrap_or_else(|| {
                panic!("emulator: no message {message_id} to tap in chat {} (deleted or never sent)", user.id)
            });
        let query_id = format!("{}{}", st.next_seq(), Self::random_suffix(10));
        st.queries.insert(query_id.clone(), (bot_id, user.id));
        st.users.entry(user.id).or_insert_with(|| user.clone());
        st.started.insert((bot_id, user.id));
        let query = json!({
            "id": query_id,
            "from": user.user_json(),
            "message": message,
            "chat_instance": chat_instance(bot_id, user.id),
            "data": data,
        });
        st.enqueue_update(bot_id, "callback_query", query);
        query_id
    }

    /// The user taps a button whose callback data arrives as `data_literal`, a JSON string literal
    /// written as is — e.g. `"\"\\ud800\""`, a lone UTF-16 surrogate no well-formed client sends
    /// but Telegram passes on. Returns the update id.
    pub fn tap_raw(&self, bot_token: &str, user: &TestUser, message_id: i32, data_literal: &str) -> i64 {
        const HOLE: &str = "\u{1}data\u{1}";
        let bot_id = self.bot_id(bot_token);
        let mut st = self.lock();
        let message =
            st.chats.get(&(bot_id, user.id)).and_then(|chat| chat.messages.get(&message_id)).map(|m| m.json.clone());
        let query = json!({
            "id": format!("{}{}", st.next_seq(), Self::random_suffix(10)),
            "from": user.user_json(),
            "message": message,
            "chat_instance": chat_instance(bot_id, user.id),
            "data": HOLE,
        });
        let text = json!({ "callback_query": query }).to_string();
        let hole = serde_json::to_string(HOLE).unwrap_or_default();
        st.enqueue_raw_update(bot_id, "callback_query", &text.replace(&hole, data_literal))
    }

    /// The id of the newest update queued for the bot (what the last `send_text` or `tap` made).
    pub fn last_update_id(&self, bot_token: &str) -> Option<i64> {
        let bot_id = self.bot_id(bot_token);
        self.lock().bots.get(&bot_id).and_then(|b| b.history.keys().max().copied())
    }

    /// A `managed_bot` update (Bot API 9.6) for the manager bot: `user` created `bot` (or its
    /// token or owner changed). Returns the update id.
    pub fn managed_bot_update(&self, manager_token: &str, user: &TestUser, bot: &super::BotHandle) -> i64 {
        let manager = self.bot_id(manager_token);
        let bot_json = json!({ "id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username });
        self.lock().enqueue_update(manager, "managed_bot", json!({ "user": user.user_json(), "bot": bot_json }))
    }

    /// Queues update `update_id` again, as Telegram does when a bot stopped before confirming it
    /// (a `getUpdates` with a higher offset). Panics for an id this bot never had.
    pub fn deliver_again(&self, bot_token: &str, update_id: i64) {
        let bot_id = self.bot_id(bot_token);
        let mut st = self.lock();
        let bot = st.bots.get_mut(&bot_id).expect("a bot the emulator made");
        let (kind, text) =
            bot.history.get(&update_id).cloned().unwrap_or_else(|| panic!("emulator: no update {update_id}"));
        bot.updates.push_back((update_id, kind, text));
        bot.update_notify.notify_waiters();
    }

    fn user_message(&self, bot_token: &str, user: &TestUser, fields: Map<String, Value>) -> i32 {
        let bot_id = self.bot_id(bot_token);
        let mut st = self.lock();
        st.users.entry(user.id).or_insert_with(|| user.clone());
        st.started.insert((bot_id, user.id));
        let message_id = st.alloc_message_id(bot_id, user.id);
        let mut message = json!({
            "message_id": message_id,
            "from": user.user_json(),
            "chat": user.chat_json(),
            "date": now_unix(),
        });
        if let Some(obj) = message.as_object_mut() {
            obj.extend(fields);
        }
        let stored = StoredMessage { from_bot: false, json: message.clone(), deleted: false };
        st.chat_mut(bot_id, user.id).messages.insert(message_id, stored);
        // A managed bot with restricted access never hears from strangers.
        if st.may_reach(bot_id, user.id) {
            st.enqueue_update(bot_id, "message", message);
        }
        message_id
    }
}

/// A stable, opaque chat instance per (bot, chat), as Telegram sends.
fn chat_instance(bot_id: i64, chat_id: i64) -> String {
    let mixed = (bot_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (chat_id as u64);
    format!("-{}", mixed % 10_000_000_000_000_000_000)
}
