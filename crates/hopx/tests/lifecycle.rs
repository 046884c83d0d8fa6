//! The control plane, operation by operation, against a real hopx-local server.

mod common;

use std::time::Duration;

use common::{Canned, LocalServer, ScriptedServer, client_for, random_key};
use hopx::{
    AuthHeader, Client, ClientOptions, CreateSandboxOptions, ErrorCode, ListSandboxesOptions,
};

fn code_interpreter() -> CreateSandboxOptions {
    CreateSandboxOptions::template("code-interpreter")
}

async fn status_of(client: &Client, id: &str) -> String {
    client
        .get_sandbox_info(id)
        .await
        .unwrap()
        .status
        .unwrap_or_default()
}

#[tokio::test]
async fn pause_resume_kill() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let sandbox = client.create_sandbox(&code_interpreter()).await.unwrap();
    assert_eq!(sandbox.info().status.as_deref(), Some("running"));

    sandbox.pause().await.unwrap();
    assert_eq!(status_of(&client, sandbox.id()).await, "paused");
    assert_eq!(
        sandbox.info().status.as_deref(),
        Some("paused"),
        "the handle keeps what pause answered"
    );
    let again = sandbox.pause().await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::Conflict, "{again}");
    assert_eq!(again.status(), Some(409));

    sandbox.resume().await.unwrap();
    assert_eq!(status_of(&client, sandbox.id()).await, "running");

    sandbox.kill().await.unwrap();
    let gone = sandbox.get_info().await.unwrap_err();
    assert_eq!(gone.code(), ErrorCode::NotFound);
    let twice = sandbox.kill().await.unwrap_err();
    assert_eq!(twice.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn set_timeout_moves_the_expiry_and_is_checked() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::XApiKey);
    let sandbox = client.create_sandbox(&code_interpreter()).await.unwrap();
    let before = sandbox
        .expiry_info(hopx::DEFAULT_EXPIRING_SOON)
        .await
        .unwrap();
    assert!(!before.has_timeout, "created without a timeout");
    assert_eq!(sandbox.time_to_expiry().await.unwrap(), None);
    assert!(
        !sandbox
            .is_expiring_soon(Duration::from_secs(300))
            .await
            .unwrap()
    );

    sandbox.set_timeout(600).await.unwrap();
    let info = sandbox.get_info().await.unwrap();
    assert_eq!(info.timeout_seconds, Some(600));
    let left = sandbox.time_to_expiry().await.unwrap().unwrap();
    assert!((590..=600).contains(&left), "{left}");
    assert!(
        sandbox
            .is_expiring_soon(Duration::from_secs(900))
            .await
            .unwrap()
    );
    assert!(
        !sandbox
            .is_expiring_soon(Duration::from_secs(60))
            .await
            .unwrap()
    );
    let expiry = sandbox.expiry_info(Duration::from_secs(60)).await.unwrap();
    assert!(expiry.has_timeout && !expiry.is_expired);
    assert_eq!(expiry.expires_at, info.expires_at);

    for bad in [0, -5] {
        let err = sandbox.set_timeout(bad).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    }
}

#[tokio::test]
async fn a_sandbox_is_killed_when_its_timeout_passes() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let options = CreateSandboxOptions {
        timeout_seconds: Some(1),
        ..code_interpreter()
    };
    let sandbox = client.create_sandbox(&options).await.unwrap();
    let mut gone = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match sandbox.get_info().await {
            Err(e) if e.code() == ErrorCode::NotFound => {
                gone = true;
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(gone, "the sandbox outlived its 1 s timeout by 5 s");
}

#[tokio::test]
async fn refresh_token_keeps_the_new_token_private() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let sandbox = client.create_sandbox(&code_interpreter()).await.unwrap();
    let first = sandbox
        .token_expires_at()
        .expect("create returns a token expiry");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sandbox.refresh_token().await.unwrap();
    let second = sandbox.token_expires_at().unwrap();
    assert!(second > first, "{first} then {second}");
    let clone = sandbox.clone();
    assert_eq!(
        clone.token_expires_at(),
        Some(second),
        "clones share the token"
    );
    assert!(!format!("{sandbox:?}").contains("eyJ"));
}

#[tokio::test]
async fn connect_resumes_paused_and_refuses_stopped() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let created = client.create_sandbox(&code_interpreter()).await.unwrap();
    assert!(created.kills_on_exit());

    let connected = client.connect_sandbox(created.id()).await.unwrap();
    assert!(!connected.kills_on_exit());
    assert_eq!(connected.info().status.as_deref(), Some("running"));
    assert!(
        connected.token_expires_at().is_some(),
        "connect gets a token"
    );

    created.pause().await.unwrap();
    let resumed = client.connect_sandbox(created.id()).await.unwrap();
    assert_eq!(resumed.info().status.as_deref(), Some("running"));
    assert_eq!(status_of(&client, created.id()).await, "running");

    let (status, _) = local
        .api("POST", &format!("/v1/sandboxes/{}/stop", created.id()))
        .await;
    assert_eq!(status, 200);
    let err = client.connect_sandbox(created.id()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("stopped"), "{err}");
    assert!(err.hint().unwrap().contains("/start"), "{:?}", err.hint());

    let missing = client.connect_sandbox("nope").await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_handle_by_id_makes_no_request() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let created = client.create_sandbox(&code_interpreter()).await.unwrap();
    local.reset_stats().await;
    let handle = client.sandbox(created.id()).unwrap();
    assert_eq!(handle.id(), created.id());
    assert_eq!(handle.info().status, None);
    assert!(!handle.kills_on_exit());
    assert_eq!(local.stats().await["api_requests"], 0);
    assert_eq!(
        handle.get_info().await.unwrap().status.as_deref(),
        Some("running")
    );
    assert_eq!(handle.info().status.as_deref(), Some("running"));

    for bad in ["", "a/b", "..", "x?y=1"] {
        assert_eq!(
            client.sandbox(bad).unwrap_err().code(),
            ErrorCode::InvalidArgument,
            "{bad:?}"
        );
    }
    let key = random_key();
    let err = client.sandbox(&key).unwrap_err();
    assert!(!err.to_string().contains(key.split_once('.').unwrap().1));
}

#[tokio::test]
async fn exit_scope_kills_only_what_it_created() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let created = client.create_sandbox(&code_interpreter()).await.unwrap();
    let connected = client.connect_sandbox(created.id()).await.unwrap();
    connected.exit_scope().await.unwrap();
    assert_eq!(status_of(&client, created.id()).await, "running");
    created.exit_scope().await.unwrap();
    assert_eq!(
        client
            .get_sandbox_info(created.id())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    created
        .exit_scope()
        .await
        .expect("a sandbox already gone counts as cleaned up");
}

#[tokio::test]
async fn list_carries_info_and_filters() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let a = client.create_sandbox(&code_interpreter()).await.unwrap();
    let b = client
        .create_sandbox(&CreateSandboxOptions {
            region: Some("eu-west".into()),
            ..code_interpreter()
        })
        .await
        .unwrap();
    b.pause().await.unwrap();
    // Another organization's sandbox is never listed.
    client_for(&local.url(), Some(&local.other_key), AuthHeader::Bearer)
        .create_sandbox(&code_interpreter())
        .await
        .unwrap();

    local.reset_stats().await;
    let all = client.list_sandboxes(&Default::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.id()).collect::<Vec<_>>(),
        [a.id(), b.id()]
    );
    assert_eq!(all[1].info().status.as_deref(), Some("paused"));
    assert_eq!(
        all[0].info().template_name.as_deref(),
        Some("code-interpreter")
    );
    assert!(all.iter().all(|s| !s.kills_on_exit()));
    assert_eq!(
        local.stats().await["api_requests"],
        1,
        "one request, no get per item"
    );

    let paused = client
        .list_sandboxes(&ListSandboxesOptions {
            status: Some("paused".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(paused.len(), 1);
    assert_eq!(paused[0].id(), b.id());
    let eu = client
        .list_sandboxes(&ListSandboxesOptions {
            region: Some("eu-west".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(eu.len(), 1);
    let one = client
        .list_sandboxes(&ListSandboxesOptions {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);

    for bad in [
        ListSandboxesOptions {
            status: Some("sleeping".into()),
            ..Default::default()
        },
        ListSandboxesOptions {
            limit: Some(500),
            ..Default::default()
        },
    ] {
        let err = client.list_sandboxes(&bad).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    }
}

#[tokio::test]
async fn iter_follows_the_pages() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            client
                .create_sandbox(&code_interpreter())
                .await
                .unwrap()
                .id()
                .to_owned(),
        );
    }
    let mut pager = client
        .iter_sandboxes(ListSandboxesOptions {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..10 {
        match pager.next().await.unwrap() {
            Some(sandbox) => seen.push(sandbox.id().to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(pager.pages_fetched(), 3);
    assert!(pager.next().await.unwrap().is_none(), "stays finished");
    assert_eq!(pager.pages_fetched(), 3);
}

#[tokio::test]
async fn iter_stops_when_the_server_gives_no_cursor() {
    let page = r#"{"object":"list","data":[{"id":"sbx-1","status":"running"}],"has_more":true}"#;
    let server = ScriptedServer::start(vec![Canned::json(200, page)]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let mut pager = client.iter_sandboxes(Default::default()).unwrap();
    assert_eq!(pager.next().await.unwrap().unwrap().id(), "sbx-1");
    let err = pager.next().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Decode);
    assert!(err.to_string().contains("next_cursor"), "{err}");
    assert!(
        pager.next().await.unwrap().is_none(),
        "finished after the error"
    );
    assert_eq!(server.requests(), 1);

    let looping = r#"{"data":[{"id":"sbx-2"}],"has_more":true,"next_cursor":"same"}"#;
    let server = ScriptedServer::start(vec![Canned::json(200, looping)]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let mut pager = client.iter_sandboxes(Default::default()).unwrap();
    let mut outcome = Ok(());
    for _ in 0..10 {
        match pager.next().await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Decode);
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn templates_by_name_or_id_and_suggestions() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let by_name = client.get_template("code-interpreter").await.unwrap();
    assert_eq!(by_name.name.as_deref(), Some("code-interpreter"));
    assert!(by_name.description.is_some());
    let id = by_name.id.clone().unwrap();
    let by_id = client.get_template(&id).await.unwrap();
    assert_eq!(by_id.name, by_name.name);

    let err = client.get_template("code-interpretr").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    assert!(
        err.to_string().contains("Did you mean 'code-interpreter'?"),
        "{err}"
    );
    let details = err.details().unwrap();
    assert_eq!(details["suggested_template"], "code-interpreter");
    assert!(
        details["available_templates"]
            .as_array()
            .unwrap()
            .contains(&"code-interpreter".into())
    );

    let err = client
        .create_sandbox(&CreateSandboxOptions::template("code-interpeter"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    assert_eq!(
        err.details().unwrap()["suggested_template"],
        "code-interpreter"
    );
    let err = client
        .create_sandbox(&CreateSandboxOptions::template("zzzzzzzz"))
        .await
        .unwrap_err();
    assert!(err.details().unwrap()["suggested_template"].is_null());
}

#[tokio::test]
async fn suggestions_come_from_the_template_list_when_the_404_has_none() {
    let server = ScriptedServer::start(vec![
        Canned::json(
            404,
            r#"{"error":{"message":"not found","code":"not_found"}}"#,
        ),
        Canned::json(
            200,
            r#"{"data":[{"name":"code-interpreter"},{"name":"base"}]}"#,
        ),
    ])
    .await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .create_sandbox(&CreateSandboxOptions::template("code-interpreterr"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    assert_eq!(
        err.details().unwrap()["suggested_template"],
        "code-interpreter"
    );
    assert_eq!(server.requests(), 2, "the create, then one template list");
}

#[tokio::test]
async fn public_templates_cannot_be_deleted() {
    let local = LocalServer::start().await;
    let client = local.client(AuthHeader::Bearer);
    let err = client
        .delete_template("code-interpreter")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied, "{err}");
    assert_eq!(err.status(), Some(403));
    let err = client
        .delete_template("no-such-template")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn health_check_needs_no_key() {
    let local = LocalServer::start().await;
    let options = ClientOptions {
        base_url: Some(local.url()),
        ..Default::default()
    };
    let health = hopx::health_check_with_environment(&options, &common::empty_environment())
        .await
        .unwrap();
    assert!(health.contains_key("status"), "{health:?}");
    let stats = local.stats().await;
    assert_eq!(
        stats["auth_headers"],
        serde_json::json!({"none": 1}),
        "no key was sent"
    );

    let closed = ClientOptions {
        base_url: Some("http://127.0.0.1:9".into()),
        request_timeout: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let err = hopx::health_check_with_environment(&closed, &common::empty_environment())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
}

/// The shared cases in tests/fixtures/control_plane.json, which the Python and Node suites
/// also run: each is refused before anything is sent.
#[tokio::test]
async fn shared_fixture_arguments_are_refused_before_sending() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/control_plane.json")).unwrap();
    let server = ScriptedServer::start(vec![Canned::json(500, "{}")]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);

    for id in fixture["invalid_sandbox_ids"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        assert_eq!(
            client.sandbox(id).unwrap_err().code(),
            ErrorCode::InvalidArgument,
            "{id:?}"
        );
        let err = client.connect_sandbox(id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{id:?}");
    }
    let sandbox = client.sandbox("sbx-1").unwrap();
    for seconds in fixture["invalid_timeouts"].as_array().unwrap() {
        let err = sandbox
            .set_timeout(seconds.as_i64().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{seconds}");
    }
    for case in fixture["invalid_list_filters"].as_array().unwrap() {
        let options = ListSandboxesOptions {
            status: case["status"].as_str().map(str::to_owned),
            limit: case["limit"].as_i64(),
            ..Default::default()
        };
        let err = client.list_sandboxes(&options).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{case}");
        let expected = case["message_contains"].as_str().unwrap();
        assert!(err.to_string().contains(expected), "{err} / {expected}");
        assert_eq!(
            client.iter_sandboxes(options).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
    for threshold in fixture["invalid_thresholds"].as_array().unwrap() {
        assert!(hopx::expiring_soon_threshold(threshold.as_f64().unwrap()).is_err());
    }
    assert_eq!(server.requests(), 0, "nothing was sent");

    let names: Vec<String> = ["code-interpreter", "base", "python", "nodejs"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for case in fixture["template_suggestions"].as_array().unwrap() {
        let wanted = case["wanted"].as_str().unwrap();
        let suggested = hopx::closest_names(wanted, &names).first().cloned();
        assert_eq!(suggested.as_deref(), case["suggested"].as_str(), "{wanted}");
    }
}
