//! `proxy` mode: a plain HTTP forward proxy, so that tests can check that the SDK sends its
//! traffic through a configured proxy (absolute-form for `http://`, `CONNECT` tunnels for
//! `https://`) and authenticates to it. `GET /__proxy/log`, sent to the proxy itself,
//! lists what went through. Header values (credentials included) are never recorded.

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::http1::{self, Conn, RequestHead};

#[derive(Debug)]
pub struct State {
    client: reqwest::Client,
    /// `USER:PASS` that `Proxy-Authorization: Basic` must carry; `None`: no auth.
    credentials: Option<String>,
    log: Mutex<Vec<LogEntry>>,
}

#[derive(Debug, Clone, Serialize)]
struct LogEntry {
    method: String,
    target: String,
    /// Whether the request was let through (always true without `--auth`).
    authorized: bool,
}

#[derive(Debug, Serialize)]
struct LogResponse {
    requests: Vec<LogEntry>,
}

impl State {
    pub fn new(auth: Option<&str>) -> Result<Arc<Self>, String> {
        if let Some(auth) = auth
            && !auth.contains(':')
        {
            return Err("--auth must be USER:PASS".into());
        }
        Ok(Arc::new(Self {
            client: http1::forwarding_client()?,
            credentials: auth.map(str::to_owned),
            log: Mutex::default(),
        }))
    }

    fn authorized(&self, head: &RequestHead) -> bool {
        let Some(expected) = &self.credentials else {
            return true;
        };
        let Some(value) = head.header("proxy-authorization") else {
            return false;
        };
        let value = String::from_utf8_lossy(value);
        let Some((scheme, encoded)) = value.trim().split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("basic")
            && base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .is_ok_and(|decoded| decoded == expected.as_bytes())
    }

    fn record(&self, head: &RequestHead, authorized: bool) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(LogEntry {
                method: head.method.clone(),
                target: head.target.clone(),
                authorized,
            });
    }

    fn log_response(&self, close: bool) -> Vec<u8> {
        let log = self
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        http1::json_response(200, &LogResponse { requests: log }, close)
    }
}

pub async fn serve(listener: TcpListener, state: Arc<State>) {
    http1::accept_loop(listener, move |stream| handle(Arc::clone(&state), stream)).await;
}

fn auth_required(close: bool) -> Vec<u8> {
    let headers = [
        (
            "Proxy-Authenticate".to_owned(),
            b"Basic realm=\"hopx-testkit\"".to_vec(),
        ),
        ("Content-Type".to_owned(), b"text/plain".to_vec()),
    ];
    http1::encode_response(
        407,
        &headers,
        b"proxy authentication required\n",
        false,
        close,
    )
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

        if head.method.eq_ignore_ascii_case("CONNECT") {
            let authorized = state.authorized(&head);
            state.record(&head, authorized);
            if !authorized {
                // Keep the connection: clients retry CONNECT on it with credentials.
                if conn.stream.write_all(&auth_required(close)).await.is_err() || close {
                    return;
                }
                continue;
            }
            tunnel(conn, &head.target).await;
            return;
        }

        let Ok(body) = conn.read_body(&head).await else {
            return;
        };
        let reply = if head.target.starts_with('/') {
            // Origin-form: addressed to the proxy itself, not through it.
            match (head.method.as_str(), head.path_and_query().0) {
                ("GET", "/__proxy/log") => state.log_response(close),
                _ => http1::error_response(400, "a proxy takes absolute-form targets", close),
            }
        } else {
            let authorized = state.authorized(&head);
            state.record(&head, authorized);
            if authorized {
                forward(&state, &head, body, close).await
            } else {
                auth_required(close)
            }
        };
        if conn.stream.write_all(&reply).await.is_err() || close {
            return;
        }
    }
}

async fn forward(state: &State, head: &RequestHead, body: Option<Vec<u8>>, close: bool) -> Vec<u8> {
    if reqwest::Url::parse(&head.target).is_err() {
        return http1::error_response(400, "bad absolute-form target", close);
    }
    let headers = head.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
    match http1::forward(&state.client, &head.method, &head.target, headers, body).await {
        Ok(f) => http1::encode_response(f.status, &f.headers, &f.body, head.is_head(), close),
        Err(e) => http1::error_response(502, &format!("hopx-testkit: {e}"), close),
    }
}

/// Answers the CONNECT and relays bytes both ways until both sides are done.
async fn tunnel(conn: Conn, target: &str) {
    let (mut client, early) = conn.into_parts();
    let mut origin = match TcpStream::connect(target).await {
        Ok(origin) => origin,
        Err(e) => {
            let reply =
                http1::error_response(502, &format!("cannot connect to {target}: {e}"), true);
            let _ = client.write_all(&reply).await;
            return;
        }
    };
    let _ = origin.set_nodelay(true);
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // A client may send its first bytes (a TLS ClientHello) without waiting for our 200;
    // they are already in our read buffer.
    if !early.is_empty() && origin.write_all(&early).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
}
