//! Where the API key, base URL and other settings come from.
//!
//! Precedence, first hit wins (and the result records which one it was):
//!
//! | setting      | 1. argument | 2. environment           | 3. `.env` (nearest upward) | 4. config file            | default               |
//! |--------------|-------------|--------------------------|----------------------------|---------------------------|-----------------------|
//! | API key      | `api_key`   | `HOPX_API_KEY`           | its `HOPX_API_KEY` line    | `profiles.<p>.api_key`    | none: an error        |
//! | base URL     | `base_url`  | `HOPX_BASE_URL`          | never                      | `profiles.<p>.base_url`   | `https://api.hopx.dev` |
//! | auth header  | option      | `HOPX_AUTH_HEADER`       | never                      | `profiles.<p>.auth_header`| `Authorization: Bearer` |
//! | key check    | option      | `HOPX_VALIDATE_API_KEY`  | never                      | never                     | on                    |
//! | proxy        | `proxy`     | `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` | never | never          | none                  |
//! | extra CAs    | `ca_bundle` | `HOPX_CA_BUNDLE`, then `SSL_CERT_FILE` | never        | never                     | system roots only     |
//!
//! Retries (`max_retries`, default 3), the request timeout (60 s per attempt), the deadline
//! (300 s per call) and `http2` (on) are options only: per client, or per call through
//! [`CallOptions`].
//!
//! The config file is `$HOPX_CONFIG_DIR/config.toml` (default `~/.hopx/config.toml`), and the
//! profile `<p>` is `HOPX_PROFILE`, else the file's `default_profile`, else `default`.
//!
//! A `.env` file can only ever supply the key: if it could set the base URL, a stray `.env` in
//! a cloned repository could send the key to someone else's server. The process environment is
//! never modified. All reads go through [`Environment`], so tests can resolve configurations
//! without touching the real environment.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, ErrorCode, Result};
use crate::key::ApiKey;
use crate::retry::RetryPolicy;
use crate::transport::Transport;

/// The production control plane.
pub const DEFAULT_BASE_URL: &str = "https://api.hopx.dev";
/// The HTTP request timeout when none is given.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The default most one call may take, retries and waits included: longer than four attempts
/// at the default request timeout, so it only cuts calls that would otherwise wait on and on.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);
const DEFAULT_PROFILE: &str = "default";

/// Everything the configuration reads from the outside world.
pub trait Environment: Send + Sync {
    /// An environment variable, `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
    /// The directory the `.env` search starts from.
    fn current_dir(&self) -> Option<PathBuf>;
    /// The user's home directory (for `~/.hopx`).
    fn home_dir(&self) -> Option<PathBuf>;
    /// A file's contents; `Ok(None)` when it does not exist.
    fn read_file(&self, path: &Path) -> io::Result<Option<String>>;
}

/// The real process environment and file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnvironment;

impl Environment for SystemEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    fn current_dir(&self) -> Option<PathBuf> {
        std::env::current_dir().ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    }

    fn read_file(&self, path: &Path) -> io::Result<Option<String>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            // A directory named `.env` is not a .env file; treat it as absent.
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// An in-memory environment for tests: variables, a working directory, a home directory and
/// files, none of them real.
#[derive(Debug, Clone, Default)]
pub struct MapEnvironment {
    /// Environment variables.
    pub vars: HashMap<String, String>,
    /// The working directory.
    pub current_dir: Option<PathBuf>,
    /// The home directory.
    pub home_dir: Option<PathBuf>,
    /// Files by absolute path.
    pub files: HashMap<PathBuf, String>,
}

impl MapEnvironment {
    /// Sets a variable (builder style).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Adds a file (builder style).
    pub fn file(mut self, path: impl Into<PathBuf>, contents: &str) -> Self {
        self.files.insert(path.into(), contents.to_owned());
        self
    }
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn current_dir(&self) -> Option<PathBuf> {
        self.current_dir.clone()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home_dir.clone()
    }

    fn read_file(&self, path: &Path) -> io::Result<Option<String>> {
        Ok(self.files.get(path).cloned())
    }
}

/// Which header carries the API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthHeader {
    /// `Authorization: Bearer <key>`: the documented, recommended form.
    #[default]
    Bearer,
    /// `X-API-Key: <key>`: what the official SDKs send.
    XApiKey,
}

impl AuthHeader {
    /// Parses `bearer`/`authorization` or `x-api-key` (case-insensitive).
    pub fn parse(value: &str) -> Option<AuthHeader> {
        match value.trim().to_ascii_lowercase().as_str() {
            "bearer" | "authorization" => Some(AuthHeader::Bearer),
            "x-api-key" | "x_api_key" | "apikey" => Some(AuthHeader::XApiKey),
            _ => None,
        }
    }

    /// Parses a value a program passed (`auth_header=` / `authHeader`), with an error that
    /// lists the accepted values.
    pub fn from_argument(value: &str) -> Result<AuthHeader> {
        // The value is not quoted back: a key passed here by mistake must not reach a message.
        AuthHeader::parse(value).ok_or_else(|| {
            Error::invalid_argument("auth_header (authHeader) is not a header the SDK can use.")
                .with_hint(
                    "Use 'bearer' (Authorization: Bearer <key>, the default) or 'x-api-key'.",
                )
        })
    }

    /// The canonical name, as accepted by [`AuthHeader::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            AuthHeader::Bearer => "bearer",
            AuthHeader::XApiKey => "x-api-key",
        }
    }
}

/// What a caller can set explicitly; everything unset is resolved from the environment.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The API key; beats every other source.
    pub api_key: Option<String>,
    /// The control plane URL, e.g. `http://127.0.0.1:8787` for `hopx-local`.
    pub base_url: Option<String>,
    /// Which header carries the key.
    pub auth_header: Option<AuthHeader>,
    /// `Some(false)` turns the key format check off (self-hosted keys of another format).
    pub validate_api_key: Option<bool>,
    /// The HTTP request timeout (default 60 s).
    pub request_timeout: Option<Duration>,
    /// The config file profile; beats `HOPX_PROFILE`.
    pub profile: Option<String>,
    /// The `User-Agent`; the bindings set `hopx-python/<v>` and `hopx-node/<v>`.
    pub user_agent: Option<String>,
    /// How many times a failed request may be sent again (default 3; 0 turns retries off).
    pub max_retries: Option<u32>,
    /// The most one call may take, retries and waits included (default 300 s).
    pub deadline: Option<Duration>,
    /// A proxy URL for every request (`http://user:pass@host:port`); beats `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates to trust besides the system's; beats
    /// `HOPX_CA_BUNDLE` and `SSL_CERT_FILE`.
    pub ca_bundle: Option<PathBuf>,
    /// `Some(false)` keeps every connection on HTTP/1.1; by default HTTP/2 is used when a TLS
    /// server offers it.
    pub http2: Option<bool>,
}

/// Overrides for some calls: `Client::with_call_options` and `Sandbox::with_call_options`
/// return a handle whose calls use them. `None` keeps the handle's setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// How many times a failed request may be sent again.
    pub max_retries: Option<u32>,
    /// The timeout of each attempt.
    pub request_timeout: Option<Duration>,
    /// The most the whole call may take, retries and waits included.
    pub deadline: Option<Duration>,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("base_url", &self.base_url)
            .field("auth_header", &self.auth_header)
            .field("validate_api_key", &self.validate_api_key)
            .field("request_timeout", &self.request_timeout)
            .field("profile", &self.profile)
            .field("user_agent", &self.user_agent)
            .field("max_retries", &self.max_retries)
            .field("deadline", &self.deadline)
            .field(
                "proxy",
                &self
                    .proxy
                    .as_deref()
                    .map(crate::transport::redact_proxy_url),
            )
            .field("ca_bundle", &self.ca_bundle)
            .field("http2", &self.http2)
            .finish()
    }
}

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Passed explicitly by the program.
    Argument,
    /// An environment variable (named).
    EnvVar(&'static str),
    /// A `.env` file.
    DotEnv(PathBuf),
    /// The config file, under a profile.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The profile within it.
        profile: String,
    },
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Argument => f.write_str("an argument passed by the program"),
            Source::EnvVar(name) => write!(f, "the {name} environment variable"),
            Source::DotEnv(path) => write!(f, "{}", path.display()),
            Source::ConfigFile { path, profile } => {
                write!(f, "{} (profile '{profile}')", path.display())
            }
            Source::Default => f.write_str("the default"),
        }
    }
}

/// A complete configuration: every setting has a value and a source.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// The validated key.
    pub api_key: ApiKey,
    /// Where the key came from.
    pub api_key_source: Source,
    /// The control plane URL, without a trailing slash.
    pub base_url: String,
    /// Where the base URL came from.
    pub base_url_source: Source,
    /// Which header carries the key.
    pub auth_header: AuthHeader,
    /// The HTTP request timeout (of each attempt).
    pub request_timeout: Duration,
    /// The most one call may take, retries and waits included.
    pub deadline: Duration,
    /// When and how often failed requests are sent again.
    pub retry: RetryPolicy,
    /// Proxy, extra CA certificates, HTTP/2: what needs its own connection pool.
    pub transport: Transport,
    /// The `User-Agent`.
    pub user_agent: String,
}

impl ResolvedConfig {
    /// This configuration with some settings replaced for some calls.
    pub fn with_call_options(&self, options: &CallOptions) -> Result<ResolvedConfig> {
        let mut config = self.clone();
        if let Some(max_retries) = options.max_retries {
            config.retry.max_retries = check_max_retries(max_retries)?;
        }
        if let Some(timeout) = options.request_timeout {
            config.request_timeout = positive_duration("request_timeout", timeout)?;
        }
        if let Some(deadline) = options.deadline {
            config.deadline = positive_duration("deadline", deadline)?;
        }
        Ok(config)
    }
}

/// Resolves a configuration from explicit options and the environment.
pub fn resolve(options: &ClientOptions, env: &dyn Environment) -> Result<ResolvedConfig> {
    let validate = match options.validate_api_key {
        Some(v) => v,
        None => env_flag(env, "HOPX_VALIDATE_API_KEY")?.unwrap_or(true),
    };
    let config_file = ConfigFile::locate(env, options.profile.as_deref());

    let (api_key, api_key_source) = resolve_key(options, env, &config_file, validate)?;

    let (base_url, base_url_source) = base_url_from(options, env, &config_file)?;

    let auth_header = if let Some(h) = options.auth_header {
        h
    } else if let Some(value) = env.var("HOPX_AUTH_HEADER").filter(|v| !v.trim().is_empty()) {
        AuthHeader::parse(&value).ok_or_else(|| {
            Error::invalid_config("HOPX_AUTH_HEADER is not a header the SDK can use.")
                .with_hint("Set it to 'bearer' (Authorization: Bearer) or 'x-api-key'.")
        })?
    } else if let Some(value) = config_file
        .profile(env)?
        .and_then(|p| p.auth_header.clone())
    {
        AuthHeader::parse(&value).ok_or_else(|| {
            Error::invalid_config(format!(
                "auth_header in {} is not a header the SDK can use.",
                config_file.source()
            ))
            .with_hint("Set it to 'bearer' or 'x-api-key'.")
        })?
    } else {
        AuthHeader::default()
    };

    let CallSettings {
        request_timeout,
        deadline,
        retry,
        transport,
    } = CallSettings::resolve(options, env, DEFAULT_REQUEST_TIMEOUT)?;

    Ok(ResolvedConfig {
        api_key,
        api_key_source,
        base_url,
        base_url_source,
        auth_header,
        request_timeout,
        deadline,
        retry,
        transport,
        user_agent: options
            .user_agent
            .clone()
            .unwrap_or_else(default_user_agent),
    })
}

/// How calls are sent: what `resolve` and the keyless health check both need.
pub(crate) struct CallSettings {
    pub request_timeout: Duration,
    pub deadline: Duration,
    pub retry: RetryPolicy,
    pub transport: Transport,
}

impl CallSettings {
    /// From the options (checked) and the environment (proxies, CA files).
    pub(crate) fn resolve(
        options: &ClientOptions,
        env: &dyn Environment,
        default_request_timeout: Duration,
    ) -> Result<CallSettings> {
        let mut retry = RetryPolicy::default();
        if let Some(max_retries) = options.max_retries {
            retry.max_retries = check_max_retries(max_retries)?;
        }
        Ok(CallSettings {
            request_timeout: positive_duration(
                "request_timeout",
                options.request_timeout.unwrap_or(default_request_timeout),
            )?,
            deadline: positive_duration("deadline", options.deadline.unwrap_or(DEFAULT_DEADLINE))?,
            retry,
            transport: Transport::resolve(options, env)?,
        })
    }
}

/// The most retries a caller may ask for: more would only hide an outage for longer.
pub const MAX_RETRIES_LIMIT: u32 = 10;

fn check_max_retries(max_retries: u32) -> Result<u32> {
    if max_retries > MAX_RETRIES_LIMIT {
        return Err(Error::invalid_argument(format!(
            "max_retries (maxRetries) is {max_retries}, but at most {MAX_RETRIES_LIMIT} retries are allowed."
        ))
        .with_hint("Use a longer deadline instead if calls need more time to succeed."));
    }
    Ok(max_retries)
}

/// A retry count a program passed as a number (Python int, JavaScript number): whole, not
/// negative, at most [`MAX_RETRIES_LIMIT`].
pub fn retries_argument(name: &str, value: f64) -> Result<u32> {
    let count = whole_number_argument(name, value)?;
    if count < 0 {
        return Err(Error::invalid_argument(format!(
            "{name} is {count}, but it cannot be negative (0 turns retries off)."
        )));
    }
    check_max_retries(u32::try_from(count).unwrap_or(u32::MAX))
}

/// A timeout or deadline: zero would fail every call before it is sent.
fn positive_duration(name: &str, value: Duration) -> Result<Duration> {
    if value.is_zero() {
        return Err(Error::invalid_argument(format!(
            "{name} must be greater than zero."
        )));
    }
    Ok(value)
}

/// The `User-Agent` of the Rust SDK; the bindings pass their own.
pub(crate) fn default_user_agent() -> String {
    format!("hopx-rust/{}", crate::VERSION)
}

/// Resolves only the base URL (argument, `HOPX_BASE_URL`, config file, default), for calls
/// that need no key such as the health check.
pub fn resolve_base_url(
    options: &ClientOptions,
    env: &dyn Environment,
) -> Result<(String, Source)> {
    let config_file = ConfigFile::locate(env, options.profile.as_deref());
    base_url_from(options, env, &config_file)
}

/// The template a create without one should use: `HOPX_DEFAULT_TEMPLATE`, else the profile's
/// `default_template` in the config file; `None` when neither is set. The SDKs' `create` still
/// requires a template; the CLI's `hopx sandbox create` uses this.
pub fn resolve_default_template(
    options: &ClientOptions,
    env: &dyn Environment,
) -> Result<Option<(String, Source)>> {
    if let Some(name) = env
        .var("HOPX_DEFAULT_TEMPLATE")
        .filter(|v| !v.trim().is_empty())
    {
        return Ok(Some((
            name.trim().to_owned(),
            Source::EnvVar("HOPX_DEFAULT_TEMPLATE"),
        )));
    }
    let config_file = ConfigFile::locate(env, options.profile.as_deref());
    Ok(config_file
        .profile(env)?
        .and_then(|p| p.default_template.clone())
        .filter(|t| !t.trim().is_empty())
        .map(|t| (t.trim().to_owned(), config_file.source())))
}

fn base_url_from(
    options: &ClientOptions,
    env: &dyn Environment,
    config_file: &ConfigFile,
) -> Result<(String, Source)> {
    let (base_url, source) = if let Some(url) = &options.base_url {
        (url.clone(), Source::Argument)
    } else if let Some(url) = env.var("HOPX_BASE_URL").filter(|v| !v.trim().is_empty()) {
        (url, Source::EnvVar("HOPX_BASE_URL"))
    } else if let Some(url) = config_file.profile(env)?.and_then(|p| p.base_url.clone()) {
        (url, config_file.source())
    } else {
        (DEFAULT_BASE_URL.to_owned(), Source::Default)
    };
    Ok((normalize_base_url(&base_url, &source)?, source))
}

fn resolve_key(
    options: &ClientOptions,
    env: &dyn Environment,
    config_file: &ConfigFile,
    validate: bool,
) -> Result<(ApiKey, Source)> {
    if let Some(key) = &options.api_key {
        let key = ApiKey::parse_from(key, "The API key passed as an argument", validate)?;
        return Ok((key, Source::Argument));
    }
    if let Some(key) = env.var("HOPX_API_KEY") {
        let key = ApiKey::parse_from(&key, "The API key in HOPX_API_KEY", validate)?;
        return Ok((key, Source::EnvVar("HOPX_API_KEY")));
    }
    let dotenv = find_dotenv(env)?;
    if let DotEnvSearch::Found {
        path,
        key: Some(key),
    } = &dotenv
    {
        let origin = format!("The HOPX_API_KEY line in {}", path.display());
        let key = ApiKey::parse_from(key, &origin, validate)?;
        return Ok((key, Source::DotEnv(path.clone())));
    }
    let profile = config_file.profile(env)?;
    if let Some(key) = profile.and_then(|p| p.api_key.as_ref()) {
        let origin = format!("The api_key in {}", config_file.source());
        let key = ApiKey::parse_from(key, &origin, validate)?;
        return Ok((key, config_file.source()));
    }
    Err(missing_key_error(
        env,
        &dotenv,
        config_file,
        profile.is_some(),
    ))
}

fn missing_key_error(
    env: &dyn Environment,
    dotenv: &DotEnvSearch,
    config_file: &ConfigFile,
    profile_found: bool,
) -> Error {
    let dotenv_line = match dotenv {
        DotEnvSearch::Found { path, .. } => {
            format!(
                "{} (found, but it has no HOPX_API_KEY line)",
                path.display()
            )
        }
        DotEnvSearch::NotFound { start: Some(start) } => {
            format!(
                "no .env file in {} or any parent directory",
                start.display()
            )
        }
        DotEnvSearch::NotFound { start: None } => {
            "not searched (the current directory is unknown)".to_owned()
        }
    };
    let config_line = match &config_file.path {
        None => "not searched (neither HOPX_CONFIG_DIR nor HOME is set)".to_owned(),
        Some(path) => {
            let exists = matches!(env.read_file(path), Ok(Some(_)));
            let state = if !exists {
                "does not exist"
            } else if profile_found {
                "exists, but that profile has no api_key"
            } else {
                "exists, but has no such profile"
            };
            format!(
                "{}, profile '{}': {state}",
                path.display(),
                config_file.profile_name
            )
        }
    };
    Error::new(
        ErrorCode::ApiKeyMissing,
        format!(
            "No HopX API key found. Looked in, in order:\n  1. the api_key argument: not given\n  2. the HOPX_API_KEY environment variable: not set\n  3. .env: {dotenv_line}\n  4. config file: {config_line}"
        ),
    )
    .with_hint(
        "Fix it in one of three ways:\n  - pass it: Sandbox.create(..., api_key=\"hopx_live_...\") in Python, { apiKey: \"hopx_live_...\" } in JavaScript, ClientOptions { api_key, .. } in Rust;\n  - set it: export HOPX_API_KEY=hopx_live_... (or a HOPX_API_KEY=... line in .env);\n  - store it: api_key = \"hopx_live_...\" under [profiles.default] in the config file above.\nKeys are created in the HopX dashboard; hopx-local prints one for the local server.",
    )
}

enum DotEnvSearch {
    Found { path: PathBuf, key: Option<String> },
    NotFound { start: Option<PathBuf> },
}

/// Finds the nearest `.env` from the current directory upward and reads its `HOPX_API_KEY`.
/// The nearest file wins even without that line, as with every dotenv loader: a project's
/// own `.env` shadows the ones above it.
fn find_dotenv(env: &dyn Environment) -> Result<DotEnvSearch> {
    let Some(start) = env.current_dir() else {
        return Ok(DotEnvSearch::NotFound { start: None });
    };
    for dir in start.ancestors() {
        let path = dir.join(".env");
        let contents = env.read_file(&path).map_err(|e| {
            Error::invalid_config(format!("Could not read {}: {e}.", path.display()))
                .with_hint("Fix the file's permissions, or pass the API key explicitly.")
        })?;
        if let Some(contents) = contents {
            return Ok(DotEnvSearch::Found {
                key: dotenv_value(&contents, "HOPX_API_KEY"),
                path,
            });
        }
    }
    Ok(DotEnvSearch::NotFound { start: Some(start) })
}

/// The value of `name` in a `.env` file: `NAME=value`, `export NAME=value`, quoted or not,
/// with a trailing ` # comment` on unquoted values ignored. The last assignment wins, as in a
/// shell. Other lines are never interpreted.
fn dotenv_value(contents: &str, name: &str) -> Option<String> {
    let mut found = None;
    for line in contents.lines() {
        let line = line.trim_start();
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let value = if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let inner = &value[1..];
            match inner.find(q) {
                Some(end) => inner[..end].to_owned(),
                None => inner.to_owned(),
            }
        } else {
            match value.find(" #") {
                Some(i) => value[..i].trim_end().to_owned(),
                None => value.to_owned(),
            }
        };
        found = Some(value);
    }
    found
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFileContents {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
struct Profile {
    api_key: Option<String>,
    base_url: Option<String>,
    auth_header: Option<String>,
    default_template: Option<String>,
}

/// The config file's location and the profile asked for; read lazily, at most once per
/// resolution, and only when a setting is not found earlier.
struct ConfigFile {
    path: Option<PathBuf>,
    /// The profile named by the caller or HOPX_PROFILE, if any.
    explicit_profile: Option<String>,
    /// The profile in use, once known.
    profile_name: String,
    loaded: std::sync::OnceLock<Result<Option<ConfigFileContents>, String>>,
}

impl ConfigFile {
    fn locate(env: &dyn Environment, profile: Option<&str>) -> ConfigFile {
        let explicit_profile = profile
            .map(str::to_owned)
            .or_else(|| env.var("HOPX_PROFILE").filter(|p| !p.trim().is_empty()));
        let path = crate::config_file::config_path(env);
        let mut file = ConfigFile {
            path,
            profile_name: explicit_profile
                .clone()
                .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()),
            explicit_profile,
            loaded: std::sync::OnceLock::new(),
        };
        if file.explicit_profile.is_none()
            && let Ok(Some(contents)) = file.contents(env)
            && let Some(default) = &contents.default_profile
        {
            file.profile_name = default.clone();
        }
        file
    }

    fn source(&self) -> Source {
        Source::ConfigFile {
            path: self.path.clone().unwrap_or_default(),
            profile: self.profile_name.clone(),
        }
    }

    fn contents(&self, env: &dyn Environment) -> Result<Option<&ConfigFileContents>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let loaded = self.loaded.get_or_init(|| {
            let text = match env.read_file(path) {
                Ok(Some(text)) => text,
                Ok(None) => return Ok(None),
                Err(e) => return Err(format!("Could not read {}: {e}.", path.display())),
            };
            toml::from_str::<ConfigFileContents>(&text)
                .map(Some)
                .map_err(|e| {
                    // The parser's own message quotes the offending line, which may hold a key:
                    // say only where the problem is.
                    let at = e
                        .span()
                        .map(|span| {
                            let line = text[..span.start.min(text.len())].lines().count().max(1);
                            format!(" (near line {line})")
                        })
                        .unwrap_or_default();
                    format!("{} is not a valid HopX config file{at}.", path.display())
                })
        });
        match loaded {
            Ok(contents) => Ok(contents.as_ref()),
            Err(message) => Err(Error::invalid_config(message.clone()).with_hint(
                "Fix or delete the file; the README shows what it contains (default_profile and [profiles.<name>] sections).",
            )),
        }
    }

    /// The selected profile, `None` when there is no file (or no such implicit profile).
    fn profile(&self, env: &dyn Environment) -> Result<Option<&Profile>> {
        let Some(contents) = self.contents(env)? else {
            return Ok(None);
        };
        match contents.profiles.get(&self.profile_name) {
            Some(p) => Ok(Some(p)),
            None if self.explicit_profile.is_some() => {
                let known: Vec<&str> = contents.profiles.keys().map(String::as_str).collect();
                Err(Error::invalid_config(format!(
                    "Profile '{}' is not in {}; it has: {}.",
                    self.profile_name,
                    self.path.as_deref().unwrap_or(Path::new("")).display(),
                    if known.is_empty() { "no profiles".to_owned() } else { known.join(", ") }
                ))
                .with_hint("Use one of those (HOPX_PROFILE or the profile option), or add a [profiles.<name>] section to the file."))
            }
            None => Ok(None),
        }
    }
}

/// A duration a program passed in seconds (Python floats), checked.
pub fn seconds_argument(name: &str, seconds: f64) -> Result<Duration> {
    duration_argument(name, seconds, 1.0, "seconds")
}

/// A duration a program passed in milliseconds (JavaScript numbers), checked.
pub fn millis_argument(name: &str, millis: f64) -> Result<Duration> {
    duration_argument(name, millis, 1000.0, "milliseconds")
}

/// A whole number a program passed as a JavaScript number (which may have a fraction, or be
/// NaN): refused rather than silently truncated.
pub fn whole_number_argument(name: &str, value: f64) -> Result<i64> {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        Ok(value as i64)
    } else {
        Err(Error::invalid_argument(format!(
            "{name} is {value}, but it must be a whole number."
        )))
    }
}

fn duration_argument(name: &str, value: f64, per_second: f64, unit: &str) -> Result<Duration> {
    const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;
    let seconds = value / per_second;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > MAX_SECONDS {
        return Err(Error::invalid_argument(format!(
            "{name} is {value}, but it must be a positive number of {unit} (at most a year)."
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn env_flag(env: &dyn Environment, name: &str) -> Result<Option<bool>> {
    let Some(value) = env.var(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(Error::invalid_config(format!(
            "{name} is '{value}', which is not a yes/no value."
        ))
        .with_hint("Set it to 1 or 0.")),
    }
}

pub(crate) fn normalize_base_url(url: &str, source: &Source) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| {
        Error::new(
            if *source == Source::Argument {
                ErrorCode::InvalidArgument
            } else {
                ErrorCode::InvalidConfig
            },
            format!("The base URL from {source} is not a valid URL ({e})."),
        )
        .with_hint("Use a full URL such as https://api.hopx.dev or http://127.0.0.1:8787.")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::new(
            if *source == Source::Argument {
                ErrorCode::InvalidArgument
            } else {
                ErrorCode::InvalidConfig
            },
            format!("The base URL from {source} must be an http:// or https:// URL with a host."),
        )
        .with_hint("Use a full URL such as https://api.hopx.dev or http://127.0.0.1:8787."));
    }
    if parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Error::new(
            if *source == Source::Argument {
                ErrorCode::InvalidArgument
            } else {
                ErrorCode::InvalidConfig
            },
            format!(
                "The base URL from {source} must not contain credentials, a query or a fragment."
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "hopx_live_AAAAAAAAAAAA.secretA";
    const KEY_B: &str = "hopx_live_BBBBBBBBBBBB.secretB";
    const KEY_C: &str = "hopx_live_CCCCCCCCCCCC.secretC";
    const KEY_D: &str = "hopx_live_DDDDDDDDDDDD.secretD";

    fn env() -> MapEnvironment {
        MapEnvironment {
            current_dir: Some("/work/project/sub".into()),
            home_dir: Some("/home/u".into()),
            ..Default::default()
        }
    }

    fn resolve_env(env: &MapEnvironment) -> Result<ResolvedConfig> {
        resolve(&ClientOptions::default(), env)
    }

    #[test]
    fn argument_beats_everything() {
        let env = env()
            .var("HOPX_API_KEY", KEY_B)
            .file("/work/project/sub/.env", &format!("HOPX_API_KEY={KEY_C}"))
            .file(
                "/home/u/.hopx/config.toml",
                &format!("[profiles.default]\napi_key = \"{KEY_D}\""),
            );
        let options = ClientOptions {
            api_key: Some(KEY_A.into()),
            ..Default::default()
        };
        let config = resolve(&options, &env).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_A);
        assert_eq!(config.api_key_source, Source::Argument);
    }

    #[test]
    fn env_var_beats_dotenv_and_config() {
        let env = env()
            .var("HOPX_API_KEY", KEY_B)
            .file("/work/project/.env", &format!("HOPX_API_KEY={KEY_C}"))
            .file(
                "/home/u/.hopx/config.toml",
                &format!("[profiles.default]\napi_key = \"{KEY_D}\""),
            );
        let config = resolve_env(&env).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_B);
        assert_eq!(config.api_key_source, Source::EnvVar("HOPX_API_KEY"));
    }

    #[test]
    fn dotenv_is_found_upward_and_beats_config() {
        let env = env()
            .file(
                "/work/.env",
                &format!("# comment\nOTHER=1\nexport HOPX_API_KEY=\"{KEY_C}\"\n"),
            )
            .file(
                "/home/u/.hopx/config.toml",
                &format!("[profiles.default]\napi_key = \"{KEY_D}\""),
            );
        let config = resolve_env(&env).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_C);
        assert_eq!(config.api_key_source, Source::DotEnv("/work/.env".into()));
    }

    #[test]
    fn nearest_dotenv_wins_even_without_the_key() {
        let env = env()
            .file("/work/project/.env", "OTHER=1\n")
            .file("/work/.env", &format!("HOPX_API_KEY={KEY_C}"))
            .file(
                "/home/u/.hopx/config.toml",
                &format!("[profiles.default]\napi_key = \"{KEY_D}\""),
            );
        let config = resolve_env(&env).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_D);
    }

    #[test]
    fn dotenv_never_sets_the_base_url() {
        let env = env().file(
            "/work/project/sub/.env",
            &format!("HOPX_API_KEY={KEY_C}\nHOPX_BASE_URL=https://evil.example\n"),
        );
        let config = resolve_env(&env).unwrap();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.base_url_source, Source::Default);
    }

    #[test]
    fn config_file_profiles() {
        let toml = format!(
            "default_profile = \"work\"\n[profiles.default]\napi_key = \"{KEY_C}\"\n[profiles.work]\napi_key = \"{KEY_D}\"\nbase_url = \"http://127.0.0.1:9/\"\nauth_header = \"x-api-key\"\n"
        );
        let env_default = env().file("/home/u/.hopx/config.toml", &toml);
        let config = resolve_env(&env_default).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_D);
        assert_eq!(config.base_url, "http://127.0.0.1:9");
        assert_eq!(config.auth_header, AuthHeader::XApiKey);
        assert_eq!(
            config.api_key_source,
            Source::ConfigFile {
                path: "/home/u/.hopx/config.toml".into(),
                profile: "work".into()
            }
        );

        let env_profile = env_default.clone().var("HOPX_PROFILE", "default");
        let config = resolve_env(&env_profile).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_C);
        assert_eq!(config.base_url, DEFAULT_BASE_URL);

        let options = ClientOptions {
            profile: Some("work".into()),
            ..Default::default()
        };
        let config = resolve(&options, &env_profile).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY_D);

        let env_missing = env_default.var("HOPX_PROFILE", "nope");
        let err = resolve_env(&env_missing).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("default, work"), "{}", err.message());
    }

    #[test]
    fn config_dir_env_var() {
        let env = env().var("HOPX_CONFIG_DIR", "/etc/hopx").file(
            "/etc/hopx/config.toml",
            &format!("[profiles.default]\napi_key = \"{KEY_D}\""),
        );
        assert_eq!(resolve_env(&env).unwrap().api_key.expose_secret(), KEY_D);
    }

    #[test]
    fn base_url_precedence() {
        let env = env()
            .var("HOPX_API_KEY", KEY_A)
            .var("HOPX_BASE_URL", "http://env.example:1/")
            .file(
                "/home/u/.hopx/config.toml",
                "[profiles.default]\nbase_url = \"http://file.example\"",
            );
        assert_eq!(resolve_env(&env).unwrap().base_url, "http://env.example:1");
        let options = ClientOptions {
            base_url: Some("http://arg.example".into()),
            ..Default::default()
        };
        let config = resolve(&options, &env).unwrap();
        assert_eq!(config.base_url, "http://arg.example");
        assert_eq!(config.base_url_source, Source::Argument);
        let mut env = env;
        env.vars.remove("HOPX_BASE_URL");
        assert_eq!(resolve_env(&env).unwrap().base_url, "http://file.example");
    }

    #[test]
    fn bad_base_url() {
        let env = env()
            .var("HOPX_API_KEY", KEY_A)
            .var("HOPX_BASE_URL", "api.hopx.dev");
        assert_eq!(
            resolve_env(&env).unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
        let options = ClientOptions {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve(&options, &env).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn missing_key_lists_every_place() {
        let env = env().file("/home/u/.hopx/config.toml", "[profiles.default]\n");
        let err = resolve_env(&env).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ApiKeyMissing);
        let text = err.to_string();
        for needle in [
            "api_key argument",
            "HOPX_API_KEY environment variable",
            "no .env file in /work/project/sub",
            "/home/u/.hopx/config.toml, profile 'default': exists, but that profile has no api_key",
            "[profiles.default]",
            "export HOPX_API_KEY",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in {text}");
        }
    }

    #[test]
    fn invalid_key_names_its_source_and_hides_the_secret() {
        let env = env().var("HOPX_API_KEY", "hopx_live_short.topsecretvalue");
        let err = resolve_env(&env).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ApiKeyInvalidKeyId);
        assert!(err.message().contains("HOPX_API_KEY"));
        assert!(!err.to_string().contains("topsecretvalue"));
    }

    #[test]
    fn validation_can_be_turned_off() {
        let env = env()
            .var("HOPX_API_KEY", "self-hosted")
            .var("HOPX_VALIDATE_API_KEY", "0");
        assert_eq!(
            resolve_env(&env).unwrap().api_key.expose_secret(),
            "self-hosted"
        );
        let env = env.var("HOPX_VALIDATE_API_KEY", "maybe");
        assert_eq!(
            resolve_env(&env).unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
        let options = ClientOptions {
            api_key: Some("self-hosted".into()),
            validate_api_key: Some(false),
            ..Default::default()
        };
        assert!(resolve(&options, &MapEnvironment::default()).is_ok());
    }

    #[test]
    fn auth_header_from_env() {
        let env = env()
            .var("HOPX_API_KEY", KEY_A)
            .var("HOPX_AUTH_HEADER", "X-API-Key");
        assert_eq!(resolve_env(&env).unwrap().auth_header, AuthHeader::XApiKey);
        let env = env.var("HOPX_AUTH_HEADER", "cookie");
        assert_eq!(
            resolve_env(&env).unwrap_err().code(),
            ErrorCode::InvalidConfig
        );
    }

    #[test]
    fn malformed_config_file_does_not_echo_its_contents() {
        let env = env().file(
            "/home/u/.hopx/config.toml",
            "[profiles.default]\napi_key = hopx_live_AAAAAAAAAAAA.leakedsecret\n",
        );
        let err = resolve_env(&env).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(!err.to_string().contains("leakedsecret"), "{err}");
        assert!(err.message().contains("line 2"), "{err}");
    }

    #[test]
    fn dotenv_parsing() {
        let text =
            "A=1\nHOPX_API_KEY = 'one' \nHOPX_API_KEY_OTHER=x\n  export HOPX_API_KEY=two # note\n";
        assert_eq!(dotenv_value(text, "HOPX_API_KEY").as_deref(), Some("two"));
        assert_eq!(
            dotenv_value("HOPX_API_KEY=\"a b\" # c", "HOPX_API_KEY").as_deref(),
            Some("a b")
        );
        assert_eq!(dotenv_value("X=1", "HOPX_API_KEY"), None);
    }
}
