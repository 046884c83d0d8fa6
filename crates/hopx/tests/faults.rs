//! The fault matrix (tests/fixtures/faults.json, shared with the Python and Node suites): each
//! case puts `hopx-testkit faults` between the client and a real hopx-local, scripts what goes
//! wrong, and checks the outcome, the attempts the server saw, the gaps between them, and the
//! sandboxes that exist afterwards.

mod common;

use std::time::{Duration, Instant};

use common::{LocalServer, Testkit, empty_environment};
use hopx::{Client, ClientOptions, CreateSandboxOptions};
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../tests/fixtures/faults.json");

fn seconds(value: &Value) -> Option<Duration> {
    value.as_f64().map(Duration::from_secs_f64)
}

async fn sandbox_count(local: &LocalServer) -> usize {
    let (status, body) = local.api("GET", "/v1/sandboxes?limit=100").await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().map_or(0, Vec::len)
}

/// Runs one case; the error lists every expectation that did not hold.
async fn run_case(fixture: &Value, case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap();
    let slack = fixture["slack_seconds"].as_f64().unwrap();
    let call = case["call"].as_str().unwrap();
    let call_spec = &fixture["calls"][call];
    let expect = &case["expect"];
    let local = LocalServer::start().await;
    let faults = Testkit::faults(&local.url()).await;
    if let Some(rules) = case.get("rules") {
        faults.set_rules(rules).await;
    }
    // The refusing port is the fault server's: reserved while it runs, so that no server
    // another case starts at the same moment can take it.
    let base_url = if case["target"] == "refused" {
        faults.ready["refused_url"].as_str().unwrap().to_owned()
    } else {
        faults.url.clone()
    };
    let options = &case["options"];
    let client = Client::with_environment(
        &ClientOptions {
            api_key: Some(local.key.clone()),
            base_url: Some(base_url),
            max_retries: options["max_retries"].as_u64().map(|n| n as u32),
            request_timeout: seconds(&options["request_timeout"]),
            deadline: seconds(&options["deadline"]),
            ..Default::default()
        },
        &empty_environment(),
    )
    .map_err(|e| format!("client: {e}"))?;
    let before = sandbox_count(&local).await;
    let started = Instant::now();
    let outcome: hopx::Result<()> = match call {
        "list_templates" => client.list_templates(&Default::default()).await.map(|_| ()),
        "create" => {
            let template = call_spec["template"].as_str().unwrap();
            client
                .create_sandbox(&CreateSandboxOptions::template(template))
                .await
                .map(|_| ())
        }
        other => panic!("unknown call {other}"),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };

    let method = call_spec["method"].as_str().unwrap();
    let path = call_spec["path"].as_str().unwrap();
    let attempts: Vec<f64> = faults
        .fault_log()
        .await
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .map(|r| r["at_ms"].as_f64().unwrap() / 1000.0)
        .collect();
    if let Some(n) = expect["attempts"].as_u64() {
        check(
            attempts.len() as u64 == n,
            format!("attempts seen by the server: {} (want {n})", attempts.len()),
        );
    }
    if let Some(gaps) = expect["gaps"].as_array() {
        for (i, bounds) in gaps.iter().enumerate() {
            let (low, high) = (bounds[0].as_f64().unwrap(), bounds[1].as_f64().unwrap());
            match (attempts.get(i), attempts.get(i + 1)) {
                (Some(a), Some(b)) => {
                    let gap = b - a;
                    check(
                        gap >= low - 0.05 && gap <= high + slack,
                        format!("gap {i}: {gap:.3} s, want [{low}, {high}] (+{slack} slack)"),
                    );
                }
                _ => check(false, format!("gap {i}: fewer than {} attempts", i + 2)),
            }
        }
    }
    if let Some(max) = expect["elapsed_max"].as_f64() {
        check(
            elapsed <= max + slack,
            format!("took {elapsed:.3} s, want at most {max} (+{slack} slack)"),
        );
    }
    match (&outcome, expect["ok"].as_bool().unwrap()) {
        (Ok(()), true) => {}
        (Ok(()), false) => check(false, "succeeded, but an error was expected".into()),
        (Err(e), true) => check(false, format!("failed: {e}")),
        (Err(error), false) => {
            let text = error.to_string();
            if let Some(code) = expect["code"].as_str() {
                check(
                    error.code().as_str() == code,
                    format!("code {} (want {code}): {text}", error.code().as_str()),
                );
            }
            if let Some(class) = expect["class"].as_str() {
                check(
                    error.code().class_name() == class,
                    format!("class {} (want {class})", error.code().class_name()),
                );
            }
            if let Some(status) = expect["status"].as_u64() {
                check(
                    error.status() == Some(status as u16),
                    format!("status {:?} (want {status})", error.status()),
                );
            }
            let error_attempts = expect["error_attempts"]
                .as_u64()
                .or(expect["attempts"].as_u64());
            if let Some(n) = error_attempts {
                check(
                    u64::from(error.attempts()) == n,
                    format!("error.attempts() = {} (want {n})", error.attempts()),
                );
            }
            check(
                error.maybe_processed() == expect["maybe_processed"].as_bool().unwrap_or(false),
                format!("maybe_processed = {}", error.maybe_processed()),
            );
            let kind = error.timeout_kind().map(|k| k.as_str());
            check(
                kind == expect["timeout_kind"].as_str(),
                format!(
                    "timeout_kind {kind:?} (want {:?})",
                    expect["timeout_kind"].as_str()
                ),
            );
            if let Some(at_least) = expect["retry_after_at_least"].as_f64() {
                check(
                    error
                        .retry_after()
                        .is_some_and(|d| d.as_secs_f64() >= at_least),
                    format!(
                        "retry_after {:?} (want ≥ {at_least} s)",
                        error.retry_after()
                    ),
                );
            }
            for part in expect["message_contains"].as_array().into_iter().flatten() {
                let part = part.as_str().unwrap();
                check(
                    error.message().contains(part),
                    format!("message lacks {part:?}: {}", error.message()),
                );
            }
        }
    }
    if let Some(n) = expect["sandboxes_created"].as_u64() {
        let after = sandbox_count(&local).await;
        check(
            (after - before) as u64 == n,
            format!("sandboxes created: {} (want {n})", after - before),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}:\n  {}", problems.join("\n  ")))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_matrix() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = fixture["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 20, "the matrix lost cases");
    // The cases are independent (each has its own hopx-local and fault server): run them at
    // once, so the matrix takes as long as its slowest case.
    let mut tasks = tokio::task::JoinSet::new();
    for case in cases {
        let fixture = fixture.clone();
        tasks.spawn(async move {
            tokio::time::timeout(Duration::from_secs(60), run_case(&fixture, &case))
                .await
                .unwrap_or_else(|_| Err(format!("{}: did not finish in 60 s", case["name"])))
        });
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Err(problem) = result.expect("a case panicked") {
            failures.push(problem);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
