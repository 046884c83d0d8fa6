"""The shared key-validation fixture (tests/fixtures/api_keys.json), through the public API
and against the real server: malformed keys fail before anything is sent; well-formed keys
are sent (and the server, which does not know them, answers 401)."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from helpers import assert_secret_absent, error_texts

from hopx_ai import AuthenticationError, HopxError, InvalidApiKeyError, Sandbox

CASES = json.loads((FIXTURES / "api_keys.json").read_text(encoding="utf-8"))["cases"]


def _call(server, case):
    before = server.api_requests()
    with pytest.raises(HopxError) as caught:
        Sandbox.list_templates(
            api_key=case["input"], base_url=server.url, validate_api_key=case["validate"]
        )
    return caught.value, server.api_requests() - before


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_key_case(server, case):
    error, sent = _call(server, case)
    if case.get("ok"):
        # Accepted by the SDK, so sent; the server does not know the key.
        assert not isinstance(error, InvalidApiKeyError), error
        assert isinstance(error, AuthenticationError), repr(error)
        assert error.status_code == 401
        assert error.code == "authentication_error"
        assert sent == 1
    else:
        assert isinstance(error, InvalidApiKeyError), repr(error)
        assert isinstance(error, ValueError)
        assert error.code == case["error"]
        assert error.status_code is None and error.request_id is None
        assert error.message and error.hint, "an invalid key error says what is wrong and how to fix it"
        assert sent == 0, "a malformed key must fail before any request"
    if case.get("hint_contains"):
        assert case["hint_contains"] in (error.hint or "")
        assert case["hint_contains"] in str(error)
    secret = case.get("must_not_contain")
    if secret:
        assert_secret_absent(error, secret)


def test_fixture_covers_every_invalid_key_code():
    from hopx_ai import _native

    invalid_codes = {
        code for code, cls in _native._error_classes().items() if cls == "InvalidApiKeyError"
    }
    covered = {case["error"] for case in CASES if "error" in case}
    assert invalid_codes <= covered, invalid_codes - covered


def test_error_texts_helper_sees_attributes():
    # The helper used above must really look at attributes, or the secret checks prove nothing.
    error = InvalidApiKeyError("m", code="c", hint="h", details={"x": "needle"})
    assert any("needle" in text for text in error_texts(error).values())


# --- odd keys never crash ---------------------------------------------------------------

# Non-ASCII characters where the key parser looks at fixed byte offsets: the 'Bearer ' check
# (7 bytes), the 'hopx_live_' prefix (10 bytes), the key id (12 bytes after it). Slicing a
# str at a byte offset inside a multi-byte character panics in Rust; the SDK must say what is
# wrong with the key instead.
ODD_KEYS = [
    "hopx_l\u0456ve_AbCdEf123456.Zq9xS3cr3tV4l",  # Cyrillic i inside the prefix
    "abcdef\u00e9Zq9x",  # 2-byte character across byte 7
    "Bearer\u00e9x",  # 'Bearer' then a 2-byte character where the space would be
    "Beare\u00e9 hopx_live_AbCdEf123456.Zq9xS3cr3tV4l",
    "\u00e9",
    "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
    "\U0001f511hopx_live_AbCdEf123456.Zq9xS3cr3tV4l",  # 4-byte character first
    "hopx_liv\u00e9_AbCdEf123456.Zq9xS3cr3tV4l",  # across byte 10
    "hopx_live\u00e9AbCdEf123456.Zq9xS3cr3tV4l",
    "hopx_live_\u00e9bCdEf123456.Zq9xS3cr3tV4l",  # inside the key id
    "hopx_live_AbCdEf12345\u00e9Zq9xS3cr3tV4l",  # across the dot's offset, no dot
    "hopx_live_AbCdEf123456\u00e9Zq9xS3cr3tV4l",
    "hopx_live_AbCdEf123456.\u00e9q9xS3cr3tV4l",
    "\u200bhopx_live_AbCdEf123456.Zq9xS3cr3tV4l",  # zero-width space first
    "hopx_live_AbCdEf123456.Zq9xS3cr3tV4l\u200b",
    "sk_live_\u00e9Zq9xS3cr3tV4l",
    "eyJ\u00e9.eyJ\u00e9.Zq9xS3cr3tV4l",
    "\u0000hopx_live_AbCdEf123456.Zq9xS3cr3tV4l",
    "\uff42earer hopx_live_AbCdEf123456.Zq9xS3cr3tV4l",  # full-width b
    "\u00e9" * 600,  # too long, counted in bytes or characters
]


def _odd_key_error(call) -> BaseException:
    try:
        call()
    except BaseException as error:  # noqa: BLE001 - a PanicException is a BaseException
        return error
    pytest.fail("no error raised")


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("key", ODD_KEYS, ids=[ascii(k)[:40] for k in ODD_KEYS])
def test_odd_keys_never_crash(server, key, validate):
    before = server.api_requests()
    error = _odd_key_error(
        lambda: Sandbox.list_templates(api_key=key, base_url=server.url, validate_api_key=validate)
    )
    assert type(error).__name__ != "PanicException", f"the SDK panicked: {error!r}"
    assert isinstance(error, InvalidApiKeyError), repr(error)
    assert error.message and error.hint
    assert server.api_requests() == before, "an unusable key must fail before any request"
    if "Zq9xS3cr3tV4l" in key:
        assert_secret_absent(error, "Zq9xS3cr3tV4l")


@pytest.mark.parametrize("key", ODD_KEYS[:3], ids=[ascii(k)[:40] for k in ODD_KEYS[:3]])
def test_odd_keys_never_crash_async_and_from_the_environment(server, monkeypatch, isolated, key):
    import asyncio

    from hopx_ai import AsyncSandbox

    before = server.api_requests()

    async def main():
        await AsyncSandbox.list_templates(api_key=key, base_url=server.url)

    error = _odd_key_error(lambda: asyncio.run(main()))
    assert isinstance(error, InvalidApiKeyError), repr(error)

    (isolated.work / ".env").write_text(f"HOPX_API_KEY={key}\n", encoding="utf-8")
    error = _odd_key_error(lambda: Sandbox.list_templates(base_url=server.url))
    assert isinstance(error, InvalidApiKeyError), repr(error)
    assert ".env" in error.message

    monkeypatch.setenv("HOPX_API_KEY", key)
    error = _odd_key_error(lambda: Sandbox.list_templates(base_url=server.url))
    assert isinstance(error, InvalidApiKeyError), repr(error)
    assert "HOPX_API_KEY" in error.message
    assert server.api_requests() == before
