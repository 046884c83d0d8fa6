//! The entry point: a resolved configuration plus a handle on the shared connection pool.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::IgnoredAny;

use crate::config::{
    CallOptions, CallSettings, ClientOptions, Environment, ResolvedConfig, SystemEnvironment,
    resolve, resolve_base_url,
};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{ApiRequest, HttpClient, KeylessSettings};
use crate::sandbox::{
    AgentToken, CreateSandboxOptions, ListSandboxesOptions, Sandbox, SandboxInfo, SandboxPage,
    SandboxPager, SandboxWithToken, TemplateRef,
};
use crate::template::{ListTemplatesOptions, Template, TemplateList, closest_names};

/// A HopX API client. Cheap to clone: clones share the configuration and, like every client in
/// the process with the same transport settings, one pool of warm connections.
///
/// ```no_run
/// # async fn demo() -> hopx::Result<()> {
/// let client = hopx::Client::new(hopx::ClientOptions::default())?; // key from HOPX_API_KEY, .env or config
/// let templates = client.list_templates(&Default::default()).await?;
/// let sandbox = client.create_sandbox(&hopx::CreateSandboxOptions::template("code-interpreter")).await?;
/// println!("{} templates; created {}", templates.len(), sandbox.id());
/// sandbox.kill().await?;
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
        let http = HttpClient::new(&config)?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// A client whose calls use these retry and timeout settings instead; it shares this
    /// client's connections. For one call: `client.with_call_options(&opts)?.list_templates(..)`.
    pub fn with_call_options(&self, options: &CallOptions) -> Result<Client> {
        if *options == CallOptions::default() {
            return Ok(self.clone());
        }
        Client::from_config(self.inner.config.with_call_options(options)?)
    }

    /// The configuration in use, with where each setting came from.
    pub fn config(&self) -> &ResolvedConfig {
        &self.inner.config
    }

    async fn send<T: serde::de::DeserializeOwned>(&self, request: ApiRequest<'_>) -> Result<T> {
        self.inner.http.send(request).await
    }

    // --- templates -------------------------------------------------------------------------

    /// Lists the templates sandboxes can be created from (`GET /v1/templates`).
    pub async fn list_templates(&self, options: &ListTemplatesOptions) -> Result<Vec<Template>> {
        let request = ApiRequest::new(Method::GET, "/v1/templates", "a template list")
            .query("category", options.category.as_deref())
            .query("language", options.language.as_deref());
        let list: TemplateList = self.send(request).await?;
        Ok(list.data)
    }

    /// One template by name or id (`GET /v1/templates/{name}`). An unknown one is a
    /// `TemplateNotFound` error with the closest existing names.
    pub async fn get_template(&self, name: &str) -> Result<Template> {
        let segment = path_segment("template name", name)?;
        let request = ApiRequest::new(
            Method::GET,
            format!("/v1/templates/{segment}"),
            "a template",
        );
        match self.send(request).await {
            Err(e) if e.code() == ErrorCode::NotFound => Err(self
                .template_not_found(e, &TemplateRef::Name(segment.to_owned()))
                .await),
            other => other,
        }
    }

    /// Deletes one of the organization's own templates (`DELETE /v1/templates/{id}`).
    /// Built-in public templates cannot be deleted (a `PermissionDenied` error).
    pub async fn delete_template(&self, template_id: &str) -> Result<()> {
        let segment = path_segment("template id", template_id)?;
        let request = ApiRequest::new(
            Method::DELETE,
            format!("/v1/templates/{segment}"),
            "a deletion result",
        );
        let _: Option<IgnoredAny> = self.send(request).await?;
        Ok(())
    }

    /// Turns a 404 for a template into `TemplateNotFound` naming the closest templates. The
    /// names come from the error's `details.available` when the server sent them, else from
    /// one `GET /v1/templates`; if that fails too, the error simply has no suggestions.
    async fn template_not_found(&self, error: Error, template: &TemplateRef) -> Error {
        let from_server: Option<Vec<String>> = error
            .details()
            .and_then(|d| d.get("available").or_else(|| d.get("available_templates")))
            .and_then(|v| v.as_array())
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            });
        let available = match from_server {
            Some(names) => names,
            None => match self.list_templates(&ListTemplatesOptions::default()).await {
                Ok(templates) => templates.into_iter().filter_map(|t| t.name).collect(),
                Err(_) => Vec::new(),
            },
        };
        let (what, wanted) = match template {
            TemplateRef::Name(name) => (format!("template '{name}'"), Some(name.as_str())),
            TemplateRef::Id(id) => (format!("template id '{id}'"), None),
        };
        let suggestions = wanted
            .map(|w| closest_names(w, &available))
            .unwrap_or_default();
        let mut sentence = format!("No {what} exists for this account.");
        if let Some(best) = suggestions.first() {
            sentence.push_str(&format!(" Did you mean '{best}'?"));
        }
        let mut details = match error.details() {
            Some(serde_json::Value::Object(map)) => map.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(name) = wanted {
            details.insert("template_name".into(), name.into());
        }
        details.insert("available_templates".into(), available.clone().into());
        details.insert("suggestions".into(), suggestions.clone().into());
        details.insert(
            "suggested_template".into(),
            suggestions.first().cloned().into(),
        );
        error
            .with_code(ErrorCode::TemplateNotFound)
            .append_message(&sentence)
            .with_details(Some(serde_json::Value::Object(details)))
            .with_hint("Sandbox.list_templates() (listTemplates() in JavaScript) lists the templates you can use.")
    }

    // --- sandboxes -------------------------------------------------------------------------

    /// Creates a sandbox (`POST /v1/sandboxes`). The request is never sent twice unless the
    /// server said it did not process it (429, 503, connection refused).
    pub async fn create_sandbox(&self, options: &CreateSandboxOptions) -> Result<Sandbox> {
        let body = options.to_body()?;
        let request = ApiRequest::new(Method::POST, "/v1/sandboxes", "a sandbox")
            .json(body)
            .if_unsure("list your sandboxes (Sandbox.list, or `hopx sandbox list`) to see whether it was created");
        let response: SandboxWithToken = match self.send(request).await {
            Ok(response) => response,
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(self.template_not_found(e, &options.template_ref()?).await);
            }
            Err(e) => return Err(e),
        };
        Sandbox::from_create_response(self.clone(), response)
    }

    /// A handle on an existing sandbox, by id, without any request (the `Sandbox(id)`
    /// constructor of the official Python SDK). Its info holds only the id until
    /// [`Sandbox::get_info`] is called.
    pub fn sandbox(&self, sandbox_id: &str) -> Result<Sandbox> {
        let id = path_segment("sandbox id", sandbox_id)?;
        Ok(Sandbox::attach(self.clone(), id.to_owned()))
    }

    /// Attaches to an existing sandbox: fetches its info, resumes it if it is paused (as the
    /// official SDK does) and gets a fresh agent token. A stopped sandbox is an error that
    /// says how to start it. Leaving a `with` block does not kill a connected sandbox.
    pub async fn connect_sandbox(&self, sandbox_id: &str) -> Result<Sandbox> {
        let sandbox = self.sandbox(sandbox_id)?;
        let info = sandbox.get_info().await?;
        match info.status.as_deref() {
            Some("paused") => match sandbox.resume().await {
                // Resumed by someone else in between: it is running, which is what we want.
                Err(e) if e.code() == ErrorCode::Conflict => {}
                other => other?,
            },
            Some("stopped") => {
                let id = sandbox.id();
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("Sandbox '{id}' is stopped, so it cannot be connected to."),
                )
                .with_hint(format!(
                    "Start it again with POST /v1/sandboxes/{id}/start (its disk is kept), or create a new one with Sandbox.create()."
                )));
            }
            _ => {}
        }
        sandbox.refresh_token().await?;
        if info.status.as_deref() == Some("paused") {
            sandbox.get_info().await?;
        }
        Ok(sandbox)
    }

    /// Fetches a sandbox's current state (`GET /v1/sandboxes/{id}`).
    pub async fn get_sandbox_info(&self, sandbox_id: &str) -> Result<SandboxInfo> {
        let path = format!("/v1/sandboxes/{}", path_segment("sandbox id", sandbox_id)?);
        let info: SandboxInfo = self
            .send(ApiRequest::new(Method::GET, path, "a sandbox"))
            .await?;
        Ok(info.with_fallbacks())
    }

    /// One page of sandboxes (`GET /v1/sandboxes`), as handles that already carry the info
    /// from the list (no request per sandbox). [`Client::iter_sandboxes`] goes through all.
    pub async fn list_sandboxes(&self, options: &ListSandboxesOptions) -> Result<Vec<Sandbox>> {
        options.validate()?;
        let page = self.list_sandbox_page(options, None).await?;
        page.data
            .into_iter()
            .map(|info| Sandbox::from_info(self.clone(), info))
            .collect()
    }

    /// Every sandbox matching the filters, fetched page by page as the pager is advanced.
    pub fn iter_sandboxes(&self, options: ListSandboxesOptions) -> Result<SandboxPager> {
        SandboxPager::new(self.clone(), options)
    }

    pub(crate) async fn list_sandbox_page(
        &self,
        options: &ListSandboxesOptions,
        cursor: Option<&str>,
    ) -> Result<SandboxPage> {
        let limit = options.page_size().to_string();
        let request = ApiRequest::new(Method::GET, "/v1/sandboxes", "a sandbox list")
            .query("limit", Some(&limit))
            .query("status", options.status.as_deref())
            .query("region", options.region.as_deref())
            .query("cursor", cursor);
        self.send(request).await
    }

    /// Deletes a sandbox (`DELETE /v1/sandboxes/{id}`).
    pub async fn kill_sandbox(&self, sandbox_id: &str) -> Result<()> {
        let request = self.sandbox_request(Method::DELETE, sandbox_id, "")?;
        let _: Option<IgnoredAny> = self.send(request).await?;
        Ok(())
    }

    /// Pauses a running sandbox (`POST /v1/sandboxes/{id}/pause`). Returns the sandbox when
    /// the server answers with it.
    pub async fn pause_sandbox(&self, sandbox_id: &str) -> Result<Option<SandboxInfo>> {
        let request = self.sandbox_request(Method::POST, sandbox_id, "/pause")?;
        self.send(request).await
    }

    /// Resumes a paused sandbox (`POST /v1/sandboxes/{id}/resume`).
    pub async fn resume_sandbox(&self, sandbox_id: &str) -> Result<Option<SandboxInfo>> {
        let request = self.sandbox_request(Method::POST, sandbox_id, "/resume")?;
        self.send(request).await
    }

    /// Sets a sandbox's lifetime to `seconds` from now (`PUT /v1/sandboxes/{id}/timeout`).
    pub async fn set_sandbox_timeout(
        &self,
        sandbox_id: &str,
        seconds: i64,
    ) -> Result<Option<SandboxInfo>> {
        if seconds <= 0 {
            return Err(Error::invalid_argument(format!(
                "The timeout is {seconds} seconds, but a sandbox lifetime must be a positive number of seconds."
            ))
            .with_hint("Pass e.g. 3600 to keep the sandbox for another hour."));
        }
        let request = self
            .sandbox_request(Method::PUT, sandbox_id, "/timeout")?
            .json(serde_json::json!({ "timeout_seconds": seconds }));
        self.send(request).await
    }

    pub(crate) async fn refresh_sandbox_token(&self, sandbox_id: &str) -> Result<AgentToken> {
        let request = self.sandbox_request(Method::POST, sandbox_id, "/token/refresh")?;
        let response: SandboxWithToken = self.send(request).await?;
        let value = response
            .auth_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Decode,
                    "The server's answer to POST /v1/sandboxes/{id}/token/refresh has no auth_token.",
                )
            })?;
        Ok(AgentToken {
            value,
            expires_at: response.token_expires_at,
        })
    }

    fn sandbox_request(
        &self,
        method: Method,
        sandbox_id: &str,
        action: &str,
    ) -> Result<ApiRequest<'static>> {
        let id = path_segment("sandbox id", sandbox_id)?;
        Ok(ApiRequest::new(
            method,
            format!("/v1/sandboxes/{id}{action}"),
            "a sandbox",
        ))
    }
}

/// The default request timeout of [`health_check`], as in the official SDK.
pub const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks the API whether it is up (`GET /health`). Needs no API key: only the base URL is
/// resolved (argument, `HOPX_BASE_URL`, config file, default). Returns the server's JSON.
pub async fn health_check(
    options: &ClientOptions,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    health_check_with_environment(options, &SystemEnvironment).await
}

/// Like [`health_check`], reading the environment through `env` (for tests).
pub async fn health_check_with_environment(
    options: &ClientOptions,
    env: &dyn Environment,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let (base_url, _) = resolve_base_url(options, env)?;
    let user_agent = options
        .user_agent
        .clone()
        .unwrap_or_else(crate::config::default_user_agent);
    let settings = CallSettings::resolve(options, env, HEALTH_CHECK_TIMEOUT)?;
    let http = HttpClient::keyless(
        &base_url,
        &KeylessSettings {
            user_agent: &user_agent,
            request_timeout: settings.request_timeout,
            deadline: settings.deadline,
            retry: settings.retry,
            transport: &settings.transport,
        },
    )?;
    http.send(ApiRequest::new(Method::GET, "/health", "a health status"))
        .await
}

/// An id or name as one URL path segment. Ids are opaque, but one that would change the path
/// (`/`, `..`, `?`) is refused rather than sent somewhere else.
fn path_segment<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    let id = id.trim();
    if id.is_empty()
        || id == "."
        || id == ".."
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        let shown: String = id.chars().take(100).collect();
        return Err(Error::invalid_argument(format!(
            "{shown:?} is not a valid {what}: it may contain only letters, digits, '-', '_' and '.'."
        )));
    }
    if id.contains(crate::key::KEY_PREFIX) {
        return Err(Error::invalid_argument(format!(
            "The {what} looks like an API key; it would be sent in the URL."
        ))
        .with_hint(
            "Pass the key as api_key (apiKey in JavaScript), and the sandbox or template here.",
        ));
    }
    Ok(id)
}
