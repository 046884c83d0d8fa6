#!/usr/bin/env bash
# The benchmark, in one command (from the repository root):
#
#   bash bench/run.sh            # the full run: writes bench/RESULTS.md and bench/latency.png
#   bash bench/run.sh --quick    # a short smoke run; writes to $BENCH_WORK/quick/ instead
#
# Builds hopx in release mode (hopx-local, the Rust bench worker, the Python wheel, the Node
# addon), installs nginx (Debian's nginx-light) if missing, installs the official hopx-ai==0.5.0
# and @hopx-ai/sdk@0.5.1 into a throwaway folder outside the source tree ($BENCH_WORK, default
# /tmp/hopx-bench), then runs bench/bench.py, which measures everything in one interleaved run.
# The repository's own dev setup (.venv, js/*.node) is not touched. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH_WORK=${BENCH_WORK:-/tmp/hopx-bench}
mkdir -p "$BENCH_WORK"
BENCH_WORK=$(cd "$BENCH_WORK" && pwd)
case "$BENCH_WORK/" in
  "$ROOT"/*) echo "BENCH_WORK must be outside the source tree ($ROOT)" >&2; exit 2 ;;
esac

OFFICIAL_PY=0.5.0
OFFICIAL_NODE=0.5.1
QUICK=()
[ "${1:-}" = "--quick" ] && QUICK=(--quick)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
started=$(date +%s)

# Tools: nginx (the static stand-in), openssl (the throwaway CA for the TLS measurement) and
# GNU time.
if ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing nginx-light (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  else
    echo "nginx is needed: apt-get install nginx-light (or nginx)" >&2; exit 1
  fi
fi
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed (apt-get install openssl)" >&2; exit 1; }
# GNU time: the peak memory of each fresh interpreter in the import measurement.
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  else
    echo "GNU time is needed at /usr/bin/time (apt-get install time)" >&2; exit 1
  fi
fi

# One target folder for cargo and maturin, as scripts/lib.sh does.
CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
export CARGO_BUILD_TARGET
RELEASE="$ROOT/target/$CARGO_BUILD_TARGET/release"

step "building release: hopx-local, the Rust bench worker, the Node addon"
cargo build --release -q -p hopx-local --bin hopx-local -p hopx --example bench_calls
cargo build --release -q -p hopx-node

step "Python: $BENCH_WORK/venv-hopx with the release wheel (maturin build --release) and matplotlib"
VENV_OURS="$BENCH_WORK/venv-hopx"
[ -x "$VENV_OURS/bin/python" ] || python3 -m venv "$VENV_OURS"
"$VENV_OURS/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.9,<2' matplotlib
rm -rf "$BENCH_WORK/wheels"
"$VENV_OURS/bin/maturin" build --release -q -o "$BENCH_WORK/wheels" >/dev/null
"$VENV_OURS/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$BENCH_WORK"/wheels/hopx_ai-*.whl

step "Node: $BENCH_WORK/node-hopx with the release addon"
NODE_OURS="$BENCH_WORK/node-hopx/node_modules/@hopx-ai/sdk"
rm -rf "$NODE_OURS"
mkdir -p "$NODE_OURS/js" "$NODE_OURS/scripts"
cp package.json "$NODE_OURS/"
cp js/index.js js/native.js js/cli.js js/index.d.ts "$NODE_OURS/js/"
cp scripts/gen-esm.mjs "$NODE_OURS/scripts/"
suffix=$(node -p "process.platform + '-' + process.arch + (process.platform === 'linux' ? '-gnu' : '')")
cp "$RELEASE/libhopx_node.so" "$NODE_OURS/js/hopx.$suffix.node"
node "$NODE_OURS/scripts/gen-esm.mjs"

step "official SDKs: hopx-ai==$OFFICIAL_PY and @hopx-ai/sdk@$OFFICIAL_NODE into $BENCH_WORK"
VENV_OFFICIAL="$BENCH_WORK/venv-official"
[ -x "$VENV_OFFICIAL/bin/python" ] || python3 -m venv "$VENV_OFFICIAL"
if [ "$("$VENV_OFFICIAL/bin/python" -c 'import importlib.metadata as m; print(m.version("hopx-ai"))' 2>/dev/null)" != "$OFFICIAL_PY" ]; then
  "$VENV_OFFICIAL/bin/python" -m pip install -q --disable-pip-version-check "hopx-ai==$OFFICIAL_PY"
fi
NODE_OFFICIAL_DIR="$BENCH_WORK/node-official"
mkdir -p "$NODE_OFFICIAL_DIR"
if [ "$(node -p "require('$NODE_OFFICIAL_DIR/node_modules/@hopx-ai/sdk/package.json').version" 2>/dev/null)" != "$OFFICIAL_NODE" ]; then
  [ -f "$NODE_OFFICIAL_DIR/package.json" ] || echo '{"name": "hopx-bench-official", "private": true}' > "$NODE_OFFICIAL_DIR/package.json"
  (cd "$NODE_OFFICIAL_DIR" && npm install --no-audit --no-fund --loglevel=error "@hopx-ai/sdk@$OFFICIAL_NODE")
fi
built=$(date +%s)

versions=$(python3 - "$VENV_OFFICIAL/bin/python" "$NODE_OFFICIAL_DIR" <<'EOF'
import json, subprocess, sys
def out(*cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip()
    except OSError:
        return "?"
rev = out("git", "rev-parse", "--short", "HEAD")
dirty = out("git", "status", "--porcelain", "--untracked-files=no")
ver = out("cargo", "pkgid", "-p", "hopx").rsplit("@", 1)[-1].rsplit("#", 1)[-1]
py_deps = out(sys.argv[1], "-c", "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in ('httpx', 'aiohttp', 'pydantic')))")
node_deps = out("node", "-p", f"'axios ' + require('{sys.argv[2]}/node_modules/axios/package.json').version")
print(json.dumps({
    "hopx": f"{ver} (git {rev}{' + uncommitted changes' if dirty else ''}), release build (thin LTO)",
    "rustc": out("rustc", "-V"),
    "python": out(sys.argv[1], "-c", "import sys; print(sys.version.split()[0])"),
    "node": out("node", "-v"),
    "nginx": out("nginx", "-v").replace("nginx version: ", ""),
    "official-python": "hopx-ai " + out(sys.argv[1], "-c", "import importlib.metadata as m; print(m.version('hopx-ai'))"),
    "official-python-deps": py_deps,
    "official-node": "@hopx-ai/sdk " + out("node", "-p", f"require('{sys.argv[2]}/node_modules/@hopx-ai/sdk/package.json').version"),
    "official-node-deps": node_deps,
}))
EOF
)

step "measuring (bench/bench.py)"
# Other work on the machine skews every number: say what was running.
busy=$(ps -eo comm= | grep -cE '^(rustc|cargo|cargo-nextest|pytest|cc1|ld|mold)$' || true)
[ "$busy" -gt 0 ] && echo "warning: $busy compiler/test processes are running; the numbers will be noisy" >&2
python3 bench/bench.py "${QUICK[@]}" --work "$BENCH_WORK" \
  --py-ours "$VENV_OURS/bin/python" --py-official "$VENV_OFFICIAL/bin/python" \
  --node-ours "$NODE_OURS" --node-official "$NODE_OFFICIAL_DIR/node_modules/@hopx-ai/sdk" \
  --rust-worker "$RELEASE/examples/bench_calls" --hopx-local "$RELEASE/hopx-local" \
  --build-seconds "$((built - started))" --versions "$versions"
echo "bench/run.sh took $(( $(date +%s) - started )) s" >&2
