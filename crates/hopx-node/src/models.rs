//! The plain objects the addon returns: the core's models with camelCase names (the official
//! JavaScript SDK's shapes), absent values left out, timestamps as ISO 8601 strings.
//!
//! The conversions destructure the core structs completely, so a field added to the core fails
//! to compile here until it is exposed (or deliberately ignored).

use chrono::{DateTime, SecondsFormat, Utc};
use napi_derive::napi;

/// CPU, memory and disk of a running sandbox.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct Resources {
    /// Virtual CPUs.
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    pub memory_mb: Option<i64>,
    /// Disk in MiB.
    pub disk_mb: Option<i64>,
}

/// What the control plane says about a sandbox (no token: it never leaves the core).
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct SandboxInfo {
    pub sandbox_id: Option<String>,
    pub template_id: Option<String>,
    pub template_name: Option<String>,
    pub organization_id: Option<i64>,
    pub node_id: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    pub public_host: Option<String>,
    pub direct_url: Option<String>,
    pub preview_url: Option<String>,
    pub resources: Option<Resources>,
    pub internet_access: Option<bool>,
    pub live_mode: Option<bool>,
    pub timeout_seconds: Option<i64>,
    /// ISO 8601, UTC.
    pub expires_at: Option<String>,
    /// ISO 8601, UTC.
    pub created_at: Option<String>,
    /// The official SDK's alias of `expiresAt`.
    pub end_at: Option<String>,
    /// Always absent; kept for the official SDK's shape.
    pub started_at: Option<String>,
}

/// CPU, memory and disk of a template.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct TemplateResources {
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    pub memory_mb: Option<i64>,
    /// Disk in GiB.
    pub disk_gb: Option<i64>,
}

/// A template (`TemplateInfo` in the official SDK).
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct TemplateInfo {
    pub id: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    pub icon: Option<String>,
    pub default_resources: Option<TemplateResources>,
    pub min_resources: Option<TemplateResources>,
    pub max_resources: Option<TemplateResources>,
    pub features: Vec<String>,
    pub tags: Vec<String>,
    pub popularity_score: Option<i64>,
    pub docs_url: Option<String>,
    pub is_active: bool,
    pub is_public: Option<bool>,
    pub status: Option<String>,
    pub build_id: Option<String>,
    pub organization_id: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub object: Option<String>,
    pub request_id: Option<String>,
}

/// A sandbox's expiry at one moment (the official SDK's `ExpiryInfo`). Absent values are
/// `null`, not left out, as in the official SDK.
#[derive(Debug)]
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ExpiryInfo {
    /// When the sandbox will be killed; `null` when it has no timeout.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whole seconds left, rounded down, negative once past; `null` without a timeout.
    pub time_to_expiry: Option<i64>,
    /// The expiry time has been reached.
    pub is_expired: bool,
    /// Not expired, and at most the threshold is left.
    pub is_expiring_soon: bool,
    /// The sandbox has a timeout at all.
    pub has_timeout: bool,
}

impl From<hopx::ExpiryInfo> for ExpiryInfo {
    fn from(expiry: hopx::ExpiryInfo) -> Self {
        let hopx::ExpiryInfo {
            expires_at,
            time_to_expiry,
            is_expired,
            is_expiring_soon,
            has_timeout,
        } = expiry;
        ExpiryInfo {
            expires_at,
            time_to_expiry,
            is_expired,
            is_expiring_soon,
            has_timeout,
        }
    }
}

fn iso(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

impl From<hopx::Resources> for Resources {
    fn from(resources: hopx::Resources) -> Self {
        let hopx::Resources {
            vcpu,
            memory_mb,
            disk_mb,
        } = resources;
        Resources {
            vcpu,
            memory_mb,
            disk_mb,
        }
    }
}

impl From<hopx::SandboxInfo> for SandboxInfo {
    fn from(info: hopx::SandboxInfo) -> Self {
        let hopx::SandboxInfo {
            sandbox_id,
            template_id,
            template_name,
            organization_id,
            node_id,
            region,
            status,
            public_host,
            direct_url,
            preview_url,
            resources,
            internet_access,
            live_mode,
            timeout_seconds,
            expires_at,
            created_at,
        } = info;
        SandboxInfo {
            sandbox_id,
            template_id,
            template_name,
            organization_id,
            node_id,
            region,
            status,
            public_host,
            direct_url,
            preview_url,
            resources: resources.map(Resources::from),
            internet_access,
            live_mode,
            timeout_seconds,
            end_at: iso(expires_at),
            expires_at: iso(expires_at),
            created_at: iso(created_at),
            started_at: None,
        }
    }
}

impl From<hopx::TemplateResources> for TemplateResources {
    fn from(resources: hopx::TemplateResources) -> Self {
        let hopx::TemplateResources {
            vcpu,
            memory_mb,
            disk_gb,
        } = resources;
        TemplateResources {
            vcpu,
            memory_mb,
            disk_gb,
        }
    }
}

impl From<hopx::Template> for TemplateInfo {
    fn from(template: hopx::Template) -> Self {
        let hopx::Template {
            id,
            name,
            display_name,
            description,
            category,
            language,
            icon,
            default_resources,
            min_resources,
            max_resources,
            features,
            tags,
            popularity_score,
            docs_url,
            is_active,
            is_public,
            status,
            build_id,
            organization_id,
            created_at,
            updated_at,
            object,
            request_id,
        } = template;
        TemplateInfo {
            id,
            name,
            display_name,
            description,
            category,
            language,
            icon,
            default_resources: default_resources.map(TemplateResources::from),
            min_resources: min_resources.map(TemplateResources::from),
            max_resources: max_resources.map(TemplateResources::from),
            features,
            tags,
            popularity_score,
            docs_url,
            is_active,
            is_public,
            status,
            build_id,
            organization_id,
            created_at,
            updated_at,
            object,
            request_id,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The data plane (the sandbox's agent)

/// One rich output of an execution. `js/index.js` turns these into the official
/// `{ type, data }` entries of `ExecutionResult.richOutputs`.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct RichOutput {
    /// `image/png`, `image/svg+xml`, `text/html`, `text/markdown`, `application/json`,
    /// `application/vnd.dataframe+json` or `text/plain`.
    pub mime_type: String,
    /// As the agent sent it: base64 text for PNG, text for most, JSON for JSON.
    #[napi(ts_type = "unknown")]
    pub data: serde_json::Value,
}

/// What `runCode` got back; `js/index.js` wraps it in the official `ExecutionResult` shape.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct ExecutionResult {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i64,
    /// Seconds, as the agent measured.
    pub execution_time: Option<f64>,
    pub success: bool,
    pub language: Option<String>,
    pub timestamp: Option<String>,
    pub rich_outputs: Vec<RichOutput>,
}

impl From<hopx::ExecutionResult> for ExecutionResult {
    fn from(result: hopx::ExecutionResult) -> Self {
        let hopx::ExecutionResult {
            stdout,
            stderr,
            exit_code,
            execution_time,
            success,
            language,
            timestamp,
            rich_outputs,
        } = result;
        ExecutionResult {
            stdout,
            stderr,
            exit_code,
            execution_time,
            success,
            language,
            timestamp,
            rich_outputs: rich_outputs
                .into_iter()
                .map(|output| {
                    let hopx::RichOutput { mime_type, data } = output;
                    RichOutput { mime_type, data }
                })
                .collect(),
        }
    }
}

/// A background execution just started: the official raw snake_case object.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct BackgroundExecution {
    #[napi(js_name = "process_id")]
    pub process_id: String,
    #[napi(js_name = "execution_id")]
    pub execution_id: Option<String>,
    pub status: Option<String>,
    pub name: Option<String>,
    #[napi(js_name = "start_time")]
    pub start_time: Option<String>,
}

impl From<hopx::BackgroundExecution> for BackgroundExecution {
    fn from(started: hopx::BackgroundExecution) -> Self {
        let hopx::BackgroundExecution {
            process_id,
            execution_id,
            status,
            name,
            start_time,
        } = started;
        BackgroundExecution {
            process_id,
            execution_id,
            status,
            name,
            start_time,
        }
    }
}

/// A background execution from `listProcesses`: the official raw snake_case object.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct ProcessInfo {
    #[napi(js_name = "process_id")]
    pub process_id: Option<String>,
    #[napi(js_name = "execution_id")]
    pub execution_id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub language: Option<String>,
    #[napi(js_name = "start_time")]
    pub start_time: Option<String>,
    #[napi(js_name = "end_time")]
    pub end_time: Option<String>,
    #[napi(js_name = "exit_code")]
    pub exit_code: Option<i64>,
    pub duration: Option<f64>,
    pub pid: Option<i64>,
}

impl From<hopx::ProcessInfo> for ProcessInfo {
    fn from(process: hopx::ProcessInfo) -> Self {
        let hopx::ProcessInfo {
            process_id,
            execution_id,
            name,
            status,
            language,
            start_time,
            end_time,
            exit_code,
            duration,
            pid,
        } = process;
        ProcessInfo {
            process_id,
            execution_id,
            name,
            status,
            language,
            start_time,
            end_time,
            exit_code,
            duration,
            pid,
        }
    }
}

/// What a command did: the official raw snake_case `CommandResponse`.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct CommandResult {
    pub stdout: String,
    pub stderr: String,
    #[napi(js_name = "exit_code")]
    pub exit_code: i64,
    /// Seconds.
    #[napi(js_name = "execution_time")]
    pub execution_time: Option<f64>,
    pub success: bool,
    pub command: Option<String>,
    pub pid: Option<i64>,
    /// Set for a background command: the id to list or kill it by.
    #[napi(js_name = "process_id")]
    pub process_id: Option<String>,
}

impl From<hopx::CommandResult> for CommandResult {
    fn from(result: hopx::CommandResult) -> Self {
        let hopx::CommandResult {
            stdout,
            stderr,
            exit_code,
            execution_time,
            success,
            command,
            pid,
            process_id,
        } = result;
        CommandResult {
            stdout,
            stderr,
            exit_code,
            execution_time,
            success,
            command,
            pid,
            process_id,
        }
    }
}

/// One directory entry; `js/index.js` adds the official `isDir` / `modified` aliases.
#[derive(Debug)]
#[napi(object, object_from_js = false)]
pub struct FileInfo {
    pub name: Option<String>,
    pub path: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    pub is_directory: Option<bool>,
    /// As the agent sent it (RFC 3339).
    pub modified_time: Option<String>,
    /// E.g. `0644` or `-rw-r--r--`, as the agent sent it.
    pub permissions: Option<String>,
}

impl From<hopx::FileInfo> for FileInfo {
    fn from(file: hopx::FileInfo) -> Self {
        let hopx::FileInfo {
            name,
            path,
            size,
            is_directory,
            modified_time,
            permissions,
        } = file;
        FileInfo {
            name,
            path,
            size,
            is_directory,
            modified_time,
            permissions,
        }
    }
}
