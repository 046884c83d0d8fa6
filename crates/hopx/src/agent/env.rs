//! The sandbox's environment variables, with the agent's own verbs: `PUT` replaces, `PATCH`
//! merges, `DELETE` clears, and one variable is deleted with a merge of `null` (JSON merge
//! patch). Never read-modify-write: that races with other writers and, with an agent that
//! masks secret values on read, would write the masks back over the secrets.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::check_env_names;
use crate::error::Result;
use crate::http::ApiRequest;
use crate::sandbox::Sandbox;

/// The environment of one sandbox: `sandbox.env()`. Values are never logged or printed.
#[derive(Debug, Clone, Copy)]
pub struct EnvVars<'a> {
    sandbox: &'a Sandbox,
}

#[derive(Deserialize)]
struct EnvAnswer {
    #[serde(default)]
    env_vars: Option<BTreeMap<String, Value>>,
}

impl Sandbox {
    /// The sandbox's environment variables.
    pub fn env(&self) -> EnvVars<'_> {
        EnvVars { sandbox: self }
    }
}

impl EnvVars<'_> {
    /// Every variable (`GET /env`).
    pub async fn get_all(&self) -> Result<BTreeMap<String, String>> {
        let request = ApiRequest::new(Method::GET, "/env", "environment variables");
        let answer: EnvAnswer = self.sandbox.agent_json(request).await?;
        Ok(answer
            .env_vars
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::String(s) => Some((name, s)),
                Value::Null => None,
                other => Some((name, other.to_string())),
            })
            .collect())
    }

    /// One variable, or `None` when it is not set.
    pub async fn get(&self, name: &str) -> Result<Option<String>> {
        Ok(self.get_all().await?.remove(name))
    }

    /// Sets one variable, keeping the others (`PATCH /env`).
    pub async fn set(&self, name: &str, value: &str) -> Result<()> {
        self.update(&[(name.to_owned(), value.to_owned())].into())
            .await
    }

    /// Sets these variables, keeping the others (`PATCH /env`, merge).
    pub async fn update(&self, vars: &BTreeMap<String, String>) -> Result<()> {
        check_env_names(vars.keys())?;
        self.patch(serde_json::to_value(vars).unwrap_or_default())
            .await
    }

    /// Replaces every variable with these (`PUT /env`).
    pub async fn set_all(&self, vars: &BTreeMap<String, String>) -> Result<()> {
        check_env_names(vars.keys())?;
        let request = ApiRequest::new(Method::PUT, "/env", "environment variables")
            .json(serde_json::json!({ "env_vars": vars }));
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    /// Deletes one variable (`PATCH /env` with `null`), leaving the others untouched.
    pub async fn delete(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        check_env_names([&name])?;
        self.patch(serde_json::json!({ name: null })).await
    }

    /// Deletes every variable (`DELETE /env`).
    pub async fn clear(&self) -> Result<()> {
        let request = ApiRequest::new(Method::DELETE, "/env", "environment variables");
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    async fn patch(&self, vars: Value) -> Result<()> {
        let request = ApiRequest::new(Method::PATCH, "/env", "environment variables")
            .json(serde_json::json!({ "env_vars": vars, "merge": true }));
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }
}
