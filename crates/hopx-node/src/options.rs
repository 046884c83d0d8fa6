//! The options objects JavaScript passes, and their translation into the core's options
//! structs. No defaults and no checks here: an unset option stays unset for the core to
//! resolve (argument → environment → `.env` → config file), or takes the core's default
//! (`hopx::RunCodeOptions::default()` and the like); the core validates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use napi::Either;
use napi_derive::napi;

/// `Sandbox.create(options)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct CreateOptions {
    pub template: Option<String>,
    /// A string, or a number (sent as its string form).
    pub template_id: Option<Either<String, f64>>,
    pub region: Option<String>,
    /// A JavaScript number; the core refuses fractions instead of truncating them.
    pub timeout_seconds: Option<f64>,
    pub internet_access: Option<bool>,
    pub env_vars: Option<std::collections::HashMap<String, String>>,
    pub api_key: Option<String>,
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub auth_header: Option<String>,
    pub validate_api_key: Option<bool>,
    pub request_timeout_ms: Option<f64>,
    /// How many times a failed request may be sent again (a whole number; the core checks the
    /// range, 0 to 10).
    pub max_retries: Option<f64>,
    /// The most one call may take, retries and waits included, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// A proxy URL for every request.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates.
    pub ca_bundle: Option<String>,
    /// `false`: HTTP/1.1 only.
    pub http2: Option<bool>,
}

/// `Sandbox.listTemplates(options)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ListTemplatesOptions {
    pub category: Option<String>,
    pub language: Option<String>,
    pub api_key: Option<String>,
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub auth_header: Option<String>,
    pub validate_api_key: Option<bool>,
    pub request_timeout_ms: Option<f64>,
    /// How many times a failed request may be sent again (a whole number; the core checks the
    /// range, 0 to 10).
    pub max_retries: Option<f64>,
    /// The most one call may take, retries and waits included, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// A proxy URL for every request.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates.
    pub ca_bundle: Option<String>,
    /// `false`: HTTP/1.1 only.
    pub http2: Option<bool>,
}

/// The connection settings alone: `Sandbox.connect(id, options)`, `Sandbox.getTemplate(name,
/// options)`, `Sandbox.deleteTemplate(id, options)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ConnectionOptions {
    pub api_key: Option<String>,
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub auth_header: Option<String>,
    pub validate_api_key: Option<bool>,
    pub request_timeout_ms: Option<f64>,
    /// How many times a failed request may be sent again (a whole number; the core checks the
    /// range, 0 to 10).
    pub max_retries: Option<f64>,
    /// The most one call may take, retries and waits included, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// A proxy URL for every request.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates.
    pub ca_bundle: Option<String>,
    /// `false`: HTTP/1.1 only.
    pub http2: Option<bool>,
}

/// `Sandbox.list(options)` and `Sandbox.iter(options)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ListSandboxesOptions {
    /// `running`, `stopped`, `paused` or `creating` (checked by the core).
    pub status: Option<String>,
    pub region: Option<String>,
    /// Sandboxes per page, a whole number (the core checks the range).
    pub limit: Option<f64>,
    pub api_key: Option<String>,
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub auth_header: Option<String>,
    pub validate_api_key: Option<bool>,
    pub request_timeout_ms: Option<f64>,
    /// How many times a failed request may be sent again (a whole number; the core checks the
    /// range, 0 to 10).
    pub max_retries: Option<f64>,
    /// The most one call may take, retries and waits included, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// A proxy URL for every request.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates.
    pub ca_bundle: Option<String>,
    /// `false`: HTTP/1.1 only.
    pub http2: Option<bool>,
}

/// `Sandbox.healthCheck(options)`: no key is needed (none is sent), so no key settings.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct HealthCheckOptions {
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub request_timeout_ms: Option<f64>,
    pub max_retries: Option<f64>,
    pub deadline_ms: Option<f64>,
    pub proxy: Option<String>,
    pub ca_bundle: Option<String>,
    pub http2: Option<bool>,
}

/// The client settings every call accepts.
struct ClientArguments {
    api_key: Option<String>,
    base_url: Option<String>,
    auth_header: Option<String>,
    validate_api_key: Option<bool>,
    request_timeout_ms: Option<f64>,
    max_retries: Option<f64>,
    deadline_ms: Option<f64>,
    proxy: Option<String>,
    ca_bundle: Option<String>,
    http2: Option<bool>,
}

impl ClientArguments {
    fn into_core(self) -> hopx::Result<hopx::ClientOptions> {
        Ok(hopx::ClientOptions {
            api_key: self.api_key,
            base_url: self.base_url,
            auth_header: self
                .auth_header
                .as_deref()
                .map(hopx::AuthHeader::from_argument)
                .transpose()?,
            validate_api_key: self.validate_api_key,
            request_timeout: self
                .request_timeout_ms
                .map(|ms| hopx::config::millis_argument("requestTimeoutMs", ms))
                .transpose()?,
            profile: None,
            user_agent: Some(format!("hopx-node/{}", hopx::VERSION)),
            max_retries: self
                .max_retries
                .map(|n| hopx::config::retries_argument("maxRetries", n))
                .transpose()?,
            deadline: self
                .deadline_ms
                .map(|ms| hopx::config::millis_argument("deadlineMs", ms))
                .transpose()?,
            proxy: self.proxy,
            ca_bundle: self.ca_bundle.map(PathBuf::from),
            http2: self.http2,
        })
    }
}

/// `sandbox.withOptions(options)`: settings for the calls made through the returned handle.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct CallOptions {
    /// The timeout of each attempt, in milliseconds.
    pub request_timeout_ms: Option<f64>,
    /// How many times a failed request may be sent again.
    pub max_retries: Option<f64>,
    /// The most one call may take, retries and waits included, in milliseconds.
    pub deadline_ms: Option<f64>,
}

impl CallOptions {
    /// The core's per-call options (the core checks them).
    pub(crate) fn into_core(self) -> hopx::Result<hopx::CallOptions> {
        let CallOptions {
            request_timeout_ms,
            max_retries,
            deadline_ms,
        } = self;
        Ok(hopx::CallOptions {
            max_retries: max_retries
                .map(|n| hopx::config::retries_argument("maxRetries", n))
                .transpose()?,
            request_timeout: request_timeout_ms
                .map(|ms| hopx::config::millis_argument("requestTimeoutMs", ms))
                .transpose()?,
            deadline: deadline_ms
                .map(|ms| hopx::config::millis_argument("deadlineMs", ms))
                .transpose()?,
        })
    }
}

impl CreateOptions {
    /// The core's client options and create options.
    pub(crate) fn into_core(
        self,
    ) -> hopx::Result<(hopx::ClientOptions, hopx::CreateSandboxOptions)> {
        let CreateOptions {
            template,
            template_id,
            region,
            timeout_seconds,
            internet_access,
            env_vars,
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        } = self;
        let client = ClientArguments {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        }
        .into_core()?;
        let create = hopx::CreateSandboxOptions {
            template,
            template_id: template_id
                .map(|id| match id {
                    Either::A(text) => Ok(text),
                    Either::B(number) => hopx::config::whole_number_argument("templateId", number)
                        .map(|n| n.to_string()),
                })
                .transpose()?,
            region,
            timeout_seconds: timeout_seconds
                .map(|s| hopx::config::whole_number_argument("timeoutSeconds", s))
                .transpose()?,
            internet_access,
            env_vars: env_vars.map(|vars| vars.into_iter().collect()),
        };
        Ok((client, create))
    }
}

impl ListTemplatesOptions {
    /// The core's client options and list filters.
    pub(crate) fn into_core(
        self,
    ) -> hopx::Result<(hopx::ClientOptions, hopx::ListTemplatesOptions)> {
        let ListTemplatesOptions {
            category,
            language,
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        } = self;
        let client = ClientArguments {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        }
        .into_core()?;
        Ok((client, hopx::ListTemplatesOptions { category, language }))
    }
}

impl ConnectionOptions {
    /// The core's client options.
    pub(crate) fn into_core(self) -> hopx::Result<hopx::ClientOptions> {
        let ConnectionOptions {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        } = self;
        ClientArguments {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        }
        .into_core()
    }
}

impl ListSandboxesOptions {
    /// The core's client options and list filters.
    pub(crate) fn into_core(
        self,
    ) -> hopx::Result<(hopx::ClientOptions, hopx::ListSandboxesOptions)> {
        let ListSandboxesOptions {
            status,
            region,
            limit,
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        } = self;
        let client = ClientArguments {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        }
        .into_core()?;
        let limit = limit
            .map(|n| hopx::config::whole_number_argument("limit", n))
            .transpose()?;
        Ok((
            client,
            hopx::ListSandboxesOptions {
                status,
                region,
                limit,
            },
        ))
    }
}

impl HealthCheckOptions {
    /// The core's client options (no key: the health check sends none).
    pub(crate) fn into_core(self) -> hopx::Result<hopx::ClientOptions> {
        let HealthCheckOptions {
            base_url,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        } = self;
        ClientArguments {
            api_key: None,
            base_url,
            auth_header: None,
            validate_api_key: None,
            request_timeout_ms,
            max_retries,
            deadline_ms,
            proxy,
            ca_bundle,
            http2,
        }
        .into_core()
    }
}

// ---------------------------------------------------------------------------------------------
// The data plane. An option left out keeps the core's default (`hopx::RunCodeOptions::default()`
// and the like); durations are JavaScript numbers of seconds, checked by the core.

/// A duration in seconds, checked by the core, or the core's default.
fn seconds_or(name: &str, seconds: Option<f64>, default: Duration) -> hopx::Result<Duration> {
    seconds.map_or(Ok(default), |s| hopx::config::seconds_argument(name, s))
}

/// `sandbox.runCode(code, options)`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RunCodeOptions {
    /// `python` (default), `javascript`, `bash`, ...
    pub language: Option<String>,
    /// Seconds (default 120).
    pub timeout: Option<f64>,
    /// Extra environment variables for this run.
    pub env: Option<BTreeMap<String, String>>,
    /// Default `/workspace`.
    pub working_dir: Option<String>,
}

impl RunCodeOptions {
    /// The core's options: its defaults, overridden by what was given.
    pub(crate) fn into_core(self) -> hopx::Result<hopx::RunCodeOptions> {
        let RunCodeOptions {
            language,
            timeout,
            env,
            working_dir,
        } = self;
        let defaults = hopx::RunCodeOptions::default();
        Ok(hopx::RunCodeOptions {
            timeout: seconds_or("timeout", timeout, defaults.timeout)?,
            language: language.unwrap_or(defaults.language),
            env,
            working_dir: working_dir.unwrap_or(defaults.working_dir),
        })
    }
}

/// `sandbox.runCodeBackground(code, options)`. (The agent runs background code in a directory
/// of its own, so there is no working directory option.)
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct BackgroundOptions {
    pub language: Option<String>,
    /// Seconds (default 300).
    pub timeout: Option<f64>,
    pub env: Option<BTreeMap<String, String>>,
    /// A name to find it by in `listProcesses()`.
    pub name: Option<String>,
}

impl BackgroundOptions {
    /// The core's options: its defaults, overridden by what was given.
    pub(crate) fn into_core(self) -> hopx::Result<hopx::BackgroundOptions> {
        let BackgroundOptions {
            language,
            timeout,
            env,
            name,
        } = self;
        let defaults = hopx::BackgroundOptions::default();
        Ok(hopx::BackgroundOptions {
            timeout: seconds_or("timeout", timeout, defaults.timeout)?,
            language: language.unwrap_or(defaults.language),
            env,
            name,
        })
    }
}

/// `sandbox.commands.run(command, options)` and `runBackground`. (`background` is read by
/// `js/index.js`, which picks the call.)
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct CommandOptions {
    /// Seconds (default 120).
    pub timeout: Option<f64>,
    pub env: Option<BTreeMap<String, String>>,
    /// Default `/workspace`.
    pub working_dir: Option<String>,
}

impl CommandOptions {
    /// The core's options: its defaults, overridden by what was given.
    pub(crate) fn into_core(self) -> hopx::Result<hopx::CommandOptions> {
        let CommandOptions {
            timeout,
            env,
            working_dir,
        } = self;
        let defaults = hopx::CommandOptions::default();
        Ok(hopx::CommandOptions {
            timeout: seconds_or("timeout", timeout, defaults.timeout)?,
            env,
            working_dir: working_dir.unwrap_or(defaults.working_dir),
        })
    }
}

/// Debug output for the data-plane options: environment variable names only, never values.
macro_rules! debug_without_env_values {
    ($name:ident { $($field:ident),* }) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    .field("env", &self.env.as_ref().map(|e| e.keys().collect::<Vec<_>>()))
                    .finish()
            }
        }
    };
}

debug_without_env_values!(RunCodeOptions {
    language,
    timeout,
    working_dir
});
debug_without_env_values!(BackgroundOptions {
    language,
    timeout,
    name
});
debug_without_env_values!(CommandOptions {
    timeout,
    working_dir
});
