//! A per-key rate limit on the control plane, like the real service's: a token bucket per
//! organization; a request that finds it empty gets 429 with `Retry-After` (whole seconds, as
//! HTTP wants) and `details.retry_after_seconds` (exact), so SDKs can be tested against both.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::Org;

/// How many requests a key may make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// How many may come at once after a quiet period.
    pub burst: u32,
}

impl RateLimit {
    /// `per_second` sustained, with a burst of twice that (at least 1).
    pub fn per_second(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: ((per_second * 2.0).ceil() as u32).max(1),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `org`, or says how long until one is there.
    pub(crate) fn take(&self, org: Org) -> Result<(), Duration> {
        self.take_at(org, Instant::now())
    }

    fn take_at(&self, org: Org, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let capacity = f64::from(self.limit.burst);
        let bucket = buckets.entry(org.0).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refill =
            now.saturating_duration_since(bucket.updated).as_secs_f64() * self.limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.limit.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_its_rate() {
        let limiter = Limiter::new(RateLimit {
            per_second: 2.0,
            burst: 2,
        });
        let start = Instant::now();
        assert!(limiter.take_at(Org(1), start).is_ok());
        assert!(limiter.take_at(Org(1), start).is_ok());
        let wait = limiter.take_at(Org(1), start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another organization has its own bucket.
        assert!(limiter.take_at(Org(2), start).is_ok());
        assert!(
            limiter
                .take_at(Org(1), start + Duration::from_millis(500))
                .is_ok()
        );
    }
}
