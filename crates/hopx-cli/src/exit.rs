//! Exit statuses, and the one mapping from the core's error codes to them.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure (server error, conflict, quota, a file that cannot be written) |
//! | 2 | usage or validation: a bad flag or argument, a bad config value, HTTP 400/422 |
//! | 3 | authentication: no key, a malformed key, a key the API rejects (401/403) |
//! | 4 | not found: a sandbox, template, profile or setting that does not exist (404/410) |
//! | 5 | timeout: the server did not answer in time |
//! | 6 | network: the server could not be reached |
//! | 7 | rate limit: HTTP 429 |
//! | 130 | interrupted (Ctrl-C at the key prompt) |

use hopx::ErrorCode;

/// Success.
pub const OK: i32 = 0;
/// Any other failure.
pub const FAILURE: i32 = 1;
/// A bad flag, argument or configuration value.
pub const USAGE: i32 = 2;
/// No usable API key, or the API rejected it.
pub const AUTH: i32 = 3;
/// The thing asked for does not exist.
pub const NOT_FOUND: i32 = 4;
/// No answer in time.
pub const TIMEOUT: i32 = 5;
/// The server could not be reached.
pub const NETWORK: i32 = 6;
/// Too many requests.
pub const RATE_LIMIT: i32 = 7;
/// Interrupted by the user.
pub const INTERRUPTED: i32 = 130;

/// The exit status for an error of the core.
pub fn for_error_code(code: ErrorCode) -> i32 {
    match code {
        ErrorCode::ApiKeyMissing
        | ErrorCode::ApiKeyEmpty
        | ErrorCode::ApiKeyWrongPrefix
        | ErrorCode::ApiKeyMissingDot
        | ErrorCode::ApiKeyInvalidKeyId
        | ErrorCode::ApiKeyEmptySecret
        | ErrorCode::ApiKeyInvalidCharacter
        | ErrorCode::ApiKeyTooLong
        | ErrorCode::Authentication
        | ErrorCode::TokenExpired
        | ErrorCode::PermissionDenied => AUTH,
        ErrorCode::InvalidArgument
        | ErrorCode::InvalidConfig
        | ErrorCode::Validation
        | ErrorCode::UnprocessableEntity => USAGE,
        ErrorCode::NotFound
        | ErrorCode::TemplateNotFound
        | ErrorCode::Gone
        | ErrorCode::FileNotFound => NOT_FOUND,
        // A run killed at its execution timeout is a timeout too, not a generic failure.
        ErrorCode::Timeout | ErrorCode::ExecutionTimeout => TIMEOUT,
        ErrorCode::Network => NETWORK,
        ErrorCode::RateLimited => RATE_LIMIT,
        _ => FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_documented_status() {
        for code in ErrorCode::ALL {
            let status = for_error_code(*code);
            assert!((1..=7).contains(&status), "{code}: {status}");
        }
        assert_eq!(for_error_code(ErrorCode::ApiKeyMissing), AUTH);
        assert_eq!(for_error_code(ErrorCode::TemplateNotFound), NOT_FOUND);
        assert_eq!(for_error_code(ErrorCode::Server), FAILURE);
        assert_eq!(for_error_code(ErrorCode::ExecutionTimeout), TIMEOUT);
        assert_eq!(for_error_code(ErrorCode::FileNotFound), NOT_FOUND);
    }
}
