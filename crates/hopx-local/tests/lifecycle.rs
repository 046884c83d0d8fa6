//! Sandbox state changes, the auto-kill timeout and the reaper, list filters on the
//! real status, and template deletion.

mod common;

use std::{net::SocketAddr, time::Duration};

use chrono::{DateTime, Utc};
use common::{
    KEY_A, KEY_B, create_sandbox, delete, eventually, get, post_empty, put_json, request, start,
    within,
};
use serde_json::{Value, json};

/// Longest wait for an expiry of one second to be acted on.
const EXPIRY_WAIT: Duration = Duration::from_secs(5);

async fn new_sandbox(addr: SocketAddr) -> String {
    let sandbox = create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;
    sandbox["id"].as_str().expect("id").to_owned()
}

/// POSTs `/v1/sandboxes/{id}/{action}` and returns the response.
async fn act(addr: SocketAddr, id: &str, action: &str) -> common::Response {
    post_empty(addr, &format!("/v1/sandboxes/{id}/{action}"), KEY_A).await
}

/// Asserts a 200 with the sandbox in `status`, shaped like GET (no token).
async fn assert_moved(addr: SocketAddr, id: &str, action: &str, status: &str) {
    let response = act(addr, id, action).await;
    assert_eq!(response.status, 200, "{action}: {}", response.text());
    let body = response.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["object"], "sandbox");
    assert_eq!(body["status"], status, "{action}");
    assert_eq!(body["request_id"], response.request_id());
    assert!(body.get("auth_token").is_none(), "{body}");
    let fetched = get(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
        .await
        .json();
    assert_eq!(fetched["status"], status, "GET after {action}");
}

/// Asserts a 409 for `action` on a sandbox in `status`, with a hint naming `fix`.
async fn assert_refused(
    addr: SocketAddr,
    id: &str,
    action: &str,
    status: &str,
    allowed: Value,
    fix: Option<&str>,
) {
    let error = act(addr, id, action).await.error(409, "invalid_state");
    assert_eq!(error["details"]["status"], status, "{action}: {error}");
    assert_eq!(error["details"]["action"], action);
    assert_eq!(error["details"]["allowed"], allowed, "{action}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains(&format!("'{id}'")), "{message}");
    assert!(message.contains(status), "{message}");
    match fix {
        Some(fix) => assert!(
            message.contains(&format!("POST /v1/sandboxes/{id}/{fix}")),
            "{message}"
        ),
        None => assert!(message.contains("nothing to do"), "{message}"),
    }
    // A refusal changes nothing.
    let fetched = get(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
        .await
        .json();
    assert_eq!(fetched["status"], status);
}

fn timestamp(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {value}"))
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn pause_resume_stop_start_follow_the_state_machine() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let running = json!(["running"]);

    // running
    assert_refused(addr, &id, "resume", "running", json!(["paused"]), None).await;
    assert_refused(addr, &id, "start", "running", json!(["stopped"]), None).await;
    assert_moved(addr, &id, "pause", "paused").await;

    // paused
    assert_refused(
        addr,
        &id,
        "pause",
        "paused",
        running.clone(),
        Some("resume"),
    )
    .await;
    assert_refused(
        addr,
        &id,
        "start",
        "paused",
        json!(["stopped"]),
        Some("resume"),
    )
    .await;
    assert_moved(addr, &id, "resume", "running").await;
    assert_moved(addr, &id, "pause", "paused").await;
    assert_moved(addr, &id, "stop", "stopped").await;

    // stopped
    let stoppable = json!(["running", "paused"]);
    assert_refused(addr, &id, "stop", "stopped", stoppable, Some("start")).await;
    assert_refused(addr, &id, "pause", "stopped", running, Some("start")).await;
    assert_refused(
        addr,
        &id,
        "resume",
        "stopped",
        json!(["paused"]),
        Some("start"),
    )
    .await;
    assert_moved(addr, &id, "start", "running").await;
    assert_moved(addr, &id, "stop", "stopped").await;

    // A stopped sandbox can still be deleted.
    assert_eq!(
        delete(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
            .await
            .status,
        200
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_exact_409_message_for_pausing_twice() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    assert_eq!(act(addr, &id, "pause").await.status, 200);
    let error = act(addr, &id, "pause").await.error(409, "invalid_state");
    assert_eq!(
        error["message"],
        format!("Sandbox '{id}' is already paused; resume it with POST /v1/sandboxes/{id}/resume.")
    );
    assert_eq!(
        error["details"],
        json!({"action": "pause", "status": "paused", "allowed": ["running"]})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sandbox_routes_are_404_for_unknown_and_foreign_sandboxes() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let auth_b = common::bearer(KEY_B);
    for target in [id.as_str(), "0000000000nothere0"] {
        for action in ["pause", "resume", "stop", "start", "token/refresh"] {
            let path = format!("/v1/sandboxes/{target}/{action}");
            request(addr, "POST", &path, &[("Authorization", &auth_b)], None)
                .await
                .error(404, "sandbox_not_found");
        }
        let path = format!("/v1/sandboxes/{target}/timeout");
        put_json(addr, &path, KEY_B, &json!({"timeout_seconds": 60}))
            .await
            .error(404, "sandbox_not_found");
    }
    // KEY_B's attempts left A's sandbox alone.
    let fetched = get(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
        .await
        .json();
    assert_eq!(fetched["status"], "running");
    assert!(fetched["expires_at"].is_null());
    server.shutdown().await;
}

#[tokio::test]
async fn bodies_are_ignored_where_none_is_expected_and_keys_are_required() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let auth = common::bearer(KEY_A);
    for (action, status) in [("pause", "paused"), ("resume", "running")] {
        let response = request(
            addr,
            "POST",
            &format!("/v1/sandboxes/{id}/{action}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(b"{not json at all"),
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["status"], status);
    }
    for action in ["pause", "resume", "stop", "start", "token/refresh"] {
        let path = format!("/v1/sandboxes/{id}/{action}");
        request(addr, "POST", &path, &[], None)
            .await
            .error(401, "missing_api_key");
    }
    request(
        addr,
        "PUT",
        &format!("/v1/sandboxes/{id}/timeout"),
        &[],
        Some(br#"{"timeout_seconds": 1}"#),
    )
    .await
    .error(401, "missing_api_key");
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_methods_on_known_paths_are_405_envelopes() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let cases = [
        ("GET", format!("/v1/sandboxes/{id}/pause"), "POST"),
        ("DELETE", format!("/v1/sandboxes/{id}/start"), "POST"),
        ("POST", format!("/v1/sandboxes/{id}/timeout"), "PUT"),
        ("GET", format!("/v1/sandboxes/{id}/token/refresh"), "POST"),
        ("PUT", format!("/v1/sandboxes/{id}"), "GET"),
        ("POST", "/v1/templates/base".to_owned(), "GET"),
        ("PATCH", "/v1/templates".to_owned(), "GET"),
    ];
    for (method, path, allowed) in cases {
        let response = request(addr, method, &path, &[("X-API-Key", KEY_A)], None).await;
        let error = response.error(405, "method_not_allowed");
        let allow = response.header("allow").unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow:?}");
        assert!(
            error["message"].as_str().unwrap().contains(method),
            "{error}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn list_filters_on_the_real_status_and_pages_within_the_filter() {
    let server = start().await;
    let addr = server.local_addr();
    let mut all = Vec::new();
    for _ in 0..6 {
        all.push(new_sandbox(addr).await);
    }
    // Paused: 0, 2, 3, 5. Stopped: 4. Running: 1.
    for i in [0, 2, 3, 5] {
        assert_eq!(act(addr, &all[i], "pause").await.status, 200);
    }
    assert_eq!(act(addr, &all[4], "stop").await.status, 200);
    // Another organization's paused sandbox must not show up.
    let other = create_sandbox(addr, KEY_B, json!({"template_name": "base"})).await;
    let other_id = other["id"].as_str().unwrap();
    post_empty(addr, &format!("/v1/sandboxes/{other_id}/pause"), KEY_B).await;

    let mut seen = Vec::new();
    let mut path = "/v1/sandboxes?status=paused&limit=3".to_owned();
    for page in 0..2 {
        let body = get(addr, &path, KEY_A).await.json();
        for item in body["data"].as_array().expect("data") {
            assert_eq!(item["status"], "paused", "page {page}: {item}");
        }
        seen.extend(ids(&body));
        if page == 0 {
            assert_eq!(body["has_more"], true, "{body}");
            let cursor = body["next_cursor"].as_str().expect("next_cursor");
            path = format!("/v1/sandboxes?status=paused&limit=3&cursor={cursor}");
        } else {
            assert_eq!(body["has_more"], false, "{body}");
            assert!(body["next_cursor"].is_null());
        }
    }
    let paused: Vec<String> = [0, 2, 3, 5].iter().map(|&i| all[i].clone()).collect();
    assert_eq!(seen, paused, "each paused sandbox once, oldest first");

    let running = get(addr, "/v1/sandboxes?status=running", KEY_A)
        .await
        .json();
    assert_eq!(ids(&running), [all[1].clone()]);
    let stopped = get(addr, "/v1/sandboxes?status=stopped", KEY_A)
        .await
        .json();
    assert_eq!(ids(&stopped), [all[4].clone()]);
    let creating = get(addr, "/v1/sandboxes?status=creating", KEY_A)
        .await
        .json();
    assert!(ids(&creating).is_empty());
    let mixed = get(addr, "/v1/sandboxes?status=stopped&region=local", KEY_A)
        .await
        .json();
    assert_eq!(ids(&mixed), [all[4].clone()]);
    let elsewhere = get(addr, "/v1/sandboxes?status=stopped&region=eu-west", KEY_A)
        .await
        .json();
    assert!(ids(&elsewhere).is_empty());

    for bad in ["bogus", "Running", "deleted", ""] {
        let error = get(addr, &format!("/v1/sandboxes?status={bad}"), KEY_A)
            .await
            .error(400, "validation_error");
        assert_eq!(error["details"]["field"], "status");
        assert_eq!(
            error["details"]["allowed"],
            json!(["running", "stopped", "paused", "creating"])
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("running, stopped, paused, creating"),
            "{message}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn set_timeout_counts_from_now_and_shows_in_get() {
    let server = start().await;
    let addr = server.local_addr();
    let created = create_sandbox(
        addr,
        KEY_A,
        json!({"template_name": "base", "timeout_seconds": 600}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/sandboxes/{id}/timeout");

    let before = Utc::now();
    let response = put_json(addr, &path, KEY_A, &json!({"timeout_seconds": 3600})).await;
    let after = Utc::now();
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["status"], "running");
    assert_eq!(body["timeout_seconds"], 3600);
    assert_eq!(body["request_id"], response.request_id());
    assert!(body.get("auth_token").is_none());
    let expires = timestamp(&body["expires_at"]);
    // Whole seconds on the wire, so allow one second of rounding either way.
    let from = before + chrono::Duration::seconds(3599);
    let to = after + chrono::Duration::seconds(3601);
    assert!(
        from <= expires && expires <= to,
        "{expires} not in {from}..{to}"
    );

    let fetched = get(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
        .await
        .json();
    assert_eq!(fetched["timeout_seconds"], 3600);
    assert_eq!(fetched["expires_at"], body["expires_at"]);
    assert_eq!(fetched["created_at"], created["created_at"]);

    // Up to ten years is fine.
    let longest = put_json(addr, &path, KEY_A, &json!({"timeout_seconds": 315_360_000})).await;
    assert_eq!(longest.status, 200, "{}", longest.text());
    assert_eq!(longest.json()["timeout_seconds"], 315_360_000);

    // A sandbox without a timeout gets one; a paused one keeps its status.
    let forever = new_sandbox(addr).await;
    assert_eq!(act(addr, &forever, "pause").await.status, 200);
    let set = put_json(
        addr,
        &format!("/v1/sandboxes/{forever}/timeout"),
        KEY_A,
        &json!({"timeout_seconds": 120, "note": "extra fields are ignored"}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(set.json()["status"], "paused");
    assert_eq!(set.json()["timeout_seconds"], 120);
    server.shutdown().await;
}

#[tokio::test]
async fn set_timeout_rejects_bad_bodies_naming_the_field() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let path = format!("/v1/sandboxes/{id}/timeout");
    let auth = common::bearer(KEY_A);
    let field_errors = [
        r#"{}"#,
        r#"{"timeout_seconds": null}"#,
        r#"{"timeout": 60}"#,
        r#"{"timeout_seconds": 0}"#,
        r#"{"timeout_seconds": -5}"#,
        r#"{"timeout_seconds": 1.5}"#,
        r#"{"timeout_seconds": "60"}"#,
        r#"{"timeout_seconds": [60]}"#,
        r#"{"timeout_seconds": 315360001}"#,
        r#"{"timeout_seconds": 18446744073709551615}"#,
        r#"{"timeout_seconds": 100000000000000000000}"#,
    ];
    for body in field_errors {
        let response = request(
            addr,
            "PUT",
            &path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body.as_bytes()),
        )
        .await;
        let error = response.error(400, "validation_error");
        assert_eq!(error["details"]["field"], "timeout_seconds", "{body}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("timeout_seconds"),
            "{error}"
        );
    }
    for (body, code) in [
        ("", "invalid_json"),
        ("{", "invalid_json"),
        ("60", "validation_error"),
        ("[]", "validation_error"),
    ] {
        let response = request(
            addr,
            "PUT",
            &path,
            &[("Authorization", &auth)],
            Some(body.as_bytes()),
        )
        .await;
        let error = response.error(400, code);
        assert!(error["details"]["field"].is_null(), "{body:?}: {error}");
    }
    // None of that touched the sandbox.
    let fetched = get(addr, &format!("/v1/sandboxes/{id}"), KEY_A)
        .await
        .json();
    assert!(fetched["timeout_seconds"].is_null());
    assert!(fetched["expires_at"].is_null());
    server.shutdown().await;
}

#[tokio::test]
async fn a_one_second_timeout_kills_the_sandbox() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    let keep = new_sandbox(addr).await;
    let path = format!("/v1/sandboxes/{id}");
    let set = put_json(
        addr,
        &format!("{path}/timeout"),
        KEY_A,
        &json!({"timeout_seconds": 1}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());

    eventually("GET answers 404", EXPIRY_WAIT, || async {
        get(addr, &path, KEY_A).await.status == 404
    })
    .await;
    get(addr, &path, KEY_A)
        .await
        .error(404, "sandbox_not_found");
    let list = get(addr, "/v1/sandboxes", KEY_A).await.json();
    assert_eq!(ids(&list), [keep]);
    for action in ["pause", "token/refresh"] {
        post_empty(addr, &format!("{path}/{action}"), KEY_A)
            .await
            .error(404, "sandbox_not_found");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_reaper_kills_expired_sandboxes_without_any_request() {
    let server = start().await;
    let addr = server.local_addr();
    for _ in 0..2 {
        create_sandbox(
            addr,
            KEY_A,
            json!({"template_name": "base", "timeout_seconds": 1}),
        )
        .await;
    }
    let survivor = new_sandbox(addr).await;
    assert_eq!(server.stats().sandboxes_live, 3);

    // server.stats() reads the store without purging it, and no request is made.
    eventually("the reaper removes both", EXPIRY_WAIT, || async {
        server.stats().sandboxes_live == 1
    })
    .await;
    assert_eq!(server.stats().sandboxes_expired, 2);

    let stats = request(addr, "GET", "/_local/stats", &[], None)
        .await
        .json();
    assert_eq!(stats["sandboxes_live"], 1);
    assert_eq!(stats["sandboxes_expired"], 2);
    let list = get(addr, "/v1/sandboxes", KEY_A).await.json();
    assert_eq!(ids(&list), [survivor]);

    let reset = request(addr, "POST", "/_local/reset-stats", &[], None)
        .await
        .json();
    assert_eq!(reset["sandboxes_expired"], 0);
    assert_eq!(reset["sandboxes_live"], 1, "a gauge, not reset");
    server.shutdown().await;
}

#[tokio::test]
async fn bringing_an_expiry_forward_wakes_the_reaper_even_for_a_paused_sandbox() {
    let server = start().await;
    let addr = server.local_addr();
    // The reaper goes to sleep until this sandbox's expiry (capped at a minute)...
    let created = create_sandbox(
        addr,
        KEY_A,
        json!({"template_name": "base", "timeout_seconds": 3600}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(act(addr, id, "pause").await.status, 200);
    // ...and must be woken when it is brought forward; the clock runs while paused.
    let set = put_json(
        addr,
        &format!("/v1/sandboxes/{id}/timeout"),
        KEY_A,
        &json!({"timeout_seconds": 1}),
    )
    .await;
    assert_eq!(set.status, 200);
    eventually("the reaper removes it", EXPIRY_WAIT, || async {
        server.stats().sandboxes_live == 0
    })
    .await;
    assert_eq!(server.stats().sandboxes_expired, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt_with_a_pending_expiry() {
    let server = start().await;
    create_sandbox(
        server.local_addr(),
        KEY_A,
        json!({"template_name": "base", "timeout_seconds": 3600}),
    )
    .await;
    let started = std::time::Instant::now();
    within("shutdown", server.shutdown()).await;
    // The reaper sleeps until the expiry; shutdown must wake it, not wait it out
    // (nor its 2 s grace).
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refresh_token_works_in_every_state() {
    let server = start().await;
    let addr = server.local_addr();
    let id = new_sandbox(addr).await;
    for (action, status) in [
        (None, "running"),
        (Some("pause"), "paused"),
        (Some("stop"), "stopped"),
    ] {
        if let Some(action) = action {
            assert_eq!(act(addr, &id, action).await.status, 200);
        }
        let response = act(addr, &id, "token/refresh").await;
        assert_eq!(response.status, 200, "{status}: {}", response.text());
        let body = response.json();
        assert_eq!(body["id"], id);
        assert_eq!(body["status"], status);
        assert_eq!(body["request_id"], response.request_id());
        let token = body["auth_token"].as_str().expect("auth_token");
        let claims = server.verify_token(token).expect("token verifies");
        assert_eq!(claims.sub, id);
        assert_eq!(claims.org, 1);
        assert_eq!(timestamp(&body["token_expires_at"]).timestamp(), claims.exp);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn catalog_templates_cannot_be_deleted_and_unknown_ones_are_404() {
    let server = start().await;
    let addr = server.local_addr();
    for name_or_id in ["base", "2"] {
        let response = delete(addr, &format!("/v1/templates/{name_or_id}"), KEY_A).await;
        let error = response.error(403, "public_template");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("'base'"), "{message}");
        assert!(message.contains("cannot be deleted"), "{message}");
        // The official Python SDK would turn a 403 saying "limit" into ResourceLimitError.
        assert!(!message.to_lowercase().contains("limit"), "{message}");
        assert_eq!(
            error["details"],
            json!({"template_id": "2", "name": "base", "is_public": true})
        );
    }
    let missing = delete(addr, "/v1/templates/ruby", KEY_A).await;
    let error = missing.error(404, "template_not_found");
    assert_eq!(error["message"], "Template 'ruby' not found");
    let available = error["details"]["available"].as_array().expect("available");
    assert!(available.contains(&json!("base")));

    // Still there, by name and by id; a key pasted as the name is not echoed.
    assert_eq!(get(addr, "/v1/templates/base", KEY_A).await.status, 200);
    assert_eq!(
        get(addr, "/v1/templates/2", KEY_A).await.json()["name"],
        "base"
    );
    let leaked = delete(addr, &format!("/v1/templates/{KEY_A}"), KEY_A).await;
    let error = leaked.error(404, "template_not_found");
    assert!(!error.to_string().contains("secret-of_org-one"), "{error}");
    request(addr, "DELETE", "/v1/templates/base", &[], None)
        .await
        .error(401, "missing_api_key");
    server.shutdown().await;
}

#[tokio::test]
async fn template_building_says_it_is_not_available_locally() {
    let server = start().await;
    let addr = server.local_addr();
    let auth = common::bearer(KEY_A);
    for (method, path) in [
        ("POST", "/v1/templates/build"),
        ("GET", "/v1/templates/build/bld_1/status"),
        ("GET", "/v1/templates/build/bld_1/logs"),
        ("POST", "/v1/templates/files/upload-link"),
    ] {
        let response = request(addr, method, path, &[("Authorization", &auth)], Some(b"{}")).await;
        let error = response.error(404, "not_available_locally");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("GET /v1/templates"), "{message}");
    }
    request(addr, "POST", "/v1/templates/build", &[], None)
        .await
        .error(401, "missing_api_key");
    server.shutdown().await;
}
