//! The parameters of `POST /v1/sandboxes`, checked before anything is sent.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};

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
    fn debug_never_shows_env_values() {
        let options = CreateSandboxOptions {
            env_vars: Some([("TOKEN".to_owned(), "supersecret".to_owned())].into()),
            ..CreateSandboxOptions::template("x")
        };
        assert!(!format!("{options:?}").contains("supersecret"));
    }
}
