//! The Rust worker of the benchmark in `bench/` (run by `bench/run.sh`; not a test).
//!
//! Reads one JSON command per line on stdin and answers one line `@@BENCH {json}` on stdout:
//!
//! - `{"client": "hopx"|"raw"|"raw-noparse", "op": "list"|"create", "base": URL, "n": N,
//!   "budget_s": S}`:
//!   up to N sequential calls (stopping once S seconds have passed), answered with every
//!   call's latency in nanoseconds;
//! - `{"client": .., "op": "conc", "base": URL, "conc": C}`: C concurrent creates, answered
//!   with the wall time of all of them;
//! - `{"op": "rss"}`: the peak resident memory of this process; `{"op": "exit"}`.
//!
//! `hopx` is [`hopx::Client`] (one client per base URL, as a Rust program keeps one);
//! `raw` is a plain `reqwest::Client` built with the same settings as the core's pooled
//! client, sending the same headers and decoding the body as a `serde_json::Value`
//! (`raw-noparse`: the same without decoding the body).
//!
//! ```sh
//! cargo run --release -p hopx --example bench_calls
//! ```
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const API_KEY_ENV: &str = "HOPX_API_KEY";

struct Workers {
    key: String,
    raw: reqwest::Client,
    hopx: HashMap<String, hopx::Client>,
}

impl Workers {
    fn hopx(&mut self, base: &str) -> hopx::Result<hopx::Client> {
        if let Some(client) = self.hopx.get(base) {
            return Ok(client.clone());
        }
        let client = hopx::Client::new(hopx::ClientOptions {
            api_key: Some(self.key.clone()),
            base_url: Some(base.to_owned()),
            ..Default::default()
        })?;
        self.hopx.insert(base.to_owned(), client.clone());
        Ok(client)
    }
}

/// The raw loop's client: the settings of the core's pooled client (crates/hopx/src/http.rs).
fn raw_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

async fn raw_call(
    client: &reqwest::Client,
    key: &str,
    base: &str,
    op: &str,
    parse: bool,
) -> Result<(), String> {
    let builder = match op {
        "list" => client.get(format!("{base}/v1/templates")),
        _ => client
            .post(format!("{base}/v1/sandboxes"))
            .json(&json!({"template_name": "code-interpreter"})),
    };
    let response = builder
        .timeout(Duration::from_secs(60))
        .header(reqwest::header::USER_AGENT, "bench-raw")
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {key}"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .error_for_status()
        .map_err(|e| e.to_string())?;
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if parse {
        let _: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn hopx_call(client: &hopx::Client, op: &str) -> Result<(), String> {
    match op {
        "list" => client
            .list_templates(&hopx::ListTemplatesOptions::default())
            .await
            .map(drop),
        _ => client
            .create_sandbox(&hopx::CreateSandboxOptions::template("code-interpreter"))
            .await
            .map(drop),
    }
    .map_err(|e| e.to_string())
}

/// One call by `client` ("raw", "raw-noparse" or "hopx").
async fn call(
    kind: &str,
    raw: &reqwest::Client,
    key: &str,
    hopx: &Option<hopx::Client>,
    base: &str,
    op: &str,
) -> Result<(), String> {
    match (kind, hopx) {
        ("hopx", Some(client)) => hopx_call(client, op).await,
        _ => raw_call(raw, key, base, op, kind != "raw-noparse").await,
    }
}

async fn run(workers: &mut Workers, command: &Value) -> Result<Value, String> {
    let op = command["op"].as_str().unwrap_or_default().to_owned();
    let kind = command["client"].as_str().unwrap_or("raw").to_owned();
    let base = command["base"].as_str().unwrap_or_default().to_owned();
    let hopx = if kind == "hopx" {
        Some(workers.hopx(&base).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let raw = workers.raw.clone();
    let key = workers.key.clone();
    if op == "conc" {
        let conc = command["conc"].as_u64().unwrap_or(200) as usize;
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(conc);
        for _ in 0..conc {
            let (kind, raw, key, hopx, base) = (
                kind.clone(),
                raw.clone(),
                key.clone(),
                hopx.clone(),
                base.clone(),
            );
            tasks.push(tokio::spawn(async move {
                call(&kind, &raw, &key, &hopx, &base, "create").await
            }));
        }
        for task in tasks {
            task.await.map_err(|e| e.to_string())??;
        }
        let wall = started.elapsed().as_nanos() as u64;
        return Ok(json!({"wall_ns": wall, "calls": conc}));
    }
    let n = command["n"].as_u64().unwrap_or(100) as usize;
    let budget = Duration::from_secs_f64(command["budget_s"].as_f64().unwrap_or(1.0));
    // The loop runs as a task, as request handling does in a Rust service.
    let handle = tokio::spawn(async move {
        let mut latencies = Vec::with_capacity(n);
        let started = Instant::now();
        while latencies.len() < n && (latencies.len() < 5 || started.elapsed() < budget) {
            let t = Instant::now();
            call(&kind, &raw, &key, &hopx, &base, &op).await?;
            latencies.push(t.elapsed().as_nanos() as u64);
        }
        Ok::<_, String>(latencies)
    });
    let latencies = handle.await.map_err(|e| e.to_string())??;
    Ok(json!({"calls": latencies.len(), "lat_ns": latencies}))
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut workers = Workers {
        key: std::env::var(API_KEY_ENV).unwrap_or_default(),
        raw: runtime.block_on(async { raw_client() }),
        hopx: HashMap::new(),
    };
    println!("@@BENCH {}", json!({"ready": true}));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let command: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                println!("@@BENCH {}", json!({"error": e.to_string()}));
                continue;
            }
        };
        let answer = match command["op"].as_str() {
            Some("exit") => break,
            Some("rss") => json!({"maxrss_kib": peak_rss_kib()}),
            _ => match runtime.block_on(run(&mut workers, &command)) {
                Ok(v) => v,
                Err(e) => json!({"error": e}),
            },
        };
        println!("@@BENCH {answer}");
    }
}
