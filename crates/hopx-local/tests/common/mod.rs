//! Test helpers: an in-process server and a minimal HTTP/1.1 client over a raw
//! `TcpStream`, so tests control connection reuse exactly and need no HTTP client
//! crate.

#![allow(dead_code)] // each test binary uses a different subset

pub mod agent;

use std::{future::Future, net::SocketAddr, time::Duration};

use hopx_local::{RunningServer, ServerConfig};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub const KEY_A: &str = "hopx_live_AAAAAAAAAAA1.secret-of_org-one";
pub const KEY_B: &str = "hopx_live_BBBBBBBBBBB2.secret-of_org-two";
/// Well-formed but not configured on the test servers.
pub const KEY_UNKNOWN: &str = "hopx_live_CCCCCCCCCCC3.not-a-server-key";

/// Upper bound for any single step of a test.
pub const STEP: Duration = Duration::from_secs(10);

pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A server on 127.0.0.1 with a free port and two organizations (KEY_A = 1, KEY_B = 2).
pub async fn start() -> RunningServer {
    let config = ServerConfig::new(vec![KEY_A.to_owned(), KEY_B.to_owned()]);
    within("bind", hopx_local::bind(config))
        .await
        .expect("server starts")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn request_id(&self) -> &str {
        let id = self.header("x-request-id").expect("X-Request-ID header");
        assert!(id.starts_with("req_") && id.len() == 20, "request id {id}");
        assert!(
            id[4..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "request id {id}"
        );
        id
    }

    /// Asserts the error envelope and returns `error`.
    pub fn error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "content type"
        );
        let body = self.json();
        let error = body["error"].clone();
        assert_eq!(error["code"], code, "body: {body}");
        assert!(
            error["message"].as_str().is_some_and(|m| m.len() > 10),
            "message: {body}"
        );
        assert_eq!(error["request_id"], self.request_id());
        assert!(error["details"].is_object(), "details: {body}");
        error
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = within("connect", TcpStream::connect(addr))
            .await
            .expect("connect");
        Self {
            stream,
            buf: Vec::new(),
            host: addr.to_string(),
        }
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        within(
            &format!("{method} {path}"),
            self.exchange(method, path, headers, body),
        )
        .await
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await.expect("write request");
        self.read_response().await
    }

    async fn fill(&mut self) {
        // Reads straight into the heap buffer: a stack array here would make every
        // request future large.
        self.buf.reserve(8192);
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .expect("read response");
        assert!(n > 0, "connection closed before a full response");
    }

    async fn read_response(&mut self) -> Response {
        let head_end = loop {
            if let Some(pos) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos;
            }
            self.fill().await;
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).expect("ASCII head");
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let body = if let Some(len) = get("content-length") {
            let len: usize = len.parse().expect("content-length");
            while self.buf.len() < len {
                self.fill().await;
            }
            self.buf.drain(..len).collect()
        } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            self.read_chunked().await
        } else {
            Vec::new()
        };
        Response {
            status,
            headers,
            body,
        }
    }

    async fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break pos;
                }
                self.fill().await;
            };
            let size_line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            self.buf.drain(..line_end + 2);
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .expect("chunk size");
            while self.buf.len() < size + 2 {
                self.fill().await;
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
            if size == 0 {
                return body;
            }
        }
    }
}

/// One request on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    Conn::open(addr)
        .await
        .send(method, path, headers, body)
        .await
}

pub fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

/// GET with `Authorization: Bearer <key>`.
pub async fn get(addr: SocketAddr, path: &str, key: &str) -> Response {
    let auth = bearer(key);
    request(addr, "GET", path, &[("Authorization", &auth)], None).await
}

/// DELETE with `Authorization: Bearer <key>`.
pub async fn delete(addr: SocketAddr, path: &str, key: &str) -> Response {
    let auth = bearer(key);
    request(addr, "DELETE", path, &[("Authorization", &auth)], None).await
}

/// POST of a JSON body with `Authorization: Bearer <key>`.
pub async fn post_json(addr: SocketAddr, path: &str, key: &str, body: &Value) -> Response {
    let auth = bearer(key);
    let bytes = serde_json::to_vec(body).expect("serialize");
    request(
        addr,
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(&bytes),
    )
    .await
}

/// Creates a sandbox and returns its JSON (asserting 201).
pub async fn create_sandbox(addr: SocketAddr, key: &str, body: Value) -> Value {
    let response = post_json(addr, "/v1/sandboxes", key, &body).await;
    assert_eq!(response.status, 201, "create: {}", response.text());
    response.json()
}

/// POST with no body and `Authorization: Bearer <key>`.
pub async fn post_empty(addr: SocketAddr, path: &str, key: &str) -> Response {
    let auth = bearer(key);
    request(addr, "POST", path, &[("Authorization", &auth)], None).await
}

/// PUT of a JSON body with `Authorization: Bearer <key>`.
pub async fn put_json(addr: SocketAddr, path: &str, key: &str, body: &Value) -> Response {
    let auth = bearer(key);
    let bytes = serde_json::to_vec(body).expect("serialize");
    request(
        addr,
        "PUT",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(&bytes),
    )
    .await
}

/// Polls `check` every 50 ms until it returns true, failing after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
