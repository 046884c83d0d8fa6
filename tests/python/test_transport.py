"""What the SDK does with answers hopx-local never gives: absurd Retry-After values and
redirects. Each test runs its own tiny server on 127.0.0.1 in a thread of this process
(`helpers.LoopbackServer`), which records every request it receives."""

from __future__ import annotations

import asyncio

import pytest
from helpers import LoopbackServer, SilentServer, assert_secret_absent, random_key, secret_of

from hopx_ai import APIError, AsyncSandbox, RateLimitError, Sandbox, errors

DAY = 86400.0

RATE_LIMITED = {"error": {"message": "Too many requests", "code": "rate_limited"}}


def _raised(call) -> BaseException:
    """The exception `call` raises, whatever its type (a Rust panic reaches Python as
    pyo3_runtime.PanicException, a BaseException that pytest.raises(Exception) would miss)."""
    try:
        call()
    except BaseException as error:  # noqa: BLE001
        return error
    pytest.fail("no error raised")


def _assert_not_a_panic(error: BaseException) -> None:
    assert isinstance(error, Exception), f"not an Exception (a panic?): {error!r}"
    assert type(error).__name__ != "PanicException", f"the SDK panicked: {error!r}"


# --- Retry-After --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "retry_after",
    [
        "99999999999999999999",  # more than u64::MAX
        "1e300",
        "18446744073709551615",  # exactly u64::MAX
        "86401",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ],
)
def test_huge_retry_after_is_capped_at_a_day(retry_after):
    def respond(request):
        return 429, {"Retry-After": retry_after}, RATE_LIMITED

    with LoopbackServer(respond) as srv:
        error = _raised(
            lambda: Sandbox.list_templates(api_key=random_key(), base_url=srv.url)
        )
        received = len(srv.requests)
    _assert_not_a_panic(error)
    assert isinstance(error, RateLimitError), repr(error)
    assert error.status_code == 429
    assert error.retry_after == DAY
    # Longer than the SDK ever waits: reported at once, not slept on, not retried.
    assert received == 1


def test_huge_retry_after_async():
    def respond(request):
        return 429, {"Retry-After": "99999999999999999999"}, RATE_LIMITED

    async def main(url):
        await AsyncSandbox.list_templates(api_key=random_key(), base_url=url)

    with LoopbackServer(respond) as srv:
        error = _raised(lambda: asyncio.run(main(srv.url)))
        received = len(srv.requests)
    _assert_not_a_panic(error)
    assert isinstance(error, RateLimitError), repr(error)
    assert error.retry_after == DAY
    assert received == 1


def test_huge_retry_after_on_create_is_not_retried():
    def respond(request):
        return 429, {"Retry-After": "99999999999999999999"}, RATE_LIMITED

    with LoopbackServer(respond) as srv:
        error = _raised(
            lambda: Sandbox.create(
                "code-interpreter", api_key=random_key(), base_url=srv.url
            )
        )
        requests = srv.requests
    _assert_not_a_panic(error)
    assert isinstance(error, RateLimitError), repr(error)
    assert error.retry_after == DAY
    assert [(r.method, r.path) for r in requests] == [("POST", "/v1/sandboxes")]


def test_huge_retry_after_in_the_body_is_capped():
    body = {
        "error": {
            "message": "Too many requests",
            "code": "rate_limited",
            "details": {"retry_after_seconds": 1e300},
        }
    }

    with LoopbackServer(lambda request: (429, {}, body)) as srv:
        error = _raised(lambda: Sandbox.list_templates(api_key=random_key(), base_url=srv.url))
        received = len(srv.requests)
    _assert_not_a_panic(error)
    assert isinstance(error, RateLimitError), repr(error)
    assert error.retry_after == DAY
    assert received == 1


# --- redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("auth_header", ["x-api-key", "bearer"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(status, auth_header):
    key = random_key()
    with LoopbackServer(lambda request: (200, {}, {"data": []})) as elsewhere:
        target = elsewhere.url + "/v1/templates"

        with LoopbackServer(lambda request: (status, {"Location": target}, b"")) as first:
            error = _raised(
                lambda: Sandbox.list_templates(
                    api_key=key, base_url=first.url, auth_header=auth_header
                )
            )
            sent_first = first.requests
        sent_elsewhere = elsewhere.requests
    _assert_not_a_panic(error)
    assert isinstance(error, APIError), repr(error)
    assert error.status_code == status
    assert sent_elsewhere == [], "the key was sent to the redirect target"
    assert len(sent_first) == 1, "a redirect is an answer, not something to retry"
    assert_secret_absent(error, secret_of(key))


def test_redirect_on_create_is_not_followed():
    key = random_key()
    with LoopbackServer(lambda request: (201, {}, {"id": "sbx"})) as elsewhere:
        target = elsewhere.url + "/v1/sandboxes"

        with LoopbackServer(lambda request: (307, {"Location": target}, b"")) as first:
            error = _raised(
                lambda: Sandbox.create(
                    "code-interpreter",
                    api_key=key,
                    base_url=first.url,
                    auth_header="x-api-key",
                    env_vars={"TOKEN": "env-secret-Hq2Lk9"},
                )
            )
            sent_first = first.requests
        sent_elsewhere = elsewhere.requests
    _assert_not_a_panic(error)
    assert isinstance(error, APIError), repr(error)
    assert error.status_code == 307
    assert sent_elsewhere == []
    assert len(sent_first) == 1
    assert_secret_absent(error, secret_of(key))
    assert_secret_absent(error, "env-secret-Hq2Lk9")


def test_async_redirect_is_not_followed():
    key = random_key()

    async def main(url):
        await AsyncSandbox.list_templates(api_key=key, base_url=url, auth_header="x-api-key")

    with LoopbackServer(lambda request: (200, {}, {"data": []})) as elsewhere:
        target = elsewhere.url + "/v1/templates"
        with LoopbackServer(lambda request: (302, {"Location": target}, b"")) as first:
            error = _raised(lambda: asyncio.run(main(first.url)))
        sent_elsewhere = elsewhere.requests
    _assert_not_a_panic(error)
    assert isinstance(error, errors.APIError), repr(error)
    assert error.status_code == 302
    assert sent_elsewhere == []


# --- interrupting and cancelling a call ---------------------------------------------------


def test_ctrl_c_interrupts_a_blocking_call(tmp_path):
    """A blocking call waits without the GIL, yet Ctrl-C (SIGINT) still raises
    KeyboardInterrupt promptly instead of after the 30 s request timeout."""
    import signal
    import subprocess
    import sys
    import time

    with SilentServer() as silent:
        script = tmp_path / "interrupt.py"
        script.write_text(
            "import sys, time\n"
            "from hopx_ai import Sandbox\n"
            "print('calling', flush=True)\n"
            "started = time.monotonic()\n"
            "try:\n"
            f"    Sandbox.list_templates(api_key={random_key()!r}, base_url={silent.url!r},\n"
            "                           request_timeout=30)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted after %.1f s' % (time.monotonic() - started), flush=True)\n"
            "    sys.exit(0)\n"
            "sys.exit(3)\n"
        )
        child = subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout.readline().strip() == "calling"
            assert silent.accepted.wait(10), "the request never reached the server"
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
        assert silent.closed.wait(5), "the interrupted request's connection was not closed"


def test_cancelling_an_async_call_cancels_its_request():
    """asyncio.wait_for cancels the coroutine; the request is cancelled with it (its
    connection closes) instead of running on unobserved until the request timeout."""

    async def main(url: str) -> None:
        call = AsyncSandbox.list_templates(api_key=random_key(), base_url=url, request_timeout=30)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(call, timeout=0.5)

    with SilentServer() as silent:
        asyncio.run(main(silent.url))
        assert silent.accepted.is_set()
        assert silent.closed.wait(5), "the cancelled request kept its connection open"
