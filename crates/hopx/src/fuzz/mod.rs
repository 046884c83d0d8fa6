//! Property-based fuzzing of everything that reads text the SDK does not control: API keys,
//! `.env` and config files, and server responses.
//!
//! `cargo fuzz` needs a nightly toolchain, so the targets are proptest properties run as unit
//! tests. A normal test run gives each target a few hundred cases (well under a second each);
//! `HOPX_FUZZ_SECONDS=N` (see `scripts/fuzz.sh`) keeps each target going for N seconds with a
//! fresh seed every round. Nothing is written to disk: failures are reported with their
//! minimal input and seed instead of being persisted into the source tree.

/// The marker below, for `concat!` in constant tables.
macro_rules! marker {
    () => {
        "mRkQ7zLp2VxT9sNw"
    };
}

mod config;
mod key;
mod responses;

use std::cell::Cell;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestCaseResult, TestRunner};

/// Cases per round in a timed run: small, so a run stops close to its deadline.
const CASES_PER_ROUND: u32 = 64;
/// A timed run ends after this many rounds even if the clock says otherwise (a stuck clock, or
/// an absurd `HOPX_FUZZ_SECONDS`).
const MAX_ROUNDS: u64 = 1_000_000;
/// A timed run stops collecting after this many failing rounds: they are usually one bug.
const MAX_FAILURES: usize = 3;
/// Shrinking a deep JSON value can take long; a failure is worth reporting unshrunk after this.
const MAX_SHRINK_MILLIS: u32 = 20_000;

/// A text the SDK must never repeat in an error: placed into file contents and response bodies.
/// Random letters, so that none of the SDK's own sentences can contain it by chance.
pub(super) const MARKER: &str = marker!();

/// Runs `property` against `strategy`: `default_cases` cases (at most; `PROPTEST_CASES` can
/// lower it), or rounds of fresh cases for `HOPX_FUZZ_SECONDS` seconds.
pub(super) fn run<S>(
    target: &str,
    default_cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    let base = Config::default();
    let config = |seed: u64, cases: u32| Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_time: MAX_SHRINK_MILLIS,
        ..base.clone()
    };
    let seconds = std::env::var("HOPX_FUZZ_SECONDS")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let Some(seconds) = seconds else {
        // A fixed PROPTEST_RNG_SEED replays one run; otherwise every run explores new cases.
        let seed = match base.rng_seed {
            RngSeed::Fixed(seed) => seed,
            RngSeed::Random => rand::random(),
        };
        let mut runner = TestRunner::new(config(seed, base.cases.min(default_cases)));
        if let Err(e) = runner.run(&strategy, &property) {
            panic!("fuzz {target} (seed {seed}, PROPTEST_RNG_SEED={seed} replays it): {e}");
        }
        return;
    };
    let budget = seconds
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or_else(|| {
            panic!("HOPX_FUZZ_SECONDS must be a positive number of seconds, not {seconds:?}")
        });

    let started = Instant::now();
    let cases = Cell::new(0u64);
    let counted = |value: S::Value| {
        cases.set(cases.get() + 1);
        property(value)
    };
    let mut failures = Vec::new();
    let mut rounds = 0u64;
    while started.elapsed() < budget && rounds < MAX_ROUNDS && failures.len() < MAX_FAILURES {
        // A new seed per round: a timed run must not repeat the same cases round after round.
        let seed: u64 = rand::random();
        let mut runner = TestRunner::new(config(seed, CASES_PER_ROUND));
        if let Err(e) = runner.run(&strategy, counted) {
            // A default run with this seed starts with the same cases, so it replays this one.
            failures.push(format!(
                "seed {seed} (PROPTEST_RNG_SEED={seed} replays it): {e}"
            ));
        }
        rounds += 1;
    }
    eprintln!(
        "fuzz {target}: {} cases in {:.1} s, {} failures",
        cases.get(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "fuzz {target} found {} failing input(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Fails the case unless `text` is free of `needle`.
pub(super) fn assert_absent(what: &str, text: &str, needle: &str) -> TestCaseResult {
    if text.contains(needle) {
        return Err(TestCaseError::fail(format!(
            "{what} contains {needle:?}: {text:?}"
        )));
    }
    Ok(())
}

/// Everything an error can show: message, hint, Display and Debug.
pub(super) fn error_texts(error: &crate::Error) -> Vec<(&'static str, String)> {
    vec![
        ("message", error.message().to_owned()),
        ("hint", error.hint().unwrap_or("").to_owned()),
        ("Display", error.to_string()),
        ("Debug", format!("{error:?}")),
    ]
}
