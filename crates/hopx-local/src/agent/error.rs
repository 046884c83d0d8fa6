//! The agent's error body, `main.ErrorResponse` of the agent spec:
//! `{"error": "<message>", "code": "UPPER_CODE", "request_id", "timestamp", "path", "details"?}`,
//! with the `X-Request-ID` header (stamped by [`crate::envelope::request_context`], which
//! renders these like it renders the control plane's envelope).

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use crate::{
    envelope::RequestId,
    sandbox::{ExecError, Phase, fs::FsError},
};

/// A failure of an agent route.
#[derive(Debug, Clone)]
pub struct AgentError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl AgentError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 400 `INVALID_REQUEST` naming the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
            .with_details(json!({ "field": field }))
    }

    /// 400 `MISSING_PARAMETER` naming it.
    pub fn missing(field: &str, example: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MISSING_PARAMETER",
            format!("{field} is required, e.g. {example}."),
        )
        .with_details(json!({ "field": field }))
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn sandbox_not_found(id: &str) -> Self {
        let shown: String = id.chars().take(100).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "SANDBOX_NOT_FOUND",
            format!(
                "Sandbox '{shown}' not found: it was deleted or it expired (or never existed). \
                 GET /v1/sandboxes lists the live ones."
            ),
        )
        .with_details(json!({ "sandbox_id": shown }))
    }

    /// 409 `SANDBOX_NOT_RUNNING` for a paused or stopped sandbox.
    pub fn not_running(id: &str, phase: Phase) -> Self {
        let fix = match phase {
            Phase::Paused => format!("resume it with POST /v1/sandboxes/{id}/resume"),
            Phase::Stopped => format!("start it with POST /v1/sandboxes/{id}/start"),
            Phase::Running | Phase::Destroyed => return Self::sandbox_not_found(id),
        };
        Self::new(
            StatusCode::CONFLICT,
            "SANDBOX_NOT_RUNNING",
            format!(
                "Sandbox '{id}' is {}, so its agent does not run code or touch files; {fix}.",
                phase.as_str()
            ),
        )
        .with_details(json!({ "sandbox_id": id, "status": phase.as_str() }))
    }

    pub fn exec(id: &str, error: ExecError) -> Self {
        match error {
            ExecError::Unavailable(reason) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SANDBOX_UNAVAILABLE",
                format!(
                    "This hopx-local cannot run code: {reason}. Install bubblewrap \
                     (`apt-get install bubblewrap`) and restart hopx-local, or start it with \
                     --unsafe-no-sandbox to run code without isolation (only code you trust)."
                ),
            )
            .with_details(json!({ "fix": "apt-get install bubblewrap" })),
            ExecError::NotRunning(phase) => Self::not_running(id, phase),
            ExecError::Busy => {
                let mut error = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TOO_MANY_EXECUTIONS",
                    format!(
                        "{} executions are already running in this sandbox; wait for one to \
                         end or kill a background process (DELETE /execute/kill).",
                        crate::sandbox::MAX_RUNNING
                    ),
                )
                .with_details(json!({
                    "max_running": crate::sandbox::MAX_RUNNING,
                    "retry_after_seconds": 1,
                }));
                error.retry_after = Some(1);
                error
            }
            e @ (ExecError::Spawn(_) | ExecError::Setup(_)) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "EXECUTION_FAILED",
                format!("{e}; see the hopx-local log."),
            ),
        }
    }

    pub fn fs(error: FsError) -> Self {
        let (status, code, message, path) = match error {
            FsError::PathNotAllowed(p) => (
                StatusCode::FORBIDDEN,
                "PATH_NOT_ALLOWED",
                format!(
                    "Access denied to {p}: the file API reaches only /workspace and /tmp, and \
                     symlinks may not lead out of them."
                ),
                p,
            ),
            FsError::InvalidPath(m) => (
                StatusCode::BAD_REQUEST,
                "INVALID_PATH",
                format!("Invalid path: {m}."),
                String::new(),
            ),
            FsError::NotFound(p) => (
                StatusCode::NOT_FOUND,
                "FILE_NOT_FOUND",
                format!("File not found: {p}"),
                p,
            ),
            FsError::DirectoryNotFound(p) => (
                StatusCode::NOT_FOUND,
                "DIRECTORY_NOT_FOUND",
                format!("Directory not found: {p}"),
                p,
            ),
            FsError::WrongType(m) => (
                StatusCode::BAD_REQUEST,
                "INVALID_PATH",
                format!("Invalid path: {m}."),
                String::new(),
            ),
            FsError::AlreadyExists(p) => (
                StatusCode::CONFLICT,
                "FILE_ALREADY_EXISTS",
                format!("{p} already exists; send \"overwrite\": true to replace it."),
                p,
            ),
            FsError::TooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "FILE_TOO_LARGE",
                format!("{m}; download it with GET /files/download instead."),
                String::new(),
            ),
            FsError::Io(p, e) => match e.raw_os_error().map(rustix::io::Errno::from_raw_os_error) {
                Some(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => (
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    format!("Permission denied: {p}"),
                    p,
                ),
                Some(rustix::io::Errno::NOSPC | rustix::io::Errno::DQUOT) => (
                    StatusCode::INSUFFICIENT_STORAGE,
                    "INTERNAL_ERROR",
                    format!("No space left on the host's disk for {p}"),
                    p,
                ),
                _ => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    format!("The file operation on {p} failed: {e}"),
                    p,
                ),
            },
        };
        let error = Self::new(status, code, message);
        if path.is_empty() {
            error
        } else {
            error.with_details(json!({ "path": path }))
        }
    }

    fn render(&self, request_id: &RequestId, path: &str) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), json!(self.message));
        body.insert("code".into(), json!(self.code));
        body.insert("request_id".into(), json!(request_id.0));
        body.insert("timestamp".into(), json!(super::now()));
        body.insert("path".into(), json!(path));
        if let Some(details) = &self.details {
            body.insert("details".into(), details.clone());
        }
        Value::Object(body)
    }
}

impl IntoResponse for AgentError {
    /// The body is filled in by the request-context middleware, which knows the request id.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Swaps in the agent error body, keeping status and headers.
pub fn replace_body(
    response: Response,
    error: &AgentError,
    request_id: &RequestId,
    path: &str,
) -> Response {
    let (mut parts, _) = response.into_parts();
    let bytes = serde_json::to_vec(&error.render(request_id, path)).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_DISPOSITION);
    parts.extensions.remove::<AgentError>();
    Response::from_parts(parts, Body::from(bytes))
}

/// Errors produced by axum itself on agent paths (no route, wrong method, body too large,
/// a query or multipart body it could not parse).
pub fn fallback(status: StatusCode, method: &str, path: &str) -> AgentError {
    match status {
        StatusCode::NOT_FOUND => AgentError::new(
            status,
            "NOT_FOUND",
            format!(
                "No agent endpoint {method} {path}. The local agent serves /health, /info, \
                 /execute, /execute/background, /execute/processes, /execute/kill, \
                 /commands/run, /commands/background, /files/{{read,write,list,exists,mkdir,\
                 upload,download,remove}} and /env under /agent/{{sandbox_id}}."
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => AgentError::new(
            status,
            "METHOD_NOT_ALLOWED",
            format!(
                "Method {method} is not allowed on {path}; the Allow header lists the methods it accepts."
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => AgentError::new(
            status,
            "REQUEST_TOO_LARGE",
            format!(
                "The request body is too large: /files/write and /files/upload take at most \
                 {} MiB, other agent endpoints {} MiB.",
                super::MAX_FILE_BODY >> 20,
                super::MAX_JSON_BODY >> 20
            ),
        ),
        s if s.is_server_error() => AgentError::new(
            status,
            "INTERNAL_ERROR",
            "The agent failed to handle this request; see the hopx-local log.",
        ),
        _ => AgentError::new(
            status,
            "INVALID_REQUEST",
            format!(
                "The request to {method} {path} could not be understood; check the query \
                 string and the body."
            ),
        ),
    }
}
