"""Type stubs for the native core (``hopx_ai._native``). Import the names from ``hopx_ai``."""

import builtins
import datetime
from types import TracebackType
from typing import Any, Dict, Generator, List, Optional, Type, Union, final

__all__ = [
    "AsyncSandbox",
    "_AsyncSandboxContextManager",
    "AsyncSandboxIterator",
    "ExpiryInfo",
    "Resources",
    "SandboxInfo",
    "SandboxTemplate",
    "TemplateResources",
    "Sandbox",
    "SandboxIterator",
    "_error_classes",
    "__version__",
]

__version__: str

def _error_classes() -> Dict[str, str]:
    """``{error code: exception class name}`` for every code the core can raise."""

@final
class Resources:
    """CPU, memory and disk of a running sandbox."""

    @property
    def vcpu(self) -> Optional[int]: ...
    @property
    def memory_mb(self) -> Optional[int]: ...
    @property
    def disk_mb(self) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, Optional[int]]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TemplateResources:
    """CPU, memory and disk of a template."""

    @property
    def vcpu(self) -> Optional[int]: ...
    @property
    def memory_mb(self) -> Optional[int]: ...
    @property
    def disk_gb(self) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, Optional[int]]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class SandboxInfo:
    """What the control plane says about a sandbox. Missing attributes are ``None``."""

    @property
    def sandbox_id(self) -> Optional[str]: ...
    @property
    def template_id(self) -> Optional[str]: ...
    @property
    def template_name(self) -> Optional[str]: ...
    @property
    def organization_id(self) -> Optional[int]: ...
    @property
    def node_id(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def public_host(self) -> Optional[str]: ...
    @property
    def direct_url(self) -> Optional[str]: ...
    @property
    def preview_url(self) -> Optional[str]: ...
    @property
    def resources(self) -> Optional[Resources]: ...
    @property
    def internet_access(self) -> Optional[bool]: ...
    @property
    def live_mode(self) -> Optional[bool]: ...
    @property
    def timeout_seconds(self) -> Optional[int]: ...
    @property
    def expires_at(self) -> Optional[datetime.datetime]:
        """Aware UTC datetime; ``None`` when the sandbox never expires."""
    @property
    def created_at(self) -> Optional[datetime.datetime]: ...
    @property
    def end_at(self) -> Optional[datetime.datetime]:
        """Same as ``expires_at``."""
    @property
    def started_at(self) -> None:
        """Always ``None`` (kept for compatibility with the official SDK)."""
    def to_dict(self) -> Dict[str, object]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class SandboxTemplate:
    """A template sandboxes can be created from. Missing attributes are ``None``."""

    @property
    def id(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def display_name(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def category(self) -> Optional[str]: ...
    @property
    def language(self) -> Optional[str]: ...
    @property
    def icon(self) -> Optional[str]: ...
    @property
    def default_resources(self) -> Optional[TemplateResources]: ...
    @property
    def min_resources(self) -> Optional[TemplateResources]: ...
    @property
    def max_resources(self) -> Optional[TemplateResources]: ...
    @property
    def features(self) -> List[str]: ...
    @property
    def tags(self) -> List[str]: ...
    @property
    def popularity_score(self) -> Optional[int]: ...
    @property
    def docs_url(self) -> Optional[str]: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_public(self) -> Optional[bool]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def build_id(self) -> Optional[str]: ...
    @property
    def organization_id(self) -> Optional[str]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def updated_at(self) -> Optional[str]: ...
    @property
    def object(self) -> Optional[str]: ...
    @property
    def request_id(self) -> Optional[str]: ...
    # `object` is an attribute name here, so the builtin is spelled out.
    def to_dict(self) -> Dict[str, builtins.object]: ...
    def __eq__(self, other: builtins.object, /) -> bool: ...

@final
class ExpiryInfo:
    """A sandbox's expiry at the moment it was asked (``get_expiry_info()``).

    Expired from the instant ``expires_at`` is reached; "expiring soon" means not expired and
    at most the threshold left.
    """

    @property
    def expires_at(self) -> Optional[datetime.datetime]:
        """When it will be killed (aware UTC datetime); ``None`` without a timeout."""
    @property
    def time_to_expiry(self) -> Optional[int]:
        """Whole seconds left, rounded down (negative once past); ``None`` without a timeout."""
    @property
    def is_expired(self) -> bool:
        """The expiry time has been reached."""
    @property
    def is_expiring_soon(self) -> bool:
        """Not expired, and at most the threshold is left."""
    @property
    def has_timeout(self) -> bool:
        """It has a timeout at all."""
    def to_dict(self) -> Dict[str, object]:
        """The attributes as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Sandbox:
    """A HopX sandbox: an isolated cloud VM. Every method blocks (without holding the GIL)
    until the server answers.

    Get one with ``Sandbox.create(...)`` (a new sandbox), ``Sandbox.connect(id)`` (an existing
    one, resumed if paused), ``Sandbox.list()`` / ``Sandbox.iter()``, or ``Sandbox(id)`` (a
    handle by id, no request).

    ``with Sandbox.create(...) as sbx:`` kills the sandbox when the block ends; a sandbox
    from ``connect``, ``list``, ``iter`` or ``Sandbox(id)`` is left running. If the kill fails
    while the block is raising, the failure is logged (warning, logger ``"hopx_ai"``) and the
    block's exception propagates; if the block did not raise, the failure is raised.

    Connection keywords (every static method and the constructor): ``api_key`` (else
    ``HOPX_API_KEY``, the nearest ``.env``, ``~/.hopx/config.toml``), ``base_url`` (else
    ``HOPX_BASE_URL``, the config file, https://api.hopx.dev), ``auth_header`` (``"bearer"``
    or ``"x-api-key"``), ``validate_api_key`` (``False`` skips the key format check) and
    ``request_timeout`` (HTTP timeout in seconds).
    """

    def __new__(
        cls,
        sandbox_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "Sandbox":
        """A handle on an existing sandbox by id. Makes no request: raises at once on an
        invalid id or a missing/invalid API key. Leaving a ``with`` block does not kill it."""
    @staticmethod
    def create(
        template: Optional[str] = None,
        *,
        template_id: Optional[Union[int, str]] = None,
        region: Optional[str] = None,
        timeout_seconds: Optional[int] = None,
        internet_access: Optional[bool] = None,
        env_vars: Optional[Dict[str, str]] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "Sandbox":
        """Creates a sandbox from a template (``template`` name, or ``template_id``, which wins).

        One ``POST /v1/sandboxes``, never sent twice. An unknown template raises
        ``TemplateNotFoundError`` with ``.suggested_template``. ``timeout_seconds`` is the
        sandbox's lifetime. ``with Sandbox.create(...) as sbx:`` kills it when the block ends.
        """
    @staticmethod
    def connect(
        sandbox_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "Sandbox":
        """Attaches to an existing sandbox: fetches its info, resumes it if paused and gets a
        fresh agent token. A stopped sandbox raises ``ConflictError`` (the hint says how to
        start it). Leaving a ``with`` block does not kill a connected sandbox."""
    @staticmethod
    def list(
        *,
        status: Optional[str] = None,
        region: Optional[str] = None,
        limit: Optional[int] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> List["Sandbox"]:
        """One page of the organization's sandboxes, as ``Sandbox`` objects carrying their
        info (no request per sandbox). ``status``: running, stopped, paused or creating;
        ``limit``: 1 to 100 (default 100). ``Sandbox.iter()`` goes through every page.
        Leaving a ``with`` block does not kill a listed sandbox."""
    @staticmethod
    def iter(
        *,
        status: Optional[str] = None,
        region: Optional[str] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "SandboxIterator":
        """Every sandbox of the organization, lazily: a page is fetched only when needed.
        The filters are checked at once. A server that says more pages follow without a
        usable cursor raises ``ResponseDecodeError`` instead of looping. Leaving a ``with``
        block does not kill an iterated sandbox."""
    @staticmethod
    def list_templates(
        *,
        category: Optional[str] = None,
        language: Optional[str] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> List[SandboxTemplate]:
        """Lists the templates sandboxes can be created from."""
    @staticmethod
    def get_template(
        name: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> SandboxTemplate:
        """One template by name or id. An unknown one raises ``TemplateNotFoundError`` with
        ``.suggested_template`` (the closest name, or ``None``)."""
    @staticmethod
    def delete_template(
        template_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> None:
        """Deletes one of the organization's own templates. A built-in public template raises
        ``PermissionDeniedError``; an unknown one ``NotFoundError``."""
    @staticmethod
    def health_check(
        *, base_url: Optional[str] = None, request_timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """``GET /health`` as a dict. Needs no API key; ``request_timeout`` defaults to 10 s."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    def get_info(self) -> SandboxInfo:
        """Fetches the sandbox's current state (``repr()`` shows it from then on)."""
    def kill(self) -> None:
        """Deletes the sandbox: its processes and files are gone."""
    def pause(self) -> None:
        """Pauses a running sandbox (``ConflictError`` if it is not running)."""
    def resume(self) -> None:
        """Resumes a paused sandbox (``ConflictError`` if it is not paused)."""
    def set_timeout(self, seconds: int) -> None:
        """Sets the lifetime: the sandbox is killed ``seconds`` from now (must be positive,
        else ``InvalidArgumentError`` and nothing is sent)."""
    def refresh_token(self) -> None:
        """Gets a new agent token and keeps it; the token is never returned or shown."""
    def get_time_to_expiry(self) -> Optional[int]:
        """Seconds until the sandbox is killed (negative once past), from a fresh
        ``get_info()``; ``None`` when it has no timeout."""
    def is_expiring_soon(self, threshold_seconds: Optional[float] = None) -> bool:
        """Whether at most ``threshold_seconds`` (default 300) are left, from a fresh
        ``get_info()``. False without a timeout and once expired."""
    def get_expiry_info(self, expiring_soon_threshold: Optional[float] = None) -> ExpiryInfo:
        """The sandbox's expiry from one fresh ``get_info()``; the threshold (seconds,
        default 300) decides ``is_expiring_soon``."""
    def __enter__(self) -> "Sandbox":
        """Returns the sandbox itself."""
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        """Kills the sandbox if ``create()`` made it (one already gone counts as done); leaves
        any other alone. A failed kill is logged when the block is raising, else raised."""

@final
class SandboxIterator:
    """What ``Sandbox.iter()`` returns: yields ``Sandbox`` objects, fetching a page only when
    the previous one is used up. Finished after an error."""

    def __iter__(self) -> "SandboxIterator":
        """Returns the iterator itself."""
    def __next__(self) -> Sandbox:
        """The next sandbox; blocks (without the GIL) while a page is fetched."""

@final
class AsyncSandbox:
    """The asyncio version of ``Sandbox``: the same methods, as coroutines.

    ``sbx = await AsyncSandbox.create(...)``; ``async with AsyncSandbox.create(...) as sbx:``
    (or ``async with await AsyncSandbox.create(...) as sbx:``) kills the sandbox when the
    block ends. A sandbox from ``connect``, ``list``, ``iter`` or ``AsyncSandbox(id)`` is left
    running. A failed kill is logged (warning, logger ``"hopx_ai"``) while the block raises,
    else raised. Connection keywords as for ``Sandbox``.
    """

    def __new__(
        cls,
        sandbox_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "AsyncSandbox":
        """A handle on an existing sandbox by id. Makes no request: raises at once on an
        invalid id or a missing/invalid API key. ``async with`` does not kill it."""
    @staticmethod
    def create(
        template: Optional[str] = None,
        *,
        template_id: Optional[Union[int, str]] = None,
        region: Optional[str] = None,
        timeout_seconds: Optional[int] = None,
        internet_access: Optional[bool] = None,
        env_vars: Optional[Dict[str, str]] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "_AsyncSandboxContextManager":
        """Creates a sandbox from a template. Arguments as for ``Sandbox.create``.

        Returns an object that is awaitable (``sbx = await AsyncSandbox.create(...)``) and an
        async context manager (``async with AsyncSandbox.create(...) as sbx:``, which kills the
        sandbox when the block ends). Nothing is sent before it is awaited or entered; single
        use.
        """
    @staticmethod
    async def connect(
        sandbox_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "AsyncSandbox":
        """Attaches to an existing sandbox: fetches its info, resumes it if paused and gets a
        fresh agent token; a stopped sandbox raises ``ConflictError``. ``async with`` does not
        kill a connected sandbox."""
    @staticmethod
    async def list(
        *,
        status: Optional[str] = None,
        region: Optional[str] = None,
        limit: Optional[int] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> List["AsyncSandbox"]:
        """One page of the organization's sandboxes (``limit`` 1 to 100, default 100), as
        ``AsyncSandbox`` objects carrying their info."""
    @staticmethod
    def iter(
        *,
        status: Optional[str] = None,
        region: Optional[str] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> "AsyncSandboxIterator":
        """Every sandbox as an async iterator (``async for sbx in AsyncSandbox.iter():``),
        fetching a page only when needed. Not a coroutine: the filters are checked at once."""
    @staticmethod
    async def list_templates(
        *,
        category: Optional[str] = None,
        language: Optional[str] = None,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> List[SandboxTemplate]:
        """Lists the templates (coroutine)."""
    @staticmethod
    async def get_template(
        name: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> SandboxTemplate:
        """One template by name or id (coroutine). As ``Sandbox.get_template``."""
    @staticmethod
    async def delete_template(
        template_id: str,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        auth_header: Optional[str] = None,
        validate_api_key: Optional[bool] = None,
        request_timeout: Optional[float] = None,
    ) -> None:
        """Deletes one of the organization's own templates (coroutine)."""
    @staticmethod
    async def health_check(
        *, base_url: Optional[str] = None, request_timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """``GET /health`` as a dict (coroutine). Needs no API key."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    async def get_info(self) -> SandboxInfo:
        """Fetches the sandbox's current state (coroutine)."""
    async def kill(self) -> None:
        """Deletes the sandbox (coroutine)."""
    async def pause(self) -> None:
        """Pauses a running sandbox (coroutine)."""
    async def resume(self) -> None:
        """Resumes a paused sandbox (coroutine)."""
    async def set_timeout(self, seconds: int) -> None:
        """Sets the lifetime to ``seconds`` from now (coroutine; must be positive)."""
    async def refresh_token(self) -> None:
        """Gets a new agent token and keeps it (coroutine); it is never returned."""
    async def get_time_to_expiry(self) -> Optional[int]:
        """Seconds until the sandbox is killed (coroutine; ``None`` without a timeout)."""
    async def is_expiring_soon(self, threshold_seconds: Optional[float] = None) -> bool:
        """Whether at most ``threshold_seconds`` (default 300) are left (coroutine)."""
    async def get_expiry_info(
        self, expiring_soon_threshold: Optional[float] = None
    ) -> ExpiryInfo:
        """The sandbox's expiry from one fresh ``get_info()`` (coroutine)."""
    async def __aenter__(self) -> "AsyncSandbox":
        """Returns the sandbox itself."""
    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        """Kills the sandbox if ``create()`` made it; leaves any other alone. A failed kill is
        logged when the block is raising, else raised."""

@final
class _AsyncSandboxContextManager:
    """What ``AsyncSandbox.create(...)`` returns: ``await`` it for the sandbox, or use it in
    ``async with`` to have the sandbox killed when the block ends. Single use."""

    def __await__(self) -> Generator[Any, Any, AsyncSandbox]:
        """Creates the sandbox and returns it."""
    async def __aenter__(self) -> AsyncSandbox:
        """Creates the sandbox and returns it; the end of the block kills it."""
    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        """Kills the sandbox ``__aenter__`` made. A failed kill is logged when the block is
        raising, else raised."""

@final
class AsyncSandboxIterator:
    """What ``AsyncSandbox.iter()`` returns: ``async for`` yields ``AsyncSandbox`` objects,
    fetching a page only when the previous one is used up. Finished after an error."""

    def __aiter__(self) -> "AsyncSandboxIterator":
        """Returns the iterator itself."""
    async def __anext__(self) -> AsyncSandbox:
        """The next sandbox; raises ``StopAsyncIteration`` at the end."""
