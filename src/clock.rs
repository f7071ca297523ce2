//! Time as a dependency, so tests (and the console's `:time`) can move it: code expiry, resend
//! waits, daily limits and, later, the scheduled briefs all ask the clock, never the system.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock moved by an adjustable offset: the console's `:time +2h` makes one-time codes
/// expire, daily limits roll over and (later) briefs fall due without waiting, while time keeps
/// flowing as it does in production. The offset is in milliseconds, atomic, so reading it is free.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl OffsetClock {
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }

    /// Moves the clock by `by` (negative goes back).
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), std::sync::atomic::Ordering::SeqCst);
    }

    /// Makes the clock read `at` now; it goes on from there at the system's pace.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at.signed_duration_since(Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, std::sync::atomic::Ordering::SeqCst);
    }

    /// How far ahead of the system clock this clock is (negative: behind).
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_moves_and_keeps_flowing() {
        let clock = OffsetClock::new();
        let drift = |c: &OffsetClock, expected: Duration| (c.now() - Utc::now() - expected).num_milliseconds().abs();
        assert!(drift(&clock, Duration::zero()) < 1_000);
        clock.advance(Duration::hours(2));
        clock.advance(Duration::minutes(30));
        assert!(drift(&clock, Duration::minutes(150)) < 1_000);
        let at: DateTime<Utc> = "2030-01-01T06:59:00Z".parse().unwrap();
        clock.set(at);
        assert!((clock.now() - at).num_milliseconds().abs() < 1_000);
        clock.advance(Duration::minutes(-1));
        assert!((clock.now() - (at - Duration::minutes(1))).num_milliseconds().abs() < 1_000);
    }
}
