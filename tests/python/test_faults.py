"""The fault matrix (tests/fixtures/faults.json, shared with the Rust and Node suites), for the
blocking `Sandbox` and for `AsyncSandbox`.

Each case puts a fresh `hopx-testkit faults` between the SDK and a real hopx-local, scripts
what goes wrong, makes the case's call through the SDK with the case's options (as per-call
keywords), and checks everything the case expects: the outcome, the error's class, code,
status, `attempts`, `maybe_processed`, `timeout_kind`, `retry_after` and message, the
attempts the fault server saw and the gaps between them, the wall time, and the sandboxes
that exist on hopx-local afterwards.

The cases take seconds each (backoff, Retry-After), so every selected case of both flavours
runs at once, in its own thread, when the first test of this module starts; each test then
reports its own case. One hopx-local serves them all, with one API key per case: every key is
its own organization there, so the sandbox counts of concurrent cases cannot mix.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sys
import time
import traceback
import urllib.request

import pytest
from conftest import FIXTURES, _local_binary, _start_server, _stop_server
from helpers import random_key
from testkit import FaultServer, RefusedPort

import hopx_ai.errors
from hopx_ai import AsyncSandbox, Sandbox

FIXTURE = json.loads((FIXTURES / "faults.json").read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in FIXTURE["cases"]}
SLACK = float(FIXTURE["slack_seconds"])
FLAVORS = ("sync", "async")
CASE_TIMEOUT = 90.0

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_the_fixture_is_complete():
    assert len(CASES) == len(FIXTURE["cases"]), "two cases share a name"
    assert len(CASES) >= 20, "the matrix lost cases"
    for name, case in CASES.items():
        assert case["call"] in FIXTURE["calls"], name
        assert isinstance(case["expect"]["ok"], bool), name


def _sandbox_count(local_url: str, key: str) -> int:
    """How many sandboxes the key's organization has, asked of hopx-local directly."""
    request = urllib.request.Request(
        local_url + "/v1/sandboxes?limit=100", headers={"Authorization": f"Bearer {key}"}
    )
    with _OPENER.open(request, timeout=10) as response:
        return len(json.loads(response.read())["data"])


def _call_sync(call: str, spec: dict, kwargs: dict) -> None:
    if call == "list_templates":
        Sandbox.list_templates(**kwargs)
    elif call == "create":
        Sandbox.create(spec["template"], **kwargs)
    else:
        raise AssertionError(f"unknown call {call}")


async def _call_async(call: str, spec: dict, kwargs: dict) -> None:
    if call == "list_templates":
        await AsyncSandbox.list_templates(**kwargs)
    elif call == "create":
        await AsyncSandbox.create(spec["template"], **kwargs)
    else:
        raise AssertionError(f"unknown call {call}")


def _run_case(flavor: str, name: str, local_url: str, key: str) -> list:
    """Runs one case; returns what did not hold (empty: the case passed)."""
    case = CASES[name]
    call = case["call"]
    spec = FIXTURE["calls"][call]
    expect = case["expect"]
    faults = None
    refused = None
    try:
        if case.get("target") == "refused":
            refused = RefusedPort()
            base_url = refused.url
        else:
            faults = FaultServer(local_url)
            if case.get("rules"):
                faults.set_rules(case["rules"])
            base_url = faults.url
        kwargs = {"api_key": key, "base_url": base_url}
        for option, value in (case.get("options") or {}).items():
            if value is not None:
                kwargs[option] = value
        before = _sandbox_count(local_url, key)
        error = None
        started = time.monotonic()
        try:
            if flavor == "sync":
                _call_sync(call, spec, kwargs)
            else:
                asyncio.run(_call_async(call, spec, kwargs))
        except Exception as raised:  # noqa: BLE001 - every error is checked below
            error = raised
        elapsed = time.monotonic() - started
        log = faults.log() if faults is not None else None
        seen = None if log is None else [
            entry["at_ms"] / 1000.0
            for entry in log
            if entry["method"] == spec["method"] and entry["path"] == spec["path"]
        ]
        after = _sandbox_count(local_url, key)
    finally:
        for server in (faults, refused):
            if server is not None:
                server.__exit__(None, None, None)

    problems = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    if "attempts" in expect:
        check(seen is not None and len(seen) == expect["attempts"],
              f"attempts seen by the server: {seen and len(seen)} (want {expect['attempts']})")
    for i, (low, high) in enumerate(expect.get("gaps", [])):
        if seen is None or len(seen) < i + 2:
            check(False, f"gap {i}: fewer than {i + 2} attempts")
            continue
        gap = seen[i + 1] - seen[i]
        check(low - 0.05 <= gap <= high + SLACK,
              f"gap {i}: {gap:.3f} s, want [{low}, {high}] (+{SLACK} slack)")
    if "elapsed_max" in expect:
        check(elapsed <= expect["elapsed_max"] + SLACK,
              f"took {elapsed:.3f} s, want at most {expect['elapsed_max']} (+{SLACK} slack)")
    if expect["ok"]:
        check(error is None, f"failed: {error!r}")
    elif error is None:
        check(False, "succeeded, but an error was expected")
    else:
        text = f"{type(error).__name__}: {error}"
        if "class" in expect:
            cls = getattr(hopx_ai.errors, expect["class"])
            check(type(error) is cls, f"class {type(error).__name__} (want {expect['class']}): {text}")
        if "code" in expect:
            check(error.code == expect["code"], f"code {error.code!r} (want {expect['code']!r}): {text}")
        if "status" in expect:
            check(error.status_code == expect["status"],
                  f"status {error.status_code!r} (want {expect['status']})")
        want_attempts = expect.get("error_attempts", expect.get("attempts"))
        if want_attempts is not None:
            check(error.attempts == want_attempts,
                  f"error.attempts = {error.attempts!r} (want {want_attempts})")
        want_maybe = expect.get("maybe_processed", False)
        check(error.maybe_processed is want_maybe,
              f"maybe_processed = {error.maybe_processed!r} (want {want_maybe})")
        check(error.timeout_kind == expect.get("timeout_kind"),
              f"timeout_kind {error.timeout_kind!r} (want {expect.get('timeout_kind')!r})")
        if "retry_after_at_least" in expect:
            check(error.retry_after is not None and error.retry_after >= expect["retry_after_at_least"],
                  f"retry_after {error.retry_after!r} (want >= {expect['retry_after_at_least']})")
        for part in expect.get("message_contains", []):
            check(part in error.message, f"message lacks {part!r}: {error.message}")
    if "sandboxes_created" in expect:
        check(after - before == expect["sandboxes_created"],
              f"sandboxes created: {after - before} (want {expect['sandboxes_created']})")
    if problems:
        problems.append(f"(the call took {elapsed:.3f} s and raised {error!r})")
        problems.append(f"(the fault server's log: {log})")
    return problems


def _selected(request: pytest.FixtureRequest) -> list:
    """The (flavor, case name) pairs of this module's tests that will run (after -k etc.)."""
    module = sys.modules[__name__]
    pairs = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is module and callspec is not None:
            params = callspec.params
            if "flavor" in params and "name" in params:
                pairs.append((params["flavor"], params["name"]))
    return pairs


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """`{(flavor, case name): problems}` for every selected case, all run at once."""
    pairs = _selected(request)
    keys = {pair: random_key() for pair in pairs}
    base = tmp_path_factory.mktemp("hopx-local-faults")
    with pytest.MonkeyPatch.context() as env:
        # What the SDK reads from the environment must not change the cases.
        for name in list(os.environ):
            upper = name.upper()
            if (upper.startswith("HOPX_") and upper not in ("HOPX_LOCAL_BIN", "HOPX_TESTKIT_BIN")) \
                    or upper in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
                env.delenv(name)
        env.setenv("HOPX_CONFIG_DIR", str(base / "config"))
        server = _start_server(_local_binary(), list(keys.values()) or [random_key()], base,
                               base / "server.log")
        try:
            results = {}
            started = time.monotonic()
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(pairs)))
            futures = {
                pair: pool.submit(_run_case, pair[0], pair[1], server.url, keys[pair])
                for pair in pairs
            }
            for pair, future in futures.items():
                left = max(0.0, CASE_TIMEOUT - (time.monotonic() - started))
                try:
                    results[pair] = future.result(timeout=left)
                except concurrent.futures.TimeoutError:
                    results[pair] = [f"did not finish within {CASE_TIMEOUT:.0f} s"]
                except Exception:  # noqa: BLE001 - reported by the case's test
                    results[pair] = ["the case could not run:\n" + traceback.format_exc()]
            # A case that overran is reported, not waited for.
            pool.shutdown(wait=False, cancel_futures=True)
            print(f"fault matrix: {len(pairs)} cases in {time.monotonic() - started:.1f} s")
        finally:
            _stop_server(server)
    return results


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("flavor", FLAVORS)
def test_fault_case(matrix, flavor, name):
    problems = matrix[(flavor, name)]
    assert not problems, f"[{flavor}] {name}:\n  " + "\n  ".join(problems)


def test_every_error_class_of_the_matrix_exists():
    for case in CASES.values():
        if "class" in case["expect"]:
            cls = getattr(hopx_ai.errors, case["expect"]["class"])
            assert issubclass(cls, hopx_ai.errors.HopxError), case["name"]

