"""End to end against the real hopx-local server."""

from __future__ import annotations

import asyncio
import datetime
import http.server
import inspect
import json
import pickle
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import LoopbackServer, random_key

import hopx_ai
from hopx_ai import (
    AsyncSandbox,
    AuthenticationError,
    HopxError,
    InvalidArgumentError,
    NotFoundError,
    Resources,
    Sandbox,
    SandboxInfo,
    SandboxTemplate,
    TemplateNotFoundError,
    TemplateResources,
    errors,
)

ROOT = Path(__file__).resolve().parents[2]


# --- templates --------------------------------------------------------------------------


def test_list_templates(server):
    templates = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    assert isinstance(templates, list) and templates
    by_name = {t.name: t for t in templates}
    assert "code-interpreter" in by_name
    t = by_name["code-interpreter"]
    assert isinstance(t, SandboxTemplate)
    assert isinstance(t.id, str)
    assert isinstance(t.display_name, str)
    assert isinstance(t.language, str)
    assert isinstance(t.features, list) and all(isinstance(f, str) for f in t.features)
    assert isinstance(t.tags, list)
    assert isinstance(t.default_resources, TemplateResources)
    assert isinstance(t.default_resources.vcpu, int)
    assert t.is_active is True
    # Read-only, comparable, printable, convertible.
    with pytest.raises(AttributeError):
        t.name = "x"
    assert t == by_name["code-interpreter"]
    assert "code-interpreter" in repr(t)
    as_dict = t.to_dict()
    assert as_dict["name"] == "code-interpreter"
    assert isinstance(as_dict["default_resources"], dict)


def test_list_templates_filters(server):
    everything = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    python = Sandbox.list_templates(api_key=server.key, base_url=server.url, language="python")
    assert python and all(t.language == "python" for t in python)
    assert len(python) < len(everything)
    category = everything[0].category
    by_category = Sandbox.list_templates(
        api_key=server.key, base_url=server.url, category=category
    )
    assert by_category and all(t.category == category for t in by_category)
    assert Sandbox.list_templates(api_key=server.key, base_url=server.url, language="cobol") == []


def _list_blocking(**kwargs):
    return Sandbox.list_templates(**kwargs)


def _list_async(**kwargs):
    return asyncio.run(AsyncSandbox.list_templates(**kwargs))


@pytest.mark.parametrize("list_templates", [_list_blocking, _list_async], ids=["sync", "async"])
@pytest.mark.parametrize("auth_header", [None, "bearer", "x-api-key"])
def test_list_templates_header_styles(server, auth_header, list_templates):
    server.reset_stats()
    templates = list_templates(api_key=server.key, base_url=server.url, auth_header=auth_header)
    assert any(t.name == "code-interpreter" for t in templates)
    stats = server.stats()
    assert stats["api_requests"] == 1, stats
    assert stats["auth_headers"] == {auth_header or "bearer": 1}, stats
    assert stats["user_agents"] == {f"hopx-python/{hopx_ai.__version__}": 1}, stats


def test_x_api_key_style_with_a_wrong_key_is_rejected(server, new_key):
    # The server really reads the X-API-Key header: a wrong key sent that way is refused.
    server.reset_stats()
    with pytest.raises(AuthenticationError):
        Sandbox.list_templates(api_key=new_key, base_url=server.url, auth_header="x-api-key")
    assert server.stats()["auth_headers"] == {"x-api-key": 1}


# --- sandboxes --------------------------------------------------------------------------


@pytest.mark.parametrize("auth_header", [None, "bearer", "x-api-key"])
def test_create_and_get_info(server, auth_header):
    server.reset_stats()
    sandbox = Sandbox.create(
        "code-interpreter",
        api_key=server.key,
        base_url=server.url,
        auth_header=auth_header,
        timeout_seconds=600,
    )
    assert isinstance(sandbox.sandbox_id, str) and sandbox.sandbox_id
    assert sandbox.sandbox_id in repr(sandbox)
    assert "running" in repr(sandbox) and "code-interpreter" in repr(sandbox)

    info = sandbox.get_info()
    assert isinstance(info, SandboxInfo)
    assert info.sandbox_id == sandbox.sandbox_id
    assert info.status == "running"
    assert info.template_name == "code-interpreter"
    assert isinstance(info.template_id, str)
    assert info.timeout_seconds == 600
    assert isinstance(info.expires_at, datetime.datetime)
    assert info.expires_at.utcoffset() == datetime.timedelta(0)
    assert info.end_at == info.expires_at
    assert info.started_at is None
    assert isinstance(info.created_at, datetime.datetime)
    assert info.created_at.tzinfo is not None
    remaining = info.expires_at - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=500) < remaining <= datetime.timedelta(seconds=601)
    if info.resources is not None:
        assert isinstance(info.resources, Resources)
    assert info.to_dict()["sandbox_id"] == sandbox.sandbox_id
    assert sandbox.sandbox_id in repr(info)

    # What went over the wire: the header style asked for (Bearer by default) and our UA.
    stats = server.stats()
    assert stats["auth_headers"] == {auth_header or "bearer": 2}, stats
    assert stats["user_agents"] == {f"hopx-python/{hopx_ai.__version__}": 2}, stats


def test_create_with_all_options(server):
    sandbox = Sandbox.create(
        template="code-interpreter",
        region="local",
        timeout_seconds=300,
        internet_access=False,
        env_vars={"GREETING": "hello"},
        api_key=server.key,
        base_url=server.url,
        request_timeout=30,
    )
    info = sandbox.get_info()
    assert info.timeout_seconds == 300
    assert info.internet_access is False


def test_create_without_timeout_never_expires(server):
    info = Sandbox.create("code-interpreter", api_key=server.key, base_url=server.url).get_info()
    assert info.status == "running"
    if info.timeout_seconds is None:
        assert info.expires_at is None


def test_template_id_as_int_and_str(server):
    templates = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    ci = next(t for t in templates if t.name == "code-interpreter")
    assert ci.id.isdigit()
    for template_id in (int(ci.id), ci.id):
        sandbox = Sandbox.create(template_id=template_id, api_key=server.key, base_url=server.url)
        info = sandbox.get_info()
        assert info.template_id == ci.id
        assert info.template_name == "code-interpreter"


def test_template_id_wins_over_template(server):
    templates = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    base = next(t for t in templates if t.name != "code-interpreter")
    sandbox = Sandbox.create(
        "code-interpreter", template_id=base.id, api_key=server.key, base_url=server.url
    )
    assert sandbox.get_info().template_name == base.name


def test_sandboxes_are_per_key(server):
    sandbox = Sandbox.create("code-interpreter", api_key=server.key, base_url=server.url)
    # The second key is another organization: its sandbox is not visible to the first.
    other = Sandbox.create("code-interpreter", api_key=server.other_key, base_url=server.url)
    assert other.get_info().status == "running"
    assert sandbox.sandbox_id != other.sandbox_id


# --- errors -----------------------------------------------------------------------------


def test_wrong_key_is_an_authentication_error(server, new_key):
    with pytest.raises(AuthenticationError) as caught:
        Sandbox.list_templates(api_key=new_key, base_url=server.url)
    error = caught.value
    assert isinstance(error, errors.APIError) and isinstance(error, HopxError)
    assert error.status_code == 401
    assert error.code == "authentication_error"
    assert error.request_id
    assert f"[request_id: {error.request_id}]" in str(error)
    assert error.message


@pytest.mark.parametrize("auth_header", ["bearer", "x-api-key"])
def test_wrong_key_on_create(server, new_key, auth_header):
    with pytest.raises(AuthenticationError) as caught:
        Sandbox.create(
            "code-interpreter", api_key=new_key, base_url=server.url, auth_header=auth_header
        )
    assert caught.value.status_code == 401


def test_unknown_template(server):
    with pytest.raises(TemplateNotFoundError) as caught:
        Sandbox.create("no-such-template", api_key=server.key, base_url=server.url)
    error = caught.value
    assert isinstance(error, NotFoundError)
    assert error.status_code == 404
    assert error.code == "template_not_found"
    assert "no-such-template" in error.message
    assert error.request_id
    assert isinstance(error.available_templates, list)


def test_create_without_template_sends_nothing(server):
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError) as caught:
        Sandbox.create(api_key=server.key, base_url=server.url)
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "invalid_argument"
    assert "template" in str(caught.value)
    assert server.api_requests() == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_header": "cookie"},
        {"request_timeout": 0},
        {"request_timeout": -1.5},
        {"base_url": "ftp://example.com"},
        {"base_url": "not a url"},
    ],
)
def test_bad_arguments_send_nothing(server, kwargs):
    args = {"api_key": server.key, "base_url": server.url, **kwargs}
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError) as caught:
        Sandbox.list_templates(**args)
    assert isinstance(caught.value, ValueError)
    assert caught.value.hint or caught.value.message
    assert server.api_requests() == before


def test_bad_create_arguments_send_nothing(server):
    before = server.api_requests()
    for kwargs in ({"timeout_seconds": -5}, {"env_vars": {"A=B": "x"}}, {"template": "  "}):
        with pytest.raises(InvalidArgumentError):
            Sandbox.create(
                **{"template": "code-interpreter", **kwargs},
                api_key=server.key,
                base_url=server.url,
            )
    assert server.api_requests() == before


def test_wrong_argument_types_are_type_errors(server):
    with pytest.raises(TypeError):
        Sandbox.list_templates(api_key=123, base_url=server.url)
    with pytest.raises(TypeError):
        Sandbox.create(
            "code-interpreter", env_vars={"A": 1}, api_key=server.key, base_url=server.url
        )
    with pytest.raises(TypeError):
        Sandbox.create(template_id=1.5, api_key=server.key, base_url=server.url)
    with pytest.raises(TypeError):
        Sandbox.list_templates("positional")  # everything but `template` is keyword-only


def test_unreachable_server_is_a_network_error(new_key):
    # A port nothing listens on: connection refused (retried, then reported).
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.NetworkError) as caught:
        Sandbox.list_templates(api_key=new_key, base_url=f"http://127.0.0.1:{port}")
    assert caught.value.code in ("network_error", "timeout")
    assert caught.value.status_code is None


def test_every_core_error_class_exists():
    classes = hopx_ai._native._error_classes()
    assert "api_key_missing" in classes and "template_not_found" in classes
    for code, name in classes.items():
        cls = getattr(errors, name, None)
        assert cls is not None, f"hopx_ai.errors has no {name} (for {code})"
        assert issubclass(cls, HopxError), name
        assert getattr(hopx_ai, name) is cls, f"hopx_ai does not re-export {name}"
        if code.startswith("api_key_") or code == "invalid_argument":
            assert issubclass(cls, ValueError), name


def test_error_hierarchy_matches_the_official_sdk():
    e = errors
    assert issubclass(e.APIError, e.HopxError)
    assert issubclass(e.AuthenticationError, e.APIError)
    assert issubclass(e.TokenExpiredError, e.AuthenticationError)
    assert issubclass(e.TemplateNotFoundError, e.NotFoundError)
    for name in ("NotFoundError", "ValidationError", "RateLimitError", "ResourceLimitError",
                 "ServerError", "PaymentRequiredError", "PermissionDeniedError",
                 "ConflictError", "GoneError", "ResponseDecodeError"):
        assert issubclass(getattr(e, name), e.APIError), name
    assert issubclass(e.TimeoutError, e.NetworkError)
    assert issubclass(e.NetworkError, e.HopxError)
    for name in ("FileNotFoundError", "FileOperationError", "CodeExecutionError",
                 "CommandExecutionError", "DesktopNotAvailableError"):
        assert issubclass(getattr(e, name), e.AgentError), name
    assert issubclass(e.AgentError, e.HopxError)
    assert issubclass(e.MissingApiKeyError, e.ConfigurationError)
    assert issubclass(e.MissingApiKeyError, ValueError)
    assert issubclass(e.InvalidApiKeyError, ValueError)
    assert issubclass(e.InvalidArgumentError, ValueError)


FULL = dict(
    code="some_code",
    request_id="req_1",
    status_code=418,
    details={"field": "name", "limit": 5, "current": 5, "nested": [1, {"a": None}]},
    hint="Do this.",
    server_code="server_thing",
    retry_after=2.5,
)


ERROR_CLASSES = [
    name
    for name in errors.__all__
    if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), HopxError)
]


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_error_classes_pickle(name):
    cls = getattr(errors, name)
    error = cls("Something failed.", **FULL)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is cls
    assert clone.args == error.args
    assert vars(clone) == vars(error)
    assert str(clone) == str(error)
    for attr in ("message", "code", "request_id", "status_code", "details", "hint",
                 "server_code", "retry_after"):
        assert getattr(clone, attr) == getattr(error, attr), attr


def test_error_str_and_details():
    error = errors.ValidationError("Bad input.", **FULL)
    assert str(error) == "Bad input. Do this. (code: some_code) [request_id: req_1]"
    assert error.field == "name"
    limit = errors.ResourceLimitError("Limit.", **FULL)
    assert (limit.limit, limit.current, limit.available) == (5, 5, None)
    assert errors.HopxError("plain").details == {}
    assert str(errors.HopxError("plain")) == "plain"
    assert "retry after 2.5s" in str(errors.RateLimitError("Slow down.", retry_after=2.5))


def test_real_errors_pickle(server, new_key):
    with pytest.raises(AuthenticationError) as caught:
        Sandbox.list_templates(api_key=new_key, base_url=server.url)
    clone = pickle.loads(pickle.dumps(caught.value))
    assert type(clone) is AuthenticationError
    assert vars(clone) == vars(caught.value)
    assert str(clone) == str(caught.value)


# --- connections, threads, asyncio ------------------------------------------------------


def test_consecutive_calls_reuse_one_connection(server):
    # hyper hands a finished HTTP/1 connection back to the pool from a runtime task; on a
    # loaded machine a new loopback connect can beat that by microseconds. So the two-call
    # experiment gets up to three tries: an SDK that never reused connections fails all three.
    Sandbox.list_templates(api_key=server.key, base_url=server.url)  # warm the pool
    seen = []
    for _ in range(3):
        server.reset_stats()
        Sandbox.list_templates(api_key=server.key, base_url=server.url)
        Sandbox.list_templates(api_key=server.key, base_url=server.url, language="python")
        stats = server.stats()
        assert stats["api_requests"] == 2, stats
        seen.append(stats["api_connections"])
        if stats["api_connections"] == 1:
            break
    assert seen[-1] == 1, f"connections per two calls, by try: {seen}"


def test_eight_threads_in_parallel(server):
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            pool.submit(Sandbox.list_templates, api_key=server.key, base_url=server.url)
            for _ in range(8)
        ]
        results = [f.result(timeout=60) for f in futures]
    assert all(any(t.name == "code-interpreter" for t in r) for r in results)


def test_blocking_calls_release_the_gil(new_key):
    """A server written in Python, running in a thread of this process, can only answer if
    the SDK lets go of the GIL while it waits."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"data": [{"id": 7, "name": "py-served"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        templates = Sandbox.list_templates(api_key=new_key, base_url=url, request_timeout=10)
        assert [(t.id, t.name) for t in templates] == [("7", "py-served")]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_async_list_templates(server):
    call = AsyncSandbox.list_templates(api_key=server.key, base_url=server.url)
    assert inspect.isawaitable(call)
    templates = asyncio.run(call)
    assert any(t.name == "code-interpreter" for t in templates)
    assert all(isinstance(t, SandboxTemplate) for t in templates)


def test_async_gather_creates_and_get_info(server):
    async def main():
        sandboxes = await asyncio.gather(
            *[
                AsyncSandbox.create(
                    "code-interpreter", api_key=server.key, base_url=server.url,
                    timeout_seconds=120,
                )
                for _ in range(5)
            ]
        )
        infos = await asyncio.gather(*[s.get_info() for s in sandboxes])
        return sandboxes, infos

    sandboxes, infos = asyncio.run(main())
    assert len({s.sandbox_id for s in sandboxes}) == 5
    assert all(isinstance(s, AsyncSandbox) for s in sandboxes)
    assert [i.sandbox_id for i in infos] == [s.sandbox_id for s in sandboxes]
    assert all(i.status == "running" and i.expires_at is not None for i in infos)
    assert repr(sandboxes[0]).startswith("<AsyncSandbox id=")


def test_async_errors(server, new_key):
    async def main():
        with pytest.raises(AuthenticationError) as auth:
            await AsyncSandbox.list_templates(api_key=new_key, base_url=server.url)
        with pytest.raises(TemplateNotFoundError):
            await AsyncSandbox.create("nope", api_key=server.key, base_url=server.url)
        with pytest.raises(InvalidArgumentError):
            await AsyncSandbox.create(api_key=server.key, base_url=server.url)
        return auth.value

    error = asyncio.run(main())
    assert error.status_code == 401 and error.request_id


def test_async_does_not_block_the_event_loop(new_key):
    """While a call waits on a slow server, the event loop keeps running other coroutines.
    The handler holds its answer for `slow` seconds; a ticker sleeping 10 ms at a time gets
    about `slow` / 0.01 turns during the call. A call that blocked the loop would allow none
    (or one, before it started)."""
    slow = 0.5
    release = threading.Event()  # set on teardown, so no handler outlives the test

    def respond(request):
        release.wait(slow)  # the deliberate delay under test
        return 200, {}, {"data": []}

    async def main(url):
        pending = True
        ticks = 0

        async def call():
            nonlocal pending
            try:
                return await AsyncSandbox.list_templates(
                    api_key=new_key, base_url=url, request_timeout=30
                )
            finally:
                pending = False

        async def ticker():
            nonlocal ticks
            for _ in range(3000):  # at most ~30 s; the call's own timeout ends it sooner
                if not pending:
                    return
                await asyncio.sleep(0.01)
                ticks += 1

        started = time.monotonic()
        templates, _ = await asyncio.gather(call(), ticker())
        return templates, ticks, time.monotonic() - started

    with LoopbackServer(respond) as slow_server:
        try:
            templates, ticks, elapsed = asyncio.run(main(slow_server.url))
        finally:
            release.set()
        assert len(slow_server.requests) == 1
    assert templates == []
    assert elapsed >= slow * 0.9, f"the server did not hold the answer ({elapsed:.3f} s)"
    assert ticks >= 20, f"the event loop ran only {ticks} ticks in a {elapsed:.3f} s call"


def test_async_calls_overlap(new_key):
    """Four calls to a server that holds each answer for `slow` seconds, gathered: together
    they take about `slow`, not 4 x `slow`."""
    slow = 0.5
    release = threading.Event()

    def respond(request):
        release.wait(slow)
        return 200, {}, {"data": [{"id": 1, "name": "slow"}]}

    async def main(url):
        return await asyncio.gather(
            *[AsyncSandbox.list_templates(api_key=new_key, base_url=url, request_timeout=30)
              for _ in range(4)]
        )

    with LoopbackServer(respond) as slow_server:
        started = time.monotonic()
        try:
            results = asyncio.run(main(slow_server.url))
        finally:
            release.set()
        elapsed = time.monotonic() - started
        assert len(slow_server.requests) == 4
    assert all([t.name for t in r] == ["slow"] for r in results)
    assert elapsed < 4 * slow * 0.75, f"four gathered calls took {elapsed:.3f} s: serialized"


# --- package ----------------------------------------------------------------------------


def test_version_matches_the_workspace():
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    version = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M).group(1)
    assert hopx_ai.__version__ == version


def test_public_names():
    for name in ("Sandbox", "AsyncSandbox", "SandboxInfo", "SandboxTemplate",
                 "TemplateResources", "Resources"):
        cls = getattr(hopx_ai, name)
        assert cls.__module__ == "hopx_ai", name
        assert cls.__doc__, name
    assert Sandbox.create.__doc__ and "template" in Sandbox.create.__doc__
    assert set(hopx_ai.__all__) <= set(dir(hopx_ai))
