"""Type stubs for the native core (``hopx_ai._native``). Import the names from ``hopx_ai``."""

import builtins
import datetime
from typing import Dict, List, Optional, Union, final

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
    def __eq__(self, other: object) -> bool: ...

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
    def __eq__(self, other: object) -> bool: ...

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
    def __eq__(self, other: object) -> bool: ...

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
    def __eq__(self, other: builtins.object) -> bool: ...

@final
class Sandbox:
    """A HopX sandbox. Every method blocks (without holding the GIL) until the server answers."""

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
        """Creates a sandbox from a template (``template`` name, or ``template_id``)."""
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
    @property
    def sandbox_id(self) -> str: ...
    def get_info(self) -> SandboxInfo:
        """Fetches the sandbox's current state."""

@final
class AsyncSandbox:
    """The asyncio version of ``Sandbox``."""

    @staticmethod
    async def create(
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
    ) -> "AsyncSandbox":
        """Creates a sandbox from a template (coroutine)."""
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
    @property
    def sandbox_id(self) -> str: ...
    async def get_info(self) -> SandboxInfo:
        """Fetches the sandbox's current state (coroutine)."""
