//! The HopX API key: parsing, validation and redaction.
//!
//! Keys look like `hopx_live_<keyId>.<secret>`. The key id (12 letters or digits) is not
//! secret and is what the dashboard shows; the secret is everything after the dot. An
//! [`ApiKey`] only ever prints as `hopx_live_<keyId>.****`, and no error built here contains any
//! part of the input beyond what is needed to say what is wrong.

use std::fmt;

use crate::error::{Error, ErrorCode, Result};

/// The prefix of every HopX API key.
pub const KEY_PREFIX: &str = "hopx_live_";
/// The length of the key id between the prefix and the dot.
pub const KEY_ID_LEN: usize = 12;
/// Longer inputs are refused outright: real keys are about 60 characters, and a header this
/// long means a file or a whole config was pasted by mistake.
pub const MAX_KEY_LEN: usize = 512;

/// A validated (or, when validation is turned off, at least header-safe) API key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiKey {
    full: String,
    /// Set when the key has the standard shape, so the redacted form can show the key id.
    key_id_len: Option<usize>,
}

impl ApiKey {
    /// Parses and validates a key, trimming surrounding whitespace and quotes first.
    pub fn parse(input: &str) -> Result<ApiKey> {
        ApiKey::parse_from(input, "The API key", true)
    }

    /// Like [`ApiKey::parse`]; `origin` names where the key came from in error messages
    /// (e.g. "The API key in HOPX_API_KEY"), and `validate: false` skips the format rules
    /// (for self-hosted deployments with other key formats), keeping only the checks that
    /// any HTTP header value needs.
    pub fn parse_from(input: &str, origin: &str, validate: bool) -> Result<ApiKey> {
        let key = normalize(input);
        if key.is_empty() {
            return Err(key_error(
                ErrorCode::ApiKeyEmpty,
                format!("{origin} is empty."),
                "Set it to the full key from the HopX dashboard, which starts with 'hopx_live_'.",
            ));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(key_error(
                ErrorCode::ApiKeyTooLong,
                format!(
                    "{origin} is {} characters long; HopX keys are under {MAX_KEY_LEN}.",
                    key.chars().count()
                ),
                "Check that only the key was copied, not a whole file or several lines.",
            ));
        }
        if key
            .as_bytes()
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"bearer "))
        {
            return Err(key_error(
                ErrorCode::ApiKeyWrongPrefix,
                format!("{origin} starts with 'Bearer '."),
                "Give the key alone; the SDK adds the 'Bearer ' header prefix itself.",
            ));
        }
        if let Some((position, what)) = first_bad_header_char(key) {
            return Err(key_error(
                ErrorCode::ApiKeyInvalidCharacter,
                format!("{origin} contains {what} at position {position}."),
                "Keys contain no whitespace or control characters: copy the key again as one line.",
            ));
        }
        if !validate {
            return Ok(ApiKey {
                full: key.to_owned(),
                key_id_len: standard_key_id_len(key),
            });
        }
        let Some(rest) = key.strip_prefix(KEY_PREFIX) else {
            return Err(wrong_prefix(key, origin));
        };
        let Some((key_id, secret)) = rest.split_once('.') else {
            return Err(key_error(
                ErrorCode::ApiKeyMissingDot,
                format!("{origin} has no '.' between its key id and its secret."),
                "A HopX key looks like hopx_live_<12-character key id>.<secret>; copy the whole key, including the part after the dot.",
            ));
        };
        if key_id.len() != KEY_ID_LEN || !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let problem = if key_id.chars().count() != KEY_ID_LEN {
                format!("is {} characters long", key_id.chars().count())
            } else {
                "contains a character other than letters and digits".to_owned()
            };
            return Err(key_error(
                ErrorCode::ApiKeyInvalidKeyId,
                format!(
                    "{origin} has a malformed key id: the part between 'hopx_live_' and '.' {problem}, but it must be {KEY_ID_LEN} letters or digits."
                ),
                "Copy the key again from the HopX dashboard.",
            ));
        }
        if secret.is_empty() {
            return Err(key_error(
                ErrorCode::ApiKeyEmptySecret,
                format!("{origin} ends at the '.': the secret after it is missing."),
                "Copy the whole key; the secret is only shown once, when the key is created, so create a new key if you no longer have it.",
            ));
        }
        if let Some(offset) = secret
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            let position = KEY_PREFIX.len() + KEY_ID_LEN + 1 + offset;
            return Err(key_error(
                ErrorCode::ApiKeyInvalidCharacter,
                format!(
                    "{origin} contains a character that cannot be part of a key secret at position {position} (only letters, digits, '_' and '-' can)."
                ),
                "Copy the key again from the HopX dashboard.",
            ));
        }
        Ok(ApiKey {
            full: key.to_owned(),
            key_id_len: Some(KEY_ID_LEN),
        })
    }

    /// The key id (the non-secret part the dashboard shows), when the key has the standard shape.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id_len
            .map(|len| &self.full[KEY_PREFIX.len()..KEY_PREFIX.len() + len])
    }

    /// The whole key, for the one place that needs it: the request header.
    pub fn expose_secret(&self) -> &str {
        &self.full
    }

    /// `hopx_live_<keyId>.****`, or `****` for keys of another shape.
    pub fn redacted(&self) -> String {
        match self.key_id() {
            Some(id) => format!("{KEY_PREFIX}{id}.****"),
            None => "****".to_owned(),
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Trims what copying from files, env vars and shells tends to add: surrounding whitespace and
/// line breaks, and one pair of matching surrounding quotes.
fn normalize(input: &str) -> &str {
    let trimmed = input.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| trimmed.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
        .unwrap_or(trimmed);
    unquoted.trim()
}

/// Replaces anything in `text` that looks like a credential with its redacted form: HopX keys
/// become `hopx_live_<keyId>.****` and JWTs (such as sandbox tokens) become `****`. Every error
/// message passes through this, so a key that ends up in the wrong argument (a template name,
/// a profile) or that a server echoes back is never shown.
pub fn scrub_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(KEY_PREFIX) && !text.contains("eyJ") {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_token_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let at_word_start = i == 0 || !is_token_byte(bytes[i - 1]);
        if rest.starts_with(KEY_PREFIX) || (at_word_start && rest.starts_with("eyJ")) {
            let mut len = rest.bytes().take_while(|b| is_token_byte(*b)).count();
            let token = &rest[..len];
            if let Some(body) = token.strip_prefix(KEY_PREFIX) {
                // An already redacted key (`hopx_live_<id>.****`: no secret, then stars) keeps
                // exactly its own four stars, so scrubbing twice gives what scrubbing once
                // gave, whatever follows it (more stars, a redacted token).
                if body.is_empty() || body.ends_with('.') {
                    len += rest[len..]
                        .bytes()
                        .take(4)
                        .take_while(|b| *b == b'*')
                        .count();
                }
                match body.split_once('.') {
                    Some((id, _)) => out.push_str(&format!("{KEY_PREFIX}{id}.****")),
                    None => out.push_str(&format!("{KEY_PREFIX}****")),
                }
            } else if token.matches('.').count() >= 2 {
                out.push_str("****");
            } else {
                // Not a JWT: keep only `eyJ` and go on scanning, so that a key glued to it
                // (`eyJhopx_live_...`) is still found.
                out.push_str("eyJ");
                len = 3;
            }
            i += len;
            continue;
        }
        let ch = rest.chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[..ch]);
        i += ch;
    }
    std::borrow::Cow::Owned(out)
}

fn key_error(code: ErrorCode, message: String, hint: &str) -> Error {
    Error::new(code, message).with_hint(hint)
}

fn first_bad_header_char(key: &str) -> Option<(usize, &'static str)> {
    key.chars().enumerate().find_map(|(i, c)| {
        let what = if c == ' ' {
            "a space"
        } else if c == '\t' {
            "a tab"
        } else if c == '\r' || c == '\n' {
            "a line break"
        } else if c.is_control() {
            "a control character"
        } else if c.is_whitespace() {
            "a whitespace character"
        } else if !c.is_ascii() {
            "a non-ASCII character"
        } else {
            return None;
        };
        Some((i, what))
    })
}

fn standard_key_id_len(key: &str) -> Option<usize> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('.')?;
    (id.len() == KEY_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric()) && !secret.is_empty())
        .then_some(KEY_ID_LEN)
}

fn wrong_prefix(key: &str, origin: &str) -> Error {
    let message = format!("{origin} does not start with '{KEY_PREFIX}'.");
    let hint = if key.starts_with("sk_live_") || key.starts_with("sk_test_") {
        "It looks like an 'sk_' key, the format shown in older API docs; HopX keys start with 'hopx_live_'. Create one in the HopX dashboard."
    } else if looks_like_jwt(key) {
        "It looks like a JWT (such as a sandbox's auth token), not an API key. Use the API key from the HopX dashboard, which starts with 'hopx_live_'."
    } else {
        "HopX API keys look like hopx_live_<key id>.<secret>; copy the whole key from the HopX dashboard. For a self-hosted server with another key format, set HOPX_VALIDATE_API_KEY=0."
    };
    key_error(ErrorCode::ApiKeyWrongPrefix, message, hint)
}

fn looks_like_jwt(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    key.starts_with("eyJ")
        && parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "hopx_live_AbCdEf123456.s3cr3t-_XYZ";

    #[test]
    fn parses_and_redacts() {
        let key = ApiKey::parse(VALID).unwrap();
        assert_eq!(key.key_id(), Some("AbCdEf123456"));
        assert_eq!(key.redacted(), "hopx_live_AbCdEf123456.****");
        assert_eq!(format!("{key}"), "hopx_live_AbCdEf123456.****");
        assert_eq!(format!("{key:?}"), "ApiKey(hopx_live_AbCdEf123456.****)");
        assert_eq!(key.expose_secret(), VALID);
    }

    #[test]
    fn trims_whitespace_and_quotes() {
        for input in [
            format!("  {VALID}\n"),
            format!("\"{VALID}\""),
            format!("'{VALID}'\r\n"),
            format!(" \" {VALID} \" "),
        ] {
            assert_eq!(ApiKey::parse(&input).unwrap().expose_secret(), VALID);
        }
    }

    #[test]
    fn unvalidated_keys_still_need_a_header_safe_value() {
        let key = ApiKey::parse_from("custom-token-123", "The key", false).unwrap();
        assert_eq!(key.redacted(), "****");
        let err = ApiKey::parse_from("custom token", "The key", false).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ApiKeyInvalidCharacter);
        let err = ApiKey::parse_from("  ", "The key", false).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ApiKeyEmpty);
    }

    #[test]
    fn non_ascii_near_the_prefix_is_an_error_not_a_panic() {
        for input in [
            "hopx_l\u{456}ve_AbCdEf123456.secret",
            "abcdef\u{e9}xyz",
            "Bearer\u{e9}x",
        ] {
            assert!(ApiKey::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn scrubs_keys_and_jwts_out_of_text() {
        let text = format!("Template '{VALID}' not found; token eyJhbGc.eyJzdWIi.c2ln; x{VALID}");
        let scrubbed = scrub_secrets(&text);
        assert!(!scrubbed.contains("s3cr3t"), "{scrubbed}");
        assert!(!scrubbed.contains("c2ln"), "{scrubbed}");
        assert!(scrubbed.contains("Template 'hopx_live_AbCdEf123456.****' not found"));
        assert_eq!(
            scrub_secrets("plain text, é and all"),
            "plain text, é and all"
        );
        assert_eq!(scrub_secrets("hopx_live_nodot"), "hopx_live_****");
        for redacted in ["hopx_live_AbCdEf123456.****", "hopx_live_****"] {
            let text = format!("key '{redacted}' twice");
            let once = scrub_secrets(&text).into_owned();
            assert_eq!(once, text, "scrubbing is idempotent");
            assert_eq!(scrub_secrets(&once), text);
        }
    }

    #[test]
    fn origin_names_the_source() {
        let err = ApiKey::parse_from("nope", "The API key in HOPX_API_KEY", true).unwrap_err();
        assert!(err.message().starts_with("The API key in HOPX_API_KEY"));
    }
}
