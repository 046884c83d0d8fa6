//! How requests reach the server: proxies, extra CA certificates, HTTP/2, and the process-wide
//! connection pools keyed by those settings.
//!
//! Everything is resolved once, when a client is built, through [`Environment`] (so tests can
//! resolve without touching the real environment) and then kept as plain values: reqwest would
//! otherwise read the proxy variables itself when the pool is first built and ignore later
//! clients whose environment differs.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::config::{ClientOptions, Environment};
use crate::error::{Error, ErrorCode, Result};

/// How long to wait for a TCP (and TLS) connection before giving up; nothing has been sent by
/// then, so a connect timeout is always safe to retry.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The resolved transport settings. Clients with equal settings share one connection pool.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Transport {
    proxy: ProxySettings,
    ca_bundle: Option<CaBundle>,
    http2: bool,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum ProxySettings {
    /// The `proxy` option: every request goes through it.
    Explicit(String),
    /// From the standard variables (any may be unset).
    FromEnv {
        http: Option<(String, &'static str)>,
        https: Option<(String, &'static str)>,
        all: Option<(String, &'static str)>,
        no_proxy: Option<String>,
    },
}

/// Extra trusted certificates: the file and what named it. The file is read when the first
/// client with these settings builds its pool (once per process), not each time a client is
/// resolved: Python and Node resolve a client per class-level call, and `SSL_CERT_FILE` is
/// often the whole system bundle.
#[derive(Clone, PartialEq, Eq, Hash)]
struct CaBundle {
    path: PathBuf,
    origin: String,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("proxy", &self.proxy_description())
            .field(
                "ca_bundle",
                &self.ca_bundle.as_ref().map(|bundle| &bundle.path),
            )
            .field("http2", &self.http2)
            .finish()
    }
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            proxy: ProxySettings::FromEnv {
                http: None,
                https: None,
                all: None,
                no_proxy: None,
            },
            ca_bundle: None,
            http2: true,
        }
    }
}

impl Transport {
    /// Resolves the transport settings: options first, then the environment.
    pub(crate) fn resolve(options: &ClientOptions, env: &dyn Environment) -> Result<Transport> {
        let proxy = match options.proxy.as_deref() {
            Some(url) => ProxySettings::Explicit(check_proxy_url(url, "the proxy option")?),
            None => {
                let read = |names: &[&'static str]| -> Result<Option<(String, &'static str)>> {
                    for name in names {
                        if let Some(value) = env.var(name).filter(|v| !v.trim().is_empty()) {
                            let url = check_proxy_url(&value, &format!("the {name} variable"))?;
                            return Ok(Some((url, *name)));
                        }
                    }
                    Ok(None)
                };
                ProxySettings::FromEnv {
                    // Lowercase first, as curl does: `HTTP_PROXY` can be set by a web server's
                    // client through a `Proxy:` header in CGI environments ("httpoxy").
                    http: read(&["http_proxy", "HTTP_PROXY"])?,
                    https: read(&["https_proxy", "HTTPS_PROXY"])?,
                    all: read(&["all_proxy", "ALL_PROXY"])?,
                    no_proxy: env
                        .var("no_proxy")
                        .or_else(|| env.var("NO_PROXY"))
                        .filter(|v| !v.trim().is_empty()),
                }
            }
        };
        let ca_path = match &options.ca_bundle {
            Some(path) => Some((path.clone(), "the ca_bundle (caBundle) option".to_owned())),
            None => ["HOPX_CA_BUNDLE", "SSL_CERT_FILE"].iter().find_map(|name| {
                env.var(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (PathBuf::from(v), format!("the {name} variable")))
            }),
        };
        let ca_bundle = ca_path.map(|(path, origin)| CaBundle { path, origin });
        Ok(Transport {
            proxy,
            ca_bundle,
            http2: options.http2.unwrap_or(true),
        })
    }

    /// The proxy in use, with any password hidden, for `hopx auth status` and logs.
    pub fn proxy_description(&self) -> String {
        match &self.proxy {
            ProxySettings::Explicit(url) => format!("{} (proxy option)", redact_proxy_url(url)),
            ProxySettings::FromEnv {
                http,
                https,
                all,
                no_proxy,
            } => {
                let mut parts: Vec<String> = [https, http, all]
                    .into_iter()
                    .flatten()
                    .map(|(url, name)| format!("{} ({name})", redact_proxy_url(url)))
                    .collect();
                if parts.is_empty() {
                    return "none".to_owned();
                }
                if let Some(no_proxy) = no_proxy {
                    parts.push(format!("except {no_proxy}"));
                }
                parts.join(", ")
            }
        }
    }

    /// Whether HTTP/2 may be negotiated.
    pub fn http2(&self) -> bool {
        self.http2
    }

    /// The extra CA bundle file, if any.
    pub fn ca_bundle(&self) -> Option<&std::path::Path> {
        self.ca_bundle.as_ref().map(|bundle| bundle.path.as_path())
    }

    fn build(&self) -> Result<reqwest::Client> {
        // rustls needs a process-wide crypto provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            // The API never redirects. Following one would send the key to wherever a proxy or
            // a compromised host points (reqwest drops `Authorization` across hosts, but not
            // `X-API-Key`), so a redirect is reported as the error it is.
            .redirect(reqwest::redirect::Policy::none())
            // Proxies come from our own resolution only (see the module docs).
            .no_proxy();
        let setup_error = |what: String| {
            move |e: reqwest::Error| {
                Error::new(ErrorCode::InvalidConfig, what).with_source(StrippedError::from(&e))
            }
        };
        match &self.proxy {
            ProxySettings::Explicit(url) => {
                builder = builder.proxy(reqwest::Proxy::all(url).map_err(setup_error(format!(
                    "The proxy {} cannot be used.",
                    redact_proxy_url(url)
                )))?);
            }
            ProxySettings::FromEnv {
                http,
                https,
                all,
                no_proxy,
            } => {
                let no_proxy = no_proxy.as_deref().and_then(reqwest::NoProxy::from_string);
                type MakeProxy = fn(&str) -> reqwest::Result<reqwest::Proxy>;
                let entries: [(_, MakeProxy); 3] = [
                    (https, |u| reqwest::Proxy::https(u)),
                    (http, |u| reqwest::Proxy::http(u)),
                    (all, |u| reqwest::Proxy::all(u)),
                ];
                for (setting, make) in entries {
                    if let Some((url, name)) = setting {
                        let proxy = make(url).map_err(setup_error(format!(
                            "The proxy {} in {name} cannot be used.",
                            redact_proxy_url(url)
                        )))?;
                        builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
                    }
                }
            }
        }
        if let Some(bundle) = &self.ca_bundle {
            builder = builder.tls_certs_merge(bundle.load()?);
        }
        if !self.http2 {
            builder = builder.http1_only();
        }
        builder.build().map_err(|e| {
            Error::new(ErrorCode::Network, "Could not set up the HTTP client.")
                .with_source(StrippedError::from(&e))
        })
    }
}

/// The process-wide pools. `reqwest::Client` is a handle to a shared pool, so cloning it out
/// of the map is cheap and every clone reuses the same connections. The map belongs to one
/// process: after a `fork()` the child's connections (and the runtime tasks that drove them)
/// are unusable, so a child starts with empty pools instead of hanging on the parent's.
pub(crate) fn pooled_client(transport: &Transport) -> Result<reqwest::Client> {
    type Pools = (u32, HashMap<Transport, reqwest::Client>);
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
    if let Some(client) = pools.1.get(transport) {
        return Ok(client.clone());
    }
    let client = transport.build()?;
    pools.1.insert(transport.clone(), client.clone());
    Ok(client)
}

fn check_proxy_url(url: &str, origin: &str) -> Result<String> {
    let url = url.trim();
    // A bare `host:port` is what many people put in HTTPS_PROXY; curl reads it as http.
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    };
    let parsed = reqwest::Url::parse(&with_scheme).map_err(|_| {
        Error::invalid_config(format!(
            "The proxy URL in {origin} ({}) is not a valid URL.",
            redact_proxy_url(url)
        ))
        .with_hint("Use the form http://host:port or http://user:password@host:port.")
    })?;
    if !matches!(
        parsed.scheme(),
        "http" | "https" | "socks5" | "socks5h" | "socks4"
    ) || parsed.host_str().is_none()
    {
        return Err(Error::invalid_config(format!(
            "The proxy URL in {origin} ({}) is not an http:// or https:// proxy.",
            redact_proxy_url(url)
        ))
        .with_hint("Use the form http://host:port or http://user:password@host:port."));
    }
    if parsed.scheme().starts_with("socks") {
        return Err(Error::invalid_config(format!(
            "The proxy in {origin} ({}) is a SOCKS proxy, which this SDK does not support.",
            redact_proxy_url(url)
        ))
        .with_hint("Use an HTTP proxy (one that supports CONNECT for https)."));
    }
    Ok(with_scheme)
}

/// A proxy URL with its password (and user name) replaced, safe to print.
pub fn redact_proxy_url(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((before, host)) => {
            let scheme = before
                .split_once("://")
                .map(|(scheme, _)| format!("{scheme}://"))
                .unwrap_or_default();
            format!("{scheme}****@{host}")
        }
        None => url.to_owned(),
    }
}

impl CaBundle {
    fn load(&self) -> Result<Vec<reqwest::Certificate>> {
        let fix = "Point it at a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks).";
        let pem = std::fs::read(&self.path).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                "does not exist".to_owned()
            } else {
                format!("could not be read: {e}")
            };
            Error::invalid_config(format!(
                "The CA bundle {} named by {} {what}.",
                self.path.display(),
                self.origin
            ))
            .with_hint(fix)
        })?;
        match reqwest::Certificate::from_pem_bundle(&pem) {
            Ok(certificates) if !certificates.is_empty() => Ok(certificates),
            _ => Err(Error::invalid_config(format!(
                "The CA bundle {} named by {} contains no PEM certificate.",
                self.path.display(),
                self.origin
            ))
            .with_hint(fix)),
        }
    }
}

/// A reqwest error's text without the error itself: reqwest's errors can carry the proxy URL,
/// and with it the proxy's password.
#[derive(Debug)]
struct StrippedError(String);

impl From<&reqwest::Error> for StrippedError {
    fn from(e: &reqwest::Error) -> Self {
        let mut parts = Vec::new();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = source {
            parts.push(s.to_string());
            source = s.source();
        }
        let text = if parts.is_empty() {
            "the HTTP library refused the setting".to_owned()
        } else {
            parts.join(": ")
        };
        StrippedError(crate::key::scrub_secrets(&text).into_owned())
    }
}

impl fmt::Display for StrippedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StrippedError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnvironment;

    #[test]
    fn proxy_urls_are_checked_and_redacted() {
        assert_eq!(
            redact_proxy_url("http://user:pw@proxy:3128"),
            "http://****@proxy:3128"
        );
        assert_eq!(redact_proxy_url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(
            check_proxy_url("proxy.internal:3128", "x").unwrap(),
            "http://proxy.internal:3128"
        );
        let error = check_proxy_url("ftp://user:secretpw@h:1", "x").unwrap_err();
        assert!(!error.to_string().contains("secretpw"), "{error}");
        assert!(check_proxy_url("socks5://h:1", "x").is_err());
    }

    #[test]
    fn proxies_come_from_options_then_lowercase_then_uppercase_variables() {
        let env = MapEnvironment::default()
            .var("HTTPS_PROXY", "http://upper:1")
            .var("https_proxy", "http://lower:1")
            .var("NO_PROXY", "localhost");
        let transport = Transport::resolve(&ClientOptions::default(), &env).unwrap();
        assert_eq!(
            transport.proxy_description(),
            "http://lower:1 (https_proxy), except localhost"
        );
        let explicit = ClientOptions {
            proxy: Some("http://a:b@explicit:8080".into()),
            ..Default::default()
        };
        let transport = Transport::resolve(&explicit, &env).unwrap();
        assert_eq!(
            transport.proxy_description(),
            "http://****@explicit:8080 (proxy option)"
        );
        assert!(!format!("{transport:?}").contains(":b@"));
    }

    #[test]
    fn a_ca_bundle_must_exist_and_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let env = MapEnvironment::default().var("HOPX_CA_BUNDLE", missing.to_str().unwrap());
        let transport = Transport::resolve(&ClientOptions::default(), &env).unwrap();
        let error = pooled_client(&transport).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidConfig);
        assert!(error.message().contains("HOPX_CA_BUNDLE"), "{error}");
        assert!(error.message().contains("does not exist"), "{error}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let env = MapEnvironment::default().var("SSL_CERT_FILE", junk.to_str().unwrap());
        let transport = Transport::resolve(&ClientOptions::default(), &env).unwrap();
        let error = pooled_client(&transport).unwrap_err();
        assert!(error.message().contains("no PEM certificate"), "{error}");
        // The option beats both variables.
        let option = ClientOptions {
            ca_bundle: Some(missing),
            ..Default::default()
        };
        let error = pooled_client(&Transport::resolve(&option, &env).unwrap()).unwrap_err();
        assert!(
            error.message().contains("the ca_bundle (caBundle) option"),
            "{error}"
        );
    }
}
