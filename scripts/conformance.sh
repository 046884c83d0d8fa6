#!/usr/bin/env bash
# Checks hopx-local against the HopX control-plane spec (spec/openapi_public.json) with
# schemathesis: no 5xx for any input, responses that match the schemas, documented status codes,
# 405 for undocumented methods, 401 without a key, and data that schemathesis creates behaving
# (a deleted sandbox is gone, ...).
#
# The spec is used with spec/conformance-overlay.json applied (RFC 7396 merge patch): where the
# spec is wrong or silent, hopx-local follows the official SDKs, and each such point is patched
# there and explained in spec/DIFFERENCES.md. The run also checks more than the spec promises:
# every 4xx/5xx must be the error envelope, and a sandbox answer must have its key fields.
# Template building (/v1/templates/build*, /v1/templates/files/upload-link) is not served
# locally and is left out.
#
# Usage: scripts/conformance.sh [extra schemathesis run options]
#   CONFORMANCE_SEED=N   use another seed (the default one makes runs repeatable)
# Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started=$SECONDS

ensure_schemathesis
build_local_server

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fresh key for this run only: the server accepts nothing else.
key=$(.venv/bin/python -c 'import secrets, string
alnum = string.ascii_letters + string.digits
print("hopx_live_" + "".join(secrets.choice(alnum) for _ in range(12)) + "." + secrets.token_urlsafe(30))')
start_local_server "$work/server" --api-key "$key"

step "conformance: preparing the spec (openapi_public.json + conformance-overlay.json)"
.venv/bin/python - spec/openapi_public.json spec/conformance-overlay.json "$work/openapi.json" <<'PY'
"""Applies the overlay, then the rules that are easier as code than as a patch."""
import json
import sys

spec_path, overlay_path, out_path = sys.argv[1:4]


def merge_patch(target, patch):
    """RFC 7396: objects merge recursively, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


with open(spec_path) as f:
    spec = json.load(f)
with open(overlay_path) as f:
    spec = merge_patch(spec, json.load(f))

METHODS = {"get", "put", "post", "delete", "patch"}
SANDBOX = {"$ref": "#/components/schemas/github_com_hopx_publicapi_pkg_models.Sandbox"}
ENVELOPE = {"$ref": "#/components/schemas/hopx.ErrorEnvelope"}

# T1 (DIFFERENCES.md): the spec types every error as a free-form object; the SDKs read the
# envelope, so that is what every 4xx/5xx must be.
for path, item in spec["paths"].items():
    for method, op in item.items():
        if method not in METHODS:
            continue
        for status, response in op["responses"].items():
            if int(status) >= 400:
                response["content"] = {"application/json": {"schema": ENVELOPE}}

# T2: lifecycle and timeout answers are the sandbox object (the spec: any object), and a token
# refresh carries the token fields the SDKs read.
sandbox_ops = {
    "/v1/sandboxes/{id}/pause": ("post", "pauseSandbox"),
    "/v1/sandboxes/{id}/resume": ("post", "resumeSandbox"),
    "/v1/sandboxes/{id}/stop": ("post", "stopSandbox"),
    "/v1/sandboxes/{id}/start": ("post", "startSandbox"),
    "/v1/sandboxes/{id}/timeout": ("put", "setSandboxTimeout"),
    "/v1/sandboxes/{id}/token/refresh": ("post", "refreshSandboxToken"),
    "/v1/sandboxes/{id}": ("get", "getSandbox"),
}
for path, (method, op_id) in sandbox_ops.items():
    op = spec["paths"][path][method]
    op["operationId"] = op_id
    schema = SANDBOX
    if op_id == "refreshSandboxToken":
        schema = {"$ref": "#/components/schemas/hopx.SandboxWithToken"}
    op["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
spec["paths"]["/v1/sandboxes/{id}"]["delete"]["operationId"] = "deleteSandbox"
spec["paths"]["/v1/sandboxes"]["post"]["operationId"] = "createSandbox"

# Links, so the stateful phase walks real sandboxes through their states instead of guessing
# ids: from create, and from every answer that returns a sandbox, to everything taking its id.
targets = [op_id for _, op_id in sandbox_ops.values()] + ["deleteSandbox"]
links = {
    f"to_{op_id}": {"operationId": op_id, "parameters": {"id": "$response.body#/id"}}
    for op_id in targets
}
spec["paths"]["/v1/sandboxes"]["post"]["responses"]["201"]["links"] = links
for path, (method, op_id) in sandbox_ops.items():
    spec["paths"][path][method]["responses"]["200"]["links"] = links

with open(out_path, "w") as f:
    json.dump(spec, f, indent=1)
PY

seed=${CONFORMANCE_SEED:-20261127}
step "conformance: schemathesis against $HOPX_LOCAL_URL (seed $seed)"
status=0
# Run from the temporary folder: schemathesis writes caches into its working directory.
(
  cd "$work"
  "$ROOT/.venv/bin/schemathesis" --config-file "$ROOT/spec/schemathesis.toml" run "$work/openapi.json" \
    --url "$HOPX_LOCAL_URL" \
    -H "X-API-Key: $key" \
    --exclude-path-regex '^/v1/templates/(build|files/upload-link)' \
    --seed "$seed" \
    --no-color \
    "$@"
) || status=$?

if [ "$status" -ne 0 ]; then
  echo "conformance: FAILED (schemathesis exit $status) after $((SECONDS - started)) s; last lines of the server log:" >&2
  tail -n 40 "$work/server/server.log" >&2 || true
  exit "$status"
fi
step "conformance: passed in $((SECONDS - started)) s"
