//! `/env`: the sandbox's variables, which every later execution sees (on top of the
//! defaults such as `PATH` and `HOME`, and under a call's own `env`). They start as the
//! `env_vars` of create.
//!
//! `PUT` replaces them (or merges, with `"merge": true`), `PATCH` merges, and in a merge a
//! `null` value deletes that variable (JSON Merge Patch), so one variable can be removed
//! without a read-modify-write race. `DELETE` clears them all. Values are returned as they
//! are, never masked.

use std::collections::BTreeMap;

use axum::{
    Extension, Json,
    body::Bytes,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{AgentError, Sandbox, check_env_total, env_map, json_object, now, opt_bool};

const EXAMPLE: &str = r#"{"env_vars": {"DEBUG": "1"}}"#;

fn answer(message: &str, env: &BTreeMap<String, String>) -> Response {
    Json(json!({
        "message": message,
        "env_vars": env,
        "count": env.len(),
        "timestamp": now(),
    }))
    .into_response()
}

/// `GET /env`.
pub async fn get(Extension(Sandbox(runtime)): Extension<Sandbox>) -> Response {
    let env = runtime.env();
    Json(json!({
        "env_vars": env,
        "count": env.len(),
        "timestamp": now(),
    }))
    .into_response()
}

fn set(
    runtime: &crate::sandbox::SandboxRuntime,
    body: &[u8],
    always_merge: bool,
) -> Result<Response, AgentError> {
    let fields = json_object(body, EXAMPLE)?;
    let merge = always_merge || opt_bool(&fields, "merge")?.unwrap_or(false);
    let Some(value) = fields.get("env_vars") else {
        return Err(AgentError::missing("env_vars", EXAMPLE));
    };
    let changes = env_map(value, "env_vars", true)?;
    // One critical section, so concurrent merges never lose each other's variables.
    let env = runtime.with_env(|env| {
        let mut next = if merge { env.clone() } else { BTreeMap::new() };
        for (name, value) in changes {
            match value {
                Some(value) => {
                    next.insert(name, value);
                }
                None => {
                    next.remove(&name);
                }
            }
        }
        check_env_total(&next)?;
        *env = next;
        Ok::<_, AgentError>(env.clone())
    })?;
    Ok(answer(
        if merge {
            "Environment variables merged"
        } else {
            "Environment variables replaced"
        },
        &env,
    ))
}

/// `PUT /env` `{env_vars, merge?}`: replaces (merges with `merge: true`).
pub async fn put(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    set(&runtime, &body, false)
}

/// `PATCH /env` `{env_vars}`: merges; `null` deletes.
pub async fn patch(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    set(&runtime, &body, true)
}

/// `DELETE /env`: clears every variable.
pub async fn clear(Extension(Sandbox(runtime)): Extension<Sandbox>) -> Response {
    let env = runtime.with_env(|env| {
        env.clear();
        env.clone()
    });
    answer("Environment variables cleared", &env)
}
