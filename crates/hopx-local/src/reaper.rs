//! The background task that kills expired sandboxes when nobody asks about them, so
//! what they hold is freed on time (handlers also purge lazily; see
//! [`AppState::with_sandboxes`]).
//!
//! It sleeps until the earliest `expires_at`, and is woken early when a handler sets
//! a new expiry (create, `PUT .../timeout`), so an idle server does no work at all.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::AppState;

/// Longest sleep between two looks. Expiry times are wall-clock times while tokio
/// sleeps on the monotonic clock, so a wall clock that jumps is caught up with within
/// this much.
const MAX_NAP: Duration = Duration::from_secs(60);

/// Runs until `shutdown` turns true (or its sender is dropped).
pub(crate) async fn run(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let nap = state.reap_expired().map_or(MAX_NAP, nap_until);
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|stop| *stop) => break,
            () = state.expiry_changed.notified() => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
    tracing::debug!("expiry reaper stopped");
}

/// How long to sleep for a sandbox expiring at `at`.
fn nap_until(at: DateTime<Utc>) -> Duration {
    (at - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO)
        .min(MAX_NAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naps_are_bounded() {
        let now = Utc::now();
        assert_eq!(
            nap_until(now - chrono::Duration::seconds(5)),
            Duration::ZERO
        );
        assert_eq!(nap_until(now + chrono::Duration::days(3)), MAX_NAP);
        let soon = nap_until(now + chrono::Duration::milliseconds(1500));
        assert!(soon <= Duration::from_millis(1500) && soon > Duration::from_millis(1000));
    }
}
