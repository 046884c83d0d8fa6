//! # hopx
//!
//! The client for [HopX](https://hopx.ai) sandboxes: isolated cloud VMs where agents and apps
//! run code. This crate is the core behind three SDKs that behave the same: this Rust crate,
//! the `hopx_ai` Python package and the `@hopx-ai/sdk` npm package.
//!
//! - [`Client`]: configuration (key, base URL, header) resolved once, requests over one
//!   process-wide connection pool, retries that never replay a request that may have been
//!   processed.
//! - [`ApiKey`]: validated before anything is sent; prints only as `hopx_live_<keyId>.****`.
//! - [`Error`]: one type with a stable [`ErrorCode`] shared by every language.
//!
//! The core has no runtime of its own: it runs on the caller's tokio runtime.
//! [`runtime::shared`] provides one for the language bindings.

mod agent;
mod client;
pub mod config;
pub mod config_file;
mod error;
#[cfg(test)]
mod fuzz;
mod http;
mod key;
mod lenient;
pub mod log;
pub mod retry;
pub mod runtime;
mod sandbox;
mod template;
pub mod transport;

pub use agent::{
    BackgroundExecution, BackgroundOptions, CommandOptions, CommandResult,
    DEFAULT_BACKGROUND_TIMEOUT, DEFAULT_COMMAND_TIMEOUT, DEFAULT_EXECUTION_TIMEOUT,
    DEFAULT_FILE_MODE, DEFAULT_LANGUAGE, DEFAULT_WORKING_DIR, EnvVars, ExecutionResult, FileInfo,
    Files, ProcessInfo, RichOutput, RunCodeOptions,
};
pub use client::{Client, HEALTH_CHECK_TIMEOUT, health_check, health_check_with_environment};
pub use config::{AuthHeader, CallOptions, ClientOptions, ResolvedConfig, Source};
pub use error::{Error, ErrorCode, Result, TimeoutKind};
pub use key::ApiKey;
pub use retry::RetryPolicy;
pub use sandbox::{
    CreateSandboxOptions, DEFAULT_EXPIRING_SOON, ExpiryInfo, ListSandboxesOptions, MAX_PAGE_SIZE,
    Resources, SANDBOX_STATUSES, Sandbox, SandboxInfo, SandboxPager, TemplateRef,
    expiring_soon_threshold,
};
pub use template::{ListTemplatesOptions, Template, TemplateResources, closest_names};

/// The version of every hopx artifact (crate, wheel, npm package).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
