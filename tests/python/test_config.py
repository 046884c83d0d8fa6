"""Where the API key and base URL come from, through the real process environment, files and
working directory. Each source is pointed at either the server's key or a key it rejects, so
the outcome proves which source was used."""

from __future__ import annotations

import os

import pytest

from hopx_ai import (
    AuthenticationError,
    ConfigurationError,
    MissingApiKeyError,
    Sandbox,
)


def _works(**kwargs) -> bool:
    """True when the server accepted the key the SDK picked, False when it answered 401."""
    try:
        Sandbox.list_templates(**kwargs)
    except AuthenticationError as error:
        assert error.status_code == 401
        return False
    return True


def _write_config(isolated, text: str) -> None:
    isolated.config_file.write_text(text, encoding="utf-8")


def _profile(name: str, *, api_key=None, base_url=None, auth_header=None) -> str:
    lines = [f"[profiles.{name}]"]
    if api_key is not None:
        lines.append(f'api_key = "{api_key}"')
    if base_url is not None:
        lines.append(f'base_url = "{base_url}"')
    if auth_header is not None:
        lines.append(f'auth_header = "{auth_header}"')
    return "\n".join(lines) + "\n"


def test_argument_beats_environment(server, new_key, monkeypatch):
    monkeypatch.setenv("HOPX_API_KEY", new_key)
    assert _works(api_key=server.key, base_url=server.url)
    monkeypatch.setenv("HOPX_API_KEY", server.key)
    assert not _works(api_key=new_key, base_url=server.url)


def test_environment_beats_dotenv(server, new_key, monkeypatch, isolated):
    (isolated.work / ".env").write_text(f"HOPX_API_KEY={new_key}\n")
    monkeypatch.setenv("HOPX_API_KEY", server.key)
    assert _works(base_url=server.url)
    (isolated.work / ".env").write_text(f"HOPX_API_KEY={server.key}\n")
    monkeypatch.setenv("HOPX_API_KEY", new_key)
    assert not _works(base_url=server.url)


def test_dotenv_is_found_upward_and_beats_config(server, new_key, monkeypatch, isolated):
    nested = isolated.work / "a" / "b" / "c"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    dotenv = isolated.work / ".env"

    dotenv.write_text(f"# project settings\nOTHER=1\nexport HOPX_API_KEY=\"{server.key}\"\n")
    _write_config(isolated, _profile("default", api_key=new_key))
    assert _works(base_url=server.url)

    dotenv.write_text(f"HOPX_API_KEY={new_key}\n")
    _write_config(isolated, _profile("default", api_key=server.key))
    assert not _works(base_url=server.url)

    # Without a .env, the config file is used.
    dotenv.unlink()
    assert _works(base_url=server.url)


def test_config_file_profiles(server, new_key, monkeypatch, isolated):
    _write_config(
        isolated,
        'default_profile = "main"\n'
        + _profile("main", api_key=server.key, base_url=server.url, auth_header="x-api-key")
        + _profile("other", api_key=new_key, base_url=server.url),
    )
    # No argument at all: key, base URL and header all come from the default profile.
    assert _works()
    monkeypatch.setenv("HOPX_PROFILE", "other")
    assert not _works()
    monkeypatch.setenv("HOPX_PROFILE", "main")
    assert _works()
    monkeypatch.setenv("HOPX_PROFILE", "missing")
    with pytest.raises(ConfigurationError) as caught:
        Sandbox.list_templates()
    assert caught.value.code == "invalid_config"
    assert "main" in str(caught.value) and "other" in str(caught.value)


def test_base_url_from_environment(server, monkeypatch):
    monkeypatch.setenv("HOPX_API_KEY", server.key)
    monkeypatch.setenv("HOPX_BASE_URL", server.url)
    templates = Sandbox.list_templates()
    assert any(t.name == "code-interpreter" for t in templates)


def test_auth_header_from_environment(server, monkeypatch):
    monkeypatch.setenv("HOPX_AUTH_HEADER", "x-api-key")
    assert _works(api_key=server.key, base_url=server.url)
    monkeypatch.setenv("HOPX_AUTH_HEADER", "cookie")
    with pytest.raises(ConfigurationError) as caught:
        Sandbox.list_templates(api_key=server.key, base_url=server.url)
    assert caught.value.code == "invalid_config"


def test_dotenv_cannot_set_the_base_url(server, isolated):
    # If the .env's HOPX_BASE_URL were honoured, the request would go to a closed port.
    (isolated.work / ".env").write_text(
        f"HOPX_API_KEY={server.key}\nHOPX_BASE_URL=http://127.0.0.1:9\n"
    )
    _write_config(isolated, _profile("default", base_url=server.url))
    before = server.api_requests()
    assert _works()
    assert server.api_requests() - before == 1


def test_validation_can_be_turned_off_by_environment(server, monkeypatch):
    monkeypatch.setenv("HOPX_API_KEY", "self-hosted-token")
    monkeypatch.setenv("HOPX_VALIDATE_API_KEY", "0")
    # Sent (and refused by this server, whose keys have the standard format).
    assert not _works(base_url=server.url)


def test_missing_key_lists_every_place(server, isolated):
    before = server.api_requests()
    with pytest.raises(MissingApiKeyError) as caught:
        Sandbox.list_templates(base_url=server.url)
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, ConfigurationError)
    assert error.code == "api_key_missing"
    text = str(error)
    assert "HOPX_API_KEY" in text
    assert os.getcwd() in text, "the .env search start directory"
    assert str(isolated.config_file) in text, "the config file path"
    assert "[profiles.default]" in text, "says how to store the key"
    assert server.api_requests() == before, "nothing may be sent without a key"


def test_missing_key_on_create_too(server):
    before = server.api_requests()
    with pytest.raises(MissingApiKeyError):
        Sandbox.create("code-interpreter", base_url=server.url)
    assert server.api_requests() == before


def test_empty_key_argument_does_not_fall_through(server, monkeypatch):
    # Unlike the official SDK, api_key="" is an error, not "use the environment".
    from hopx_ai import InvalidApiKeyError

    monkeypatch.setenv("HOPX_API_KEY", server.key)
    with pytest.raises(InvalidApiKeyError) as caught:
        Sandbox.list_templates(api_key="", base_url=server.url)
    assert caught.value.code == "api_key_empty"
