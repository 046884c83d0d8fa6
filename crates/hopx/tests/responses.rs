//! How the client reads answers hopx-local never gives: malformed bodies, both error
//! envelopes, and statuses that are (or are not) retried.

mod common;

use common::{Canned, ScriptedServer, client_for, random_key};
use hopx::{AuthHeader, CreateSandboxOptions, ErrorCode};

async fn list_error(script: Vec<Canned>) -> (hopx::Error, usize) {
    let server = ScriptedServer::start(script).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    (err, server.requests())
}

#[tokio::test]
async fn malformed_success_bodies_are_decode_errors() {
    for body in [
        "",
        "not json",
        "{\"data\": \"nope\"}",
        "[1,2]",
        "{\"data\": [1]}",
        "{\"data\": [{\"id\": 1}",
    ] {
        let canned = Canned::json(200, body).header("x-request-id", "req_hdr");
        let (err, requests) = list_error(vec![canned]).await;
        assert_eq!(err.code(), ErrorCode::Decode, "{body:?}: {err}");
        assert_eq!(err.status(), Some(200));
        assert_eq!(err.request_id(), Some("req_hdr"));
        assert_eq!(requests, 1, "a decode error is not retried");
        if body.trim().len() > 4 {
            assert!(
                !err.to_string().contains(body),
                "the body is not echoed: {err}"
            );
        }
    }
}

#[tokio::test]
async fn decode_errors_never_quote_body_values() {
    // serde's own message would quote the mistyped value; ours gives only its position.
    let server =
        ScriptedServer::start(vec![Canned::json(201, r#"{"id": {"token": "eyJleaked"}}"#)]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .create_sandbox(&CreateSandboxOptions::template("base"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Decode);
    assert!(!format!("{err} {err:?}").contains("eyJleaked"));
}

#[tokio::test]
async fn both_error_envelopes_are_understood() {
    let nested = Canned::json(
        404,
        r#"{"error":{"message":"Template not found","code":"template_missing","request_id":"req_body","details":{"name":"x"}}}"#,
    )
    .header("x-request-id", "req_hdr");
    let (err, _) = list_error(vec![nested]).await;
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(err.server_code(), Some("template_missing"));
    assert_eq!(err.request_id(), Some("req_body"), "the body's id wins");
    assert_eq!(err.details().unwrap()["name"], "x");
    assert!(err.message().starts_with("Template not found"));

    let flat = Canned::json(400, r#"{"error":"bad path","code":"INVALID_PATH"}"#)
        .header("x-request-id", "req_hdr");
    let (err, _) = list_error(vec![flat]).await;
    assert_eq!(
        err.code(),
        ErrorCode::FileOperation,
        "an agent code names the problem better than the status"
    );
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.server_code(), Some("INVALID_PATH"));
    assert_eq!(err.request_id(), Some("req_hdr"));

    let html = Canned {
        status: 502,
        headers: vec![],
        body: "<html>Authorization: Bearer leaked</html>".into(),
    };
    let (err, requests) = list_error(vec![html]).await;
    assert_eq!(err.code(), ErrorCode::Server);
    assert!(
        !err.to_string().contains("leaked"),
        "a raw body is never echoed"
    );
    assert_eq!(requests, 4, "GET is retried on 502: 1 + 3 retries");
}

#[tokio::test]
async fn status_mapping_over_the_wire() {
    let cases = [
        (
            402,
            ErrorCode::PaymentRequired,
            r#"{"error":{"message":"Insufficient credits"}}"#,
        ),
        (
            403,
            ErrorCode::ResourceLimit,
            r#"{"error":{"message":"Sandbox limit reached","details":{"limit":5,"current":5}}}"#,
        ),
        (
            403,
            ErrorCode::PermissionDenied,
            r#"{"error":{"message":"Forbidden"}}"#,
        ),
        (
            409,
            ErrorCode::Conflict,
            r#"{"error":{"message":"Conflict"}}"#,
        ),
        (410, ErrorCode::Gone, r#"{"error":{"message":"Gone"}}"#),
        (
            422,
            ErrorCode::UnprocessableEntity,
            r#"{"error":{"message":"Unprocessable"}}"#,
        ),
        (
            401,
            ErrorCode::TokenExpired,
            r#"{"error":{"message":"expired","code":"token_expired"}}"#,
        ),
    ];
    for (status, code, body) in cases {
        let (err, _) = list_error(vec![Canned::json(status, body)]).await;
        assert_eq!(err.code(), code, "{status} {body}");
        assert_eq!(err.status(), Some(status));
    }
}

#[tokio::test]
async fn get_is_retried_after_503_and_succeeds() {
    let server = ScriptedServer::start(vec![
        Canned::json(503, r#"{"error":{"message":"busy"}}"#).header("retry-after", "0"),
        Canned::json(200, r#"{"data":[{"name":"base"}]}"#),
    ])
    .await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let templates = client.list_templates(&Default::default()).await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn create_is_never_replayed_after_a_500() {
    let server =
        ScriptedServer::start(vec![Canned::json(500, r#"{"error":{"message":"boom"}}"#)]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .create_sandbox(&CreateSandboxOptions::template("base"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Server);
    assert_eq!(
        server.requests(),
        1,
        "POST /v1/sandboxes was sent exactly once"
    );
}

#[tokio::test]
async fn create_is_retried_after_429_with_retry_after() {
    let server = ScriptedServer::start(vec![
        Canned::json(
            429,
            r#"{"error":{"message":"slow down","details":{"retry_after_seconds":0}}}"#,
        )
        .header("retry-after", "0"),
        Canned::json(201, r#"{"id":"sbx_1","status":"running","auth_token":"t"}"#),
    ])
    .await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let sandbox = client
        .create_sandbox(&CreateSandboxOptions::template("base"))
        .await
        .unwrap();
    assert_eq!(sandbox.id(), "sbx_1");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_long_retry_after_fails_at_once_with_the_wait() {
    let server = ScriptedServer::start(vec![
        Canned::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "3600"),
    ])
    .await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(
        err.retry_after(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn absurd_retry_after_values_do_not_panic() {
    for (header, body) in [
        ("99999999999999999999", r#"{"error":{"message":"x"}}"#),
        (
            "0",
            r#"{"error":{"message":"x","details":{"retry_after_seconds":1e300}}}"#,
        ),
        (
            "NaN",
            r#"{"error":{"message":"x","details":{"retry_after_seconds":-5}}}"#,
        ),
    ] {
        let (err, requests) =
            list_error(vec![Canned::json(429, body).header("retry-after", header)]).await;
        assert_eq!(err.code(), ErrorCode::RateLimited);
        if header != "NaN" {
            assert_eq!(requests, 1, "a wait beyond the cap fails at once");
            assert_eq!(
                err.retry_after(),
                Some(std::time::Duration::from_secs(86_400))
            );
        }
    }
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_key_never_moves() {
    let elsewhere = ScriptedServer::start(vec![Canned::json(200, r#"{"data":[]}"#)]).await;
    let redirect =
        Canned::json(302, "{}").header("location", &format!("{}/v1/templates", elsewhere.url));
    let server = ScriptedServer::start(vec![redirect]).await;
    for header in [AuthHeader::Bearer, AuthHeader::XApiKey] {
        let client = client_for(&server.url, Some(&random_key()), header);
        let err = client
            .list_templates(&Default::default())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(302));
        assert_eq!(err.code(), ErrorCode::Api);
    }
    assert_eq!(
        elsewhere.requests(),
        0,
        "nothing was sent to the redirect target"
    );
}

#[tokio::test]
async fn a_key_echoed_by_the_server_is_redacted() {
    let key = random_key();
    let (_, secret) = key.split_once('.').unwrap();
    let body = format!(
        r#"{{"error":{{"message":"Template '{key}' not found","details":{{"name":"{key}"}}}}}}"#
    );
    let server = ScriptedServer::start(vec![Canned::json(404, &body)]).await;
    let client = client_for(&server.url, Some(&random_key()), AuthHeader::Bearer);
    let err = client
        .create_sandbox(&CreateSandboxOptions::template(key.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    let shown = format!("{err} {err:?} {}", err.details().unwrap());
    assert!(!shown.contains(secret), "{shown}");
}
