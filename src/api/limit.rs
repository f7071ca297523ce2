//! A per-agent token bucket: an agent that loops on the API slows itself down (429 with
//! `Retry-After`) instead of filling the masters' chats.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub struct RateLimits {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimits {
    pub fn new(per_minute: u32) -> RateLimits {
        RateLimits { per_minute: per_minute.max(1) as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from the agent's bucket, or says how many seconds until one is free.
    pub fn check(&self, agent: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(agent.to_string()).or_insert((self.per_minute, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.per_minute);
        *last = now;
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
    use std::time::Duration;

    #[test]
    fn a_burst_then_a_wait() {
        let limits = RateLimits::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limits.check("peter", t0).is_ok());
        }
        assert_eq!(limits.check("peter", t0), Err(20));
        assert!(limits.check("maya", t0).is_ok(), "buckets are per agent");
        assert!(limits.check("peter", t0 + Duration::from_secs(20)).is_ok());
    }
}
