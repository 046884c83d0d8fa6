//! Test helpers: a real hopx-local server in-process, a client that reads no real
//! environment, and a scripted HTTP server for answers hopx-local never gives.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hopx::config::MapEnvironment;
use hopx::{AuthHeader, Client, ClientOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A random key in the real format.
pub fn random_key() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    let mut rng = rand::rng();
    let id: String = (0..12).map(|_| rng.sample(Alphanumeric) as char).collect();
    let secret: String = (0..32).map(|_| rng.sample(Alphanumeric) as char).collect();
    format!("hopx_live_{id}.{secret}")
}

/// The real `hopx-local` binary on a free loopback port, with two random keys. It stops when
/// dropped, and by itself if this test process dies (its stdin closes).
pub struct LocalServer {
    child: std::process::Child,
    url: String,
    pub key: String,
    pub other_key: String,
    _data_dir: tempfile::TempDir,
}

/// `HOPX_LOCAL_BIN`, else the binary cargo builds next to this test (`cargo nextest run
/// --workspace` and `scripts/test.sh` build it).
fn local_binary() -> std::path::PathBuf {
    sibling_binary("HOPX_LOCAL_BIN", "hopx-local")
}

impl LocalServer {
    pub async fn start() -> LocalServer {
        LocalServer::start_with(&[]).await
    }

    /// Started with extra command line arguments (e.g. `--rate-limit 1`).
    pub async fn start_with(extra_args: &[&str]) -> LocalServer {
        use std::process::{Command, Stdio};
        let key = random_key();
        let other_key = random_key();
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(local_binary())
            .args([
                "--port",
                "0",
                "--exit-when-stdin-closes",
                "--max-lifetime-seconds",
                "600",
            ])
            .args(["--api-key", &key, "--api-key", &other_key, "--data-dir"])
            .arg(data_dir.path())
            .args(extra_args)
            .env("HOPX_LOCAL_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("hopx-local starts");
        let ready = ready_line(&mut child, "hopx-local").await;
        let url = ready["url"]
            .as_str()
            .expect("the ready line has the url")
            .to_owned();
        LocalServer {
            child,
            url,
            key,
            other_key,
            _data_dir: data_dir,
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn client(&self, header: AuthHeader) -> Client {
        client_for(&self.url(), Some(&self.key), header)
    }

    /// `GET /_local/stats` (connections, requests, user agents, auth header styles).
    pub async fn stats(&self) -> serde_json::Value {
        self.local("GET", "/_local/stats").await
    }

    /// `POST /_local/reset-stats`.
    pub async fn reset_stats(&self) {
        self.local("POST", "/_local/reset-stats").await;
    }

    /// A raw API call with this server's key, for what the SDK deliberately does not offer
    /// (e.g. `POST /v1/sandboxes/{id}/stop`). Returns the status and the JSON body.
    pub async fn api(&self, method: &str, path: &str) -> (u16, serde_json::Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method, format!("{}{path}", self.url))
            .header("x-api-key", &self.key)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    async fn local(&self, method: &str, path: &str) -> serde_json::Value {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client whose configuration comes only from the arguments: no real env, .env or config.
pub fn client_for(base_url: &str, key: Option<&str>, header: AuthHeader) -> Client {
    try_client(base_url, key, header).expect("client configuration is valid")
}

pub fn try_client(base_url: &str, key: Option<&str>, header: AuthHeader) -> hopx::Result<Client> {
    let options = ClientOptions {
        api_key: key.map(str::to_owned),
        base_url: Some(base_url.to_owned()),
        auth_header: Some(header),
        request_timeout: Some(Duration::from_secs(10)),
        ..Default::default()
    };
    Client::with_environment(&options, &empty_environment())
}

pub fn empty_environment() -> MapEnvironment {
    MapEnvironment {
        current_dir: Some("/nonexistent/hopx-test".into()),
        home_dir: Some("/nonexistent/hopx-home".into()),
        ..Default::default()
    }
}

/// One canned HTTP response.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Canned {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A loopback server that answers the n-th request with the n-th canned response (the last
/// one repeats) and counts requests. It stops when dropped.
pub struct ScriptedServer {
    pub url: String,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    pub async fn start(script: Vec<Canned>) -> ScriptedServer {
        assert!(!script.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            // Bounded: a test never needs more than a few hundred connections.
            for _ in 0..500 {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let counter = counter.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    for _ in 0..100 {
                        if !read_request(&mut socket).await {
                            return;
                        }
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        let canned = &script[n.min(script.len() - 1)];
                        let mut head = format!(
                            "HTTP/1.1 {} X\r\ncontent-length: {}\r\n",
                            canned.status,
                            canned.body.len()
                        );
                        for (name, value) in &canned.headers {
                            head.push_str(&format!("{name}: {value}\r\n"));
                        }
                        head.push_str("\r\n");
                        if socket.write_all(head.as_bytes()).await.is_err()
                            || socket.write_all(canned.body.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        ScriptedServer {
            url,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request (head and Content-Length body); false at EOF.
async fn read_request(socket: &mut tokio::net::TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return false,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return false,
        }
    }
    true
}

/// The one JSON line a test server prints on stdout when it is ready.
async fn ready_line(child: &mut std::process::Child, what: &str) -> serde_json::Value {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let line = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        }),
    )
    .await
    .unwrap_or_else(|_| panic!("{what} prints its ready line in time"))
    .unwrap()
    .unwrap();
    serde_json::from_str(&line).unwrap_or_else(|_| panic!("{what}'s ready line is JSON: {line}"))
}

/// A `hopx-testkit` process (crates/hopx-testkit): the fault-injecting proxy, the forward proxy
/// or the HTTPS front. It stops when dropped, and by itself if this test process dies.
pub struct Testkit {
    child: std::process::Child,
    pub url: String,
    /// The whole ready line.
    pub ready: serde_json::Value,
}

fn sibling_binary(env_var: &str, name: &str) -> std::path::PathBuf {
    if let Some(path) = std::env::var_os(env_var) {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p {name}` (or set {env_var})",
        path.display()
    );
    path
}

impl Testkit {
    /// `hopx-testkit faults --upstream <upstream>`.
    pub async fn faults(upstream: &str) -> Testkit {
        Testkit::start(&["faults", "--upstream", upstream]).await
    }

    /// `hopx-testkit proxy [--auth user:pass]`.
    pub async fn proxy(auth: Option<&str>) -> Testkit {
        match auth {
            Some(auth) => Testkit::start(&["proxy", "--auth", auth]).await,
            None => Testkit::start(&["proxy"]).await,
        }
    }

    /// `hopx-testkit tls --upstream <upstream> --ca-out <ca>`; the CA file is in the ready line.
    pub async fn tls(upstream: &str, ca_out: &std::path::Path, http1_only: bool) -> Testkit {
        let ca = ca_out.to_str().unwrap();
        let mut args = vec!["tls", "--upstream", upstream, "--ca-out", ca];
        if http1_only {
            args.push("--http1-only");
        }
        Testkit::start(&args).await
    }

    async fn start(args: &[&str]) -> Testkit {
        use std::process::{Command, Stdio};
        let mut child = Command::new(sibling_binary("HOPX_TESTKIT_BIN", "hopx-testkit"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hopx-testkit starts");
        let ready = ready_line(&mut child, "hopx-testkit").await;
        let url = ready["url"].as_str().expect("a url").to_owned();
        Testkit { child, url, ready }
    }

    /// A raw call to the testkit itself (never through the SDK), trusting `ca` for https.
    pub async fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder().no_proxy();
        if let Some(ca) = self.ready["ca"].as_str() {
            let pem = std::fs::read(ca).unwrap();
            builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap());
        }
        let client = builder.build().unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Replaces the fault rules.
    pub async fn set_rules(&self, rules: &serde_json::Value) {
        self.control(
            "POST",
            "/__faults",
            Some(serde_json::json!({ "rules": rules })),
        )
        .await;
    }

    /// The fault server's request log.
    pub async fn fault_log(&self) -> Vec<serde_json::Value> {
        let log = self.control("GET", "/__faults/log", None).await;
        log["requests"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Testkit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
