//! The data plane: calls to a sandbox's agent (code, commands, files, environment).
//!
//! The agent lives inside the sandbox, next to untrusted code, so it only ever gets the
//! sandbox's own token (`Authorization: Bearer <jwt>`), never the API key. The token is
//! refreshed shortly before it expires, and once, shared by concurrent calls, when the agent
//! answers 401; a 401 means the call was not processed, so sending it again is safe.
//! Executions and command runs are never retried once they may have started (the retry policy
//! never replays a POST that may have been processed).

mod commands;
mod env;
mod execution;
mod files;

use std::time::Duration;

use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

pub use commands::{CommandOptions, CommandResult, DEFAULT_COMMAND_TIMEOUT};
pub use env::EnvVars;
pub use execution::{
    BackgroundExecution, BackgroundOptions, DEFAULT_BACKGROUND_TIMEOUT, DEFAULT_EXECUTION_TIMEOUT,
    DEFAULT_LANGUAGE, DEFAULT_WORKING_DIR, ExecutionResult, ProcessInfo, RichOutput,
    RunCodeOptions,
};
pub use files::{DEFAULT_FILE_MODE, FileInfo, Files};

use crate::error::{Error, ErrorCode, Result};
use crate::http::{ApiRequest, HttpClient, RawResponse};
use crate::sandbox::Sandbox;

/// A token this close to its expiry is refreshed before use rather than sent to fail.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How much longer than an execution's own timeout the HTTP request may take: the agent needs
/// time to kill the code and answer after the timeout fires.
const EXECUTION_HTTP_MARGIN: Duration = Duration::from_secs(30);

impl Sandbox {
    /// Sends a call to the agent and decodes its JSON answer.
    pub(crate) async fn agent_json<T: DeserializeOwned>(
        &self,
        request: ApiRequest<'_>,
    ) -> Result<T> {
        let raw = self.agent_raw(&request).await?;
        raw.json(&request)
    }

    /// Sends a call to the agent and returns its answer's bytes (a download).
    pub(crate) async fn agent_bytes(&self, request: ApiRequest<'_>) -> Result<Vec<u8>> {
        Ok(self.agent_raw(&request).await?.bytes)
    }

    async fn agent_raw(&self, request: &ApiRequest<'_>) -> Result<RawResponse> {
        let base_url = self.agent_base_url().await?;
        let http = HttpClient::agent(&base_url, self.client().config())?;
        let token = self.usable_token(TOKEN_REFRESH_MARGIN, None).await?;
        let first = request.clone().authorization(bearer(&token.value)?);
        match http.send_raw(&first).await {
            Err(e) if e.status() == Some(401) => {
                let renewed = self
                    .usable_token(TOKEN_REFRESH_MARGIN, Some(&token.value))
                    .await?;
                let second = request.clone().authorization(bearer(&renewed.value)?);
                http.send_raw(&second).await
            }
            other => other,
        }
    }
}

fn bearer(token: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::new(
            ErrorCode::Decode,
            "The sandbox token the server issued cannot be sent in an HTTP header.",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The least HTTP timeout for a call that runs something for up to `execution` seconds.
fn execution_deadline(execution: Duration) -> Duration {
    execution.saturating_add(EXECUTION_HTTP_MARGIN)
}

/// Checks a path argument: the agent resolves it inside the sandbox.
fn sandbox_path<'a>(what: &str, path: &'a str) -> Result<&'a str> {
    if path.trim().is_empty() {
        return Err(Error::invalid_argument(format!(
            "The {what} is empty; pass a path inside the sandbox such as /workspace/data.txt."
        )));
    }
    if path.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "The {what} contains a NUL character."
        )));
    }
    Ok(path)
}

/// Checks environment variable names (values may be anything, and are never printed).
fn check_env_names<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<()> {
    for name in names {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            let shown: String = name.chars().take(100).collect();
            return Err(Error::invalid_argument(format!(
                "{shown:?} is not a valid environment variable name: names must be non-empty and contain no '=' or NUL."
            )));
        }
    }
    Ok(())
}

/// A timeout given in seconds by a caller: positive and finite.
fn positive_seconds(name: &str, timeout: Duration) -> Result<Duration> {
    if timeout.is_zero() {
        return Err(Error::invalid_argument(format!(
            "{name} is 0, but it must be a positive number of seconds."
        )));
    }
    Ok(timeout)
}
