//! What the control plane says about a sandbox, and the agent token that comes with it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

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

impl AgentToken {
    /// Expires within `margin` from now (a token without an expiry never does).
    pub(crate) fn expires_within(&self, margin: std::time::Duration) -> bool {
        let margin = chrono::TimeDelta::from_std(margin).unwrap_or(chrono::TimeDelta::MAX);
        self.expires_at.is_some_and(|at| at - Utc::now() <= margin)
    }
}

impl fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentToken")
            .field("value", &"****")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_tokens() {
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
