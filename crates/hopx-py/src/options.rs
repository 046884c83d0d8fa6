//! Keyword arguments → the core's option structs. No defaults and no checks here: every
//! `None` stays `None` and the core decides (and validates) when the client is built.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// The connection keywords every static method takes. No `Debug`: it would print the key (and
/// the proxy URL, which can hold a password).
#[derive(Default)]
pub(crate) struct ConnectionArgs {
    pub api_key: Option<ApiKeyText>,
    pub base_url: Option<String>,
    pub auth_header: Option<String>,
    pub validate_api_key: Option<bool>,
    /// Seconds, as Python programs give durations (each attempt).
    pub request_timeout: Option<f64>,
    /// A Python int; the core checks the range.
    pub max_retries: Option<i64>,
    /// Seconds: the most one call may take, retries and waits included.
    pub deadline: Option<f64>,
    pub proxy: Option<ProxyText>,
    pub ca_bundle: Option<PathBuf>,
    pub http2: Option<bool>,
}

impl ConnectionArgs {
    /// The core's client options. Fails (with the core's error) on an unknown `auth_header`,
    /// an unusable timeout or deadline, or a negative `max_retries`; the key, URL, proxy, CA
    /// bundle and retry limit are checked by `hopx::Client::new`.
    pub(crate) fn into_client_options(self) -> hopx::Result<hopx::ClientOptions> {
        Ok(hopx::ClientOptions {
            api_key: self.api_key.map(|key| key.0),
            base_url: self.base_url,
            auth_header: self
                .auth_header
                .as_deref()
                .map(hopx::AuthHeader::from_argument)
                .transpose()?,
            validate_api_key: self.validate_api_key,
            request_timeout: seconds("request_timeout", self.request_timeout)?,
            profile: None,
            user_agent: Some(format!("hopx-python/{}", hopx::VERSION)),
            max_retries: self.max_retries.map(retries_argument).transpose()?,
            deadline: seconds("deadline", self.deadline)?,
            proxy: self.proxy.map(|proxy| proxy.0),
            ca_bundle: self.ca_bundle,
            http2: self.http2,
        })
    }

    /// A client for these arguments (reads the environment and config files; no network).
    pub(crate) fn client(self) -> hopx::Result<hopx::Client> {
        hopx::Client::new(self.into_client_options()?)
    }
}

/// The official constructor's `timeout=` (the request timeout, in seconds) and our
/// `request_timeout=`: the same setting under two names, so at most one may be given.
pub(crate) fn request_timeout_alias(
    request_timeout: Option<f64>,
    timeout: Option<f64>,
) -> PyResult<Option<f64>> {
    match (request_timeout, timeout) {
        (Some(_), Some(_)) => Err(PyTypeError::new_err(
            "timeout and request_timeout are the same setting (the HTTP request timeout, in \
             seconds): pass one of them, not both",
        )),
        (request_timeout, timeout) => Ok(request_timeout.or(timeout)),
    }
}

/// The per-call overrides of `with_options()` and of the `timeout=` keyword of the files and
/// env methods, converted to the core's `CallOptions` (the core checks the values).
pub(crate) fn call_options(
    request_timeout: Option<f64>,
    max_retries: Option<i64>,
    deadline: Option<f64>,
) -> hopx::Result<hopx::CallOptions> {
    Ok(hopx::CallOptions {
        max_retries: max_retries.map(retries_argument).transpose()?,
        request_timeout: seconds("request_timeout", request_timeout)?,
        deadline: seconds("deadline", deadline)?,
    })
}

/// The handle for one call with the official per-call `timeout=` (the request timeout, in
/// seconds): `sandbox` itself without it.
pub(crate) fn with_request_timeout(
    sandbox: &hopx::Sandbox,
    timeout: Option<f64>,
) -> hopx::Result<Cow<'_, hopx::Sandbox>> {
    match timeout {
        None => Ok(Cow::Borrowed(sandbox)),
        Some(seconds) => Ok(Cow::Owned(sandbox.with_call_options(
            &hopx::CallOptions {
                request_timeout: Some(hopx::config::seconds_argument("timeout", seconds)?),
                ..Default::default()
            },
        )?)),
    }
}

/// `max_retries` as the core's count argument, which refuses negative and too large values.
fn retries_argument(value: i64) -> hopx::Result<u32> {
    hopx::config::retries_argument("max_retries", value as f64)
}

fn seconds(name: &str, value: Option<f64>) -> hopx::Result<Option<std::time::Duration>> {
    value
        .map(|seconds| hopx::config::seconds_argument(name, seconds))
        .transpose()
}

/// `template_id` as Python programs pass it: `1` or `"1"`. Ids are strings on the wire.
#[derive(Debug, FromPyObject)]
pub(crate) enum TemplateId {
    Text(String),
    Number(i64),
}

impl From<TemplateId> for String {
    fn from(id: TemplateId) -> String {
        match id {
            TemplateId::Text(text) => text,
            TemplateId::Number(number) => number.to_string(),
        }
    }
}

/// The keywords of `Sandbox.create` that describe the sandbox. No `Debug`: it would print
/// the env var values.
#[derive(Default)]
pub(crate) struct CreateArgs {
    pub template: Option<String>,
    pub template_id: Option<TemplateId>,
    pub region: Option<String>,
    pub timeout_seconds: Option<i64>,
    pub internet_access: Option<bool>,
    pub env_vars: Option<BTreeMap<String, SecretText>>,
}

impl From<CreateArgs> for hopx::CreateSandboxOptions {
    fn from(args: CreateArgs) -> Self {
        hopx::CreateSandboxOptions {
            template: args.template,
            template_id: args.template_id.map(String::from),
            region: args.region,
            timeout_seconds: args.timeout_seconds,
            internet_access: args.internet_access,
            env_vars: args
                .env_vars
                .map(|vars| vars.into_iter().map(|(k, v)| (k, v.0)).collect()),
        }
    }
}

/// The filters of `Sandbox.list_templates`.
pub(crate) fn list_templates_options(
    category: Option<String>,
    language: Option<String>,
) -> hopx::ListTemplatesOptions {
    hopx::ListTemplatesOptions { category, language }
}

/// The filters of `Sandbox.list` / `Sandbox.iter` (`limit` is the page size; the core checks
/// all three and picks the default page size).
pub(crate) fn list_sandboxes_options(
    status: Option<String>,
    region: Option<String>,
    limit: Option<i64>,
) -> hopx::ListSandboxesOptions {
    hopx::ListSandboxesOptions {
        status,
        region,
        limit,
    }
}

/// An "expiring soon" threshold in seconds, checked by the core; `None` is the core's default
/// (five minutes).
pub(crate) fn expiring_soon(seconds: Option<f64>) -> hopx::Result<std::time::Duration> {
    seconds.map_or(
        Ok(hopx::DEFAULT_EXPIRING_SOON),
        hopx::expiring_soon_threshold,
    )
}

// pyo3's own conversion of a `str` that is not valid Unicode (it holds a lone surrogate) fails
// with a UnicodeEncodeError whose `.object` and repr are the whole string. For arguments that
// may be secret, the two types below convert without ever putting the value in an exception.

/// The `api_key` argument. Converted lossily (a lone surrogate becomes U+FFFD), so the core
/// sees a non-ASCII character and rejects the key with its usual `InvalidApiKeyError`.
pub(crate) struct ApiKeyText(String);

impl<'a, 'py> FromPyObject<'a, 'py> for ApiKeyText {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(ApiKeyText(
            obj.cast::<PyString>()?.to_string_lossy().into_owned(),
        ))
    }
}

/// The `proxy` argument: a URL that may carry a password, so it is converted like `api_key`
/// (lossily, never quoted in an exception); the core rejects a URL it cannot use, with the
/// password hidden.
pub(crate) struct ProxyText(String);

impl<'a, 'py> FromPyObject<'a, 'py> for ProxyText {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(ProxyText(
            obj.cast::<PyString>()?.to_string_lossy().into_owned(),
        ))
    }
}

/// An env var value (`env_vars=`, `env=`, `env.set()`...): converted exactly, or refused
/// without showing it.
pub(crate) struct SecretText(pub(crate) String);

impl<'a, 'py> FromPyObject<'a, 'py> for SecretText {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<PyString>()?.to_cow() {
            Ok(text) => Ok(SecretText(text.into_owned())),
            Err(_) => Err(PyValueError::new_err(
                "an environment variable value is not valid Unicode text (it contains a lone \
                 surrogate); the value is not shown",
            )),
        }
    }
}
