//! The one way messages reach people: [`Notifier`]. Everything below the surfaces — fleet
//! decisions, provisioning progress, the outbox worker — speaks through it, never through a
//! teloxide `Bot`, so the fleet does not depend on the chat surface and a test or another channel
//! can stand in. The Telegram implementation is `services::telegram::TelegramNotifier`.
//!
//! What must follow a state change durably (a master's notice, a client's news) is not sent from
//! here directly but queued in the outbox in the change's own transaction; the outbox worker then
//! sends it through a notifier and retries as [`SendError`] says. Direct sends are for what may be
//! lost in a crash without harm: progress views and in-place edits, which the next change redraws.

use crate::domain::token::BotToken;
use futures::future::BoxFuture;

/// Inline keyboard rows of (label, callback data); callback data comes from `domain::callback`.
pub type Buttons = [Vec<(String, String)>];

/// Why a message did not go out, and so what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The chat will never take it: the person blocked the bot, deleted their account, or the chat
    /// does not exist. Retrying cannot help.
    #[error("the chat cannot receive messages from this bot: {0}")]
    Unreachable(String),
    /// The person never pressed Start in this bot (Telegram's 403): only they can change that.
    #[error("the person has not started this bot")]
    NotStarted,
    /// Flood control: try again after this many seconds.
    #[error("flood limit, retry after {0}s")]
    RetryAfter(u64),
    /// Telegram refused the request itself ("Bad Request: …"): the same request will never work.
    #[error("refused: {0}")]
    Rejected(String),
    /// Telegram refuses *our* bot's token (401): nothing will go out until it is replaced.
    #[error("our bot's token is refused")]
    TokenRefused,
    /// Anything else (network, an outage, an edit of a message that is gone): maybe later.
    #[error("{0}")]
    Failed(String),
}

/// Texts longer than Telegram takes (4096 UTF-16 units) are cut with "…" rather than refused.
pub trait Notifier: Send + Sync {
    /// Sends `text` with `buttons` (none when empty) to `chat` from our bot; the message's id.
    fn send<'a>(&'a self, chat: i64, text: &'a str, buttons: &'a Buttons) -> BoxFuture<'a, Result<i32, SendError>>;

    /// Replaces a message's text and its buttons (no buttons when empty). An unchanged text is
    /// not an error.
    fn edit<'a>(
        &'a self,
        chat: i64,
        message: i32,
        text: &'a str,
        buttons: &'a Buttons,
    ) -> BoxFuture<'a, Result<(), SendError>>;

    /// Sends a picture (PNG bytes, uploaded) with a caption (cut to Telegram's 1024) from our bot;
    /// the message's id.
    fn send_photo<'a>(&'a self, chat: i64, png: Vec<u8>, caption: &'a str) -> BoxFuture<'a, Result<i32, SendError>>;

    /// Sends from another bot, with its token: an agent greeting its owner from its own bot.
    fn send_from<'a>(&'a self, bot: &'a BotToken, chat: i64, text: &'a str) -> BoxFuture<'a, Result<i32, SendError>>;
}
