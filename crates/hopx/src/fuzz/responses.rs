//! Server answers: arbitrary bytes, arbitrary JSON, and real response shapes (from the public
//! and agent specs and hopx-local) with fields dropped, retyped and added, through the error
//! body parser, the status mapping, the success decoder of every response type, and
//! `Retry-After` parsing.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseResult;
use reqwest::Method;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Value, json};

use super::{MARKER, assert_absent, error_texts, run};
use crate::error::ErrorCode;
use crate::http::{ApiRequest, ErrorBody, RawResponse, code_for_status, parse_error_body};
use crate::lenient;
use crate::retry::{parse_retry_after, seconds_to_duration};
use crate::sandbox::{Resources, SandboxInfo, SandboxPage, SandboxWithToken};
use crate::template::{Template, TemplateList, TemplateResources};
use crate::{BackgroundExecution, ProcessInfo};

// The agent's answer types are private to their modules (agent/execution.rs, commands.rs,
// files.rs, env.rs), so these stand-ins have the same kinds of fields: each lenient
// deserializer those types use, the same list fields, the flattened rest of an execution, and
// the strict `env_vars` map. Keep them in step with the originals.

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct Execution {
    #[serde(default, deserialize_with = "lenient::string")]
    stdout: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    exit_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::float")]
    execution_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    success: Option<bool>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct Command {
    #[serde(default, deserialize_with = "lenient::string")]
    stdout: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    exit_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::float")]
    execution_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::int")]
    pid: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct FileEntry {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    is_directory: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    is_dir: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct FileList {
    #[serde(deserialize_with = "lenient::list")]
    files: Vec<FileEntry>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct ProcessList {
    #[serde(deserialize_with = "lenient::list")]
    processes: Vec<ProcessInfo>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct FileContent {
    #[serde(default, deserialize_with = "lenient::string")]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct Exists {
    #[serde(default, deserialize_with = "lenient::boolean")]
    exists: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct EnvAnswer {
    #[serde(default)]
    env_vars: Option<BTreeMap<String, Value>>,
}

/// What the services answer, from the specs and hopx-local, with a marker in a few values.
fn shapes() -> Vec<Value> {
    let template = json!({
        "id": "tpl_1", "name": "code-interpreter", "display_name": "Code", "description": MARKER,
        "category": "development", "language": "python", "is_active": true, "is_public": true,
        "default_resources": {"vcpu": 2, "memory_mb": 2048, "disk_gb": 10},
        "features": ["python", "jupyter"], "tags": [], "popularity_score": 7,
        "status": "active", "organization_id": "12", "created_at": "2026-01-01T00:00:00Z",
        "object": "template", "request_id": "req_1",
    });
    let sandbox = json!({
        "id": "sbx_1", "object": "sandbox", "status": "running", "template_id": "7",
        "template_name": "code-interpreter", "organization_id": 12, "node_id": "n1",
        "region": "eu-west", "public_host": "https://sbx_1.example", "direct_url": MARKER,
        "resources": {"vcpu": 2, "memory_mb": 2048, "disk_mb": 10240},
        "internet_access": true, "live_mode": false, "timeout_seconds": 3600,
        "expires_at": "2026-11-27T10:00:00.123456789Z", "created_at": "2026-11-27T09:00:00Z",
        "auth_token": format!("eyJ{MARKER}.eyJ.sig"), "token_expires_at": "2026-11-27T11:00:00+00:00",
    });
    vec![
        json!({"object": "list", "data": [template.clone(), {"id": 2}], "has_more": false,
               "url": "/v1/templates", "request_id": "req_2"}),
        template,
        sandbox.clone(),
        json!({"object": "list", "data": [sandbox], "has_more": true, "next_cursor": "c1",
               "request_id": "req_3"}),
        json!({"stdout": MARKER, "stderr": "", "exit_code": 0, "execution_time": 0.25,
               "success": true, "language": "python", "timestamp": "2026-11-27T10:00:00Z",
               "png": "iVBOR", "html": "<b>x</b>", "json": {"a": 1}, "result": "x"}),
        json!({"stdout": "a", "stderr": MARKER, "exit_code": 2, "execution_time": 1.5,
               "success": false, "command": "bash -c ls", "pid": 42}),
        json!({"process_id": "p1", "execution_id": "e1", "status": "running", "name": "job",
               "start_time": "2026-11-27T10:00:00Z"}),
        json!({"processes": [{"process_id": "p1", "status": "completed", "exit_code": 0,
                              "duration": 1.5, "pid": 42}], "count": 1}),
        json!({"files": [{"name": "a", "path": "/workspace/a", "size": 12,
                          "is_directory": false, "modified_time": "t", "permissions": "0644"},
                         {"name": "b", "is_dir": true, "modified": "u", "mode": "0755"}],
               "count": 2, "path": "/workspace"}),
        json!({"content": MARKER, "path": "/workspace/a", "size": 16}),
        json!({"exists": true}),
        json!({"env_vars": {"A": "1", "B": null, "C": 2, "SECRET": MARKER}, "count": 4}),
        json!({"error": {"message": "Sandbox limit reached", "code": "resource_limit",
                         "request_id": "req_4", "details": {"limit": 5, "value": MARKER}}}),
        json!({"error": "File not found", "code": "FILE_NOT_FOUND", "request_id": "req_5",
               "details": {"path": MARKER}, "path": "/x", "timestamp": "2026-11-27T10:00:00Z"}),
        json!({"status": "ok"}),
    ]
}

/// Field names of every response type, so that random objects hit real fields.
const FIELDS: &[&str] = &[
    "id",
    "name",
    "data",
    "has_more",
    "next_cursor",
    "error",
    "message",
    "code",
    "request_id",
    "details",
    "limit",
    "retry_after_seconds",
    "status",
    "stdout",
    "exit_code",
    "success",
    "result",
    "json",
    "png",
    "files",
    "is_dir",
    "is_directory",
    "processes",
    "process_id",
    "env_vars",
    "content",
    "exists",
    "auth_token",
    "expires_at",
    "resources",
    "vcpu",
    "default_resources",
    "features",
    "is_active",
    "organization_id",
    "public_host",
];

const STRINGS: &[&str] = &[
    "",
    "true",
    "false",
    "12",
    " 12 ",
    "-3",
    "1.5",
    "1e400",
    "2026-11-27T10:00:00Z",
    " 2026-11-27T10:00:00.5+02:00 ",
    "not a date",
    "running",
    "FILE_NOT_FOUND",
    "token_expired",
    "quota",
    "Limit reached",
    "\u{0}",
    "é😀",
    marker!(),
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => select(FIELDS).prop_map(str::to_owned), 1 => any::<String>(), 1 => Just(MARKER.to_owned())]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Removes a member (or an array item) of the container chosen by the first index.
    Drop(Index, Index),
    /// Replaces a member (or an array item) with a value of another type.
    Retype(Index, Index, Value),
    /// Adds a member (or appends an item).
    Add(Index, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let replacement = prop_oneof![
        3 => leaf(),
        1 => select(vec![json!([]), json!({}), json!([MARKER, 1]), json!({"x": MARKER}), json!([{}])]),
    ];
    prop_oneof![
        (any::<Index>(), any::<Index>()).prop_map(|(c, m)| Mutation::Drop(c, m)),
        (any::<Index>(), any::<Index>(), replacement.clone())
            .prop_map(|(c, m, v)| Mutation::Retype(c, m, v)),
        (any::<Index>(), key(), replacement).prop_map(|(c, k, v)| Mutation::Add(c, k, v)),
    ]
}

/// JSON pointers to every object and array in `value`.
fn containers(value: &Value, at: String, out: &mut Vec<String>) {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) => {
            out.push(at.clone());
            for (k, v) in map {
                containers(v, format!("{at}/{}", escape(k)), out);
            }
        }
        Value::Array(items) => {
            out.push(at.clone());
            for (i, v) in items.iter().enumerate() {
                containers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(mut value: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut pointers = Vec::new();
        containers(&value, String::new(), &mut pointers);
        let (Mutation::Drop(c, _) | Mutation::Retype(c, _, _) | Mutation::Add(c, _, _)) = m;
        let Some(target) = value.pointer_mut(c.get(&pointers).as_str()) else {
            continue;
        };
        match (target, m) {
            (Value::Object(map), Mutation::Drop(_, i)) if !map.is_empty() => {
                let k = map
                    .keys()
                    .nth(i.index(map.len()))
                    .cloned()
                    .unwrap_or_default();
                map.remove(&k);
            }
            (Value::Object(map), Mutation::Retype(_, i, v)) if !map.is_empty() => {
                let k = map
                    .keys()
                    .nth(i.index(map.len()))
                    .cloned()
                    .unwrap_or_default();
                map.insert(k, v.clone());
            }
            (Value::Object(map), Mutation::Add(_, k, v)) => {
                map.insert(k.clone(), v.clone());
            }
            (Value::Array(items), Mutation::Drop(_, i)) if !items.is_empty() => {
                items.remove(i.index(items.len()));
            }
            (Value::Array(items), Mutation::Retype(_, i, v)) if !items.is_empty() => {
                let at = i.index(items.len());
                items[at] = v.clone();
            }
            (Value::Array(items), Mutation::Add(_, _, v)) => items.push(v.clone()),
            _ => {}
        }
    }
    value
}

/// What proxies and broken servers do to a body.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(Index),
    Insert(Index, u8),
    Wrap(&'static str, &'static str),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<Index>().prop_map(Damage::Truncate),
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| Damage::Insert(at, b)),
        (
            select(&["", " ", "\u{feff}", "\n\t", "<html>", ")]}'\n", "{\"a\":1}"][..]),
            select(&["", "\n", "garbage", "}", ",", "\u{0}"][..])
        )
            .prop_map(|(before, after)| Damage::Wrap(before, after)),
    ]
}

fn damaged(mut bytes: Vec<u8>, damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::Truncate(at) => bytes.truncate(at.index(bytes.len() + 1)),
        Damage::Insert(at, b) => bytes.insert(at.index(bytes.len() + 1), *b),
        Damage::Wrap(before, after) => {
            bytes.splice(0..0, before.bytes());
            bytes.extend(after.bytes());
        }
    }
    bytes
}

/// One form a lenient field can arrive in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    Missing,
    Null,
    Text,
    Int,
    Negative,
    Fraction,
    True,
    IntText,
    PaddedIntText,
    TrueText,
    FalseText,
    Date,
    PaddedDate,
    BadDate,
    List,
    Object,
}

const FORMS: &[Form] = &[
    Form::Missing,
    Form::Null,
    Form::Text,
    Form::Int,
    Form::Negative,
    Form::Fraction,
    Form::True,
    Form::IntText,
    Form::PaddedIntText,
    Form::TrueText,
    Form::FalseText,
    Form::Date,
    Form::PaddedDate,
    Form::BadDate,
    Form::List,
    Form::Object,
];

impl Form {
    fn json(self) -> Option<Value> {
        Some(match self {
            Form::Missing => return None,
            Form::Null => Value::Null,
            Form::Text => json!("abc"),
            Form::Int => json!(42),
            Form::Negative => json!(-7),
            Form::Fraction => json!(2.5),
            Form::True => json!(true),
            Form::IntText => json!("12"),
            Form::PaddedIntText => json!(" 12 "),
            Form::TrueText => json!("true"),
            Form::FalseText => json!("false"),
            Form::Date => json!("2026-11-27T10:00:00Z"),
            Form::PaddedDate => json!(" 2026-11-27T10:00:00.5+02:00 "),
            Form::BadDate => json!("27/11/2026"),
            Form::List => json!(["a", 1, null, true, {}]),
            Form::Object => {
                json!({"vcpu": "2", "memory_mb": 1024, "disk_gb": null, "disk_mb": 3.7})
            }
        })
    }

    /// How a string field reads it: strings as sent, numbers and booleans as text.
    fn as_string(self) -> Option<String> {
        match self {
            Form::Missing | Form::Null | Form::List | Form::Object => None,
            Form::Text => Some("abc".into()),
            Form::Int => Some("42".into()),
            Form::Negative => Some("-7".into()),
            Form::Fraction => Some("2.5".into()),
            Form::True | Form::TrueText => Some("true".into()),
            Form::FalseText => Some("false".into()),
            Form::IntText => Some("12".into()),
            Form::PaddedIntText => Some(" 12 ".into()),
            Form::Date => Some("2026-11-27T10:00:00Z".into()),
            Form::PaddedDate => Some(" 2026-11-27T10:00:00.5+02:00 ".into()),
            Form::BadDate => Some("27/11/2026".into()),
        }
    }

    /// How a whole-number field reads it: numbers (fractions cut) and numeric strings.
    fn as_int(self) -> Option<i64> {
        match self {
            Form::Int => Some(42),
            Form::Negative => Some(-7),
            Form::Fraction => Some(2),
            Form::IntText | Form::PaddedIntText => Some(12),
            _ => None,
        }
    }

    fn as_bool(self) -> Option<bool> {
        match self {
            Form::True | Form::TrueText => Some(true),
            Form::FalseText => Some(false),
            _ => None,
        }
    }

    /// A list of strings keeps its strings and numbers; anything else is empty.
    fn as_strings(self) -> Vec<String> {
        match self {
            Form::List => vec!["a".into(), "1".into()],
            _ => Vec::new(),
        }
    }

    fn as_timestamp(self) -> Option<DateTime<Utc>> {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single()?;
        match self {
            Form::Date => Some(at),
            Form::PaddedDate => {
                Some(at - chrono::TimeDelta::hours(2) + chrono::TimeDelta::milliseconds(500))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Case {
    Bytes(Vec<u8>),
    /// A JSON value, sent as is or damaged.
    Json(Value, Option<Damage>),
    /// Nesting this deep, as arrays or objects.
    Deep(usize, bool),
    /// Forms of the fields of a template and of a sandbox.
    Lenient(Vec<Form>),
    RetryAfter(RetryAfter),
}

#[derive(Debug, Clone)]
enum RetryAfter {
    Text(String),
    Seconds(u64),
    Float(f64, bool),
    /// An HTTP date this many seconds after `now`, in a time zone this many minutes off UTC.
    Date {
        now: i64,
        after: i64,
        offset_minutes: i32,
    },
}

fn case() -> impl Strategy<Value = Case> {
    let shape = (select(shapes()), vec(mutation(), 0..6)).prop_map(|(shape, m)| mutate(shape, &m));
    prop_oneof![
        1 => vec(any::<u8>(), 0..256).prop_map(Case::Bytes),
        2 => (json_value(), proptest::option::of(damage())).prop_map(|(v, d)| Case::Json(v, d)),
        5 => (shape, proptest::option::weighted(0.25, damage())).prop_map(|(v, d)| Case::Json(v, d)),
        1 => (0usize..2000, any::<bool>()).prop_map(|(depth, arrays)| Case::Deep(depth, arrays)),
        2 => vec(select(FORMS), 16).prop_map(Case::Lenient),
        2 => prop_oneof![
            any::<String>().prop_map(RetryAfter::Text),
            select(&["", " 5 ", "+5", "-0", "-1", "inf", "-inf", "NaN", "1e400", "5s", "0x10",
                     "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 31 Dec 262143 23:59:59 +0000"][..])
                .prop_map(|s| RetryAfter::Text(s.to_owned())),
            any::<u64>().prop_map(RetryAfter::Seconds),
            (any::<f64>(), any::<bool>()).prop_map(|(f, exp)| RetryAfter::Float(f, exp)),
            (0i64..4_000_000_000, -200_000i64..200_000, -1439i32..1440)
                .prop_map(|(now, after, offset_minutes)| RetryAfter::Date { now, after, offset_minutes }),
        ]
        .prop_map(Case::RetryAfter),
    ]
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> crate::Result<T> {
    let request = ApiRequest::new(Method::GET, "/v1/fuzz", "a fuzzed answer");
    RawResponse {
        status: 200,
        request_id: None,
        bytes: bytes.to_vec(),
        attempts: 1,
    }
    .json(&request)
}

/// A decode error is a `Decode` error that quotes nothing from the body. The request id is the
/// one thing taken from the body on purpose (it is for support), so it is left out.
fn check_decode<T>(what: &str, result: &crate::Result<T>) -> TestCaseResult {
    let Err(e) = result else {
        return Ok(());
    };
    prop_assert_eq!(e.code(), ErrorCode::Decode, "{}: {}", what, e);
    prop_assert_eq!(e.status(), Some(200));
    let request_id = e
        .request_id()
        .map(|id| format!("{id:?}"))
        .unwrap_or_else(|| "\u{0}".into());
    for (part, text) in error_texts(e) {
        assert_absent(
            &format!("{what} decode error {part}"),
            &text.replace(&request_id, ""),
            MARKER,
        )?;
    }
    Ok(())
}

/// Every type the client decodes: never a panic, never a quoted body. Returns which decoded.
fn decode_all(bytes: &[u8]) -> Result<BTreeMap<&'static str, bool>, TestCaseError> {
    let mut ok = BTreeMap::new();
    macro_rules! each {
        ($($name:literal => $ty:ty),* $(,)?) => {$(
            let result = decode::<$ty>(bytes);
            check_decode($name, &result)?;
            ok.insert($name, result.is_ok());
        )*};
    }
    each! {
        "template list" => TemplateList,
        "template" => Template,
        "sandbox" => SandboxInfo,
        "sandbox with token" => SandboxWithToken,
        "optional sandbox" => Option<SandboxInfo>,
        "sandbox page" => SandboxPage,
        "background execution" => BackgroundExecution,
        "process list" => ProcessList,
        "execution" => Execution,
        "command" => Command,
        "file list" => FileList,
        "file content" => FileContent,
        "exists" => Exists,
        "env" => EnvAnswer,
        "nothing" => Option<IgnoredAny>,
        "health" => Value,
    }
    Ok(ok)
}

/// Everything the error body parser returns was in the body, and the status mapping follows
/// the documented table.
fn check_error_body(bytes: &[u8]) -> TestCaseResult {
    let body = parse_error_body(bytes);
    let Ok(root @ Value::Object(_)) = serde_json::from_slice::<Value>(bytes) else {
        prop_assert_eq!(&body, &ErrorBody::default());
        return check_statuses(&body);
    };
    let mut strings = Vec::new();
    let mut objects = Vec::new();
    collect(&root, &mut strings, &mut objects);
    for text in [&body.message, &body.code, &body.request_id]
        .into_iter()
        .flatten()
    {
        prop_assert!(
            !text.is_empty() && strings.contains(&text.as_str()),
            "{:?} from {}",
            text,
            root
        );
    }
    if let Some(details) = &body.details {
        prop_assert!(
            details.is_object() && objects.contains(&details),
            "{} from {}",
            details,
            root
        );
    }
    check_statuses(&body)
}

fn collect<'a>(value: &'a Value, strings: &mut Vec<&'a str>, objects: &mut Vec<&'a Value>) {
    match value {
        Value::String(s) => strings.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect(v, strings, objects)),
        Value::Object(map) => {
            objects.push(value);
            map.values().for_each(|v| collect(v, strings, objects));
        }
        _ => {}
    }
}

fn check_statuses(body: &ErrorBody) -> TestCaseResult {
    let agent_code = body.code.as_deref().and_then(ErrorCode::from_agent_code);
    for status in [
        400, 401, 402, 403, 404, 409, 410, 418, 422, 429, 500, 503, 599, 0, 302, 999,
    ] {
        let code = code_for_status(status, body);
        let expected: &[ErrorCode] = match (agent_code, status) {
            (Some(agent), _) => &[agent],
            (None, 400) => &[ErrorCode::Validation],
            (None, 401) => &[ErrorCode::Authentication, ErrorCode::TokenExpired],
            (None, 402) => &[ErrorCode::PaymentRequired],
            (None, 403) => &[ErrorCode::PermissionDenied, ErrorCode::ResourceLimit],
            (None, 404) => &[ErrorCode::NotFound],
            (None, 409) => &[ErrorCode::Conflict],
            (None, 410) => &[ErrorCode::Gone],
            (None, 422) => &[ErrorCode::UnprocessableEntity],
            (None, 429) => &[ErrorCode::RateLimited],
            (None, 500..=599) => &[ErrorCode::Server],
            (None, _) => &[ErrorCode::Api],
        };
        prop_assert!(
            expected.contains(&code),
            "HTTP {} with {:?} gave {:?}",
            status,
            body,
            code
        );
    }
    Ok(())
}

/// The body is a JSON object exactly as generated: every lenient type reads it, and a list
/// type reads it exactly when its list is `null` or a list of objects.
fn check_object(root: &Value, decoded: &BTreeMap<&'static str, bool>) -> TestCaseResult {
    let Value::Object(map) = root else {
        return Ok(());
    };
    for always in [
        "template",
        "sandbox",
        "sandbox with token",
        "optional sandbox",
        "execution",
        "command",
        "file content",
        "exists",
        "nothing",
        "health",
    ] {
        prop_assert!(decoded[always], "{} refused {}", always, root);
    }
    let list_ok = |field: &str| match map.get(field) {
        Some(Value::Null) => true,
        Some(Value::Array(items)) => items.iter().all(Value::is_object),
        _ => false,
    };
    for (name, field) in [
        ("template list", "data"),
        ("sandbox page", "data"),
        ("file list", "files"),
        ("process list", "processes"),
    ] {
        prop_assert_eq!(decoded[name], list_ok(field), "{} of {}", name, root);
    }
    let id_ok = match map.get("process_id") {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(_) | Value::Bool(_)) => true,
        _ => false,
    };
    prop_assert_eq!(decoded["background execution"], id_ok, "{}", root);
    // A create answer is a sandbox plus its token: the sandbox part reads the same either way.
    let bytes = root.to_string();
    if let (Ok(info), Ok(with_token)) = (
        decode::<SandboxInfo>(bytes.as_bytes()),
        decode::<SandboxWithToken>(bytes.as_bytes()),
    ) {
        prop_assert_eq!(info, with_token.info);
    }
    Ok(())
}

/// A template and a sandbox whose fields come in every documented form read as documented.
fn check_lenient(forms: &[Form]) -> TestCaseResult {
    let f = |i: usize| forms[i];
    let object = |fields: &[(&str, usize)]| {
        let map: serde_json::Map<String, Value> = fields
            .iter()
            .filter_map(|&(name, i)| Some((name.to_owned(), f(i).json()?)))
            .collect();
        Value::Object(map)
    };
    let template_json = object(&[
        ("id", 0),
        ("popularity_score", 1),
        ("is_active", 2),
        ("is_public", 3),
        ("features", 4),
        ("default_resources", 5),
        ("name", 6),
    ]);
    let sandbox_json = object(&[
        ("id", 7),
        ("organization_id", 8),
        ("live_mode", 9),
        ("expires_at", 10),
        ("resources", 11),
        ("timeout_seconds", 12),
        ("created_at", 13),
    ]);
    let t: Template = decode(template_json.to_string().as_bytes())
        .map_err(|e| TestCaseError::fail(format!("{e} for {template_json}")))?;
    prop_assert_eq!(t.id, f(0).as_string());
    prop_assert_eq!(t.popularity_score, f(1).as_int());
    prop_assert_eq!(t.is_active, f(2).as_bool().unwrap_or(true));
    prop_assert_eq!(t.is_public, f(3).as_bool());
    prop_assert_eq!(t.features, f(4).as_strings());
    let resources = (f(5) == Form::Object).then_some(TemplateResources {
        vcpu: Some(2),
        memory_mb: Some(1024),
        disk_gb: None,
    });
    prop_assert_eq!(t.default_resources, resources);
    prop_assert_eq!(t.name, f(6).as_string());

    let s: SandboxInfo = decode(sandbox_json.to_string().as_bytes())
        .map_err(|e| TestCaseError::fail(format!("{e} for {sandbox_json}")))?;
    prop_assert_eq!(s.sandbox_id, f(7).as_string());
    prop_assert_eq!(s.organization_id, f(8).as_int());
    prop_assert_eq!(s.live_mode, f(9).as_bool());
    prop_assert_eq!(s.expires_at, f(10).as_timestamp());
    let resources = (f(11) == Form::Object).then_some(Resources {
        vcpu: Some(2),
        memory_mb: Some(1024),
        disk_mb: Some(3),
    });
    prop_assert_eq!(s.resources, resources);
    prop_assert_eq!(s.timeout_seconds, f(12).as_int());
    prop_assert_eq!(s.created_at, f(13).as_timestamp());

    // `data` may be null (no results) but must be there, and be a list of objects when set.
    let list = match f(14).json() {
        Some(data) => json!({"data": data, "has_more": f(15).json()}),
        None => json!({"has_more": f(15).json()}),
    };
    let page = decode::<SandboxPage>(list.to_string().as_bytes());
    match f(14) {
        Form::Null => {
            let page = page.map_err(|e| TestCaseError::fail(format!("{e} for {list}")))?;
            prop_assert!(page.data.is_empty());
            prop_assert_eq!(page.has_more, f(15).as_bool());
        }
        // ["a", 1, ...] holds non-objects: the wrong shape, like every non-list.
        _ => prop_assert!(page.is_err(), "{} read as a page", list),
    }
    Ok(())
}

fn check_retry_after(case: &RetryAfter) -> TestCaseResult {
    const DAY: Duration = Duration::from_secs(86_400);
    let epoch = |s: i64| Utc.timestamp_opt(s, 0).single().unwrap_or_default();
    let (text, now, expected) = match *case {
        RetryAfter::Text(ref text) => (text.clone(), epoch(1_700_000_000), None),
        RetryAfter::Seconds(n) => (
            n.to_string(),
            epoch(0),
            Some(Some(Duration::from_secs(n).min(DAY))),
        ),
        RetryAfter::Float(f, exponent) => {
            let text = if exponent {
                format!("{f:e}")
            } else {
                f.to_string()
            };
            let expected = if f.is_nan() || f < 0.0 {
                None
            } else {
                Some(Duration::from_secs_f64(f.min(86_400.0)))
            };
            // Whole numbers go the integer way; both must agree anyway.
            (text, epoch(0), Some(expected))
        }
        RetryAfter::Date {
            now,
            after,
            offset_minutes,
        } => {
            let zone = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix());
            let at = epoch(now + after).with_timezone(&zone);
            let wait = Duration::from_secs(after.max(0).unsigned_abs()).min(DAY);
            (at.to_rfc2822(), epoch(now), Some(Some(wait)))
        }
    };
    let parsed = parse_retry_after(&text, now);
    if let Some(wait) = parsed {
        prop_assert!(wait <= DAY, "{:?} gave {:?}", text, wait);
    }
    if let Some(expected) = expected {
        let close = match (parsed, expected) {
            (Some(a), Some(b)) => a.abs_diff(b) <= Duration::from_millis(1),
            (a, b) => a == b,
        };
        prop_assert!(
            close,
            "{:?} gave {:?}, expected {:?}",
            text,
            parsed,
            expected
        );
    }
    if let RetryAfter::Float(f, _) = *case {
        let wait = seconds_to_duration(f);
        prop_assert_eq!(wait.is_none(), f.is_nan() || f < 0.0, "{}", f);
        prop_assert!(wait.is_none_or(|w| w <= DAY));
    }
    Ok(())
}

#[test]
fn response_decoding() {
    run("response_decoding", 256, case(), |case| match &case {
        Case::Bytes(bytes) => {
            check_error_body(bytes)?;
            decode_all(bytes).map(drop)
        }
        Case::Json(value, damage) => {
            let bytes = value.to_string().into_bytes();
            let bytes = match damage {
                Some(d) => damaged(bytes, d),
                None => bytes,
            };
            check_error_body(&bytes)?;
            let decoded = decode_all(&bytes)?;
            if damage.is_none() {
                check_object(value, &decoded)?;
            }
            Ok(())
        }
        Case::Deep(depth, arrays) => {
            let (open, close) = if *arrays {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            let body = format!(
                "{{\"data\":{}null{}}}",
                open.repeat(*depth),
                close.repeat(*depth)
            );
            check_error_body(body.as_bytes())?;
            decode_all(body.as_bytes()).map(drop)
        }
        Case::Lenient(forms) => check_lenient(forms),
        Case::RetryAfter(retry_after) => check_retry_after(retry_after),
    });
}
