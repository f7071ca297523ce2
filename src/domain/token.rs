//! Telegram bot tokens in what a client sends: a message forwarded from @BotFather or a pasted token.
//! BotFather's wording changes, so the token is found by its shape (`<digits>:<35 url-safe chars>`)
//! and the bot's username by its `t.me/` link, never by the sentences around them.

use std::fmt;

/// @BotFather's Telegram user id. A forward is trusted only when its origin is this id.
pub const BOTFATHER_ID: i64 = 93372553;

const SECRET_LEN: usize = 35;

/// A bot token. `Debug` and `Display` never show the secret part, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl BotToken {
    /// The token itself, for the Bot API call and for sealing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The bot's id: the digits before the colon.
    pub fn bot_id(&self) -> i64 {
        self.0.split(':').next().and_then(|d| d.parse().ok()).unwrap_or_default()
    }

    /// Parses a whole string that must be exactly one token.
    pub fn parse(s: &str) -> Option<BotToken> {
        let s = s.trim();
        let (digits, secret) = s.split_once(':')?;
        let digits_ok = (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = secret.len() == SECRET_LEN && secret.bytes().all(is_secret_byte);
        (digits_ok && secret_ok && digits.parse::<i64>().is_ok()).then(|| BotToken(s.to_string()))
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BotToken({}:***)", self.bot_id())
    }
}

impl fmt::Display for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:***", self.bot_id())
    }
}

fn is_secret_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_token_byte(b: u8) -> bool {
    is_secret_byte(b) || b == b':'
}

/// Finds the first token-shaped word in free text (a BotFather message, or a paste with words around it).
pub fn find_token(text: &str) -> Option<BotToken> {
    text.split(|c: char| !c.is_ascii() || !is_token_byte(c as u8)).find_map(BotToken::parse)
}

/// Whether the text holds anything that looks like a token, even a damaged one: such a message is
/// deleted from the chat whether or not the token works. Everything [`find_token`] would take
/// counts (the fuzz tests hold the two together), and so do near misses: a long secret after
/// five or more digits.
pub fn looks_like_token(text: &str) -> bool {
    find_token(text).is_some()
        || text.split(|c: char| !c.is_ascii() || !is_token_byte(c as u8)).any(|w| {
            w.split_once(':')
                .is_some_and(|(d, s)| d.len() >= 5 && d.bytes().all(|b| b.is_ascii_digit()) && s.len() >= 20)
        })
}

/// The bot username from BotFather's `t.me/<username>` link, if present.
pub fn find_bot_username(text: &str) -> Option<String> {
    let start = text.find("t.me/")? + "t.me/".len();
    let name: String = text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (name.len() >= 5 && name.to_lowercase().ends_with("bot")).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Found by the fuzz tests: a token with a short id was taken but not seen as a token, so a
    /// message holding it would not have been deleted.
    #[test]
    fn whatever_is_taken_as_a_token_looks_like_one() {
        let text = "here: 7890:AAExampleTokenNotRealxxxxxxxxxxxxxx";
        assert!(find_token(text).is_some());
        assert!(looks_like_token(text));
    }

    const BOTFATHER_TEXT: &str = include_str!("../../tests/fixtures/botfather-newbot.txt");

    #[test]
    fn finds_token_and_username_in_botfathers_message() {
        let token = find_token(BOTFATHER_TEXT).expect("token");
        assert_eq!(token.expose(), "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx");
        assert_eq!(token.bot_id(), 1234567890);
        assert_eq!(find_bot_username(BOTFATHER_TEXT).as_deref(), Some("acme_helper_bot"));
        assert!(looks_like_token(BOTFATHER_TEXT));
    }

    #[test]
    fn pasted_token_with_words_around_it() {
        let t = find_token("here it is: 7890123456:AAH-abcdefghijklmnopqrstuvwxyz_0123 thanks").unwrap();
        assert_eq!(t.bot_id(), 7890123456);
    }

    #[test]
    fn wrong_shapes_are_not_tokens() {
        for bad in [
            "hello",
            "123:short",
            "abc:AAExampleTokenNotRealxxxxxxxxxxxxxx",
            "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxx",   // 34
            "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxxx", // 36
            "1234567890:AAExampleTokenNotReal xxxxxxxxxxxxxx",
        ] {
            assert!(find_token(bad).is_none(), "{bad}");
        }
        assert!(looks_like_token("1234567890:AAExampleTokenNotRealxxxxxxxxxxxxx"));
        assert!(!looks_like_token("meet at 10:30 tomorrow"));
    }

    #[test]
    fn debug_and_display_hide_the_secret() {
        let t = BotToken::parse("1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx").unwrap();
        assert!(!format!("{t:?} {t}").contains("AAExample"));
    }

    proptest! {
        #[test]
        fn any_well_shaped_token_is_found_in_text(id in 1u64..99_999_999_999u64, secret in "[A-Za-z0-9_-]{35}", pre in "[a-z ]{0,10}") {
            let raw = format!("{id}:{secret}");
            let found = find_token(&format!("{pre}\n{raw}\nbye")).unwrap();
            prop_assert_eq!(found.expose(), raw.as_str());
            prop_assert_eq!(found.bot_id(), id as i64);
        }

        #[test]
        fn find_token_never_panics(s in "\\PC{0,80}") {
            let _ = find_token(&s);
            let _ = find_bot_username(&s);
        }
    }
}
