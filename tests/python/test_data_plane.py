"""The data plane (code, commands, files, environment) for `Sandbox` (blocking) and
`AsyncSandbox` (coroutines).

Two halves:
- against a scripted control plane + agent (`FakeSandbox`), which records what it receives:
  the request shapes, that only the sandbox token reaches the agent, that an execution is
  never sent twice, that a rejected token is refreshed once for concurrent calls, and the
  error mapping;
- against the real hopx-local and its agent (code really runs, files really exist).

Most tests take the `api` fixture and run twice: `api(x)` is `x` itself for the blocking
class and the awaited `x` for the async one, so both front doors are held to one body."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import inspect
import json
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import LoopbackServer, SilentServer, random_key, secret_of

import hopx_ai
from hopx_ai import (
    AsyncCommands,
    AsyncEnvironmentVariables,
    AsyncFiles,
    AsyncSandbox,
    AuthenticationError,
    BackgroundExecution,
    CodeExecutionError,
    CommandExecutionError,
    CommandResult,
    Commands,
    EnvironmentVariables,
    ExecutionResult,
    FileInfo,
    FileNotFoundError,
    FileOperationError,
    Files,
    HopxError,
    InvalidArgumentError,
    NetworkError,
    ProcessInfo,
    RichOutput,
    Sandbox,
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

    def concurrently(self, calls: list) -> list:
        """Runs the zero-argument callables at the same time: in threads for the blocking
        class (each call releases the GIL while it waits), with `gather` for the async one."""
        if self.mode == "sync":
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
                return [f.result(timeout=60) for f in [pool.submit(c) for c in calls]]

        async def gathered():
            return await asyncio.gather(*[c() for c in calls])

        return asyncio.run(gathered())

    def first(self, iterator):
        """The first item of a `Sandbox.iter()` / `AsyncSandbox.iter()` iterator."""
        if self.mode == "sync":
            return next(iterator)
        return asyncio.run(_awaited(iterator.__anext__()))

    def __repr__(self) -> str:
        return f"<Api {self.mode}>"


@pytest.fixture(params=["sync", "async"])
def api(request) -> Api:
    return Api(request.param)


# --- a scripted control plane and agent -------------------------------------------------

SANDBOX_ID = "sbx-data"
AGENT = f"/agent/{SANDBOX_ID}"


def _ok(body, status: int = 200, headers=None):
    return status, dict(headers or {}), body


DEFAULT_ANSWERS = {
    ("POST", "/execute"): _ok(
        {"stdout": "ok\n", "stderr": "", "exit_code": 0, "success": True,
         "execution_time": 0.01, "language": "python", "timestamp": "2026-01-01T00:00:00Z"}
    ),
    ("POST", "/execute/background"): _ok(
        {"process_id": "proc-1", "execution_id": "exec-1", "status": "running",
         "name": "job", "start_time": "2026-01-01T00:00:00Z"}
    ),
    ("GET", "/execute/processes"): _ok(
        {"processes": [{"process_id": "proc-1", "execution_id": "exec-1", "name": "job",
                        "status": "running", "language": "python", "pid": 7}], "count": 1}
    ),
    ("DELETE", "/execute/kill"): _ok({"success": True}),
    ("POST", "/commands/run"): _ok(
        {"stdout": "hi\n", "stderr": "", "exit_code": 0, "success": True, "command": "bash",
         "pid": 9, "execution_time": 0.02}
    ),
    ("POST", "/commands/background"): _ok({"process_id": "cmd-1", "pid": 10, "status": "running"}),
    ("GET", "/files/read"): _ok({"content": "hello", "path": "/workspace/a.txt"}),
    ("GET", "/files/download"): _ok(b"test", headers={"Content-Type": "application/octet-stream"}),
    ("POST", "/files/write"): _ok({"success": True}),
    ("GET", "/files/list"): _ok(
        {"files": [
            {"name": "a.txt", "path": "/workspace/a.txt", "size": 2048, "is_directory": False,
             "modified_time": "2026-01-01T00:00:00Z", "permissions": "0644"},
            {"name": "d", "path": "/workspace/d", "size": 4096, "is_dir": True},
        ]}
    ),
    ("GET", "/files/exists"): _ok({"exists": True}),
    ("DELETE", "/files/remove"): _ok({"success": True}),
    ("POST", "/files/mkdir"): _ok({"success": True}),
    ("POST", "/files/upload"): _ok({"success": True}),
    ("GET", "/env"): _ok({"env_vars": {"A": "1", "SECRET_TOKEN": "s3cr3t-value"}}),
    ("PUT", "/env"): _ok(b"", status=204),
    ("PATCH", "/env"): _ok(b"", status=204),
    ("DELETE", "/env"): _ok(b"", status=204),
}


class FakeSandbox:
    """One sandbox (`SANDBOX_ID`) behind a scripted control plane (create, get, token
    refresh) and agent (under `/agent/<id>`), on 127.0.0.1. The agent accepts only the
    current token (`token`); a refresh issues the next one. `answers[(method, path)]`
    overrides an agent answer (a tuple, or a function of the request; None drops the
    connection). `agent_url` points `public_host` elsewhere."""

    def __init__(self, agent_url=None) -> None:
        self.key = random_key()
        self.token = "tok-1"
        self.refreshes = 0
        self.reject_every_token = False
        self.answers: dict = {}
        self.accepted: list = []  # agent requests that passed the token check
        self._agent_url = agent_url
        self._lock = threading.Lock()
        self.server = LoopbackServer(self._respond)

    @property
    def url(self) -> str:
        return self.server.url

    def conn(self, **extra) -> dict:
        return {"api_key": self.key, "base_url": self.url, **extra}

    def info(self, with_token: bool = False) -> dict:
        body = {
            "id": SANDBOX_ID,
            "status": "running",
            "template_name": "base",
            "public_host": self._agent_url or f"{self.url}{AGENT}",
        }
        if with_token:
            body["auth_token"] = self.token
            body["token_expires_at"] = "2999-01-01T00:00:00Z"
        return body

    def _respond(self, request):
        path = urlsplit(request.path).path
        if request.method == "POST" and path == "/v1/sandboxes":
            return 201, {}, self.info(with_token=True)
        if request.method == "GET" and path == f"/v1/sandboxes/{SANDBOX_ID}":
            return 200, {}, self.info()
        if request.method == "POST" and path == f"/v1/sandboxes/{SANDBOX_ID}/token/refresh":
            time.sleep(0.05)  # slow enough for concurrent callers to pile up behind it
            with self._lock:
                self.refreshes += 1
                self.token = f"tok-{self.refreshes + 1}"
            return 200, {}, self.info(with_token=True)
        if path.startswith(AGENT + "/"):
            expected = f"Bearer {self.token}"
            if self.reject_every_token or request.headers.get("authorization") != expected:
                return 401, {}, {"error": "token rejected", "code": "UNAUTHORIZED"}
            with self._lock:
                self.accepted.append(request)
            route = (request.method, path[len(AGENT):])
            answer = self.answers.get(route, DEFAULT_ANSWERS.get(route))
            if callable(answer):
                return answer(request)
            if answer is None and route not in self.answers:
                return 404, {}, {"error": f"no route {route}", "code": "NOT_FOUND"}
            return answer
        return 500, {}, {"error": {"message": f"unexpected {request.method} {path}"}}

    def agent_requests(self, method=None, path=None) -> list:
        """The requests the agent accepted, optionally only one route."""
        with self._lock:
            accepted = list(self.accepted)
        return [
            r for r in accepted
            if (method is None or r.method == method)
            and (path is None or urlsplit(r.path).path == AGENT + path)
        ]

    def last(self, method: str, path: str):
        requests = self.agent_requests(method, path)
        assert requests, f"the agent got no {method} {path}"
        return requests[-1]

    def __enter__(self) -> "FakeSandbox":
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    def __repr__(self) -> str:
        return f"<FakeSandbox {self.url}>"


def body_of(request) -> dict:
    return json.loads(request.body)


def query_of(request) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


@pytest.fixture
def fake():
    with FakeSandbox() as scripted:
        yield scripted


def created(api: Api, fake: FakeSandbox):
    """A sandbox made through `api`'s class against the fake (its token comes with it)."""
    sandbox = api(api.cls.create("base", **fake.conn()))
    assert isinstance(sandbox, api.cls)
    return sandbox


# --- request shapes ---------------------------------------------------------------------


def test_run_code_request_shape(fake, api):
    sbx = created(api, fake)
    result = api(sbx.run_code("print(1)"))
    assert isinstance(result, ExecutionResult)
    assert (result.stdout, result.stderr, result.exit_code, result.success) == ("ok\n", "", 0, True)
    assert result.execution_time == 0.01 and result.language == "python"
    assert body_of(fake.last("POST", "/execute")) == {
        "code": "print(1)", "language": "python", "timeout": 120, "workdir": "/workspace",
    }
    api(sbx.run_code("echo $K", language="bash", timeout=1.5, env={"K": "v"},
                     working_dir="/tmp", preflight=True))
    assert body_of(fake.last("POST", "/execute")) == {
        "code": "echo $K", "language": "bash", "timeout": 2, "workdir": "/tmp", "env": {"K": "v"},
    }
    api(sbx.run_code("x", timeout_seconds=7))
    assert body_of(fake.last("POST", "/execute"))["timeout"] == 7
    assert len(fake.agent_requests("POST", "/execute")) == 3


def test_background_code_and_processes(fake, api):
    sbx = created(api, fake)
    started = api(sbx.run_code_background("import time; time.sleep(60)"))
    assert body_of(fake.last("POST", "/execute/background")) == {
        "code": "import time; time.sleep(60)", "language": "python", "timeout": 300,
    }, "no workdir: the agent runs background code in its own directory"
    api(sbx.run_code_background("x", language="bash", timeout_seconds=60, name="job",
                                env={"K": "v"}))
    assert body_of(fake.last("POST", "/execute/background")) == {
        "code": "x", "language": "bash", "timeout": 60, "name": "job", "env": {"K": "v"},
    }
    assert isinstance(started, BackgroundExecution)
    assert started.process_id == "proc-1" and started.status == "running"
    # Official code indexes the dict the official SDK returned.
    assert started["process_id"] == "proc-1" and started.get("execution_id") == "exec-1"
    assert "process_id" in started and "message" not in started and 3 not in started
    assert started.get("message") is None and started.get("message", "none") == "none"
    with pytest.raises(KeyError):
        started["message"]
    assert started.to_dict() == {
        "process_id": "proc-1", "execution_id": "exec-1", "status": "running", "name": "job",
        "start_time": "2026-01-01T00:00:00Z",
    }
    [process] = api(sbx.list_processes())
    assert isinstance(process, ProcessInfo)
    assert process.process_id == "proc-1" and process["pid"] == 7 and process.exit_code is None
    assert process.get("status") == "running" and process.to_dict()["language"] == "python"
    assert api(sbx.kill_process("proc-1")) is None
    assert query_of(fake.last("DELETE", "/execute/kill")) == {"process_id": "proc-1"}


def test_commands_request_shape(fake, api):
    sbx = created(api, fake)
    result = api(sbx.commands.run("ls | wc -l"))
    assert isinstance(result, CommandResult)
    assert body_of(fake.last("POST", "/commands/run")) == {
        "command": "bash", "args": ["-c", "ls | wc -l"], "timeout": 120, "workdir": "/workspace",
    }
    assert (result.stdout, result.exit_code, result.success, result.pid) == ("hi\n", 0, True, 9)
    assert result.is_success and result.process_id is None
    api(sbx.commands.run("echo $K", timeout_seconds=5, env={"K": "v"}, working_dir="/tmp"))
    assert body_of(fake.last("POST", "/commands/run")) == {
        "command": "bash", "args": ["-c", "echo $K"], "timeout": 5, "workdir": "/tmp",
        "env": {"K": "v"},
    }
    background = api(sbx.commands.run("sleep 60", background=True, timeout=90))
    assert body_of(fake.last("POST", "/commands/background"))["args"] == ["-c", "sleep 60"]
    assert body_of(fake.last("POST", "/commands/background"))["timeout"] == 90
    assert isinstance(background, CommandResult)
    assert background.process_id == "cmd-1", "the id is an attribute, not hidden in stdout"
    assert "cmd-1" not in background.stdout
    assert background.exit_code == 0 and background.success
    assert len(fake.agent_requests("POST", "/commands/run")) == 2


def test_files_request_shape(fake, api, tmp_path):
    sbx = created(api, fake)
    files = sbx.files
    api(files.write("/workspace/a.txt", "héllo ✓"))
    assert body_of(fake.last("POST", "/files/write")) == {
        "path": "/workspace/a.txt", "content": "héllo ✓", "mode": "0644",
    }, "text is sent as text, with no encoding"
    api(files.write("/workspace/b.bin", b"test", mode="0600"))
    assert body_of(fake.last("POST", "/files/write")) == {
        "path": "/workspace/b.bin", "content": "dGVzdA==", "encoding": "base64", "mode": "0600",
    }, "bytes given to write() are written exactly"
    every_byte = bytes(range(256))
    for content in (every_byte, bytearray(every_byte), memoryview(every_byte)):
        api(files.write_bytes("/workspace/c.bin", content))
        sent = body_of(fake.last("POST", "/files/write"))
        assert sent["encoding"] == "base64" and sent["mode"] == "0644"
        assert base64.b64decode(sent["content"]) == every_byte

    assert api(files.read("/workspace/a.txt")) == "hello"
    assert query_of(fake.last("GET", "/files/read")) == {"path": "/workspace/a.txt"}
    data = api(files.read_bytes("/workspace/b.bin"))
    assert type(data) is bytes and data == b"test", "never guessed to be base64"

    odd = "/workspace/a b&c#d+%20é?.txt"
    assert api(files.exists(odd)) is True
    assert query_of(fake.last("GET", "/files/exists")) == {"path": odd}, "paths are encoded"

    entries = api(files.list())
    assert query_of(fake.last("GET", "/files/list")) == {"path": "/workspace"}
    api(files.list("/tmp"))
    assert query_of(fake.last("GET", "/files/list")) == {"path": "/tmp"}
    assert [type(e) for e in entries] == [FileInfo, FileInfo]
    a, d = entries
    assert (a.name, a.size, a.is_file, a.is_dir, a.size_kb) == ("a.txt", 2048, True, False, 2.0)
    assert a.permissions == "0644" and a.modified_time == "2026-01-01T00:00:00Z"
    assert (d.is_dir, d.is_file, d.is_directory) == (True, False, True)
    assert d.size_mb == 4096 / 1024 / 1024
    assert a.to_dict()["path"] == "/workspace/a.txt"

    assert api(files.remove("/workspace/d")) is None
    assert query_of(fake.last("DELETE", "/files/remove")) == {"path": "/workspace/d"}
    assert api(files.mkdir("/workspace/new/deep")) is None
    assert body_of(fake.last("POST", "/files/mkdir")) == {"path": "/workspace/new/deep"}

    local = tmp_path / "up.bin"
    local.write_bytes(every_byte)
    api(files.upload(local, "/workspace/up.bin"))  # a Path
    api(files.upload(str(local), "/workspace/up2.bin"))  # a str
    upload = fake.last("POST", "/files/upload")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"' in upload.body and b'name="path"' in upload.body
    assert every_byte in upload.body and b"/workspace/up2.bin" in upload.body
    target = tmp_path / "down.bin"
    assert api(files.download("/workspace/b.bin", target)) is None
    assert target.read_bytes() == b"test"
    api(files.download("/workspace/b.bin", str(tmp_path / "down2.bin")))
    assert (tmp_path / "down2.bin").read_bytes() == b"test"
    assert query_of(fake.last("GET", "/files/download")) == {"path": "/workspace/b.bin"}


def test_env_request_shape(fake, api):
    sbx = created(api, fake)
    env = sbx.env
    assert api(env.get_all()) == {"A": "1", "SECRET_TOKEN": "s3cr3t-value"}
    assert api(env.get("A")) == "1"
    assert api(env.get("MISSING")) is None
    assert api(env.get("MISSING", "fallback")) == "fallback"
    before = len(fake.agent_requests())

    assert api(env.set("K", "v")) is None
    assert body_of(fake.last("PATCH", "/env")) == {"env_vars": {"K": "v"}, "merge": True}
    api(env.update({"A": "2", "B": "3"}))
    assert body_of(fake.last("PATCH", "/env")) == {"env_vars": {"A": "2", "B": "3"}, "merge": True}
    api(env.set_all({"X": "y"}))
    assert body_of(fake.last("PUT", "/env")) == {"env_vars": {"X": "y"}}
    api(env.delete("A"))
    assert body_of(fake.last("PATCH", "/env")) == {"env_vars": {"A": None}, "merge": True}
    api(env.clear())
    fake.last("DELETE", "/env")
    methods = [r.method for r in fake.agent_requests()[before:]]
    assert methods == ["PATCH", "PATCH", "PUT", "PATCH", "DELETE"], (
        "one request per change: delete() is not a read-modify-write"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.run_code("x", timeout=5, timeout_seconds=5),
        lambda s: s.run_code_background("x", timeout=5, timeout_seconds=5),
        lambda s: s.commands.run("ls", timeout=5, timeout_seconds=5),
        lambda s: s.run_code("x", timeout=0),
        lambda s: s.run_code("x", timeout_seconds=-1),
        lambda s: s.run_code("x", timeout=float("nan")),
        lambda s: s.run_code_background("x", timeout=float("inf")),
        lambda s: s.commands.run("ls", timeout=0),
        lambda s: s.commands.run("  "),
        lambda s: s.run_code("x", language=""),
        lambda s: s.run_code("x", env={"A=B": "v"}),
        lambda s: s.env.set("", "v"),
        lambda s: s.env.update({"A\0B": "v"}),
        lambda s: s.kill_process(""),
        lambda s: s.files.read(""),
        lambda s: s.files.write("/workspace/a", "x", mode="rw-r--r--"),
    ],
    ids=[
        "run_code-both-timeouts", "background-both-timeouts", "command-both-timeouts",
        "zero", "negative", "nan", "infinite", "command-zero", "empty-command",
        "empty-language", "env-name-with-equals", "empty-env-name", "env-name-with-nul",
        "empty-process-id", "empty-path", "bad-mode",
    ],
)
def test_invalid_arguments_are_refused_before_sending(fake, api, call):
    sbx = created(api, fake)
    with pytest.raises(InvalidArgumentError) as caught:
        api(call(sbx))
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "invalid_argument"
    assert fake.agent_requests() == []


def test_both_timeout_names_are_one_setting(fake, api):
    sbx = created(api, fake)
    with pytest.raises(InvalidArgumentError, match="timeout_seconds"):
        api(sbx.run_code("x", timeout=5, timeout_seconds=5))


def test_content_that_is_neither_text_nor_bytes_is_refused(fake, api):
    sbx = created(api, fake)
    with pytest.raises(TypeError):
        api(sbx.files.write("/workspace/a", 123))
    with pytest.raises(TypeError):
        api(sbx.files.write_bytes("/workspace/a", "text is not bytes"))
    with pytest.raises(TypeError):
        api(sbx.files.write_bytes("/workspace/a", [1, 2, 3]))
    # Text that is not valid Unicode is refused without being shown.
    with pytest.raises(ValueError) as caught:
        api(sbx.files.write("/workspace/a", "top-secret-\ud800"))
    assert "top-secret" not in str(caught.value) and "top-secret" not in repr(caught.value.args)
    with pytest.raises(ValueError) as caught:
        api(sbx.env.set("K", "top-secret-\ud800"))
    assert "top-secret" not in str(caught.value)
    assert fake.agent_requests() == []


# --- never twice, one refresh, never the API key -----------------------------------------


@pytest.mark.parametrize(
    "route, call",
    [
        (("POST", "/execute"), lambda s: s.run_code("import os")),
        (("POST", "/execute/background"), lambda s: s.run_code_background("import os")),
        (("POST", "/commands/run"), lambda s: s.commands.run("touch x")),
        (("POST", "/commands/background"), lambda s: s.commands.run("touch x", background=True)),
    ],
    ids=["run_code", "run_code_background", "command", "background-command"],
)
def test_a_call_that_may_have_run_is_not_sent_again(fake, api, route, call):
    sbx = created(api, fake)
    fake.answers[route] = lambda request: None  # the connection drops after the request
    with pytest.raises(NetworkError) as caught:
        api(call(sbx))
    assert "may have" in str(caught.value)
    assert len(fake.agent_requests(*route)) == 1, "sent exactly once"


def test_a_rejected_token_is_refreshed_once_for_concurrent_calls(fake, api):
    sbx = created(api, fake)
    fake.token = "tok-rotated"  # the agent now rejects the token the sandbox holds
    results = api.concurrently([lambda i=i: sbx.run_code(f"job {i}") for i in range(5)])
    assert [r.success for r in results] == [True] * 5
    assert fake.refreshes == 1, "one refresh shared by five calls"
    assert len(fake.agent_requests("POST", "/execute")) == 5, "each ran exactly once"


@pytest.mark.parametrize("auth_header", ["bearer", "x-api-key"])
def test_the_agent_gets_the_sandbox_token_and_never_the_api_key(fake, api, auth_header, tmp_path):
    sbx = api(api.cls.create("base", **fake.conn(auth_header=auth_header)))
    local = tmp_path / "f.txt"
    local.write_text("x")
    for call in (
        lambda: sbx.run_code("1"),
        lambda: sbx.run_code_background("1"),
        lambda: sbx.list_processes(),
        lambda: sbx.kill_process("proc-1"),
        lambda: sbx.commands.run("ls"),
        lambda: sbx.commands.run("ls", background=True),
        lambda: sbx.files.read("/a"),
        lambda: sbx.files.read_bytes("/a"),
        lambda: sbx.files.write("/a", "x"),
        lambda: sbx.files.list(),
        lambda: sbx.files.exists("/a"),
        lambda: sbx.files.remove("/a"),
        lambda: sbx.files.mkdir("/d"),
        lambda: sbx.files.upload(local, "/f.txt"),
        lambda: sbx.files.download("/a", tmp_path / "g.txt"),
        lambda: sbx.env.get_all(),
        lambda: sbx.env.set("K", "v"),
        lambda: sbx.env.delete("K"),
        lambda: sbx.env.clear(),
    ):
        api(call())
    secret = secret_of(fake.key)
    agent = [r for r in fake.server.requests if urlsplit(r.path).path.startswith(AGENT)]
    assert len(agent) == 19
    for request in agent:
        assert request.headers.get("authorization") == "Bearer tok-1", request
        assert "x-api-key" not in request.headers, request
        assert all(secret not in value for value in request.headers.values()), request
        assert secret.encode() not in request.body, request


def test_exists_raises_when_the_agent_refuses_the_token(fake, api):
    sbx = created(api, fake)
    fake.reject_every_token = True
    with pytest.raises(AuthenticationError) as caught:
        api(sbx.files.exists("/workspace/a.txt"))
    assert caught.value.status_code == 401
    assert fake.refreshes == 1, "refreshed once, then reported"


def test_exists_raises_when_the_agent_is_unreachable(api):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with FakeSandbox(agent_url=f"http://127.0.0.1:{closed_port}") as fake:
        sbx = created(api, fake)
        with pytest.raises(NetworkError):
            api(sbx.files.exists("/workspace/a.txt"))


@pytest.mark.parametrize(
    "route, status, agent_code, cls, code, call",
    [
        (("GET", "/files/read"), 404, "FILE_NOT_FOUND", FileNotFoundError, "file_not_found",
         lambda s: s.files.read("/nope")),
        (("GET", "/files/download"), 404, "FILE_NOT_FOUND", FileNotFoundError, "file_not_found",
         lambda s: s.files.read_bytes("/nope")),
        (("POST", "/files/write"), 403, "PATH_NOT_ALLOWED", FileOperationError,
         "file_operation_failed", lambda s: s.files.write("/etc/x", "x")),
        (("POST", "/execute"), 408, "EXECUTION_TIMEOUT", CodeExecutionError, "execution_timeout",
         lambda s: s.run_code("while True: pass", timeout=1)),
        (("POST", "/execute"), 500, "EXECUTION_FAILED", CodeExecutionError,
         "code_execution_failed", lambda s: s.run_code("x")),
        (("POST", "/commands/run"), 500, "COMMAND_FAILED", CommandExecutionError,
         "command_execution_failed", lambda s: s.commands.run("x")),
    ],
    ids=["read", "read_bytes", "write", "timeout", "execution", "command"],
)
def test_agent_errors_become_sdk_errors(fake, api, route, status, agent_code, cls, code, call):
    sbx = created(api, fake)
    fake.answers[route] = (
        status, {"X-Request-ID": "req-agent"},
        {"error": f"the agent says {agent_code}", "code": agent_code, "request_id": "req-agent"},
    )
    with pytest.raises(cls) as caught:
        api(call(sbx))
    error = caught.value
    assert error.code == code and error.status_code == status
    assert f"the agent says {agent_code}" in error.message
    assert error.request_id == "req-agent"
    assert isinstance(error, hopx_ai.AgentError)


def test_resources_work_on_a_handle_by_id_and_a_connected_sandbox(fake, api):
    handle = api.cls(SANDBOX_ID, **fake.conn())
    assert api(handle.files.read("/workspace/a.txt")) == "hello"
    paths = [(r.method, urlsplit(r.path).path) for r in fake.server.requests]
    assert paths == [
        ("GET", f"/v1/sandboxes/{SANDBOX_ID}"),  # the agent's address
        ("POST", f"/v1/sandboxes/{SANDBOX_ID}/token/refresh"),  # its token
        ("GET", f"{AGENT}/files/read"),
    ]
    assert api(handle.commands.run("ls")).stdout == "hi\n"
    assert api(handle.env.get("A")) == "1"
    assert len(fake.server.requests) == 5, "address and token are fetched once"
    connected = api(api.cls.connect(SANDBOX_ID, **fake.conn()))
    assert api(connected.run_code("1")).success


def test_execution_results_and_rich_outputs(fake, api):
    sbx = created(api, fake)
    fake.answers[("POST", "/execute")] = _ok({
        "stdout": "TOPSECRET-OUTPUT\n", "stderr": "warn-text", "exit_code": 0, "success": True,
        "png": "iVBORw0KGgo=", "svg": "<svg/>", "html": "<b>x</b>", "markdown": "# x",
        "json": {"a": [1, 2]}, "dataframe": {"columns": ["a"], "data": [[1]]}, "result": "42",
    })
    result = api(sbx.run_code("plot()"))
    assert [o.type for o in result.rich_outputs] == [
        "image/png", "image/svg+xml", "text/html", "text/markdown", "application/json",
        "application/vnd.dataframe+json", "text/plain",
    ]
    assert all(isinstance(o, RichOutput) for o in result.rich_outputs)
    assert repr(result.rich_outputs[0]) == "RichOutput(type='image/png')", "never the data"
    assert result.rich_count == 7 and result.has_rich_output
    assert (result.png, result.svg, result.html, result.markdown, result.result) == (
        "iVBORw0KGgo=", "<svg/>", "<b>x</b>", "# x", "42",
    )
    assert result.json_output == {"a": [1, 2]}
    assert result.rich_outputs[5].data == {"columns": ["a"], "data": [[1]]}
    as_dict = result.to_dict()
    assert as_dict["stdout"] == "TOPSECRET-OUTPUT\n"
    assert as_dict["rich_outputs"][4] == {"type": "application/json", "data": {"a": [1, 2]}}
    text = repr(result)
    assert "TOPSECRET" not in text and "warn-text" not in text
    assert "success=True" in text and "stdout=<17 chars>" in text and "image/png" in text
    assert result == api(sbx.run_code("plot()")), "equal when every attribute is"

    fake.answers[("POST", "/execute")] = _ok({"stdout": "", "stderr": "Traceback: boom",
                                              "exit_code": 1, "success": False})
    failed = api(sbx.run_code("raise Exception('boom')"))
    assert not failed.success and failed.exit_code == 1 and failed.stderr == "Traceback: boom"
    assert failed.rich_outputs == [] and failed.png is None and failed.json_output is None
    assert failed != result


def test_reprs_never_show_output_values_or_command_lines(fake, api):
    sbx = created(api, fake)
    fake.answers[("POST", "/commands/run")] = _ok({"stdout": "PRINTED-SECRET", "stderr": "",
                                                   "exit_code": 0, "command": "echo SECRET-ARG"})
    command = api(sbx.commands.run("echo SECRET-ARG"))
    assert "SECRET" not in repr(command) and "stdout=<14 chars>" in repr(command)
    assert command.command == "echo SECRET-ARG" and command.stdout == "PRINTED-SECRET"
    for resource in (sbx.files, sbx.commands, sbx.env):
        assert SANDBOX_ID in repr(resource)
    assert "s3cr3t-value" not in repr(sbx.env)


# --- interrupting and cancelling ---------------------------------------------------------


def _control_plane_for(agent_url: str) -> LoopbackServer:
    """A control plane whose sandbox's agent is at `agent_url`."""

    def respond(request):
        body = {"id": SANDBOX_ID, "status": "running", "public_host": agent_url,
                "auth_token": "tok-1", "token_expires_at": "2999-01-01T00:00:00Z"}
        return 200, {}, body

    return LoopbackServer(respond)


def test_ctrl_c_interrupts_a_long_run_code(tmp_path):
    with SilentServer() as silent, _control_plane_for(silent.url) as control:
        script = tmp_path / "interrupt.py"
        script.write_text(
            "import sys, time\n"
            "from hopx_ai import Sandbox\n"
            f"sbx = Sandbox({SANDBOX_ID!r}, api_key={random_key()!r}, base_url={control.url!r})\n"
            "print('calling', flush=True)\n"
            "started = time.monotonic()\n"
            "try:\n"
            "    sbx.run_code('import time; time.sleep(600)', timeout=600)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted after %.1f s' % (time.monotonic() - started), flush=True)\n"
            "    sys.exit(0)\n"
            "sys.exit(3)\n"
        )
        child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "calling"
            assert silent.accepted.wait(20), "the execution never reached the agent"
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            output, _ = child.communicate(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 0, output
        assert "interrupted" in output
        assert time.monotonic() - sent < 5
        assert silent.closed.wait(5), "the interrupted execution's connection was not closed"


def test_cancelling_an_async_run_code_cancels_its_request():
    async def main(url: str) -> None:
        sbx = AsyncSandbox(SANDBOX_ID, api_key=random_key(), base_url=url)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(sbx.run_code("import time; time.sleep(600)"), timeout=1)

    with SilentServer() as silent, _control_plane_for(silent.url) as control:
        asyncio.run(main(control.url))
        assert silent.accepted.is_set()
        assert silent.closed.wait(5), "the cancelled execution kept its connection open"


# --- surface -----------------------------------------------------------------------------

SANDBOX_METHODS = ["run_code", "run_code_background", "list_processes", "kill_process"]
RESOURCE_METHODS = {
    "files": ["read", "read_bytes", "write", "write_bytes", "list", "exists", "remove", "mkdir",
              "upload", "download"],
    "commands": ["run"],
    "env": ["get_all", "get", "set", "update", "set_all", "delete", "clear"],
}
RESOURCE_CLASSES = {
    Sandbox: {"files": Files, "commands": Commands, "env": EnvironmentVariables},
    AsyncSandbox: {"files": AsyncFiles, "commands": AsyncCommands,
                   "env": AsyncEnvironmentVariables},
}


@pytest.mark.parametrize("cls", [Sandbox, AsyncSandbox])
def test_every_data_plane_method_is_documented(cls):
    for name in SANDBOX_METHODS:
        doc = getattr(cls, name).__doc__
        assert doc and len(doc) > 20, f"{cls.__name__}.{name}"
    for prop, resource in RESOURCE_CLASSES[cls].items():
        assert getattr(cls, prop).__doc__, f"{cls.__name__}.{prop}"
        assert resource.__doc__ and resource.__module__ == "hopx_ai"
        for name in RESOURCE_METHODS[prop]:
            doc = getattr(resource, name).__doc__
            assert doc and len(doc) > 15, f"{resource.__name__}.{name}"


def test_resources_of_each_class_and_async_methods_are_coroutines():
    key = random_key()
    url = "http://127.0.0.1:9"
    for cls, resources in RESOURCE_CLASSES.items():
        sbx = cls(SANDBOX_ID, api_key=key, base_url=url)
        for prop, resource in resources.items():
            assert type(getattr(sbx, prop)) is resource
    sbx = AsyncSandbox(SANDBOX_ID, api_key=key, base_url=url)
    calls = [
        sbx.run_code("1"), sbx.run_code_background("1"), sbx.list_processes(),
        sbx.kill_process("p"), sbx.commands.run("ls"), sbx.files.read("/a"),
        sbx.files.read_bytes("/a"), sbx.files.write("/a", "x"), sbx.files.write_bytes("/a", b"x"),
        sbx.files.list(), sbx.files.exists("/a"), sbx.files.remove("/a"), sbx.files.mkdir("/a"),
        sbx.files.upload("/x", "/a"), sbx.files.download("/a", "/x"), sbx.env.get_all(),
        sbx.env.get("K"), sbx.env.set("K", "v"), sbx.env.update({}), sbx.env.set_all({}),
        sbx.env.delete("K"), sbx.env.clear(),
    ]
    for call in calls:
        assert asyncio.iscoroutine(call), call
        call.close()  # never started: nothing was sent


def test_data_plane_names_are_exported():
    for name in ("ExecutionResult", "RichOutput", "CommandResult", "FileInfo",
                 "BackgroundExecution", "ProcessInfo", "Files", "Commands",
                 "EnvironmentVariables", "AsyncFiles", "AsyncCommands",
                 "AsyncEnvironmentVariables"):
        assert name in hopx_ai.__all__, name
        cls = getattr(hopx_ai, name)
        assert cls.__module__ == "hopx_ai" and cls.__doc__, name


# --- against hopx-local and its agent ----------------------------------------------------


def conn(server) -> dict:
    return {"api_key": server.key, "base_url": server.url}


@pytest.fixture
def local(server, api):
    """A code-interpreter sandbox on hopx-local made through `api`'s class, killed after."""
    sandbox = api(api.cls.create("code-interpreter", **conn(server)))
    try:
        yield sandbox
    finally:
        try:
            api(sandbox.kill())
        except HopxError:
            pass


def test_local_runs_python_node_and_bash(local, api):
    python = api(local.run_code("import sys\nprint(6 * 7)\nprint('to stderr', file=sys.stderr)"))
    assert python.success and python.exit_code == 0
    assert python.stdout == "42\n" and "to stderr" in python.stderr
    node = api(local.run_code("console.log([1, 2, 3].map(x => x * 2).join(','))",
                              language="javascript"))
    assert node.success and node.stdout.strip() == "2,4,6"
    bash = api(local.run_code("echo $((6 * 7)); echo oops >&2; exit 3", language="bash"))
    assert not bash.success and bash.exit_code == 3
    assert bash.stdout.strip() == "42" and "oops" in bash.stderr


def test_local_an_exception_is_a_failed_result_not_an_error(local, api):
    result = api(local.run_code("print('before')\nraise ValueError('boom')"))
    assert not result.success and result.exit_code != 0
    assert result.stdout == "before\n"
    assert "ValueError" in result.stderr and "boom" in result.stderr


def test_local_execution_timeout(local, api):
    started = time.monotonic()
    with pytest.raises(CodeExecutionError) as caught:
        api(local.run_code("import time\ntime.sleep(60)", timeout=1))
    assert caught.value.code == "execution_timeout"
    assert time.monotonic() - started < 30


def test_local_run_code_env_and_working_dir(local, api):
    result = api(local.run_code(
        "import os\nprint(os.environ['GREETING'])\nprint(os.getcwd())",
        env={"GREETING": "hello there"}, working_dir="/tmp",
    ))
    assert result.success, result.stderr
    assert result.stdout.splitlines() == ["hello there", "/tmp"]


def _process(api: Api, sandbox, process_id: str):
    matches = [p for p in api(sandbox.list_processes()) if p.process_id == process_id]
    return matches[0] if matches else None


def test_local_background_code_list_and_kill(local, api):
    started = api(local.run_code_background("import time\ntime.sleep(120)", name="sleeper"))
    assert isinstance(started, BackgroundExecution) and started.process_id
    assert started["process_id"] == started.process_id
    listed = _process(api, local, started.process_id)
    assert listed is not None and listed.name == "sleeper"
    assert listed.status == "running"
    api(local.kill_process(started.process_id))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        listed = _process(api, local, started.process_id)
        if listed is None or listed.status != "running":
            break
        time.sleep(0.2)
    assert listed is None or listed.status != "running", "still running after kill_process"


def test_local_commands(local, api):
    piped = api(local.commands.run("printf 'a\\nb\\nc\\n' | wc -l"))
    assert piped.success and piped.stdout.strip() == "3"
    env = api(local.commands.run("echo \"$A-$B\" && pwd", env={"A": "x", "B": "y"},
                                 working_dir="/tmp"))
    assert env.stdout.splitlines() == ["x-y", "/tmp"]
    failed = api(local.commands.run("echo out; echo err >&2; exit 7"))
    assert not failed.success and not failed.is_success and failed.exit_code == 7
    assert failed.stdout == "out\n" and failed.stderr == "err\n"
    background = api(local.commands.run("sleep 30", background=True))
    assert background.process_id, "a background command has a process id"
    assert background.stdout == "" and background.exit_code == 0


def test_local_text_and_binary_files(local, api):
    files = local.files
    api(files.write("/workspace/notes/deep/hello.txt", "héllo wörld ✓\nline 2\n"))
    assert api(files.read("/workspace/notes/deep/hello.txt")) == "héllo wörld ✓\nline 2\n"
    every_byte = bytes(range(256))
    api(files.write_bytes("/workspace/every.bin", every_byte))
    assert api(files.read_bytes("/workspace/every.bin")) == every_byte
    for looks_like_base64 in (b"test", b"abcd", b"1234"):
        api(files.write_bytes("/workspace/b64.bin", looks_like_base64))
        assert api(files.read_bytes("/workspace/b64.bin")) == looks_like_base64
    api(files.write("/workspace/via-write.bin", b"\x00\xfftest"))
    assert api(files.read_bytes("/workspace/via-write.bin")) == b"\x00\xfftest"
    unicode_name = "/workspace/ünï cödé ✓ & #1.txt"
    api(files.write(unicode_name, "named"))
    assert api(files.read(unicode_name)) == "named"
    assert api(files.exists(unicode_name)) is True
    # Code sees what the files API wrote, and the other way round.
    checked = api(local.run_code(
        "print(open('/workspace/every.bin', 'rb').read() == bytes(range(256)))\n"
        "open('/workspace/from-code.txt', 'w').write('from code')"
    ))
    assert checked.stdout == "True\n", checked.stderr
    assert api(files.read("/workspace/from-code.txt")) == "from code"


def test_local_list_exists_remove_mkdir(local, api):
    files = local.files
    api(files.mkdir("/workspace/tree/a/b"))
    api(files.write("/workspace/tree/file.txt", "12345"))
    entries = {e.name: e for e in api(files.list("/workspace/tree"))}
    assert set(entries) == {"a", "file.txt"}
    assert entries["a"].is_dir and not entries["a"].is_file
    assert entries["file.txt"].is_file and entries["file.txt"].size == 5
    assert entries["file.txt"].path == "/workspace/tree/file.txt"
    assert "tree" in {e.name for e in api(files.list())}, "the default is /workspace"
    assert api(files.exists("/workspace/tree/a/b")) is True
    assert api(files.exists("/workspace/tree/missing")) is False
    api(files.remove("/workspace/tree"))
    assert api(files.exists("/workspace/tree")) is False


def test_local_upload_and_download(local, api, tmp_path):
    every_byte = bytes(range(256)) * 64
    source = tmp_path / "source.bin"
    source.write_bytes(every_byte)
    api(local.files.upload(source, "/workspace/up/source.bin"))
    assert api(local.files.read_bytes("/workspace/up/source.bin")) == every_byte
    target = tmp_path / "target.bin"
    api(local.files.download("/workspace/up/source.bin", str(target)))
    assert target.read_bytes() == every_byte


def test_local_missing_files_are_file_not_found(local, api, tmp_path):
    for call in (
        lambda: local.files.read("/workspace/nope.txt"),
        lambda: local.files.read_bytes("/workspace/nope.bin"),
        lambda: local.files.download("/workspace/nope.bin", tmp_path / "never.bin"),
    ):
        with pytest.raises(FileNotFoundError) as caught:
            api(call())
        assert caught.value.code == "file_not_found"
    assert not (tmp_path / "never.bin").exists()


def test_local_exists_raises_once_the_sandbox_is_gone(server, api):
    sandbox = api(api.cls.create("code-interpreter", **conn(server)))
    assert api(sandbox.files.exists("/workspace")) is True
    api(sandbox.kill())
    with pytest.raises(HopxError):
        api(sandbox.files.exists("/workspace"))


def test_local_env_round_trip(local, api):
    env = local.env
    api(env.set_all({"ALPHA": "1", "BETA": "2"}))
    assert api(env.get_all()) == {"ALPHA": "1", "BETA": "2"}
    api(env.set("GAMMA", "3 with spaces"))
    api(env.update({"ALPHA": "one", "DELTA": "4"}))
    assert api(env.get_all()) == {"ALPHA": "one", "BETA": "2", "GAMMA": "3 with spaces",
                                  "DELTA": "4"}
    assert api(env.get("GAMMA")) == "3 with spaces"
    api(env.delete("BETA"))
    assert api(env.get("BETA")) is None and api(env.get("BETA", "gone")) == "gone"
    assert api(env.get_all()) == {"ALPHA": "one", "GAMMA": "3 with spaces", "DELTA": "4"}
    seen = api(local.run_code("import os\nprint(os.environ.get('GAMMA'))"))
    assert seen.stdout == "3 with spaces\n", "code sees the sandbox's variables"
    api(env.clear())
    assert api(env.get_all()) == {}


def test_local_create_env_vars_are_visible_to_code(server, api):
    sandbox = api(api.cls.create("code-interpreter", env_vars={"HOPX_TEST_VAR": "from create"},
                                 **conn(server)))
    try:
        code = api(sandbox.run_code("import os\nprint(os.environ['HOPX_TEST_VAR'])"))
        assert code.stdout == "from create\n", code.stderr
        command = api(sandbox.commands.run("echo $HOPX_TEST_VAR"))
        assert command.stdout == "from create\n"
        assert api(sandbox.env.get("HOPX_TEST_VAR")) == "from create"
    finally:
        api(sandbox.kill())


def test_local_resources_work_on_connected_listed_iterated_and_by_id_sandboxes(fresh_server, api):
    server = fresh_server
    made = api(api.cls.create("code-interpreter", **conn(server)))
    api(made.files.write("/workspace/shared.txt", "shared"))
    [listed] = api(api.cls.list(**conn(server)))
    handles = {
        "connect": api(api.cls.connect(made.sandbox_id, **conn(server))),
        "by id": api.cls(made.sandbox_id, **conn(server)),
        "list": listed,
        "iter": api.first(api.cls.iter(**conn(server))),
    }
    for how, handle in handles.items():
        assert api(handle.files.read("/workspace/shared.txt")) == "shared", how
        assert api(handle.run_code("print('ran')")).stdout == "ran\n", how
        assert api(handle.commands.run("cat shared.txt")).stdout == "shared", how
        api(handle.env.set("SEEN_BY", how))
        assert api(handle.env.get("SEEN_BY")) == how
    api(made.kill())
