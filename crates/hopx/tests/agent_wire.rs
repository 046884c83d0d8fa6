//! How the SDK talks to a sandbox's agent, against a fake control plane + agent that records
//! what it receives: only the sandbox token reaches the agent, a rejected token is refreshed
//! once however many calls find it rejected, and an execution is never sent twice.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{client_for, random_key};
use hopx::{AuthHeader, CreateSandboxOptions, ErrorCode, RunCodeOptions};
use serde_json::{Value, json};

#[derive(Default)]
struct Fake {
    base_url: String,
    /// The token the agent accepts now.
    current_token: String,
    refreshes: usize,
    executions: usize,
    /// Every header map the agent saw, lowercased `name: value` lines.
    agent_headers: Vec<String>,
    /// Drop the connection of the next execution without answering.
    reset_next_execution: bool,
    /// The last execution request body.
    last_execution: Value,
}

type Shared = Arc<Mutex<Fake>>;

async fn create(State(fake): State<Shared>) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.current_token = "tok-1".into();
    let body = json!({
        "id": "sbx-1", "status": "running", "template_name": "code-interpreter",
        "public_host": format!("{}/agent/sbx-1", fake.base_url),
        "auth_token": "tok-1", "token_expires_at": "2999-01-01T00:00:00Z",
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

async fn refresh(State(fake): State<Shared>, Path(_id): Path<String>) -> Response {
    // Slow enough that concurrent callers pile up behind one refresh.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut fake = fake.lock().unwrap();
    fake.refreshes += 1;
    let token = format!("tok-{}", fake.refreshes + 1);
    fake.current_token = token.clone();
    axum::Json(
        json!({"id": "sbx-1", "auth_token": token, "token_expires_at": "2999-01-01T00:00:00Z"}),
    )
    .into_response()
}

async fn execute(
    State(fake): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.agent_headers.push(
        headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let expected = format!("Bearer {}", fake.current_token);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "token rejected", "code": "UNAUTHORIZED"})),
        )
            .into_response();
    }
    fake.executions += 1;
    if fake.reset_next_execution {
        fake.reset_next_execution = false;
        // A panic in the handler makes hyper close the connection without an answer.
        drop(fake);
        panic!("connection reset on purpose");
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    fake.last_execution = request.clone();
    axum::Json(json!({
        "stdout": format!("ran {}\n", request["code"].as_str().unwrap_or("")),
        "stderr": "", "exit_code": 0, "success": true, "execution_time": 0.01,
    }))
    .into_response()
}

async fn start() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let fake: Shared = Arc::new(Mutex::new(Fake {
        base_url: base_url.clone(),
        ..Default::default()
    }));
    let app = Router::new()
        .route("/v1/sandboxes", post(create))
        .route("/v1/sandboxes/{id}/token/refresh", post(refresh))
        .route("/agent/sbx-1/execute", post(execute))
        .with_state(fake.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base_url, fake)
}

#[tokio::test]
async fn the_agent_gets_the_sandbox_token_and_never_the_api_key() {
    let (url, fake) = start().await;
    let key = random_key();
    for header in [AuthHeader::Bearer, AuthHeader::XApiKey] {
        let client = client_for(&url, Some(&key), header);
        let sandbox = client
            .create_sandbox(&CreateSandboxOptions::template("code-interpreter"))
            .await
            .unwrap();
        let result = sandbox
            .run_code("print(1)", &RunCodeOptions::default())
            .await
            .unwrap();
        assert_eq!(result.stdout, "ran print(1)\n");
    }
    let fake = fake.lock().unwrap();
    let secret = key.split_once('.').unwrap().1;
    for headers in &fake.agent_headers {
        assert!(headers.contains("authorization: Bearer tok-1"), "{headers}");
        assert!(!headers.contains(secret), "the API key reached the agent");
        assert!(!headers.contains("x-api-key"), "{headers}");
    }
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_for_all_concurrent_calls() {
    let (url, fake) = start().await;
    let client = client_for(&url, Some(&random_key()), AuthHeader::Bearer);
    let sandbox = client
        .create_sandbox(&CreateSandboxOptions::template("code-interpreter"))
        .await
        .unwrap();
    // The server rotates the token behind the client's back: every call is rejected once.
    fake.lock().unwrap().current_token = "tok-rotated".into();
    let calls = (0..5).map(|i| {
        let sandbox = sandbox.clone();
        async move {
            sandbox
                .run_code(&format!("job {i}"), &RunCodeOptions::default())
                .await
        }
    });
    let results = futures_join_all(calls).await;
    for result in results {
        assert!(result.unwrap().success);
    }
    let fake = fake.lock().unwrap();
    assert_eq!(fake.refreshes, 1, "one refresh shared by five calls");
    assert_eq!(fake.executions, 5, "each execution ran exactly once");
}

#[tokio::test]
async fn an_execution_that_may_have_run_is_not_sent_again() {
    let (url, fake) = start().await;
    let client = client_for(&url, Some(&random_key()), AuthHeader::Bearer);
    let sandbox = client
        .create_sandbox(&CreateSandboxOptions::template("code-interpreter"))
        .await
        .unwrap();
    fake.lock().unwrap().reset_next_execution = true;
    let err = sandbox
        .run_code("import os", &RunCodeOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
    assert!(err.maybe_processed(), "{err}");
    assert!(err.to_string().contains("the code may have run"), "{err}");
    assert_eq!(fake.lock().unwrap().executions, 1);
}

#[tokio::test]
async fn execution_options_are_sent_as_the_agent_expects() {
    let (url, fake) = start().await;
    let client = client_for(&url, Some(&random_key()), AuthHeader::Bearer);
    let sandbox = client
        .create_sandbox(&CreateSandboxOptions::template("code-interpreter"))
        .await
        .unwrap();
    let options = RunCodeOptions {
        timeout: Duration::from_millis(1500),
        working_dir: "/tmp".into(),
        ..Default::default()
    };
    let result = sandbox.run_code("x", &options).await.unwrap();
    assert!(result.success);
    assert_eq!(
        fake.lock().unwrap().last_execution,
        json!({"code": "x", "language": "python", "timeout": 2, "workdir": "/tmp"}),
        "whole seconds, rounded up"
    );
    let zero = RunCodeOptions {
        timeout: Duration::ZERO,
        ..Default::default()
    };
    let err = sandbox.run_code("x", &zero).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
}

/// `futures::future::join_all` without the dependency: spawn each and await in order.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
