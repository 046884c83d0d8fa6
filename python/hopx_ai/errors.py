"""Exceptions raised by hopx_ai.

The hierarchy and constructor keywords follow the official ``hopx-ai`` SDK, so existing
``except`` clauses keep working::

    HopxError
    ├── APIError                      (the server answered with an error)
    │   ├── AuthenticationError       401
    │   │   └── TokenExpiredError
    │   ├── NotFoundError             404
    │   │   └── TemplateNotFoundError
    │   ├── ValidationError           400, 422
    │   ├── RateLimitError            429 (.retry_after)
    │   ├── ResourceLimitError        403 naming a plan limit
    │   ├── PaymentRequiredError      402
    │   ├── PermissionDeniedError     403
    │   ├── ConflictError             409
    │   ├── GoneError                 410
    │   ├── ServerError               5xx
    │   └── ResponseDecodeError       a success status with an unreadable body
    ├── NetworkError                  the server could not be reached
    │   └── TimeoutError              the request timeout passed
    ├── AgentError                    errors of the in-sandbox agent
    │   ├── FileNotFoundError, FileOperationError, CodeExecutionError,
    │   └── CommandExecutionError, DesktopNotAvailableError
    ├── SandboxExpiredError
    ├── TemplateBuildError
    ├── ConfigurationError            a setting (env var, config file) is unusable
    │   ├── MissingApiKeyError        also a ValueError
    │   └── InvalidApiKeyError        also a ValueError
    └── InvalidArgumentError          also a ValueError; nothing was sent

Every error has ``.message``, ``.code`` (a stable string shared with the Rust and JavaScript
SDKs, e.g. ``"api_key_missing"``), ``.status_code``, ``.request_id``, ``.details`` (dict),
``.hint`` (how to fix it), ``.server_code`` (the server's own code) and ``.retry_after``
(seconds: what the server asked for, or the wait a retry needed when it did not fit in the
call's deadline). Three say how the request went: ``.attempts`` (how many times it was sent;
0 when nothing was sent), ``.maybe_processed`` (True when the server may have carried out a
request that was not retried, e.g. a create whose connection broke: list your sandboxes
before trying again) and ``.timeout_kind`` (which timeout fired: ``"connect"``,
``"request"``, ``"deadline"`` or ``"execution"``; None for other errors). None of them ever
contains an API key secret, a sandbox token, a proxy password or an env var value. Errors
pickle with all their attributes.

``TimeoutError`` and ``FileNotFoundError`` shadow the builtins of the same name, as in the
official SDK: import them qualified (``hopx_ai.errors.TimeoutError``) if that matters.
"""

from __future__ import annotations

# Kept out of the import path at run time: `typing` is only needed by type checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "HopxError",
    "APIError",
    "AuthenticationError",
    "TokenExpiredError",
    "NotFoundError",
    "TemplateNotFoundError",
    "ValidationError",
    "RateLimitError",
    "ResourceLimitError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ConflictError",
    "GoneError",
    "ServerError",
    "ResponseDecodeError",
    "NetworkError",
    "TimeoutError",
    "AgentError",
    "FileNotFoundError",
    "FileOperationError",
    "CodeExecutionError",
    "CommandExecutionError",
    "DesktopNotAvailableError",
    "SandboxExpiredError",
    "SandboxErrorMetadata",
    "TemplateBuildError",
    "TemplateBuildErrorMetadata",
    "ConfigurationError",
    "MissingApiKeyError",
    "InvalidApiKeyError",
    "InvalidArgumentError",
]


class HopxError(Exception):
    """Base class of every error the SDK raises."""

    message: str
    code: Optional[str]
    request_id: Optional[str]
    status_code: Optional[int]
    details: Dict[str, Any]
    hint: Optional[str]
    server_code: Optional[str]
    retry_after: Optional[float]
    attempts: int
    maybe_processed: bool
    timeout_kind: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        status_code: Optional[int] = None,
        details: Optional[Dict[str, Any]] = None,
        hint: Optional[str] = None,
        server_code: Optional[str] = None,
        retry_after: Optional[float] = None,
        attempts: int = 0,
        maybe_processed: bool = False,
        timeout_kind: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.status_code = status_code
        self.details = details if details is not None else {}
        self.hint = hint
        self.server_code = server_code
        self.retry_after = retry_after
        self.attempts = attempts
        self.maybe_processed = maybe_processed
        self.timeout_kind = timeout_kind

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += ("\n" if "\n" in text else " ") + self.hint
        if self.code:
            text += f" (code: {self.code})"
        if self.request_id:
            text += f" [request_id: {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        # Rebuilt from the message, then every attribute (hint, details, subclass fields...)
        # is restored from the instance dict.
        return (type(self), (self.message,), dict(self.__dict__))


def _detail(details: Any, name: str) -> Any:
    return details.get(name) if isinstance(details, dict) else None


class APIError(HopxError):
    """The API answered with an error status."""


class AuthenticationError(APIError):
    """HTTP 401: the server did not accept the API key."""


class TokenExpiredError(AuthenticationError):
    """HTTP 401: the token expired."""

    def __init__(self, message: str = "Token has expired", **kwargs: Any) -> None:
        kwargs.setdefault("code", "token_expired")
        kwargs.setdefault("status_code", 401)
        super().__init__(message, **kwargs)


class NotFoundError(APIError):
    """HTTP 404."""


class TemplateNotFoundError(NotFoundError):
    """The template named in ``create()`` does not exist for this account. The attributes
    default to what the server put in ``details``."""

    template_name: Optional[str]
    available_templates: List[str]
    suggested_template: Optional[str]

    def __init__(
        self,
        message: str = "Template not found",
        *,
        template_name: Optional[str] = None,
        available_templates: Optional[List[str]] = None,
        suggested_template: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        if template_name is None:
            template_name = _detail(self.details, "template_name")
        if available_templates is None:
            available_templates = _detail(self.details, "available_templates")
        if available_templates is None:
            available_templates = _detail(self.details, "available")
        if suggested_template is None:
            suggested_template = _detail(self.details, "suggested_template")
        self.template_name = template_name
        self.available_templates = (
            [str(t) for t in available_templates] if isinstance(available_templates, list) else []
        )
        self.suggested_template = suggested_template


class ValidationError(APIError):
    """HTTP 400 or 422: the server rejected the request's content. ``.field`` names the
    field when the server said which."""

    field: Optional[str]

    def __init__(self, message: str = "", *, field: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field if field is not None else _detail(self.details, "field")


class RateLimitError(APIError):
    """HTTP 429. ``.retry_after`` is how many seconds the server asked to wait."""

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after:
            text += f" (retry after {self.retry_after:g}s)"
        return text


class ResourceLimitError(APIError):
    """A plan or quota limit was reached (``.limit``, ``.current``, ``.available``,
    ``.upgrade_url`` when the server sent them)."""

    limit: Optional[int]
    current: Optional[int]
    available: Optional[int]
    upgrade_url: Optional[str]

    def __init__(
        self,
        message: str = "",
        *,
        limit: Optional[int] = None,
        current: Optional[int] = None,
        available: Optional[int] = None,
        upgrade_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit if limit is not None else _detail(self.details, "limit")
        self.current = current if current is not None else _detail(self.details, "current")
        self.available = (
            available if available is not None else _detail(self.details, "available")
        )
        self.upgrade_url = (
            upgrade_url if upgrade_url is not None else _detail(self.details, "upgrade_url")
        )


class PaymentRequiredError(APIError):
    """HTTP 402: the organization has no credits left."""


class PermissionDeniedError(APIError):
    """HTTP 403: not allowed."""


class ConflictError(APIError):
    """HTTP 409."""


class GoneError(APIError):
    """HTTP 410."""


class ServerError(APIError):
    """HTTP 5xx."""


class ResponseDecodeError(APIError):
    """The server answered with success, but the body is not what the API promises."""


class NetworkError(HopxError):
    """The connection could not be made, or broke."""


class TimeoutError(NetworkError):  # noqa: A001 - the official SDK's name
    """A timeout passed before the server answered; ``.timeout_kind`` says which one
    (``"connect"``, ``"request"`` or ``"deadline"``)."""


class AgentError(HopxError):
    """An error of the agent inside a sandbox."""


class FileNotFoundError(AgentError):  # noqa: A001 - the official SDK's name
    """A file or directory does not exist in the sandbox."""

    def __init__(
        self, message: str = "File not found", path: Optional[str] = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "file_not_found")
        super().__init__(message, **kwargs)
        self.path = path


class FileOperationError(AgentError):
    """A file operation failed in the sandbox."""

    def __init__(
        self, message: str = "File operation failed", operation: Optional[str] = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "file_operation_failed")
        super().__init__(message, **kwargs)
        self.operation = operation


class CodeExecutionError(AgentError):
    """Running code in the sandbox failed."""

    def __init__(
        self, message: str = "Code execution failed", language: Optional[str] = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "code_execution_failed")
        super().__init__(message, **kwargs)
        self.language = language


class CommandExecutionError(AgentError):
    """Running a command in the sandbox failed."""

    def __init__(
        self, message: str = "Command execution failed", command: Optional[str] = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("code", "command_execution_failed")
        super().__init__(message, **kwargs)
        self.command = command


class DesktopNotAvailableError(AgentError):
    """The sandbox has no desktop automation."""

    def __init__(
        self,
        message: str = "Desktop automation not available",
        missing_dependencies: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("code", "desktop_not_available")
        super().__init__(message, **kwargs)
        self.missing_dependencies = list(missing_dependencies or [])
        self.docs_url = "https://docs.hopx.ai/desktop-automation"


class SandboxErrorMetadata:
    """What was known about a sandbox when an error happened."""

    __slots__ = ("sandbox_id", "created_at", "expires_at", "time_to_live", "status")

    def __init__(
        self,
        sandbox_id: Optional[str] = None,
        created_at: Optional[str] = None,
        expires_at: Optional[str] = None,
        time_to_live: Optional[int] = None,
        status: Optional[str] = None,
    ) -> None:
        self.sandbox_id = sandbox_id
        self.created_at = created_at
        self.expires_at = expires_at
        self.time_to_live = time_to_live
        self.status = status

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"SandboxErrorMetadata({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SandboxErrorMetadata):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (SandboxErrorMetadata, tuple(getattr(self, n) for n in self.__slots__))


class SandboxExpiredError(HopxError):
    """The sandbox has expired and is no longer available."""

    def __init__(
        self,
        message: str = "Sandbox has expired",
        metadata: Optional[SandboxErrorMetadata] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("code", "sandbox_expired")
        kwargs.setdefault("status_code", 410)
        super().__init__(message, **kwargs)
        self.metadata = metadata if metadata is not None else SandboxErrorMetadata()
        self.sandbox_id = self.metadata.sandbox_id
        self.created_at = self.metadata.created_at
        self.expires_at = self.metadata.expires_at


class TemplateBuildErrorMetadata:
    """What was known about a template build when it failed."""

    __slots__ = ("build_id", "template_id", "build_status", "logs_url", "error_details")

    def __init__(
        self,
        build_id: Optional[str] = None,
        template_id: Optional[str] = None,
        build_status: Optional[str] = None,
        logs_url: Optional[str] = None,
        error_details: Optional[str] = None,
    ) -> None:
        self.build_id = build_id
        self.template_id = template_id
        self.build_status = build_status
        self.logs_url = logs_url
        self.error_details = error_details

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"TemplateBuildErrorMetadata({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TemplateBuildErrorMetadata):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (TemplateBuildErrorMetadata, tuple(getattr(self, n) for n in self.__slots__))


class TemplateBuildError(HopxError):
    """A template build failed."""

    def __init__(
        self,
        message: str = "Template build failed",
        metadata: Optional[TemplateBuildErrorMetadata] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("code", "template_build_failed")
        super().__init__(message, **kwargs)
        self.metadata = metadata if metadata is not None else TemplateBuildErrorMetadata()
        self.build_id = self.metadata.build_id
        self.template_id = self.metadata.template_id
        self.build_status = self.metadata.build_status
        self.logs_url = self.metadata.logs_url
        self.error_details = self.metadata.error_details


class ConfigurationError(HopxError):
    """A configuration value (environment variable, config file) is not usable."""


class MissingApiKeyError(ConfigurationError, ValueError):
    """No API key was found in any of the places the SDK looks. The message lists them."""


class InvalidApiKeyError(ConfigurationError, ValueError):
    """The API key is malformed (``.code`` says how). Nothing was sent."""


class InvalidArgumentError(HopxError, ValueError):
    """An argument is not acceptable. Nothing was sent."""
