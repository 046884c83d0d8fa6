//! Sandbox records and the `/v1/sandboxes` handlers.
//!
//! Expiry is lazy: every access first drops the sandboxes whose `expires_at` has
//! passed, so an expired sandbox simply no longer exists (404, absent from lists).
//! There is no "stopped" state to keep around, which matches what a client sees
//! after the real service auto-kills a sandbox.

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
    catalog::{self, Template},
    envelope::{ApiError, RequestId, json_response, object},
    ids,
    jwt::IssuedToken,
    templates::template_not_found,
};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 100;
const LOCAL_REGION: &str = "local";
const RUNNING: &str = "running";

/// One sandbox. `Debug` lists env var names only, never their values.
#[derive(Clone)]
pub struct SandboxRecord {
    pub id: String,
    pub org: Org,
    pub template_id: String,
    pub template_name: String,
    pub region: String,
    pub resources: Value,
    pub internet_access: bool,
    pub timeout_seconds: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub env_vars: BTreeMap<String, String>,
}

impl fmt::Debug for SandboxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxRecord")
            .field("id", &self.id)
            .field("org", &self.org)
            .field("template_name", &self.template_name)
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
    /// The `models.Sandbox` shape, without token fields.
    fn to_json(&self, base_url: &str) -> Map<String, Value> {
        let agent_url = format!("{base_url}/agent/{}", self.id);
        let fields = object([
            ("id", json!(self.id)),
            ("object", json!("sandbox")),
            ("status", json!(RUNNING)),
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
    fn purge_expired(&mut self, now: DateTime<Utc>) {
        let expired: Vec<u64> = self
            .by_seq
            .iter()
            .filter(|(_, r)| r.is_expired(now))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in expired {
            if let Some(record) = self.by_seq.remove(&seq) {
                self.seq_by_id.remove(&record.id);
                tracing::info!(sandbox_id = %record.id, "sandbox expired");
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.seq_by_id.contains_key(id)
    }

    fn insert(&mut self, record: SandboxRecord) {
        self.next_seq += 1;
        self.seq_by_id.insert(record.id.clone(), self.next_seq);
        self.by_seq.insert(self.next_seq, record);
    }

    fn get(&self, org: Org, id: &str) -> Option<&SandboxRecord> {
        let seq = self.seq_by_id.get(id)?;
        self.by_seq.get(seq).filter(|r| r.org == org)
    }

    fn remove(&mut self, org: Org, id: &str) -> Option<SandboxRecord> {
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

/// What is being asked for in `POST /v1/sandboxes`, once validated.
struct CreateRequest {
    template_name: Option<String>,
    template_id: Option<String>,
    region: Option<String>,
    timeout_seconds: Option<u64>,
    internet_access: Option<bool>,
    env_vars: BTreeMap<String, String>,
}

/// Validates the body strictly but ignores unknown fields. A `null` counts as absent
/// (clients serialize unset options as null).
fn parse_create(body: &[u8]) -> Result<CreateRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if body.iter().all(u8::is_ascii_whitespace) {
            "The request body is empty".to_owned()
        } else {
            format!("The request body is not valid JSON ({e})")
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "{what}; send a JSON object such as {{\"template_name\": \"code-interpreter\"}}."
            ),
        )
        .with_details(json!({ "field": null }))
    })?;
    let Value::Object(fields) = value else {
        return Err(ApiError::validation(
            None,
            "The request body must be a JSON object such as {\"template_name\": \"code-interpreter\"}.",
        ));
    };
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

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
                "template_id must be a non-empty string or an integer, e.g. \"1\" or 1.",
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
                    "{name} must be an integer. It is deprecated and ignored: resources come from the template."
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

fn sandbox_not_found(id: &str) -> ApiError {
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
    // 0 means "no auto-kill", like an absent timeout; anything that overflows the
    // calendar is refused rather than silently capped.
    let expires_at = match request.timeout_seconds {
        None | Some(0) => None,
        Some(secs) => Some(
            i64::try_from(secs)
                .ok()
                .and_then(chrono::Duration::try_seconds)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| {
                    ApiError::validation(
                        Some("timeout_seconds"),
                        "timeout_seconds is too large; use at most a few years' worth of seconds.",
                    )
                })?,
        ),
    };
    let record = {
        let mut store = state.lock_sandboxes();
        store.purge_expired(now);
        let mut id = ids::sandbox_id(now.timestamp());
        while store.contains(&id) {
            id = ids::sandbox_id(now.timestamp());
        }
        let record = SandboxRecord {
            id,
            org,
            template_id: template.id.to_owned(),
            template_name: template.name.to_owned(),
            region: request.region.unwrap_or_else(|| LOCAL_REGION.to_owned()),
            resources: template.sandbox_resources(),
            internet_access: request.internet_access.unwrap_or(true),
            timeout_seconds: request.timeout_seconds,
            created_at: now,
            expires_at,
            env_vars: request.env_vars,
        };
        store.insert(record.clone());
        record
    };
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

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let param = |key: &str| query.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let limit = match param("limit") {
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
    let status = param("status");
    let region = param("region");

    let (data, has_more, last) = {
        let mut store = state.lock_sandboxes();
        store.purge_expired(Utc::now());
        let (page, has_more, last) = store.page(after, limit, |r| {
            r.org == org
                && status.is_none_or(|s| s == RUNNING)
                && region.is_none_or(|g| g == r.region)
        });
        let data: Vec<Value> = page
            .into_iter()
            .map(|r| Value::Object(r.to_json(&state.base_url)))
            .collect();
        (data, has_more, last)
    };
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
    let map = {
        let mut store = state.lock_sandboxes();
        store.purge_expired(Utc::now());
        store
            .get(org, &id)
            .map(|r| r.to_json(&state.base_url))
            .ok_or_else(|| sandbox_not_found(&id))?
    };
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
    let removed = {
        let mut store = state.lock_sandboxes();
        store.purge_expired(Utc::now());
        store.remove(org, &id)
    };
    let record = removed.ok_or_else(|| sandbox_not_found(&id))?;
    tracing::info!(sandbox_id = %record.id, "sandbox deleted");
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        object([
            ("id", json!(record.id)),
            ("object", json!("sandbox")),
            ("deleted", json!(true)),
        ]),
    ))
}

/// `POST /v1/sandboxes/{id}/token/refresh`: a new agent token for an existing sandbox.
pub async fn refresh_token(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Extension(org): Extension<Org>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    {
        let mut store = state.lock_sandboxes();
        store.purge_expired(Utc::now());
        store.get(org, &id).ok_or_else(|| sandbox_not_found(&id))?;
    }
    let token = state.jwt.issue(&id, org.0);
    let mut map = Map::new();
    map.insert("id".into(), json!(id));
    map.insert("object".into(), json!("sandbox"));
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
