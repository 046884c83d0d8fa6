//! The entry point: a resolved configuration plus a handle on the shared connection pool.

use std::sync::Arc;

use reqwest::Method;

use crate::config::{ClientOptions, Environment, ResolvedConfig, SystemEnvironment, resolve};
use crate::error::{ErrorCode, Result};
use crate::http::{ApiRequest, HttpClient};
use crate::retry::RetryPolicy;
use crate::sandbox::{CreateSandboxOptions, Sandbox, SandboxInfo, SandboxWithToken, TemplateRef};
use crate::template::{ListTemplatesOptions, Template, TemplateList};

/// A HopX API client. Cheap to clone: clones share the configuration and, like every client in
/// the process with the same transport settings, one pool of warm connections.
///
/// ```no_run
/// # async fn demo() -> hopx::Result<()> {
/// let client = hopx::Client::new(hopx::ClientOptions::default())?; // key from HOPX_API_KEY, .env or config
/// let templates = client.list_templates(&Default::default()).await?;
/// let sandbox = client.create_sandbox(&hopx::CreateSandboxOptions::template("code-interpreter")).await?;
/// println!("{} templates; created {}", templates.len(), sandbox.id());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ResolvedConfig,
    http: HttpClient,
}

impl Client {
    /// Resolves the configuration from `options` and the process environment. Fails, without
    /// any network traffic, when no valid API key can be found.
    pub fn new(options: ClientOptions) -> Result<Client> {
        Client::with_environment(&options, &SystemEnvironment)
    }

    /// Like [`Client::new`], reading the environment through `env` (for tests).
    pub fn with_environment(options: &ClientOptions, env: &dyn Environment) -> Result<Client> {
        let config = resolve(options, env)?;
        Client::from_config(config)
    }

    /// A client for an already resolved configuration.
    pub fn from_config(config: ResolvedConfig) -> Result<Client> {
        let http = HttpClient::new(&config, RetryPolicy::default())?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// The configuration in use, with where each setting came from.
    pub fn config(&self) -> &ResolvedConfig {
        &self.inner.config
    }

    /// Lists the templates sandboxes can be created from (`GET /v1/templates`).
    pub async fn list_templates(&self, options: &ListTemplatesOptions) -> Result<Vec<Template>> {
        let request = ApiRequest::new(Method::GET, "/v1/templates", "a template list")
            .query("category", options.category.as_deref())
            .query("language", options.language.as_deref());
        let list: TemplateList = self.inner.http.send(request).await?;
        Ok(list.data)
    }

    /// Creates a sandbox (`POST /v1/sandboxes`). The request is never sent twice unless the
    /// server said it did not process it (429, 503, connection refused).
    pub async fn create_sandbox(&self, options: &CreateSandboxOptions) -> Result<Sandbox> {
        let body = options.to_body()?;
        let request = ApiRequest::new(Method::POST, "/v1/sandboxes", "a sandbox").json(body);
        let response: SandboxWithToken = match self.inner.http.send(request).await {
            Ok(response) => response,
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(template_not_found(e, &options.template_ref()?));
            }
            Err(e) => return Err(e),
        };
        Sandbox::from_response(self.clone(), response)
    }

    /// Fetches a sandbox's current state (`GET /v1/sandboxes/{id}`).
    pub async fn get_sandbox_info(&self, sandbox_id: &str) -> Result<SandboxInfo> {
        let path = format!("/v1/sandboxes/{}", path_segment(sandbox_id)?);
        let info: SandboxInfo = self
            .inner
            .http
            .send(ApiRequest::new(Method::GET, path, "a sandbox"))
            .await?;
        Ok(info.with_fallbacks())
    }
}

fn template_not_found(error: crate::Error, template: &TemplateRef) -> crate::Error {
    let what = match template {
        TemplateRef::Name(name) => format!("template '{name}'"),
        TemplateRef::Id(id) => format!("template id '{id}'"),
    };
    error
        .with_code(ErrorCode::TemplateNotFound)
        .append_message(&format!("No {what} exists for this account."))
        .with_hint("Sandbox.list_templates() (listTemplates() in JavaScript) lists the templates you can use.")
}

/// A sandbox id as one URL path segment. Ids are opaque, but one that would change the path
/// (`/`, `..`, `?`) is refused rather than sent somewhere else.
fn path_segment(id: &str) -> Result<&str> {
    let id = id.trim();
    if id.is_empty()
        || id == "."
        || id == ".."
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(crate::Error::invalid_argument(format!(
            "{id:?} is not a valid sandbox id: ids contain only letters, digits, '-', '_' and '.'."
        )));
    }
    Ok(id)
}
