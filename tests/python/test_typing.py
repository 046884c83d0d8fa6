"""The type stubs: `mypy --strict` accepts the package and typical user code, and `stubtest`
finds the stubs in line with the compiled module. Skipped when mypy is not installed (it is
not a test dependency)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "hopx_ai"

USAGE = '''
import asyncio
import datetime
from typing import Any, Dict, Iterator, List, Optional

from pathlib import Path

from hopx_ai import (
    AsyncSandbox,
    BackgroundExecution,
    CommandResult,
    ExecutionResult,
    ExpiryInfo,
    FileInfo,
    ProcessInfo,
    RichOutput,
    Sandbox,
    SandboxInfo,
    SandboxTemplate,
)
from hopx_ai.errors import (
    CodeExecutionError,
    ConflictError,
    FileNotFoundError,
    HopxError,
    TemplateNotFoundError,
)


def blocking() -> None:
    with Sandbox.create("code-interpreter", timeout_seconds=600) as sbx:
        info: SandboxInfo = sbx.get_info()
        sbx.pause()
        sbx.resume()
        sbx.set_timeout(60)
        sbx.refresh_token()
        left: Optional[int] = sbx.get_time_to_expiry()
        soon: bool = sbx.is_expiring_soon(threshold_seconds=120)
        expiry: ExpiryInfo = sbx.get_expiry_info(expiring_soon_threshold=30)
        when: Optional[datetime.datetime] = expiry.expires_at
    handle = Sandbox("sbx-1", api_key="hopx_live_abcdefghijkl.s")
    connected: Sandbox = Sandbox.connect(handle.sandbox_id)
    listed: List[Sandbox] = Sandbox.list(status="running", limit=10)
    every: Iterator[Sandbox] = Sandbox.iter(region="us-east")
    template: SandboxTemplate = Sandbox.get_template("base")
    Sandbox.delete_template("tpl-1")
    health: Dict[str, Any] = Sandbox.health_check(base_url="http://127.0.0.1:8787")
    try:
        Sandbox.create("code-interpretr")
    except TemplateNotFoundError as error:
        suggestion: Optional[str] = error.suggested_template
    except ConflictError:
        pass


def data_plane(sbx: Sandbox) -> None:
    result: ExecutionResult = sbx.run_code("print(1)", timeout=30, env={"A": "1"})
    ok: bool = result.success and result.has_rich_output
    outputs: List[RichOutput] = result.rich_outputs
    kind: str = outputs[0].type
    png: Optional[str] = result.png
    seconds: Optional[float] = result.execution_time
    sbx.run_code("1", language="bash", timeout_seconds=5, working_dir="/tmp", preflight=True)
    started: BackgroundExecution = sbx.run_code_background("1", name="job")
    pid: str = started.process_id
    same: Any = started["process_id"]
    processes: List[ProcessInfo] = sbx.list_processes()
    sbx.kill_process(pid)
    command: CommandResult = sbx.commands.run("ls | wc -l", timeout=10, env={"B": "2"})
    background_id: Optional[str] = sbx.commands.run("sleep 9", background=True).process_id
    text: str = sbx.files.read("/workspace/a.txt")
    data: bytes = sbx.files.read_bytes("/workspace/a.bin")
    sbx.files.write("/workspace/a.txt", "text", mode="0600")
    sbx.files.write("/workspace/a.bin", b"bytes")
    sbx.files.write_bytes("/workspace/b.bin", bytearray(b"x"))
    entries: List[FileInfo] = sbx.files.list()
    size: Optional[float] = entries[0].size_kb
    there: bool = sbx.files.exists("/workspace/a.txt")
    sbx.files.upload(Path("local.txt"), "/workspace/local.txt")
    sbx.files.download("/workspace/local.txt", "copy.txt")
    sbx.files.mkdir("/workspace/d")
    sbx.files.remove("/workspace/d")
    variables: Dict[str, str] = sbx.env.get_all()
    maybe: Optional[str] = sbx.env.get("A")
    surely: str = sbx.env.get("A", "default")
    sbx.env.set("A", "1")
    sbx.env.update({"A": "1"})
    sbx.env.set_all({"A": "1"})
    sbx.env.delete("A")
    sbx.env.clear()
    try:
        sbx.files.read("/missing")
    except FileNotFoundError:
        pass
    except CodeExecutionError:
        pass


async def async_data_plane(sbx: AsyncSandbox) -> None:
    result: ExecutionResult = await sbx.run_code("print(1)", timeout_seconds=30)
    command: CommandResult = await sbx.commands.run("ls", timeout_seconds=10)
    data: bytes = await sbx.files.read_bytes("/workspace/a.bin")
    await sbx.files.upload("local.txt", "/workspace/local.txt")
    maybe: Optional[str] = await sbx.env.get("A")
    surely: str = await sbx.env.get("A", "default")
    processes: List[ProcessInfo] = await sbx.list_processes()


def network_options(sbx: Sandbox, asbx: AsyncSandbox) -> None:
    Sandbox.list_templates(max_retries=0, deadline=30.0, proxy="http://127.0.0.1:3128",
                           ca_bundle=Path("ca.pem"), http2=False)
    Sandbox.create("base", request_timeout=5, max_retries=2, ca_bundle="ca.pem")
    Sandbox("sbx-1", timeout=60, max_retries=3)
    AsyncSandbox("sbx-1", timeout=60.0, deadline=120, http2=True)
    Sandbox.health_check(max_retries=1, deadline=5, proxy=None)
    quick: Sandbox = sbx.with_options(request_timeout=5, max_retries=0, deadline=20)
    also: Sandbox = sbx.with_options(timeout=5)
    aquick: AsyncSandbox = asbx.with_options(max_retries=1)
    text: str = quick.files.read("/workspace/a.txt", timeout=5)
    sbx.files.write("/workspace/a.txt", "x", "0600", timeout=1.5)
    sbx.files.upload("local.txt", "/workspace/local.txt", timeout=60)
    variables: Dict[str, str] = sbx.env.get_all(timeout=2)
    sbx.env.set("A", "1", timeout=2)
    try:
        sbx.get_info()
    except HopxError as error:
        sent: int = error.attempts
        maybe: bool = error.maybe_processed
        kind: Optional[str] = error.timeout_kind


async def async_network_options(sbx: AsyncSandbox) -> None:
    data: bytes = await sbx.files.read_bytes("/workspace/a.bin", timeout=3)
    await sbx.env.delete("A", timeout=3)
    await sbx.with_options(deadline=10).kill()


async def concurrent() -> None:
    async with AsyncSandbox.create("code-interpreter") as sbx:
        info: SandboxInfo = await sbx.get_info()
        expiry: ExpiryInfo = await sbx.get_expiry_info()
    async with await AsyncSandbox.create("base") as other:
        await other.kill()
    created: AsyncSandbox = await AsyncSandbox.create("base")
    both: List[AsyncSandbox] = list(
        await asyncio.gather(AsyncSandbox.create("base"), AsyncSandbox.create("base"))
    )
    async for listed in AsyncSandbox.iter(status="paused"):
        await listed.resume()
    page: List[AsyncSandbox] = await AsyncSandbox.list(limit=5)
    connected: AsyncSandbox = await AsyncSandbox.connect(created.sandbox_id)
    health: Dict[str, Any] = await AsyncSandbox.health_check()
    AsyncSandbox("sbx-1")
'''


def _mypy(*args: str) -> str:
    stdout, stderr, status = mypy_api.run(["--strict", "--no-error-summary", *args])
    assert status == 0, stdout + stderr
    return stdout


def test_package_is_strict_clean(tmp_path):
    _mypy("--cache-dir", str(tmp_path / "cache"), str(PACKAGE))


def test_typical_code_type_checks(tmp_path):
    usage = tmp_path / "usage.py"
    usage.write_text(textwrap.dedent(USAGE), encoding="utf-8")
    _mypy("--cache-dir", str(tmp_path / "cache"), str(usage))


def test_wrong_use_is_caught(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from hopx_ai import Sandbox\n"
        "Sandbox.create('base').set_timeout('60')\n"
        "x: int = Sandbox.list()\n"
        "y: str = Sandbox('s').files.read_bytes('/a')\n"
        "Sandbox('s').with_options(max_retries='3')\n"
        "Sandbox('s').files.read('/a', 5)\n",
        encoding="utf-8",
    )
    stdout, _, status = mypy_api.run(
        ["--strict", "--cache-dir", str(tmp_path / "cache"), str(wrong)]
    )
    assert status == 1
    assert "set_timeout" in stdout and "List[Sandbox]" in stdout.replace("list[", "List[")
    assert '"bytes", variable has type "str"' in stdout
    assert '"with_options" of "Sandbox" has incompatible type "str"' in stdout
    assert 'Too many positional arguments for "read"' in stdout


def test_stubs_match_the_compiled_module(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "hopx_ai._native"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
