"""The control plane, operation by operation, for `Sandbox` (blocking) and `AsyncSandbox`
(coroutines): against the real hopx-local, and against scripted servers where the real one
cannot misbehave on purpose (pagination faults, failing cleanups).

Most tests take the `api` fixture and run twice: `api(x)` is `x` itself for the blocking
class and the awaited `x` for the async one, so both front doors are held to one body.
The shared cases in tests/fixtures/control_plane.json are the ones the Rust and Node suites
run too."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import LoopbackServer, random_key, secret_of

import hopx_ai
from hopx_ai import (
    AsyncSandbox,
    ConflictError,
    ExpiryInfo,
    InvalidArgumentError,
    MissingApiKeyError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ResponseDecodeError,
    Sandbox,
    SandboxInfo,
    SandboxTemplate,
    TemplateNotFoundError,
)

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "control_plane.json").read_text("utf-8")
)


async def _awaited(awaitable):
    return await awaitable


class Api:
    """One of the two front doors. `api(x)`: `x` for `Sandbox`, `await x` for `AsyncSandbox`
    (each in its own event loop; the core's handles do not belong to any loop)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.cls = Sandbox if mode == "sync" else AsyncSandbox

    def __call__(self, value):
        if self.mode == "sync":
            assert not inspect.isawaitable(value), value
            return value
        assert inspect.isawaitable(value), value
        return asyncio.run(_awaited(value))

    def next(self, iterator):
        """The iterator's next sandbox, or None at the end."""
        if self.mode == "sync":
            return next(iterator, None)

        async def step():
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return None

        return asyncio.run(step())

    def collect(self, iterator) -> list:
        if self.mode == "sync":
            return list(iterator)

        async def drain():
            return [sandbox async for sandbox in iterator]

        return asyncio.run(drain())

    def __repr__(self) -> str:
        return f"<Api {self.mode}>"


@pytest.fixture(params=["sync", "async"])
def api(request) -> Api:
    return Api(request.param)


def conn(server) -> dict:
    return {"api_key": server.key, "base_url": server.url}


def make(api: Api, server, **kwargs):
    """A new code-interpreter sandbox made through `api`'s class."""
    sandbox = api(api.cls.create("code-interpreter", **conn(server), **kwargs))
    assert isinstance(sandbox, api.cls)
    return sandbox


def status_of(server, sandbox_id: str) -> str:
    """The status the server reports, asked outside the SDK (no handle involved)."""
    code, body = server.api("GET", f"/v1/sandboxes/{sandbox_id}")
    return body["status"] if code == 200 else f"HTTP {code}"


# --- a handle by id ---------------------------------------------------------------------


def test_handle_by_id_makes_no_request(server, api):
    created = make(api, server)
    server.reset_stats()
    handle = api.cls(created.sandbox_id, **conn(server))
    assert isinstance(handle, api.cls)
    assert handle.sandbox_id == created.sandbox_id
    assert created.sandbox_id in repr(handle) and "status=None" in repr(handle)
    assert server.api_requests() == 0
    info = api(handle.get_info())
    assert isinstance(info, SandboxInfo) and info.status == "running"
    assert "status=running" in repr(handle), "get_info refreshes what repr shows"


@pytest.mark.parametrize("cls", [Sandbox, AsyncSandbox])
@pytest.mark.parametrize("bad_id", FIXTURE["invalid_sandbox_ids"])
def test_invalid_ids_are_refused_before_sending(server, cls, bad_id):
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError) as caught:
        cls(bad_id, **conn(server))
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "invalid_argument"
    with pytest.raises(InvalidArgumentError):
        Api("sync" if cls is Sandbox else "async")(cls.connect(bad_id, **conn(server)))
    assert server.api_requests() == before


@pytest.mark.parametrize("cls", [Sandbox, AsyncSandbox])
def test_handle_by_id_needs_a_key_at_once(cls):
    with pytest.raises(MissingApiKeyError):
        cls("sbx-1", base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("cls", [Sandbox, AsyncSandbox])
def test_an_api_key_given_as_the_id_is_not_echoed(server, cls):
    key = random_key()
    with pytest.raises(InvalidArgumentError) as caught:
        cls(key, **conn(server))
    assert secret_of(key) not in str(caught.value)
    assert secret_of(key) not in repr(caught.value.args)


# --- connect ----------------------------------------------------------------------------


def test_connect_to_a_running_sandbox(server, api):
    created = make(api, server)
    connected = api(api.cls.connect(created.sandbox_id, **conn(server)))
    assert isinstance(connected, api.cls)
    assert connected.sandbox_id == created.sandbox_id
    assert "status=running" in repr(connected), "connect carries the info it fetched"
    assert status_of(server, created.sandbox_id) == "running"


def test_connect_resumes_a_paused_sandbox(server, api):
    created = make(api, server)
    api(created.pause())
    assert status_of(server, created.sandbox_id) == "paused"
    connected = api(api.cls.connect(created.sandbox_id, **conn(server)))
    assert status_of(server, created.sandbox_id) == "running"
    assert "status=running" in repr(connected)


def test_connect_to_a_stopped_sandbox_is_a_conflict(server, api):
    created = make(api, server)
    status, _ = server.api("POST", f"/v1/sandboxes/{created.sandbox_id}/stop")
    assert status == 200
    with pytest.raises(ConflictError) as caught:
        api(api.cls.connect(created.sandbox_id, **conn(server)))
    error = caught.value
    assert "stopped" in error.message
    assert error.hint and "/start" in error.hint
    assert error.code == "conflict"
    assert status_of(server, created.sandbox_id) == "stopped", "connect did not start it"


def test_connect_to_an_unknown_sandbox(server, api):
    with pytest.raises(NotFoundError) as caught:
        api(api.cls.connect("sbx-does-not-exist", **conn(server)))
    assert caught.value.status_code == 404


# --- list and iter ----------------------------------------------------------------------


def test_list_carries_info_and_filters(fresh_server, api):
    server = fresh_server
    a = make(api, server)
    b = make(api, server, region="eu-west")
    api(b.pause())
    # Another organization's sandbox is never listed.
    api(api.cls.create("code-interpreter", api_key=server.other_key, base_url=server.url))

    server.reset_stats()
    everything = api(api.cls.list(**conn(server)))
    assert [s.sandbox_id for s in everything] == [a.sandbox_id, b.sandbox_id]
    assert all(isinstance(s, api.cls) for s in everything)
    # The info came with the list: repr shows it, and there was one request in all.
    assert "status=running" in repr(everything[0]) and "code-interpreter" in repr(everything[0])
    assert "status=paused" in repr(everything[1])
    assert server.api_requests() == 1

    paused = api(api.cls.list(status="paused", **conn(server)))
    assert [s.sandbox_id for s in paused] == [b.sandbox_id]
    running = api(api.cls.list(status="running", **conn(server)))
    assert [s.sandbox_id for s in running] == [a.sandbox_id]
    eu = api(api.cls.list(region="eu-west", **conn(server)))
    assert [s.sandbox_id for s in eu] == [b.sandbox_id]
    assert api(api.cls.list(region="nowhere", **conn(server))) == []
    one = api(api.cls.list(limit=1, **conn(server)))
    assert len(one) == 1
    assert len(api(api.cls.list(limit=100, **conn(server)))) == 2


def test_listed_sandboxes_are_usable(fresh_server, api):
    created = make(api, fresh_server)
    [listed] = api(api.cls.list(**conn(fresh_server)))
    api(listed.pause())
    assert status_of(fresh_server, created.sandbox_id) == "paused"
    api(listed.kill())
    assert status_of(fresh_server, created.sandbox_id) == "HTTP 404"


@pytest.mark.parametrize(
    "case", FIXTURE["invalid_list_filters"], ids=lambda c: json.dumps(c)[:40]
)
def test_invalid_list_filters_are_refused_before_sending(server, api, case):
    filters = {k: v for k, v in case.items() if k != "message_contains"}
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError) as caught:
        api(api.cls.list(**filters, **conn(server)))
    assert case["message_contains"] in str(caught.value)
    if "limit" not in filters:  # iter has no limit (official signature)
        with pytest.raises(InvalidArgumentError):
            api.cls.iter(**filters, **conn(server))  # refused at the call, not on first use
    assert server.api_requests() == before


@pytest.mark.parametrize("limit", [-1, 10**12])
def test_any_int_limit_gets_the_core_message(server, api, limit):
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError, match="1 to 100"):
        api(api.cls.list(limit=limit, **conn(server)))
    assert server.api_requests() == before


def test_iter_against_hopx_local(fresh_server, api):
    server = fresh_server
    ids = [make(api, server).sandbox_id for _ in range(3)]
    server.reset_stats()
    iterator = api.cls.iter(**conn(server))
    assert not inspect.isawaitable(iterator), "iter() itself is not a coroutine"
    assert server.api_requests() == 0, "nothing is fetched before the first item is needed"
    sandboxes = api.collect(iterator)
    assert [s.sandbox_id for s in sandboxes] == ids
    assert all(isinstance(s, api.cls) and "status=running" in repr(s) for s in sandboxes)
    assert server.api_requests() == 1

    api(sandboxes[1].pause())
    paused = api.collect(api.cls.iter(status="paused", **conn(server)))
    assert [s.sandbox_id for s in paused] == [ids[1]]


PAGES = {
    None: {
        "object": "list",
        "data": [
            {"id": "sbx-1", "status": "running", "template_name": "base"},
            {"id": "sbx-2", "status": "paused"},
        ],
        "has_more": True,
        "next_cursor": "c1",
    },
    "c1": {
        "data": [{"id": "sbx-3", "status": "running"}, {"id": "sbx-4", "status": "running"}],
        "has_more": True,
        "next_cursor": "c2",
    },
    "c2": {"data": [{"id": "sbx-5", "status": "running"}], "has_more": False},
}


def _query(request) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


def test_iter_follows_cursors_one_page_at_a_time(api):
    def respond(request):
        return 200, {}, PAGES[_query(request).get("cursor")]

    with LoopbackServer(respond) as scripted:
        iterator = api.cls.iter(
            status="running", region="us-east", api_key=random_key(), base_url=scripted.url
        )
        seen = []
        requests_after_each = []
        while (sandbox := api.next(iterator)) is not None:
            assert isinstance(sandbox, api.cls)
            seen.append(sandbox.sandbox_id)
            requests_after_each.append(len(scripted.requests))
        assert api.next(iterator) is None, "stays finished"
        requests = scripted.requests

    assert seen == ["sbx-1", "sbx-2", "sbx-3", "sbx-4", "sbx-5"]
    # Lazy: the second page is asked for only when the first is used up, and so on.
    assert requests_after_each == [1, 1, 2, 2, 3]
    assert len(requests) == 3
    queries = [_query(r) for r in requests]
    assert [q.get("cursor") for q in queries] == [None, "c1", "c2"]
    for q in queries:
        assert q["status"] == "running" and q["region"] == "us-east" and q["limit"] == "100"
    assert all(r.method == "GET" and r.path.startswith("/v1/sandboxes?") for r in requests)


def test_iter_stops_when_the_server_gives_no_cursor(api):
    page = {"data": [{"id": "sbx-1"}, {"id": "sbx-2"}], "has_more": True}

    with LoopbackServer(lambda request: (200, {}, page)) as scripted:
        iterator = api.cls.iter(api_key=random_key(), base_url=scripted.url)
        assert api.next(iterator).sandbox_id == "sbx-1"
        assert api.next(iterator).sandbox_id == "sbx-2"
        with pytest.raises(ResponseDecodeError) as caught:
            api.next(iterator)
        assert api.next(iterator) is None, "finished after the error"
        assert len(scripted.requests) == 1, "no second request without a cursor"
    assert "next_cursor" in caught.value.message
    assert caught.value.hint


def test_iter_stops_when_the_server_repeats_its_cursor(api):
    page = {"data": [{"id": "sbx-x"}], "has_more": True, "next_cursor": "same"}

    with LoopbackServer(lambda request: (200, {}, page)) as scripted:
        iterator = api.cls.iter(api_key=random_key(), base_url=scripted.url)
        with pytest.raises(ResponseDecodeError):
            for _ in range(10):
                assert api.next(iterator) is not None
        assert len(scripted.requests) == 2


def test_one_iterator_shared_by_threads_yields_each_sandbox_once():
    from concurrent.futures import ThreadPoolExecutor

    def respond(request):
        return 200, {}, PAGES[_query(request).get("cursor")]

    with LoopbackServer(respond) as scripted:
        iterator = Sandbox.iter(api_key=random_key(), base_url=scripted.url)
        with ThreadPoolExecutor(max_workers=4) as pool:
            chunks = list(pool.map(lambda _: [s.sandbox_id for s in iterator], range(4)))
        assert len(scripted.requests) == 3
    assert sorted(i for chunk in chunks for i in chunk) == [f"sbx-{n}" for n in range(1, 6)]


# --- lifecycle --------------------------------------------------------------------------


def test_kill(server, api):
    sandbox = make(api, server)
    assert api(sandbox.kill()) is None
    assert status_of(server, sandbox.sandbox_id) == "HTTP 404"
    with pytest.raises(NotFoundError):
        api(sandbox.get_info())
    with pytest.raises(NotFoundError):
        api(sandbox.kill())


def test_pause_and_resume(server, api):
    sandbox = make(api, server)
    assert api(sandbox.pause()) is None
    assert status_of(server, sandbox.sandbox_id) == "paused"
    assert api(sandbox.get_info()).status == "paused"
    with pytest.raises(ConflictError) as caught:
        api(sandbox.pause())
    assert caught.value.status_code == 409
    assert api(sandbox.resume()) is None
    assert status_of(server, sandbox.sandbox_id) == "running"
    with pytest.raises(ConflictError):
        api(sandbox.resume())


def test_set_timeout(server, api):
    sandbox = make(api, server)
    assert api(sandbox.set_timeout(900)) is None
    info = api(sandbox.get_info())
    assert info.timeout_seconds == 900
    assert isinstance(info.expires_at, datetime.datetime)
    left = info.expires_at - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=880) < left <= datetime.timedelta(seconds=901)


@pytest.mark.parametrize("seconds", FIXTURE["invalid_timeouts"])
def test_invalid_timeouts_are_refused_before_sending(server, api, seconds):
    sandbox = api.cls("sbx-anything", **conn(server))
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError) as caught:
        api(sandbox.set_timeout(seconds))
    assert str(seconds) in caught.value.message
    assert server.api_requests() == before


def test_set_timeout_takes_whole_seconds(server, api):
    sandbox = api.cls("sbx-anything", **conn(server))
    with pytest.raises(TypeError):
        api(sandbox.set_timeout(1.5))


def test_refresh_token(server, api):
    sandbox = make(api, server)
    server.reset_stats()
    assert api(sandbox.refresh_token()) is None
    assert server.api_requests() == 1
    # The token is nowhere to be seen.
    public = {name: getattr(sandbox, name) for name in dir(sandbox) if not name.startswith("_")}
    assert not any("token" in name for name in public if name != "refresh_token")
    assert "eyJ" not in repr(sandbox) and "eyJ" not in str(sandbox)


def test_refresh_token_of_an_unknown_sandbox(server, api):
    with pytest.raises(NotFoundError):
        api(api.cls("sbx-gone", **conn(server)).refresh_token())


# --- expiry helpers ---------------------------------------------------------------------


def test_expiry_helpers_with_a_timeout(server, api):
    sandbox = make(api, server, timeout_seconds=600)
    left = api(sandbox.get_time_to_expiry())
    assert isinstance(left, int) and 580 <= left <= 600
    assert api(sandbox.is_expiring_soon()) is False  # default threshold: 300 s
    assert api(sandbox.is_expiring_soon(900)) is True
    assert api(sandbox.is_expiring_soon(threshold_seconds=60.5)) is False

    expiry = api(sandbox.get_expiry_info())
    assert isinstance(expiry, ExpiryInfo)
    assert expiry.has_timeout is True
    assert expiry.is_expired is False and expiry.is_expiring_soon is False
    assert 580 <= expiry.time_to_expiry <= 600
    assert expiry.expires_at == api(sandbox.get_info()).expires_at
    assert expiry.expires_at.utcoffset() == datetime.timedelta(0)
    soon = api(sandbox.get_expiry_info(expiring_soon_threshold=900))
    assert soon.is_expiring_soon is True
    assert soon.to_dict()["has_timeout"] is True
    assert set(soon.to_dict()) == {
        "expires_at", "time_to_expiry", "is_expired", "is_expiring_soon", "has_timeout"
    }
    assert "is_expiring_soon=True" in repr(soon)
    with pytest.raises(AttributeError):
        soon.is_expired = True


def test_expiry_helpers_without_a_timeout(server, api):
    sandbox = make(api, server)
    assert api(sandbox.get_time_to_expiry()) is None
    assert api(sandbox.is_expiring_soon(10**9)) is False
    expiry = api(sandbox.get_expiry_info())
    assert (expiry.expires_at, expiry.time_to_expiry) == (None, None)
    assert (expiry.has_timeout, expiry.is_expired, expiry.is_expiring_soon) == (
        False, False, False,
    )


def test_expiry_helpers_read_the_server_each_time(server, api):
    sandbox = make(api, server, timeout_seconds=3600)
    server.reset_stats()
    api(sandbox.get_time_to_expiry())
    api(sandbox.is_expiring_soon())
    api(sandbox.get_expiry_info())
    assert server.api_requests() == 3, "one get_info each (the official SDK made two)"


@pytest.mark.parametrize("threshold", FIXTURE["invalid_thresholds"])
def test_invalid_thresholds_are_refused_before_sending(server, api, threshold):
    sandbox = api.cls("sbx-anything", **conn(server))
    before = server.api_requests()
    with pytest.raises(InvalidArgumentError):
        api(sandbox.is_expiring_soon(threshold))
    with pytest.raises(InvalidArgumentError):
        api(sandbox.get_expiry_info(threshold))
    assert server.api_requests() == before


# --- templates --------------------------------------------------------------------------


def test_get_template_by_name_and_by_id(server, api):
    by_name = api(api.cls.get_template("code-interpreter", **conn(server)))
    assert isinstance(by_name, SandboxTemplate)
    assert by_name.name == "code-interpreter" and by_name.description
    by_id = api(api.cls.get_template(by_name.id, **conn(server)))
    assert isinstance(by_id, SandboxTemplate)
    differs = {k for k, v in by_id.to_dict().items() if by_name.to_dict()[k] != v}
    assert differs <= {"request_id"}, differs


def test_unknown_template_suggestions_from_hopx_local(server, api):
    for call in (
        lambda: api.cls.get_template("code-interpretr", **conn(server)),
        lambda: api.cls.create("code-interpretr", **conn(server)),
    ):
        with pytest.raises(TemplateNotFoundError) as caught:
            api(call())
        error = caught.value
        assert isinstance(error, NotFoundError) and error.status_code == 404
        assert error.suggested_template == "code-interpreter"
        assert "Did you mean 'code-interpreter'?" in str(error)
        assert error.template_name == "code-interpretr"
        assert "code-interpreter" in error.available_templates


TEMPLATE_NAMES = ["code-interpreter", "base", "python", "nodejs"]


@pytest.mark.parametrize("case", FIXTURE["template_suggestions"], ids=lambda c: c["wanted"])
@pytest.mark.parametrize("operation", ["create", "get_template"])
def test_unknown_template_suggestions(api, case, operation):
    """A 404 without the names: the SDK asks for the template list once and suggests."""

    def respond(request):
        if urlsplit(request.path).path == "/v1/templates":
            return 200, {}, {"data": [{"name": name} for name in TEMPLATE_NAMES]}
        return 404, {}, {"error": {"message": "Not found.", "code": "not_found"}}

    with LoopbackServer(respond) as scripted:
        call = getattr(api.cls, operation)
        with pytest.raises(TemplateNotFoundError) as caught:
            api(call(case["wanted"], api_key=random_key(), base_url=scripted.url))
        assert len(scripted.requests) == 2, "the call, then one template list"
    error = caught.value
    assert error.suggested_template == case["suggested"]
    assert error.template_name == case["wanted"]
    assert error.available_templates == TEMPLATE_NAMES
    assert error.code == "template_not_found"


def test_delete_template(server, api):
    with pytest.raises(PermissionDeniedError) as caught:
        api(api.cls.delete_template("code-interpreter", **conn(server)))
    assert caught.value.status_code == 403
    with pytest.raises(NotFoundError) as caught:
        api(api.cls.delete_template("no-such-template", **conn(server)))
    assert caught.value.status_code == 404
    # Still there.
    assert api(api.cls.get_template("code-interpreter", **conn(server))).name == "code-interpreter"


def test_delete_template_returns_none_on_success(api):
    with LoopbackServer(lambda request: (204, {}, b"")) as scripted:
        result = api(api.cls.delete_template("tpl-1", api_key=random_key(), base_url=scripted.url))
        [request] = scripted.requests
    assert result is None
    assert (request.method, request.path) == ("DELETE", "/v1/templates/tpl-1")


# --- health check -----------------------------------------------------------------------


def test_health_check_needs_no_key(server, api):
    # The isolated fixture removed every HOPX_* variable: there is no key anywhere.
    server.reset_stats()
    health = api(api.cls.health_check(base_url=server.url))
    assert isinstance(health, dict)
    assert health["status"] == "ok"
    assert all(isinstance(k, str) for k in health)
    auth_headers = server.stats()["auth_headers"]
    assert set(auth_headers) <= {"none"}, f"no key was sent: {auth_headers}"


def test_health_check_reads_the_base_url_from_the_environment(server, api, monkeypatch):
    monkeypatch.setenv("HOPX_BASE_URL", server.url)
    assert api(api.cls.health_check())["status"] == "ok"


def test_health_check_of_a_closed_port(api):
    with pytest.raises(NetworkError):
        api(api.cls.health_check(base_url="http://127.0.0.1:9", request_timeout=2))


# --- context managers -------------------------------------------------------------------


def test_with_create_kills_the_sandbox(server):
    with Sandbox.create("code-interpreter", **conn(server)) as sandbox:
        assert isinstance(sandbox, Sandbox)
        assert status_of(server, sandbox.sandbox_id) == "running"
    assert status_of(server, sandbox.sandbox_id) == "HTTP 404"


def test_with_leaves_connected_listed_and_by_id_sandboxes_alone(fresh_server):
    server = fresh_server
    created = Sandbox.create("code-interpreter", **conn(server))
    with Sandbox.connect(created.sandbox_id, **conn(server)):
        pass
    with Sandbox(created.sandbox_id, **conn(server)):
        pass
    [listed] = Sandbox.list(**conn(server))
    with listed:
        pass
    [iterated] = Sandbox.iter(**conn(server))
    with iterated:
        pass
    assert status_of(server, created.sandbox_id) == "running"
    with created:
        pass
    assert status_of(server, created.sandbox_id) == "HTTP 404"


def test_with_a_sandbox_already_killed_is_fine(server):
    with Sandbox.create("code-interpreter", **conn(server)) as sandbox:
        sandbox.kill()  # the exit's kill gets a 404, which counts as done


def test_with_propagates_the_block_exception(server):
    with pytest.raises(KeyError):
        with Sandbox.create("code-interpreter", **conn(server)) as sandbox:
            raise KeyError("from the block")
    assert status_of(server, sandbox.sandbox_id) == "HTTP 404", "killed anyway"


def _refusing_server():
    """Creates sandbox `sbx-cm`, then refuses to delete it (403, not retried)."""

    def respond(request):
        if request.method == "POST" and request.path == "/v1/sandboxes":
            return 201, {}, {
                "id": "sbx-cm",
                "status": "running",
                "template_name": "base",
                "auth_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYngtY20ifQ.c2lnbmF0dXJl",
            }
        if request.method == "DELETE":
            return 403, {}, {
                "error": {
                    "message": "Deleting sandboxes is switched off here.",
                    "code": "forbidden",
                    "request_id": "req_cm",
                }
            }
        return 500, {}, {"error": {"message": "unexpected"}}

    return LoopbackServer(respond)


def _cleanup_records(caplog) -> list:
    return [r for r in caplog.records if r.name == "hopx_ai" and r.levelno == logging.WARNING]


def test_with_cleanup_failure_while_raising_is_logged(caplog):
    caplog.set_level(logging.WARNING, logger="hopx_ai")
    key = random_key()
    original = RuntimeError("the block's own error")
    with _refusing_server() as scripted:
        with pytest.raises(RuntimeError) as caught:
            with Sandbox.create("base", api_key=key, base_url=scripted.url):
                raise original
        assert [r.method for r in scripted.requests] == ["POST", "DELETE"]
    assert caught.value is original
    assert caught.value.__context__ is None, "the original propagates unchanged"
    [record] = _cleanup_records(caplog)
    text = record.getMessage()
    assert "sbx-cm" in text and "Deleting sandboxes is switched off here." in text
    assert "PermissionDeniedError" in text
    assert secret_of(key) not in text and "eyJ" not in text


def test_with_cleanup_failure_without_an_exception_is_raised(caplog):
    caplog.set_level(logging.WARNING, logger="hopx_ai")
    with _refusing_server() as scripted:
        with pytest.raises(PermissionDeniedError) as caught:
            with Sandbox.create("base", api_key=random_key(), base_url=scripted.url):
                pass
    assert caught.value.request_id == "req_cm"
    assert _cleanup_records(caplog) == [], "raised, not logged"


def test_async_with_create_kills_the_sandbox(server):
    async def main():
        async with AsyncSandbox.create("code-interpreter", **conn(server)) as direct:
            assert isinstance(direct, AsyncSandbox)
            assert status_of(server, direct.sandbox_id) == "running"
        async with await AsyncSandbox.create("code-interpreter", **conn(server)) as awaited:
            assert isinstance(awaited, AsyncSandbox)
            assert status_of(server, awaited.sandbox_id) == "running"
        return direct, awaited

    direct, awaited = asyncio.run(main())
    assert status_of(server, direct.sandbox_id) == "HTTP 404"
    assert status_of(server, awaited.sandbox_id) == "HTTP 404"


def test_async_with_leaves_connected_listed_and_by_id_sandboxes_alone(fresh_server):
    server = fresh_server

    async def main():
        created = await AsyncSandbox.create("code-interpreter", **conn(server))
        async with await AsyncSandbox.connect(created.sandbox_id, **conn(server)):
            pass
        async with AsyncSandbox(created.sandbox_id, **conn(server)):
            pass
        [listed] = await AsyncSandbox.list(**conn(server))
        async with listed:
            pass
        async for iterated in AsyncSandbox.iter(**conn(server)):
            async with iterated:
                pass
        assert status_of(server, created.sandbox_id) == "running"
        async with created:
            pass
        return created

    created = asyncio.run(main())
    assert status_of(server, created.sandbox_id) == "HTTP 404"


def test_async_create_sends_nothing_until_awaited_and_is_single_use(server):
    async def main():
        server.reset_stats()
        pending = AsyncSandbox.create("code-interpreter", **conn(server))
        assert inspect.isawaitable(pending) and not inspect.iscoroutine(pending)
        await asyncio.sleep(0.05)
        assert server.api_requests() == 0
        sandbox = await pending
        with pytest.raises(RuntimeError, match="already awaited"):
            await pending
        return sandbox

    sandbox = asyncio.run(main())
    assert isinstance(sandbox, AsyncSandbox)


def test_async_create_works_with_gather_and_wait_for(server):
    async def main():
        gathered = await asyncio.gather(
            *[AsyncSandbox.create("code-interpreter", **conn(server)) for _ in range(2)]
        )
        waited = await asyncio.wait_for(
            AsyncSandbox.create("code-interpreter", **conn(server)), timeout=60
        )
        return [*gathered, waited]

    sandboxes = asyncio.run(main())
    assert len({s.sandbox_id for s in sandboxes}) == 3


def test_async_with_propagates_the_block_exception(server):
    async def main(box):
        async with AsyncSandbox.create("code-interpreter", **conn(server)) as sandbox:
            box.append(sandbox)
            raise KeyError("from the block")

    box: list = []
    with pytest.raises(KeyError):
        asyncio.run(main(box))
    assert status_of(server, box[0].sandbox_id) == "HTTP 404"


@pytest.mark.parametrize("form", ["direct", "awaited"])
def test_async_with_cleanup_failure_while_raising_is_logged(caplog, form):
    caplog.set_level(logging.WARNING, logger="hopx_ai")
    original = RuntimeError("the block's own error")

    async def main(url):
        create = AsyncSandbox.create("base", api_key=random_key(), base_url=url)
        manager = create if form == "direct" else await create
        async with manager:
            raise original

    with _refusing_server() as scripted:
        with pytest.raises(RuntimeError) as caught:
            asyncio.run(main(scripted.url))
        assert [r.method for r in scripted.requests] == ["POST", "DELETE"]
    assert caught.value is original
    [record] = _cleanup_records(caplog)
    assert "sbx-cm" in record.getMessage()
    assert "Deleting sandboxes is switched off here." in record.getMessage()


@pytest.mark.parametrize("form", ["direct", "awaited"])
def test_async_with_cleanup_failure_without_an_exception_is_raised(caplog, form):
    caplog.set_level(logging.WARNING, logger="hopx_ai")

    async def main(url):
        create = AsyncSandbox.create("base", api_key=random_key(), base_url=url)
        manager = create if form == "direct" else await create
        async with manager:
            pass

    with _refusing_server() as scripted:
        with pytest.raises(PermissionDeniedError):
            asyncio.run(main(scripted.url))
    assert _cleanup_records(caplog) == []


# --- repr, surface ----------------------------------------------------------------------


def test_repr_and_str_make_no_request(server, api):
    sandbox = make(api, server)
    listed = api(api.cls.list(**conn(server)))
    server.reset_stats()
    for _ in range(3):
        text = repr(sandbox)
        assert str(sandbox) == text and f"{sandbox}" == text
        assert sandbox.sandbox_id in text and "status=running" in text
        assert "code-interpreter" in text
        [repr(s) for s in listed]
    assert server.api_requests() == 0


def test_async_methods_are_coroutines_and_iter_is_not(server):
    sandbox = AsyncSandbox("sbx-1", **conn(server))
    for name in ("get_info", "kill", "pause", "resume", "refresh_token",
                 "get_time_to_expiry", "is_expiring_soon", "get_expiry_info"):
        call = getattr(sandbox, name)()
        assert asyncio.iscoroutine(call), name
        call.close()  # never started: nothing was sent
    for call in (
        AsyncSandbox.connect("sbx-1", **conn(server)),
        AsyncSandbox.list(**conn(server)),
        AsyncSandbox.get_template("base", **conn(server)),
        AsyncSandbox.delete_template("x", **conn(server)),
        AsyncSandbox.health_check(base_url=server.url),
    ):
        assert asyncio.iscoroutine(call)
        call.close()
    iterator = AsyncSandbox.iter(**conn(server))
    assert iterator.__aiter__() is iterator


PUBLIC_METHODS = [
    "create", "connect", "list", "iter", "list_templates", "get_template", "delete_template",
    "health_check", "get_info", "kill", "pause", "resume", "set_timeout", "refresh_token",
    "get_time_to_expiry", "is_expiring_soon", "get_expiry_info",
]


@pytest.mark.parametrize("cls", [Sandbox, AsyncSandbox])
def test_every_method_is_documented(cls):
    for name in PUBLIC_METHODS:
        doc = getattr(cls, name).__doc__
        assert doc and len(doc) > 20, f"{cls.__name__}.{name}"
    assert "kill" in cls.__doc__ and "connect" in cls.__doc__
    assert cls.__module__ == "hopx_ai"


def test_expiry_info_is_exported():
    assert hopx_ai.ExpiryInfo is ExpiryInfo
    assert "ExpiryInfo" in hopx_ai.__all__
    assert ExpiryInfo.__module__ == "hopx_ai" and ExpiryInfo.__doc__
