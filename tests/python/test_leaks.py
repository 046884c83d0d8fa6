"""No secret ever leaks, with the most verbose logging on.

With the `hopx_ai` logger at its most verbose level (below DEBUG, so TRACE too) and the root
logger writing every record, with all its attributes, to a buffer, the test runs what
handles secrets: a create with an env var whose value is a marker, code and commands in that
sandbox, a wrong (well-formed) key (401), a retry through the fault server (500 once), a
create the server may have carried out (500 after creating), a key with a trailing newline
(which must still work), and a proxy URL with a password (right and wrong). It keeps
everything a user, a log or a crash reporter could see: every log record, stdout and stderr,
every exception's str, repr, args, attributes, pickle and traceback, and the reprs of the
sandboxes and results. None of it may contain the API key's secret part, the wrong key's
secret part, the marker, the proxy password, or a sandbox token (hopx-local's tokens are JWTs,
so `eyJ` must appear nowhere) — and the DEBUG records must have arrived (the check is not
vacuous).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
import traceback
import urllib.request

import pytest
from helpers import error_texts, random_key, secret_of
from testkit import FaultServer, ProxyServer

from hopx_ai import AsyncSandbox, Sandbox, errors

SERVER_ERROR = {"kind": "status", "status": 500,
                "body": {"error": {"message": "boom", "code": "internal_error"}}}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EverythingFormatter(logging.Formatter):
    """The formatted record followed by every attribute it carries (`extra` fields too)."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record) + " " + repr(vars(record))


@pytest.fixture
def verbose_logs():
    """`hopx_ai` at its most verbose level, the root logger writing everything to a buffer;
    restored after."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(EverythingFormatter("%(levelname)s %(name)s %(threadName)s %(message)s"))
    root = logging.getLogger()
    hopx = logging.getLogger("hopx_ai")
    saved = (root.level, hopx.level)
    root.addHandler(handler)
    root.setLevel(1)
    hopx.setLevel(1)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        hopx.setLevel(saved[1])


class Seen:
    """Everything collected, by place."""

    def __init__(self) -> None:
        self.places: list = []

    def add(self, where: str, text: object) -> None:
        self.places.append((where, str(text)))

    def error(self, where: str, error: BaseException) -> None:
        assert isinstance(error, errors.HopxError), f"{where}: {error!r}"
        for place, text in error_texts(error).items():
            self.add(f"{where}: error {place}", text)
        self.add(f"{where}: traceback", "".join(
            traceback.format_exception(type(error), error, error.__traceback__)))

    def raised(self, where: str, call) -> BaseException:
        try:
            call()
        except Exception as error:  # noqa: BLE001
            self.error(where, error)
            return error
        pytest.fail(f"{where}: no error raised")


def _jwt_of_a_raw_create(server) -> str:
    """The `auth_token` hopx-local gives for a create (made outside the SDK, then killed): to
    show that the `eyJ` check below looks for the right thing."""
    request = urllib.request.Request(
        server.url + "/v1/sandboxes", data=json.dumps({"template_name": "base"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"},
    )
    with _OPENER.open(request, timeout=30) as response:
        body = json.loads(response.read())
    server.api("DELETE", f"/v1/sandboxes/{body['id']}")
    return body["auth_token"]


def test_no_secret_appears_anywhere(server, verbose_logs, capfd, monkeypatch):
    monkeypatch.setenv("RUST_LOG", "trace")
    assert _jwt_of_a_raw_create(server).startswith("eyJ")
    marker = "leak-marker-" + secrets.token_hex(16)
    wrong_key = random_key()
    password = "proxy-pw-" + secrets.token_hex(12)
    seen = Seen()
    conn = {"api_key": server.key, "base_url": server.url}

    # A create with a secret env var; code and commands that print nothing of it.
    with Sandbox.create("base", env_vars={"LEAK_MARKER": marker}, **conn) as sbx:
        seen.add("repr(sandbox) after create", repr(sbx))
        result = sbx.run_code("print('hello')", env={"OTHER_MARKER": marker})
        seen.add("repr(run_code result)", repr(result))
        seen.add("run_code result dict", result.to_dict())
        command = sbx.commands.run("echo done", env={"OTHER_MARKER": marker})
        seen.add("repr(command result)", repr(command))
        sbx.env.set("SET_MARKER", marker)
        sbx.files.write("/workspace/marker.txt", marker)
        info = sbx.get_info()
        seen.add("repr(info)", repr(info))
        seen.add("info dict", info.to_dict())
        for resource in (sbx.files, sbx.commands, sbx.env):
            seen.add("repr(resource)", repr(resource))
        seen.add("repr(with_options handle)", repr(sbx.with_options(max_retries=1)))
        connected = Sandbox.connect(sbx.sandbox_id, **conn)  # fetches a fresh token
        connected.refresh_token()
        seen.add("repr(connected)", repr(connected))
        seen.raised("file missing", lambda: sbx.files.read("/workspace/missing"))
        seen.add("repr(listed)", [repr(s) for s in Sandbox.list(**conn)])

    async def concurrent():
        async with AsyncSandbox.create("base", env_vars={"LEAK_MARKER": marker}, **conn) as asbx:
            seen.add("repr(async sandbox)", repr(asbx))
            seen.add("repr(async result)", repr(await asbx.run_code("print('hi')")))
            await asbx.refresh_token()

    asyncio.run(concurrent())

    # A well-formed key the server does not know: 401.
    seen.raised("401", lambda: Sandbox.list_templates(api_key=wrong_key, base_url=server.url))
    seen.raised("401 (create)", lambda: Sandbox.create("base", api_key=wrong_key,
                                                        base_url=server.url))

    # Retries through the fault server: 500 once (retried), then always; a create that the
    # server carried out before failing.
    with FaultServer(server.url) as faults:
        faults.set_rules([{"method": "GET", "path": "/v1/templates", "times": 1,
                           "fault": SERVER_ERROR}])
        assert Sandbox.list_templates(api_key=server.key, base_url=faults.url)
        faults.set_rules([{"method": "GET", "path": "/v1/templates", "fault": SERVER_ERROR}])
        seen.raised("500 always", lambda: Sandbox.list_templates(
            api_key=server.key, base_url=faults.url, max_retries=1))
        faults.set_rules([{"method": "POST", "path": "/v1/sandboxes", "times": 1,
                           "fault": dict(SERVER_ERROR, forward_first=True)}])
        error = seen.raised("500 after create", lambda: Sandbox.create(
            "base", env_vars={"LEAK_MARKER": marker}, api_key=server.key, base_url=faults.url))
        assert error.maybe_processed

    # A key with a trailing newline (pasted from a file): still works, by argument and
    # by variable.
    assert Sandbox.list_templates(api_key=server.key + "\n", base_url=server.url)
    monkeypatch.setenv("HOPX_API_KEY", server.key + "\r\n")
    assert Sandbox.list_templates(base_url=server.url)
    monkeypatch.delenv("HOPX_API_KEY")

    # A proxy URL with a password: works when right, fails without showing it when wrong.
    with ProxyServer(auth=f"hopx:{password}") as proxy:
        host = proxy.url.split("://", 1)[1]
        with Sandbox.create("base", proxy=f"http://hopx:{password}@{host}", **conn) as psbx:
            psbx.files.write("/workspace/p.txt", "x")
            seen.add("repr(proxied sandbox)", repr(psbx))
        assert all(entry["authorized"] for entry in proxy.log())
        seen.raised("wrong proxy password", lambda: Sandbox.list_templates(
            proxy=f"http://hopx:{password}x@{host}", max_retries=0, **conn))
        seen.raised("bad proxy URL", lambda: Sandbox.list_templates(
            proxy=f"ftp://hopx:{password}@{host}", **conn))
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"socks5://hopx:{password}@{host}")
        seen.raised("bad proxy variable", lambda: Sandbox.list_templates(**conn))

    logs = verbose_logs.getvalue()
    captured = capfd.readouterr()
    seen.add("log records", logs)
    seen.add("stdout", captured.out)
    seen.add("stderr", captured.err)

    forbidden = {
        "the API key's secret": secret_of(server.key),
        "the wrong key's secret": secret_of(wrong_key),
        "the env var marker": marker,
        "the proxy password": password,
        "a sandbox token (JWT)": "eyJ",
    }
    for what, value in forbidden.items():
        for where, text in seen.places:
            assert value not in text, f"{what} appears in {where}"
            assert repr(value)[1:-1] not in text, f"{what} (escaped) appears in {where}"

    # Not vacuous: the most verbose records arrived, from every kind of call above.
    assert "DEBUG hopx_ai" in logs, logs[-2000:]
    for message in ("request succeeded", "request failed", "retrying request"):
        assert f"hopx: {message}" in logs, message
    for path in ("/v1/sandboxes", "/v1/templates", "/execute", "/files/write", "/env"):
        assert f"path={path}" in logs, path
