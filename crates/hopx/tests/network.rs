//! Per-call options, proxies and TLS, against real servers: hopx-local behind
//! `hopx-testkit` (a fault proxy, a forward proxy with CONNECT, an HTTPS front with a CA made
//! for the test).

mod common;

use std::time::Duration;

use common::{LocalServer, Testkit, empty_environment};
use hopx::config::MapEnvironment;
use hopx::{CallOptions, Client, ClientOptions, ErrorCode, TimeoutKind};
use serde_json::json;

fn client(options: ClientOptions, env: &MapEnvironment) -> hopx::Result<Client> {
    Client::with_environment(&options, env)
}

fn options(local: &LocalServer, base_url: &str) -> ClientOptions {
    ClientOptions {
        api_key: Some(local.key.clone()),
        base_url: Some(base_url.to_owned()),
        ..Default::default()
    }
}

fn templates_requests(log: &[serde_json::Value]) -> usize {
    log.iter().filter(|r| r["path"] == "/v1/templates").count()
}

#[tokio::test]
async fn call_options_override_the_client_for_the_calls_made_through_them() {
    let local = LocalServer::start().await;
    let faults = Testkit::faults(&local.url()).await;
    faults
        .set_rules(&json!([{"method": "GET", "path": "/v1/templates",
            "fault": {"kind": "status", "status": 500}}]))
        .await;
    let client = client(options(&local, &faults.url), &empty_environment()).unwrap();
    let once = client
        .with_call_options(&CallOptions {
            max_retries: Some(0),
            ..Default::default()
        })
        .unwrap();
    let error = once.list_templates(&Default::default()).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Server);
    assert_eq!(error.attempts(), 1);
    assert_eq!(templates_requests(&faults.fault_log().await), 1);

    // A sandbox handle with a short request timeout on a hanging GET; the original handle
    // keeps its settings and shares the sandbox's state.
    let sandbox = client
        .create_sandbox(&hopx::CreateSandboxOptions::template("base"))
        .await
        .unwrap();
    let path = format!("/v1/sandboxes/{}", sandbox.id());
    faults
        .set_rules(&json!([{"method": "GET", "path": path, "fault": {"kind": "hang"}}]))
        .await;
    let quick = sandbox
        .with_call_options(&CallOptions {
            request_timeout: Some(Duration::from_millis(300)),
            max_retries: Some(0),
            deadline: None,
        })
        .unwrap();
    let started = std::time::Instant::now();
    let error = quick.get_info().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(error.code(), ErrorCode::Timeout);
    assert_eq!(error.timeout_kind(), Some(TimeoutKind::Request));
    assert!(error.message().contains("0.3 s"), "{error}");
    assert_eq!(quick.id(), sandbox.id());
    faults.set_rules(&json!([])).await;
    sandbox.kill().await.unwrap();

    // Checked by the core, before anything is sent.
    for bad in [
        CallOptions {
            max_retries: Some(11),
            ..Default::default()
        },
        CallOptions {
            deadline: Some(Duration::ZERO),
            ..Default::default()
        },
    ] {
        let error = client.with_call_options(&bad).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidArgument, "{error}");
    }
}

#[tokio::test]
async fn the_proxy_option_and_the_proxy_variables_route_requests() {
    let local = LocalServer::start().await;
    let proxy = Testkit::proxy(None).await;
    let routed = |log: &serde_json::Value| {
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"].as_str().unwrap().ends_with("/v1/templates"))
            .count()
    };

    let with_option = ClientOptions {
        proxy: Some(proxy.url.clone()),
        ..options(&local, &local.url())
    };
    client(with_option, &empty_environment())
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    assert_eq!(routed(&proxy.control("GET", "/__proxy/log", None).await), 1);

    let env = empty_environment().var("HTTP_PROXY", &proxy.url);
    client(options(&local, &local.url()), &env)
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    assert_eq!(routed(&proxy.control("GET", "/__proxy/log", None).await), 2);

    let bypass = env.var("NO_PROXY", "127.0.0.1");
    client(options(&local, &local.url()), &bypass)
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    assert_eq!(routed(&proxy.control("GET", "/__proxy/log", None).await), 2);
}

#[tokio::test]
async fn proxy_credentials_work_and_never_show() {
    let local = LocalServer::start().await;
    let password = "pw-7f3a9c2e1b";
    let proxy = Testkit::proxy(Some(&format!("hopx:{password}"))).await;
    let port = proxy.url.rsplit(':').next().unwrap();
    let good = format!("http://hopx:{password}@127.0.0.1:{port}");
    let with_credentials = ClientOptions {
        proxy: Some(good),
        ..options(&local, &local.url())
    };
    let client_with_credentials = client(with_credentials, &empty_environment()).unwrap();
    assert!(!format!("{client_with_credentials:?}").contains(password));
    client_with_credentials
        .list_templates(&Default::default())
        .await
        .unwrap();

    let wrong = ClientOptions {
        proxy: Some(format!("http://hopx:wrong-{password}@127.0.0.1:{port}")),
        ..options(&local, &local.url())
    };
    let error = client(wrong, &empty_environment())
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(407), "{error}");
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(password), "{text}");
    }
}

#[tokio::test]
async fn tls_trusts_an_extra_ca_only_when_told_and_negotiates_http2() {
    let local = LocalServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let https = Testkit::tls(&local.url(), &ca, false).await;

    let untrusted = client(options(&local, &https.url), &empty_environment()).unwrap();
    let error = untrusted
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Network, "{error}");
    assert!(error.to_string().contains("ca_bundle"), "{error}");
    assert_eq!(
        error.attempts(),
        1,
        "waiting does not make a certificate trusted"
    );

    // Files are read through the test's environment, like config files.
    let pem = std::fs::read_to_string(&ca).unwrap();
    let trusted = ClientOptions {
        ca_bundle: Some(ca.clone()),
        ..options(&local, &https.url)
    };
    client(trusted, &empty_environment().file(&ca, &pem))
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    let from_env = empty_environment()
        .var("HOPX_CA_BUNDLE", ca.to_str().unwrap())
        .file(&ca, &pem);
    let http1 = ClientOptions {
        http2: Some(false),
        ..options(&local, &https.url)
    };
    client(http1, &from_env)
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    let log = https.control("GET", "/__tls/log", None).await;
    let versions: Vec<&str> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v1/templates")
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["HTTP/2.0", "HTTP/1.1"]);
}

#[tokio::test]
async fn https_through_a_connect_proxy() {
    let local = LocalServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let https = Testkit::tls(&local.url(), &ca, false).await;
    let proxy = Testkit::proxy(None).await;
    let pem = std::fs::read_to_string(&ca).unwrap();
    let through = ClientOptions {
        ca_bundle: Some(ca.clone()),
        proxy: Some(proxy.url.clone()),
        ..options(&local, &https.url)
    };
    client(through, &empty_environment().file(&ca, &pem))
        .unwrap()
        .list_templates(&Default::default())
        .await
        .unwrap();
    let log = proxy.control("GET", "/__proxy/log", None).await;
    let port = https.url.rsplit(':').next().unwrap();
    assert_eq!(log["requests"][0]["method"], "CONNECT", "{log}");
    assert_eq!(log["requests"][0]["target"], format!("127.0.0.1:{port}"));
}

#[tokio::test]
async fn a_rate_limited_key_waits_as_told_and_gets_through() {
    // One request per second, bursts of two: the third call in a row is told to wait.
    let local = LocalServer::start_with(&["--rate-limit", "1"]).await;
    let (status, body) = local.api("GET", "/v1/templates").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = local.api("GET", "/v1/templates").await;
    assert_eq!(status, 200);
    let (status, body) = local.api("GET", "/v1/templates").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["details"]["retry_after_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );

    let client = client(options(&local, &local.url()), &empty_environment()).unwrap();
    let started = std::time::Instant::now();
    client.list_templates(&Default::default()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as the server asked"
    );
    let stats = local.stats().await;
    assert!(stats["api_requests"].as_u64().unwrap() >= 5, "{stats}");
}

#[tokio::test]
async fn an_execution_timeout_is_named_as_such() {
    let local = LocalServer::start().await;
    // A request timeout far below the execution timeout: the HTTP deadline rises above the
    // execution's own, so the sandbox's timeout is the one that fires.
    let options = ClientOptions {
        request_timeout: Some(Duration::from_millis(200)),
        ..options(&local, &local.url())
    };
    let client = client(options, &empty_environment()).unwrap();
    let sandbox = client
        .create_sandbox(&hopx::CreateSandboxOptions::template("code-interpreter"))
        .await
        .unwrap();
    let run = hopx::RunCodeOptions {
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let error = sandbox
        .run_code("import time; time.sleep(30)", &run)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ExecutionTimeout, "{error}");
    assert_eq!(error.timeout_kind(), Some(TimeoutKind::Execution));
    sandbox.kill().await.unwrap();
}
