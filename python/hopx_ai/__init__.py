"""HopX sandboxes: isolated cloud VMs where agents and apps run code.

A drop-in replacement for the official ``hopx-ai`` package, with a Rust core::

    from hopx_ai import Sandbox

    for template in Sandbox.list_templates():
        print(template.name, template.language)
    with Sandbox.create(template="code-interpreter") as sandbox:  # killed when the block ends
        print(sandbox.get_info().status)
        result = sandbox.run_code("print(6 * 7)")
        print(result.stdout, result.success)
        sandbox.files.write("/workspace/data.txt", "hello")
        print(sandbox.commands.run("wc -c data.txt").stdout)
        sandbox.env.set("MODE", "test")
    for sandbox in Sandbox.iter(status="running"):  # every page, fetched as needed
        print(sandbox.sandbox_id)

``AsyncSandbox`` has the same methods as coroutines (``async with AsyncSandbox.create(...)
as sandbox:``, ``async for sandbox in AsyncSandbox.iter():``,
``await sandbox.files.read(...)``). Only a sandbox made by ``create()`` is killed at the end
of a ``with`` block; one from ``connect()``, ``list()``, ``iter()`` or
``Sandbox(sandbox_id)`` is left running. The API key comes from ``api_key=``,
else ``HOPX_API_KEY``, else the nearest ``.env`` file, else ``~/.hopx/config.toml``
(see the README for its format). Errors are in :mod:`hopx_ai.errors`.

Retries and timeouts are set per call or per client with the connection keywords
(``max_retries``, ``request_timeout``, ``deadline``; also ``proxy``, ``ca_bundle``, ``http2``)
and per sandbox handle with ``sandbox.with_options(...)``. Requests, retries and risky
settings are logged to the standard :mod:`logging` logger ``"hopx_ai"`` (DEBUG, INFO and
WARNING), never with keys, tokens, headers, bodies or env var values.
"""

from . import _native
from ._native import (
    AsyncCommands,
    AsyncEnvironmentVariables,
    AsyncFiles,
    AsyncSandbox,
    BackgroundExecution,
    CommandResult,
    Commands,
    EnvironmentVariables,
    ExecutionResult,
    ExpiryInfo,
    FileInfo,
    Files,
    ProcessInfo,
    Resources,
    RichOutput,
    Sandbox,
    SandboxInfo,
    SandboxTemplate,
    TemplateResources,
)
from . import errors
from .errors import *  # noqa: F403  (the official package exports every error class here)

__version__: str = _native.__version__

__all__ = [
    "__version__",
    "Sandbox",
    "AsyncSandbox",
    "SandboxInfo",
    "SandboxTemplate",
    "TemplateResources",
    "Resources",
    "ExpiryInfo",
    "ExecutionResult",
    "RichOutput",
    "CommandResult",
    "FileInfo",
    "BackgroundExecution",
    "ProcessInfo",
    "Files",
    "Commands",
    "EnvironmentVariables",
    "AsyncFiles",
    "AsyncCommands",
    "AsyncEnvironmentVariables",
]
__all__ += errors.__all__
