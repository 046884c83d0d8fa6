//! Sending requests: one pooled connection pool per transport setting, the auth header,
//! retries, and turning every failure into an [`Error`] with a code.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::config::{AuthHeader, ResolvedConfig};
use crate::error::{Error, ErrorCode, Result};
use crate::retry::{Outcome, RetryPolicy, parse_retry_after};

/// Settings that need a separate connection pool. Everything else (key, base URL, timeout,
/// user agent) is set per request, so clients that differ only there share warm connections.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TransportSettings {
    connect_timeout: Duration,
}

/// The process-wide pools. `reqwest::Client` is a handle to a shared pool, so cloning it out
/// of the map is cheap and every clone reuses the same connections. The map belongs to one
/// process: after a `fork()` the child's connections (and the runtime tasks that drove them)
/// are unusable, so a child starts with empty pools instead of hanging on the parent's.
fn pooled_client(settings: &TransportSettings) -> Result<reqwest::Client> {
    type Pools = (u32, HashMap<TransportSettings, reqwest::Client>);
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| Mutex::new((std::process::id(), HashMap::new())));
    let mut pools = pools
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let pid = std::process::id();
    if pools.0 != pid {
        // Forgotten, not dropped: dropping would try to shut down the parent's connections.
        std::mem::forget(std::mem::take(&mut pools.1));
        pools.0 = pid;
    }
    if let Some(client) = pools.1.get(settings) {
        return Ok(client.clone());
    }
    // rustls needs a process-wide crypto provider; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        // The API never redirects. Following one would send the key to wherever a proxy or
        // a compromised host points (reqwest drops `Authorization` across hosts, but not
        // `X-API-Key`), so a redirect is reported as the error it is.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            Error::new(ErrorCode::Network, "Could not set up the HTTP client.").with_source(e)
        })?;
    pools.1.insert(settings.clone(), client.clone());
    Ok(client)
}

/// What one API call sends. Cloneable, so a call can be sent again after a token refresh.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<RequestBody>,
    /// What the response body should be, for decode errors ("a template list").
    pub expecting: &'a str,
    /// Overrides the client's request timeout (an execution needs longer than a lookup).
    pub timeout: Option<Duration>,
    /// An `Authorization` value for this call only (the sandbox token on agent calls).
    pub authorization: Option<HeaderValue>,
}

/// A request body.
#[derive(Clone)]
pub(crate) enum RequestBody {
    Json(serde_json::Value),
    /// `multipart/form-data` with one file part (`file`) and its destination (`path`).
    Upload {
        path: String,
        file_name: String,
        bytes: std::sync::Arc<Vec<u8>>,
    },
}

impl std::fmt::Debug for RequestBody {
    // Bodies can hold env var values and file contents: only their shape is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Json(_) => f.write_str("Json(..)"),
            RequestBody::Upload { bytes, .. } => write!(f, "Upload({} bytes)", bytes.len()),
        }
    }
}

impl<'a> ApiRequest<'a> {
    pub(crate) fn new(method: Method, path: impl Into<String>, expecting: &'a str) -> Self {
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            expecting,
            timeout: None,
            authorization: None,
        }
    }

    pub(crate) fn query(mut self, name: &'static str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_owned()));
        }
        self
    }

    pub(crate) fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(RequestBody::Json(body));
        self
    }

    pub(crate) fn body(mut self, body: RequestBody) -> Self {
        self.body = Some(body);
        self
    }

    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub(crate) fn authorization(mut self, value: HeaderValue) -> Self {
        self.authorization = Some(value);
        self
    }
}

/// Sends API requests for one resolved configuration.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    transport: TransportSettings,
    base_url: String,
    /// The key header; `None` only for the unauthenticated health check.
    auth: Option<(HeaderName, HeaderValue)>,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
    /// The hint for a 401: names the key ("hopx_live_<keyId>.**** from HOPX_API_KEY") or
    /// says that the sandbox token was refused.
    auth_hint: String,
}

impl HttpClient {
    pub(crate) fn new(config: &ResolvedConfig, retry: RetryPolicy) -> Result<Self> {
        let transport = TransportSettings {
            connect_timeout: Duration::from_secs(10),
        };
        // Fails early (before any request) if the HTTP stack cannot be set up at all.
        pooled_client(&transport)?;
        let (auth_name, auth_text) = match config.auth_header {
            AuthHeader::Bearer => (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", config.api_key.expose_secret()),
            ),
            AuthHeader::XApiKey => (
                HeaderName::from_static("x-api-key"),
                config.api_key.expose_secret().to_owned(),
            ),
        };
        // ApiKey guarantees visible ASCII, so this cannot fail for a parsed key; the error
        // still avoids quoting the value.
        let mut auth_value = HeaderValue::from_str(&auth_text).map_err(|_| {
            Error::new(
                ErrorCode::ApiKeyInvalidCharacter,
                "The API key cannot be sent in an HTTP header.",
            )
        })?;
        // Keeps the value out of reqwest's and hyper's Debug output.
        auth_value.set_sensitive(true);
        let user_agent = user_agent_header(&config.user_agent)?;
        if config.base_url.starts_with("http://") && !is_loopback_url(&config.base_url) {
            tracing::warn!(
                base_url = %config.base_url,
                "sending the API key over plain http to a non-loopback host; use https"
            );
        }
        Ok(HttpClient {
            transport,
            base_url: config.base_url.clone(),
            auth: Some((auth_name, auth_value)),
            user_agent,
            timeout: config.request_timeout,
            retry,
            auth_hint: format!(
                "The key sent was {} from {}: check that it is current and belongs to this server (base URL).",
                config.api_key.redacted(),
                config.api_key_source
            ),
        })
    }

    /// A client that sends no key: only for endpoints that need none (`GET /health`).
    pub(crate) fn unauthenticated(
        base_url: &str,
        timeout: Duration,
        user_agent: &str,
        retry: RetryPolicy,
    ) -> Result<Self> {
        let transport = TransportSettings {
            connect_timeout: Duration::from_secs(10),
        };
        pooled_client(&transport)?;
        Ok(HttpClient {
            transport,
            base_url: base_url.to_owned(),
            auth: None,
            user_agent: user_agent_header(user_agent)?,
            timeout,
            retry,
            auth_hint: "This call sends no key; the server should not have asked for one."
                .to_owned(),
        })
    }

    /// A client for a sandbox's agent: its base URL is the sandbox's `public_host`, and each
    /// call carries the sandbox token (never the API key: the sandbox runs untrusted code).
    pub(crate) fn agent(base_url: &str, timeout: Duration, user_agent: &str) -> Result<Self> {
        let mut client = HttpClient::unauthenticated(
            base_url.trim_end_matches('/'),
            timeout,
            user_agent,
            RetryPolicy::default(),
        )?;
        client.auth_hint = "The sandbox's agent refused its token even after a refresh: the sandbox may have been killed, or its token revoked.".to_owned();
        Ok(client)
    }

    /// Sends the request (retrying as the policy allows) and decodes a JSON success body.
    pub(crate) async fn send<T: DeserializeOwned>(&self, request: ApiRequest<'_>) -> Result<T> {
        self.send_raw(&request).await?.json(&request)
    }

    /// Sends the request and reads the whole success body, undecoded.
    pub(crate) async fn send_raw(&self, request: &ApiRequest<'_>) -> Result<RawResponse> {
        let response = self.send_checked(request).await?;
        let status = response.status().as_u16();
        let request_id = header_request_id(response.headers());
        let bytes = response.bytes().await.map_err(|e| {
            Error::new(
                ErrorCode::Network,
                format!(
                    "The connection broke while reading the response to {}.",
                    describe(request)
                ),
            )
            .with_status(status)
            .with_request_id(request_id.clone())
            .with_source(e)
        })?;
        Ok(RawResponse {
            status,
            request_id,
            bytes: bytes.to_vec(),
        })
    }

    /// The retry loop: the first success response, or the error once no retry is allowed.
    async fn send_checked(&self, request: &ApiRequest<'_>) -> Result<reqwest::Response> {
        let url = format!("{}{}", self.base_url, request.path);
        // Looked up per call (a map lookup), so a client made before a fork works after it.
        let client = pooled_client(&self.transport)?;
        let mut attempt = 0u32;
        loop {
            let started = Instant::now();
            let result = self.send_once(&client, &url, request).await;
            let (error, outcome) = match result {
                Ok(response) if response.status().is_success() => {
                    let status = response.status().as_u16();
                    let request_id = header_request_id(response.headers());
                    tracing::debug!(
                        method = %request.method, path = %request.path, status, attempt,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        request_id = request_id.as_deref().unwrap_or(""),
                        "hopx request"
                    );
                    return Ok(response);
                }
                Ok(response) => {
                    let status = response.status();
                    let error = error_from_response(response, request, &self.auth_hint).await;
                    (error, Outcome::Status(status.as_u16()))
                }
                Err(e) => transport_error(e, request),
            };
            tracing::debug!(
                method = %request.method, path = %request.path, attempt,
                code = error.code().as_str(), status = error.status().unwrap_or(0),
                request_id = error.request_id().unwrap_or(""),
                "hopx request failed"
            );
            if !self.retry.should_retry(&request.method, outcome, attempt) {
                return Err(finish_error(error, request, outcome, attempt));
            }
            if let Some(wait) = error.retry_after()
                && wait > self.retry.max_server_wait
            {
                return Err(error.append_message(&format!(
                    "The server asked to wait {}s before retrying, longer than the SDK waits ({}s).",
                    wait.as_secs(),
                    self.retry.max_server_wait.as_secs()
                )));
            }
            let wait = self.retry.backoff(attempt, error.retry_after());
            tracing::debug!(
                method = %request.method, path = %request.path, attempt,
                wait_ms = wait.as_millis() as u64, "hopx request will be retried"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        client: &reqwest::Client,
        url: &str,
        request: &ApiRequest<'_>,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        let mut builder = client
            .request(request.method.clone(), url)
            .timeout(request.timeout.unwrap_or(self.timeout))
            .header(reqwest::header::USER_AGENT, self.user_agent.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(value) = &request.authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, value.clone());
        } else if let Some((name, value)) = &self.auth {
            builder = builder.header(name.clone(), value.clone());
        }
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        match &request.body {
            None => {}
            Some(RequestBody::Json(body)) => builder = builder.json(body),
            Some(RequestBody::Upload {
                path,
                file_name,
                bytes,
            }) => {
                // Built per attempt: a multipart body is consumed by sending it.
                let part = reqwest::multipart::Part::bytes(bytes.as_ref().clone())
                    .file_name(file_name.clone());
                let form = reqwest::multipart::Form::new()
                    .text("path", path.clone())
                    .part("file", part);
                builder = builder.multipart(form);
            }
        }
        builder.send().await
    }
}

fn user_agent_header(user_agent: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(user_agent).map_err(|_| {
        Error::invalid_argument("The user agent contains characters not allowed in a header.")
    })
}

fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn header_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_owned)
}

fn describe(request: &ApiRequest<'_>) -> String {
    format!("{} {}", request.method, request.path)
}

/// A success response, read whole.
pub(crate) struct RawResponse {
    pub status: u16,
    pub request_id: Option<String>,
    pub bytes: Vec<u8>,
}

impl RawResponse {
    /// Decodes the body as the JSON object the API promises.
    pub(crate) fn json<T: DeserializeOwned>(self, request: &ApiRequest<'_>) -> Result<T> {
        decode_success(self, request)
    }
}

fn decode_success<T: DeserializeOwned>(
    response: RawResponse,
    request: &ApiRequest<'_>,
) -> Result<T> {
    let RawResponse {
        status,
        request_id: header_id,
        bytes,
    } = response;
    let decode_error = |what: String| {
        let body_request_id = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("request_id")
                    .and_then(|r| r.as_str())
                    .map(str::to_owned)
            });
        Error::new(
            ErrorCode::Decode,
            format!(
                "The server answered {} with HTTP {status} but {what}, where {} was expected.",
                describe(request),
                request.expecting
            ),
        )
        .with_hint("This is a server or proxy problem, not a problem with your code; if it persists, report it with the request id.")
        .with_status(status)
        .with_request_id(body_request_id.or_else(|| header_id.clone()))
    };
    // Every API response is a JSON object; serde would also read a struct from an array.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        // An empty body (e.g. 204) is fine where the caller reads the answer as optional.
        None => {
            return serde_json::from_slice::<T>(b"null")
                .map_err(|_| decode_error("an empty body".to_owned()));
        }
        Some(b'{') => {}
        Some(_) => return Err(decode_error("a body that is not a JSON object".to_owned())),
    }
    serde_json::from_slice::<T>(&bytes).map_err(|e| {
        // serde's message can quote values from the body (which may hold tokens): report only
        // the category and position.
        decode_error(match e.classify() {
            serde_json::error::Category::Data => format!(
                "JSON of an unexpected shape (line {}, column {})",
                e.line(),
                e.column()
            ),
            _ => format!("malformed JSON (line {}, column {})", e.line(), e.column()),
        })
    })
}

/// The two error body shapes the HopX services send:
/// `{"error": {"message", "code", "request_id", "details"}}` (control plane) and
/// `{"error": "message", "code": "CODE", "request_id", "details"}` (agent).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub message: Option<String>,
    pub code: Option<String>,
    pub request_id: Option<String>,
    pub details: Option<serde_json::Value>,
}

pub(crate) fn parse_error_body(bytes: &[u8]) -> ErrorBody {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return ErrorBody::default();
    };
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let details = |v: Option<&serde_json::Value>| v.filter(|d| d.is_object()).cloned();
    match root.get("error") {
        Some(serde_json::Value::Object(inner)) => ErrorBody {
            message: text(inner.get("message")),
            code: text(inner.get("code")).or_else(|| text(root.get("code"))),
            request_id: text(inner.get("request_id")).or_else(|| text(root.get("request_id"))),
            details: details(inner.get("details")).or_else(|| details(root.get("details"))),
        },
        Some(serde_json::Value::String(message)) => ErrorBody {
            message: Some(message.clone()).filter(|m| !m.is_empty()),
            code: text(root.get("code")),
            request_id: text(root.get("request_id")),
            details: details(root.get("details")),
        },
        _ => ErrorBody {
            message: text(root.get("message")),
            code: text(root.get("code")),
            request_id: text(root.get("request_id")),
            details: details(root.get("details")),
        },
    }
}

/// Which error code an HTTP failure gets: the agent's own codes (`FILE_NOT_FOUND`, ...) name
/// the problem better than the status; otherwise the status decides.
pub(crate) fn code_for_status(status: u16, body: &ErrorBody) -> ErrorCode {
    if let Some(code) = body.code.as_deref().and_then(ErrorCode::from_agent_code) {
        return code;
    }
    let server_code = body.code.as_deref().unwrap_or("").to_ascii_lowercase();
    match status {
        400 => ErrorCode::Validation,
        401 if server_code.contains("expired") => ErrorCode::TokenExpired,
        401 => ErrorCode::Authentication,
        402 => ErrorCode::PaymentRequired,
        403 => {
            let message = body.message.as_deref().unwrap_or("").to_ascii_lowercase();
            let details_name_limit = body
                .details
                .as_ref()
                .and_then(|d| d.as_object())
                .is_some_and(|d| d.contains_key("limit") || d.contains_key("upgrade_url"));
            if server_code.contains("limit")
                || server_code.contains("quota")
                || message.contains("limit")
                || details_name_limit
            {
                ErrorCode::ResourceLimit
            } else {
                ErrorCode::PermissionDenied
            }
        }
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        410 => ErrorCode::Gone,
        422 => ErrorCode::UnprocessableEntity,
        429 => ErrorCode::RateLimited,
        500..=599 => ErrorCode::Server,
        _ => ErrorCode::Api,
    }
}

fn status_hint(code: ErrorCode, auth_hint: &str) -> Option<String> {
    let hint = match code {
        ErrorCode::Authentication | ErrorCode::TokenExpired => return Some(auth_hint.to_owned()),
        ErrorCode::PaymentRequired => "Add credits to the organization in the HopX dashboard.",
        ErrorCode::ResourceLimit => {
            "Stop sandboxes you no longer need, or raise the plan's limits."
        }
        ErrorCode::RateLimited => {
            "Too many requests: slow down, or retry after the time the server gave."
        }
        ErrorCode::Server => {
            "The service had a problem; retry later, and quote the request id if it persists."
        }
        _ => return None,
    };
    Some(hint.to_owned())
}

async fn error_from_response(
    response: reqwest::Response,
    request: &ApiRequest<'_>,
    auth_hint: &str,
) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    // A failed body read leaves an empty body: the status alone still says what happened.
    let bytes = response.bytes().await.unwrap_or_default();
    let body = parse_error_body(&bytes);
    let code = code_for_status(status.as_u16(), &body);
    let now = chrono::Utc::now();
    let header_wait = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let body_wait = body
        .details
        .as_ref()
        .and_then(|d| d.get("retry_after_seconds"))
        .and_then(|v| v.as_f64())
        .and_then(crate::retry::seconds_to_duration);
    let retry_after = match (header_wait, body_wait) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    // Never the raw body: a proxy's error page can echo request headers, key included.
    let server_message = body.message.clone().unwrap_or_else(|| {
        format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("error")
        )
    });
    let mut message = format!(
        "{server_message} ({} returned HTTP {}).",
        describe(request),
        status.as_u16()
    );
    if message.ends_with(".).") {
        message.truncate(message.len() - 1);
    }
    let mut error = Error::new(code, message)
        .with_status(status.as_u16())
        .with_server_code(body.code.clone())
        .with_request_id(
            body.request_id
                .clone()
                .or_else(|| header_request_id(&headers)),
        )
        .with_details(body.details.clone())
        .with_retry_after(retry_after);
    if let Some(hint) = status_hint(code, auth_hint) {
        error = error.with_hint(hint);
    }
    error
}

fn transport_error(e: reqwest::Error, request: &ApiRequest<'_>) -> (Error, Outcome) {
    let cause = error_chain(&e);
    // A connect timeout is both; it is "not sent", so connect is checked first.
    if e.is_connect() {
        let error = Error::new(
            ErrorCode::Network,
            format!("Could not connect for {}: {cause}.", describe(request)),
        )
        .with_hint("Check the base URL and your network connection.")
        .with_source(e);
        (error, Outcome::NotSent)
    } else if e.is_timeout() {
        let error = Error::new(
            ErrorCode::Timeout,
            format!("{} timed out: the request timeout passed before the server answered ({cause}).", describe(request)),
        )
        .with_hint("Raise the request timeout (request_timeout / requestTimeout), or check the server's health.")
        .with_source(e);
        (error, Outcome::MaybeProcessed)
    } else {
        let error = Error::new(
            ErrorCode::Network,
            format!(
                "The connection failed during {}: {cause}.",
                describe(request)
            ),
        )
        .with_source(e);
        (error, Outcome::MaybeProcessed)
    }
}

/// Adds what the caller needs to know once no more retries will happen.
fn finish_error(error: Error, request: &ApiRequest<'_>, outcome: Outcome, attempt: u32) -> Error {
    let mut error = error;
    if outcome == Outcome::MaybeProcessed && !crate::retry::is_idempotent(&request.method) {
        error = error.append_message(
            "The server may have processed the request before the connection failed, so it was not sent again; check before retrying (for a sandbox create: list your sandboxes).",
        );
    }
    if attempt > 0 {
        error = error.append_message(&format!("(Gave up after {} attempts.)", attempt + 1));
    }
    error
}

/// reqwest's Display stops at "error sending request"; the useful part is further down.
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        // reqwest's own text includes the URL, which carries no secret.
        e.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_envelopes() {
        let nested = br#"{"error":{"message":"Invalid key","code":"invalid_api_key","request_id":"req_1","details":{"a":1}}}"#;
        assert_eq!(
            parse_error_body(nested),
            ErrorBody {
                message: Some("Invalid key".into()),
                code: Some("invalid_api_key".into()),
                request_id: Some("req_1".into()),
                details: Some(serde_json::json!({"a": 1})),
            }
        );
        let flat = br#"{"error":"File not found","code":"FILE_NOT_FOUND","request_id":"req_2"}"#;
        let body = parse_error_body(flat);
        assert_eq!(body.message.as_deref(), Some("File not found"));
        assert_eq!(body.code.as_deref(), Some("FILE_NOT_FOUND"));
        assert_eq!(body.request_id.as_deref(), Some("req_2"));
        assert_eq!(parse_error_body(b"<html>oops</html>"), ErrorBody::default());
        assert_eq!(parse_error_body(b""), ErrorBody::default());
    }

    #[test]
    fn status_mapping() {
        let empty = ErrorBody::default();
        let cases = [
            (400, ErrorCode::Validation),
            (401, ErrorCode::Authentication),
            (402, ErrorCode::PaymentRequired),
            (403, ErrorCode::PermissionDenied),
            (404, ErrorCode::NotFound),
            (409, ErrorCode::Conflict),
            (410, ErrorCode::Gone),
            (422, ErrorCode::UnprocessableEntity),
            (429, ErrorCode::RateLimited),
            (500, ErrorCode::Server),
            (503, ErrorCode::Server),
            (418, ErrorCode::Api),
        ];
        for (status, code) in cases {
            assert_eq!(code_for_status(status, &empty), code, "{status}");
        }
        let limit = ErrorBody {
            message: Some("Sandbox limit reached".into()),
            ..Default::default()
        };
        assert_eq!(code_for_status(403, &limit), ErrorCode::ResourceLimit);
        let expired = ErrorBody {
            code: Some("token_expired".into()),
            ..Default::default()
        };
        assert_eq!(code_for_status(401, &expired), ErrorCode::TokenExpired);
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8787"));
        assert!(is_loopback_url("http://localhost:1"));
        assert!(is_loopback_url("http://[::1]:1"));
        assert!(!is_loopback_url("http://example.com"));
    }
}
