//! API keys: the format check, generation, the key file, and the middleware that
//! turns the request's key into an organization.
//!
//! Nothing here ever logs, formats or echoes a presented or configured key: at most
//! [`redacted`] (`hopx_live_<keyId>.****`) is shown.

use std::{
    fmt,
    fs::{self, DirBuilder, OpenOptions},
    io::{self, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, envelope::ApiError, ids};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "hopx_live_";
const KEY_ID_LEN: usize = 12;
const GENERATED_SECRET_LEN: usize = 40;
/// File name of the generated key inside the data directory.
pub const KEY_FILE_NAME: &str = "api_key";

/// What is wrong with a key's format. The messages never contain the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("the key is empty")]
    Empty,
    #[error("the key does not start with `hopx_live_`")]
    WrongPrefix,
    #[error("there is no `.` between the key id and the secret")]
    NoDot,
    #[error("the key id (between `hopx_live_` and `.`) must be exactly 12 ASCII letters or digits")]
    BadKeyId,
    #[error("the secret (after the `.`) is empty")]
    EmptySecret,
    #[error("the secret (after the `.`) may only contain A-Z, a-z, 0-9, `_` and `-`")]
    BadSecret,
}

/// Checks `hopx_live_<keyId>.<secret>`: keyId is exactly 12 ASCII letters/digits,
/// the secret is a non-empty run of `[A-Za-z0-9_-]`. No trimming: callers trim.
pub fn check_key_format(key: &str) -> Result<(), KeyFormatError> {
    if key.is_empty() {
        return Err(KeyFormatError::Empty);
    }
    let rest = key
        .strip_prefix(KEY_PREFIX)
        .ok_or(KeyFormatError::WrongPrefix)?;
    let (key_id, secret) = rest.split_once('.').ok_or(KeyFormatError::NoDot)?;
    if key_id.len() != KEY_ID_LEN || !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyFormatError::BadKeyId);
    }
    if secret.is_empty() {
        return Err(KeyFormatError::EmptySecret);
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(KeyFormatError::BadSecret);
    }
    Ok(())
}

/// `true` when `key` has the exact HopX API key format.
pub fn is_valid_key_format(key: &str) -> bool {
    check_key_format(key).is_ok()
}

/// `hopx_live_<keyId>.****` when the prefix and key id can be read, else `None`:
/// the most of a key that may ever be shown.
pub fn redacted(key: &str) -> Option<String> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (key_id, _) = rest.split_once('.')?;
    (key_id.len() == KEY_ID_LEN && key_id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("{KEY_PREFIX}{key_id}.****"))
}

/// A new key: 12 random letters/digits for the id, 40 for the secret.
pub fn generate_key() -> String {
    format!(
        "{KEY_PREFIX}{}.{}",
        ids::random_string(ids::ALNUM, KEY_ID_LEN),
        ids::random_string(ids::ALNUM, GENERATED_SECRET_LEN)
    )
}

/// The organization a request acts for: the 1-based position of its key in the
/// server's key list, so it is stable for a given `--api-key` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Org(pub u64);

/// The server's keys. `Debug` shows only redacted forms.
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<[String]>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| redacted(k).unwrap_or_default()))
            .finish()
    }
}

impl KeyRing {
    pub fn new(keys: Vec<String>) -> Self {
        Self { keys: keys.into() }
    }

    /// Compares against every key in constant time per key, so response timing says
    /// nothing about how much of a guess was right.
    pub fn org_for(&self, presented: &str) -> Option<Org> {
        let mut found = None;
        for (index, key) in self.keys.iter().enumerate() {
            if constant_time_eq(key.as_bytes(), presented.as_bytes()) && found.is_none() {
                found = Some(Org(index as u64 + 1));
            }
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`.
/// A well-formed Bearer header wins; a malformed `Authorization` is only an error
/// when there is no `X-API-Key` to fall back on (proxies sometimes add their own).
fn presented_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let bearer = headers.get(header::AUTHORIZATION).map(|value| {
        value.to_str().ok().and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        })
    });
    if let Some(Some(token)) = bearer {
        return Ok(token);
    }
    if let Some(value) = headers.get("x-api-key") {
        let key = value.to_str().map(str::trim).unwrap_or_default();
        if !key.is_empty() {
            return Ok(key);
        }
    }
    if bearer.is_some() {
        return Err(ApiError::unauthorized(
            "invalid_authorization_header",
            "The Authorization header must be `Bearer <api key>`. Send `Authorization: Bearer \
             hopx_live_<keyId>.<secret>` or put the key in the `X-API-Key` header instead.",
        ));
    }
    Err(ApiError::unauthorized(
        "missing_api_key",
        "No API key was sent. Send it as `Authorization: Bearer <api key>` or as \
         `X-API-Key: <api key>`; hopx-local prints its key when it starts.",
    ))
}

/// Middleware for `/v1/*`: resolves the key to an [`Org`] extension or answers 401.
pub async fn require_api_key(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_v1_path(request.uri().path()) {
        return next.run(request).await;
    }
    let org = match presented_key(request.headers()) {
        Ok(key) => state.keys.org_for(key).ok_or_else(|| {
            let hint = if is_valid_key_format(key) {
                "It is not one of this server's keys"
            } else {
                "It does not have the HopX key format `hopx_live_<keyId>.<secret>`"
            };
            ApiError::unauthorized(
                "invalid_api_key",
                format!(
                    "The API key is not valid. {hint}; use the key hopx-local printed at start \
                     (or passed with --api-key)."
                ),
            )
        }),
        Err(e) => Err(e),
    };
    match org {
        Ok(org) => {
            if let Some(limiter) = &state.rate_limiter
                && let Err(wait) = limiter.take(org)
            {
                return rate_limited(wait);
            }
            request.extensions_mut().insert(org);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// 429 with the wait in both places clients look: `Retry-After` (whole seconds, rounded up)
/// and `details.retry_after_seconds` (exact).
fn rate_limited(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64();
    let mut response = ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Too many requests for this API key; retry in {seconds:.2} s."),
    )
    .with_details(serde_json::json!({ "retry_after_seconds": seconds }))
    .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from(seconds.ceil().max(1.0) as u64),
    );
    response
}

fn is_v1_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// Creates `dir` (and missing parents) with mode 0700. An existing directory is left
/// as it is.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Where the key came from when [`load_or_create_key_file`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Reused,
    Generated,
}

/// A key read from or written to the key file. `Debug` redacts the key.
pub struct KeyFile {
    pub key: String,
    pub path: PathBuf,
    pub source: KeySource,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("key", &redacted(&self.key))
            .field("path", &self.path)
            .field("source", &self.source)
            .finish()
    }
}

/// Reuses `<dir>/api_key` when it holds a valid key, else writes a new one there.
///
/// The new file is created with mode 0600 from its first byte (never chmod'ed after
/// the fact) as a temporary file in the same directory and renamed into place, so a
/// reader never sees a half-written key.
pub fn load_or_create_key_file(dir: &Path) -> io::Result<KeyFile> {
    ensure_private_dir(dir)?;
    let path = dir.join(KEY_FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(contents) => {
            let key = contents.trim();
            if is_valid_key_format(key) {
                warn_if_readable_by_others(&path);
                return Ok(KeyFile {
                    key: key.to_owned(),
                    path,
                    source: KeySource::Reused,
                });
            }
            tracing::warn!(
                path = %path.display(),
                "the key file does not hold a valid HopX API key; replacing it with a new key"
            );
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = generate_key();
    write_private_atomically(dir, &path, key.as_bytes())?;
    Ok(KeyFile {
        key,
        path,
        source: KeySource::Generated,
    })
}

fn write_private_atomically(dir: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(
        ".{KEY_FILE_NAME}.{}.{}.tmp",
        std::process::id(),
        ids::random_string(ids::LOWER_ALNUM, 8)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn warn_if_readable_by_others(path: &Path) {
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the key file is readable by other users; run `chmod 600` on it"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_rule() {
        assert!(is_valid_key_format("hopx_live_abcdefABCD12.s3cr-et_X"));
        assert!(is_valid_key_format(&generate_key()));
        let cases = [
            ("", KeyFormatError::Empty),
            ("sk_live_abc", KeyFormatError::WrongPrefix),
            ("hopx_live_abcdefABCD12", KeyFormatError::NoDot),
            ("hopx_live_abc.secret", KeyFormatError::BadKeyId),
            ("hopx_live_abcdefABCD1!.secret", KeyFormatError::BadKeyId),
            ("hopx_live_abcdefABCD12.", KeyFormatError::EmptySecret),
            ("hopx_live_abcdefABCD12.se cret", KeyFormatError::BadSecret),
            ("hopx_live_abcdefABCD12.a.b", KeyFormatError::BadSecret),
        ];
        for (key, want) in cases {
            assert_eq!(check_key_format(key), Err(want), "{key:?}");
        }
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redacted("hopx_live_abcdefABCD12.topsecret").as_deref(),
            Some("hopx_live_abcdefABCD12.****")
        );
        assert_eq!(redacted("hopx_live_short.topsecret"), None);
        assert_eq!(redacted("topsecret"), None);
    }

    #[test]
    fn generated_key_shape() {
        let key = generate_key();
        let (id, secret) = key[KEY_PREFIX.len()..].split_once('.').unwrap();
        assert_eq!(id.len(), 12);
        assert_eq!(secret.len(), 40);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn orgs_follow_key_order() {
        let ring = KeyRing::new(vec![
            "hopx_live_aaaaaaaaaaaa.one".into(),
            "hopx_live_bbbbbbbbbbbb.two".into(),
        ]);
        assert_eq!(ring.org_for("hopx_live_aaaaaaaaaaaa.one"), Some(Org(1)));
        assert_eq!(ring.org_for("hopx_live_bbbbbbbbbbbb.two"), Some(Org(2)));
        assert_eq!(ring.org_for("hopx_live_bbbbbbbbbbbb.tw"), None);
        assert!(!format!("{ring:?}").contains("one"));
    }
}
