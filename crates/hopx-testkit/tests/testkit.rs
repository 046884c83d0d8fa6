//! End-to-end checks of the `hopx-testkit` binary: each mode is spawned as the SDK test
//! suites spawn it (stdin piped, ready line on stdout) in front of a tiny axum upstream.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TEMPLATES: &str =
    r#"{"data":[{"id":"a","name":"alpha"},{"id":"b","name":"beta"}],"next":null}"#;
/// Bounds every network wait in these tests, so a bug shows up as a failure, not a hang.
const LIMIT: Duration = Duration::from_secs(10);

/// A running `hopx-testkit`; killed when dropped.
struct Kit {
    child: Child,
    stdin: Option<ChildStdin>,
    ready: Value,
}

impl Kit {
    fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hopx-testkit"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn hopx-testkit");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the ready line");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("ready line {line:?} is not JSON: {e}"));
        Self {
            child,
            stdin,
            ready,
        }
    }

    fn url(&self) -> &str {
        self.ready["url"].as_str().expect("url in the ready line")
    }

    fn addr(&self) -> &str {
        self.url().split_once("://").expect("scheme").1
    }

    /// Waits (bounded) for the process to exit by itself.
    fn wait_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.child.try_wait().expect("try_wait").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Kit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The upstream: a few HopX-shaped endpoints, plus a count of created sandboxes so that
/// tests can see whether a request really reached it.
async fn upstream() -> String {
    let created = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route(
            "/v1/templates",
            get(|| async { ([("content-type", "application/json")], TEMPLATES) }),
        )
        .route(
            "/v1/sandboxes",
            post(
                |State(created): State<Arc<AtomicU64>>, body: String| async move {
                    let n = created.fetch_add(1, Ordering::SeqCst) + 1;
                    axum::Json(json!({ "id": format!("sb-{n}"), "received": body }))
                },
            ),
        )
        .route(
            "/created",
            get(|State(created): State<Arc<AtomicU64>>| async move {
                axum::Json(json!({ "created": created.load(Ordering::SeqCst) }))
            }),
        )
        .route(
            "/headers",
            get(|headers: HeaderMap| async move {
                let get = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                axum::Json(json!({
                    "host": get("host"),
                    "x-kept": get("x-kept"),
                    "x-hop": get("x-hop"),
                    "proxy-authorization": get("proxy-authorization"),
                }))
            }),
        )
        .with_state(created);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A bounded client builder; reqwest is built with `rustls-no-provider` and needs a
/// process-wide crypto provider first.
fn builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(LIMIT)
}

fn client() -> reqwest::Client {
    builder().no_proxy().build().expect("client")
}

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("timed out")
}

async fn script(kit: &Kit, rules: Value) {
    let response = client()
        .post(format!("{}/__faults", kit.url()))
        .json(&json!({ "rules": rules }))
        .send()
        .await
        .expect("POST /__faults");
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

async fn fault_log(kit: &Kit) -> Vec<Value> {
    let log: Value = client()
        .get(format!("{}/__faults/log", kit.url()))
        .send()
        .await
        .expect("GET /__faults/log")
        .json()
        .await
        .expect("log JSON");
    log["requests"].as_array().expect("requests").clone()
}

async fn created(upstream: &str) -> u64 {
    let body: Value = client()
        .get(format!("{upstream}/created"))
        .send()
        .await
        .expect("GET /created")
        .json()
        .await
        .expect("JSON");
    body["created"].as_u64().expect("created")
}

/// One response read off a raw connection (Content-Length framing only).
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response head; `buf` keeps bytes read past it.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> (u16, Vec<(String, String)>) {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(len) = response.parse(buf).expect("response head") {
            let status = response.code.expect("status");
            let headers = response
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            buf.drain(..len);
            return (status, headers);
        }
        let n = within(stream.read_buf(buf)).await.expect("read");
        assert!(n > 0, "connection closed before a full response head");
    }
}

async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> RawResponse {
    let (status, headers) = read_head(stream, buf).await;
    let mut response = RawResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let length: usize = response
        .header("content-length")
        .expect("content-length")
        .parse()
        .expect("numeric content-length");
    while buf.len() < length {
        let n = within(stream.read_buf(buf)).await.expect("read");
        assert!(n > 0, "connection closed mid-body");
    }
    response.body = buf.drain(..length).collect();
    response
}

/// Reads until the peer closes; what arrived, and whether it ended with a RST.
async fn read_to_close(stream: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    loop {
        match within(stream.read_buf(&mut got)).await {
            Ok(0) => return (got, false),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(e) => panic!("unexpected read error: {e}"),
        }
    }
}

fn get_request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: testkit\r\n\r\n")
}

// ---- faults ----------------------------------------------------------------------------

#[tokio::test]
async fn faults_status_once_then_forward_and_log() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([{
            "method": "GET", "path": "/v1/templates", "times": 1,
            "fault": {"kind": "status", "status": 429, "headers": {"Retry-After": "2"},
                      "body": {"error": "slow down"}}
        }]),
    )
    .await;

    let http = client();
    let first = http
        .get(format!("{}/v1/templates?limit=5", kit.url()))
        .send()
        .await
        .expect("first");
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "2");
    assert_eq!(first.headers()["content-type"], "application/json");
    assert_eq!(
        first.json::<Value>().await.expect("json"),
        json!({"error": "slow down"})
    );

    let second = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("second");
    assert_eq!(second.status(), 200);
    assert_eq!(second.text().await.expect("body"), TEMPLATES);

    let third = http
        .get(format!("{}/headers", kit.url()))
        .send()
        .await
        .expect("third");
    assert_eq!(third.status(), 200);

    let log = fault_log(&kit).await;
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/v1/templates");
    assert_eq!(log[0]["query"], "limit=5");
    assert_eq!(log[0]["rule"], 0);
    assert_eq!(log[0]["fault"], "status");
    assert_eq!(log[1]["query"], Value::Null);
    assert_eq!(log[1]["rule"], Value::Null);
    assert_eq!(log[1]["fault"], Value::Null);
    assert_eq!(log[2]["path"], "/headers");
    let at: Vec<f64> = log
        .iter()
        .map(|e| e["at_ms"].as_f64().expect("at_ms"))
        .collect();
    assert!(at[0] > 0.0);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");

    let reset = http
        .post(format!("{}/__faults/reset", kit.url()))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 200);
    assert!(fault_log(&kit).await.is_empty());
}

#[tokio::test]
async fn faults_forward_first_reaches_upstream() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([{
            "method": "POST", "path": "/v1/sandboxes", "times": 1,
            "fault": {"kind": "status", "status": 503, "body": "busy", "forward_first": true}
        }]),
    )
    .await;
    let response = client()
        .post(format!("{}/v1/sandboxes", kit.url()))
        .json(&json!({"template": "code-interpreter"}))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.expect("body"), "busy");
    assert_eq!(created(&upstream).await, 1, "the upstream did the work");
}

#[tokio::test]
async fn faults_close_sends_fin_and_reset_sends_rst() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([
            {"path": "/close", "fault": {"kind": "close"}},
            {"path": "/reset", "fault": {"kind": "reset"}},
            {"path": "/v1/sandboxes", "fault": {"kind": "reset", "forward_first": true}},
        ]),
    )
    .await;

    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    stream
        .write_all(get_request("/close").as_bytes())
        .await
        .expect("write");
    let (bytes, rst) = read_to_close(&mut stream).await;
    assert!(
        bytes.is_empty() && !rst,
        "close: {} bytes, rst={rst}",
        bytes.len()
    );

    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    stream
        .write_all(get_request("/reset").as_bytes())
        .await
        .expect("write");
    let (bytes, rst) = read_to_close(&mut stream).await;
    assert!(
        bytes.is_empty() && rst,
        "reset: {} bytes, rst={rst}",
        bytes.len()
    );

    // What the SDK sees for a reset after the upstream created the sandbox.
    let error = client()
        .post(format!("{}/v1/sandboxes", kit.url()))
        .body("{}")
        .send()
        .await
        .expect_err("reset");
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(created(&upstream).await, 1);
}

#[tokio::test]
async fn faults_close_mid_body_and_truncate() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([
            {"path": "/v1/templates", "times": 1, "fault": {"kind": "close_mid_body"}},
            {"path": "/v1/templates", "times": 1, "fault": {"kind": "truncate"}},
        ]),
    )
    .await;
    let half = TEMPLATES.len() / 2;

    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    stream
        .write_all(get_request("/v1/templates").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    let (status, headers) = read_head(&mut stream, &mut buf).await;
    assert_eq!(status, 200);
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.clone());
    assert_eq!(
        length,
        Some(TEMPLATES.len().to_string()),
        "the real length is announced"
    );
    let (rest, rst) = read_to_close(&mut stream).await;
    buf.extend(rest);
    assert!(!rst);
    assert_eq!(buf, TEMPLATES.as_bytes()[..half]);

    // Truncate: valid HTTP with a consistent length, broken JSON; the connection lives on.
    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    let mut buf = Vec::new();
    stream
        .write_all(get_request("/v1/templates").as_bytes())
        .await
        .expect("write");
    let truncated = read_response(&mut stream, &mut buf).await;
    assert_eq!(truncated.status, 200);
    assert_eq!(truncated.body, TEMPLATES.as_bytes()[..half]);
    assert!(serde_json::from_slice::<Value>(&truncated.body).is_err());
    stream
        .write_all(get_request("/v1/templates").as_bytes())
        .await
        .expect("write");
    let whole = read_response(&mut stream, &mut buf).await;
    assert_eq!(whole.body, TEMPLATES.as_bytes());
}

#[tokio::test]
async fn faults_huge_body_stops_when_the_client_gives_up() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([
            {"path": "/v1/templates", "times": 1,
             "fault": {"kind": "huge_body", "bytes": 268_435_456u64, "content_length": true}},
            {"path": "/v1/templates", "times": 1,
             "fault": {"kind": "huge_body", "bytes": 200_000, "content_length": false}},
        ]),
    )
    .await;
    let http = client();

    let started = Instant::now();
    let mut response = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("huge");
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(268_435_456));
    let mut seen = Vec::new();
    while seen.len() < 1024 * 1024 {
        let chunk = response.chunk().await.expect("chunk").expect("more body");
        seen.extend_from_slice(&chunk);
    }
    assert!(seen.starts_with(b"{\"data\":[ "));
    assert!(seen[9..].iter().all(|&b| b == b' '));
    drop(response);
    assert!(started.elapsed() < Duration::from_secs(5));

    // Chunked variant, read whole: exact size, no Content-Length.
    let response = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("chunked");
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(response.headers().get("content-length").is_none());
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len(), 200_000);
    assert!(body.starts_with(b"{\"data\":["));

    // Still serving after the abandoned body.
    let after = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("after");
    assert_eq!(after.text().await.expect("body"), TEMPLATES);
}

#[tokio::test]
async fn faults_extra_field_empty_body_and_hang() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    script(
        &kit,
        json!([
            {"path": "/v1/templates", "times": 1,
             "fault": {"kind": "extra_field", "name": "x_unknown_field", "value": {"nested": [1, 2]}}},
            {"path": "/v1/templates", "times": 1, "fault": {"kind": "empty_body"}},
            {"path_prefix": "/v1/sandboxes/", "fault": {"kind": "hang"}},
        ]),
    )
    .await;
    let http = client();

    let body: Value = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("extra")
        .json()
        .await
        .expect("still JSON");
    let extra = json!({"nested": [1, 2]});
    assert_eq!(body["x_unknown_field"], extra);
    assert_eq!(body["data"][0]["x_unknown_field"], extra);
    assert_eq!(body["data"][1]["x_unknown_field"], extra);
    assert_eq!(body["data"][1]["name"], "beta");

    let empty = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("empty");
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.headers()["content-type"], "application/json");
    assert_eq!(empty.headers()["content-length"], "0");
    assert!(empty.bytes().await.expect("body").is_empty());

    let started = Instant::now();
    let hung = http
        .get(format!("{}/v1/sandboxes/sb-1", kit.url()))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("hang");
    assert!(hung.is_timeout(), "{hung:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let kinds: Vec<Value> = fault_log(&kit)
        .await
        .iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("extra_field"), json!("empty_body"), json!("hang")]
    );
}

#[tokio::test]
async fn faults_keep_alive_chunked_requests_and_header_hygiene() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    // Only POSTs are faulted: the GETs on the same path must pass.
    script(
        &kit,
        json!([{"method": "POST", "path": "/headers", "fault": {"kind": "status", "status": 500}}]),
    )
    .await;

    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    let mut buf = Vec::new();
    let chunked = "POST /v1/sandboxes HTTP/1.1\r\nHost: testkit\r\nTransfer-Encoding: chunked\r\n\
                   Content-Type: application/json\r\n\r\n\
                   7\r\n{\"templ\r\n10\r\nate\":\"python\"}  \r\n0\r\nX-Trailer: 1\r\n\r\n";
    stream.write_all(chunked.as_bytes()).await.expect("write");
    let created = read_response(&mut stream, &mut buf).await;
    assert_eq!(created.status, 200);
    let created: Value = serde_json::from_slice(&created.body).expect("json");
    assert_eq!(created["received"], "{\"template\":\"python\"}  ");

    let headers = "GET /headers HTTP/1.1\r\nHost: example.invalid\r\nConnection: keep-alive, x-hop\r\n\
                   X-Hop: 1\r\nX-Kept: 1\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n\r\n";
    stream.write_all(headers.as_bytes()).await.expect("write");
    let seen = read_response(&mut stream, &mut buf).await;
    assert_eq!(seen.status, 200);
    let seen: Value = serde_json::from_slice(&seen.body).expect("json");
    let upstream_authority = upstream.trim_start_matches("http://");
    assert_eq!(seen["host"], upstream_authority, "Host is rewritten");
    assert_eq!(seen["x-kept"], "1");
    assert_eq!(
        seen["x-hop"],
        Value::Null,
        "headers named by Connection are hop-by-hop"
    );
    assert_eq!(seen["proxy-authorization"], Value::Null);

    stream
        .write_all(b"POST /headers HTTP/1.1\r\nHost: testkit\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .expect("write");
    let faulted = read_response(&mut stream, &mut buf).await;
    assert_eq!(faulted.status, 500);

    stream
        .write_all(b"GET /v1/templates HTTP/1.1\r\nHost: testkit\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let last = read_response(&mut stream, &mut buf).await;
    assert_eq!(last.body, TEMPLATES.as_bytes());
    assert_eq!(last.header("connection"), Some("close"));
    let (rest, _) = read_to_close(&mut stream).await;
    assert!(rest.is_empty());
    assert_eq!(
        fault_log(&kit).await.len(),
        4,
        "four requests on one connection"
    );
}

#[tokio::test]
async fn faults_control_endpoints_reject_bad_scripts() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["faults", "--upstream", &upstream]);
    let http = client();
    for bad in [
        "not json".to_owned(),
        json!({"rules": [{"fault": {"kind": "close"}}]}).to_string(),
        json!({"rules": [{"path": "/a", "path_prefix": "/", "fault": {"kind": "close"}}]})
            .to_string(),
        json!({"rules": [{"path": "/a", "fault": {"kind": "explode"}}]}).to_string(),
        json!({"rules": [{"path": "/a", "time": 1, "fault": {"kind": "close"}}]}).to_string(),
    ] {
        let response = http
            .post(format!("{}/__faults", kit.url()))
            .body(bad.clone())
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("JSON error");
        assert!(
            body["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{bad}: {body}"
        );
    }
    let wrong_method = http
        .get(format!("{}/__faults", kit.url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong_method.status(), 405);
    assert!(
        fault_log(&kit).await.is_empty(),
        "control requests are not logged"
    );
}

#[tokio::test]
async fn exits_when_stdin_closes_or_time_runs_out() {
    let mut kit = Kit::spawn(&["faults", "--upstream", "http://127.0.0.1:9"]);
    drop(kit.stdin.take());
    assert!(kit.wait_exit(Duration::from_secs(5)), "exit on stdin EOF");

    let started = Instant::now();
    let mut kit = Kit::spawn(&["proxy", "--max-seconds", "1"]);
    assert!(
        kit.wait_exit(Duration::from_secs(5)),
        "exit after --max-seconds"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(kit.stdin.is_some());
}

// ---- proxy -----------------------------------------------------------------------------

async fn proxy_log(kit: &Kit) -> Vec<Value> {
    let log: Value = client()
        .get(format!("{}/__proxy/log", kit.url()))
        .send()
        .await
        .expect("GET /__proxy/log")
        .json()
        .await
        .expect("log JSON");
    log["requests"].as_array().expect("requests").clone()
}

#[tokio::test]
async fn proxy_forwards_absolute_form_and_relays_connect() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["proxy"]);
    let via_proxy = builder()
        .proxy(reqwest::Proxy::http(kit.url()).expect("proxy"))
        .timeout(LIMIT)
        .build()
        .expect("client");
    let target = format!("{upstream}/v1/templates");
    let response = via_proxy
        .get(&target)
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), TEMPLATES);

    let authority = upstream.trim_start_matches("http://");
    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    let connect = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    // The tunnelled request is sent at once, before the 200: it must not get lost.
    let tunnelled = get_request("/v1/templates");
    stream
        .write_all(format!("{connect}{tunnelled}").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    let (status, _) = read_head(&mut stream, &mut buf).await;
    assert_eq!(status, 200);
    let through = read_response(&mut stream, &mut buf).await;
    assert_eq!(through.body, TEMPLATES.as_bytes());

    let log = proxy_log(&kit).await;
    assert_eq!(
        log,
        [
            json!({"method": "GET", "target": target, "authorized": true}),
            json!({"method": "CONNECT", "target": authority, "authorized": true}),
        ]
    );
}

#[tokio::test]
async fn proxy_requires_basic_auth_when_asked() {
    let upstream = upstream().await;
    let kit = Kit::spawn(&["proxy", "--auth", "user:s3cret"]);
    let target = format!("{upstream}/v1/templates");

    let anonymous = builder()
        .proxy(reqwest::Proxy::http(kit.url()).expect("proxy"))
        .timeout(LIMIT)
        .build()
        .expect("client");
    let refused = anonymous
        .get(&target)
        .send()
        .await
        .expect("407 is a response");
    assert_eq!(refused.status(), 407);
    assert_eq!(
        refused.headers()["proxy-authenticate"],
        "Basic realm=\"hopx-testkit\""
    );

    let wrong = builder()
        .proxy(
            reqwest::Proxy::http(kit.url())
                .expect("proxy")
                .basic_auth("user", "nope"),
        )
        .timeout(LIMIT)
        .build()
        .expect("client");
    assert_eq!(wrong.get(&target).send().await.expect("407").status(), 407);

    let authenticated = builder()
        .proxy(
            reqwest::Proxy::http(kit.url())
                .expect("proxy")
                .basic_auth("user", "s3cret"),
        )
        .timeout(LIMIT)
        .build()
        .expect("client");
    let through = authenticated.get(&target).send().await.expect("through");
    assert_eq!(through.status(), 200);

    let authority = upstream.trim_start_matches("http://");
    let mut stream = TcpStream::connect(kit.addr()).await.expect("connect");
    let connect = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    stream.write_all(connect.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let refused = read_response(&mut stream, &mut buf).await;
    assert_eq!(refused.status, 407);

    let authorized: Vec<(Value, bool)> = proxy_log(&kit)
        .await
        .iter()
        .map(|e| {
            (
                e["method"].clone(),
                e["authorized"].as_bool().expect("bool"),
            )
        })
        .collect();
    assert_eq!(
        authorized,
        [
            (json!("GET"), false),
            (json!("GET"), false),
            (json!("GET"), true),
            (json!("CONNECT"), false)
        ]
    );
    let raw_log = client()
        .get(format!("{}/__proxy/log", kit.url()))
        .send()
        .await
        .expect("log")
        .text()
        .await
        .expect("text");
    assert!(!raw_log.contains("s3cret") && !raw_log.contains("dXNlcjpzM2NyZXQ"));
}

// ---- tls -------------------------------------------------------------------------------

fn tls_client(ca_pem: &[u8], http1_only: bool) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("CA PEM");
    let mut builder = builder().no_proxy().tls_certs_only([ca]);
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().expect("tls client")
}

#[tokio::test]
async fn tls_negotiates_h2_with_the_written_ca() {
    let upstream = upstream().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_out = dir.path().join("ca.pem");
    let kit = Kit::spawn(&[
        "tls",
        "--upstream",
        &upstream,
        "--ca-out",
        ca_out.to_str().expect("utf-8"),
    ]);
    assert!(kit.url().starts_with("https://127.0.0.1:"));
    assert_eq!(kit.ready["ca"], ca_out.to_str().expect("utf-8"));
    let ca_pem = std::fs::read(&ca_out).expect("CA written before the ready line");
    assert!(ca_pem.starts_with(b"-----BEGIN CERTIFICATE-----"));

    let http = tls_client(&ca_pem, false);
    let response = http
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("h2");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.text().await.expect("body"), TEMPLATES);

    let created: Value = http
        .post(format!("{}/v1/sandboxes", kit.url()))
        .body("{\"template\":\"python\"}")
        .send()
        .await
        .expect("POST over h2")
        .json()
        .await
        .expect("json");
    assert_eq!(created["received"], "{\"template\":\"python\"}");

    // The leaf also names localhost.
    let port = kit.url().rsplit(':').next().expect("port");
    let by_name = http
        .get(format!("https://localhost:{port}/v1/templates"))
        .send()
        .await
        .expect("localhost");
    assert_eq!(by_name.status(), 200);

    // A client with the usual roots does not trust the throwaway CA.
    let untrusting = client();
    untrusting
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect_err("no CA, no connection");

    let log: Value = http
        .get(format!("{}/__tls/log", kit.url()))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert_eq!(
        log["requests"][0],
        json!({"method": "GET", "path": "/v1/templates", "version": "HTTP/2.0"})
    );
    assert_eq!(log["requests"][1]["method"], "POST");
    assert_eq!(log["requests"].as_array().map(Vec::len), Some(3));
    // One pooled connection per host name; the failed handshake is not counted.
    assert_eq!(log["handshakes"], 2);
}

#[tokio::test]
async fn tls_http1_only_and_proxy_tunnel() {
    let upstream = upstream().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_out = dir.path().join("ca.pem");
    let kit = Kit::spawn(&[
        "tls",
        "--upstream",
        &upstream,
        "--ca-out",
        ca_out.to_str().expect("utf-8"),
        "--http1-only",
    ]);
    let ca_pem = std::fs::read(&ca_out).expect("CA");

    let response = tls_client(&ca_pem, false)
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("https");
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.text().await.expect("body"), TEMPLATES);

    // The SDK's https-through-a-proxy path: CONNECT, then TLS inside the tunnel.
    let proxy = Kit::spawn(&["proxy", "--auth", "u:p"]);
    let ca = reqwest::Certificate::from_pem(&ca_pem).expect("CA PEM");
    let via_proxy = builder()
        .proxy(
            reqwest::Proxy::https(proxy.url())
                .expect("proxy")
                .basic_auth("u", "p"),
        )
        .tls_certs_only([ca])
        .timeout(LIMIT)
        .build()
        .expect("client");
    let tunnelled = via_proxy
        .get(format!("{}/v1/templates", kit.url()))
        .send()
        .await
        .expect("through the tunnel");
    assert_eq!(tunnelled.text().await.expect("body"), TEMPLATES);
    let log = proxy_log(&proxy).await;
    assert_eq!(log[0]["method"], "CONNECT");
    assert_eq!(log[0]["target"], kit.addr());

    let tls_log: Value = tls_client(&ca_pem, false)
        .get(format!("{}/__tls/log", kit.url()))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    let versions: Vec<&str> = tls_log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|e| e["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions, ["HTTP/1.1", "HTTP/1.1"]);
}
