//! What a handler needs to answer one person: the app, the bot, their chat, their language.

use super::State;
use crate::app::App;
use crate::i18n::{Arg, Tr};
use crate::services::keyboard::{self, Keyboard, Sent};
use crate::store::{dialogue, Actor, Change};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{MessageId, User};

pub struct Ctx {
    pub app: Arc<App>,
    pub bot: Bot,
    pub chat: ChatId,
    pub user_id: i64,
    pub lang: &'static str,
    /// Telegram's language code, for guesses such as the timezone.
    pub language_code: Option<String>,
}

impl Ctx {
    pub fn new(app: &Arc<App>, bot: &Bot, chat: ChatId, user: &User) -> Ctx {
        let lang = app.content.i18n.pick(user.language_code.as_deref());
        Ctx {
            app: app.clone(),
            bot: bot.clone(),
            chat,
            user_id: user.id.0 as i64,
            lang,
            language_code: user.language_code.clone(),
        }
    }

    /// For a private message; `schema()` only lets messages with a sender through.
    pub fn from_message(app: &Arc<App>, bot: &Bot, msg: &Message) -> Ctx {
        let fallback = person(msg.chat.id.0, None);
        Ctx::new(app, bot, msg.chat.id, msg.from.as_ref().unwrap_or(&fallback))
    }

    pub fn tr(&self) -> Tr<'_> {
        self.app.content.i18n.tr(self.lang)
    }

    pub fn t(&self, key: &str) -> String {
        self.tr().t(key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.tr().t_args(key, args)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    pub fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }

    pub async fn say(&self, text: String) -> anyhow::Result<Sent> {
        Ok(keyboard::send(&self.bot, self.chat.0, text, Keyboard::default()).await?)
    }

    /// Says `text` and takes down the reply keyboard (one-tap's [🤖 Create my bot]).
    pub async fn say_removing_keys(&self, text: String) -> anyhow::Result<Sent> {
        let sent =
            self.bot.send_message(self.chat, text).reply_markup(teloxide::types::ReplyMarkup::kb_remove()).await?;
        Ok(Sent { id: sent.id })
    }

    pub async fn ask(&self, text: String, keyboard: Keyboard) -> anyhow::Result<Sent> {
        Ok(keyboard::send(&self.bot, self.chat.0, text, keyboard).await?)
    }

    /// Replaces a question's buttons with the answer given, so the chat reads as a record and the
    /// old buttons cannot be tapped again. Failure is harmless (the message may be too old to edit).
    pub async fn settle(&self, message: MessageId, question: &str, answer: &str) {
        let text = format!("{question}\n\n👉 {answer}");
        if let Err(e) = keyboard::edit(&self.bot, self.chat.0, message.0, text, Keyboard::default()).await {
            tracing::debug!(error = %crate::services::telegram::error_kind(&e), "could not settle a question");
        }
    }

    /// Removes a message that held a secret from the chat; a failure is logged, never the text.
    pub async fn delete(&self, message: MessageId) {
        if let Err(e) = self.bot.delete_message(self.chat, message).await {
            tracing::warn!(chat = self.chat.0, error = %crate::services::telegram::error_kind(&e), "could not delete a message holding a token");
        }
    }

    /// A change that also moves this chat's dialogue to `state`.
    pub fn change_to(&self, state: &State) -> Change {
        Change { dialogue: Some((self.chat.0, Some(dialogue::to_value(state)))), ..Change::default() }
    }

    /// A change that ends this chat's dialogue.
    pub fn change_ending(&self) -> Change {
        Change { dialogue: Some((self.chat.0, None)), ..Change::default() }
    }
}

/// A Telegram user known only by id (and language), for a chat reached without a message from
/// them (a `managed_bot` update, a message without `from`).
pub fn person(id: i64, language_code: Option<String>) -> User {
    User {
        id: UserId(id as u64),
        is_bot: false,
        first_name: String::new(),
        last_name: None,
        username: None,
        language_code,
        is_premium: false,
        added_to_attachment_menu: false,
    }
}

/// Inline keyboard from rows of (label, callback data).
pub fn keyboard(rows: Vec<Vec<(String, String)>>) -> Keyboard {
    Keyboard::new(&rows)
}
