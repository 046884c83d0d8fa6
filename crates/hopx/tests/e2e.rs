//! The core against a real hopx-local server on a free loopback port.

mod common;

use std::time::Duration;

use common::{LocalServer, client_for, try_client};
use hopx::{AuthHeader, CreateSandboxOptions, ErrorCode, ListTemplatesOptions};

#[tokio::test]
async fn lists_templates_with_both_header_styles() {
    let local = LocalServer::start().await;
    for header in [AuthHeader::Bearer, AuthHeader::XApiKey] {
        let templates = local
            .client(header)
            .list_templates(&Default::default())
            .await
            .unwrap();
        let ci = templates
            .iter()
            .find(|t| t.name.as_deref() == Some("code-interpreter"))
            .expect("the catalog has code-interpreter");
        assert!(ci.id.is_some());
        assert!(ci.display_name.is_some());
        assert!(ci.default_resources.as_ref().and_then(|r| r.vcpu).is_some());
    }
    let stats = local.stats().await;
    assert_eq!(
        stats["auth_headers"],
        serde_json::json!({"bearer": 1, "x-api-key": 1})
    );
    let agent = format!("hopx-rust/{}", hopx::VERSION);
    assert_eq!(
        stats["user_agents"],
        serde_json::json!({ agent: 2 }),
        "{stats}"
    );
    let python = local
        .client(AuthHeader::Bearer)
        .list_templates(&ListTemplatesOptions {
            language: Some("python".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!python.is_empty());
    assert!(
        python
            .iter()
            .all(|t| t.language.as_deref() == Some("python"))
    );
}

#[tokio::test]
async fn creates_a_sandbox_with_both_header_styles() {
    let local = LocalServer::start().await;
    for header in [AuthHeader::Bearer, AuthHeader::XApiKey] {
        let client = local.client(header);
        let options = CreateSandboxOptions {
            timeout_seconds: Some(600),
            env_vars: Some([("GREETING".to_owned(), "hello".to_owned())].into()),
            ..CreateSandboxOptions::template("code-interpreter")
        };
        let sandbox = client.create_sandbox(&options).await.unwrap();
        assert!(!sandbox.id().is_empty());
        assert_eq!(sandbox.info().status.as_deref(), Some("running"));
        assert_eq!(
            sandbox.info().template_name.as_deref(),
            Some("code-interpreter")
        );
        assert!(sandbox.token_expires_at().is_some());
        let info = sandbox.get_info().await.unwrap();
        assert_eq!(info.sandbox_id.as_deref(), Some(sandbox.id()));
        let expires = info
            .expires_at
            .expect("a sandbox with a lifetime has an expiry");
        let created = info.created_at.expect("created_at is set");
        assert_eq!((expires - created).num_seconds(), 600);
        assert!(
            !format!("{sandbox:?}").contains("eyJ"),
            "Debug never shows the token"
        );
    }
    let by_id = CreateSandboxOptions {
        template_id: Some("1".into()),
        ..Default::default()
    };
    let sandbox = local
        .client(AuthHeader::Bearer)
        .create_sandbox(&by_id)
        .await
        .unwrap();
    assert_eq!(sandbox.info().template_id.as_deref(), Some("1"));
}

#[tokio::test]
async fn wrong_key_is_an_authentication_error_with_a_request_id() {
    let local = LocalServer::start().await;
    let wrong = common::random_key();
    let client = client_for(&local.url(), Some(&wrong), AuthHeader::Bearer);
    let err = client
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Authentication);
    assert_eq!(err.status(), Some(401));
    assert!(err.request_id().is_some_and(|id| id.starts_with("req_")));
    assert!(err.server_code().is_some());
    let (prefix_and_id, secret) = wrong.split_once('.').unwrap();
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("{prefix_and_id}.****")),
        "names the key: {shown}"
    );
    assert!(
        shown.contains("an argument passed by the program"),
        "names where it came from: {shown}"
    );
    assert!(!err.to_string().contains(secret));
    assert!(!format!("{err:?}").contains(secret));
}

#[tokio::test]
async fn unknown_template_is_template_not_found() {
    let local = LocalServer::start().await;
    let err = local
        .client(AuthHeader::Bearer)
        .create_sandbox(&CreateSandboxOptions::template("no-such-template"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("no-such-template"));

    // A key passed where the template name goes is not echoed back, by the server or by us.
    let key = common::random_key();
    let err = local
        .client(AuthHeader::Bearer)
        .create_sandbox(&CreateSandboxOptions::template(key.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    let secret = key.split_once('.').unwrap().1;
    let shown = format!("{err} {err:?} {:?}", err.details());
    assert!(!shown.contains(secret), "{shown}");
}

#[tokio::test]
async fn missing_key_fails_before_any_request() {
    let local = LocalServer::start().await;
    let err = try_client(&local.url(), None, AuthHeader::Bearer).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ApiKeyMissing);
    let err = try_client(&local.url(), Some("sk_live_abc"), AuthHeader::Bearer).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ApiKeyWrongPrefix);
    let no_template = local
        .client(AuthHeader::Bearer)
        .create_sandbox(&Default::default())
        .await;
    assert_eq!(no_template.unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(
        local.stats().await["api_requests"],
        0,
        "nothing reached the server"
    );
}

#[tokio::test]
async fn consecutive_calls_reuse_one_connection_even_across_clients() {
    let local = LocalServer::start().await;
    // hyper hands a finished HTTP/1 connection back to the pool from a runtime task; on a loaded
    // machine a new loopback connect can beat that by microseconds. So the two-call experiment
    // gets up to three tries: a client that never reused connections fails all three.
    // hyper hands a finished HTTP/1 connection back to the pool from a runtime task; on a loaded
    // machine a new loopback connect can beat that by microseconds. So the two-call experiment
    // gets up to three tries: a client that never reused connections fails all three.
    // Separately built clients, as class-method calls in Python or JS build them.
    let list = || async {
        let client = local.client(AuthHeader::Bearer);
        client.list_templates(&Default::default()).await.unwrap();
    };
    list().await; // opens the connection
    let mut seen = Vec::new();
    for _ in 0..3 {
        local.reset_stats().await;
        list().await;
        list().await;
        let stats = local.stats().await;
        assert_eq!(stats["api_requests"], 2);
        seen.push(stats["api_connections"].as_u64().unwrap());
        if seen.last() == Some(&1) {
            break;
        }
    }
    assert_eq!(
        seen.last(),
        Some(&1),
        "connections per two calls, by try: {seen:?}"
    );
}

#[tokio::test]
async fn other_organizations_cannot_see_a_sandbox() {
    let local = LocalServer::start().await;
    let sandbox = local
        .client(AuthHeader::Bearer)
        .create_sandbox(&CreateSandboxOptions::template("base"))
        .await
        .unwrap();
    let other = client_for(&local.url(), Some(&local.other_key), AuthHeader::Bearer);
    let err = other.get_sandbox_info(sandbox.id()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let err = other.get_sandbox_info("../v1/templates").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
}

#[tokio::test]
async fn request_timeout_is_configurable() {
    // A listener that accepts but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..8 {
            if let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket);
            }
        }
    });
    let options = hopx::ClientOptions {
        api_key: Some(common::random_key()),
        base_url: Some(url),
        request_timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let client = hopx::Client::with_environment(&options, &common::empty_environment()).unwrap();
    let started = std::time::Instant::now();
    let err = client
        .create_sandbox(&CreateSandboxOptions::template("base"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    assert_eq!(err.timeout_kind(), Some(hopx::TimeoutKind::Request));
    assert!(err.maybe_processed(), "{err}");
    assert!(err.message().contains("list your sandboxes"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a POST that timed out is not replayed"
    );
    hold.abort();
}
