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
