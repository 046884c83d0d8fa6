"""The `hopx` command of the Python package: the console script calls the Rust CLI in the
native module. `hopx auth login` stores a key that a Python program then uses with no
environment variable set; hidden input on a pseudo-terminal; Ctrl-C; exit statuses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import random_key, secret_of

import hopx_ai
from hopx_ai import _native


def _hopx_command() -> list:
    """The installed console script (next to this interpreter)."""
    script = shutil.which("hopx", path=str(Path(sys.executable).parent))
    assert script, "the hopx console script is not installed next to " + sys.executable
    return [script]


def _clean_env(isolated, **extra: str) -> dict:
    """This process's environment without any HOPX_* variable and without HOPX_CONFIG_DIR,
    so the config file is the default one, ~/.hopx/config.toml, in the isolated HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOPX_")}
    env["HOME"] = str(isolated.home)
    env.update(extra)
    return env


def _hopx(isolated, *args: str, input: str | None = None, env: dict | None = None):
    return subprocess.run(
        [*_hopx_command(), *args],
        input=input,
        capture_output=True,
        text=True,
        env=env if env is not None else _clean_env(isolated),
        cwd=str(isolated.work),
        timeout=60,
    )


def test_console_script_runs_the_native_cli(isolated):
    result = _hopx(isolated, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hopx {hopx_ai.__version__}"
    result = _hopx(isolated, "config", "path", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["config_path"] == str(isolated.home / ".hopx" / "config.toml")
    # `python -m hopx_ai._cli` is the same command.
    result = subprocess.run(
        [sys.executable, "-m", "hopx_ai._cli", "--version"],
        capture_output=True,
        text=True,
        env=_clean_env(isolated),
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.startswith("hopx "), result.stderr


def test_login_then_a_python_program_uses_the_stored_key(server, isolated):
    result = _hopx(
        isolated,
        "auth", "login", "--base-url", server.url, "-o", "json",
        input=server.key + "\n",
    )
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["verified"] is True and view["profile"] == "default"
    assert secret_of(server.key) not in result.stdout + result.stderr

    config = isolated.home / ".hopx" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700

    program = textwrap.dedent(
        """
        import os
        from hopx_ai import Sandbox
        assert not any(k.startswith("HOPX_") for k in os.environ), sorted(os.environ)
        templates = Sandbox.list_templates()
        sandbox = Sandbox.create(template="base")
        print(len(templates), sandbox.get_info().status)
        sandbox.kill()
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=_clean_env(isolated),
        cwd=str(isolated.work),
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    count, status = run.stdout.split()
    assert int(count) > 0 and status == "running"

    status_run = _hopx(isolated, "auth", "status", "-o", "json")
    assert status_run.returncode == 0, status_run.stderr
    status_view = json.loads(status_run.stdout)
    assert status_view["api_key_source"]["kind"] == "config_file"
    assert status_view["verified"] is True


def test_exit_statuses_and_json_errors(server, isolated):
    env = _clean_env(isolated, HOPX_API_KEY=server.key, HOPX_BASE_URL=server.url)
    result = _hopx(isolated, "sandbox", "info", "nope", "-o", "json", env=env)
    assert result.returncode == 4
    assert json.loads(result.stderr)["error"]["code"] == "not_found"
    assert result.stdout == ""
    assert _hopx(isolated, "--bogus", env=env).returncode == 2
    result = _hopx(isolated, "template", "list", "-o", "json", env=_clean_env(isolated))
    assert result.returncode == 3
    assert json.loads(result.stderr)["error"]["code"] == "api_key_missing"


def test_run_cli_writes_to_the_real_stdout(isolated, capfd):
    status = _native.run_cli(["hopx", "config", "path"])
    assert status == 0
    out, _ = capfd.readouterr()
    assert out.strip() == str(isolated.config_file)
    assert _native.run_cli(["hopx", "config", "get", "base_url"]) == 4


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_login_hides_the_key_on_a_terminal(server, isolated):
    import pty

    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [*_hopx_command(), "auth", "login", "--base-url", server.url],
            stdin=slave,
            stderr=slave,
            stdout=subprocess.PIPE,
            env=_clean_env(isolated),
            cwd=str(isolated.work),
        )
        os.close(slave)
        slave = -1
        shown = b""
        deadline = time.monotonic() + 30
        while b"API key: " not in shown:
            assert time.monotonic() < deadline, shown
            shown += os.read(master, 4096)
        os.write(master, server.key.encode() + b"\r")
        stdout, _ = process.communicate(timeout=60)
        # Whatever else the terminal showed, until the child closed it.
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert process.returncode == 0, shown
    assert secret_of(server.key).encode() not in shown, shown
    assert b"logged in" in stdout
    assert server.key in (isolated.home / ".hopx" / "config.toml").read_text()


def test_ctrl_c_stops_the_command(isolated):
    import socket

    # A server that accepts and never answers: the command waits until interrupted.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    url = "http://127.0.0.1:%d" % listener.getsockname()[1]
    try:
        process = subprocess.Popen(
            [*_hopx_command(), "sandbox", "create", "-t", "base", "--base-url", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_clean_env(isolated, HOPX_API_KEY=random_key()),
        )
        time.sleep(1.0)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
        assert time.monotonic() - started < 10
        assert process.returncode == -signal.SIGINT
    finally:
        listener.close()
