"""Type stubs for the native core (``hopx_ai._native``). Import the names from ``hopx_ai``."""

import builtins
import datetime
import os
from types import TracebackType
from typing import Any, Dict, Generator, List, Optional, Type, TypeVar, Union, final, overload

__all__ = [
    "AsyncCommands",
    "AsyncEnvironmentVariables",
    "AsyncFiles",
    "AsyncSandbox",
    "_AsyncSandboxContextManager",
    "AsyncSandboxIterator",
    "BackgroundExecution",
    "CommandResult",
    "Commands",
    "EnvironmentVariables",
    "ExecutionResult",
    "ExpiryInfo",
    "FileInfo",
    "Files",
    "ProcessInfo",
    "Resources",
    "RichOutput",
    "SandboxInfo",
    "SandboxTemplate",
    "TemplateResources",
    "Sandbox",
    "SandboxIterator",
    "_error_classes",
    "_stop_logging",
    "_sync_log_level",
    "run_cli",
    "__version__",
]

__version__: str

_T = TypeVar("_T")
_FileContent = Union[str, bytes, bytearray, memoryview]
_Bytes = Union[bytes, bytearray, memoryview]
_LocalPath = Union[str, "os.PathLike[str]"]

def _error_classes() -> Dict[str, str]:
    """``{error code: exception class name}`` for every code the core can raise."""

def _sync_log_level() -> None:
    """Copies the ``hopx_ai`` logger's effective level to the core now (every SDK call does
    this itself)."""

def _stop_logging() -> None:
    """Stops forwarding the core's log records to ``logging`` (run at interpreter exit)."""

def run_cli(argv: List[str]) -> int:
    """Runs the ``hopx`` command line (``argv[0]`` is the program name) on the real stdin,
    stdout and stderr, and returns its exit status."""

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
class RichOutput:
    """One rich output of an execution: a plot, an HTML table, a JSON value..."""

    @property
    def type(self) -> str:
        """The MIME type: ``image/png``, ``image/svg+xml``, ``text/html``, ``text/markdown``,
        ``application/json``, ``application/vnd.dataframe+json`` or ``text/plain``."""
    @property
    def data(self) -> Any:
        """The content as sent: base64 text for PNG, text for SVG/HTML/Markdown/plain text,
        the decoded JSON value for JSON and dataframes."""
    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class ExecutionResult:
    """What ``run_code()`` returned. An exception in the code is ``success=False`` with the
    traceback in ``stderr``, not an error. ``repr()`` shows sizes, never the output."""

    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def execution_time(self) -> Optional[float]:
        """Seconds it ran, as the agent measured (``None`` when it did not say)."""
    @property
    def success(self) -> bool: ...
    @property
    def language(self) -> Optional[str]: ...
    @property
    def timestamp(self) -> Optional[str]: ...
    @property
    def rich_outputs(self) -> List[RichOutput]:
        """Every rich output, in the order PNG, SVG, HTML, Markdown, JSON, dataframe,
        result."""
    @property
    def rich_count(self) -> int:
        """How many rich outputs there are."""
    @property
    def has_rich_output(self) -> bool:
        """Whether there is any rich output."""
    @property
    def png(self) -> Optional[str]:
        """The PNG image (base64 text), if the code produced one."""
    @property
    def svg(self) -> Optional[str]:
        """The SVG image, if any."""
    @property
    def html(self) -> Optional[str]:
        """The HTML output, if any."""
    @property
    def markdown(self) -> Optional[str]:
        """The Markdown output, if any."""
    @property
    def json_output(self) -> Any:
        """The JSON output (decoded), if any."""
    @property
    def result(self) -> Optional[str]:
        """The value of the last expression, when it differs from stdout."""
    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict (``rich_outputs`` as dicts too)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class CommandResult:
    """What ``commands.run()`` returned. A non-zero exit is ``success=False``, not an error.
    For ``background=True``, ``process_id`` names the running command and the output is
    empty. ``repr()`` shows sizes, never the output."""

    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def execution_time(self) -> Optional[float]: ...
    @property
    def success(self) -> bool: ...
    @property
    def command(self) -> Optional[str]: ...
    @property
    def pid(self) -> Optional[int]: ...
    @property
    def process_id(self) -> Optional[str]:
        """For a background command: the id to list or kill it by."""
    @property
    def is_success(self) -> bool:
        """Whether the exit code is 0."""
    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class FileInfo:
    """One entry of ``files.list()``. Attributes the agent did not send are ``None``."""

    @property
    def name(self) -> Optional[str]: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def size(self) -> Optional[int]: ...
    @property
    def is_directory(self) -> Optional[bool]: ...
    @property
    def modified_time(self) -> Optional[str]: ...
    @property
    def permissions(self) -> Optional[str]: ...
    @property
    def is_file(self) -> bool:
        """True when the agent said it is not a directory."""
    @property
    def is_dir(self) -> bool:
        """True when the agent said it is a directory."""
    @property
    def size_kb(self) -> Optional[float]:
        """The size in KiB (``None`` when unknown)."""
    @property
    def size_mb(self) -> Optional[float]:
        """The size in MiB (``None`` when unknown)."""
    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class BackgroundExecution:
    """What ``run_code_background()`` returned. Also readable as a dict
    (``result["process_id"]``, ``result.get("status")``)."""

    @property
    def process_id(self) -> str:
        """The id to find it by in ``list_processes()`` and kill it with ``kill_process()``."""
    @property
    def execution_id(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def start_time(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Optional[str]]:
        """The attributes as a dict."""
    def __getitem__(self, key: str, /) -> Any:
        """An attribute by name; ``KeyError`` for any other key."""
    def get(self, key: str, default: Any = None) -> Any:
        """An attribute by name, or ``default`` for any other key."""
    def __contains__(self, key: object, /) -> bool:
        """Whether ``key`` is one of the attribute names."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class ProcessInfo:
    """A background execution, from ``list_processes()``. Attributes the agent did not send
    are ``None``. Also readable as a dict (``p["status"]``, ``p.get("name")``)."""

    @property
    def process_id(self) -> Optional[str]: ...
    @property
    def execution_id(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]:
        """``running``, ``completed``, ``failed`` or ``killed``."""
    @property
    def language(self) -> Optional[str]: ...
    @property
    def start_time(self) -> Optional[str]: ...
    @property
    def end_time(self) -> Optional[str]: ...
    @property
    def exit_code(self) -> Optional[int]: ...
    @property
    def duration(self) -> Optional[float]: ...
    @property
    def pid(self) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict."""
    def __getitem__(self, key: str, /) -> Any:
        """An attribute by name; ``KeyError`` for any other key."""
    def get(self, key: str, default: Any = None) -> Any:
        """An attribute by name, or ``default`` for any other key."""
    def __contains__(self, key: object, /) -> bool:
        """Whether ``key`` is one of the attribute names."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class Files:
    """The sandbox's files (``sandbox.files``). ``read``/``write`` for text,
    ``read_bytes``/``write_bytes`` for exact bytes: no content is ever guessed to be base64.
    Every method blocks (without the GIL) until the agent answers; ``timeout`` (seconds) is
    the request timeout of that call only."""

    def read(self, path: str, *, timeout: Optional[float] = None) -> str:
        """A text file's contents; a missing file raises ``FileNotFoundError``."""
    def read_bytes(self, path: str, *, timeout: Optional[float] = None) -> bytes:
        """A file's exact bytes."""
    def write(
        self, path: str, content: _FileContent, mode: Optional[str] = None, *, timeout: Optional[float] = None
    ) -> None:
        """Writes a file (text, or bytes written exactly), creating parent directories.
        ``mode`` defaults to ``"0644"``."""
    def write_bytes(
        self, path: str, content: _Bytes, mode: Optional[str] = None, *, timeout: Optional[float] = None
    ) -> None:
        """Writes exact bytes, creating parent directories. ``mode`` defaults to ``"0644"``."""
    def list(self, path: Optional[str] = None, *, timeout: Optional[float] = None) -> List[FileInfo]:
        """The entries of a directory (default ``/workspace``)."""
    def exists(self, path: str, *, timeout: Optional[float] = None) -> bool:
        """Whether a file or directory exists. A failure to ask raises; never False."""
    def remove(self, path: str, *, timeout: Optional[float] = None) -> None:
        """Removes a file, or a directory with everything in it."""
    def mkdir(self, path: str, *, timeout: Optional[float] = None) -> None:
        """Creates a directory and its parents."""
    def upload(
        self, local_path: _LocalPath, remote_path: str, *, timeout: Optional[float] = None
    ) -> None:
        """Uploads a local file to ``remote_path``."""
    def download(
        self, remote_path: str, local_path: _LocalPath, *, timeout: Optional[float] = None
    ) -> None:
        """Downloads ``remote_path`` into a local file, exactly (replaced only once every byte
        arrived)."""

@final
class Commands:
    """Shell commands in the sandbox (``sandbox.commands``), run as ``bash -c``."""

    def run(
        self,
        command: str,
        *,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        background: bool = False,
        env: Optional[Dict[str, str]] = None,
        working_dir: Optional[str] = None,
    ) -> CommandResult:
        """Runs a shell command and waits for it (never sent twice). ``timeout`` or its alias
        ``timeout_seconds`` (seconds, default 120) kills it; ``env`` adds variables;
        ``working_dir`` defaults to ``/workspace``. ``background=True`` returns at once with
        ``process_id`` set."""

@final
class EnvironmentVariables:
    """The sandbox's environment variables (``sandbox.env``). Values are never printed.
    ``timeout`` (seconds) is the request timeout of that call only."""

    def get_all(self, *, timeout: Optional[float] = None) -> Dict[str, str]:
        """Every variable."""
    @overload
    def get(self, key: str, default: None = None) -> Optional[str]: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> Union[str, _T]:
        """One variable's value, or ``default`` when it is not set."""
    def set(self, key: str, value: str, *, timeout: Optional[float] = None) -> None:
        """Sets one variable, keeping the others."""
    def update(self, env_vars: Dict[str, str], *, timeout: Optional[float] = None) -> None:
        """Sets these variables, keeping the others (merge)."""
    def set_all(self, env_vars: Dict[str, str], *, timeout: Optional[float] = None) -> None:
        """Replaces every variable with these."""
    def delete(self, key: str, *, timeout: Optional[float] = None) -> None:
        """Deletes one variable, leaving the others untouched."""
    def clear(self) -> None:
        """Deletes every variable."""

@final
class AsyncFiles:
    """The sandbox's files (``sandbox.files`` of an ``AsyncSandbox``): the methods of
    ``Files``, as coroutines."""

    async def read(self, path: str, *, timeout: Optional[float] = None) -> str:
        """A text file's contents (coroutine)."""
    async def read_bytes(self, path: str, *, timeout: Optional[float] = None) -> bytes:
        """A file's exact bytes (coroutine)."""
    async def write(
        self, path: str, content: _FileContent, mode: Optional[str] = None, *, timeout: Optional[float] = None
    ) -> None:
        """Writes a file, text or exact bytes (coroutine)."""
    async def write_bytes(
        self, path: str, content: _Bytes, mode: Optional[str] = None, *, timeout: Optional[float] = None
    ) -> None:
        """Writes exact bytes (coroutine)."""
    async def list(self, path: Optional[str] = None, *, timeout: Optional[float] = None) -> List[FileInfo]:
        """The entries of a directory (coroutine; default ``/workspace``)."""
    async def exists(self, path: str, *, timeout: Optional[float] = None) -> bool:
        """Whether a file or directory exists (coroutine). A failure to ask raises."""
    async def remove(self, path: str, *, timeout: Optional[float] = None) -> None:
        """Removes a file or a directory tree (coroutine)."""
    async def mkdir(self, path: str, *, timeout: Optional[float] = None) -> None:
        """Creates a directory and its parents (coroutine)."""
    async def upload(
        self, local_path: _LocalPath, remote_path: str, *, timeout: Optional[float] = None
    ) -> None:
        """Uploads a local file (coroutine)."""
    async def download(
        self, remote_path: str, local_path: _LocalPath, *, timeout: Optional[float] = None
    ) -> None:
        """Downloads into a local file, exactly (coroutine)."""

@final
class AsyncCommands:
    """Shell commands in the sandbox (``sandbox.commands`` of an ``AsyncSandbox``)."""

    async def run(
        self,
        command: str,
        *,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        background: bool = False,
        env: Optional[Dict[str, str]] = None,
        working_dir: Optional[str] = None,
    ) -> CommandResult:
        """Runs a shell command (coroutine); arguments and result as for ``Commands.run``."""

@final
class AsyncEnvironmentVariables:
    """The sandbox's environment variables (``sandbox.env`` of an ``AsyncSandbox``), with
    coroutine methods. Values are never printed."""

    async def get_all(self, *, timeout: Optional[float] = None) -> Dict[str, str]:
        """Every variable (coroutine)."""
    @overload
    async def get(self, key: str, default: None = None) -> Optional[str]: ...
    @overload
    async def get(self, key: str, default: str) -> str: ...
    @overload
    async def get(self, key: str, default: _T) -> Union[str, _T]:
        """One variable's value, or ``default`` when it is not set (coroutine)."""
    async def set(self, key: str, value: str, *, timeout: Optional[float] = None) -> None:
        """Sets one variable (coroutine)."""
    async def update(self, env_vars: Dict[str, str], *, timeout: Optional[float] = None) -> None:
        """Sets these variables, keeping the others (coroutine)."""
    async def set_all(self, env_vars: Dict[str, str], *, timeout: Optional[float] = None) -> None:
        """Replaces every variable with these (coroutine)."""
    async def delete(self, key: str, *, timeout: Optional[float] = None) -> None:
        """Deletes one variable (coroutine)."""
    async def clear(self) -> None:
        """Deletes every variable (coroutine)."""

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
    or ``"x-api-key"``), ``validate_api_key`` (``False`` skips the key format check),
    ``request_timeout`` (seconds each attempt may take, default 60; the constructor also
    takes the official name ``timeout``), ``max_retries`` (how many times a failed request
    is sent again, 0 to 10, default 3; a POST that may have been carried out is never sent
    again), ``deadline`` (seconds the whole call may take, retries and waits included,
    default 300), ``proxy`` (a proxy URL; else ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``
    with ``NO_PROXY``), ``ca_bundle`` (a PEM file of extra CA certificates; else
    ``HOPX_CA_BUNDLE``, then ``SSL_CERT_FILE``) and ``http2`` (``False`` keeps to
    HTTP/1.1). They apply to that call (and, for the constructor, to the handle's calls);
    ``with_options()`` changes the retry and timeout settings of a handle.

    The SDK logs each request (DEBUG), each retry (INFO) and risky settings (WARNING) to the
    ``logging`` logger ``"hopx_ai"``, with the fields in ``record.hopx``; never keys,
    tokens, headers, bodies or env var values.
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
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
    ) -> None:
        """Deletes one of the organization's own templates. A built-in public template raises
        ``PermissionDeniedError``; an unknown one ``NotFoundError``."""
    @staticmethod
    def health_check(
        *,
        base_url: Optional[str] = None,
        request_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """``GET /health`` as a dict. Needs no API key; ``request_timeout`` defaults to 10 s."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    def with_options(
        self,
        *,
        request_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> "Sandbox":
        """This sandbox with other retry and timeout settings for every call made through the
        returned handle (its ``files``, ``commands`` and ``env`` included):
        ``request_timeout`` (or its official name ``timeout``; seconds, per attempt),
        ``max_retries`` (0 to 10) and ``deadline`` (seconds for the whole call, retries and
        waits included). ``None`` keeps this handle's setting; no request is made. Both
        handles share the sandbox's state, and leaving a ``with`` block on the new one kills
        the sandbox only when leaving it on this one would."""
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
    def run_code(
        self,
        code: str,
        *,
        language: Optional[str] = None,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        env: Optional[Dict[str, str]] = None,
        working_dir: Optional[str] = None,
        preflight: bool = False,
    ) -> ExecutionResult:
        """Runs code and waits for it (never sent twice). An exception in the code is
        ``success=False``, not an error; running past the timeout raises
        ``CodeExecutionError`` (code ``"execution_timeout"``). Ctrl-C interrupts the wait.

        ``language``: ``"python"`` (default), ``"javascript"``, ``"bash"``... ``timeout`` or
        its alias ``timeout_seconds`` (seconds, default 120) kills the code. ``env`` adds
        variables for this run; ``working_dir`` defaults to ``/workspace``. ``preflight`` is
        accepted for compatibility and changes nothing.
        """
    def run_code_background(
        self,
        code: str,
        *,
        language: Optional[str] = None,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        env: Optional[Dict[str, str]] = None,
        name: Optional[str] = None,
    ) -> BackgroundExecution:
        """Starts code in the background and returns at once (never sent twice); ``timeout``
        (or ``timeout_seconds``) defaults to 300 s, ``name`` labels it."""
    def list_processes(self) -> List[ProcessInfo]:
        """The background executions, running or ended."""
    def kill_process(self, process_id: str) -> None:
        """Kills a background execution by its ``process_id``."""
    @property
    def files(self) -> Files:
        """The sandbox's files."""
    @property
    def commands(self) -> Commands:
        """Shell commands in the sandbox."""
    @property
    def env(self) -> EnvironmentVariables:
        """The sandbox's environment variables."""
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
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
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
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
    ) -> None:
        """Deletes one of the organization's own templates (coroutine)."""
    @staticmethod
    async def health_check(
        *,
        base_url: Optional[str] = None,
        request_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[_LocalPath] = None,
        http2: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """``GET /health`` as a dict (coroutine). Needs no API key."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox id."""
    def with_options(
        self,
        *,
        request_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> "AsyncSandbox":
        """This sandbox with other retry and timeout settings for every call made through the
        returned handle (its ``files``, ``commands`` and ``env`` included):
        ``request_timeout`` (or its official name ``timeout``; seconds, per attempt),
        ``max_retries`` (0 to 10) and ``deadline`` (seconds for the whole call, retries and
        waits included). ``None`` keeps this handle's setting; no request is made. Both
        handles share the sandbox's state, and leaving a ``with`` block on the new one kills
        the sandbox only when leaving it on this one would."""
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
    async def run_code(
        self,
        code: str,
        *,
        language: Optional[str] = None,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        env: Optional[Dict[str, str]] = None,
        working_dir: Optional[str] = None,
        preflight: bool = False,
    ) -> ExecutionResult:
        """Runs code and waits for it (coroutine; never sent twice). As ``Sandbox.run_code``;
        ``timeout`` and ``timeout_seconds`` are the same setting. Cancelling the task cancels
        the request."""
    async def run_code_background(
        self,
        code: str,
        *,
        language: Optional[str] = None,
        timeout: Optional[float] = None,
        timeout_seconds: Optional[float] = None,
        env: Optional[Dict[str, str]] = None,
        name: Optional[str] = None,
    ) -> BackgroundExecution:
        """Starts code in the background (coroutine). As ``Sandbox.run_code_background``."""
    async def list_processes(self) -> List[ProcessInfo]:
        """The background executions, running or ended (coroutine)."""
    async def kill_process(self, process_id: str) -> None:
        """Kills a background execution by its ``process_id`` (coroutine)."""
    @property
    def files(self) -> AsyncFiles:
        """The sandbox's files, with coroutine methods."""
    @property
    def commands(self) -> AsyncCommands:
        """Shell commands in the sandbox, with a coroutine ``run``."""
    @property
    def env(self) -> AsyncEnvironmentVariables:
        """The sandbox's environment variables, with coroutine methods."""
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
