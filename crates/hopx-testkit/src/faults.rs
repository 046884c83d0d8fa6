//! `faults` mode: a reverse proxy that misbehaves on cue.
//!
//! A test posts a script of rules to `POST /__faults`; each later request is matched against
//! them in order and the first rule with uses left decides its fate (an error status, a hang,
//! a FIN or RST, a cut or oversized body, an unknown JSON field). Unmatched requests are
//! forwarded unchanged. `GET /__faults/log` tells the test what arrived when (to check retry
//! counts and backoff delays); `POST /__faults/reset` empties that log. Control requests are
//! never faulted nor logged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::http1::{self, Conn, Framing, Header, RequestHead};

/// How long a `hang` keeps an unanswered connection open if the client never gives up.
const HANG_LIMIT: Duration = Duration::from_secs(120);
/// A client that stops reading without closing would otherwise block a `huge_body` write
/// forever.
const WRITE_LIMIT: Duration = Duration::from_secs(120);
const HUGE_PIECE: usize = 64 * 1024;
const HUGE_PREFIX: &[u8] = b"{\"data\":[";

#[derive(Debug)]
pub struct State {
    client: reqwest::Client,
    upstream: String,
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<Armed>,
    log: Vec<LogEntry>,
}

#[derive(Debug)]
struct Armed {
    rule: Rule,
    /// `None`: applies forever.
    left: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    rules: Vec<Rule>,
}

// Unknown fields are refused so that a typo in a test's script ("time": 1) fails loudly
// instead of silently becoming "always".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    method: Option<String>,
    path: Option<String>,
    path_prefix: Option<String>,
    times: Option<u64>,
    fault: Fault,
}

impl Rule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| p == path)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }

    fn validate(&self) -> Result<(), String> {
        if self.path.is_some() == self.path_prefix.is_some() {
            return Err("each rule needs exactly one of \"path\" and \"path_prefix\"".into());
        }
        match &self.fault {
            Fault::Status {
                status, headers, ..
            } => {
                check_status(*status)?;
                for (name, value) in headers {
                    // Checked so that a script cannot smuggle CR/LF into the response head.
                    hyper::header::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| format!("bad header name {name:?}"))?;
                    hyper::header::HeaderValue::from_str(value)
                        .map_err(|_| format!("bad value for header {name:?}"))?;
                }
                Ok(())
            }
            Fault::EmptyBody { status } => check_status(*status),
            _ => Ok(()),
        }
    }
}

fn check_status(status: u16) -> Result<(), String> {
    if (200..=999).contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "status {status} is not a final HTTP status (200..=999)"
        ))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Fault {
    Status {
        status: u16,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: Option<Value>,
        #[serde(default)]
        forward_first: bool,
    },
    Hang {
        #[serde(default)]
        forward_first: bool,
    },
    Close {
        #[serde(default)]
        forward_first: bool,
    },
    Reset {
        #[serde(default)]
        forward_first: bool,
    },
    CloseMidBody,
    Truncate,
    EmptyBody {
        #[serde(default = "ok_status")]
        status: u16,
    },
    ExtraField {
        name: String,
        value: Value,
    },
    HugeBody {
        bytes: u64,
        #[serde(default = "yes")]
        content_length: bool,
    },
}

fn ok_status() -> u16 {
    200
}

fn yes() -> bool {
    true
}

impl Fault {
    fn kind(&self) -> &'static str {
        match self {
            Self::Status { .. } => "status",
            Self::Hang { .. } => "hang",
            Self::Close { .. } => "close",
            Self::Reset { .. } => "reset",
            Self::CloseMidBody => "close_mid_body",
            Self::Truncate => "truncate",
            Self::EmptyBody { .. } => "empty_body",
            Self::ExtraField { .. } => "extra_field",
            Self::HugeBody { .. } => "huge_body",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct LogEntry {
    method: String,
    path: String,
    query: Option<String>,
    at_ms: f64,
    rule: Option<usize>,
    fault: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct LogResponse {
    requests: Vec<LogEntry>,
}

/// What to do with the connection after an exchange.
enum Next {
    KeepAlive,
    Close,
}

impl State {
    pub fn new(upstream: &str) -> Result<Arc<Self>, String> {
        Ok(Arc::new(Self {
            client: http1::forwarding_client()?,
            upstream: http1::upstream_base(upstream)?,
            started: Instant::now(),
            inner: Mutex::default(),
        }))
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs the request and picks its rule, in one critical section so that the log order,
    /// the `at_ms` order and the order in which rule counters run down all agree.
    fn record(&self, head: &RequestHead) -> Option<(usize, Fault)> {
        let (path, query) = head.path_and_query();
        let mut inner = self.inner();
        let at_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let matched = inner
            .rules
            .iter_mut()
            .enumerate()
            .find(|(_, armed)| armed.left != Some(0) && armed.rule.matches(&head.method, path))
            .map(|(index, armed)| {
                if let Some(left) = &mut armed.left {
                    *left -= 1;
                }
                (index, armed.rule.fault.clone())
            });
        inner.log.push(LogEntry {
            method: head.method.clone(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            at_ms,
            rule: matched.as_ref().map(|(index, _)| *index),
            fault: matched.as_ref().map(|(_, fault)| fault.kind()),
        });
        matched
    }

    fn control(&self, method: &str, path: &str, body: &[u8], close: bool) -> Vec<u8> {
        let ok = || http1::json_response(200, &serde_json::json!({}), close);
        match (method, path) {
            ("POST", "/__faults") => match parse_script(body) {
                Ok(rules) => {
                    self.inner().rules = rules;
                    ok()
                }
                Err(message) => http1::error_response(400, &message, close),
            },
            ("GET", "/__faults/log") => {
                let log = self.inner().log.clone();
                http1::json_response(200, &LogResponse { requests: log }, close)
            }
            ("POST", "/__faults/reset") => {
                self.inner().log.clear();
                ok()
            }
            (_, "/__faults" | "/__faults/log" | "/__faults/reset") => {
                http1::error_response(405, "method not allowed", close)
            }
            _ => http1::error_response(404, "no such control endpoint", close),
        }
    }

    async fn forward(
        &self,
        head: &RequestHead,
        body: Option<Vec<u8>>,
    ) -> Result<http1::Forwarded, String> {
        let url = format!("{}{}", self.upstream, head.target);
        let headers = head.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
        http1::forward(&self.client, &head.method, &url, headers, body).await
    }
}

fn parse_script(body: &[u8]) -> Result<Vec<Armed>, String> {
    let script: Script =
        serde_json::from_slice(body).map_err(|e| format!("bad fault script: {e}"))?;
    script
        .rules
        .into_iter()
        .enumerate()
        .map(|(index, rule)| {
            rule.validate()
                .map_err(|e| format!("bad fault script: rule {index}: {e}"))?;
            Ok(Armed {
                left: rule.times,
                rule,
            })
        })
        .collect()
}

pub async fn serve(listener: TcpListener, state: Arc<State>) {
    http1::accept_loop(listener, move |stream| handle(Arc::clone(&state), stream)).await;
}

fn is_control(path: &str) -> bool {
    path == "/__faults" || path.starts_with("/__faults/")
}

async fn handle(state: Arc<State>, stream: TcpStream) {
    let mut conn = Conn::new(stream);
    loop {
        let head = match conn.read_head().await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(_) => {
                let reply = http1::error_response(400, "bad request", true);
                let _ = conn.stream.write_all(&reply).await;
                return;
            }
        };
        let close = head.wants_close();
        if !head.target.starts_with('/') {
            let reply = http1::error_response(400, "faults mode takes origin-form targets", true);
            let _ = conn.stream.write_all(&reply).await;
            return;
        }
        let (path, _) = head.path_and_query();
        if is_control(path) {
            let Ok(body) = conn.read_body(&head).await else {
                return;
            };
            let reply = state.control(&head.method, path, &body.unwrap_or_default(), close);
            if conn.stream.write_all(&reply).await.is_err() || close {
                return;
            }
            continue;
        }

        let matched = state.record(&head);
        let Ok(body) = conn.read_body(&head).await else {
            return;
        };
        let next = match matched {
            None => plain(&state, &mut conn, &head, body, close).await,
            Some((_, fault)) => apply(&state, &mut conn, &head, body, fault, close).await,
        };
        if close || matches!(next, Next::Close) {
            return;
        }
    }
}

async fn send(conn: &mut Conn, bytes: &[u8]) -> Next {
    match conn.stream.write_all(bytes).await {
        Ok(()) => Next::KeepAlive,
        Err(_) => Next::Close,
    }
}

fn bad_gateway(message: &str, close: bool) -> Vec<u8> {
    http1::error_response(502, &format!("hopx-testkit: upstream: {message}"), close)
}

async fn plain(
    state: &State,
    conn: &mut Conn,
    head: &RequestHead,
    body: Option<Vec<u8>>,
    close: bool,
) -> Next {
    let reply = match state.forward(head, body).await {
        Ok(f) => http1::encode_response(f.status, &f.headers, &f.body, head.is_head(), close),
        Err(e) => bad_gateway(&e, close),
    };
    send(conn, &reply).await
}

async fn apply(
    state: &State,
    conn: &mut Conn,
    head: &RequestHead,
    body: Option<Vec<u8>>,
    fault: Fault,
    close: bool,
) -> Next {
    match fault {
        Fault::Status {
            status,
            headers,
            body: reply_body,
            forward_first,
        } => {
            if forward_first {
                let _ = state.forward(head, body).await;
            }
            let (content_type, bytes) = match reply_body {
                None => (None, Vec::new()),
                Some(Value::String(text)) => (Some("text/plain; charset=utf-8"), text.into_bytes()),
                Some(json) => (Some("application/json"), json.to_string().into_bytes()),
            };
            let mut reply_headers: Vec<Header> = Vec::new();
            if let Some(content_type) = content_type
                && !headers
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case("content-type"))
            {
                reply_headers.push(("Content-Type".into(), content_type.into()));
            }
            reply_headers.extend(headers.into_iter().map(|(n, v)| (n, v.into_bytes())));
            let reply =
                http1::encode_response(status, &reply_headers, &bytes, head.is_head(), close);
            send(conn, &reply).await
        }
        Fault::Hang { forward_first } => {
            if forward_first {
                let _ = state.forward(head, body).await;
            }
            conn.drain_until_closed(HANG_LIMIT).await;
            Next::Close
        }
        Fault::Close { forward_first } => {
            if forward_first {
                let _ = state.forward(head, body).await;
            }
            // The request was read to its end, so the receive queue is empty and the kernel
            // sends a FIN (unread data would turn the close into a RST).
            let _ = conn.stream.shutdown().await;
            Next::Close
        }
        Fault::Reset { forward_first } => {
            if forward_first {
                let _ = state.forward(head, body).await;
            }
            // SO_LINGER 0: the drop that follows aborts the connection with a RST.
            let _ = conn.stream.set_zero_linger();
            Next::Close
        }
        Fault::CloseMidBody => match state.forward(head, body).await {
            Ok(f) => {
                let mut out = http1::encode_head(
                    f.status,
                    &f.headers,
                    Framing::Length(f.body.len() as u64),
                    false,
                );
                out.extend_from_slice(&f.body[..f.body.len() / 2]);
                if conn.stream.write_all(&out).await.is_ok() {
                    let _ = conn.stream.shutdown().await;
                }
                Next::Close
            }
            Err(e) => send(conn, &bad_gateway(&e, close)).await,
        },
        Fault::Truncate => match state.forward(head, body).await {
            Ok(f) => {
                let half = &f.body[..f.body.len() / 2];
                let reply =
                    http1::encode_response(f.status, &f.headers, half, head.is_head(), close);
                send(conn, &reply).await
            }
            Err(e) => send(conn, &bad_gateway(&e, close)).await,
        },
        Fault::EmptyBody { status } => {
            let headers = [("Content-Type".to_owned(), b"application/json".to_vec())];
            let reply = http1::encode_head(status, &headers, Framing::Length(0), close);
            send(conn, &reply).await
        }
        Fault::ExtraField { name, value } => match state.forward(head, body).await {
            Ok(f) => {
                let body = add_field(&f.body, &name, &value).unwrap_or_else(|| f.body.to_vec());
                let reply =
                    http1::encode_response(f.status, &f.headers, &body, head.is_head(), close);
                send(conn, &reply).await
            }
            Err(e) => send(conn, &bad_gateway(&e, close)).await,
        },
        Fault::HugeBody {
            bytes,
            content_length,
        } => write_huge(&mut conn.stream, bytes, content_length, close).await,
    }
}

/// The body with `name` added at the top level and to every object in a top-level `data`
/// array (list endpoints); `None` if the body is not a JSON object.
fn add_field(body: &[u8], name: &str, value: &Value) -> Option<Vec<u8>> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    if let Some(Value::Array(items)) = object.get_mut("data") {
        for item in items.iter_mut() {
            if let Value::Object(item) = item {
                item.insert(name.to_owned(), value.clone());
            }
        }
    }
    object.insert(name.to_owned(), value.clone());
    serde_json::to_vec(&object).ok()
}

/// `{"data":[` then spaces, `total` bytes in all, written piece by piece so that a 256 MiB
/// body costs 64 KiB of memory; stops at the first failed write (the client gave up).
async fn write_huge(stream: &mut TcpStream, total: u64, content_length: bool, close: bool) -> Next {
    let framing = if content_length {
        Framing::Length(total)
    } else {
        Framing::Chunked
    };
    let headers = [("Content-Type".to_owned(), b"application/json".to_vec())];
    let head = http1::encode_head(200, &headers, framing, close);
    if !write_bounded(stream, &head).await {
        return Next::Close;
    }
    let mut piece = vec![b' '; HUGE_PIECE];
    let prefix = HUGE_PREFIX.len().min(HUGE_PIECE);
    piece[..prefix].copy_from_slice(&HUGE_PREFIX[..prefix]);
    let mut framed = Vec::with_capacity(HUGE_PIECE + 16);
    let mut sent = 0u64;
    while sent < total {
        let n = usize::try_from((total - sent).min(HUGE_PIECE as u64)).unwrap_or(HUGE_PIECE);
        let data = &piece[..n];
        let ok = if content_length {
            write_bounded(stream, data).await
        } else {
            framed.clear();
            framed.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            framed.extend_from_slice(data);
            framed.extend_from_slice(b"\r\n");
            write_bounded(stream, &framed).await
        };
        if !ok {
            return Next::Close;
        }
        if sent == 0 {
            // Only the first piece carries the prefix; the rest is padding.
            piece[..prefix].fill(b' ');
        }
        sent += n as u64;
    }
    if !content_length && !write_bounded(stream, b"0\r\n\r\n").await {
        return Next::Close;
    }
    Next::KeepAlive
}

async fn write_bounded(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(WRITE_LIMIT, stream.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_validate() {
        let ok = br#"{"rules":[
            {"method":"POST","path":"/v1/sandboxes","times":1,
             "fault":{"kind":"status","status":429,"headers":{"Retry-After":"2"},"body":{"e":1}}},
            {"path_prefix":"/v1/","times":null,"fault":{"kind":"hang","forward_first":true}},
            {"path":"/a","fault":{"kind":"close_mid_body"}},
            {"path":"/a","fault":{"kind":"empty_body"}},
            {"path":"/a","fault":{"kind":"huge_body","bytes":10}}
        ]}"#;
        let rules = parse_script(ok).unwrap();
        assert_eq!(rules.len(), 5);
        assert_eq!(rules[0].left, Some(1));
        assert_eq!(rules[1].left, None);
        assert!(matches!(
            rules[3].rule.fault,
            Fault::EmptyBody { status: 200 }
        ));
        assert!(matches!(
            rules[4].rule.fault,
            Fault::HugeBody {
                content_length: true,
                ..
            }
        ));

        for bad in [
            &br#"{"rules":[{"fault":{"kind":"close"}}]}"#[..],
            br#"{"rules":[{"path":"/a","path_prefix":"/","fault":{"kind":"close"}}]}"#,
            br#"{"rules":[{"path":"/a","time":1,"fault":{"kind":"close"}}]}"#,
            br#"{"rules":[{"path":"/a","fault":{"kind":"explode"}}]}"#,
            br#"{"rules":[{"path":"/a","fault":{"kind":"close","forward_fist":true}}]}"#,
            br#"{"rules":[{"path":"/a","fault":{"kind":"status","status":99}}]}"#,
            br#"{"rules":[{"path":"/a","fault":{"kind":"status","status":500,"headers":{"X":"a\r\nb"}}}]}"#,
            b"not json",
        ] {
            assert!(parse_script(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn extra_field_reaches_list_items() {
        let body = br#"{"data":[{"id":"a"},{"id":"b"},3],"next":null}"#;
        let out = add_field(body, "x", &serde_json::json!({"y":1})).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["x"]["y"], 1);
        assert_eq!(v["data"][0]["x"]["y"], 1);
        assert_eq!(v["data"][1]["x"]["y"], 1);
        assert_eq!(v["data"][2], 3);
        assert!(add_field(b"[1,2]", "x", &Value::Null).is_none());
    }
}
