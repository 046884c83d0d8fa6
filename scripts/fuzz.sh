#!/usr/bin/env bash
# Property-based fuzzing of the core crate (crates/hopx/src/fuzz): API key parsing, .env and
# config files, and server responses. Each target runs for SECONDS_PER_TARGET seconds (default
# 60) on fresh random cases, one target after another; a failure prints its seed and minimal
# input. scripts/test.sh runs the same properties too, for well under a second each.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v s="$seconds" 'BEGIN { exit !(s > 0) }'; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (a positive number of seconds, default 60)" >&2
  exit 2
fi
export HOPX_FUZZ_SECONDS=$seconds
# Panics caught while shrinking would each print a backtrace; the minimal input says more.
export RUST_BACKTRACE=0

log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "fuzzing crates/hopx, ${seconds} s per target"
started=$SECONDS
status=0
# --no-capture shows each target's summary line as it finishes (and runs the targets serially,
# so each one has the machine to itself).
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p hopx --lib --no-capture --no-fail-fast fuzz:: 2>&1 | tee "$log" || status=$?
else
  echo "note: cargo-nextest not found; using cargo test" >&2
  cargo test -p hopx --lib --no-fail-fast fuzz:: -- --nocapture --test-threads=1 2>&1 | tee "$log" || status=$?
fi

# Each target prints "fuzz <target>: <cases> cases in <secs> s, <failures> failures" (cargo test
# puts it after "test <name> ... " on the same line).
awk -v wall=$((SECONDS - started)) '
  match($0, /fuzz [a-z_]+: [0-9]+ cases in [0-9.]+ s, [0-9]+ failures$/) {
    split(substr($0, RSTART), f, " "); cases += f[3]; secs += f[6]; failures += f[8]; targets++
  }
  END { printf "\nfuzz total: %d targets, %d cases in %.1f s of fuzzing (%d s with the build), %d failures\n", targets, cases, secs, wall, failures }
' "$log" >&2
exit "$status"
