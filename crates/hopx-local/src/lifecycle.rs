//! State changes of a sandbox (`POST /v1/sandboxes/{id}/pause|resume|stop|start`)
//! and its auto-kill timeout (`PUT /v1/sandboxes/{id}/timeout`).
//!
//! | action | allowed from       | leads to  |
//! |--------|--------------------|-----------|
//! | pause  | running            | paused    |
//! | resume | paused             | running   |
//! | stop   | running, paused    | stopped   |
//! | start  | stopped            | running   |
//!
//! Any other combination, repeating the action a sandbox is already in included, is
//! a 409 `invalid_state` whose message says the current status and the request that
//! would help, with `details: {"action", "status", "allowed"}` (`allowed`: the
//! statuses the action accepts). The spec lists no 409 for these routes; answering
//! 200 and doing nothing would hide a client's mistake and answering 400 would blame
//! the request's shape, so this is a deliberate difference (spec/DIFFERENCES.md).
//!
//! The auto-kill clock runs in every state: a paused or stopped sandbox is still
//! killed at `expires_at`, as its resources are held until then.
//!
//! The sandbox's processes follow: pausing stops them (`SIGSTOP`), resuming continues
//! them, stopping kills them (the files stay), and the agent refuses work unless the
//! sandbox is running.

use std::sync::Arc;

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::{
    AppState,
    auth::Org,
    body,
    envelope::{ApiError, RequestId, json_response},
    sandboxes::{SandboxStatus, expiry_after, sandbox_not_found},
};

/// Longest piece of a sandbox id that is quoted back in a message.
const MAX_ECHO: usize = 100;

/// A state change a client can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    Stop,
    Start,
}

impl Action {
    /// The verb, which is also the last segment of the route.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Start => "start",
        }
    }

    fn past_participle(self) -> &'static str {
        match self {
            Self::Pause => "paused",
            Self::Resume => "resumed",
            Self::Stop => "stopped",
            Self::Start => "started",
        }
    }

    /// The statuses this action may be applied to.
    pub fn allowed_from(self) -> &'static [SandboxStatus] {
        match self {
            Self::Pause => &[SandboxStatus::Running],
            Self::Resume => &[SandboxStatus::Paused],
            Self::Stop => &[SandboxStatus::Running, SandboxStatus::Paused],
            Self::Start => &[SandboxStatus::Stopped],
        }
    }

    /// The status the sandbox is in afterwards.
    pub fn target(self) -> SandboxStatus {
        match self {
            Self::Pause => SandboxStatus::Paused,
            Self::Resume | Self::Start => SandboxStatus::Running,
            Self::Stop => SandboxStatus::Stopped,
        }
    }

    /// The new status, or `None` when the sandbox's status does not allow the action.
    pub fn apply(self, current: SandboxStatus) -> Option<SandboxStatus> {
        self.allowed_from()
            .contains(&current)
            .then(|| self.target())
    }
}

/// The action that gets a sandbox in `status` going again, if it is not running.
fn way_back(status: SandboxStatus) -> Option<Action> {
    match status {
        SandboxStatus::Running => None,
        SandboxStatus::Paused => Some(Action::Resume),
        SandboxStatus::Stopped => Some(Action::Start),
    }
}

/// 409 `invalid_state` for `action` on a sandbox in `current`.
fn invalid_state(id: &str, action: Action, current: SandboxStatus) -> ApiError {
    let shown: String = id.chars().take(MAX_ECHO).collect();
    let allowed: Vec<&str> = action.allowed_from().iter().map(|s| s.as_str()).collect();
    let what = if current == action.target() {
        format!("Sandbox '{shown}' is already {current}")
    } else {
        format!(
            "Sandbox '{shown}' is {current}, and only a {} sandbox can be {}",
            allowed.join(" or "),
            action.past_participle()
        )
    };
    let next = match way_back(current) {
        Some(fix) => format!("{0} it with POST /v1/sandboxes/{shown}/{0}", fix.verb()),
        None => "there is nothing to do".to_owned(),
    };
    ApiError::new(
        StatusCode::CONFLICT,
        "invalid_state",
        format!("{what}; {next}."),
    )
    .with_details(json!({
        "action": action.verb(),
        "status": current.as_str(),
        "allowed": allowed,
    }))
}

/// Applies `action` to the sandbox and returns its new JSON.
fn transition(
    state: &AppState,
    org: Org,
    id: &str,
    action: Action,
) -> Result<Map<String, Value>, ApiError> {
    let (from, map) = state.with_sandboxes(|store| {
        let record = store
            .get_mut(org, id)
            .ok_or_else(|| sandbox_not_found(id))?;
        let from = record.status;
        record.status = action
            .apply(from)
            .ok_or_else(|| invalid_state(id, action, from))?;
        // Stops, continues or kills the sandbox's processes to match.
        record.runtime.apply_status(record.status);
        Ok::<_, ApiError>((from, record.to_json(&state.base_url)))
    })?;
    tracing::info!(
        sandbox_id = %id,
        from = %from,
        to = %action.target(),
        "sandbox {}",
        action.past_participle()
    );
    Ok(map)
}

async fn respond(
    state: Arc<AppState>,
    request_id: RequestId,
    org: Org,
    id: String,
    action: Action,
) -> Result<Response, ApiError> {
    let map = transition(&state, org, &id, action)?;
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        Value::Object(map),
    ))
}

/// `POST /v1/sandboxes/{id}/pause`. Any body is ignored.
pub async fn pause(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    respond(state, request_id, org, id, Action::Pause).await
}

/// `POST /v1/sandboxes/{id}/resume`. Any body is ignored.
pub async fn resume(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    respond(state, request_id, org, id, Action::Resume).await
}

/// `POST /v1/sandboxes/{id}/stop`. Any body is ignored.
pub async fn stop(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    respond(state, request_id, org, id, Action::Stop).await
}

/// `POST /v1/sandboxes/{id}/start`. Any body is ignored.
pub async fn start(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    respond(state, request_id, org, id, Action::Start).await
}

/// Validates `SetTimeoutRequest`: `timeout_seconds` is required and a positive
/// integer (the official SDKs document "must be > 0"; JS refuses ≤ 0 itself).
fn parse_set_timeout(body: &[u8]) -> Result<u64, ApiError> {
    const EXAMPLE: &str = r#"{"timeout_seconds": 600}"#;
    let fields = body::json_object(body, EXAMPLE)?;
    let Some(value) = body::field(&fields, "timeout_seconds") else {
        return Err(ApiError::validation(
            Some("timeout_seconds"),
            format!("timeout_seconds is required; send e.g. {EXAMPLE}."),
        ));
    };
    value.as_u64().filter(|&n| n > 0).ok_or_else(|| {
        ApiError::validation(
            Some("timeout_seconds"),
            format!(
                "timeout_seconds must be a positive integer number of seconds from now, e.g. {EXAMPLE}."
            ),
        )
    })
}

/// `PUT /v1/sandboxes/{id}/timeout`: the sandbox will be killed `timeout_seconds`
/// from now.
///
/// "From now", not from creation: the spec only says "set or update the auto-kill
/// timeout", and the official SDKs document `set_timeout(seconds)` as "terminated
/// after the specified number of seconds from now" (and use it to extend a
/// sandbox's life). `timeout_seconds` then reports the value given. Any state is
/// fine: a paused or stopped sandbox has an auto-kill clock too.
pub async fn set_timeout(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let seconds = parse_set_timeout(&body)?;
    let expires_at = expiry_after(Utc::now(), seconds, "timeout_seconds")?;
    let map = state
        .with_sandboxes(|store| {
            store.get_mut(org, &id).map(|record| {
                record.timeout_seconds = Some(seconds);
                record.expires_at = Some(expires_at);
                record.to_json(&state.base_url)
            })
        })
        .ok_or_else(|| sandbox_not_found(&id))?;
    // The reaper may be asleep until a later expiry than this one.
    state.expiry_changed.notify_one();
    tracing::info!(sandbox_id = %id, timeout_seconds = seconds, %expires_at, "sandbox timeout set");
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        Value::Object(map),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SandboxStatus; 3] = [
        SandboxStatus::Running,
        SandboxStatus::Paused,
        SandboxStatus::Stopped,
    ];

    #[test]
    fn transition_table() {
        use SandboxStatus::{Paused, Running, Stopped};
        let expected = [
            (Action::Pause, Running, Some(Paused)),
            (Action::Pause, Paused, None),
            (Action::Pause, Stopped, None),
            (Action::Resume, Running, None),
            (Action::Resume, Paused, Some(Running)),
            (Action::Resume, Stopped, None),
            (Action::Stop, Running, Some(Stopped)),
            (Action::Stop, Paused, Some(Stopped)),
            (Action::Stop, Stopped, None),
            (Action::Start, Running, None),
            (Action::Start, Paused, None),
            (Action::Start, Stopped, Some(Running)),
        ];
        for (action, from, to) in expected {
            assert_eq!(action.apply(from), to, "{action:?} from {from}");
        }
    }

    #[test]
    fn every_refusal_says_where_it_stands_and_what_to_do() {
        for action in [Action::Pause, Action::Resume, Action::Stop, Action::Start] {
            for status in ALL {
                if action.apply(status).is_some() {
                    continue;
                }
                let err = invalid_state("sb1", action, status);
                assert_eq!(err.status, StatusCode::CONFLICT);
                assert_eq!(err.details["status"], status.as_str());
                assert_eq!(err.details["action"], action.verb());
                assert!(err.message.contains(status.as_str()), "{}", err.message);
                if let Some(fix) = way_back(status) {
                    let route = format!("POST /v1/sandboxes/sb1/{}", fix.verb());
                    assert!(err.message.contains(&route), "{}", err.message);
                }
            }
        }
        let err = invalid_state("x", Action::Pause, SandboxStatus::Paused);
        assert_eq!(
            err.message,
            "Sandbox 'x' is already paused; resume it with POST /v1/sandboxes/x/resume."
        );
        assert_eq!(err.details["allowed"], json!(["running"]));
    }

    #[test]
    fn timeout_body_rules() {
        assert_eq!(
            parse_set_timeout(br#"{"timeout_seconds": 5}"#).ok(),
            Some(5)
        );
        assert_eq!(
            parse_set_timeout(br#"{"timeout_seconds": 5, "extra": true}"#).ok(),
            Some(5)
        );
        for body in [
            r#"{}"#,
            r#"{"timeout_seconds": null}"#,
            r#"{"timeout_seconds": 0}"#,
            r#"{"timeout_seconds": -1}"#,
            r#"{"timeout_seconds": 1.5}"#,
            r#"{"timeout_seconds": "60"}"#,
            r#"{"timeout_seconds": true}"#,
        ] {
            let err = parse_set_timeout(body.as_bytes()).expect_err(body);
            assert_eq!(err.details["field"], "timeout_seconds", "{body}");
        }
        for body in ["", "[1]", "{"] {
            let err = parse_set_timeout(body.as_bytes()).expect_err(body);
            assert!(err.details["field"].is_null(), "{body}");
        }
    }
}
