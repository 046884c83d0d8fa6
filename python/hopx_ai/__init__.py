"""HopX sandboxes: isolated cloud VMs where agents and apps run code.

A drop-in replacement for the official ``hopx-ai`` package, with a Rust core::

    from hopx_ai import Sandbox

    for template in Sandbox.list_templates():
        print(template.name, template.language)
    sandbox = Sandbox.create(template="code-interpreter")
    print(sandbox.get_info().status)

``AsyncSandbox`` has the same methods as coroutines. The API key comes from ``api_key=``,
else ``HOPX_API_KEY``, else the nearest ``.env`` file, else ``~/.hopx/config.toml``
(see the README for its format). Errors are in :mod:`hopx_ai.errors`.
"""

from . import _native
from ._native import (
    AsyncSandbox,
    Resources,
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
]
__all__ += errors.__all__
