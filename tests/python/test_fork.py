"""A `fork()`ed child can use the SDK.

The child inherits the parent's memory but none of its threads: a runtime whose worker
threads stayed in the parent, or pooled connections that parent tasks were driving, would make
every call in the child hang forever. The core keeps its runtime and connection pools per
process, so a child (os.fork, multiprocessing's "fork" start method) starts fresh ones.

Every wait here is bounded: a hanging child is killed and reported, never waited on forever.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
import traceback

import pytest

from hopx_ai import AsyncSandbox, Sandbox

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork()"),
    # Python 3.12+ warns about fork() in a process with threads (the SDK's runtime): that is
    # the very situation under test.
    pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning"),
]

CHILD_LIMIT_SECONDS = 20.0


def _read(report) -> str:
    return report.read_text() if report.exists() else ""


def _wait_for_child(pid: int, report) -> int:
    """The child's exit code; kills it and fails the test if it is still running after
    CHILD_LIMIT_SECONDS."""
    deadline = time.monotonic() + CHILD_LIMIT_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(
        f"child hung: no exit within {CHILD_LIMIT_SECONDS:.0f} s after fork(), killed. "
        f"It got as far as: {_read(report) or '(nothing)'}"
    )


def _run_in_child(work, report) -> int:
    """Forks; the child runs `work()` and exits 0 when it returns, 1 when it raises (writing
    the traceback to `report`). The child never returns into pytest. Returns the exit code."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            work()
            code = 0
        except BaseException:  # noqa: BLE001 - whatever happens, never back into pytest
            try:
                report.write_text(traceback.format_exc())
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)
    return _wait_for_child(pid, report)


def _warm_parent(server):
    """Uses the runtime and the connection pool in the parent, so both exist at the fork."""
    templates = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    sandbox = Sandbox.create("code-interpreter", api_key=server.key, base_url=server.url)
    assert sandbox.get_info().status == "running"
    return templates, sandbox


def test_blocking_calls_work_in_a_forked_child(server, tmp_path):
    templates, sandbox = _warm_parent(server)
    expected = sorted(t.name for t in templates)
    report = tmp_path / "child.txt"

    def work():
        names = sorted(
            t.name for t in Sandbox.list_templates(api_key=server.key, base_url=server.url)
        )
        if names != expected:
            raise AssertionError(f"templates in the child: {names}, in the parent: {expected}")
        report.write_text("list_templates done")
        info = sandbox.get_info()  # a sandbox (and client) made in the parent
        if info.sandbox_id != sandbox.sandbox_id or info.status != "running":
            raise AssertionError(f"unexpected info in the child: {info!r}")

    code = _run_in_child(work, report)
    assert code == 0, f"the child failed (exit code {code}):\n{_read(report)}"

    # The parent's runtime and pool still work after its child used (and left) copies of them.
    assert Sandbox.list_templates(api_key=server.key, base_url=server.url)
    assert sandbox.get_info().sandbox_id == sandbox.sandbox_id


def test_async_calls_work_in_a_forked_child(server, tmp_path):
    _, sandbox = _warm_parent(server)
    asyncio.run(AsyncSandbox.list_templates(api_key=server.key, base_url=server.url))
    report = tmp_path / "child.txt"

    def work():
        async def main():
            templates = await AsyncSandbox.list_templates(api_key=server.key, base_url=server.url)
            if not any(t.name == "code-interpreter" for t in templates):
                raise AssertionError("no code-interpreter template in the child")
            created = await AsyncSandbox.create(
                "code-interpreter", api_key=server.key, base_url=server.url
            )
            info = await created.get_info()
            if info.status != "running":
                raise AssertionError(f"unexpected info in the child: {info!r}")

        asyncio.run(main())
        # And a blocking call on the parent's sandbox, in the same child.
        if sandbox.get_info().sandbox_id != sandbox.sandbox_id:
            raise AssertionError("wrong sandbox in the child")

    code = _run_in_child(work, report)
    assert code == 0, f"the child failed (exit code {code}):\n{_read(report)}"


def _count_templates(connection: tuple) -> int:
    """Runs in a pool worker (top level, so multiprocessing can name it)."""
    base_url, api_key = connection
    return len(Sandbox.list_templates(api_key=api_key, base_url=base_url))


def test_multiprocessing_fork_pool(server):
    expected = len(_warm_parent(server)[0])
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        # map_async + get(timeout): a hung worker fails the test instead of hanging it, and
        # leaving the `with` terminates the workers.
        result = pool.map_async(_count_templates, [(server.url, server.key)] * 6)
        try:
            counts = result.get(timeout=30)
        except multiprocessing.TimeoutError:
            pytest.fail("pool workers hung: no result within 30 s after fork()")
    assert counts == [expected] * 6
