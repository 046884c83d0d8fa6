//! Request ids and the error envelope `{"error": {message, code, request_id, details}}`
//! (the agent's routes, under `/agent/`, get the agent's own error body instead; see
//! [`crate::agent::error`]).
//!
//! Handlers return [`ApiError`] without knowing the request id; the
//! [`request_context`] middleware renders every failure (including axum's own
//! plain-text 404/405/413 answers) into the envelope in one place, so no error
//! response can escape in another shape.

use axum::{
    Json,
    body::Body,
    extract::Request,
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use crate::{
    agent::{self, AgentError},
    ids,
};

/// Header carrying the request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, `req_<16 lowercase letters/digits>`.
/// Put into the request extensions by [`request_context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A failure to report to the client in the error envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// 400 `validation_error` naming the offending field (`None` for the body as a whole).
    pub fn validation(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", message)
            .with_details(json!({ "field": field }))
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    fn render(&self, request_id: &RequestId) -> Value {
        json!({
            "error": {
                "message": self.message,
                "code": self.code,
                "request_id": request_id.0,
                "details": self.details,
            }
        })
    }
}

impl IntoResponse for ApiError {
    /// The body is filled in by [`request_context`], which knows the request id.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A JSON success response. Objects get the request id as `"request_id"`.
pub fn json_response(status: StatusCode, request_id: &RequestId, body: Value) -> Response {
    let body = match body {
        Value::Object(mut map) => {
            map.insert("request_id".into(), Value::String(request_id.0.clone()));
            Value::Object(map)
        }
        other => other,
    };
    (status, Json(body)).into_response()
}

/// Convenience for building objects field by field in handlers.
pub fn object(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<String, Value>>(),
    )
}

/// Outermost middleware: assigns the request id, renders errors into the envelope
/// and stamps `X-Request-ID` on every response.
pub async fn request_context(mut request: Request, next: Next) -> Response {
    let request_id = RequestId(ids::request_id());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    request.extensions_mut().insert(request_id.clone());

    let response = next.run(request).await;
    let mut response = if let Some(error) = response.extensions().get::<ApiError>().cloned() {
        replace_body(response, &error, &request_id)
    } else if let Some(error) = response.extensions().get::<AgentError>().cloned() {
        agent::error::replace_body(response, &error, &request_id, &path)
    } else if is_failure(response.status()) && !is_json(&response) {
        if agent::is_agent_path(&path) {
            // The agent has its own error body (the agent spec's ErrorResponse).
            let error = agent::error::fallback(response.status(), method.as_str(), &path);
            agent::error::replace_body(response, &error, &request_id, &path)
        } else {
            let error = fallback_error(response.status(), method.as_str(), &path);
            replace_body(response, &error, &request_id)
        }
    } else {
        response
    };

    // The id is lowercase ASCII, always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&request_id.0) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

fn is_failure(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Keeps status and headers (e.g. `Allow` on a 405) and swaps in the envelope.
fn replace_body(response: Response, error: &ApiError, request_id: &RequestId) -> Response {
    let (mut parts, _) = response.into_parts();
    let bytes = serde_json::to_vec(&error.render(request_id)).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.extensions.remove::<ApiError>();
    Response::from_parts(parts, Body::from(bytes))
}

/// Errors produced by axum itself (no route, wrong method, body too large, ...).
fn fallback_error(status: StatusCode, method: &str, path: &str) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::new(
            status,
            "not_found",
            format!(
                "No endpoint {method} {path}. This server implements GET /health, \
                 GET /v1/templates, GET|DELETE /v1/templates/{{name}}, GET|POST /v1/sandboxes, \
                 GET|DELETE /v1/sandboxes/{{id}}, POST /v1/sandboxes/{{id}}/pause|resume|stop|start, \
                 PUT /v1/sandboxes/{{id}}/timeout and POST /v1/sandboxes/{{id}}/token/refresh; \
                 template building is not available locally."
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!(
                "Method {method} is not allowed on {path}; the Allow header lists the methods it accepts."
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            "The request body is too large; send at most 2 MiB.",
        ),
        s if s.is_server_error() => ApiError::new(
            status,
            "internal_error",
            "The server failed to handle this request; see its log for details.",
        ),
        _ => ApiError::new(
            status,
            "bad_request",
            format!(
                "The request to {method} {path} could not be understood; check the URL, the query string and the body."
            ),
        ),
    }
}
