# Shared set-up for scripts/demo.sh and scripts/test.sh. Everything the project needs on a fresh
# machine is installed here: the Python venv with maturin and pytest, the npm dev dependencies,
# and bubblewrap (the sandboxing tool hopx-local runs code under) from apt.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# One target folder for cargo, maturin and the napi CLI: the napi CLI always passes --target,
# so without this every crate would be built twice.
CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
export CARGO_BUILD_TARGET
PROFILE_DIR=debug
TARGET_DIR="$ROOT/target/$CARGO_BUILD_TARGET/$PROFILE_DIR"
export HOPX_LOCAL_BIN="$TARGET_DIR/hopx-local"
# The test suites' fault-injecting proxy, forward proxy and HTTPS front (crates/hopx-testkit).
export HOPX_TESTKIT_BIN="$TARGET_DIR/hopx-testkit"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_bubblewrap() {
  command -v bwrap >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing bubblewrap (apt)"
    # Not fatal: without bwrap hopx-local serves everything but code execution (it answers
    # SANDBOX_UNAVAILABLE, and the tests that run code say SKIPPED), so a machine without apt
    # access still runs every other test.
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; then
      echo "warning: could not install bubblewrap with apt; local sandboxes will not be able to run code" >&2
    fi
  else
    echo "note: bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap) to run code in local sandboxes" >&2
  fi
}

# cargo-nextest comes with this project's machines; elsewhere plain cargo test does the same job.
run_rust_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
  else
    echo "note: cargo-nextest not found; using cargo test" >&2
    cargo build -p hopx-local -p hopx-testkit --bins
    cargo test --workspace --no-fail-fast
  fi
}

build_local_server() {
  step "building hopx-local"
  cargo build -p hopx-local --bins
}

build_test_servers() {
  step "building hopx-local and hopx-testkit"
  cargo build -p hopx-local -p hopx-testkit --bins
}

setup_python() {
  step "Python: venv, maturin, pytest, and the hopx_ai extension (maturin develop)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # mypy: tests/python/test_typing.py checks the stubs and typed use with mypy --strict.
  .venv/bin/python -m pip install -q --disable-pip-version-check 'maturin>=1.9,<2' 'pytest>=8' 'mypy>=1.13'
  # maturin develop finds .venv by itself; VIRTUAL_ENV makes that explicit.
  VIRTUAL_ENV="$ROOT/.venv" .venv/bin/maturin develop -q
}

# schemathesis for scripts/conformance.sh, pinned so that a new release cannot change what the
# run checks; bump it on purpose (and read its changelog: 4.x renamed many options).
SCHEMATHESIS_VERSION=4.32.5

ensure_schemathesis() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  local have
  have=$(.venv/bin/schemathesis --version 2>/dev/null || true)
  if [ "$have" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    step "installing schemathesis $SCHEMATHESIS_VERSION into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

setup_node() {
  step "Node: npm dev dependencies and the native addon (napi build)"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  else
    npm install --no-audit --no-fund --ignore-scripts --loglevel=error
  fi
  npm run --silent build:debug
}

# Starts hopx-local on a free loopback port. With no key argument the server generates one (or
# reuses the one in its data folder). Sets HOPX_LOCAL_URL and HOPX_LOCAL_PID; the server stops by
# itself when this shell exits, because its stdin (a pipe held by this shell) closes.
start_local_server() {
  local data_dir=$1; shift
  local log=$data_dir/server.log
  mkdir -p "$data_dir"
  coproc HOPX_LOCAL { exec "$HOPX_LOCAL_BIN" --port 0 --data-dir "$data_dir" --exit-when-stdin-closes "$@" 2>"$log"; }
  local line=""
  if ! read -r -t 30 line <&"${HOPX_LOCAL[0]}"; then
    echo "hopx-local did not start within 30 s; its log:" >&2
    cat "$log" >&2
    return 1
  fi
  HOPX_LOCAL_URL=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$line")
  export HOPX_LOCAL_URL
}
