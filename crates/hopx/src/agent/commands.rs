//! Shell commands: `POST /commands/run` and `/commands/background`, sent as `bash -c` like the
//! official SDKs (so pipes, globs and `&&` work).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use super::execution::DEFAULT_WORKING_DIR;
use super::{check_env_names, execution_deadline, positive_seconds};
use crate::error::{Error, Result};
use crate::http::ApiRequest;
use crate::lenient;
use crate::sandbox::Sandbox;

/// A command's default timeout (120 s in every language; the official JS used 30 s).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How to run a command.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandOptions {
    /// Killed after this (default 120 s); the HTTP request gets 30 s more.
    pub timeout: Duration,
    /// Extra environment variables for this command. Values are never printed.
    pub env: Option<BTreeMap<String, String>>,
    /// The working directory (default `/workspace`).
    pub working_dir: String,
}

impl Default for CommandOptions {
    fn default() -> Self {
        CommandOptions {
            timeout: DEFAULT_COMMAND_TIMEOUT,
            env: None,
            working_dir: DEFAULT_WORKING_DIR.to_owned(),
        }
    }
}

impl std::fmt::Debug for CommandOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandOptions")
            .field("timeout", &self.timeout)
            .field(
                "env",
                &self.env.as_ref().map(|e| e.keys().collect::<Vec<_>>()),
            )
            .field("working_dir", &self.working_dir)
            .finish()
    }
}

/// What a command did. For a background command, `process_id` is set and the output is
/// empty (it is still running).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    /// What it printed.
    pub stdout: String,
    /// What it printed to stderr.
    pub stderr: String,
    /// Its exit code (0 for a background command that started).
    pub exit_code: i64,
    /// Seconds it ran.
    pub execution_time: Option<f64>,
    /// Whether it exited with 0.
    pub success: bool,
    /// The command line as the agent reports it.
    pub command: Option<String>,
    /// Its process id inside the sandbox.
    pub pid: Option<i64>,
    /// For a background command: the id to list or kill it by.
    pub process_id: Option<String>,
}

#[derive(Deserialize)]
struct RawCommand {
    #[serde(default, deserialize_with = "lenient::string")]
    stdout: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    stderr: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    exit_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::float")]
    execution_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    command: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pid: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_id: Option<String>,
}

impl From<RawCommand> for CommandResult {
    fn from(raw: RawCommand) -> Self {
        let success = raw.success.unwrap_or(raw.exit_code.is_none_or(|c| c == 0));
        CommandResult {
            stdout: raw.stdout.unwrap_or_default(),
            stderr: raw.stderr.unwrap_or_default(),
            exit_code: raw.exit_code.unwrap_or(if success { 0 } else { 1 }),
            execution_time: raw.execution_time,
            success,
            command: raw.command,
            pid: raw.pid,
            process_id: raw.process_id,
        }
    }
}

fn command_body(command: &str, options: &CommandOptions) -> Result<serde_json::Value> {
    if command.trim().is_empty() {
        return Err(Error::invalid_argument(
            "The command is empty; pass a shell command such as \"ls -la\".",
        ));
    }
    let timeout = positive_seconds("timeout", options.timeout)?;
    let mut body = serde_json::json!({
        "command": "bash",
        "args": ["-c", command],
        "timeout": timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0),
        "workdir": options.working_dir,
    });
    if let Some(env) = &options.env {
        check_env_names(env.keys())?;
        body["env"] = serde_json::to_value(env).unwrap_or_default();
    }
    Ok(body)
}

impl Sandbox {
    /// Runs a shell command and waits for it (`POST /commands/run`). Never retried once it
    /// may have started.
    pub async fn run_command(
        &self,
        command: &str,
        options: &CommandOptions,
    ) -> Result<CommandResult> {
        let body = command_body(command, options)?;
        let request = ApiRequest::new(Method::POST, "/commands/run", "a command result")
            .json(body)
            .if_unsure("the code may have run: check its effects in the sandbox")
            .min_timeout(execution_deadline(options.timeout));
        let raw: RawCommand = self.agent_json(request).await?;
        Ok(raw.into())
    }

    /// Starts a shell command in the background (`POST /commands/background`); the result's
    /// `process_id` names it.
    pub async fn run_command_background(
        &self,
        command: &str,
        options: &CommandOptions,
    ) -> Result<CommandResult> {
        let body = command_body(command, options)?;
        let request = ApiRequest::new(Method::POST, "/commands/background", "a background command")
            .json(body);
        let raw: RawCommand = self.agent_json(request).await?;
        if raw.process_id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::new(
                crate::ErrorCode::Decode,
                "The agent started the background command but gave no process_id.",
            ));
        }
        Ok(CommandResult {
            exit_code: 0,
            success: true,
            ..raw.into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_as_bash_minus_c() {
        let body = command_body("ls | wc -l", &CommandOptions::default()).unwrap();
        assert_eq!(body["command"], "bash");
        assert_eq!(body["args"], serde_json::json!(["-c", "ls | wc -l"]));
        assert_eq!(body["timeout"], 120);
        assert_eq!(body["workdir"], "/workspace");
        assert!(command_body(" ", &CommandOptions::default()).is_err());
    }
}
