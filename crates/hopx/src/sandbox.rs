//! Sandboxes: creating them and reading their state.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::lenient;

/// CPU, memory and disk of a running sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Resources {
    /// Virtual CPUs.
    #[serde(default, deserialize_with = "lenient::int")]
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    #[serde(default, deserialize_with = "lenient::int")]
    pub memory_mb: Option<i64>,
    /// Disk in MiB.
    #[serde(default, deserialize_with = "lenient::int")]
    pub disk_mb: Option<i64>,
}

/// What the control plane says about a sandbox. The agent token the API returns alongside is
/// deliberately not part of it: it stays inside [`Sandbox`], so printing an info never shows it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SandboxInfo {
    /// The sandbox id.
    #[serde(rename = "id", default, deserialize_with = "lenient::string")]
    pub sandbox_id: Option<String>,
    /// The template id (a string).
    #[serde(default, deserialize_with = "lenient::string")]
    pub template_id: Option<String>,
    /// The template name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub template_name: Option<String>,
    /// The owning organization.
    #[serde(default, deserialize_with = "lenient::int")]
    pub organization_id: Option<i64>,
    /// The node it runs on.
    #[serde(default, deserialize_with = "lenient::string")]
    pub node_id: Option<String>,
    /// The region it runs in.
    #[serde(default, deserialize_with = "lenient::string")]
    pub region: Option<String>,
    /// `running`, `paused`, `stopped` or `creating`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// The base URL of the sandbox's agent; `direct_url` when the server sends no
    /// `public_host` (as the official SDKs do).
    #[serde(default, deserialize_with = "lenient::string")]
    pub public_host: Option<String>,
    /// A direct URL to the sandbox.
    #[serde(default, deserialize_with = "lenient::string")]
    pub direct_url: Option<String>,
    /// A preview URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub preview_url: Option<String>,
    /// Its resources.
    #[serde(default, deserialize_with = "lenient::object")]
    pub resources: Option<Resources>,
    /// Whether it can reach the internet.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub internet_access: Option<bool>,
    /// Production (`true`) or test mode.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub live_mode: Option<bool>,
    /// Its lifetime in seconds; `None` when it never expires.
    #[serde(default, deserialize_with = "lenient::int")]
    pub timeout_seconds: Option<i64>,
    /// When it will be killed; `None` when it never expires.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub created_at: Option<DateTime<Utc>>,
}

impl SandboxInfo {
    /// Fills what the official SDKs derive from other fields.
    pub(crate) fn with_fallbacks(mut self) -> Self {
        if self.public_host.as_deref().is_none_or(str::is_empty) {
            self.public_host = self.direct_url.clone();
        }
        self
    }
}

/// The response to create (and later token refresh): the info plus the agent token.
#[derive(Deserialize)]
pub(crate) struct SandboxWithToken {
    #[serde(flatten)]
    pub info: SandboxInfo,
    #[serde(default, deserialize_with = "lenient::string")]
    pub auth_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::timestamp")]
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// The JWT that authorizes calls to the sandbox's agent. It never prints.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AgentToken {
    pub value: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentToken")
            .field("value", &"****")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Which template to create a sandbox from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRef {
    /// By name, e.g. `code-interpreter`.
    Name(String),
    /// By id (ids are strings on the wire even when numeric).
    Id(String),
}

/// Parameters of `POST /v1/sandboxes`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CreateSandboxOptions {
    /// Template name. One of `template` and `template_id` is required; when both are given,
    /// `template_id` wins, as in the official SDKs.
    pub template: Option<String>,
    /// Template id.
    pub template_id: Option<String>,
    /// Region, e.g. `us-east`.
    pub region: Option<String>,
    /// The sandbox's lifetime in seconds: it is killed after this. Not the request timeout.
    pub timeout_seconds: Option<i64>,
    /// Whether it may reach the internet (server default: true).
    pub internet_access: Option<bool>,
    /// Environment variables set in the sandbox. Their values are never logged or printed.
    pub env_vars: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for CreateSandboxOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSandboxOptions")
            .field("template", &self.template)
            .field("template_id", &self.template_id)
            .field("region", &self.region)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("internet_access", &self.internet_access)
            .field(
                "env_vars",
                &self
                    .env_vars
                    .as_ref()
                    .map(|vars| vars.keys().collect::<Vec<_>>()),
            )
            .finish()
    }
}

impl CreateSandboxOptions {
    /// Options for a template name.
    pub fn template(name: impl Into<String>) -> Self {
        CreateSandboxOptions {
            template: Some(name.into()),
            ..Default::default()
        }
    }

    /// Checks the options and names the template; nothing is sent when this fails.
    pub fn template_ref(&self) -> Result<TemplateRef> {
        if let Some(id) = &self.template_id {
            let id = id.trim();
            if id.is_empty() {
                return Err(
                    Error::invalid_argument("template_id (templateId) is empty.").with_hint(
                        "Pass a template id such as \"1\", or a template name with template=...",
                    ),
                );
            }
            return Ok(TemplateRef::Id(id.to_owned()));
        }
        match &self.template {
            Some(name) if !name.trim().is_empty() => Ok(TemplateRef::Name(name.trim().to_owned())),
            Some(_) => Err(Error::invalid_argument("template is empty.")
                .with_hint("Pass a template name such as \"code-interpreter\"; list_templates() (listTemplates() in JavaScript) lists them.")),
            None => Err(Error::invalid_argument(
                "Either a template name (template) or a template id (template_id / templateId) must be provided.",
            )
            .with_hint("For example template=\"code-interpreter\"; list_templates() (listTemplates() in JavaScript) lists the others.")),
        }
    }

    pub(crate) fn to_body(&self) -> Result<serde_json::Value> {
        let mut body = serde_json::Map::new();
        match self.template_ref()? {
            TemplateRef::Id(id) => body.insert("template_id".into(), id.into()),
            TemplateRef::Name(name) => body.insert("template_name".into(), name.into()),
        };
        if let Some(region) = &self.region {
            body.insert("region".into(), region.clone().into());
        }
        if let Some(seconds) = self.timeout_seconds {
            if seconds <= 0 {
                return Err(Error::invalid_argument(format!(
                    "timeout_seconds (timeoutSeconds) is {seconds}, but a sandbox lifetime must be a positive number of seconds."
                ))
                .with_hint("Leave it out for the server's default, or pass e.g. 3600 for an hour."));
            }
            body.insert("timeout_seconds".into(), seconds.into());
        }
        if let Some(internet) = self.internet_access {
            body.insert("internet_access".into(), internet.into());
        }
        if let Some(vars) = &self.env_vars {
            for name in vars.keys() {
                if name.is_empty() || name.contains('=') || name.contains('\0') {
                    return Err(Error::invalid_argument(format!(
                        "env_vars has an invalid variable name {name:?}: names must be non-empty and contain no '=' or NUL."
                    )));
                }
            }
            body.insert(
                "env_vars".into(),
                serde_json::to_value(vars).unwrap_or_default(),
            );
        }
        Ok(serde_json::Value::Object(body))
    }
}

/// A sandbox: its id, what the control plane last said about it, and the client to act on it.
#[derive(Clone)]
pub struct Sandbox {
    client: Client,
    info: SandboxInfo,
    id: String,
    #[allow(dead_code)] // Used by the agent (data plane) calls.
    token: Option<AgentToken>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("status", &self.info.status)
            .field("template", &self.info.template_name)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub(crate) fn from_response(client: Client, response: SandboxWithToken) -> Result<Sandbox> {
        let id = response
            .info
            .sandbox_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                Error::new(
                    crate::ErrorCode::Decode,
                    "The server's answer to POST /v1/sandboxes has no sandbox id.",
                )
            })?;
        let token = response.auth_token.map(|value| AgentToken {
            value,
            expires_at: response.token_expires_at,
        });
        Ok(Sandbox {
            client,
            info: response.info.with_fallbacks(),
            id,
            token,
        })
    }

    /// Creates a sandbox (one `POST /v1/sandboxes`; never sent twice).
    pub async fn create(client: &Client, options: &CreateSandboxOptions) -> Result<Sandbox> {
        client.create_sandbox(options).await
    }

    /// The sandbox id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the control plane said when this handle was made (no request).
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    /// The client this sandbox uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Fetches the current state (`GET /v1/sandboxes/{id}`).
    pub async fn get_info(&self) -> Result<SandboxInfo> {
        self.client.get_sandbox_info(&self.id).await
    }

    /// When the agent token expires, if the server said.
    pub fn token_expires_at(&self) -> Option<DateTime<Utc>> {
        self.token.as_ref().and_then(|t| t.expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shapes() {
        let options = CreateSandboxOptions {
            template: Some("code-interpreter".into()),
            region: Some("us-east".into()),
            timeout_seconds: Some(600),
            internet_access: Some(false),
            env_vars: Some([("A".to_owned(), "1".to_owned())].into()),
            ..Default::default()
        };
        assert_eq!(
            options.to_body().unwrap(),
            serde_json::json!({"template_name": "code-interpreter", "region": "us-east",
                "timeout_seconds": 600, "internet_access": false, "env_vars": {"A": "1"}})
        );
        let by_id = CreateSandboxOptions {
            template: Some("ignored".into()),
            template_id: Some("73".into()),
            ..Default::default()
        };
        assert_eq!(
            by_id.to_body().unwrap(),
            serde_json::json!({"template_id": "73"})
        );
    }

    #[test]
    fn bad_options_fail_before_sending() {
        use crate::ErrorCode::InvalidArgument;
        assert_eq!(
            CreateSandboxOptions::default()
                .to_body()
                .unwrap_err()
                .code(),
            InvalidArgument
        );
        assert_eq!(
            CreateSandboxOptions::template(" ")
                .to_body()
                .unwrap_err()
                .code(),
            InvalidArgument
        );
        let negative = CreateSandboxOptions {
            timeout_seconds: Some(-1),
            ..CreateSandboxOptions::template("x")
        };
        assert_eq!(negative.to_body().unwrap_err().code(), InvalidArgument);
        let bad_env = CreateSandboxOptions {
            env_vars: Some([("A=B".to_owned(), "v".to_owned())].into()),
            ..CreateSandboxOptions::template("x")
        };
        assert_eq!(bad_env.to_body().unwrap_err().code(), InvalidArgument);
    }

    #[test]
    fn debug_never_shows_env_values_or_tokens() {
        let options = CreateSandboxOptions {
            env_vars: Some([("TOKEN".to_owned(), "supersecret".to_owned())].into()),
            ..CreateSandboxOptions::template("x")
        };
        assert!(!format!("{options:?}").contains("supersecret"));
        let token = AgentToken {
            value: "eyJsecret".into(),
            expires_at: None,
        };
        assert!(!format!("{token:?}").contains("eyJsecret"));
    }

    #[test]
    fn info_reads_spec_shape() {
        let response: SandboxWithToken = serde_json::from_str(
            r#"{"id":"sbx1","object":"sandbox","status":"running","template_id":7,
                "organization_id":"12","resources":{"vcpu":2,"memory_mb":2048,"disk_mb":10240},
                "expires_at":"2026-11-27T10:00:00.123456789Z","created_at":"not a date",
                "auth_token":"jwt","token_expires_at":"2026-11-27T11:00:00+00:00"}"#,
        )
        .unwrap();
        assert_eq!(response.info.sandbox_id.as_deref(), Some("sbx1"));
        assert_eq!(response.info.template_id.as_deref(), Some("7"));
        assert_eq!(response.info.organization_id, Some(12));
        assert_eq!(
            response.info.resources.as_ref().unwrap().disk_mb,
            Some(10240)
        );
        assert!(response.info.expires_at.is_some());
        assert_eq!(response.info.created_at, None);
        assert_eq!(response.auth_token.as_deref(), Some("jwt"));
        let info: SandboxInfo =
            serde_json::from_str(r#"{"id":"a","direct_url":"https://d"}"#).unwrap();
        assert_eq!(
            info.with_fallbacks().public_host.as_deref(),
            Some("https://d")
        );
    }
}
