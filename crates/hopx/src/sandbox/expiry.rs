//! When a sandbox will be killed, computed from its `expires_at` (one rule for every language).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// The default "expiring soon" window: five minutes, as in the official SDKs.
pub const DEFAULT_EXPIRING_SOON: Duration = Duration::from_secs(300);

/// A sandbox's expiry at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryInfo {
    /// When it will be killed; `None` when it has no timeout.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whole seconds left, rounded down; negative once it has passed; `None` without a timeout.
    pub time_to_expiry: Option<i64>,
    /// The expiry time has been reached.
    pub is_expired: bool,
    /// Not expired, and at most the threshold is left.
    pub is_expiring_soon: bool,
    /// It has a timeout at all.
    pub has_timeout: bool,
}

impl ExpiryInfo {
    /// The expiry of a sandbox that expires at `expires_at`, seen at `now`.
    ///
    /// The official SDKs disagree at the boundary (Python: expired when fewer than 0 whole
    /// seconds are left, so a sandbox is "not expired" for up to a second after its end;
    /// JavaScript: expired at 0 or less). Here a sandbox is expired from the instant
    /// `expires_at` is reached, and "expiring soon" never includes an expired sandbox.
    pub fn at(
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        expiring_soon: Duration,
    ) -> ExpiryInfo {
        let Some(expires_at) = expires_at else {
            return ExpiryInfo {
                expires_at: None,
                time_to_expiry: None,
                is_expired: false,
                is_expiring_soon: false,
                has_timeout: false,
            };
        };
        let left = expires_at - now;
        let is_expired = left <= chrono::TimeDelta::zero();
        let threshold =
            chrono::TimeDelta::from_std(expiring_soon).unwrap_or(chrono::TimeDelta::MAX);
        ExpiryInfo {
            expires_at: Some(expires_at),
            time_to_expiry: Some(left.num_milliseconds().div_euclid(1000)),
            is_expired,
            is_expiring_soon: !is_expired && left <= threshold,
            has_timeout: true,
        }
    }
}

/// Checks an "expiring soon" threshold given in seconds by a caller.
pub fn expiring_soon_threshold(seconds: f64) -> Result<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(Error::invalid_argument(format!(
            "threshold_seconds (thresholdSeconds) is {seconds}, but it must be zero or a positive number of seconds."
        ))
        .with_hint("The default is 300 (five minutes)."));
    }
    Ok(Duration::from_secs_f64(seconds.min(1e12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset_ms: i64, threshold_s: u64) -> ExpiryInfo {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        ExpiryInfo::at(
            Some(now + chrono::TimeDelta::milliseconds(offset_ms)),
            now,
            Duration::from_secs(threshold_s),
        )
    }

    #[test]
    fn boundaries() {
        let far = at(3_600_000, 300);
        assert_eq!(far.time_to_expiry, Some(3600));
        assert!(!far.is_expired && !far.is_expiring_soon && far.has_timeout);

        let soon = at(299_500, 300);
        assert_eq!(soon.time_to_expiry, Some(299));
        assert!(soon.is_expiring_soon && !soon.is_expired);

        let exactly_threshold = at(300_000, 300);
        assert!(exactly_threshold.is_expiring_soon);

        let now = at(0, 300);
        assert!(now.is_expired && !now.is_expiring_soon);
        assert_eq!(now.time_to_expiry, Some(0));

        let past = at(-1_500, 300);
        assert!(past.is_expired);
        assert_eq!(
            past.time_to_expiry,
            Some(-2),
            "rounded down, not toward zero"
        );

        let never = ExpiryInfo::at(None, Utc::now(), DEFAULT_EXPIRING_SOON);
        assert!(!never.has_timeout && !never.is_expired && !never.is_expiring_soon);
        assert_eq!(never.time_to_expiry, None);
    }

    #[test]
    fn thresholds_are_checked() {
        assert!(expiring_soon_threshold(-1.0).is_err());
        assert!(expiring_soon_threshold(f64::NAN).is_err());
        assert_eq!(
            expiring_soon_threshold(0.0).unwrap(),
            Duration::from_secs(0)
        );
        assert!(expiring_soon_threshold(1e300).is_ok());
    }
}
