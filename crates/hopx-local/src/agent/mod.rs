//! The in-sandbox agent (`spec/openapi_agent.json`), served by this same server under each
//! sandbox's `public_host`, `<base>/agent/<sandbox_id>`.
//!
//! # Auth
//!
//! Every route but `/health`, `/info`, `/ping` and `/` needs `Authorization: Bearer
//! <sandbox token>`: the `auth_token` of create or of `POST /v1/sandboxes/{id}/token/refresh`,
//! checked for this server's signature, expiry and the sandbox id it was issued for. Missing
//! or not Bearer: 401 `UNAUTHORIZED`; expired: 401 `TOKEN_EXPIRED`; malformed, forged, or
//! issued for another sandbox: 401 `INVALID_TOKEN` (401 rather than 403, so an SDK's
//! refresh-on-401 can recover). The organization's API key is never accepted here, in either
//! header: code in a sandbox must not be where that key travels.
//!
//! # State
//!
//! A paused or stopped sandbox answers 409 `SANDBOX_NOT_RUNNING` on every authenticated
//! route (as a real paused VM's agent would not answer at all); `/health` reports its status.

mod env;
pub mod error;
mod execute;
mod files;

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Extension, Json, Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

pub use error::AgentError;

use crate::{
    AppState, auth,
    jwt::JwtError,
    sandbox::{Phase, SandboxRuntime, fs::SandboxPath},
};

/// Path prefix of every agent route.
pub const PREFIX: &str = "/agent/";
/// Largest body of `/files/write` and `/files/upload`.
pub const MAX_FILE_BODY: usize = 100 * 1024 * 1024;
/// Largest body of every other agent route.
pub const MAX_JSON_BODY: usize = 10 * 1024 * 1024;
/// Version reported by `/health` and `/info`.
const AGENT: &str = "hopx-local-agent";

/// True for paths served (or refused) by the agent.
pub fn is_agent_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// `(sandbox id, rest)` of an agent path; `rest` is `""` or starts with `/`.
fn split(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(PREFIX)?;
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The sandbox a request is for, put in the extensions by [`gate`].
#[derive(Clone)]
pub(crate) struct Sandbox(pub Arc<SandboxRuntime>);

/// All agent routes, with their sandbox id in the path.
pub(crate) fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let files_body = DefaultBodyLimit::max(MAX_FILE_BODY);
    let r = |p: &str| format!("/agent/{{sandbox_id}}{p}");
    Router::new()
        .route(&r(""), get(info))
        .route(&r("/"), get(info))
        .route(&r("/health"), get(health))
        .route(&r("/info"), get(info))
        .route(&r("/ping"), get(ping))
        .route(&r("/execute"), post(execute::execute))
        .route(&r("/execute/background"), post(execute::background))
        .route(&r("/execute/processes"), get(execute::processes))
        .route(&r("/execute/processes/{process_id}"), get(execute::process))
        .route(&r("/execute/kill"), delete(execute::kill_query))
        .route(&r("/execute/kill/{process_id}"), post(execute::kill_path))
        .route(&r("/commands/run"), post(execute::run_command))
        .route(
            &r("/commands/background"),
            post(execute::command_background),
        )
        .route(&r("/files/read"), get(files::read))
        .route(&r("/files/download"), get(files::download))
        .route(&r("/files/list"), get(files::list))
        .route(&r("/files/exists"), get(files::exists))
        .route(&r("/files/write"), post(files::write).layer(files_body))
        .route(&r("/files/upload"), post(files::upload).layer(files_body))
        .route(&r("/files/mkdir"), post(files::mkdir))
        .route(&r("/files/remove"), delete(files::remove))
        .route(
            &r("/env"),
            get(env::get)
                .put(env::put)
                .patch(env::patch)
                .delete(env::clear),
        )
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(middleware::from_fn_with_state(state, gate))
}

fn is_public(rest: &str) -> bool {
    matches!(rest, "" | "/" | "/health" | "/info" | "/ping")
}

/// Authenticates the request and finds its sandbox (see the module docs).
async fn gate(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let Some((id, rest)) = split(&path) else {
        return next.run(request).await;
    };
    let public = is_public(rest);
    let org = if public {
        None
    } else {
        match authenticate(&state, request.headers(), id) {
            Ok(org) => Some(org),
            Err(e) => return e.into_response(),
        }
    };
    let runtime = state.with_sandboxes(|store| {
        store
            .get_by_id(id)
            .filter(|r| org.is_none_or(|org| r.org.0 == org))
            .map(|r| r.runtime.clone())
    });
    let Some(runtime) = runtime else {
        return AgentError::sandbox_not_found(id).into_response();
    };
    if !public {
        let phase = runtime.phase();
        if phase != Phase::Running {
            return AgentError::not_running(id, phase).into_response();
        }
    }
    request.extensions_mut().insert(Sandbox(runtime));
    next.run(request).await
}

/// The organization of a valid token for sandbox `id`.
fn authenticate(state: &AppState, headers: &HeaderMap, id: &str) -> Result<u64, AgentError> {
    const API_KEY_REFUSED: &str = "The agent does not accept the organization's API key: send \
        the sandbox's own token as `Authorization: Bearer <auth_token>` (auth_token comes with \
        the sandbox from POST /v1/sandboxes, or from POST /v1/sandboxes/{id}/token/refresh). \
        Never send the API key to a sandbox: the code running there could read it.";
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        if headers.contains_key("x-api-key") {
            return Err(AgentError::unauthorized("UNAUTHORIZED", API_KEY_REFUSED));
        }
        return Err(AgentError::unauthorized(
            "UNAUTHORIZED",
            "No sandbox token was sent. Send `Authorization: Bearer <auth_token>`, with the \
             auth_token of the sandbox (from POST /v1/sandboxes or \
             POST /v1/sandboxes/{id}/token/refresh).",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        })
        .ok_or_else(|| {
            AgentError::unauthorized(
                "UNAUTHORIZED",
                "The Authorization header must be `Bearer <auth_token>`, with the sandbox's \
                 token.",
            )
        })?;
    if token.starts_with(auth::KEY_PREFIX) {
        return Err(AgentError::unauthorized("UNAUTHORIZED", API_KEY_REFUSED));
    }
    let claims = state.jwt.verify(token).map_err(|e| match e {
        JwtError::Expired => AgentError::unauthorized(
            "TOKEN_EXPIRED",
            "The sandbox token has expired; get a new one with \
             POST /v1/sandboxes/{id}/token/refresh and retry.",
        ),
        other => AgentError::unauthorized(
            "INVALID_TOKEN",
            format!(
                "The sandbox token is not valid: {other}. Use the auth_token this server issued \
                 for the sandbox (tokens do not survive a restart of hopx-local)."
            ),
        ),
    })?;
    if claims.sub != id {
        return Err(AgentError::unauthorized(
            "INVALID_TOKEN",
            "The sandbox token was issued for another sandbox; use this sandbox's own \
             auth_token (POST /v1/sandboxes/{id}/token/refresh gives one).",
        ));
    }
    Ok(claims.org)
}

fn features(runtime: &SandboxRuntime) -> Value {
    let host = runtime.host();
    let languages: Vec<&str> = host.languages.iter().map(|l| l.name()).collect();
    json!({
        "code_execution": host.isolation.can_run_code(),
        "file_operations": true,
        "terminal_access": false,
        "websocket_streaming": false,
        "rich_output": false,
        "background_jobs": true,
        "ipython_kernel": false,
        "system_metrics": false,
        "languages": languages,
    })
}

async fn health(Extension(Sandbox(runtime)): Extension<Sandbox>) -> Response {
    let phase = runtime.phase();
    let status = if phase == Phase::Running {
        "healthy"
    } else {
        phase.as_str()
    };
    Json(json!({
        "status": status,
        "agent": AGENT,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime": runtime.host().started.elapsed().as_secs(),
        "vm_id": runtime.id,
        "sandbox_status": phase.as_str(),
        "isolation": runtime.host().isolation.describe(),
        "features": features(&runtime),
        "active_streams": 0,
        "timestamp": now(),
    }))
    .into_response()
}

async fn info(
    State(state): State<Arc<AppState>>,
    Extension(Sandbox(runtime)): Extension<Sandbox>,
) -> Response {
    let port = state
        .base_url
        .rsplit_once(':')
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();
    Json(json!({
        "vm_id": runtime.id,
        "agent": AGENT,
        "version": env!("CARGO_PKG_VERSION"),
        "go_version": "",
        "ip": "127.0.0.1",
        "port": port,
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
        "start_time": runtime.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "isolation": runtime.host().isolation.describe(),
        "features": features(&runtime),
    }))
    .into_response()
}

async fn ping() -> Response {
    Json(json!({ "message": "pong", "timestamp": now() })).into_response()
}

// ---- request helpers ----------------------------------------------------------------------

/// Parses a JSON object body; `null` fields count as absent.
fn json_object(body: &[u8], example: &str) -> Result<Map<String, Value>, AgentError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if body.iter().all(u8::is_ascii_whitespace) {
            "The request body is empty".to_owned()
        } else {
            format!("The request body is not valid JSON ({e})")
        };
        AgentError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_JSON",
            format!("{what}; send a JSON object such as {example}."),
        )
    })?;
    match value {
        Value::Object(mut map) => {
            map.retain(|_, v| !v.is_null());
            Ok(map)
        }
        _ => Err(AgentError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("The request body must be a JSON object such as {example}."),
        )),
    }
}

fn opt_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, AgentError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AgentError::invalid(
            name,
            format!("{name} must be a string."),
        )),
    }
}

fn required_string(
    fields: &Map<String, Value>,
    name: &str,
    example: &str,
) -> Result<String, AgentError> {
    opt_string(fields, name)?.ok_or_else(|| AgentError::missing(name, example))
}

fn opt_bool(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, AgentError> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AgentError::invalid(
            name,
            format!("{name} must be true or false."),
        )),
    }
}

/// Longest name plus value of one variable (what `execve` takes in one string).
const MAX_ENV_ENTRY: usize = 128 * 1024 - 2;
/// Most bytes of all of a sandbox's variables together.
const MAX_ENV_TOTAL: usize = 1024 * 1024;

fn check_env_name(field: &str, name: &str) -> Result<(), AgentError> {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        return Err(AgentError::invalid(
            field,
            format!(
                "{field} has an invalid variable name {:?}: names must be non-empty and contain \
                 neither '=' nor NUL.",
                name.chars().take(100).collect::<String>()
            ),
        ));
    }
    Ok(())
}

/// An object of variables. With `nulls`, a `null` value means "delete this variable"
/// (`Some(None)`); without, it is refused.
fn env_map(
    value: &Value,
    field: &str,
    nulls: bool,
) -> Result<BTreeMap<String, Option<String>>, AgentError> {
    let Value::Object(map) = value else {
        return Err(AgentError::invalid(
            field,
            format!("{field} must be an object of string values, e.g. {{\"DEBUG\": \"1\"}}."),
        ));
    };
    let mut vars = BTreeMap::new();
    for (name, value) in map {
        check_env_name(field, name)?;
        let value = match value {
            Value::String(s) => {
                if s.contains('\0') {
                    return Err(AgentError::invalid(
                        field,
                        format!("{field}: the value of {name} contains a NUL character."),
                    ));
                }
                if name.len() + s.len() > MAX_ENV_ENTRY {
                    return Err(AgentError::invalid(
                        field,
                        format!("{field}: {name} is longer than {MAX_ENV_ENTRY} bytes."),
                    ));
                }
                Some(s.clone())
            }
            Value::Null if nulls => None,
            _ => {
                return Err(AgentError::invalid(
                    field,
                    format!(
                        "{field} values must be strings{}; the value of {name} is not.",
                        if nulls {
                            " (or null to delete one)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        };
        vars.insert(name.clone(), value);
    }
    Ok(vars)
}

fn check_env_total(env: &BTreeMap<String, String>) -> Result<(), AgentError> {
    let total: usize = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    if total > MAX_ENV_TOTAL {
        return Err(AgentError::invalid(
            "env_vars",
            format!(
                "the sandbox's variables would take {total} bytes, more than the \
                 {MAX_ENV_TOTAL} allowed."
            ),
        ));
    }
    Ok(())
}

/// A sandbox path from a query parameter or body field.
fn sandbox_path(raw: &str) -> Result<SandboxPath, AgentError> {
    SandboxPath::parse(raw).map_err(AgentError::fs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_paths_split_into_id_and_route() {
        assert_eq!(split("/agent/abc/execute"), Some(("abc", "/execute")));
        assert_eq!(split("/agent/abc"), Some(("abc", "")));
        assert_eq!(split("/agent/abc/"), Some(("abc", "/")));
        assert_eq!(split("/v1/sandboxes"), None);
        assert!(is_public("/health") && is_public("") && !is_public("/execute"));
    }

    #[test]
    fn env_objects_are_checked() {
        let ok = env_map(&json!({"A": "1", "B": null}), "env_vars", true).unwrap();
        assert_eq!(ok["A"].as_deref(), Some("1"));
        assert_eq!(ok["B"], None);
        for bad in [
            json!({"A": null}),
            json!({"A": 1}),
            json!({"": "x"}),
            json!({"A=B": "x"}),
            json!(["A"]),
        ] {
            assert!(env_map(&bad, "env", false).is_err(), "{bad}");
        }
    }
}
