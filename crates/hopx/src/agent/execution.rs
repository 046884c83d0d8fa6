//! Running code: `POST /execute`, background executions and their processes.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{check_env_names, execution_deadline, positive_seconds};
use crate::error::{Error, Result};
use crate::http::ApiRequest;
use crate::lenient;
use crate::sandbox::Sandbox;

/// `run_code`'s default language.
pub const DEFAULT_LANGUAGE: &str = "python";
/// `run_code`'s default execution timeout (the official SDKs' 120 s).
pub const DEFAULT_EXECUTION_TIMEOUT: Duration = Duration::from_secs(120);
/// A background execution's default timeout (the official SDKs' 300 s).
pub const DEFAULT_BACKGROUND_TIMEOUT: Duration = Duration::from_secs(300);
/// Where code and commands run unless told otherwise.
pub const DEFAULT_WORKING_DIR: &str = "/workspace";

/// How to run a piece of code.
#[derive(Clone, PartialEq, Eq)]
pub struct RunCodeOptions {
    /// `python`, `javascript` (or `node`), `bash`, ... (default `python`).
    pub language: String,
    /// The execution timeout: the code is killed after this (default 120 s). The HTTP request
    /// is allowed 30 s more, so the answer that says it timed out still arrives.
    pub timeout: Duration,
    /// Extra environment variables for this run only. Values are never printed.
    pub env: Option<BTreeMap<String, String>>,
    /// The working directory (default `/workspace`).
    pub working_dir: String,
}

impl Default for RunCodeOptions {
    fn default() -> Self {
        RunCodeOptions {
            language: DEFAULT_LANGUAGE.to_owned(),
            timeout: DEFAULT_EXECUTION_TIMEOUT,
            env: None,
            working_dir: DEFAULT_WORKING_DIR.to_owned(),
        }
    }
}

impl std::fmt::Debug for RunCodeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunCodeOptions")
            .field("language", &self.language)
            .field("timeout", &self.timeout)
            .field(
                "env",
                &self.env.as_ref().map(|e| e.keys().collect::<Vec<_>>()),
            )
            .field("working_dir", &self.working_dir)
            .finish()
    }
}

/// How to start code in the background.
#[derive(Clone, PartialEq, Eq)]
pub struct BackgroundOptions {
    /// As for [`RunCodeOptions::language`].
    pub language: String,
    /// Killed after this (default 300 s).
    pub timeout: Duration,
    /// Extra environment variables. Values are never printed.
    pub env: Option<BTreeMap<String, String>>,
    /// A name to find it by in [`Sandbox::list_processes`].
    pub name: Option<String>,
}

impl Default for BackgroundOptions {
    fn default() -> Self {
        BackgroundOptions {
            language: DEFAULT_LANGUAGE.to_owned(),
            timeout: DEFAULT_BACKGROUND_TIMEOUT,
            env: None,
            name: None,
        }
    }
}

impl std::fmt::Debug for BackgroundOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundOptions")
            .field("language", &self.language)
            .field("timeout", &self.timeout)
            .field(
                "env",
                &self.env.as_ref().map(|e| e.keys().collect::<Vec<_>>()),
            )
            .field("name", &self.name)
            .finish()
    }
}

/// One rich output of an execution (a plot, an HTML table, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct RichOutput {
    /// Its MIME type: `image/png`, `image/svg+xml`, `text/html`, `text/markdown`,
    /// `application/json`, `application/vnd.dataframe+json` or `text/plain`.
    pub mime_type: String,
    /// The content as sent: base64 text for PNG, text for the others, JSON for JSON.
    pub data: Value,
}

/// What `POST /execute` answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionResult {
    /// What the code printed.
    pub stdout: String,
    /// What it printed to stderr.
    pub stderr: String,
    /// Its exit code (0 on success).
    pub exit_code: i64,
    /// Seconds it ran, as the agent measured.
    pub execution_time: Option<f64>,
    /// Whether it succeeded. An exception in the code is `false` here, not an error.
    pub success: bool,
    /// The language it ran as.
    pub language: Option<String>,
    /// When it ran (as sent).
    pub timestamp: Option<String>,
    /// Every rich output, in the order PNG, SVG, HTML, Markdown, JSON, dataframe, result.
    pub rich_outputs: Vec<RichOutput>,
}

/// The body as the agent sends it; every field optional (agents differ).
#[derive(Deserialize)]
struct RawExecution {
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
    language: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    timestamp: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// Top-level keys that carry rich output, and their MIME types.
const RICH_KEYS: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("svg", "image/svg+xml"),
    ("html", "text/html"),
    ("markdown", "text/markdown"),
    ("json", "application/json"),
    ("dataframe", "application/vnd.dataframe+json"),
    ("result", "text/plain"),
];

impl From<RawExecution> for ExecutionResult {
    fn from(raw: RawExecution) -> Self {
        let stdout = raw.stdout.unwrap_or_default();
        // Agents omit one or the other: a missing exit code follows success and vice versa.
        let success = raw.success.unwrap_or(raw.exit_code.is_none_or(|c| c == 0));
        let exit_code = raw.exit_code.unwrap_or(if success { 0 } else { 1 });
        let rich_outputs = RICH_KEYS
            .iter()
            .filter_map(|(key, mime)| {
                let data = raw.rest.get(*key).filter(|v| !v.is_null())?;
                // `result` repeats stdout in most agents; only a different value is output.
                if *key == "result" && data.as_str().is_some_and(|r| r.trim() == stdout.trim()) {
                    return None;
                }
                Some(RichOutput {
                    mime_type: (*mime).to_owned(),
                    data: data.clone(),
                })
            })
            .collect();
        ExecutionResult {
            stdout,
            stderr: raw.stderr.unwrap_or_default(),
            exit_code,
            execution_time: raw.execution_time,
            success,
            language: raw.language,
            timestamp: raw.timestamp,
            rich_outputs,
        }
    }
}

/// A background execution just started.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BackgroundExecution {
    /// The id to list or kill it by.
    #[serde(deserialize_with = "lenient::required_string")]
    pub process_id: String,
    /// The execution id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub execution_id: Option<String>,
    /// `running`, usually.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// Its name, if one was given.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// When it started (as sent).
    #[serde(default, deserialize_with = "lenient::string")]
    pub start_time: Option<String>,
}

/// A background execution, from `GET /execute/processes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProcessInfo {
    /// The id to kill it by.
    #[serde(default, deserialize_with = "lenient::string")]
    pub process_id: Option<String>,
    /// The execution id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub execution_id: Option<String>,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// `running`, `completed`, `failed` or `killed`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// Its language.
    #[serde(default, deserialize_with = "lenient::string")]
    pub language: Option<String>,
    /// When it started (as sent).
    #[serde(default, deserialize_with = "lenient::string")]
    pub start_time: Option<String>,
    /// When it ended (as sent).
    #[serde(default, deserialize_with = "lenient::string")]
    pub end_time: Option<String>,
    /// Its exit code, once ended.
    #[serde(default, deserialize_with = "lenient::int")]
    pub exit_code: Option<i64>,
    /// Seconds it ran.
    #[serde(default, deserialize_with = "lenient::float")]
    pub duration: Option<f64>,
    /// Its process id inside the sandbox.
    #[serde(default, deserialize_with = "lenient::int")]
    pub pid: Option<i64>,
}

#[derive(Deserialize)]
struct ProcessList {
    #[serde(deserialize_with = "lenient::list")]
    processes: Vec<ProcessInfo>,
}

fn check_language(language: &str) -> Result<()> {
    if language.trim().is_empty() {
        return Err(Error::invalid_argument(
            "language is empty; use \"python\", \"javascript\" or \"bash\".",
        ));
    }
    Ok(())
}

/// Whole seconds for the agent, rounded up so a 0.5 s timeout is not sent as 0.
fn whole_seconds(timeout: Duration) -> u64 {
    timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0)
}

impl Sandbox {
    /// Runs code and waits for it (`POST /execute`). Never retried once it may have started:
    /// a failure after sending says so instead of running the code twice.
    pub async fn run_code(&self, code: &str, options: &RunCodeOptions) -> Result<ExecutionResult> {
        check_language(&options.language)?;
        let timeout = positive_seconds("timeout", options.timeout)?;
        let mut body = serde_json::json!({
            "code": code,
            "language": options.language,
            "timeout": whole_seconds(timeout),
            "workdir": options.working_dir,
        });
        if let Some(env) = &options.env {
            check_env_names(env.keys())?;
            body["env"] = serde_json::to_value(env).unwrap_or_default();
        }
        let request = ApiRequest::new(Method::POST, "/execute", "an execution result")
            .json(body)
            .if_unsure("the code may have run: check its effects in the sandbox")
            .min_timeout(execution_deadline(timeout));
        let raw: RawExecution = self.agent_json(request).await?;
        Ok(raw.into())
    }

    /// Starts code in the background (`POST /execute/background`) and returns at once.
    pub async fn run_code_background(
        &self,
        code: &str,
        options: &BackgroundOptions,
    ) -> Result<BackgroundExecution> {
        check_language(&options.language)?;
        let timeout = positive_seconds("timeout", options.timeout)?;
        let mut body = serde_json::json!({
            "code": code,
            "language": options.language,
            "timeout": whole_seconds(timeout),
        });
        if let Some(env) = &options.env {
            check_env_names(env.keys())?;
            body["env"] = serde_json::to_value(env).unwrap_or_default();
        }
        if let Some(name) = &options.name {
            body["name"] = Value::String(name.clone());
        }
        let request = ApiRequest::new(
            Method::POST,
            "/execute/background",
            "a background execution",
        )
        .json(body);
        self.agent_json(request).await
    }

    /// The background executions (`GET /execute/processes`).
    pub async fn list_processes(&self) -> Result<Vec<ProcessInfo>> {
        let request = ApiRequest::new(Method::GET, "/execute/processes", "a process list");
        let list: ProcessList = self.agent_json(request).await?;
        Ok(list.processes)
    }

    /// Kills a background execution (`DELETE /execute/kill?process_id=`).
    pub async fn kill_process(&self, process_id: &str) -> Result<()> {
        if process_id.trim().is_empty() {
            return Err(Error::invalid_argument(
                "process_id is empty; list_processes() gives the ids.",
            ));
        }
        let request = ApiRequest::new(Method::DELETE, "/execute/kill", "a kill result")
            .query("process_id", Some(process_id));
        let _: Option<serde::de::IgnoredAny> = self.agent_json(request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ExecutionResult {
        serde_json::from_str::<RawExecution>(json).unwrap().into()
    }

    #[test]
    fn results_and_rich_outputs() {
        let r = parse(
            r#"{"stdout":"2\n","stderr":"","exit_code":0,"execution_time":0.01,"success":true,
                "png":"iVBOR","html":null,"json":{"a":1},"result":"2","svg":"<svg/>"}"#,
        );
        assert!(r.success);
        assert_eq!(r.stdout, "2\n");
        let kinds: Vec<&str> = r
            .rich_outputs
            .iter()
            .map(|o| o.mime_type.as_str())
            .collect();
        assert_eq!(kinds, ["image/png", "image/svg+xml", "application/json"]);
        assert_eq!(r.rich_outputs[2].data, serde_json::json!({"a": 1}));

        let failed = parse(r#"{"stderr":"Traceback","success":false}"#);
        assert!(!failed.success);
        assert_eq!(failed.exit_code, 1);
        let crashed = parse(r#"{"exit_code":3}"#);
        assert!(!crashed.success);
        let other_result = parse(r#"{"stdout":"","result":"42"}"#);
        assert_eq!(other_result.rich_outputs[0].mime_type, "text/plain");
    }

    #[test]
    fn timeouts_round_up() {
        assert_eq!(whole_seconds(Duration::from_millis(500)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(120)), 120);
    }

    #[test]
    fn debug_hides_env_values() {
        let options = RunCodeOptions {
            env: Some([("TOKEN".to_owned(), "s3cret".to_owned())].into()),
            ..Default::default()
        };
        assert!(!format!("{options:?}").contains("s3cret"));
    }
}
