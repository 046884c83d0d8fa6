//! Helpers for the agent tests: a sandbox with its token, calls to its agent, and a look
//! at `/proc` for processes that carry a marker.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use hopx_local::{RunningServer, ServerConfig};
use serde_json::{Value, json};

use super::{KEY_A, KEY_B, Response, create_sandbox, request, within};

/// A server like [`super::start`] with a given token lifetime.
pub async fn start_with_ttl(ttl: Duration) -> RunningServer {
    let mut config = ServerConfig::new(vec![KEY_A.to_owned(), KEY_B.to_owned()]);
    config.token_ttl = ttl;
    within("bind", hopx_local::bind(config))
        .await
        .expect("server starts")
}

/// True when this host can run sandboxed code (bwrap works); tests that need it skip
/// with a note otherwise, so a machine without bubblewrap still runs the rest.
pub fn can_run_code(server: &RunningServer) -> bool {
    let isolation = server.isolation();
    if isolation == "bubblewrap" {
        true
    } else {
        eprintln!("SKIPPED: sandboxes cannot run code here ({isolation})");
        false
    }
}

/// A sandbox and what it takes to call its agent.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub addr: SocketAddr,
    pub id: String,
    pub token: String,
    /// `/agent/<id>`: the path of `public_host`.
    pub base: String,
    pub info: Value,
}

impl Sandbox {
    pub async fn create(addr: SocketAddr, key: &str, body: Value) -> Self {
        let info = create_sandbox(addr, key, body).await;
        let id = info["id"].as_str().expect("id").to_owned();
        let token = info["auth_token"].as_str().expect("auth_token").to_owned();
        let public_host = info["public_host"].as_str().expect("public_host");
        let prefix = format!("http://{addr}");
        let base = public_host
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("public_host {public_host} is not on {prefix}"))
            .to_owned();
        assert_eq!(base, format!("/agent/{id}"));
        Self {
            addr,
            id,
            token,
            base,
            info,
        }
    }

    /// A code-interpreter sandbox of organization A.
    pub async fn new(addr: SocketAddr) -> Self {
        Self::create(addr, KEY_A, json!({"template_name": "code-interpreter"})).await
    }

    /// A request with the sandbox's token.
    pub async fn send(
        &self,
        method: &str,
        route: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let auth = format!("Bearer {}", self.token);
        let mut all: Vec<(&str, &str)> = vec![("Authorization", &auth)];
        all.extend_from_slice(headers);
        request(
            self.addr,
            method,
            &format!("{}{route}", self.base),
            &all,
            body,
        )
        .await
    }

    pub async fn call(&self, method: &str, route: &str, body: Option<&Value>) -> Response {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
        let headers: &[(&str, &str)] = if bytes.is_some() {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        self.send(method, route, headers, bytes.as_deref()).await
    }

    pub async fn get(&self, route: &str) -> Response {
        self.call("GET", route, None).await
    }

    /// `POST /execute`, asserting 200.
    pub async fn exec(&self, language: &str, code: &str) -> Value {
        self.exec_with(json!({"language": language, "code": code}))
            .await
    }

    pub async fn exec_with(&self, body: Value) -> Value {
        let response = self.call("POST", "/execute", Some(&body)).await;
        assert_eq!(response.status, 200, "execute {body}: {}", response.text());
        response.json()
    }

    /// Runs a shell line through `/commands/run` the way the SDKs do, asserting 200.
    pub async fn sh(&self, line: &str) -> Value {
        let body = json!({"command": "bash", "args": ["-c", line], "timeout": 30});
        let response = self.call("POST", "/commands/run", Some(&body)).await;
        assert_eq!(response.status, 200, "run {line}: {}", response.text());
        response.json()
    }
}

/// Asserts the agent's error body (`{error, code, request_id, timestamp, path}`) and the
/// `X-Request-ID` header, and returns the body.
pub fn agent_error(response: &Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["code"], code, "body: {body}");
    assert!(
        body["error"].as_str().is_some_and(|m| m.len() > 10),
        "error message: {body}"
    );
    assert_eq!(body["request_id"], response.request_id(), "body: {body}");
    assert!(body["timestamp"].as_str().is_some(), "timestamp: {body}");
    assert!(body["path"].as_str().is_some(), "path: {body}");
    body
}

/// Pids of live processes whose environment or command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            ["environ", "cmdline"].iter().any(|file| {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
            })
        })
        .collect()
}

/// Waits (bounded) until no process carries `marker`.
pub async fn no_process_left(marker: &str, limit: Duration) {
    super::eventually(
        &format!("no process with marker {marker}"),
        limit,
        || async { processes_with(marker).is_empty() },
    )
    .await;
}

/// A random marker for one test.
pub fn marker(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("hopxmark_{what}_{}_{nanos}", std::process::id())
}

/// The directory on disk of a sandbox, asserting it exists.
pub fn root_of(server: &RunningServer, id: &str) -> PathBuf {
    let root = server.sandbox_root(id).expect("the sandbox has a root");
    assert!(root.join("workspace").is_dir(), "{}", root.display());
    root
}

/// A multipart body with a `file` part (and a `path` part when given).
pub fn multipart(file_name: &str, bytes: &[u8], path: Option<&str>) -> (String, Vec<u8>) {
    let boundary = "hopxboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    if let Some(path) = path {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n{path}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Percent-encodes a query value.
pub fn q(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
