//! The HTTP API of an in-process server: templates, sandboxes, auth, envelopes.

mod common;

use std::time::Duration;

use common::{
    Conn, KEY_A, KEY_B, KEY_UNKNOWN, create_sandbox, delete, get, post_json, request, start,
};
use serde_json::{Value, json};

const TEMPLATE_LIST_FIELDS: &[&str] = &[
    // internal_api.TemplateListItem
    "id",
    "name",
    "display_name",
    "default_resources",
    "is_public",
    "organization_id",
    "status",
    "build_id",
    "created_at",
    "updated_at",
    "object",
    // read by the SDKs from list items too
    "description",
    "category",
    "language",
    "features",
    "tags",
    "is_active",
    "popularity_score",
    "docs_url",
    "icon",
];

fn names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

fn is_rfc3339_utc(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

#[tokio::test]
async fn health_needs_no_key() {
    let server = start().await;
    let response = request(server.local_addr(), "GET", "/health", &[], None).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "hopx-local");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["request_id"], response.request_id());
    server.shutdown().await;
}

#[tokio::test]
async fn list_templates_has_every_field_and_filters() {
    let server = start().await;
    let addr = server.local_addr();

    let response = get(addr, "/v1/templates", KEY_A).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["object"], "list");
    assert_eq!(body["has_more"], false);
    assert_eq!(body["url"], "/v1/templates");
    assert_eq!(body["request_id"], response.request_id());
    let all = names(&body);
    // bash is on PATH wherever these tests run; the rest depends on the host.
    assert!(all.contains(&"base".to_owned()), "{all:?}");
    for item in body["data"].as_array().expect("data") {
        for field in TEMPLATE_LIST_FIELDS {
            assert!(item.get(*field).is_some(), "{field} missing in {item}");
        }
        assert_eq!(item["object"], "template");
        assert_eq!(item["is_public"], true);
        assert_eq!(item["is_active"], true);
        assert_eq!(item["status"], "active");
        assert!(item["id"].is_string());
        assert!(item["organization_id"].is_string());
        assert!(item["default_resources"]["vcpu"].is_u64());
        assert!(item["default_resources"]["memory_mb"].is_u64());
        assert!(item["default_resources"]["disk_gb"].is_u64());
        assert!(is_rfc3339_utc(&item["created_at"]));
    }

    let bash = get(addr, "/v1/templates?language=BASH", KEY_A).await.json();
    assert_eq!(names(&bash), ["base"]);
    let base = get(addr, "/v1/templates?category=base", KEY_A).await.json();
    assert_eq!(names(&base), ["base"]);
    let none = get(addr, "/v1/templates?category=gpu", KEY_A).await.json();
    assert!(names(&none).is_empty());
    let both = get(
        addr,
        "/v1/templates?category=Development&language=python",
        KEY_A,
    )
    .await
    .json();
    for item in both["data"].as_array().expect("data") {
        assert_eq!(item["category"], "development");
        assert_eq!(item["language"], "python");
    }
    if all.contains(&"code-interpreter".to_owned()) {
        let ci = &both["data"][0];
        assert_eq!(ci["name"], "code-interpreter");
        assert_eq!(ci["id"], "1");
        assert_eq!(
            ci["default_resources"],
            json!({"vcpu": 2, "memory_mb": 2048, "disk_gb": 10})
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn get_template_by_name_or_id_and_404() {
    let server = start().await;
    let addr = server.local_addr();

    let by_name = get(addr, "/v1/templates/base", KEY_A).await;
    assert_eq!(by_name.status, 200);
    let template = by_name.json();
    assert_eq!(template["name"], "base");
    assert_eq!(template["id"], "2");
    assert_eq!(template["request_id"], by_name.request_id());
    for field in TEMPLATE_LIST_FIELDS
        .iter()
        .chain(&["min_resources", "max_resources"])
    {
        assert!(template.get(*field).is_some(), "{field} missing");
    }

    let by_id = get(addr, "/v1/templates/2", KEY_A).await.json();
    assert_eq!(by_id["name"], "base");

    let missing = get(addr, "/v1/templates/ruby", KEY_A).await;
    let error = missing.error(404, "template_not_found");
    assert_eq!(error["message"], "Template 'ruby' not found");
    let available = error["details"]["available"].as_array().expect("available");
    assert!(available.contains(&json!("base")));
    server.shutdown().await;
}

#[tokio::test]
async fn create_returns_201_with_every_field_and_a_valid_token() {
    let server = start().await;
    let addr = server.local_addr();

    let response = post_json(
        addr,
        "/v1/sandboxes",
        KEY_A,
        &json!({
            "template_name": "base",
            "region": "us-east",
            "timeout_seconds": 600,
            "internet_access": false,
            "env_vars": {"SECRET": "s3cr3t"},
            "vcpu": 8,
            "some_future_field": {"ignored": true},
        }),
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let sandbox = response.json();
    assert_eq!(sandbox["request_id"], response.request_id());

    let id = sandbox["id"].as_str().expect("id");
    assert_eq!(id.len(), 18, "{id}");
    assert!(id[..10].bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert!(
        id[10..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{id}"
    );
    let agent_url = format!("{}/agent/{id}", server.base_url());
    assert_eq!(sandbox["object"], "sandbox");
    assert_eq!(sandbox["status"], "running");
    assert_eq!(sandbox["template_id"], "2");
    assert_eq!(sandbox["template_name"], "base");
    assert_eq!(sandbox["organization_id"], 1);
    assert_eq!(sandbox["node_id"], "local");
    assert_eq!(sandbox["region"], "us-east");
    assert_eq!(sandbox["public_host"], agent_url);
    assert_eq!(sandbox["direct_url"], agent_url);
    assert_eq!(sandbox["preview_url"], agent_url);
    assert_eq!(
        sandbox["resources"],
        json!({"vcpu": 1, "memory_mb": 1024, "disk_mb": 5 * 1024})
    );
    assert_eq!(sandbox["internet_access"], false);
    assert_eq!(sandbox["live_mode"], false);
    assert_eq!(sandbox["timeout_seconds"], 600);
    assert!(is_rfc3339_utc(&sandbox["created_at"]));
    assert!(is_rfc3339_utc(&sandbox["expires_at"]));
    assert!(is_rfc3339_utc(&sandbox["token_expires_at"]));
    let created = chrono::DateTime::parse_from_rfc3339(sandbox["created_at"].as_str().unwrap())
        .expect("created_at");
    let expires = chrono::DateTime::parse_from_rfc3339(sandbox["expires_at"].as_str().unwrap())
        .expect("expires_at");
    assert_eq!((expires - created).num_seconds(), 600);
    assert!(
        !response.text().contains("s3cr3t"),
        "env values are not echoed"
    );

    let token = sandbox["auth_token"].as_str().expect("auth_token");
    let claims = server.verify_token(token).expect("token verifies");
    assert_eq!(claims.sub, id);
    assert_eq!(claims.org, 1);
    assert_eq!(claims.exp - claims.iat, 3600);
    let token_expires =
        chrono::DateTime::parse_from_rfc3339(sandbox["token_expires_at"].as_str().unwrap())
            .expect("token_expires_at");
    assert_eq!(token_expires.timestamp(), claims.exp);

    // Defaults: region "local", internet on, no timeout.
    let minimal = create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;
    assert_eq!(minimal["region"], "local");
    assert_eq!(minimal["internet_access"], true);
    assert!(minimal["timeout_seconds"].is_null());
    assert!(minimal["expires_at"].is_null());
    server.shutdown().await;
}

#[tokio::test]
async fn create_accepts_template_id_as_string_or_integer_and_lenient_content_type() {
    let server = start().await;
    let addr = server.local_addr();

    let by_int = create_sandbox(addr, KEY_A, json!({"template_id": 2})).await;
    assert_eq!(by_int["template_name"], "base");
    let by_str = create_sandbox(addr, KEY_A, json!({"template_id": "2"})).await;
    assert_eq!(by_str["template_id"], "2");
    let by_name_as_id = create_sandbox(addr, KEY_A, json!({"template_id": "base"})).await;
    assert_eq!(by_name_as_id["template_id"], "2");
    let same = create_sandbox(
        addr,
        KEY_A,
        json!({"template_id": 2, "template_name": "base"}),
    )
    .await;
    assert_eq!(same["template_name"], "base");

    // No or wrong Content-Type: the body is parsed anyway.
    let auth = common::bearer(KEY_A);
    for content_type in [None, Some("text/plain")] {
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(ct) = content_type {
            headers.push(("Content-Type", ct));
        }
        let response = request(
            addr,
            "POST",
            "/v1/sandboxes",
            &headers,
            Some(br#"{"template_name":"base"}"#),
        )
        .await;
        assert_eq!(
            response.status,
            201,
            "{content_type:?}: {}",
            response.text()
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn create_validation_errors_name_the_field() {
    let server = start().await;
    let addr = server.local_addr();
    let cases: &[(&str, Option<&str>)] = &[
        (r#"[1, 2]"#, None),
        (r#""base""#, None),
        (r#"{}"#, Some("template_name")),
        (r#"{"template_name": null}"#, Some("template_name")),
        (r#"{"template_name": 5}"#, Some("template_name")),
        (r#"{"template_name": ""}"#, Some("template_name")),
        (r#"{"template_id": 1.5}"#, Some("template_id")),
        (r#"{"template_id": true}"#, Some("template_id")),
        (r#"{"template_name": "base", "region": 1}"#, Some("region")),
        (
            r#"{"template_name": "base", "timeout_seconds": -1}"#,
            Some("timeout_seconds"),
        ),
        (
            r#"{"template_name": "base", "timeout_seconds": "60"}"#,
            Some("timeout_seconds"),
        ),
        (
            r#"{"template_name": "base", "timeout_seconds": 1.5}"#,
            Some("timeout_seconds"),
        ),
        (
            r#"{"template_name": "base", "timeout_seconds": 315360001}"#,
            Some("timeout_seconds"),
        ),
        (
            r#"{"template_name": "base", "internet_access": "yes"}"#,
            Some("internet_access"),
        ),
        (
            r#"{"template_name": "base", "env_vars": ["A=1"]}"#,
            Some("env_vars"),
        ),
        (
            r#"{"template_name": "base", "env_vars": {"A": 1}}"#,
            Some("env_vars"),
        ),
        (r#"{"template_name": "base", "vcpu": "2"}"#, Some("vcpu")),
        (
            r#"{"template_name": "base", "memory_mb": 1.5}"#,
            Some("memory_mb"),
        ),
        (
            r#"{"template_name": "base", "disk_gb": []}"#,
            Some("disk_gb"),
        ),
    ];
    let auth = common::bearer(KEY_A);
    for (body, field) in cases {
        let response = request(
            addr,
            "POST",
            "/v1/sandboxes",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body.as_bytes()),
        )
        .await;
        let error = response.error(400, "validation_error");
        assert_eq!(error["details"]["field"], json!(field), "body {body}");
    }

    for body in ["", "{", "not json", "{\"template_name\": \"base\",}"] {
        let response = request(
            addr,
            "POST",
            "/v1/sandboxes",
            &[("Authorization", &auth)],
            Some(body.as_bytes()),
        )
        .await;
        let error = response.error(400, "invalid_json");
        assert!(error["details"]["field"].is_null(), "body {body:?}");
    }

    let list = get(addr, "/v1/sandboxes", KEY_A).await.json();
    assert!(list["data"].as_array().expect("data").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn create_with_unknown_template_is_404_with_available_names() {
    let server = start().await;
    let addr = server.local_addr();
    for body in [
        json!({"template_name": "ruby"}),
        json!({"template_id": 999}),
        json!({"template_id": "nope"}),
    ] {
        let response = post_json(addr, "/v1/sandboxes", KEY_A, &body).await;
        let error = response.error(404, "template_not_found");
        let available = error["details"]["available"].as_array().expect("available");
        assert!(available.contains(&json!("base")), "{error}");
    }
    let conflict = post_json(
        addr,
        "/v1/sandboxes",
        KEY_A,
        &json!({"template_id": "2", "template_name": "python"}),
    )
    .await;
    // python may be absent on the host: then it is a 404 for the name.
    assert!(conflict.status == 400 || conflict.status == 404);

    // A key pasted into the template field is not echoed back.
    let leaked = post_json(
        addr,
        "/v1/sandboxes",
        KEY_A,
        &json!({"template_name": KEY_A}),
    )
    .await;
    let error = leaked.error(404, "template_not_found");
    assert!(!error.to_string().contains("secret-of_org-one"), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("hopx_live_AAAAAAAAAAA1.****")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn get_list_delete_lifecycle() {
    let server = start().await;
    let addr = server.local_addr();
    let created = create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;
    let id = created["id"].as_str().expect("id");
    let path = format!("/v1/sandboxes/{id}");

    let fetched = get(addr, &path, KEY_A).await;
    assert_eq!(fetched.status, 200);
    let body = fetched.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["request_id"], fetched.request_id());
    assert!(body.get("auth_token").is_none());
    assert!(body.get("token_expires_at").is_none());
    for field in ["template_id", "public_host", "resources", "created_at"] {
        assert_eq!(body[field], created[field]);
    }

    let list = get(addr, "/v1/sandboxes", KEY_A).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["object"], "list");
    assert_eq!(list["url"], "/v1/sandboxes");
    assert_eq!(list["has_more"], false);
    assert!(list["next_cursor"].is_null());
    assert_eq!(list["data"].as_array().expect("data").len(), 1);
    assert!(list["data"][0].get("auth_token").is_none());

    let refreshed = request(
        addr,
        "POST",
        &format!("{path}/token/refresh"),
        &[("X-API-Key", KEY_A)],
        None,
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let token = refreshed.json()["auth_token"].as_str().unwrap().to_owned();
    assert_eq!(server.verify_token(&token).expect("verifies").sub, id);

    let deleted = delete(addr, &path, KEY_A).await;
    assert_eq!(deleted.status, 200);
    let body = deleted.json();
    assert_eq!(body["id"], id);
    assert_eq!(body["object"], "sandbox");
    assert_eq!(body["deleted"], true);
    assert_eq!(body["request_id"], deleted.request_id());

    get(addr, &path, KEY_A)
        .await
        .error(404, "sandbox_not_found");
    delete(addr, &path, KEY_A)
        .await
        .error(404, "sandbox_not_found");
    server.shutdown().await;
}

#[tokio::test]
async fn organizations_are_isolated() {
    let server = start().await;
    let addr = server.local_addr();
    let a = create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;
    let b = create_sandbox(addr, KEY_B, json!({"template_name": "base"})).await;
    assert_eq!(a["organization_id"], 1);
    assert_eq!(b["organization_id"], 2);

    let a_path = format!("/v1/sandboxes/{}", a["id"].as_str().unwrap());
    get(addr, &a_path, KEY_B)
        .await
        .error(404, "sandbox_not_found");
    delete(addr, &a_path, KEY_B)
        .await
        .error(404, "sandbox_not_found");
    assert_eq!(get(addr, &a_path, KEY_A).await.status, 200);

    let list_b = get(addr, "/v1/sandboxes", KEY_B).await.json();
    let ids: Vec<&Value> = list_b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [&b["id"]]);
    server.shutdown().await;
}

#[tokio::test]
async fn both_auth_headers_are_accepted() {
    let server = start().await;
    let addr = server.local_addr();
    let bearer = common::bearer(KEY_A);
    let lowercase_scheme = format!("bearer {KEY_A}");
    for headers in [
        vec![("Authorization", bearer.as_str())],
        vec![("Authorization", lowercase_scheme.as_str())],
        vec![("X-API-Key", KEY_A)],
        vec![("x-api-key", KEY_A)],
    ] {
        let response = request(addr, "GET", "/v1/templates", &headers, None).await;
        assert_eq!(response.status, 200, "{headers:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn auth_failures_are_401_envelopes_that_never_echo_the_key() {
    let server = start().await;
    let addr = server.local_addr();

    let missing = request(addr, "GET", "/v1/sandboxes", &[], None).await;
    let error = missing.error(401, "missing_api_key");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("Authorization: Bearer"), "{message}");
    assert!(message.contains("X-API-Key"), "{message}");

    for key in [KEY_UNKNOWN, "sk_live_supersecretvalue"] {
        let bearer = common::bearer(key);
        for headers in [[("Authorization", bearer.as_str())], [("X-API-Key", key)]] {
            let response = request(addr, "GET", "/v1/templates", &headers, None).await;
            response.error(401, "invalid_api_key");
            let secret = key.rsplit(['.', '_']).next().unwrap();
            assert!(!response.text().contains(secret), "{}", response.text());
        }
    }

    let basic = format!("Basic {KEY_A}");
    for value in [basic.as_str(), "Bearer", "Bearer   ", KEY_A] {
        let response = request(
            addr,
            "POST",
            "/v1/sandboxes",
            &[("Authorization", value)],
            Some(b"{}"),
        )
        .await;
        response.error(401, "invalid_authorization_header");
        assert!(
            !response.text().contains("secret-of"),
            "{}",
            response.text()
        );
    }

    // Unknown /v1 routes ask for a key first; other unknown routes are 404.
    request(addr, "GET", "/v1/nothing-here", &[], None)
        .await
        .error(401, "missing_api_key");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_envelopes() {
    let server = start().await;
    let addr = server.local_addr();
    request(addr, "GET", "/nothing-here", &[], None)
        .await
        .error(404, "not_found");
    get(addr, "/v1/nothing-here", KEY_A)
        .await
        .error(404, "not_found");
    let wrong_method = request(
        addr,
        "PATCH",
        "/v1/sandboxes",
        &[("X-API-Key", KEY_A)],
        None,
    )
    .await;
    wrong_method.error(405, "method_not_allowed");
    assert!(wrong_method.header("allow").is_some());
    request(addr, "DELETE", "/health", &[], None)
        .await
        .error(405, "method_not_allowed");
    server.shutdown().await;
}

#[tokio::test]
async fn list_pages_with_next_cursor() {
    let server = start().await;
    let addr = server.local_addr();
    let mut created = Vec::new();
    for _ in 0..3 {
        let sandbox = create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;
        created.push(sandbox["id"].as_str().unwrap().to_owned());
    }
    // Another organization's sandbox must not show up or break paging.
    create_sandbox(addr, KEY_B, json!({"template_name": "base"})).await;

    let mut seen = Vec::new();
    let mut path = "/v1/sandboxes?limit=1".to_owned();
    for page in 0..3 {
        let body = get(addr, &path, KEY_A).await.json();
        let data = body["data"].as_array().expect("data");
        assert_eq!(data.len(), 1, "page {page}: {body}");
        seen.push(data[0]["id"].as_str().unwrap().to_owned());
        if page < 2 {
            assert_eq!(body["has_more"], true);
            let cursor = body["next_cursor"].as_str().expect("next_cursor");
            path = format!("/v1/sandboxes?limit=1&cursor={cursor}");
        } else {
            assert_eq!(body["has_more"], false);
            assert!(body["next_cursor"].is_null());
        }
    }
    assert_eq!(seen, created, "oldest first, each once");

    for limit in ["0", "101", "abc", "-1", ""] {
        let error = get(addr, &format!("/v1/sandboxes?limit={limit}"), KEY_A)
            .await
            .error(400, "validation_error");
        assert_eq!(error["details"]["field"], "limit");
    }
    let error = get(addr, "/v1/sandboxes?cursor=garbage", KEY_A)
        .await
        .error(400, "validation_error");
    assert_eq!(error["details"]["field"], "cursor");
    server.shutdown().await;
}

#[tokio::test]
async fn list_filters_by_status_and_region() {
    let server = start().await;
    let addr = server.local_addr();
    create_sandbox(
        addr,
        KEY_A,
        json!({"template_name": "base", "region": "eu-west"}),
    )
    .await;
    create_sandbox(addr, KEY_A, json!({"template_name": "base"})).await;

    let count = |body: Value| body["data"].as_array().map_or(0, Vec::len);
    assert_eq!(
        count(
            get(addr, "/v1/sandboxes?region=eu-west", KEY_A)
                .await
                .json()
        ),
        1
    );
    assert_eq!(
        count(get(addr, "/v1/sandboxes?region=local", KEY_A).await.json()),
        1
    );
    assert_eq!(
        count(
            get(addr, "/v1/sandboxes?status=running", KEY_A)
                .await
                .json()
        ),
        2
    );
    assert_eq!(
        count(get(addr, "/v1/sandboxes?status=paused", KEY_A).await.json()),
        0
    );
    server.shutdown().await;
}

#[tokio::test]
async fn expired_sandboxes_disappear() {
    let server = start().await;
    let addr = server.local_addr();
    let short = create_sandbox(
        addr,
        KEY_A,
        json!({"template_name": "base", "timeout_seconds": 1}),
    )
    .await;
    let path = format!("/v1/sandboxes/{}", short["id"].as_str().unwrap());
    assert_eq!(get(addr, &path, KEY_A).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    get(addr, &path, KEY_A)
        .await
        .error(404, "sandbox_not_found");
    let list = get(addr, "/v1/sandboxes", KEY_A).await.json();
    assert!(list["data"].as_array().unwrap().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn responses_reuse_one_connection() {
    let server = start().await;
    let mut conn = Conn::open(server.local_addr()).await;
    let first = conn.send("GET", "/health", &[], None).await;
    let second = conn
        .send("GET", "/v1/templates", &[("X-API-Key", KEY_A)], None)
        .await;
    assert_eq!((first.status, second.status), (200, 200));
    assert_ne!(first.request_id(), second.request_id());
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_keep_alive_connections() {
    let server = start().await;
    let mut conn = Conn::open(server.local_addr()).await;
    assert_eq!(conn.send("GET", "/health", &[], None).await.status, 200);
    let started = std::time::Instant::now();
    common::within("shutdown", server.shutdown()).await;
    // The grace period is 5 s; an idle connection must not use it up.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(conn);
}

#[tokio::test]
async fn duplicate_keys_keep_positions_as_organization_ids() {
    let config = hopx_local::ServerConfig::new(vec![
        KEY_A.to_owned(),
        format!("  {KEY_A}\n"),
        KEY_B.to_owned(),
    ]);
    let server = hopx_local::bind(config).await.expect("bind");
    let sandbox =
        create_sandbox(server.local_addr(), KEY_B, json!({"template_name": "base"})).await;
    assert_eq!(sandbox["organization_id"], 3);
    server.shutdown().await;
}

#[tokio::test]
async fn bind_rejects_bad_configs() {
    use hopx_local::{Error, ServerConfig};
    let bad_key = ServerConfig::new(vec![KEY_A.to_owned(), "hopx_live_short.x".to_owned()]);
    match hopx_local::bind(bad_key).await {
        Err(Error::InvalidApiKey { position: 2, .. }) => {}
        other => panic!("expected InvalidApiKey, got {other:?}"),
    }
    assert!(matches!(
        hopx_local::bind(ServerConfig::new(vec![])).await,
        Err(Error::NoApiKeys)
    ));
    let mut public = ServerConfig::new(vec![KEY_A.to_owned()]);
    public.host = "0.0.0.0".parse().unwrap();
    assert!(matches!(
        hopx_local::bind(public).await,
        Err(Error::NonLoopback(_))
    ));
    // The Debug form of a config never shows a secret.
    let config = ServerConfig::new(vec![KEY_A.to_owned()]);
    assert!(!format!("{config:?}").contains("secret-of"));
}
