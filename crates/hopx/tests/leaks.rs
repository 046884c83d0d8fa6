//! No secret reaches a log line or an error, with every log on: a `tracing` subscriber at TRACE
//! for every crate (the `log` records of reqwest and rustls included, as `RUST_LOG=trace`
//! would give), and the bindings' log sink at TRACE. The paths exercised: a create with an env
//! var, code run with the sandbox token, a 401, a retried 500, a key read with a trailing
//! newline, and a proxy with a password.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{LocalServer, Testkit, empty_environment, random_key};
use hopx::log::{Level, LogRecord, LogSink};
use hopx::{Client, ClientOptions, CreateSandboxOptions, RunCodeOptions};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

struct SinkLines(Captured);

impl LogSink for SinkLines {
    fn log(&self, record: &LogRecord) {
        let mut out = self.0.clone();
        let _ = writeln!(out, "{:?} {}", record, record.line());
    }
}

#[tokio::test]
async fn nothing_secret_is_logged_or_raised_with_every_log_on() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .init();
    hopx::log::set_sink(Some(Arc::new(SinkLines(captured.clone()))), Level::TRACE);

    let local = LocalServer::start().await;
    let faults = Testkit::faults(&local.url()).await;
    let secret = local.key.split_once('.').unwrap().1.to_owned();
    let marker = format!("marker-{}", &random_key()[10..22]);
    let proxy_password = "proxy-pw-5d1e8b";
    let mut printed: Vec<String> = Vec::new();

    // A key read from a file keeps its newline: still accepted, still secret.
    let options = ClientOptions {
        api_key: Some(format!("{}\n", local.key)),
        base_url: Some(faults.url.clone()),
        ..Default::default()
    };
    let client = Client::with_environment(&options, &empty_environment()).unwrap();
    printed.push(format!("{client:?} {:?}", client.config()));

    let mut create = CreateSandboxOptions::template("code-interpreter");
    create.env_vars = Some([("LEAK_MARKER".to_owned(), marker.clone())].into());
    let sandbox = client.create_sandbox(&create).await.unwrap();
    printed.push(format!("{sandbox:?} {:?}", sandbox.info()));
    let result = sandbox
        .run_code(
            "print(len(__import__('os').environ['LEAK_MARKER']))",
            &RunCodeOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.stdout.trim(), marker.len().to_string());
    printed.push(format!("{result:?}"));

    // A 500 once on a GET: retried, logged at every attempt.
    faults
        .set_rules(
            &json!([{"method": "GET", "path": "/v1/templates", "times": 1,
            "fault": {"kind": "status", "status": 500}}]),
        )
        .await;
    client.list_templates(&Default::default()).await.unwrap();

    // A key the server does not know: a 401.
    let wrong_key = random_key();
    let wrong_secret = wrong_key.split_once('.').unwrap().1.to_owned();
    let stranger = Client::with_environment(
        &ClientOptions {
            api_key: Some(wrong_key),
            ..options.clone()
        },
        &empty_environment(),
    )
    .unwrap();
    let error = stranger
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    printed.push(format!("{error} {error:?}"));

    // A proxy with a password that refuses it: the error names the proxy, not the password.
    let proxy = Testkit::proxy(Some("user:right-password")).await;
    let port = proxy.url.rsplit(':').next().unwrap();
    let proxied = Client::with_environment(
        &ClientOptions {
            proxy: Some(format!("http://user:{proxy_password}@127.0.0.1:{port}")),
            ..options.clone()
        },
        &empty_environment(),
    )
    .unwrap();
    printed.push(format!("{proxied:?}"));
    let error = proxied
        .list_templates(&Default::default())
        .await
        .unwrap_err();
    printed.push(format!("{error} {error:?}"));

    sandbox.kill().await.unwrap();
    hopx::log::set_sink(None, Level::TRACE);

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    // Not vacuous: our events, and the HTTP stack's own (`log` records included).
    for expected in [
        "request succeeded",
        "retrying request",
        "reqwest::connect",
        "hyper_util",
    ] {
        assert!(logs.contains(expected), "no {expected:?} in the logs");
    }
    let everything = format!("{logs}\n{}", printed.join("\n"));
    for (what, needle) in [
        ("the key's secret", secret.as_str()),
        ("the unknown key's secret", wrong_secret.as_str()),
        ("the env var value", marker.as_str()),
        ("the proxy password", proxy_password),
        ("a sandbox token (a JWT)", "eyJ"),
    ] {
        if everything.contains(needle) {
            // The context without the secret itself: the failure output is a log too.
            let redacted = everything.replace(needle, "<LEAKED HERE>");
            let at = redacted.find("<LEAKED HERE>").unwrap();
            let before: Vec<char> = redacted[..at].chars().rev().take(200).collect();
            let excerpt: String = before
                .into_iter()
                .rev()
                .chain(redacted[at..].chars().take(120))
                .collect();
            panic!("{what} leaked:\n…{excerpt}…");
        }
    }
}
