#!/usr/bin/env bash
# The main job, from a fresh clone: builds what is needed, starts `hopx-local` on a free
# loopback port with a generated key, then, from Python (examples/quickstart.py) and from Node
# (examples/quickstart.mjs): lists templates, creates a sandbox, runs code in it (under
# bubblewrap) and round-trips a file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_bubblewrap
build_local_server
setup_python
setup_node

step "starting hopx-local"
data_dir="$ROOT/target/hopx-local-demo"
start_local_server "$data_dir"
export HOPX_BASE_URL=$HOPX_LOCAL_URL
HOPX_API_KEY=$(cat "$data_dir/api_key")
export HOPX_API_KEY
echo "hopx-local is listening on $HOPX_BASE_URL (key in $data_dir/api_key)" >&2

step "Python: examples/quickstart.py"
.venv/bin/python examples/quickstart.py

step "Node: examples/quickstart.mjs"
node examples/quickstart.mjs

step "done: templates listed, sandboxes created, code run and files round-tripped from Python and Node"
