"""No secret (the key's secret part, env var values passed to create) ever shows in what the
SDK prints or raises."""

from __future__ import annotations

import asyncio
import json
import pickle
import traceback

import pytest
from helpers import (
    LoopbackServer,
    assert_secret_absent,
    error_texts,
    random_key,
    secret_of,
)

from hopx_ai import (
    AsyncSandbox,
    AuthenticationError,
    ConfigurationError,
    HopxError,
    InvalidApiKeyError,
    MissingApiKeyError,
    Sandbox,
    TemplateNotFoundError,
)

ENV_SECRET = "env-value-Vq8ZkW3pLmN5"


def _visible(obj) -> str:
    parts = [repr(obj), str(obj)]
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is not None:
        parts.append(repr(to_dict()))
    return "\n".join(parts)


def test_sandbox_info_and_templates_never_show_the_key(server):
    secret = secret_of(server.key)
    templates = Sandbox.list_templates(api_key=server.key, base_url=server.url)
    sandbox = Sandbox.create(
        "code-interpreter",
        api_key=server.key,
        base_url=server.url,
        env_vars={"DATABASE_PASSWORD": ENV_SECRET},
    )
    info = sandbox.get_info()
    for obj in [sandbox, info, *templates]:
        text = _visible(obj)
        assert secret not in text
        assert ENV_SECRET not in text
    assert ENV_SECRET not in repr(dir(sandbox))


def test_async_sandbox_never_shows_the_key(server):
    secret = secret_of(server.key)

    async def main():
        sandbox = await AsyncSandbox.create(
            "code-interpreter",
            api_key=server.key,
            base_url=server.url,
            env_vars={"TOKEN": ENV_SECRET},
        )
        return sandbox, await sandbox.get_info()

    sandbox, info = asyncio.run(main())
    for obj in (sandbox, info):
        assert secret not in _visible(obj)
        assert ENV_SECRET not in _visible(obj)


@pytest.mark.parametrize("auth_header", ["bearer", "x-api-key"])
def test_authentication_error_hides_the_key(server, new_key, auth_header):
    with pytest.raises(AuthenticationError) as caught:
        Sandbox.create(
            "code-interpreter",
            api_key=new_key,
            base_url=server.url,
            auth_header=auth_header,
            env_vars={"TOKEN": ENV_SECRET},
        )
    assert_secret_absent(caught.value, secret_of(new_key))
    assert_secret_absent(caught.value, ENV_SECRET)


def test_invalid_key_from_environment_hides_the_secret(server, monkeypatch):
    monkeypatch.setenv("HOPX_API_KEY", "hopx_live_short.Topsecretvalue123")
    with pytest.raises(InvalidApiKeyError) as caught:
        Sandbox.list_templates(base_url=server.url)
    assert "HOPX_API_KEY" in caught.value.message  # says where the bad key came from
    assert_secret_absent(caught.value, "Topsecretvalue123")


def test_invalid_key_from_dotenv_hides_the_secret(server, isolated):
    (isolated.work / ".env").write_text("HOPX_API_KEY=hopx_live_AbCdEf123456.bad secret\n")
    with pytest.raises(InvalidApiKeyError) as caught:
        Sandbox.list_templates(base_url=server.url)
    assert ".env" in caught.value.message
    assert_secret_absent(caught.value, "bad secret")


def test_missing_key_error_hides_other_secrets_nearby(server, isolated, new_key):
    # A .env without HOPX_API_KEY but with other secrets, and a config file whose active
    # profile has no key while another profile has one: nothing of them may be echoed.
    (isolated.work / ".env").write_text(
        f"DATABASE_PASSWORD={ENV_SECRET}\nHOPX_API_KEY_OLD={new_key}\n"
    )
    isolated.config_file.write_text(
        f'[profiles.default]\nbase_url = "{server.url}"\n[profiles.other]\napi_key = "{new_key}"\n'
    )
    with pytest.raises(MissingApiKeyError) as caught:
        Sandbox.list_templates()
    assert_secret_absent(caught.value, ENV_SECRET)
    assert_secret_absent(caught.value, secret_of(new_key))


def test_malformed_config_file_hides_its_contents(isolated, new_key):
    isolated.config_file.write_text(f"[profiles.default]\napi_key = {new_key}\n")  # no quotes
    with pytest.raises(ConfigurationError) as caught:
        Sandbox.list_templates()
    assert caught.value.code == "invalid_config"
    assert_secret_absent(caught.value, secret_of(new_key))


def test_lone_surrogates_never_echo_the_value(server):
    # Python's own str→UTF-8 error would carry the whole string in `.object`.
    key = "hopx_live_AbCdEf123456.Sur\udc80rogateSecret"
    with pytest.raises(InvalidApiKeyError) as caught:
        Sandbox.list_templates(api_key=key, base_url=server.url)
    assert_secret_absent(caught.value, "rogateSecret")

    with pytest.raises(ValueError) as caught_env:
        Sandbox.create(
            "code-interpreter",
            api_key=server.key,
            base_url=server.url,
            env_vars={"A": "val\udc80ueSecretEnv"},
        )
    error = caught_env.value
    for text in (str(error), repr(error), repr(error.args), repr(vars(error))):
        assert "ueSecretEnv" not in text


def test_every_error_pickles_without_the_secret(server, new_key):
    errors = []
    for call in (
        lambda: Sandbox.list_templates(api_key=new_key, base_url=server.url),
        lambda: Sandbox.list_templates(api_key=new_key + " x", base_url=server.url),
        lambda: Sandbox.list_templates(api_key="Bearer " + new_key, base_url=server.url),
    ):
        with pytest.raises(HopxError) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        assert secret_of(new_key).encode() not in pickle.dumps(error)
        assert_secret_absent(error, secret_of(new_key))


# --- a key passed in the wrong argument -------------------------------------------------


def _assert_no_part_of(error: BaseException, secret: str, window: int = 8) -> None:
    """Neither the secret nor any `window`-character piece of it shows anywhere a user, a log
    or a crash reporter could see: str, repr, args, every attribute (also those that are
    properties), `details`, the pickled bytes and the formatted traceback with its chain."""
    assert_secret_absent(error, secret)
    texts = dict(error_texts(error))
    for name in dir(error):
        if name.startswith("__"):
            continue
        value = getattr(error, name, None)
        if not callable(value):
            texts[f"attribute {name} (by str)"] = str(value)
    texts["details"] = repr(getattr(error, "details", None))
    texts["traceback"] = "".join(traceback.format_exception(error))
    pickled = pickle.dumps(error)
    pieces = {secret[i : i + window] for i in range(max(1, len(secret) - window + 1))}
    for where, text in texts.items():
        for piece in pieces:
            assert piece not in text, f"part of the secret appears in the error's {where}"
    for piece in pieces:
        assert piece.encode() not in pickled, "part of the secret is in the pickled error"


def _misplaced_key(server, which: str) -> str:
    return server.key if which == "the server's key" else random_key()


MISPLACED = [
    pytest.param(which, argument, id=f"{argument}-{'server' if 'server' in which else 'random'}")
    for which in ("the server's key", "a random key")
    for argument in ("template", "template_id")
]


@pytest.mark.parametrize("which, argument", MISPLACED)
def test_key_passed_as_template_is_never_echoed(server, which, argument):
    key = _misplaced_key(server, which)
    with pytest.raises(TemplateNotFoundError) as caught:
        Sandbox.create(**{argument: key}, api_key=server.key, base_url=server.url)
    assert caught.value.status_code == 404
    _assert_no_part_of(caught.value, secret_of(key))
    _assert_no_part_of(caught.value, secret_of(server.key))


@pytest.mark.parametrize("which, argument", MISPLACED)
def test_key_passed_as_template_is_never_echoed_async(server, which, argument):
    key = _misplaced_key(server, which)

    async def main():
        with pytest.raises(TemplateNotFoundError) as caught:
            await AsyncSandbox.create(**{argument: key}, api_key=server.key, base_url=server.url)
        return caught.value

    error = asyncio.run(main())
    assert error.status_code == 404
    _assert_no_part_of(error, secret_of(key))
    _assert_no_part_of(error, secret_of(server.key))


def test_key_passed_as_template_is_positional_too(server):
    # The first positional argument is `template`: the most likely way to misplace the key.
    with pytest.raises(TemplateNotFoundError) as caught:
        Sandbox.create(server.key, api_key=server.key, base_url=server.url)
    _assert_no_part_of(caught.value, secret_of(server.key))


def test_a_server_echoing_the_template_verbatim_is_scrubbed(new_key):
    """hopx-local itself masks what it echoes; a real server or a proxy may not. Whatever the
    404 body and headers repeat of the misplaced key, the SDK's error must not."""

    def respond(request):
        name = json.loads(request.body or b"{}").get("template_name", "")
        body = {
            "error": {
                "message": f"Template '{name}' not found",
                "code": "template_not_found",
                "request_id": f"req_{name}",
                "details": {"template": name, "available": ["base", name], name: name},
            }
        }
        return 404, {"X-Request-Id": f"req_{name}"}, body

    api_key = random_key()
    with LoopbackServer(respond) as echo:
        with pytest.raises(TemplateNotFoundError) as caught:
            Sandbox.create(new_key, api_key=api_key, base_url=echo.url)
        assert len(echo.requests) == 1
        assert secret_of(new_key) in echo.requests[0].body.decode()  # it really was echoed
    _assert_no_part_of(caught.value, secret_of(new_key))
    _assert_no_part_of(caught.value, secret_of(api_key))


class _ErrorWithProperty(HopxError):
    SECRET = "Pr0pertySecretValue9876"

    @property
    def extra(self):
        return self.SECRET[2:11]


def test_no_part_of_helper_sees_pieces_properties_and_chains():
    # The checks above must really look at pieces, properties and chained causes.
    secret = "Zq9xS3cr3tV4lue00AbCdEf"
    with pytest.raises(AssertionError):
        _assert_no_part_of(HopxError(f"echo: {secret[5:14]}"), secret)
    chained = HopxError("plain")
    chained.__cause__ = RuntimeError(secret[-9:])
    with pytest.raises(AssertionError):
        _assert_no_part_of(chained, secret)
    with pytest.raises(AssertionError):
        _assert_no_part_of(_ErrorWithProperty("plain"), _ErrorWithProperty.SECRET)
    _assert_no_part_of(HopxError("plain"), secret)
