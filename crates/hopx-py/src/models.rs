//! The result classes: frozen copies of the core's models with read-only attributes, a
//! readable `repr`, `==` and `to_dict()`.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The attributes as a dict, nested models (also inside lists) converted too.
pub(crate) fn fields_dict<'py>(
    obj: &Bound<'py, PyAny>,
    names: &[&str],
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(obj.py());
    for name in names {
        let value = obj.getattr(*name)?;
        let value = if let Ok(items) = value.cast::<PyList>() {
            let converted = PyList::empty(obj.py());
            for item in items.iter() {
                converted.append(plain(item)?)?;
            }
            converted.into_any()
        } else {
            plain(value)?
        };
        dict.set_item(*name, value)?;
    }
    Ok(dict)
}

/// A model as its dict; anything else as it is.
fn plain(value: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    if value.hasattr("to_dict")? {
        value.call_method0("to_dict")
    } else {
        Ok(value)
    }
}

/// `Class(a=..., b=...)` with Python reprs of the named attributes.
pub(crate) fn fields_repr(obj: &Bound<'_, PyAny>, class: &str, names: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(names.len());
    for name in names {
        parts.push(format!("{name}={}", obj.getattr(*name)?.repr()?));
    }
    Ok(format!("{class}({})", parts.join(", ")))
}

/// CPU, memory and disk of a running sandbox.
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct Resources {
    /// Virtual CPUs.
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    pub memory_mb: Option<i64>,
    /// Disk in MiB.
    pub disk_mb: Option<i64>,
}

const RESOURCES_FIELDS: &[&str] = &["vcpu", "memory_mb", "disk_mb"];

#[pymethods]
impl Resources {
    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), RESOURCES_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "Resources", RESOURCES_FIELDS)
    }
}

impl From<hopx::Resources> for Resources {
    fn from(r: hopx::Resources) -> Self {
        Resources {
            vcpu: r.vcpu,
            memory_mb: r.memory_mb,
            disk_mb: r.disk_mb,
        }
    }
}

/// CPU, memory and disk of a template.
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateResources {
    /// Virtual CPUs.
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    pub memory_mb: Option<i64>,
    /// Disk in GiB.
    pub disk_gb: Option<i64>,
}

const TEMPLATE_RESOURCES_FIELDS: &[&str] = &["vcpu", "memory_mb", "disk_gb"];

#[pymethods]
impl TemplateResources {
    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), TEMPLATE_RESOURCES_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "TemplateResources", TEMPLATE_RESOURCES_FIELDS)
    }
}

impl From<hopx::TemplateResources> for TemplateResources {
    fn from(r: hopx::TemplateResources) -> Self {
        TemplateResources {
            vcpu: r.vcpu,
            memory_mb: r.memory_mb,
            disk_gb: r.disk_gb,
        }
    }
}

/// What the control plane says about a sandbox (`Sandbox.get_info()`). Attributes the server
/// did not send are `None`. Never holds the sandbox's auth token.
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxInfo {
    /// The sandbox id.
    pub sandbox_id: Option<String>,
    /// The template id (a string).
    pub template_id: Option<String>,
    /// The template name, e.g. `code-interpreter`.
    pub template_name: Option<String>,
    /// The owning organization.
    pub organization_id: Option<i64>,
    /// The node it runs on.
    pub node_id: Option<String>,
    /// The region it runs in.
    pub region: Option<String>,
    /// `running`, `paused`, `stopped` or `creating`.
    pub status: Option<String>,
    /// The base URL of the sandbox's agent.
    pub public_host: Option<String>,
    /// A direct URL to the sandbox.
    pub direct_url: Option<String>,
    /// A preview URL.
    pub preview_url: Option<String>,
    /// CPU, memory and disk.
    pub resources: Option<Resources>,
    /// Whether it can reach the internet.
    pub internet_access: Option<bool>,
    /// Production (`True`) or test mode.
    pub live_mode: Option<bool>,
    /// Its lifetime in seconds; `None` when it never expires.
    pub timeout_seconds: Option<i64>,
    /// When it will be killed (aware UTC datetime); `None` when it never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created (aware UTC datetime).
    pub created_at: Option<DateTime<Utc>>,
}

const SANDBOX_INFO_FIELDS: &[&str] = &[
    "sandbox_id",
    "template_id",
    "template_name",
    "organization_id",
    "node_id",
    "region",
    "status",
    "public_host",
    "direct_url",
    "preview_url",
    "resources",
    "internet_access",
    "live_mode",
    "timeout_seconds",
    "expires_at",
    "created_at",
    "started_at",
    "end_at",
];

const SANDBOX_INFO_REPR: &[&str] = &[
    "sandbox_id",
    "template_name",
    "status",
    "region",
    "expires_at",
];

#[pymethods]
impl SandboxInfo {
    /// Same as `expires_at` (the official SDK's name).
    #[getter]
    fn end_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// Always `None`: the API does not report it (kept for compatibility).
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// The attributes as a dict (`resources` as a dict too).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), SANDBOX_INFO_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "SandboxInfo", SANDBOX_INFO_REPR)
    }
}

impl From<hopx::SandboxInfo> for SandboxInfo {
    fn from(i: hopx::SandboxInfo) -> Self {
        SandboxInfo {
            sandbox_id: i.sandbox_id,
            template_id: i.template_id,
            template_name: i.template_name,
            organization_id: i.organization_id,
            node_id: i.node_id,
            region: i.region,
            status: i.status,
            public_host: i.public_host,
            direct_url: i.direct_url,
            preview_url: i.preview_url,
            resources: i.resources.map(Resources::from),
            internet_access: i.internet_access,
            live_mode: i.live_mode,
            timeout_seconds: i.timeout_seconds,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

/// A template sandboxes can be created from (`Sandbox.list_templates()`). Attributes the
/// server did not send are `None` (`features` and `tags` are then empty lists).
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxTemplate {
    /// The template id (a string).
    pub id: Option<String>,
    /// The name used in `Sandbox.create(template=...)`.
    pub name: Option<String>,
    /// The human-readable name.
    pub display_name: Option<String>,
    /// What the template is for.
    pub description: Option<String>,
    /// E.g. `development`.
    pub category: Option<String>,
    /// The main language, e.g. `python`.
    pub language: Option<String>,
    /// An icon URL or name.
    pub icon: Option<String>,
    /// The resources a sandbox gets by default.
    pub default_resources: Option<TemplateResources>,
    /// The least a sandbox can get.
    pub min_resources: Option<TemplateResources>,
    /// The most a sandbox can get.
    pub max_resources: Option<TemplateResources>,
    /// Feature tags such as `python`, `jupyter`.
    pub features: Vec<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// A popularity score.
    pub popularity_score: Option<i64>,
    /// Documentation link.
    pub docs_url: Option<String>,
    /// Whether sandboxes can be created from it now (`None` when the server did not say).
    pub is_active: bool,
    /// Public (built-in) or the organization's own.
    pub is_public: Option<bool>,
    /// `pending`, `building`, `active`, `failed` or `archived`.
    pub status: Option<String>,
    /// The build that produced it.
    pub build_id: Option<String>,
    /// The owning organization.
    pub organization_id: Option<String>,
    /// When it was created (RFC 3339 text, as sent).
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339 text, as sent).
    pub updated_at: Option<String>,
    /// Always `template`.
    pub object: Option<String>,
    /// The request that returned it.
    pub request_id: Option<String>,
}

const TEMPLATE_FIELDS: &[&str] = &[
    "id",
    "name",
    "display_name",
    "description",
    "category",
    "language",
    "icon",
    "default_resources",
    "min_resources",
    "max_resources",
    "features",
    "tags",
    "popularity_score",
    "docs_url",
    "is_active",
    "is_public",
    "status",
    "build_id",
    "organization_id",
    "created_at",
    "updated_at",
    "object",
    "request_id",
];

const TEMPLATE_REPR: &[&str] = &["id", "name", "language", "category", "status"];

#[pymethods]
impl SandboxTemplate {
    /// The attributes as a dict (resources as dicts too).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), TEMPLATE_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "SandboxTemplate", TEMPLATE_REPR)
    }
}

impl From<hopx::Template> for SandboxTemplate {
    fn from(t: hopx::Template) -> Self {
        SandboxTemplate {
            id: t.id,
            name: t.name,
            display_name: t.display_name,
            description: t.description,
            category: t.category,
            language: t.language,
            icon: t.icon,
            default_resources: t.default_resources.map(TemplateResources::from),
            min_resources: t.min_resources.map(TemplateResources::from),
            max_resources: t.max_resources.map(TemplateResources::from),
            features: t.features,
            tags: t.tags,
            popularity_score: t.popularity_score,
            docs_url: t.docs_url,
            is_active: t.is_active,
            is_public: t.is_public,
            status: t.status,
            build_id: t.build_id,
            organization_id: t.organization_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
            object: t.object,
            request_id: t.request_id,
        }
    }
}

/// A sandbox's expiry at the moment it was asked (`Sandbox.get_expiry_info()`).
///
/// A sandbox is expired from the instant `expires_at` is reached; "expiring soon" means not
/// expired and at most the threshold left. (The official SDK counts a sandbox as not expired
/// for up to a second after its end.)
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiryInfo {
    /// When it will be killed (aware UTC datetime); `None` when it has no timeout.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whole seconds left, rounded down (negative once past); `None` without a timeout.
    pub time_to_expiry: Option<i64>,
    /// The expiry time has been reached.
    pub is_expired: bool,
    /// Not expired, and at most the threshold is left.
    pub is_expiring_soon: bool,
    /// It has a timeout at all.
    pub has_timeout: bool,
}

const EXPIRY_FIELDS: &[&str] = &[
    "expires_at",
    "time_to_expiry",
    "is_expired",
    "is_expiring_soon",
    "has_timeout",
];

#[pymethods]
impl ExpiryInfo {
    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), EXPIRY_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "ExpiryInfo", EXPIRY_FIELDS)
    }
}

impl From<hopx::ExpiryInfo> for ExpiryInfo {
    fn from(e: hopx::ExpiryInfo) -> Self {
        ExpiryInfo {
            expires_at: e.expires_at,
            time_to_expiry: e.time_to_expiry,
            is_expired: e.is_expired,
            is_expiring_soon: e.is_expiring_soon,
            has_timeout: e.has_timeout,
        }
    }
}
