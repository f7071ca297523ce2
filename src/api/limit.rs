//! A per-agent token bucket: an agent that loops on the API slows itself down (429 with
//! `Retry-After`) instead of filling the masters' chats.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug)]
pub struct RateLimits {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, DateTime<Utc>)>>,
}

impl RateLimits {
    pub fn new(per_minute: u32) -> RateLimits {
        RateLimits { per_minute: per_minute.max(1) as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from the agent's bucket, or says how many seconds until one is free. `now`
    /// is the app's clock, so tests (and the console's `:time`) move it like every other limit.
    pub fn check(&self, agent: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(agent.to_string()).or_insert((self.per_minute, now));
        // A clock set back refills nothing (and does not drain the bucket either).
        let elapsed = (now - *last).to_std().map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let refill = elapsed * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.per_minute);
        *last = now.max(*last);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / self.per_minute).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_burst_then_a_wait() {
        let limits = RateLimits::new(3);
        let t0: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.check("peter", t0).is_ok());
        }
        assert_eq!(limits.check("peter", t0), Err(20));
        assert!(limits.check("maya", t0).is_ok(), "buckets are per agent");
        assert!(limits.check("peter", t0 + Duration::seconds(20)).is_ok());
        assert_eq!(limits.check("peter", t0 - Duration::hours(1)), Err(20), "a clock set back refills nothing");
    }
}
