//! Optional flood control (off by default), modelled on Telegram's published
//! soft limits (the Bot API FAQ's "avoid sending more than one message per
//! second" to a chat and "about 30 messages per second" overall):
//!
//! - per bot, 30 new messages per second overall: a token bucket holding 30
//!   and refilled at 30/s;
//! - per (bot, chat), 1 new message per second with a burst of 3: a bucket
//!   holding 3 and refilled at 1/s. So 3 quick messages pass and the 4th
//!   within the same second gets a 429.
//!
//! Only methods that create a message count (sendMessage, sendAnimation,
//! sendPhoto, sendDocument); edits, deletes and answers do not. A refused
//! call does not use up a token. `retry_after` is the whole number of seconds
//! (at least 1) until the bucket that refused has a token again.

use std::{collections::HashMap, time::Instant};

/// Messages per second per bot, across all chats.
pub const BOT_RATE: f64 = 30.0;
/// Messages per second per chat.
pub const CHAT_RATE: f64 = 1.0;
/// Messages a chat may get at once before the per-chat rate applies.
pub const CHAT_BURST: f64 = 3.0;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(capacity: f64, now: Instant) -> Self {
        Bucket { tokens: capacity, at: now }
    }

    fn refill(&mut self, capacity: f64, rate: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.at = now;
    }

    /// Seconds until one token is there (0 if one is there now).
    fn wait_secs(&self, rate: f64) -> u64 {
        if self.tokens >= 1.0 {
            0
        } else {
            (((1.0 - self.tokens) / rate).ceil() as u64).max(1)
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    pub enabled: bool,
    bots: HashMap<i64, Bucket>,
    chats: HashMap<(i64, i64), Bucket>,
}

impl RateLimiter {
    /// Takes a token for one new message from `bot` to `chat`, or returns the
    /// `retry_after` seconds to answer in a 429.
    pub fn check(&mut self, bot: i64, chat: i64, now: Instant) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let bot_bucket = self.bots.entry(bot).or_insert_with(|| Bucket::full(BOT_RATE, now));
        bot_bucket.refill(BOT_RATE, BOT_RATE, now);
        let chat_bucket = self.chats.entry((bot, chat)).or_insert_with(|| Bucket::full(CHAT_BURST, now));
        chat_bucket.refill(CHAT_BURST, CHAT_RATE, now);
        let wait = bot_bucket.wait_secs(BOT_RATE).max(chat_bucket.wait_secs(CHAT_RATE));
        if wait > 0 {
            return Err(wait);
        }
        bot_bucket.tokens -= 1.0;
        chat_bucket.tokens -= 1.0;
        Ok(())
    }

    /// Forgets all buckets (used when limits are switched on again).
    pub fn reset(&mut self) {
        self.bots.clear();
        self.chats.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_of_three_then_one_per_second() {
        let mut rl = RateLimiter { enabled: true, ..Default::default() };
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.check(1, 10, t0), Ok(()));
        }
        assert_eq!(rl.check(1, 10, t0), Err(1));
        // Another chat has its own bucket.
        assert_eq!(rl.check(1, 11, t0), Ok(()));
        assert_eq!(rl.check(1, 10, t0 + Duration::from_millis(1000)), Ok(()));
    }

    #[test]
    fn thirty_per_second_per_bot() {
        let mut rl = RateLimiter { enabled: true, ..Default::default() };
        let t0 = Instant::now();
        for chat in 0..30 {
            assert_eq!(rl.check(1, chat, t0), Ok(()));
        }
        assert_eq!(rl.check(1, 99, t0), Err(1));
        assert_eq!(rl.check(2, 99, t0), Ok(()));
    }

    #[test]
    fn off_by_default() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(rl.check(1, 10, t0), Ok(()));
        }
    }
}
