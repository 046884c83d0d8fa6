#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust suites (cargo nextest), hopx-local against the
# control-plane spec (schemathesis, scripts/conformance.sh), the Python suite
# (pytest) and the Node suite (node --test). The Python and Node end-to-end tests start real
# hopx-local servers on free loopback ports; nothing leaves this machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started=$SECONDS

ensure_bubblewrap

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -q -- -D warnings

step "Rust tests (cargo nextest)"
run_rust_tests

step "API conformance (schemathesis)"
scripts/conformance.sh

build_test_servers
setup_python
step "Python tests (pytest)"
.venv/bin/python -m pytest -q tests/python

setup_node
step "Node tests (node --test)"
node --test tests/js/

step "all tests passed in $((SECONDS - started)) s"
