//! Sandbox records, the store, and the `/v1/sandboxes` CRUD handlers (the state
//! changes and the timeout are in [`crate::lifecycle`]).
//!
//! Expiry kills a sandbox: it is removed, so it answers 404 and is absent from lists,
//! which is what a client sees after the real service auto-kills one. It happens in
//! two places: lazily, on every access to the store ([`AppState::with_sandboxes`]),
//! so no request ever sees an expired sandbox; and in the background
//! ([`crate::reaper`]), so an expired sandbox's resources are freed even when nobody
//! asks. Both, and `DELETE`, end in [`kill`], which kills the sandbox's processes and
//! removes its root ([`crate::sandbox::SandboxRuntime::destroy`]).

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::Arc,
};

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::{
    AppState,
    auth::Org,
    body,
    catalog::{self, Template},
    envelope::{ApiError, RequestId, json_response, object},
    ids,
    jwt::IssuedToken,
    sandbox::{Resources, SandboxRuntime},
    templates::template_not_found,
};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 100;
const LOCAL_REGION: &str = "local";
/// The values the spec allows for `GET /v1/sandboxes?status=`. Nothing here is ever
/// `creating` (sandboxes are ready when create answers), but the filter is valid.
const LISTABLE_STATUSES: [&str; 4] = ["running", "stopped", "paused", "creating"];

/// Where a sandbox is in its life. The transitions are in [`crate::lifecycle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxStatus {
    Running,
    Paused,
    Stopped,
}

impl SandboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
        }
    }
}

impl fmt::Display for SandboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a sandbox is killed (see [`kill`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillReason {
    /// `DELETE /v1/sandboxes/{id}`.
    Deleted,
    /// Its `expires_at` passed.
    Expired,
}

/// One sandbox. `Debug` lists env var names only, never their values.
#[derive(Clone)]
pub struct SandboxRecord {
    pub id: String,
    pub org: Org,
    pub template_id: String,
    pub template_name: String,
    pub status: SandboxStatus,
    pub region: String,
    pub resources: Value,
    pub internet_access: bool,
    pub timeout_seconds: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub env_vars: BTreeMap<String, String>,
    /// Its root on disk, processes and agent state.
    pub runtime: Arc<SandboxRuntime>,
}

impl fmt::Debug for SandboxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxRecord")
            .field("id", &self.id)
            .field("org", &self.org)
            .field("template_name", &self.template_name)
            .field("status", &self.status)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("env_vars", &self.env_vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl SandboxRecord {
    /// The `models.Sandbox` shape, without token fields. `timeout_seconds` and
    /// `expires_at` are null when the sandbox never expires, as on the real service
    /// (see spec/DIFFERENCES.md).
    pub(crate) fn to_json(&self, base_url: &str) -> Map<String, Value> {
        let agent_url = format!("{base_url}/agent/{}", self.id);
        let fields = object([
            ("id", json!(self.id)),
            ("object", json!("sandbox")),
            ("status", json!(self.status.as_str())),
            ("template_id", json!(self.template_id)),
            ("template_name", json!(self.template_name)),
            ("organization_id", json!(self.org.0)),
            ("node_id", json!("local")),
            ("region", json!(self.region)),
            ("public_host", json!(agent_url)),
            ("direct_url", json!(agent_url)),
            ("preview_url", json!(agent_url)),
            ("resources", self.resources.clone()),
            ("internet_access", json!(self.internet_access)),
            ("live_mode", json!(false)),
            ("timeout_seconds", json!(self.timeout_seconds)),
            ("expires_at", json!(self.expires_at.map(rfc3339))),
            ("created_at", json!(rfc3339(self.created_at))),
        ]);
        match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// All sandboxes, in creation order.
#[derive(Debug, Default)]
pub struct SandboxStore {
    next_seq: u64,
    by_seq: BTreeMap<u64, SandboxRecord>,
    seq_by_id: HashMap<String, u64>,
}

impl SandboxStore {
    /// Takes out every sandbox whose `expires_at` is at or before `now`. The caller
    /// must [`kill`] them.
    fn take_expired(&mut self, now: DateTime<Utc>) -> Vec<SandboxRecord> {
        let expired: Vec<u64> = self
            .by_seq
            .iter()
            .filter(|(_, r)| r.is_expired(now))
            .map(|(seq, _)| *seq)
            .collect();
        expired
            .into_iter()
            .filter_map(|seq| {
                let record = self.by_seq.remove(&seq)?;
                self.seq_by_id.remove(&record.id);
                Some(record)
            })
            .collect()
    }

    /// The earliest `expires_at` of all sandboxes, for the reaper's next wake-up.
    fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.by_seq.values().filter_map(|r| r.expires_at).min()
    }

    /// How many sandboxes exist (of every organization), expired or not.
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    fn contains(&self, id: &str) -> bool {
        self.seq_by_id.contains_key(id)
    }

    fn insert(&mut self, record: SandboxRecord) {
        self.next_seq += 1;
        self.seq_by_id.insert(record.id.clone(), self.next_seq);
        self.by_seq.insert(self.next_seq, record);
    }

    /// The sandbox `id` if it belongs to `org`: another organization's sandbox is
    /// indistinguishable from a missing one.
    pub(crate) fn get(&self, org: Org, id: &str) -> Option<&SandboxRecord> {
        let seq = self.seq_by_id.get(id)?;
        self.by_seq.get(seq).filter(|r| r.org == org)
    }

    /// The sandbox `id` whatever its organization (the agent, where a token names it).
    pub(crate) fn get_by_id(&self, id: &str) -> Option<&SandboxRecord> {
        self.by_seq.get(self.seq_by_id.get(id)?)
    }

    /// Takes every sandbox out of the store; the caller must kill them.
    fn take_all(&mut self) -> Vec<SandboxRecord> {
        self.seq_by_id.clear();
        std::mem::take(&mut self.by_seq).into_values().collect()
    }

    pub(crate) fn get_mut(&mut self, org: Org, id: &str) -> Option<&mut SandboxRecord> {
        let seq = self.seq_by_id.get(id)?;
        self.by_seq.get_mut(seq).filter(|r| r.org == org)
    }

    /// Takes the sandbox out of the store; the caller must [`kill`] it.
    fn take(&mut self, org: Org, id: &str) -> Option<SandboxRecord> {
        self.get(org, id)?;
        let seq = self.seq_by_id.remove(id)?;
        self.by_seq.remove(&seq)
    }

    /// Records after sequence `after`, oldest first, plus whether more follow and the
    /// sequence number of the last one returned.
    fn page(
        &self,
        after: u64,
        limit: usize,
        keep: impl Fn(&SandboxRecord) -> bool,
    ) -> (Vec<&SandboxRecord>, bool, Option<u64>) {
        let mut matching = self
            .by_seq
            .range(after.saturating_add(1)..)
            .filter(|(_, r)| keep(r));
        let page: Vec<(&u64, &SandboxRecord)> = matching.by_ref().take(limit).collect();
        let has_more = matching.next().is_some();
        let last = page.last().map(|(seq, _)| **seq);
        (page.into_iter().map(|(_, r)| r).collect(), has_more, last)
    }
}

/// Frees what a sandbox holds once it has been taken out of the store: every process
/// of it is killed and its root removed. Every removal (`DELETE`, lazy expiry, the
/// reaper) ends here, outside the store lock.
pub(crate) fn kill(state: &AppState, record: SandboxRecord, reason: KillReason) {
    record.runtime.destroy();
    match reason {
        KillReason::Deleted => tracing::info!(sandbox_id = %record.id, "sandbox deleted"),
        KillReason::Expired => {
            state.stats.record_sandbox_expired();
            tracing::info!(
                sandbox_id = %record.id,
                expires_at = ?record.expires_at,
                "sandbox expired; killed"
            );
        }
    }
}

impl AppState {
    /// Runs `f` on the store after taking out the sandboxes that have expired, which
    /// are killed once the lock is released. Every handler goes through here, so no
    /// answer ever shows an expired sandbox, whatever the reaper's timing.
    pub(crate) fn with_sandboxes<T>(&self, f: impl FnOnce(&mut SandboxStore) -> T) -> T {
        let (result, expired) = {
            let mut store = self.lock_sandboxes();
            let expired = store.take_expired(Utc::now());
            (f(&mut store), expired)
        };
        for record in expired {
            kill(self, record, KillReason::Expired);
        }
        result
    }

    /// Kills every sandbox and removes the directory of sandboxes (the server is
    /// stopping).
    pub(crate) fn kill_all_sandboxes(&self) {
        let records = self.lock_sandboxes().take_all();
        if !records.is_empty() {
            tracing::info!(
                count = records.len(),
                "killing the sandboxes left at shutdown"
            );
        }
        for record in records {
            record.runtime.destroy();
        }
        self.host.remove_dir();
    }

    /// Kills every expired sandbox and returns the earliest expiry still ahead.
    pub(crate) fn reap_expired(&self) -> Option<DateTime<Utc>> {
        self.with_sandboxes(|store| store.next_expiry())
    }
}

/// Longest sandbox lifetime accepted, create and `PUT .../timeout` alike: ten years
/// is beyond any real use, and a fixed bound is one a client can be told about
/// (rather than "whatever still fits the calendar").
pub const MAX_TIMEOUT_SECONDS: u64 = 10 * 365 * 24 * 60 * 60;

/// `now + seconds`, or a 400 naming `field` when `seconds` is above
/// [`MAX_TIMEOUT_SECONDS`].
pub(crate) fn expiry_after(
    now: DateTime<Utc>,
    seconds: u64,
    field: &'static str,
) -> Result<DateTime<Utc>, ApiError> {
    let too_large = || {
        ApiError::validation(
            Some(field),
            format!(
                "{field} must be at most {MAX_TIMEOUT_SECONDS} seconds (10 years); \
                 extend a sandbox's life later with PUT /v1/sandboxes/{{id}}/timeout."
            ),
        )
    };
    if seconds > MAX_TIMEOUT_SECONDS {
        return Err(too_large());
    }
    i64::try_from(seconds)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(too_large)
}

/// What is being asked for in `POST /v1/sandboxes`, once validated.
struct CreateRequest {
    template_name: Option<String>,
    template_id: Option<String>,
    region: Option<String>,
    timeout_seconds: Option<u64>,
    internet_access: Option<bool>,
    env_vars: BTreeMap<String, String>,
}

/// Validates the body against `CreateSandboxRequest` (see [`crate::body`] for the
/// rules shared by every body).
fn parse_create(body: &[u8]) -> Result<CreateRequest, ApiError> {
    let fields = body::json_object(body, r#"{"template_name": "code-interpreter"}"#)?;
    let field = |name: &str| body::field(&fields, name);

    let template_name = match field("template_name") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(ApiError::validation(
                Some("template_name"),
                "template_name must not be empty; use a name from GET /v1/templates.",
            ));
        }
        Some(_) => {
            return Err(ApiError::validation(
                Some("template_name"),
                "template_name must be a string, e.g. \"code-interpreter\".",
            ));
        }
    };
    let template_id = match field("template_id") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(_) => {
            return Err(ApiError::validation(
                Some("template_id"),
                "template_id must be a non-empty string or a 64-bit integer, e.g. \"1\" or 1.",
            ));
        }
    };
    if template_name.is_none() && template_id.is_none() {
        return Err(ApiError::validation(
            Some("template_name"),
            "Either template_name or template_id is required, e.g. {\"template_name\": \"code-interpreter\"}; \
             GET /v1/templates lists them.",
        ));
    }

    let region = match field("region") {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Some(_) => {
            return Err(ApiError::validation(
                Some("region"),
                "region must be a string, e.g. \"us-east\".",
            ));
        }
    };
    let timeout_seconds = match field("timeout_seconds") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            ApiError::validation(
                Some("timeout_seconds"),
                "timeout_seconds must be a non-negative integer number of seconds, e.g. 3600.",
            )
        })?),
    };
    let internet_access = match field("internet_access") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::validation(
                Some("internet_access"),
                "internet_access must be true or false.",
            ));
        }
    };
    let env_vars = match field("env_vars") {
        None => BTreeMap::new(),
        Some(Value::Object(map)) => {
            let mut vars = BTreeMap::new();
            for (name, value) in map {
                let Value::String(value) = value else {
                    return Err(ApiError::validation(
                        Some("env_vars"),
                        format!("env_vars values must be strings; the value of {name:?} is not."),
                    ));
                };
                vars.insert(name.clone(), value.clone());
            }
            vars
        }
        Some(_) => {
            return Err(ApiError::validation(
                Some("env_vars"),
                "env_vars must be an object of string values, e.g. {\"DEBUG\": \"1\"}.",
            ));
        }
    };
    // Deprecated: resources always come from the template, but a wrong type is
    // still a client bug worth reporting.
    for name in ["vcpu", "memory_mb", "disk_gb"] {
        if let Some(v) = field(name)
            && !(v.is_i64() || v.is_u64())
        {
            return Err(ApiError::validation(
                Some(name),
                format!(
                    "{name} must be a 64-bit integer. It is deprecated and ignored: resources come from the template."
                ),
            ));
        }
    }
    Ok(CreateRequest {
        template_name,
        template_id,
        region,
        timeout_seconds,
        internet_access,
        env_vars,
    })
}

fn resolve_template<'a>(
    catalog_: &'a [Template],
    request: &CreateRequest,
) -> Result<&'a Template, ApiError> {
    let by_id = match &request.template_id {
        Some(id) => {
            Some(catalog::find(catalog_, id).ok_or_else(|| template_not_found(catalog_, id))?)
        }
        None => None,
    };
    let by_name = match &request.template_name {
        Some(name) => Some(
            catalog_
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| template_not_found(catalog_, name))?,
        ),
        None => None,
    };
    match (by_id, by_name) {
        (Some(a), Some(b)) if a.id != b.id => Err(ApiError::validation(
            Some("template_id"),
            "template_name and template_id name different templates; send only one of them.",
        )),
        (Some(t), _) | (None, Some(t)) => Ok(t),
        (None, None) => Err(ApiError::validation(
            Some("template_name"),
            "Either template_name or template_id is required.",
        )),
    }
}

pub(crate) fn sandbox_not_found(id: &str) -> ApiError {
    let shown: String = id.chars().take(100).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "sandbox_not_found",
        format!(
            "Sandbox '{shown}' not found. It may have expired or been deleted, or it belongs to \
             another API key; GET /v1/sandboxes lists yours."
        ),
    )
}

fn with_token(mut map: Map<String, Value>, token: &IssuedToken) -> Value {
    map.insert("auth_token".into(), json!(token.token));
    map.insert("token_expires_at".into(), json!(rfc3339(token.expires_at)));
    Value::Object(map)
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = parse_create(&body)?;
    let template = resolve_template(&state.catalog, &request)?;
    let now = Utc::now();
    // 0 means "no auto-kill", like an absent timeout; too long a life is refused
    // rather than silently capped.
    let expires_at = match request.timeout_seconds {
        None | Some(0) => None,
        Some(secs) => Some(expiry_after(now, secs, "timeout_seconds")?),
    };
    let internet_access = request.internet_access.unwrap_or(true);
    let resources = Resources {
        memory_mb: u64::from(template.default_resources.memory_mb),
        disk_mb: u64::from(template.default_resources.disk_gb) * 1024,
    };
    let record = state.with_sandboxes(|store| {
        let mut id = ids::sandbox_id(now.timestamp());
        while store.contains(&id) {
            id = ids::sandbox_id(now.timestamp());
        }
        let runtime = SandboxRuntime::create(
            &state.host,
            &id,
            internet_access,
            resources,
            request.env_vars.clone(),
        )
        .map_err(|e| {
            tracing::error!(sandbox_id = %id, error = %e, "cannot create the sandbox's root");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                format!(
                    "The sandbox's files could not be created on this machine ({e}); see the \
                     hopx-local log."
                ),
            )
        })?;
        let record = SandboxRecord {
            id,
            org,
            template_id: template.id.to_owned(),
            template_name: template.name.to_owned(),
            status: SandboxStatus::Running,
            region: request.region.unwrap_or_else(|| LOCAL_REGION.to_owned()),
            resources: template.sandbox_resources(),
            internet_access,
            timeout_seconds: request.timeout_seconds,
            created_at: now,
            expires_at,
            env_vars: request.env_vars,
            runtime,
        };
        store.insert(record.clone());
        Ok::<_, ApiError>(record)
    })?;
    if expires_at.is_some() {
        state.expiry_changed.notify_one();
    }
    tracing::info!(
        sandbox_id = %record.id,
        org = record.org.0,
        template = %record.template_name,
        "sandbox created"
    );
    let token = state.jwt.issue(&record.id, org.0);
    Ok(json_response(
        StatusCode::CREATED,
        &request_id,
        with_token(record.to_json(&state.base_url), &token),
    ))
}

/// The validated query of `GET /v1/sandboxes`.
struct ListQuery<'a> {
    limit: usize,
    after: u64,
    status: Option<&'a str>,
    region: Option<&'a str>,
}

/// Unknown parameters are ignored. An empty `limit` or `status` is refused like any
/// other wrong value (it is not "no filter"); an empty `region` or `cursor` counts
/// as absent.
fn parse_list_query(query: &HashMap<String, String>) -> Result<ListQuery<'_>, ApiError> {
    let raw = |key: &str| query.get(key).map(|v| v.trim());
    let param = |key: &str| raw(key).filter(|v| !v.is_empty());
    let limit = match raw("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation(
                    Some("limit"),
                    format!("limit must be an integer from 1 to {MAX_LIMIT}."),
                )
            })?,
    };
    let after = match param("cursor") {
        None => 0,
        Some(cursor) => decode_cursor(cursor).ok_or_else(|| {
            ApiError::validation(
                Some("cursor"),
                "cursor is not one this server issued; pass the next_cursor of the previous page as it is.",
            )
        })?,
    };
    let status = match raw("status") {
        None => None,
        Some(s) if LISTABLE_STATUSES.contains(&s) => Some(s),
        Some(_) => {
            return Err(ApiError::validation(
                Some("status"),
                format!(
                    "status must be one of {}; leave it out to list sandboxes in every state.",
                    LISTABLE_STATUSES.join(", ")
                ),
            )
            .with_details(json!({ "field": "status", "allowed": LISTABLE_STATUSES })));
        }
    };
    Ok(ListQuery {
        limit,
        after,
        status,
        region: param("region"),
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&query)?;
    let (data, has_more, last) = state.with_sandboxes(|store| {
        let (page, has_more, last) = store.page(query.after, query.limit, |r| {
            r.org == org
                && query.status.is_none_or(|s| s == r.status.as_str())
                && query.region.is_none_or(|g| g == r.region)
        });
        let data: Vec<Value> = page
            .into_iter()
            .map(|r| Value::Object(r.to_json(&state.base_url)))
            .collect();
        (data, has_more, last)
    });
    // `next_cursor` is not in the spec, but both official SDKs page with it.
    let next_cursor = if has_more {
        last.map(encode_cursor)
    } else {
        None
    };
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        object([
            ("object", json!("list")),
            ("data", Value::Array(data)),
            ("has_more", json!(has_more)),
            ("next_cursor", json!(next_cursor)),
            ("url", json!("/v1/sandboxes")),
        ]),
    ))
}

/// Cursors are opaque to clients; inside they are the creation sequence number of
/// the last sandbox returned, so deleting that sandbox does not break paging.
fn encode_cursor(seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let map = state
        .with_sandboxes(|store| store.get(org, &id).map(|r| r.to_json(&state.base_url)))
        .ok_or_else(|| sandbox_not_found(&id))?;
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        Value::Object(map),
    ))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = state
        .with_sandboxes(|store| store.take(org, &id))
        .ok_or_else(|| sandbox_not_found(&id))?;
    let id = record.id.clone();
    kill(&state, record, KillReason::Deleted);
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        object([
            ("id", json!(id)),
            ("object", json!("sandbox")),
            ("deleted", json!(true)),
        ]),
    ))
}

/// `POST /v1/sandboxes/{id}/token/refresh`: a new agent token, with the sandbox.
///
/// Allowed in every state, stopped and paused included: the token only says who may
/// talk to the sandbox's agent, and whether the agent is up is the agent's answer to
/// give. A client about to resume or start a sandbox can so refresh first.
pub async fn refresh_token(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let map = state
        .with_sandboxes(|store| store.get(org, &id).map(|r| r.to_json(&state.base_url)))
        .ok_or_else(|| sandbox_not_found(&id))?;
    let token = state.jwt.issue(&id, org.0);
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        with_token(map, &token),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("nonsense"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn parse_accepts_nulls_and_ignores_unknown_fields() {
        let req = parse_create(
            br#"{"template_id": 1, "region": null, "timeout_seconds": null, "whatever": [1]}"#,
        )
        .map_err(|e| e.message)
        .unwrap();
        assert_eq!(req.template_id.as_deref(), Some("1"));
        assert!(req.region.is_none());
        assert!(req.timeout_seconds.is_none());
    }
}
