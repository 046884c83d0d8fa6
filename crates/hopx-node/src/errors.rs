//! The one conversion from `hopx::Error` to a JavaScript error.
//!
//! The error classes are plain JavaScript (`js/index.js`), so they subclass `Error`, print and
//! serialize like any other error. The native side only hands over what the core knows, as a
//! JSON reason under the status `HOPX_ERROR` (which napi turns into `err.code`); the core names
//! the class for each code ([`hopx::ErrorCode::class_name`]) and `fromNativeError` in
//! `js/index.js` builds the instance. Nothing else (no environment, no request data) goes in.

/// `err` as a napi error whose `code` is `HOPX_ERROR` and whose reason is the JSON object
/// `{className, code, message, hint, status, serverCode, requestId, details, retryAfterMs,
/// attempts, maybeProcessed, timeoutKind}`.
pub(crate) fn to_napi_error(err: hopx::Error) -> napi::Error<&'static str> {
    let reason = serde_json::json!({
        "className": err.code().class_name(),
        "code": err.code().as_str(),
        "message": err.message(),
        "hint": err.hint(),
        "status": err.status(),
        "serverCode": err.server_code(),
        "requestId": err.request_id(),
        "details": err.details(),
        "retryAfterMs": err
            .retry_after()
            .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
        "attempts": err.attempts(),
        "maybeProcessed": err.maybe_processed(),
        "timeoutKind": err.timeout_kind().map(hopx::TimeoutKind::as_str),
    });
    napi::Error::new("HOPX_ERROR", reason.to_string())
}
