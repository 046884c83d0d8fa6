"""The network options of issue 4, end to end against hopx-local and `hopx-testkit`:

- retries and timeouts per client (the connection keywords of every class-level call and of
  `Sandbox(id)`) and per call (`with_options()`, the files/env methods' `timeout=`);
- proxies (`proxy=`, `HTTP_PROXY`, `NO_PROXY`, credentials in the proxy URL);
- TLS (`ca_bundle=`, `HOPX_CA_BUNDLE`, HTTP/2 by ALPN, `http2=False`);
- logging to the standard `logging` module under `hopx_ai` (records and their fields,
  level gating, handlers that raise, and no deadlock between the GIL and the runtime).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import pickle
import subprocess
import sys
import textwrap
import time
import timeit
from pathlib import Path

import pytest
from helpers import LoopbackServer, error_texts, random_key
from testkit import FaultServer, ProxyServer, TlsServer

from hopx_ai import AsyncSandbox, Sandbox, _native, errors

SANDBOX_ID = "sbx-options"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
SERVER_ERROR = {"kind": "status", "status": 500,
                "body": {"error": {"message": "boom", "code": "internal_error"}}}


def conn(server, base_url=None, **extra) -> dict:
    return {"api_key": server.key, "base_url": base_url or server.url, **extra}


@pytest.fixture
def faults(server):
    with FaultServer(server.url) as fault_server:
        yield fault_server


@pytest.fixture
def no_proxy_env(monkeypatch):
    """No proxy variable of either case (the suite's NO_PROXY for loopback included)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def _raised(call) -> BaseException:
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return error
    pytest.fail("no error raised")


def _timed(call):
    started = time.monotonic()
    error = _raised(call)
    return error, time.monotonic() - started


# --- retries and timeouts -----------------------------------------------------------------


def test_max_retries_zero_sends_once_per_client_and_per_handle(server, faults):
    faults.set_rules([{"method": "GET", "path": "/v1/templates", "fault": SERVER_ERROR}])
    error = _raised(lambda: Sandbox.list_templates(**conn(server, faults.url, max_retries=0)))
    assert isinstance(error, errors.ServerError), repr(error)
    assert error.attempts == 1
    assert len(faults.attempts("GET", "/v1/templates")) == 1

    with Sandbox.create("base", **conn(server, faults.url)) as sbx:
        info_path = f"/v1/sandboxes/{sbx.sandbox_id}"
        faults.set_rules([{"method": "GET", "path": info_path, "fault": SERVER_ERROR}])
        for handle, sent in [
            (sbx.with_options(max_retries=0), 1),
            (sbx.with_options(max_retries=1), 2),
            (Sandbox(sbx.sandbox_id, **conn(server, faults.url, max_retries=0)), 1),
        ]:
            faults.reset_log()
            error = _raised(handle.get_info)
            assert isinstance(error, errors.ServerError), repr(error)
            assert error.attempts == sent
            assert len(faults.attempts("GET", info_path)) == sent
        faults.set_rules([])


def test_with_options_request_timeout_fires_on_a_hanging_get(server, faults):
    with Sandbox.create("base", **conn(server, faults.url)) as sbx:
        info_path = f"/v1/sandboxes/{sbx.sandbox_id}"
        faults.set_rules([{"method": "GET", "path": info_path, "fault": {"kind": "hang"}}])
        for quick in (sbx.with_options(request_timeout=0.5, max_retries=0),
                      sbx.with_options(timeout=0.5, max_retries=0)):
            error, took = _timed(quick.get_info)
            assert isinstance(error, errors.TimeoutError), repr(error)
            assert error.timeout_kind == "request"
            assert error.code == "timeout"
            assert error.attempts == 1
            assert 0.45 <= took < 2.0, took
        faults.set_rules([])


def test_with_options_deadline_ends_the_retries(server, faults):
    with Sandbox.create("base", **conn(server, faults.url)) as sbx:
        info_path = f"/v1/sandboxes/{sbx.sandbox_id}"
        faults.set_rules([{"method": "GET", "path": info_path, "fault": {"kind": "hang"}}])
        error, took = _timed(sbx.with_options(request_timeout=0.4, deadline=1.0).get_info)
        assert isinstance(error, errors.TimeoutError), repr(error)
        assert error.timeout_kind == "deadline"
        # The first attempt times out at 0.4 s and the second is sent after at most 0.5 s
        # of backoff; the call ends when the deadline passes, or earlier when the next
        # wait would not fit in what is left.
        assert error.attempts >= 2
        assert 0.4 <= took < 2.5, took
        faults.set_rules([])


def test_per_client_deadline_on_a_class_level_call(server, faults):
    faults.set_rules([{"method": "GET", "path": "/v1/templates", "fault": {"kind": "hang"}}])
    error, took = _timed(lambda: Sandbox.list_templates(
        **conn(server, faults.url, request_timeout=5, deadline=0.6)))
    assert isinstance(error, errors.TimeoutError), repr(error)
    assert error.timeout_kind == "deadline"
    assert took < 2.0, took


def test_with_options_returns_the_same_class_and_shares_the_sandbox(server):
    with Sandbox.create("base", **conn(server)) as sbx:
        quick = sbx.with_options(max_retries=1, deadline=30)
        assert type(quick) is Sandbox
        assert quick.sandbox_id == sbx.sandbox_id
        assert quick.get_info().status == "running"
        assert "status=running" in repr(sbx)  # the info fetched through `quick` is shared
        # A connected sandbox is not killed by leaving a `with` block on a derived handle...
        connected = Sandbox.connect(sbx.sandbox_id, **conn(server))
        with connected.with_options(max_retries=0) as derived:
            assert derived.sandbox_id == sbx.sandbox_id
        assert sbx.get_info().status == "running"
        # ...a created one is, as leaving the block on the original would.
        with quick:
            pass
        error = _raised(sbx.get_info)
        assert isinstance(error, errors.NotFoundError), repr(error)


def test_async_with_options(server, faults):
    async def main():
        async with AsyncSandbox.create("base", **conn(server, faults.url)) as sbx:
            quick = sbx.with_options(request_timeout=0.5, max_retries=0)
            assert type(quick) is AsyncSandbox and quick.sandbox_id == sbx.sandbox_id
            info_path = f"/v1/sandboxes/{sbx.sandbox_id}"
            faults.set_rules([{"method": "GET", "path": info_path, "fault": {"kind": "hang"}}])
            started = time.monotonic()
            with pytest.raises(errors.TimeoutError) as caught:
                await quick.get_info()
            assert time.monotonic() - started < 2.0
            assert caught.value.timeout_kind == "request" and caught.value.attempts == 1
            faults.set_rules([])
            handle = AsyncSandbox(sbx.sandbox_id, **conn(server, faults.url), timeout=30,
                                  max_retries=2, deadline=60, http2=False)
            assert (await handle.get_info()).status == "running"

    asyncio.run(main())


def test_error_attributes_default_and_survive_pickling(server, faults):
    plain = errors.HopxError("x")
    assert (plain.attempts, plain.maybe_processed, plain.timeout_kind) == (0, False, None)
    faults.set_rules([{"method": "POST", "path": "/v1/sandboxes", "times": 1,
                       "fault": dict(SERVER_ERROR, forward_first=True)}])
    created = _raised(lambda: Sandbox.create("base", **conn(server, faults.url)))
    faults.set_rules([{"method": "GET", "path": "/v1/templates", "fault": {"kind": "hang"}}])
    timed_out = _raised(lambda: Sandbox.list_templates(
        **conn(server, faults.url, request_timeout=0.3, max_retries=0)))
    faults.set_rules([])
    assert (created.attempts, created.maybe_processed) == (1, True), repr(created)
    assert (timed_out.timeout_kind, timed_out.attempts) == ("request", 1), repr(timed_out)
    for error in (created, timed_out):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        for name in ("attempts", "maybe_processed", "timeout_kind", "code", "retry_after"):
            assert getattr(copy, name) == getattr(error, name), name


@pytest.mark.parametrize("options", [
    {"max_retries": 11},
    {"max_retries": -1},
    {"deadline": 0},
    {"deadline": float("nan")},
    {"request_timeout": -1},
])
def test_unusable_options_raise_before_anything_is_sent(server, options):
    server.reset_stats()
    error = _raised(lambda: Sandbox.list_templates(**conn(server, **options)))
    assert isinstance(error, errors.InvalidArgumentError), repr(error)
    assert error.attempts == 0
    handle = Sandbox(SANDBOX_ID, **conn(server))
    with_options_args = {k: v for k, v in options.items()}
    error = _raised(lambda: handle.with_options(**with_options_args))
    assert isinstance(error, errors.InvalidArgumentError), repr(error)
    assert server.api_requests() == 0


def test_timeout_and_request_timeout_are_one_setting(server):
    for make in (Sandbox, AsyncSandbox):
        error = _raised(lambda: make(SANDBOX_ID, **conn(server), timeout=5, request_timeout=5))
        assert isinstance(error, TypeError) and "pass one" in str(error), repr(error)
        handle = make(SANDBOX_ID, **conn(server), timeout=5)
        error = _raised(lambda: handle.with_options(timeout=1, request_timeout=1))
        assert isinstance(error, TypeError) and "pass one" in str(error), repr(error)


def test_bad_proxy_and_ca_bundle_settings_are_configuration_errors(server, tmp_path):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate")
    for options in ({"proxy": "socks5://127.0.0.1:1"}, {"proxy": "http://"},
                    {"ca_bundle": tmp_path / "missing.pem"}, {"ca_bundle": str(not_pem)}):
        error = _raised(lambda: Sandbox.list_templates(**conn(server, **options)))
        assert isinstance(error, errors.ConfigurationError), (options, repr(error))
        assert error.code == "invalid_config"


# --- the files and env methods' per-call timeout ----------------------------------------------


def _control_plane_for(agent_url: str) -> LoopbackServer:
    """A control plane whose sandbox's agent is at `agent_url`."""

    def respond(request):
        return 200, {}, {"id": SANDBOX_ID, "status": "running", "public_host": agent_url,
                         "auth_token": "tok-1", "token_expires_at": "2999-01-01T00:00:00Z"}

    return LoopbackServer(respond)


@pytest.fixture
def hanging_agent(server, faults):
    """`(control plane URL, fault server)`: the sandbox's agent is the fault server, which
    hangs on every agent request."""
    faults.set_rules([{"path_prefix": "/", "fault": {"kind": "hang"}}])
    with _control_plane_for(faults.url) as control:
        yield control.url, faults
    faults.set_rules([])


def _agent_calls(files, env, local: Path):
    """Every files/env method that takes the official per-call `timeout`, with timeout=0.4."""
    t = {"timeout": 0.4}
    return {
        "files.read": lambda: files.read("/workspace/a.txt", **t),
        "files.read_bytes": lambda: files.read_bytes("/workspace/a.txt", **t),
        "files.write": lambda: files.write("/workspace/a.txt", "x", **t),
        "files.write_bytes": lambda: files.write_bytes("/workspace/a.bin", b"x", **t),
        "files.list": lambda: files.list(**t),
        "files.exists": lambda: files.exists("/workspace/a.txt", **t),
        "files.remove": lambda: files.remove("/workspace/a.txt", **t),
        "files.mkdir": lambda: files.mkdir("/workspace/d", **t),
        "files.upload": lambda: files.upload(local, "/workspace/up.txt", **t),
        "files.download": lambda: files.download("/workspace/a.txt", local.with_name("d"), **t),
        "env.get_all": lambda: env.get_all(**t),
        "env.set_all": lambda: env.set_all({"A": "1"}, **t),
        "env.update": lambda: env.update({"A": "1"}, **t),
        "env.delete": lambda: env.delete("A", **t),
        "env.set": lambda: env.set("A", "1", **t),
    }


def test_files_and_env_timeout_is_the_request_timeout_of_that_call(hanging_agent, tmp_path):
    control_url, faults = hanging_agent
    local = tmp_path / "local.txt"
    local.write_text("x")
    sbx = Sandbox(SANDBOX_ID, api_key=random_key(), base_url=control_url, max_retries=0)
    sbx.get_info()  # the agent address, once, before the calls run at once
    calls = _agent_calls(sbx.files, sbx.env, local)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        outcomes = dict(zip(calls, pool.map(_timed, calls.values())))
    for name, (error, took) in outcomes.items():
        assert isinstance(error, errors.TimeoutError), (name, repr(error))
        assert error.timeout_kind == "request", name
        assert 0.35 <= took < 2.5, (name, took)
    # The same through with_options, for the whole handle.
    quick = sbx.with_options(request_timeout=0.4)
    error, took = _timed(lambda: quick.files.read("/workspace/a.txt"))
    assert isinstance(error, errors.TimeoutError) and took < 2.0, (repr(error), took)
    error = _raised(lambda: sbx.files.read("/workspace/a.txt", timeout=0))
    assert isinstance(error, errors.InvalidArgumentError), repr(error)


def test_async_files_and_env_timeout(hanging_agent, tmp_path):
    control_url, faults = hanging_agent
    local = tmp_path / "local.txt"
    local.write_text("x")

    async def one(name, call):
        started = time.monotonic()
        with pytest.raises(errors.TimeoutError) as caught:
            await call()
        took = time.monotonic() - started
        assert caught.value.timeout_kind == "request", name
        assert 0.35 <= took < 2.5, (name, took)

    async def main():
        sbx = AsyncSandbox(SANDBOX_ID, api_key=random_key(), base_url=control_url,
                           max_retries=0)
        await sbx.get_info()
        calls = _agent_calls(sbx.files, sbx.env, local)
        await asyncio.gather(*(one(name, call) for name, call in calls.items()))

    asyncio.run(main())


# --- proxies ----------------------------------------------------------------------------------


def _proxied(proxy: ProxyServer, needle: str) -> list:
    return [entry for entry in proxy.log() if needle in entry["target"]]


def test_the_proxy_option_routes_every_request(server, tmp_path):
    with ProxyServer() as proxy:
        templates = Sandbox.list_templates(**conn(server, proxy=proxy.url))
        assert templates
        assert _proxied(proxy, server.url + "/v1/templates")
        # The handle keeps the client's proxy for its agent calls too.
        with Sandbox.create("base", **conn(server, proxy=proxy.url)) as sbx:
            sbx.files.write("/workspace/p.txt", "through the proxy")
            assert sbx.files.read("/workspace/p.txt") == "through the proxy"
        assert _proxied(proxy, "/agent/")


def test_the_http_proxy_variable_routes_requests(server, no_proxy_env):
    with ProxyServer() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        assert Sandbox.list_templates(**conn(server))
        assert _proxied(proxy, server.url + "/v1/templates")


def test_no_proxy_bypasses_the_proxy(server, no_proxy_env):
    with ProxyServer() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
        assert Sandbox.list_templates(**conn(server))
        assert proxy.log() == []


def test_proxy_credentials_work_and_never_show(server, no_proxy_env):
    password = "pw-" + random_key().split(".")[1]
    with ProxyServer(auth=f"hopx:{password}") as proxy:
        host = proxy.url.split("://", 1)[1]
        good = f"http://hopx:{password}@{host}"
        assert Sandbox.list_templates(**conn(server, proxy=good))
        entries = _proxied(proxy, "/v1/templates")
        assert entries and all(entry["authorized"] for entry in entries)

        wrong = f"http://hopx:{password}-wrong@{host}"
        failures = [
            _raised(lambda: Sandbox.list_templates(**conn(server, proxy=wrong, max_retries=0))),
            _raised(lambda: Sandbox.list_templates(**conn(server, proxy=f"ftp://hopx:{password}@{host}"))),
        ]
        no_proxy_env.setenv("HTTP_PROXY", wrong)
        failures.append(_raised(lambda: Sandbox.list_templates(**conn(server, max_retries=0))))
        no_proxy_env.setenv("HTTP_PROXY", f"socks5://hopx:{password}@{host}")
        failures.append(_raised(lambda: Sandbox.list_templates(**conn(server))))
    for error in failures:
        assert isinstance(error, errors.HopxError), repr(error)
        for where, text in error_texts(error).items():
            assert password not in text, f"the proxy password is in the error's {where}"


# --- TLS --------------------------------------------------------------------------------------


@pytest.fixture
def tls(server, tmp_path):
    with TlsServer(server.url, tmp_path / "ca.pem") as tls_server:
        yield tls_server


def _versions(tls_server: TlsServer, path: str) -> list:
    return [entry["version"] for entry in tls_server.log()["requests"] if entry["path"] == path]


def test_a_private_ca_is_refused_with_a_hint_to_ca_bundle(server, tls):
    error = _raised(lambda: Sandbox.list_templates(**conn(server, tls.url, max_retries=0)))
    assert isinstance(error, errors.NetworkError), repr(error)
    assert "ca_bundle" in str(error), str(error)
    assert _versions(tls, "/v1/templates") == []


def test_the_ca_bundle_option_trusts_the_ca(server, tls):
    assert Sandbox.list_templates(**conn(server, tls.url, ca_bundle=tls.ca))
    assert Sandbox.list_templates(**conn(server, tls.url, ca_bundle=Path(tls.ca)))
    assert _versions(tls, "/v1/templates")


def test_the_hopx_ca_bundle_variable_trusts_the_ca(server, tls, monkeypatch):
    monkeypatch.setenv("HOPX_CA_BUNDLE", tls.ca)
    assert Sandbox.list_templates(**conn(server, tls.url))
    assert _versions(tls, "/v1/templates")


def test_http2_by_default_and_http1_on_request(server, tls):
    assert Sandbox.list_templates(**conn(server, tls.url, ca_bundle=tls.ca))
    assert _versions(tls, "/v1/templates")[-1] == "HTTP/2.0"
    assert Sandbox.list_templates(**conn(server, tls.url, ca_bundle=tls.ca, http2=False))
    assert _versions(tls, "/v1/templates")[-1] == "HTTP/1.1"


def test_a_whole_sandbox_session_over_tls(server, tls):
    async def main():
        async with AsyncSandbox.create("base", **conn(server, tls.url, ca_bundle=tls.ca)) as sbx:
            assert (await sbx.get_info()).status == "running"
            await sbx.files.write("/workspace/t.txt", "over tls")
            assert await sbx.files.read("/workspace/t.txt") == "over tls"

    asyncio.run(main())
    paths = [(entry["method"], entry["path"]) for entry in tls.log()["requests"]]
    assert ("POST", "/v1/sandboxes") in paths
    assert any(method == "DELETE" for method, _ in paths), paths


# --- logging ----------------------------------------------------------------------------------


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, text: str) -> list:
        return [r for r in self.records if text in r.getMessage()]


@pytest.fixture
def hopx_logger():
    """The `hopx_ai` logger with a recording handler; level and handlers restored after."""
    logger = logging.getLogger("hopx_ai")
    handler = Records()
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def test_debug_records_arrive_with_their_fields(server, hopx_logger):
    logger, handler = hopx_logger
    logger.setLevel(logging.DEBUG)
    Sandbox.list_templates(**conn(server))
    [record] = [r for r in handler.messages("request succeeded")
                if r.hopx.get("path") == "/v1/templates"]
    assert record.name == "hopx_ai" and record.levelno == logging.DEBUG
    assert record.getMessage().startswith("hopx: request succeeded method=GET path=/v1/templates")
    fields = record.hopx
    assert fields["method"] == "GET" and fields["status"] == 200 and fields["attempt"] == 1
    assert isinstance(fields["elapsed_ms"], int) and isinstance(fields["request_id"], str)


@pytest.fixture
def root_at_warning():
    """The root logger at WARNING, Python's default (restored after)."""
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.WARNING)
    try:
        yield root
    finally:
        root.setLevel(saved)


def test_nothing_arrives_at_the_default_level_and_a_retry_is_info(
        server, faults, hopx_logger, root_at_warning):
    logger, handler = hopx_logger
    logger.setLevel(logging.NOTSET)
    rules = [{"method": "GET", "path": "/v1/templates", "times": 1, "fault": SERVER_ERROR}]
    faults.set_rules(rules)
    assert Sandbox.list_templates(**conn(server, faults.url))
    assert handler.records == []

    logger.setLevel(logging.INFO)
    faults.set_rules(rules)
    assert Sandbox.list_templates(**conn(server, faults.url))
    [retry] = handler.records
    assert retry.levelno == logging.INFO
    assert retry.getMessage().startswith("hopx: retrying request method=GET path=/v1/templates")
    assert retry.hopx["code"] == "server_error" and retry.hopx["status"] == 500
    assert 0.0 <= retry.hopx["wait_s"] <= 0.5 and retry.hopx["server_wait_s"] == 0.0

    logger.setLevel(logging.WARNING)
    faults.set_rules(rules)
    assert Sandbox.list_templates(**conn(server, faults.url))
    assert len(handler.records) == 1


def test_the_plain_http_warning(server, hopx_logger):
    logger, handler = hopx_logger
    logger.setLevel(logging.WARNING)
    # A non-loopback plain-http base URL: the warning comes as the client is built, before
    # anything is sent (and nothing needs to be, so no request is made); once per URL per
    # process, although every class-level call builds a client.
    base_url = f"http://plain-{os.getpid()}-{id(handler)}.invalid"
    Sandbox(SANDBOX_ID, api_key=server.key, base_url=base_url)
    Sandbox(SANDBOX_ID, api_key=server.key, base_url=base_url)
    [warning] = handler.messages("plain http")
    assert warning.levelno == logging.WARNING and server.key not in warning.getMessage()


def test_a_raising_handler_or_filter_does_not_break_calls(server, hopx_logger, capfd):
    logger, _ = hopx_logger
    logger.setLevel(logging.DEBUG)

    class Broken(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler broke")

    def broken_filter(record):
        raise RuntimeError("filter broke")

    broken = Broken()
    logger.addHandler(broken)
    try:
        assert Sandbox.list_templates(**conn(server))
        assert asyncio.run(AsyncSandbox.list_templates(**conn(server)))
        logger.addFilter(broken_filter)
        try:
            assert Sandbox.list_templates(**conn(server))
            assert asyncio.run(AsyncSandbox.list_templates(**conn(server)))
        finally:
            logger.removeFilter(broken_filter)
    finally:
        logger.removeHandler(broken)
    err = capfd.readouterr().err
    assert "handler broke" in err and "filter broke" in err


def test_setting_the_level_is_cheap():
    """The level copy every SDK call starts with (a cached bound method and an atomic)."""
    logger = logging.getLogger("hopx_ai")
    saved = logger.level
    try:
        logger.setLevel(logging.WARNING)
        best = min(timeit.repeat(_native._sync_log_level, number=20000, repeat=7)) / 20000
    finally:
        logger.setLevel(saved)
    print(f"_sync_log_level: {best * 1e9:.0f} ns per call")
    assert best < 1e-6, f"{best * 1e9:.0f} ns per call"


DEADLOCK_SCRIPT = r'''
import asyncio, io, logging, os, sys, threading, time
from hopx_ai import AsyncSandbox, Sandbox, errors

KEY, URL, FAULTS = os.environ["T_KEY"], os.environ["T_URL"], os.environ["T_FAULTS"]
conn = {"api_key": KEY, "base_url": URL}
stream = io.StringIO()
handler = logging.StreamHandler(stream)
handler.setFormatter(logging.Formatter("%(threadName)s %(levelname)s %(message)s %(hopx)s"))
lock = threading.Lock()

class Slow(logging.Handler):
    """Takes a lock and yields the GIL inside emit, as file and network handlers do."""
    def emit(self, record):
        with lock:
            time.sleep(0.001)

logging.getLogger("hopx_ai").addHandler(handler)
logging.getLogger("hopx_ai").addHandler(Slow())
logging.getLogger("hopx_ai").setLevel(logging.DEBUG)

def blocking():
    with Sandbox.create("base", **conn) as sbx:
        sbx.get_info()
        sbx.files.write("/workspace/a.txt", "x")
        assert sbx.files.read("/workspace/a.txt", timeout=30) == "x"
        assert sbx.run_code("print(1)").stdout.strip() == "1"
        assert sum(1 for _ in Sandbox.iter(**conn)) >= 1
    try:
        Sandbox.list_templates(api_key=KEY, base_url=FAULTS, max_retries=2)
    except errors.ServerError:
        pass
    else:
        raise AssertionError("the failing call succeeded")

async def concurrent():
    async with AsyncSandbox.create("base", **conn) as sbx:
        await sbx.get_info()
        await sbx.files.write("/workspace/b.txt", "y")
        assert (await sbx.commands.run("cat /workspace/b.txt")).stdout == "y"
        found = [s async for s in AsyncSandbox.iter(**conn)]
        assert found
        await asyncio.gather(*(AsyncSandbox.list_templates(**conn) for _ in range(5)))
        try:
            await sbx.with_options(max_retries=1).files.read("/workspace/nope")
        except errors.FileNotFoundError:
            pass
    try:
        await AsyncSandbox.list_templates(api_key=KEY, base_url=FAULTS, max_retries=2)
    except errors.ServerError:
        pass

failures = []
def run(name, target):
    try:
        target()
    except BaseException as error:
        failures.append(f"{name}: {error!r}")

threads = [threading.Thread(target=run, args=(f"blocking-{i}", blocking), daemon=True)
           for i in range(3)]
threads += [threading.Thread(target=run, args=(f"async-{i}", lambda: asyncio.run(concurrent())),
                             daemon=True) for i in range(3)]
for thread in threads:
    thread.start()
# Hold the GIL often meanwhile, as a busy program does.
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    sum(range(10000))
for thread in threads:
    thread.join(timeout=60)
hung = [t.name for t in threads if t.is_alive()]
if hung or failures:
    print("HUNG", hung, "FAILED", failures, flush=True)
    os._exit(1)
text = stream.getvalue()
assert "request succeeded" in text and "retrying request" in text, text[-2000:]
assert "hopx-io" in text or "Dummy" in text, "no record came from the runtime's thread"
print("OK", text.count("\n"), "records", flush=True)
'''


def test_debug_logging_never_deadlocks(server, faults, tmp_path):
    """DEBUG records are forwarded from the runtime's thread while other threads block on the
    runtime, await it from event loops, leave `with` blocks, iterate, and fail with retries.
    In a child process with a time limit: a deadlock on the GIL would hang this process too,
    so only a separate process turns it into a failure instead of a stuck run."""
    faults.set_rules([{"method": "GET", "path": "/v1/templates", "fault": SERVER_ERROR}])
    script = tmp_path / "deadlock.py"
    script.write_text(textwrap.dedent(DEADLOCK_SCRIPT))
    env = dict(os.environ, T_KEY=server.key, T_URL=server.url, T_FAULTS=faults.url)
    try:
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                timeout=90, env=env)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"deadlock: the child did not finish in 90 s\n{expired.stdout}{expired.stderr}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK"), result.stdout + result.stderr


def test_importing_hopx_ai_does_not_import_logging():
    # `logging` costs ~10 ms to import; the SDK reads its level only once the program has
    # imported it (until then an unconfigured logger's WARNING applies).
    code = "import sys, hopx_ai; print('logging' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_warning_before_logging_is_imported_still_reaches_it(tmp_path):
    # No `import logging` in the program: the plain-http warning imports it and is shown by
    # logging's last-resort handler (stderr), like any unconfigured library warning.
    code = textwrap.dedent(
        f"""
        import sys
        from hopx_ai import Sandbox
        Sandbox("sbx_1", api_key="hopx_live_AbCdEf123456.{'s' * 32}",
                base_url="http://plain.invalid")
        print("logging" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "True"
    assert "plain http" in result.stderr and "s" * 32 not in result.stderr
