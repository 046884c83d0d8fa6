//! Exit statuses, output formats, completions and `hopx local`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{BIN, Canned, Env, Server, login, random_key};

#[test]
fn usage_errors_help_and_version() {
    let env = Env::new();
    let run = env.hopx(&["sandbox", "--bogus"]).expect(2);
    assert!(run.stderr.contains("--bogus"), "{}", run.stderr);
    env.hopx(&["nonsense"]).expect(2);
    env.hopx(&["-o", "yaml", "config", "path"]).expect(2);
    let run = env.hopx(&["--help"]).ok();
    assert!(run.stdout.contains("Exit status"), "{}", run.stdout);
    let run = env.hopx(&["--version"]).ok();
    assert!(run.stdout.starts_with("hopx "), "{}", run.stdout);
    // A key where clap would quote it back is not printed.
    let key = random_key();
    let mut env = env;
    env.secret(&key);
    let run = env.hopx(&["sandbox", "list", &key]).expect(2);
    assert!(run.stderr.contains("not shown"), "{}", run.stderr);
}

#[test]
fn exit_statuses_for_auth_network_timeout_and_rate_limit() {
    let server = Server::start();
    let mut env = Env::for_server(&server);
    // No key: 3.
    let run = env
        .hopx(&["template", "list", "--base-url", &server.url, "-o", "json"])
        .expect(3);
    let error = run.json_error();
    assert_eq!(error["code"], "api_key_missing");
    assert_eq!(error["exit_code"], 3);
    assert!(error["hint"].as_str().unwrap().contains("HOPX_API_KEY"));

    // Nothing listening: 6.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    env.set("HOPX_API_KEY", &server.key);
    let run = env
        .hopx(&["template", "list", "--base-url", &closed])
        .expect(6);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);

    // No answer in time: 5.
    let silent = Canned::start(None, 8);
    env.hopx(&[
        "template",
        "list",
        "--base-url",
        &silent.url,
        "--request-timeout",
        "0.5",
    ])
    .expect(5);

    // 429 with a wait longer than the request budget: 7, at once.
    let body = r#"{"error":{"message":"slow down","code":"rate_limited"}}"#;
    let response = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 3600\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let limited = Canned::start(Some(Box::leak(response.into_boxed_str())), 8);
    let run = env
        .hopx(&["template", "list", "--base-url", &limited.url, "-o", "json"])
        .expect(7);
    assert_eq!(run.json_error()["code"], "rate_limited");
}

#[test]
fn plain_and_table_output_and_no_color() {
    let server = Server::start();
    let mut env = Env::for_server(&server);
    login(&env, &server);
    env.hopx(&["config", "set", "default_template", "base"])
        .ok();
    let run = env.hopx(&["config", "list"]).ok();
    // A table with a header, aligned; no escape codes off a terminal.
    assert!(run.stdout.starts_with("KEY "), "{}", run.stdout);
    assert!(!run.stdout.contains('\x1b'));
    let lines: Vec<&str> = run.stdout.lines().collect();
    let column = lines[0].find("VALUE").unwrap();
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.len() > column && &l[column - 2..column] == "  ")
    );
    let run = env.hopx(&["config", "list", "-o", "plain"]).ok();
    assert!(!run.stdout.contains("KEY"));
    assert!(run.stdout.lines().all(|l| l.split('\t').count() == 2));
    env.set("NO_COLOR", "1");
    let run = env.hopx(&["template", "list", "--no-color"]).ok();
    assert!(!run.stdout.contains('\x1b'));
}

#[test]
fn completions() {
    let env = Env::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef hopx"),
        ("fish", "complete -c hopx"),
    ] {
        let run = env.hopx(&["completions", shell]).ok();
        assert!(
            run.stdout.contains(marker),
            "{shell}: {}",
            &run.stdout[..run.stdout.len().min(300)]
        );
        assert!(run.stdout.contains("sandbox"));
    }
    env.hopx(&["completions", "tcsh"]).expect(2);
}

/// `hopx local` is hopx-local: the same flags, the same ready line, a working API.
#[test]
fn hopx_local_serves_the_api() {
    let key = random_key();
    let mut env = Env::new();
    env.secret(&key);
    let data = tempfile::tempdir().unwrap();
    let mut child = env
        .command()
        .args([
            "local",
            "--port",
            "0",
            "--exit-when-stdin-closes",
            "--max-lifetime-seconds",
            "120",
        ])
        .args(["--api-key", &key, "--data-dir"])
        .arg(data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("ready line");
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "listening");
    let url = ready["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let list = env
        .hopx(&[
            "template",
            "list",
            "--base-url",
            url,
            "--api-key",
            &key,
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert!(!list.as_array().unwrap().is_empty());

    // Closing stdin stops it (--exit-when-stdin-closes), with status 0.
    drop(child.stdin.take());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "hopx local did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));

    // Its own flags are checked by its own parser.
    env.hopx(&["local", "--port", "notaport"]).expect(2);
    env.hopx(&["local", "--api-key", "hopx_live_bad.x", "--port", "0"])
        .expect(2);
    let run = env.hopx(&["local", "--help"]).ok();
    assert!(
        run.stdout.contains("--exit-when-stdin-closes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("hopx local"), "{}", run.stdout);
    let _ = BIN;
}
