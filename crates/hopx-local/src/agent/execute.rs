//! `/execute`, `/execute/background`, `/execute/processes`, `/execute/kill` and
//! `/commands/run|background`.

use std::{collections::BTreeMap, collections::HashMap, time::Duration};

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::{AgentError, Sandbox, env_map, json_object, now, opt_string, required_string};
use crate::sandbox::{
    ExecRequest, ExecResult, Language, ProcessRecord, ProcessStatus, SandboxRuntime,
    fs::{self, SandboxPath},
};

/// Default timeout of `/execute` and `/commands/run` (the spec's "Default 30 seconds").
const DEFAULT_TIMEOUT: u64 = 30;
/// Default lifetime of a background execution.
const DEFAULT_BACKGROUND_TIMEOUT: u64 = 300;
/// Longest timeout accepted.
pub const MAX_TIMEOUT: u64 = 3600;

const EXECUTE_EXAMPLE: &str = r#"{"code": "print(1 + 1)", "language": "python"}"#;
const COMMAND_EXAMPLE: &str = r#"{"command": "bash", "args": ["-c", "ls -la"]}"#;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn timeout_field(fields: &Map<String, Value>, default: u64) -> Result<Duration, AgentError> {
    let Some(value) = fields.get("timeout") else {
        return Ok(Duration::from_secs(default));
    };
    let seconds = value
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= MAX_TIMEOUT as f64)
        .ok_or_else(|| {
            AgentError::invalid(
                "timeout",
                format!("timeout must be a number of seconds from 1 to {MAX_TIMEOUT}, e.g. 30."),
            )
        })?;
    Ok(Duration::from_secs_f64(seconds))
}

fn call_env(fields: &Map<String, Value>) -> Result<BTreeMap<String, String>, AgentError> {
    match fields.get("env") {
        None => Ok(BTreeMap::new()),
        Some(value) => Ok(env_map(value, "env", false)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()),
    }
}

/// The working directory: `/workspace` by default; it must be an existing directory in
/// `/workspace` or `/tmp`.
async fn workdir(
    runtime: &std::sync::Arc<SandboxRuntime>,
    fields: &Map<String, Value>,
) -> Result<SandboxPath, AgentError> {
    let raw = opt_string(fields, "workdir")?
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "/workspace".to_owned());
    let path = SandboxPath::parse(&raw).map_err(|e| {
        let mut error = AgentError::fs(e);
        error.details = Some(json!({ "field": "workdir", "path": raw }));
        error
    })?;
    let runtime = runtime.clone();
    tokio::task::spawn_blocking(move || fs::check_workdir(&runtime.jail(), path))
        .await
        .map_err(|e| {
            AgentError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                e.to_string(),
            )
        })?
        .map_err(|e| {
            let mut error = AgentError::fs(e);
            error.status = StatusCode::BAD_REQUEST;
            let path = error.details.as_ref().and_then(|d| d.get("path").cloned());
            error.details = Some(json!({ "field": "workdir", "path": path }));
            error
        })
}

fn language_field(
    runtime: &SandboxRuntime,
    fields: &Map<String, Value>,
) -> Result<Language, AgentError> {
    let available: Vec<&str> = runtime.host().languages.iter().map(|l| l.name()).collect();
    let raw = opt_string(fields, "language")?.unwrap_or_else(|| "python".to_owned());
    let language = Language::parse(&raw).ok_or_else(|| {
        AgentError::invalid(
            "language",
            format!(
                "language {:?} is not supported; use one of {} (python3, js, node, nodejs, sh \
                 and shell are accepted too).",
                raw.chars().take(50).collect::<String>(),
                available.join(", ")
            ),
        )
        .with_details(json!({ "field": "language", "available": available }))
    })?;
    if !runtime.host().languages.contains(&language) {
        return Err(AgentError::invalid(
            "language",
            format!(
                "{} is not installed on this host ({} is not in /usr), so sandboxes cannot run \
                 {}; available: {}.",
                language.program(),
                language.program(),
                language.name(),
                available.join(", ")
            ),
        )
        .with_details(json!({ "field": "language", "available": available })));
    }
    Ok(language)
}

fn timeout_error(result: &ExecResult, timeout: Duration) -> AgentError {
    AgentError::new(
        StatusCode::REQUEST_TIMEOUT,
        "EXECUTION_TIMEOUT",
        format!(
            "Execution timed out after {} s; it and every process it started were killed. \
             Raise `timeout` (at most {MAX_TIMEOUT} s) or use /execute/background.",
            timeout.as_secs_f64()
        ),
    )
    .with_details(json!({
        "timeout": timeout.as_secs_f64(),
        "execution_time": result.duration.as_secs_f64(),
        "stdout": result.stdout,
        "stderr": result.stderr,
    }))
}

/// `POST /execute`.
pub async fn execute(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    let fields = json_object(&body, EXECUTE_EXAMPLE)?;
    let code = required_string(&fields, "code", EXECUTE_EXAMPLE)?;
    let language = language_field(&runtime, &fields)?;
    let timeout = timeout_field(&fields, DEFAULT_TIMEOUT)?;
    let env = call_env(&fields)?;
    let workdir = workdir(&runtime, &fields).await?;
    let request = ExecRequest {
        argv: language.argv(),
        stdin: code.into_bytes(),
        env,
        workdir,
        timeout,
        user_program: false,
    };
    let running = runtime
        .start(&request)
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    let result = running
        .finish(timeout)
        .await
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    if result.timed_out {
        return Err(timeout_error(&result, timeout));
    }
    Ok(Json(json!({
        "stdout": result.stdout,
        "stderr": result.stderr,
        "exit_code": result.exit_code,
        "execution_time": result.duration.as_secs_f64(),
        "success": result.exit_code == 0,
        "language": language.name(),
        "timestamp": now(),
    }))
    .into_response())
}

/// The argv of a command request and how it is shown: `command` with `args` runs as
/// given; `command` alone runs through `bash -c` (shell syntax works).
fn command_argv(fields: &Map<String, Value>) -> Result<(Vec<String>, String, bool), AgentError> {
    let command = required_string(fields, "command", COMMAND_EXAMPLE)?;
    if command.trim().is_empty() {
        return Err(AgentError::invalid(
            "command",
            format!("command must not be empty, e.g. {COMMAND_EXAMPLE}."),
        ));
    }
    match fields.get("args") {
        None => Ok((
            vec!["bash".into(), "-c".into(), command.clone()],
            command,
            false,
        )),
        Some(Value::Array(items)) => {
            let mut argv = vec![command];
            for item in items {
                let Value::String(arg) = item else {
                    return Err(AgentError::invalid(
                        "args",
                        "args must be an array of strings.",
                    ));
                };
                argv.push(arg.clone());
            }
            let shown = argv.join(" ");
            Ok((argv, shown, true))
        }
        Some(_) => Err(AgentError::invalid(
            "args",
            "args must be an array of strings.",
        )),
    }
}

/// `POST /commands/run`.
pub async fn run_command(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    let fields = json_object(&body, COMMAND_EXAMPLE)?;
    let (argv, shown, user_program) = command_argv(&fields)?;
    let timeout = timeout_field(&fields, DEFAULT_TIMEOUT)?;
    let env = call_env(&fields)?;
    let workdir = workdir(&runtime, &fields).await?;
    let request = ExecRequest {
        argv,
        stdin: Vec::new(),
        env,
        workdir,
        timeout,
        user_program,
    };
    let running = runtime
        .start(&request)
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    let result = running
        .finish(timeout)
        .await
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    if result.timed_out {
        return Err(timeout_error(&result, timeout));
    }
    Ok(Json(json!({
        "stdout": result.stdout,
        "stderr": result.stderr,
        "exit_code": result.exit_code,
        "execution_time": result.duration.as_secs_f64(),
        "success": result.exit_code == 0,
        "command": shown,
        "pid": result.pid,
        "timestamp": now(),
    }))
    .into_response())
}

fn started(record: &ProcessRecord) -> Value {
    let mut body = json!({
        "process_id": record.process_id,
        "execution_id": record.execution_id,
        "status": record.status.as_str(),
        "start_time": rfc3339(record.start_time),
        "name": record.name,
        "language": record.language,
        "pid": record.pid,
        "message": "Started in the background; GET /execute/processes shows how it goes.",
    });
    if let (Some(command), Value::Object(map)) = (&record.command, &mut body) {
        map.insert("command".into(), json!(command));
    }
    body
}

fn name_field(fields: &Map<String, Value>) -> Result<Option<String>, AgentError> {
    Ok(opt_string(fields, "name")?.map(|n| n.chars().take(200).collect()))
}

/// `POST /execute/background`.
pub async fn background(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    let fields = json_object(&body, EXECUTE_EXAMPLE)?;
    let code = required_string(&fields, "code", EXECUTE_EXAMPLE)?;
    let language = language_field(&runtime, &fields)?;
    let timeout = timeout_field(&fields, DEFAULT_BACKGROUND_TIMEOUT)?;
    let env = call_env(&fields)?;
    let name = name_field(&fields)?;
    let workdir = workdir(&runtime, &fields).await?;
    let request = ExecRequest {
        argv: language.argv(),
        stdin: code.into_bytes(),
        env,
        workdir,
        timeout,
        user_program: false,
    };
    let record = runtime
        .start_background(request, language.name().to_owned(), name, None)
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    Ok(Json(started(&record)).into_response())
}

/// `POST /commands/background`.
pub async fn command_background(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    let fields = json_object(&body, COMMAND_EXAMPLE)?;
    let (argv, shown, user_program) = command_argv(&fields)?;
    let timeout = timeout_field(&fields, DEFAULT_BACKGROUND_TIMEOUT)?;
    let env = call_env(&fields)?;
    let name = name_field(&fields)?;
    let workdir = workdir(&runtime, &fields).await?;
    let request = ExecRequest {
        argv,
        stdin: Vec::new(),
        env,
        workdir,
        timeout,
        user_program,
    };
    let record = runtime
        .start_background(request, "command".to_owned(), name, Some(shown))
        .map_err(|e| AgentError::exec(&runtime.id, e))?;
    Ok(Json(started(&record)).into_response())
}

fn process_json(record: &ProcessRecord, with_output: bool) -> Value {
    let end = record.end_time;
    let duration = (end.unwrap_or_else(Utc::now) - record.start_time)
        .to_std()
        .unwrap_or_default()
        .as_secs_f64();
    let mut body = json!({
        "process_id": record.process_id,
        "execution_id": record.execution_id,
        "name": record.name,
        "status": record.status.as_str(),
        "language": record.language,
        "start_time": rfc3339(record.start_time),
        "end_time": end.map(rfc3339),
        "exit_code": record.exit_code,
        "duration": duration,
        "pid": record.pid,
        "timed_out": record.timed_out,
    });
    if let Value::Object(map) = &mut body {
        if let Some(command) = &record.command {
            map.insert("command".into(), json!(command));
        }
        if with_output {
            let (stdout, stderr) = record.output();
            map.insert("stdout".into(), json!(stdout));
            map.insert("stderr".into(), json!(stderr));
        }
    }
    body
}

/// `GET /execute/processes`.
pub async fn processes(Extension(Sandbox(runtime)): Extension<Sandbox>) -> Response {
    let list: Vec<Value> = runtime
        .processes()
        .iter()
        .map(|r| process_json(r, false))
        .collect();
    Json(json!({
        "count": list.len(),
        "processes": list,
        "timestamp": now(),
    }))
    .into_response()
}

fn process_not_found(id: &str) -> AgentError {
    let shown: String = id.chars().take(100).collect();
    AgentError::new(
        StatusCode::NOT_FOUND,
        "PROCESS_NOT_FOUND",
        format!(
            "No background process '{shown}' in this sandbox; GET /execute/processes lists them."
        ),
    )
    .with_details(json!({ "process_id": shown }))
}

/// `GET /execute/processes/{process_id}`: one process, with its output so far.
pub async fn process(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let id = params.get("process_id").cloned().unwrap_or_default();
    let record = runtime.process(&id).ok_or_else(|| process_not_found(&id))?;
    Ok(Json(process_json(&record, true)).into_response())
}

async fn kill(runtime: &SandboxRuntime, id: &str) -> Result<Response, AgentError> {
    let record = runtime
        .kill_process(id)
        .await
        .ok_or_else(|| process_not_found(id))?;
    let (status, message) = if record.status == ProcessStatus::Running {
        (ProcessStatus::Killed, "Process killed.".to_owned())
    } else {
        (
            record.status,
            format!(
                "The process had already ended ({}).",
                record.status.as_str()
            ),
        )
    };
    Ok(Json(json!({
        "success": true,
        "process_id": record.process_id,
        "status": status.as_str(),
        "message": message,
        "timestamp": now(),
    }))
    .into_response())
}

/// `DELETE /execute/kill?process_id=`.
pub async fn kill_query(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let id = query
        .get("process_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AgentError::missing("process_id", "DELETE /execute/kill?process_id=proc_...")
        })?;
    kill(&runtime, id).await
}

/// `POST /execute/kill/{process_id}` (what the official SDKs call).
pub async fn kill_path(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let id = params.get("process_id").cloned().unwrap_or_default();
    kill(&runtime, &id).await
}
