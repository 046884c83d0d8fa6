"""Shared fixtures: a real `hopx-local` server for the whole session (and `fresh_server`, one
of a test's own), and an isolated environment (no HOPX_* variables, empty HOME, config dir and
working directory) per test."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import random_key

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# Loopback traffic must never go through a proxy, whatever the developer's shell has. Set
# before the SDK builds its (process-wide) connection pool.
_no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
os.environ["NO_PROXY"] = ",".join(_no_proxy + ["127.0.0.1", "localhost"])

class LocalServer:
    """A running `hopx-local` process."""

    def __init__(self, url: str, keys: list, process: subprocess.Popen) -> None:
        self.url = url
        self.key = keys[0]
        self.other_key = keys[1]
        self.process = process
        # urllib without proxies, for the server's own test hooks.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str) -> dict:
        request = urllib.request.Request(self.url + path, method=method)
        with self._opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body.strip() else {}

    def stats(self) -> dict:
        """`{"connections_accepted", "api_connections", "api_requests"}` since the last reset."""
        return self._call("GET", "/_local/stats")

    def api_requests(self) -> int:
        return int(self.stats()["api_requests"])

    def reset_stats(self) -> None:
        self._call("POST", "/_local/reset-stats")

    def api(self, method: str, path: str) -> tuple:
        """A raw API request with `server.key` (Bearer), outside the SDK, e.g. to stop a
        sandbox: `(status, parsed JSON body or {})`. Error statuses are returned, not raised."""
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"Bearer {self.key}"}
        )
        try:
            with self._opener.open(request, timeout=10) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        return status, (json.loads(body) if body.strip() else {})

    def __repr__(self) -> str:  # never the keys
        return f"<LocalServer {self.url}>"


def _start_server(binary: str, keys: list, data_dir: Path, log_path: Path) -> LocalServer:
    args = [binary, "--port", "0", "--data-dir", str(data_dir)]
    for key in keys:
        args += ["--api-key", key]
    args += ["--exit-when-stdin-closes", "--max-lifetime-seconds", "900"]
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the server stops
    process = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=str(data_dir),
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: lines.put(process.stdout.readline()), daemon=True
    ).start()
    try:
        first = lines.get(timeout=60)
    except queue.Empty:
        first = b""
    if not first:
        process.kill()
        process.wait(timeout=10)
        log.close()
        tail = log_path.read_text(errors="replace")[-2000:]
        pytest.fail(f"hopx-local did not print its ready line within 60 s. Its stderr:\n{tail}")
    ready = json.loads(first)
    assert ready.get("event") == "listening", ready
    server = LocalServer(ready["url"], keys, process)
    server._log = log  # type: ignore[attr-defined]
    return server


def _local_binary() -> str:
    binary = os.environ.get("HOPX_LOCAL_BIN")
    if not binary:
        pytest.fail(
            "HOPX_LOCAL_BIN is not set. Build the server with `cargo build -p hopx-local` and run "
            "HOPX_LOCAL_BIN=$PWD/target/<triple>/debug/hopx-local python -m pytest tests/python"
        )
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail(f"HOPX_LOCAL_BIN={binary!r} is not an executable file.")
    return binary


def _stop_server(srv: LocalServer) -> None:
    # Closing stdin asks the server to exit (--exit-when-stdin-closes).
    try:
        srv.process.stdin.close()
        srv.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        srv.process.terminate()
        try:
            srv.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.process.kill()
            srv.process.wait(timeout=10)
    srv.process.stdout.close()
    srv._log.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The real `hopx-local` binary named by $HOPX_LOCAL_BIN, on a free loopback port,
    accepting two random keys (`server.key`, `server.other_key`). Shared by the session."""
    binary = _local_binary()
    base = tmp_path_factory.mktemp("hopx-local")
    keys = [random_key(), random_key()]
    srv = _start_server(binary, keys, base, base / "server.log")
    try:
        yield srv
    finally:
        _stop_server(srv)


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory):
    """A `hopx-local` of this test's own (same shape as `server`): it starts with no
    sandboxes, so listings are deterministic."""
    binary = _local_binary()
    base = tmp_path_factory.mktemp("hopx-local-fresh")
    keys = [random_key(), random_key()]
    srv = _start_server(binary, keys, base, base / "server.log")
    try:
        yield srv
    finally:
        _stop_server(srv)


class Isolated:
    """Paths of the isolated environment: `home`, `config_dir` (HOPX_CONFIG_DIR, config file
    not created) and `work` (the current directory, empty)."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.config_dir = root / "config"
        self.work = root / "work"
        for path in (self.home, self.config_dir, self.work):
            path.mkdir(parents=True)

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Isolated:
    """No HOPX_* variable, HOME and HOPX_CONFIG_DIR in the test's tmp dir, and an empty
    working directory, so no real configuration leaks into any test."""
    for name in list(os.environ):
        if name.startswith("HOPX_") and name not in ("HOPX_LOCAL_BIN", "HOPX_TESTKIT_BIN"):
            monkeypatch.delenv(name)
    env = Isolated(tmp_path / "isolated")
    monkeypatch.setenv("HOME", str(env.home))
    monkeypatch.setenv("HOPX_CONFIG_DIR", str(env.config_dir))
    monkeypatch.chdir(env.work)
    return env


@pytest.fixture
def new_key():
    """Makes a key in the real format that the server does not accept."""
    return random_key()

