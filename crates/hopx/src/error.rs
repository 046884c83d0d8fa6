//! One error type for everything the SDK can report.
//!
//! Every error carries an [`ErrorCode`]: a stable string shared by the Rust, Python and
//! JavaScript SDKs, so a program (or a test) can match on it in any language. The code also
//! names the exception class each binding raises ([`ErrorCode::class_name`]), so the mapping
//! from kinds to classes lives here once instead of once per language.
//!
//! Nothing that reaches an [`Error`] may contain a secret: messages are built from our own
//! words, from the server's structured `message` field and from redacted key forms, never from
//! raw response bodies, header values or request bodies.

use std::fmt;
use std::time::Duration;

/// A stable, language-independent name for a kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No API key in any of the places the SDK looks.
    ApiKeyMissing,
    /// The API key is empty (or only whitespace and quotes).
    ApiKeyEmpty,
    /// The API key does not start with `hopx_live_`.
    ApiKeyWrongPrefix,
    /// The API key has no `.` between its key id and its secret.
    ApiKeyMissingDot,
    /// The key id (between `hopx_live_` and the `.`) is not 12 letters or digits.
    ApiKeyInvalidKeyId,
    /// Nothing after the `.`.
    ApiKeyEmptySecret,
    /// A space, control character or other character that cannot be part of a key.
    ApiKeyInvalidCharacter,
    /// Far longer than any real key: almost certainly not one.
    ApiKeyTooLong,
    /// An argument the caller passed is not acceptable; nothing was sent.
    InvalidArgument,
    /// A configuration value (environment variable, config file) is not acceptable.
    InvalidConfig,
    /// HTTP 400: the server rejected the request's content.
    Validation,
    /// HTTP 401: the server did not accept the credentials.
    Authentication,
    /// HTTP 401 with the server saying the token expired.
    TokenExpired,
    /// HTTP 402: the organization has no credits left.
    PaymentRequired,
    /// HTTP 403: not allowed.
    PermissionDenied,
    /// HTTP 403 that names a plan or quota limit.
    ResourceLimit,
    /// HTTP 404.
    NotFound,
    /// HTTP 404 for a template named in a create call.
    TemplateNotFound,
    /// HTTP 409.
    Conflict,
    /// HTTP 410.
    Gone,
    /// HTTP 422.
    UnprocessableEntity,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    Server,
    /// Any other non-success HTTP status.
    Api,
    /// The connection could not be made, or broke.
    Network,
    /// The request timeout passed before the server answered.
    Timeout,
    /// The server answered with success, but the body is not what the API promises.
    Decode,
    /// The agent: no such file or directory in the sandbox.
    FileNotFound,
    /// The agent refused a file operation (path outside the sandbox, exists, not a directory...).
    FileOperation,
    /// The agent could not run the code.
    CodeExecution,
    /// The code ran longer than its execution timeout and was killed.
    ExecutionTimeout,
    /// The agent could not run the command.
    CommandExecution,
    /// Any other error the sandbox's agent reported.
    Agent,
}

impl ErrorCode {
    /// Every code, for tests and for bindings that build lookup tables.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::ApiKeyMissing,
        ErrorCode::ApiKeyEmpty,
        ErrorCode::ApiKeyWrongPrefix,
        ErrorCode::ApiKeyMissingDot,
        ErrorCode::ApiKeyInvalidKeyId,
        ErrorCode::ApiKeyEmptySecret,
        ErrorCode::ApiKeyInvalidCharacter,
        ErrorCode::ApiKeyTooLong,
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidConfig,
        ErrorCode::Validation,
        ErrorCode::Authentication,
        ErrorCode::TokenExpired,
        ErrorCode::PaymentRequired,
        ErrorCode::PermissionDenied,
        ErrorCode::ResourceLimit,
        ErrorCode::NotFound,
        ErrorCode::TemplateNotFound,
        ErrorCode::Conflict,
        ErrorCode::Gone,
        ErrorCode::UnprocessableEntity,
        ErrorCode::RateLimited,
        ErrorCode::Server,
        ErrorCode::Api,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Decode,
        ErrorCode::FileNotFound,
        ErrorCode::FileOperation,
        ErrorCode::CodeExecution,
        ErrorCode::ExecutionTimeout,
        ErrorCode::CommandExecution,
        ErrorCode::Agent,
    ];

    /// The stable string form, identical in every language.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ApiKeyMissing => "api_key_missing",
            ErrorCode::ApiKeyEmpty => "api_key_empty",
            ErrorCode::ApiKeyWrongPrefix => "api_key_wrong_prefix",
            ErrorCode::ApiKeyMissingDot => "api_key_missing_dot",
            ErrorCode::ApiKeyInvalidKeyId => "api_key_invalid_key_id",
            ErrorCode::ApiKeyEmptySecret => "api_key_empty_secret",
            ErrorCode::ApiKeyInvalidCharacter => "api_key_invalid_character",
            ErrorCode::ApiKeyTooLong => "api_key_too_long",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::Validation => "validation_error",
            ErrorCode::Authentication => "authentication_error",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::PaymentRequired => "payment_required",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::ResourceLimit => "resource_limit",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TemplateNotFound => "template_not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Gone => "gone",
            ErrorCode::UnprocessableEntity => "unprocessable_entity",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Server => "server_error",
            ErrorCode::Api => "api_error",
            ErrorCode::Network => "network_error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Decode => "decode_error",
            ErrorCode::FileNotFound => "file_not_found",
            ErrorCode::FileOperation => "file_operation_failed",
            ErrorCode::CodeExecution => "code_execution_failed",
            ErrorCode::ExecutionTimeout => "execution_timeout",
            ErrorCode::CommandExecution => "command_execution_failed",
            ErrorCode::Agent => "agent_error",
        }
    }

    /// The exception class the Python and JavaScript SDKs raise for this code. The names follow
    /// the official SDKs' classes where one exists; both bindings look the class up by this name.
    pub const fn class_name(self) -> &'static str {
        match self {
            ErrorCode::ApiKeyMissing => "MissingApiKeyError",
            ErrorCode::ApiKeyEmpty
            | ErrorCode::ApiKeyWrongPrefix
            | ErrorCode::ApiKeyMissingDot
            | ErrorCode::ApiKeyInvalidKeyId
            | ErrorCode::ApiKeyEmptySecret
            | ErrorCode::ApiKeyInvalidCharacter
            | ErrorCode::ApiKeyTooLong => "InvalidApiKeyError",
            ErrorCode::InvalidArgument => "InvalidArgumentError",
            ErrorCode::InvalidConfig => "ConfigurationError",
            ErrorCode::Validation | ErrorCode::UnprocessableEntity => "ValidationError",
            ErrorCode::Authentication => "AuthenticationError",
            ErrorCode::TokenExpired => "TokenExpiredError",
            ErrorCode::PaymentRequired => "PaymentRequiredError",
            ErrorCode::PermissionDenied => "PermissionDeniedError",
            ErrorCode::ResourceLimit => "ResourceLimitError",
            ErrorCode::NotFound => "NotFoundError",
            ErrorCode::TemplateNotFound => "TemplateNotFoundError",
            ErrorCode::Conflict => "ConflictError",
            ErrorCode::Gone => "GoneError",
            ErrorCode::RateLimited => "RateLimitError",
            ErrorCode::Server => "ServerError",
            ErrorCode::Api => "APIError",
            ErrorCode::Network => "NetworkError",
            ErrorCode::Timeout => "TimeoutError",
            ErrorCode::Decode => "ResponseDecodeError",
            ErrorCode::FileNotFound => "FileNotFoundError",
            ErrorCode::FileOperation => "FileOperationError",
            ErrorCode::CodeExecution | ErrorCode::ExecutionTimeout => "CodeExecutionError",
            ErrorCode::CommandExecution => "CommandExecutionError",
            ErrorCode::Agent => "AgentError",
        }
    }

    /// The code for one of the agent's own error codes (`FILE_NOT_FOUND`, ...), as the official
    /// SDK maps them. Authentication codes are left to the HTTP status (401).
    pub fn from_agent_code(code: &str) -> Option<ErrorCode> {
        Some(match code {
            "FILE_NOT_FOUND" => ErrorCode::FileNotFound,
            "PATH_NOT_ALLOWED"
            | "DIRECTORY_NOT_FOUND"
            | "INVALID_PATH"
            | "FILE_ALREADY_EXISTS"
            | "PERMISSION_DENIED"
            | "FILE_OPERATION_FAILED"
            | "NOT_A_DIRECTORY"
            | "IS_A_DIRECTORY"
            | "BINARY_FILE"
            | "NOT_UTF8" => ErrorCode::FileOperation,
            "EXECUTION_TIMEOUT" => ErrorCode::ExecutionTimeout,
            "EXECUTION_FAILED" => ErrorCode::CodeExecution,
            "COMMAND_FAILED" | "COMMAND_TIMEOUT" => ErrorCode::CommandExecution,
            "TOKEN_EXPIRED" => ErrorCode::TokenExpired,
            _ => return None,
        })
    }

    /// Parses the string form back (for tests and fixtures).
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// True for the codes that mean "the API key is malformed".
    pub const fn is_invalid_api_key(self) -> bool {
        matches!(
            self,
            ErrorCode::ApiKeyEmpty
                | ErrorCode::ApiKeyWrongPrefix
                | ErrorCode::ApiKeyMissingDot
                | ErrorCode::ApiKeyInvalidKeyId
                | ErrorCode::ApiKeyEmptySecret
                | ErrorCode::ApiKeyInvalidCharacter
                | ErrorCode::ApiKeyTooLong
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SDK's error: what went wrong, how to fix it, and what the server said. Boxed so that
/// `Result<T>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    code: ErrorCode,
    message: String,
    hint: Option<String>,
    status: Option<u16>,
    server_code: Option<String>,
    request_id: Option<String>,
    details: Option<serde_json::Value>,
    retry_after: Option<Duration>,
    attempts: u32,
    maybe_processed: bool,
    timeout_kind: Option<TimeoutKind>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Which of the separate timeouts fired. They are different settings with different fixes, so
/// an error names the one that did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No TCP/TLS connection within the connect timeout (10 s); nothing was sent.
    Connect,
    /// One attempt got no (complete) answer within the request timeout.
    Request,
    /// The whole call, retries and waits included, ran out of its deadline.
    Deadline,
    /// The sandbox stopped the code when its execution timeout passed.
    Execution,
}

impl TimeoutKind {
    /// The stable string form, identical in every language.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Request => "request",
            TimeoutKind::Deadline => "deadline",
            TimeoutKind::Execution => "execution",
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error with a code and a message that says what is wrong. Anything in the message
    /// that looks like a key or a token is redacted ([`crate::key::scrub_secrets`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: scrubbed(message.into()),
            hint: None,
            status: None,
            server_code: None,
            request_id: None,
            details: None,
            retry_after: None,
            attempts: 0,
            maybe_processed: false,
            timeout_kind: None,
            source: None,
        }))
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    pub(crate) fn invalid_config(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidConfig, message)
    }

    /// Adds a sentence that says how to fix the problem.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(scrubbed(hint.into()));
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    pub(crate) fn with_server_code(mut self, code: Option<String>) -> Self {
        self.0.server_code = code.map(scrubbed);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.0.request_id = request_id.map(scrubbed);
        self
    }

    pub(crate) fn with_details(mut self, details: Option<serde_json::Value>) -> Self {
        self.0.details = details.map(scrub_json);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    pub(crate) fn with_maybe_processed(mut self) -> Self {
        self.0.maybe_processed = true;
        self
    }

    pub(crate) fn with_timeout_kind(mut self, kind: TimeoutKind) -> Self {
        self.0.timeout_kind = Some(kind);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_code(mut self, code: ErrorCode) -> Self {
        self.0.code = code;
        self
    }

    pub(crate) fn append_message(mut self, sentence: &str) -> Self {
        self.0.message.push(' ');
        self.0
            .message
            .push_str(&crate::key::scrub_secrets(sentence));
        self
    }

    /// The stable kind of failure.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// What went wrong, as one or more sentences. Never contains a secret.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// How to fix it, when the SDK knows.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The server's own error code (e.g. `invalid_api_key`), when it sent one.
    pub fn server_code(&self) -> Option<&str> {
        self.0.server_code.as_deref()
    }

    /// The request id from the error body or the `X-Request-ID` header: quote it to support.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The server's structured `details` object, when it sent one.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.0.details.as_ref()
    }

    /// How long the server asked us to wait (HTTP 429 and 503), or the backoff the SDK would
    /// have needed when it gave up because the wait did not fit in the call's deadline.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// How many times the request was sent (0: the error came before anything was sent).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// True when the server may have carried the request out even though the call failed (a
    /// POST whose connection broke, or that got a 500/502/504): it was not sent again, and the
    /// caller should check (for a create: list the sandboxes) before trying again.
    pub fn maybe_processed(&self) -> bool {
        self.0.maybe_processed
    }

    /// Which timeout fired, for [`ErrorCode::Timeout`] and [`ErrorCode::ExecutionTimeout`].
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        self.0.timeout_kind
    }
}

fn scrubbed(text: String) -> String {
    match crate::key::scrub_secrets(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

/// The server's `details`, with every string (and key) scrubbed like messages are.
fn scrub_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(scrubbed(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (scrubbed(k), scrub_json(v)))
                .collect(),
        ),
        other => other,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(hint) = &self.0.hint {
            write!(f, " {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(code.class_name().ends_with("Error"));
        }
    }

    #[test]
    fn messages_hints_and_details_never_carry_credentials() {
        let key = "hopx_live_AbCdEf123456.Zq9xS3cr3tV4l";
        let e = Error::new(ErrorCode::TemplateNotFound, format!("No template '{key}'."))
            .with_hint(format!("Not {key}."))
            .with_details(Some(serde_json::json!({"name": key, "list": [key]})))
            .append_message(key);
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("Zq9xS3cr3tV4l"), "{shown}");
        assert!(shown.contains("hopx_live_AbCdEf123456.****"));
    }

    #[test]
    fn display_appends_hint() {
        let e = Error::new(ErrorCode::InvalidArgument, "Bad thing.").with_hint("Do this.");
        assert_eq!(e.to_string(), "Bad thing. Do this.");
    }
}
