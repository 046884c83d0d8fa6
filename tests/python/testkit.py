"""`hopx-testkit` (crates/hopx-testkit) for the Python tests: its `faults`, `proxy` and `tls`
modes as context managers. Each mode listens on 127.0.0.1:0, prints one JSON ready line and
exits when its stdin closes (which `close()` / leaving the `with` block does; it is killed if
it does not exit within 10 s). The binary is named by $HOPX_TESTKIT_BIN."""

from __future__ import annotations

import json
import os
import queue
import socket
import ssl
import subprocess
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def testkit_binary() -> str:
    binary = os.environ.get("HOPX_TESTKIT_BIN")
    if not binary:
        pytest.fail(
            "HOPX_TESTKIT_BIN is not set. Build it with `cargo build -p hopx-testkit` and run "
            "HOPX_TESTKIT_BIN=$PWD/target/<triple>/debug/hopx-testkit python -m pytest "
            "tests/python"
        )
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail(f"HOPX_TESTKIT_BIN={binary!r} is not an executable file.")
    return binary


class Testkit:
    """One running `hopx-testkit <mode> ...` process; `url` and `ready` (its ready line)."""

    __test__ = False  # not a test class, whatever pytest makes of the name

    def __init__(self, *args: str) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [testkit_binary(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        lines: "queue.Queue[bytes]" = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=30)
        except queue.Empty:
            first = b""
        if not first:
            self.close()
            self._stderr.seek(0)
            tail = self._stderr.read().decode(errors="replace")[-2000:]
            pytest.fail(f"hopx-testkit {' '.join(args)} did not start. Its stderr:\n{tail}")
        self.ready: Dict[str, Any] = json.loads(first)
        self.url: str = self.ready["url"]

    def _request(self, method: str, path: str, body: Optional[dict] = None,
                 context: Optional[ssl.SSLContext] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        if context is not None:
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
            )
        else:
            opener = _NO_PROXY_OPENER
        with opener.open(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else {}

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


class FaultServer(Testkit):
    """`hopx-testkit faults --upstream URL`: forwards to `upstream`, misbehaving as scripted."""

    def __init__(self, upstream: str) -> None:
        super().__init__("faults", "--upstream", upstream)

    def set_rules(self, rules: List[dict]) -> None:
        self._request("POST", "/__faults", {"rules": rules})

    def log(self) -> List[dict]:
        """Every request received: `{"method", "path", "query", "at_ms", "rule", "fault"}`."""
        return self._request("GET", "/__faults/log")["requests"]

    def reset_log(self) -> None:
        self._request("POST", "/__faults/reset", {})

    def attempts(self, method: str, path: str) -> List[float]:
        """When (seconds since the server started) each `method path` request arrived."""
        return [
            entry["at_ms"] / 1000.0
            for entry in self.log()
            if entry["method"] == method and entry["path"] == path
        ]


class ProxyServer(Testkit):
    """`hopx-testkit proxy [--auth USER:PASS]`: an HTTP forward proxy (absolute-form and
    CONNECT)."""

    def __init__(self, auth: Optional[str] = None) -> None:
        super().__init__("proxy", *(["--auth", auth] if auth else []))

    def log(self) -> List[dict]:
        """`{"method", "target", "authorized"}` for every proxied request."""
        return self._request("GET", "/__proxy/log")["requests"]


class TlsServer(Testkit):
    """`hopx-testkit tls --upstream URL --ca-out FILE [--http1-only]`: HTTPS in front of
    `upstream`, with a certificate from a CA made at start (`ca`, a PEM file)."""

    def __init__(self, upstream: str, ca_out: Path, http1_only: bool = False) -> None:
        super().__init__(
            "tls", "--upstream", upstream, "--ca-out", str(ca_out),
            *(["--http1-only"] if http1_only else []),
        )
        self.ca: str = self.ready["ca"]

    def log(self) -> Dict[str, Any]:
        """`{"requests": [{"method", "path", "version"}], "handshakes": N}`, fetched over
        HTTPS trusting only the CA."""
        context = ssl.create_default_context(cafile=self.ca)
        return self._request("GET", "/__tls/log", context=context)


class RefusedPort:
    """A loopback URL where nothing listens, for as long as the `with` block lasts: the port
    is bound but never listened on, so connecting is refused (as with a port that was bound,
    then closed) and no other server started meanwhile can take the port over (a port that
    was closed could be handed to the next server that binds port 0, which a test running
    at the same time may be starting)."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> "RefusedPort":
        return self

    def __exit__(self, *exc) -> None:
        self._socket.close()
