//! The observing side: what the bot did, per (bot, chat) as an ordered event
//! queue and as the transcript a person would see, plus the raw call log.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    state::chat_entry,
    types::{ApiCall, BotEvent, ChatEntry, SentMessage},
    Emulator,
};

impl Emulator {
    /// Pops the next event of this chat, waiting up to `timeout` for one.
    pub async fn next_event(&self, bot_token: &str, chat_id: i64, timeout: Duration) -> Option<BotEvent> {
        self.next_event_until(self.bot_id(bot_token), chat_id, Instant::now() + timeout).await
    }

    async fn next_event_until(&self, bot_id: i64, chat_id: i64, deadline: Instant) -> Option<BotEvent> {
        loop {
            let notify = self.lock().chat_mut(bot_id, chat_id).notify.clone();
            // Registered before looking, so an event pushed in between wakes us.
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(event) = self.lock().chat_mut(bot_id, chat_id).events.pop_front() {
                return Some(event);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.lock().chat_mut(bot_id, chat_id).events.pop_front();
            }
        }
    }

    /// The next new message of this chat, waiting up to `timeout` in all.
    /// Edits, answers and deletes before it are consumed and skipped.
    pub async fn next_message(&self, bot_token: &str, chat_id: i64, timeout: Duration) -> Option<SentMessage> {
        let bot_id = self.bot_id(bot_token);
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_event_until(bot_id, chat_id, deadline).await? {
                BotEvent::Message(message) => return Some(message),
                _ => continue,
            }
        }
    }

    /// Pops every pending event of this chat without waiting.
    pub fn drain_events(&self, bot_token: &str, chat_id: i64) -> Vec<BotEvent> {
        let bot_id = self.bot_id(bot_token);
        self.lock().chat_mut(bot_id, chat_id).events.drain(..).collect()
    }

    /// The chat as a person sees it now: the user's and the bot's messages in
    /// order, edits applied, deleted ones kept but marked `deleted`.
    pub fn transcript(&self, bot_token: &str, chat_id: i64) -> Vec<ChatEntry> {
        let bot_id = self.bot_id(bot_token);
        let st = self.lock();
        st.chats
            .get(&(bot_id, chat_id))
            .map(|chat| chat.messages.iter().map(|(id, m)| chat_entry(*id, m)).collect())
            .unwrap_or_default()
    }

    /// Every call answered so far, oldest first.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.lock().calls.clone()
    }

    /// How many calls of `method` were answered (name in any case).
    pub fn call_count(&self, method: &str) -> usize {
        self.lock().calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).count()
    }

    /// The menu button the bot set for this private chat (setChatMenuButton), or its default for
    /// all chats; `None` when it never set one.
    pub fn menu_button(&self, bot_token: &str, chat_id: i64) -> Option<serde_json::Value> {
        let bot_id = self.bot_id(bot_token);
        let st = self.lock();
        let bot = st.bots.get(&bot_id)?;
        bot.menu_buttons.get(&chat_id).or_else(|| bot.menu_buttons.get(&0)).cloned()
    }

    /// The bytes of the file uploaded with message `message_id` (sendPhoto, sendDocument, … as
    /// multipart), as the bot sent them.
    pub fn uploaded(&self, bot_token: &str, chat_id: i64, message_id: i32) -> Option<Vec<u8>> {
        let bot_id = self.bot_id(bot_token);
        self.lock().uploads.get(&(bot_id, chat_id, message_id)).cloned()
    }

    /// Forgets the call log (long benchmark runs).
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }
}
