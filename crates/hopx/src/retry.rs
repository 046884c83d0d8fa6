//! When a failed request may be sent again, and how long to wait first.
//!
//! The rule that matters most: a request that may have been processed by the server is never
//! replayed unless its method is idempotent. Creating a sandbox twice costs the user money;
//! failing once and saying so costs nothing.

use std::time::Duration;

use reqwest::Method;

/// Backoff settings. Exponential with full jitter: attempt `n` waits a random time in
/// `[0, min(cap, base * 2^n)]`, or what the server asked for, whichever is longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request may be sent again after the first attempt.
    pub max_retries: u32,
    /// The first backoff ceiling.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// The longest server-requested wait (`Retry-After`) the SDK will sit through; a longer
    /// request fails at once, with the wait on the error.
    pub max_server_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            max_server_wait: Duration::from_secs(60),
        }
    }
}

/// How an attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The connection failed before the request was written: provably not processed.
    NotSent,
    /// The server answered with this status.
    Status(u16),
    /// The request was (or may have been) written, then the connection broke or timed out.
    MaybeProcessed,
    /// Nothing was sent, and sending again cannot help (an untrusted TLS certificate).
    Permanent,
}

impl RetryPolicy {
    /// Whether this outcome of this attempt (0-based) may be retried.
    pub(crate) fn should_retry(&self, method: &Method, outcome: Outcome, attempt: u32) -> bool {
        if attempt >= self.max_retries {
            return false;
        }
        match outcome {
            Outcome::NotSent => true,
            // The server says it did not process these.
            Outcome::Status(429 | 503) => true,
            Outcome::Status(500 | 502 | 504) | Outcome::MaybeProcessed => is_idempotent(method),
            Outcome::Status(_) | Outcome::Permanent => false,
        }
    }

    /// The wait before retry number `attempt + 1`.
    pub(crate) fn backoff(&self, attempt: u32, server_wait: Option<Duration>) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let jittered = ceiling.mul_f64(rand::random::<f64>());
        match server_wait {
            Some(wait) => wait.max(jittered),
            None => jittered,
        }
    }
}

/// GET, HEAD, PUT, DELETE and OPTIONS may be repeated without changing the outcome.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// A server-given number of seconds as a duration: `None` when negative or not a number, and
/// capped (at a day) so that an absurd value cannot overflow.
pub(crate) fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    const DAY: f64 = 86_400.0;
    (seconds.is_finite() || seconds == f64::INFINITY)
        .then_some(seconds)
        .filter(|s| *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(DAY)))
}

/// Parses `Retry-After`: delta seconds or an HTTP date.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return seconds_to_duration(seconds as f64);
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return seconds_to_duration(seconds);
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    seconds_to_duration(delta.to_std().unwrap_or(Duration::ZERO).as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_is_only_retried_when_provably_unprocessed() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(&Method::POST, Outcome::NotSent, 0));
        assert!(p.should_retry(&Method::POST, Outcome::Status(429), 0));
        assert!(p.should_retry(&Method::POST, Outcome::Status(503), 0));
        assert!(!p.should_retry(&Method::POST, Outcome::Status(500), 0));
        assert!(!p.should_retry(&Method::POST, Outcome::Status(502), 0));
        assert!(!p.should_retry(&Method::POST, Outcome::MaybeProcessed, 0));
        assert!(p.should_retry(&Method::GET, Outcome::Status(500), 0));
        assert!(p.should_retry(&Method::DELETE, Outcome::MaybeProcessed, 2));
        assert!(!p.should_retry(&Method::GET, Outcome::Status(404), 0));
        assert!(!p.should_retry(&Method::GET, Outcome::Status(500), 3));
    }

    #[test]
    fn backoff_is_bounded_and_honours_the_server() {
        let p = RetryPolicy::default();
        for attempt in 0..10 {
            let wait = p.backoff(attempt, None);
            assert!(wait <= p.cap);
            assert!(wait <= p.base * 2u32.pow(attempt.min(5)));
        }
        assert!(p.backoff(0, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[test]
    fn retry_after_forms() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        let huge = parse_retry_after("99999999999999999999", now).unwrap();
        assert_eq!(huge, Duration::from_secs(86_400));
        assert_eq!(
            parse_retry_after("1e300", now),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_retry_after("NaN", now), None);
    }
}
