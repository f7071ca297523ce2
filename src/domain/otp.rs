//! One-time email codes: the rules of the onboarding's email step (client self-onboarding, spec
//! §4b), as pure functions of a record and the time. The code itself is never stored;
//! `crypto::Secrets` makes and checks the hash.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const CODE_TTL_MINUTES: i64 = 10;
pub const MAX_WRONG_TRIES: u32 = 5;
pub const RESEND_AFTER_SECONDS: i64 = 60;
/// Codes sent to one email address, whoever asks: a cap per hour and per day, so that several
/// Telegram accounts cannot flood someone else's inbox.
pub const MAX_CODES_PER_ADDRESS_HOUR: u32 = 3;
pub const MAX_CODES_PER_ADDRESS_DAY: u32 = 5;

pub const MAX_CODES_PER_DAY: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpRecord {
    pub hash: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub wrong_tries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Correct,
    /// Wrong, with this many tries left.
    Wrong(u32),
    /// Too many wrong tries: this code is dead, a new one must be sent.
    Locked,
    Expired,
}

impl OtpRecord {
    pub fn new(hash: String, now: DateTime<Utc>) -> OtpRecord {
        OtpRecord { hash, sent_at: now, expires_at: now + Duration::minutes(CODE_TTL_MINUTES), wrong_tries: 0 }
    }

    /// Judges one attempt. `matches` is the constant-time comparison's answer. A wrong attempt is
    /// counted by the caller with `with_wrong_try`, so this stays a pure question.
    pub fn judge(&self, matches: bool, now: DateTime<Utc>) -> CodeCheck {
        if self.wrong_tries >= MAX_WRONG_TRIES {
            CodeCheck::Locked
        } else if now > self.expires_at {
            CodeCheck::Expired
        } else if matches {
            CodeCheck::Correct
        } else if self.wrong_tries + 1 >= MAX_WRONG_TRIES {
            CodeCheck::Locked
        } else {
            CodeCheck::Wrong(MAX_WRONG_TRIES - self.wrong_tries - 1)
        }
    }

    pub fn with_wrong_try(&self) -> OtpRecord {
        OtpRecord { wrong_tries: self.wrong_tries + 1, ..self.clone() }
    }

    /// Seconds to wait before another code may be sent, if any.
    pub fn resend_wait(&self, now: DateTime<Utc>) -> Option<i64> {
        let ready = self.sent_at + Duration::seconds(RESEND_AFTER_SECONDS);
        (now < ready).then(|| (ready - now).num_seconds().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn correct_within_ten_minutes() {
        let r = OtpRecord::new("h".into(), t0());
        assert_eq!(r.judge(true, t0() + Duration::minutes(10)), CodeCheck::Correct);
        assert_eq!(r.judge(true, t0() + Duration::minutes(10) + Duration::seconds(1)), CodeCheck::Expired);
    }

    #[test]
    fn five_wrong_tries_lock_even_the_right_code() {
        let mut r = OtpRecord::new("h".into(), t0());
        for left in [4, 3, 2, 1] {
            assert_eq!(r.judge(false, t0()), CodeCheck::Wrong(left));
            r = r.with_wrong_try();
        }
        assert_eq!(r.judge(false, t0()), CodeCheck::Locked);
        r = r.with_wrong_try();
        assert_eq!(r.judge(true, t0()), CodeCheck::Locked);
    }

    #[test]
    fn resend_waits_sixty_seconds() {
        let r = OtpRecord::new("h".into(), t0());
        assert_eq!(r.resend_wait(t0() + Duration::seconds(15)), Some(45));
        assert_eq!(r.resend_wait(t0() + Duration::seconds(60)), None);
    }
}
