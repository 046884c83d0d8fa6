//! `/_local/stats`: connection and request counting for keep-alive tests.

mod common;

use common::{Conn, KEY_A, request, start};
use serde_json::{Value, json};

fn counters(body: &Value) -> (u64, u64, u64) {
    (
        body["connections_accepted"]
            .as_u64()
            .expect("connections_accepted"),
        body["api_connections"].as_u64().expect("api_connections"),
        body["api_requests"].as_u64().expect("api_requests"),
    )
}

#[tokio::test]
async fn two_requests_on_one_connection_count_as_one_api_connection() {
    let server = start().await;
    let addr = server.local_addr();

    let mut control = Conn::open(addr).await;
    let reset = control.send("POST", "/_local/reset-stats", &[], None).await;
    assert_eq!(reset.status, 200);
    assert_eq!(counters(&reset.json()), (0, 0, 0));

    let mut api = Conn::open(addr).await;
    let first = api.send("GET", "/health", &[], None).await;
    let second = api
        .send("GET", "/v1/templates", &[("X-API-Key", KEY_A)], None)
        .await;
    assert_eq!((first.status, second.status), (200, 200));

    // Read over a new connection: it is accepted but serves no API request.
    let stats = request(addr, "GET", "/_local/stats", &[], None).await;
    assert_eq!(stats.status, 200);
    assert_eq!(counters(&stats.json()), (2, 1, 2));
    let snapshot = server.stats();
    assert_eq!(
        (
            snapshot.connections_accepted,
            snapshot.api_connections,
            snapshot.api_requests
        ),
        (2, 1, 2)
    );
    // The raw test client sends no User-Agent; /health has no auth header, the second request
    // uses X-API-Key. Only styles are recorded, never header values.
    assert_eq!(snapshot.user_agents.get("(none)"), Some(&2));
    assert_eq!(snapshot.auth_headers.get("x-api-key"), Some(&1));
    assert_eq!(snapshot.auth_headers.get("none"), Some(&1));
    let text = stats.json().to_string();
    assert!(!text.contains(KEY_A), "stats never show a key");
    server.shutdown().await;
}

#[tokio::test]
async fn failed_requests_count_and_local_routes_do_not() {
    let server = start().await;
    let addr = server.local_addr();
    let mut conn = Conn::open(addr).await;
    conn.send("POST", "/_local/reset-stats", &[], None).await;

    conn.send("GET", "/v1/sandboxes", &[], None)
        .await
        .error(401, "missing_api_key");
    conn.send("GET", "/nowhere", &[], None)
        .await
        .error(404, "not_found");
    conn.send("GET", "/_local/stats", &[], None).await;
    conn.send("GET", "/_local/nothing", &[], None).await;

    let stats = conn.send("GET", "/_local/stats", &[], None).await.json();
    assert_eq!(counters(&stats), (0, 1, 2));
    assert!(stats["request_id"].is_string());
    server.shutdown().await;
}

#[tokio::test]
async fn a_reset_recounts_an_old_keep_alive_connection() {
    let server = start().await;
    let addr = server.local_addr();
    let mut api = Conn::open(addr).await;
    api.send("GET", "/health", &[], None).await;

    let reset = request(addr, "POST", "/_local/reset-stats", &[], None).await;
    assert_eq!(reset.json()["api_requests"], json!(0));

    api.send("GET", "/health", &[], None).await;
    api.send("GET", "/health", &[], None).await;
    let stats = request(addr, "GET", "/_local/stats", &[], None)
        .await
        .json();
    // The reset's own connection was accepted before the counters were zeroed, so
    // only the connection of this stats request counts as accepted.
    assert_eq!(counters(&stats), (1, 1, 2));
    server.shutdown().await;
}
