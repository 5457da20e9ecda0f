//! Optional per-account request rate limits (token buckets), answered with 429
//! `ThrottlingException` and `Retry-After` like AWS's front end. The buckets live in this process:
//! with N replicas an account may make up to N times the configured rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Requests per second and burst size of every account.
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Throttle {
    /// `rate` requests per second on average, `burst` at once (both at least 1).
    pub fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate: rate.max(f64::MIN_POSITIVE),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `account`, or says after how many whole seconds one will be there.
    pub fn admit(&self, account: &str) -> Result<(), u64> {
        self.admit_at(account, Instant::now())
    }

    fn admit_at(&self, account: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(account.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_rate_per_account() {
        let t = Throttle::new(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.admit_at("a", start), Ok(()));
        }
        assert_eq!(t.admit_at("a", start), Err(1));
        // Another account has its own bucket.
        assert_eq!(t.admit_at("b", start), Ok(()));
        // Half a second later one token (rate 2/s) is back, and only one.
        let later = start + Duration::from_millis(500);
        assert_eq!(t.admit_at("a", later), Ok(()));
        assert_eq!(t.admit_at("a", later), Err(1));
        // Slow rates ask for a longer wait.
        let slow = Throttle::new(0.1, 1);
        assert_eq!(slow.admit_at("a", start), Ok(()));
        assert_eq!(slow.admit_at("a", start), Err(10));
    }
}
