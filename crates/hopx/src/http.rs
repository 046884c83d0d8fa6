//! Sending requests: the auth header, the retry loop with its deadline, reading bodies within
//! their size limit, and turning every failure into an [`Error`] with a code.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::config::{AuthHeader, ResolvedConfig};
use crate::error::{Error, ErrorCode, Result, TimeoutKind};
use crate::log::report;
use crate::retry::{Outcome, RetryPolicy, is_idempotent, parse_retry_after};
use crate::transport::{CONNECT_TIMEOUT, Transport, pooled_client};

/// The most a JSON answer may be: far above any real one, far below running out of memory.
pub(crate) const MAX_JSON_RESPONSE_BYTES: u64 = 64 << 20;
/// The most a file download may be (it is held in memory whole).
pub(crate) const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;
/// The most of an error body that is read: only its JSON fields are used.
const MAX_ERROR_BODY_BYTES: u64 = 1 << 20;

/// What one API call sends. Cloneable, so a call can be sent again after a token refresh.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<RequestBody>,
    /// What the response body should be, for decode errors ("a template list").
    pub expecting: &'a str,
    /// The least time an attempt gets, whatever the request timeout: a call that runs code for
    /// up to N seconds needs N seconds plus the time to answer.
    pub min_timeout: Option<Duration>,
    /// The largest answer that is read.
    pub max_response_bytes: u64,
    /// What the caller should check when a POST failed in a way that means it may have been
    /// carried out ("list your sandboxes to see whether it was created").
    pub if_unsure: Option<&'a str>,
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
            min_timeout: None,
            max_response_bytes: MAX_JSON_RESPONSE_BYTES,
            if_unsure: None,
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

    pub(crate) fn min_timeout(mut self, timeout: Duration) -> Self {
        self.min_timeout = Some(timeout);
        self
    }

    pub(crate) fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    pub(crate) fn if_unsure(mut self, what_to_check: &'a str) -> Self {
        self.if_unsure = Some(what_to_check);
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
    transport: Transport,
    base_url: String,
    /// The key header; `None` for the health check and for agent calls (which carry the
    /// sandbox token per request).
    auth: Option<(HeaderName, HeaderValue)>,
    user_agent: HeaderValue,
    timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    /// The hint for a 401: names the key ("hopx_live_<keyId>.**** from HOPX_API_KEY") or
    /// says that the sandbox token was refused.
    auth_hint: String,
}

/// The settings of a client that sends no API key.
pub(crate) struct KeylessSettings<'a> {
    pub user_agent: &'a str,
    pub request_timeout: Duration,
    pub deadline: Duration,
    pub retry: RetryPolicy,
    pub transport: &'a Transport,
}

impl<'a> KeylessSettings<'a> {
    pub(crate) fn of(config: &'a ResolvedConfig) -> Self {
        KeylessSettings {
            user_agent: &config.user_agent,
            request_timeout: config.request_timeout,
            deadline: config.deadline,
            retry: config.retry,
            transport: &config.transport,
        }
    }
}

impl HttpClient {
    pub(crate) fn new(config: &ResolvedConfig) -> Result<Self> {
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
        if config.base_url.starts_with("http://")
            && !is_loopback_url(&config.base_url)
            && first_warning_for(&config.base_url)
        {
            report!(
                WARN,
                "sending the API key over plain http to a non-loopback host; use https",
                base_url = &config.base_url
            );
        }
        let mut client = HttpClient::keyless(&config.base_url, &KeylessSettings::of(config))?;
        client.auth = Some((auth_name, auth_value));
        client.auth_hint = format!(
            "The key sent was {} from {}: check that it is current and belongs to this server (base URL).",
            config.api_key.redacted(),
            config.api_key_source
        );
        Ok(client)
    }

    /// A client that sends no key: for endpoints that need none (`GET /health`), and the base
    /// of agent clients.
    pub(crate) fn keyless(base_url: &str, settings: &KeylessSettings<'_>) -> Result<Self> {
        // Fails early (before any request) if the HTTP stack cannot be set up at all.
        pooled_client(settings.transport)?;
        Ok(HttpClient {
            transport: settings.transport.clone(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            auth: None,
            user_agent: user_agent_header(settings.user_agent)?,
            timeout: settings.request_timeout,
            deadline: settings.deadline,
            retry: settings.retry,
            auth_hint: "This call sends no key; the server should not have asked for one."
                .to_owned(),
        })
    }

    /// A client for a sandbox's agent: its base URL is the sandbox's `public_host`, and each
    /// call carries the sandbox token (never the API key: the sandbox runs untrusted code).
    pub(crate) fn agent(base_url: &str, config: &ResolvedConfig) -> Result<Self> {
        let mut client = HttpClient::keyless(base_url, &KeylessSettings::of(config))?;
        client.auth_hint = "The sandbox's agent refused its token even after a refresh: the sandbox may have been killed, or its token revoked.".to_owned();
        Ok(client)
    }

    /// Sends the request (retrying as the policy allows) and decodes a JSON success body.
    pub(crate) async fn send<T: DeserializeOwned>(&self, request: ApiRequest<'_>) -> Result<T> {
        self.send_raw(&request).await?.json(&request)
    }

    /// The retry loop: the first success response, read whole, or the error once no retry is
    /// allowed or the deadline leaves no room for one.
    pub(crate) async fn send_raw(&self, request: &ApiRequest<'_>) -> Result<RawResponse> {
        use tracing::Instrument;
        // One span per call, so a subscriber sees the attempts and waits of a call together.
        let span = tracing::debug_span!(
            "hopx_request",
            method = request.method.as_str(),
            path = %request.path
        );
        self.send_with_retries(request).instrument(span).await
    }

    async fn send_with_retries(&self, request: &ApiRequest<'_>) -> Result<RawResponse> {
        let url = format!("{}{}", self.base_url, request.path);
        // Looked up per call (a map lookup), so a client made before a fork works after it.
        let client = pooled_client(&self.transport)?;
        let attempt_timeout = request
            .min_timeout
            .map_or(self.timeout, |least| least.max(self.timeout));
        // A call that runs code for longer than the deadline still gets its one attempt.
        let deadline = request
            .min_timeout
            .map_or(self.deadline, |least| least.max(self.deadline));
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let remaining = deadline.saturating_sub(started.elapsed());
            let (this_timeout, timeout_kind) = if remaining < attempt_timeout {
                (remaining, TimeoutKind::Deadline)
            } else {
                (attempt_timeout, TimeoutKind::Request)
            };
            let attempt_started = Instant::now();
            let result =
                tokio::time::timeout(this_timeout, self.attempt(&client, &url, request)).await;
            let elapsed_ms = attempt_started.elapsed().as_millis() as u64;
            let (error, outcome) = match result {
                Ok(Ok(mut response)) => {
                    response.attempts = attempt + 1;
                    report!(
                        DEBUG,
                        "request succeeded",
                        method = request.method.as_str(),
                        path = &request.path,
                        status = response.status,
                        attempt = attempt + 1,
                        elapsed_ms = elapsed_ms,
                        request_id = response.request_id.as_deref().unwrap_or("-"),
                    );
                    return Ok(response);
                }
                Ok(Err(failure)) => failure,
                Err(_) => (
                    self.timeout_error(request, timeout_kind, this_timeout, deadline),
                    Outcome::MaybeProcessed,
                ),
            };
            let error = error.with_attempts(attempt + 1);
            report!(
                DEBUG,
                "request failed",
                method = request.method.as_str(),
                path = &request.path,
                code = error.code().as_str(),
                status = error.status().unwrap_or(0),
                attempt = attempt + 1,
                elapsed_ms = elapsed_ms,
                request_id = error.request_id().unwrap_or("-"),
            );
            if error.timeout_kind() == Some(TimeoutKind::Deadline)
                || !self.retry.should_retry(&request.method, outcome, attempt)
            {
                return Err(finish_error(error, request, outcome, attempt + 1));
            }
            let server_wait = error.retry_after();
            if let Some(wait) = server_wait
                && wait > self.retry.max_server_wait
            {
                return Err(error.append_message(&format!(
                    "The server asked to wait {} before retrying, longer than the SDK waits ({}), so it gave up at once.",
                    seconds(wait),
                    seconds(self.retry.max_server_wait)
                )));
            }
            let wait = self.retry.backoff(attempt, server_wait);
            let remaining = deadline.saturating_sub(started.elapsed());
            if wait >= remaining {
                return Err(error
                    .with_retry_after(Some(wait))
                    .with_timeout_kind(TimeoutKind::Deadline)
                    .append_message(&format!(
                        "Retrying needed a wait of {}, but only {} of the call's deadline ({}) was left, so it gave up at once.",
                        seconds(wait),
                        seconds(remaining),
                        seconds(deadline)
                    ))
                    .with_hint("Raise the deadline (deadline in Python and Rust, deadlineMs in JavaScript) to wait longer, or try again later."));
            }
            report!(
                INFO,
                "retrying request",
                method = request.method.as_str(),
                path = &request.path,
                code = error.code().as_str(),
                status = error.status().unwrap_or(0),
                attempt = attempt + 1,
                wait_s = wait.as_secs_f64(),
                server_wait_s = server_wait.map_or(0.0, |w| w.as_secs_f64()),
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt: the response, read whole, or why it failed and whether it was sent.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        url: &str,
        request: &ApiRequest<'_>,
    ) -> std::result::Result<RawResponse, (Error, Outcome)> {
        let response = self
            .send_once(client, url, request)
            .await
            .map_err(|e| transport_error(e, request))?;
        let status = response.status();
        if !status.is_success() {
            let error = error_from_response(response, request, &self.auth_hint).await;
            return Err((error, Outcome::Status(status.as_u16())));
        }
        let status = status.as_u16();
        let request_id = header_request_id(response.headers());
        match read_body(response, request.max_response_bytes).await {
            Ok(bytes) => Ok(RawResponse {
                status,
                request_id,
                bytes,
                attempts: 0,
            }),
            Err(BodyError::TooLarge(size)) => {
                let size = size.map_or_else(String::new, |n| format!(" ({n} bytes)"));
                let error = Error::new(
                    ErrorCode::Decode,
                    format!(
                        "The answer to {} is larger{size} than the {} MiB the SDK reads for it, so it was not read.",
                        describe(request),
                        request.max_response_bytes >> 20
                    ),
                )
                .with_hint("This is a server or proxy problem, not a problem with your code.")
                .with_status(status)
                .with_request_id(request_id);
                Err((error, Outcome::Status(status)))
            }
            Err(BodyError::Broken(e)) => {
                let error = Error::new(
                    ErrorCode::Network,
                    format!(
                        "The connection broke while reading the answer to {}: {}.",
                        describe(request),
                        error_chain(&e)
                    ),
                )
                .with_status(status)
                .with_request_id(request_id)
                .with_source(e);
                Err((error, Outcome::MaybeProcessed))
            }
        }
    }

    fn timeout_error(
        &self,
        request: &ApiRequest<'_>,
        kind: TimeoutKind,
        waited: Duration,
        deadline: Duration,
    ) -> Error {
        let (message, hint) = match kind {
            TimeoutKind::Deadline => (
                format!(
                    "{} ran out of its deadline ({}): the last attempt had {} left and got no complete answer in time.",
                    describe(request),
                    seconds(deadline),
                    seconds(waited)
                ),
                "Raise the deadline (deadline in Python and Rust, deadlineMs in JavaScript), or check the server's health.",
            ),
            _ if request
                .min_timeout
                .is_some_and(|least| least > self.timeout) =>
            {
                (
                    format!(
                        "{} got no complete answer within {}: the execution timeout plus time for the sandbox to answer.",
                        describe(request),
                        seconds(waited)
                    ),
                    "The sandbox may be overloaded or stopped; check it with get_info / getInfo.",
                )
            }
            _ => (
                format!(
                    "{} got no complete answer within the request timeout ({}).",
                    describe(request),
                    seconds(waited)
                ),
                "Raise the request timeout (request_timeout in Python and Rust, requestTimeoutMs in JavaScript), or check the server's health.",
            ),
        };
        Error::new(ErrorCode::Timeout, message)
            .with_hint(hint)
            .with_timeout_kind(kind)
    }

    async fn send_once(
        &self,
        client: &reqwest::Client,
        url: &str,
        request: &ApiRequest<'_>,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        let mut builder = client
            .request(request.method.clone(), url)
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

/// True the first time a URL is seen in this process: Python and Node build a client per
/// class-level call, and one warning per URL says it all.
fn first_warning_for(url: &str) -> bool {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if warned.iter().any(|seen| seen == url) {
        return false;
    }
    // Bounded: a program that talks to thousands of plain-http hosts still gets warnings,
    // without this list growing forever.
    if warned.len() >= 64 {
        warned.clear();
    }
    warned.push(url.to_owned());
    true
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
    /// How many times the request was sent to get it.
    pub attempts: u32,
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
        attempts,
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
        .with_attempts(attempts)
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
    // A failed (or oversized) body read leaves an empty body: the status alone still says what
    // happened.
    let bytes = read_body(response, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
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
    if code == ErrorCode::ExecutionTimeout {
        error = error.with_timeout_kind(TimeoutKind::Execution);
    }
    error
}

fn transport_error(e: reqwest::Error, request: &ApiRequest<'_>) -> (Error, Outcome) {
    let cause = error_chain(&e);
    // A connect timeout is both; it is "not sent", so connect is checked first.
    if e.is_connect() {
        let mut error = Error::new(
            ErrorCode::Network,
            format!("Could not connect for {}: {cause}.", describe(request)),
        )
        .with_hint("Check the base URL, the proxy settings and your network connection.");
        if e.is_timeout() {
            error = error
                .with_code(ErrorCode::Timeout)
                .with_timeout_kind(TimeoutKind::Connect)
                .append_message(&format!(
                    "No connection within the connect timeout ({}); nothing was sent.",
                    seconds(CONNECT_TIMEOUT)
                ));
        } else if is_certificate_problem(&cause) {
            // Waiting does not make a certificate trusted: no retry.
            let error = error
                .append_message("The server's TLS certificate is not trusted; nothing was sent.")
                .with_hint(
                    "If it is signed by a private CA, pass its PEM file as ca_bundle (caBundle in JavaScript) or set HOPX_CA_BUNDLE.",
                );
            return (error.with_source(e), Outcome::Permanent);
        }
        (error.with_source(e), Outcome::NotSent)
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

/// rustls's words for a certificate it does not accept (unknown issuer, expired, wrong name).
fn is_certificate_problem(cause: &str) -> bool {
    let cause = cause.to_ascii_lowercase();
    cause.contains("certificate") || cause.contains("unknownissuer")
}

/// Adds what the caller needs to know once no more retries will happen.
fn finish_error(error: Error, request: &ApiRequest<'_>, outcome: Outcome, attempts: u32) -> Error {
    let mut error = error;
    let may_have_happened = matches!(
        outcome,
        Outcome::MaybeProcessed | Outcome::Status(500 | 502 | 504)
    );
    if may_have_happened && !is_idempotent(&request.method) {
        error = error.with_maybe_processed().append_message(&format!(
            "The server may have carried the request out before this failure, so it was not sent again; {} before trying again.",
            request.if_unsure.unwrap_or("check whether it took effect")
        ));
    }
    if attempts > 1 {
        error = error.append_message(&format!("(Gave up after {attempts} attempts.)"));
    }
    error
}

/// Why a body could not be read.
enum BodyError {
    /// Larger than allowed (the size, when the server announced it).
    TooLarge(Option<u64>),
    Broken(reqwest::Error),
}

/// Reads a whole body, stopping as soon as it passes `limit` bytes (announced or received),
/// so an endless or enormous answer costs at most `limit` bytes of memory.
async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> std::result::Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if let Some(size) = announced
        && size > limit
    {
        return Err(BodyError::TooLarge(Some(size)));
    }
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0).min(1 << 20) as usize);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge(None));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A duration as people read it: "60 s", "0.5 s", "1.25 s".
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{} s", format!("{secs:.2}").trim_end_matches('0'))
    }
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
    fn durations_read_like_people_write_them() {
        assert_eq!(seconds(Duration::from_secs(60)), "60 s");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(seconds(Duration::from_millis(1250)), "1.25 s");
        assert_eq!(seconds(Duration::from_millis(300)), "0.3 s");
    }

    #[test]
    fn only_a_post_that_may_have_happened_is_marked() {
        let post = ApiRequest::new(Method::POST, "/v1/sandboxes", "a sandbox")
            .if_unsure("list your sandboxes");
        let get = ApiRequest::new(Method::GET, "/v1/templates", "a list");
        let error = || Error::new(ErrorCode::Server, "boom.");
        let marked = finish_error(error(), &post, Outcome::Status(502), 1);
        assert!(marked.maybe_processed());
        assert!(marked.message().contains("list your sandboxes"), "{marked}");
        assert!(!finish_error(error(), &post, Outcome::Status(503), 4).maybe_processed());
        assert!(!finish_error(error(), &post, Outcome::NotSent, 1).maybe_processed());
        let retried = finish_error(error(), &get, Outcome::MaybeProcessed, 4);
        assert!(!retried.maybe_processed());
        assert!(retried.message().ends_with("(Gave up after 4 attempts.)"));
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8787"));
        assert!(is_loopback_url("http://localhost:1"));
        assert!(is_loopback_url("http://[::1]:1"));
        assert!(!is_loopback_url("http://example.com"));
    }
}
