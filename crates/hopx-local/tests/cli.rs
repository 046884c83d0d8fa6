//! The `hopx-local` binary: ready line, exit paths, key validation, the key file.

mod common;

use std::{
    net::SocketAddr,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::Duration,
};

use common::{KEY_A, STEP, request, within};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, ChildStdout, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_hopx-local");

/// A command with a clean key environment, so the host's state dir is never used.
fn command(state_home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("XDG_STATE_HOME", state_home)
        .env("HOME", state_home)
        .env("HOPX_LOCAL_LOG", "info")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    ready: Value,
}

impl Running {
    fn addr(&self) -> SocketAddr {
        let url = self.ready["url"].as_str().expect("url");
        url.strip_prefix("http://")
            .expect("http url")
            .parse()
            .expect("socket address")
    }

    /// Closes stdin (the harness's "parent died" signal) and waits for a clean exit.
    async fn close_stdin_and_wait(mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let status = within("exit after stdin EOF", self.child.wait())
            .await
            .expect("wait");
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest).await;
        assert!(rest.is_empty(), "only one stdout line, got also {rest:?}");
        (status, stderr_of(&mut self.child).await)
    }
}

async fn stderr_of(child: &mut Child) -> String {
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = within("read stderr", pipe.read_to_string(&mut stderr)).await;
    }
    stderr
}

/// Spawns the binary and reads its ready line.
async fn spawn(mut cmd: Command) -> Running {
    let mut child = cmd.spawn().expect("spawn hopx-local");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let read = tokio::time::timeout(STEP, stdout.read_line(&mut line)).await;
    if !matches!(read, Ok(Ok(n)) if n > 0) {
        let _ = child.start_kill();
        let stderr = stderr_of(&mut child).await;
        panic!("no ready line ({read:?}); stderr: {stderr}");
    }
    let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
    Running {
        child,
        stdout,
        ready,
    }
}

async fn run_to_end(mut cmd: Command) -> (ExitStatus, String, String) {
    let output = within("run to end", cmd.stdin(Stdio::null()).output())
        .await
        .expect("run");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn ready_line_then_serves_then_exits_when_stdin_closes() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(state.path());
    cmd.args([
        "--port",
        "0",
        "--api-key",
        KEY_A,
        "--exit-when-stdin-closes",
    ]);
    let running = spawn(cmd).await;

    assert_eq!(running.ready["event"], "listening");
    assert!(running.ready["api_key_file"].is_null());
    let addr = running.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);

    let health = request(addr, "GET", "/health", &[], None).await;
    assert_eq!(health.status, 200);
    let auth = common::bearer(KEY_A);
    let templates = request(
        addr,
        "GET",
        "/v1/templates",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(templates.status, 200);

    let (status, stderr) = running.close_stdin_and_wait().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
    assert!(
        !stderr.contains("secret-of"),
        "stderr leaks the key: {stderr}"
    );
    // Nothing was written to the state dir when a key is given.
    assert!(!state.path().join("hopx-local").exists());
}

#[tokio::test]
async fn bad_api_key_exits_2_without_echoing_it() {
    let state = tempfile::tempdir().expect("tempdir");
    let cases = [
        // (value, redacted form expected in the message)
        (
            "hopx_live_abcdefABCD12.bad!secret",
            Some("hopx_live_abcdefABCD12.****"),
        ),
        (
            "hopx_live_abcdefABCD12.",
            Some("hopx_live_abcdefABCD12.****"),
        ),
        ("hopx_live_short.secretvalue", None),
        ("sk_live_secretvalue", None),
        ("   ", None),
    ];
    for (value, shown) in cases {
        let mut cmd = command(state.path());
        cmd.args(["--port", "0", "--api-key", KEY_A, "--api-key", value]);
        let (status, stdout, stderr) = run_to_end(cmd).await;
        assert_eq!(status.code(), Some(2), "{value:?}: {stderr}");
        assert!(stdout.is_empty(), "{value:?}: {stdout}");
        assert!(stderr.contains("--api-key #2"), "{value:?}: {stderr}");
        assert!(stderr.contains("not a valid HopX API key"), "{stderr}");
        for secret in ["bad!secret", "secretvalue"] {
            assert!(!stderr.contains(secret), "{value:?} leaked: {stderr}");
        }
        if let Some(shown) = shown {
            assert!(stderr.contains(shown), "{value:?}: {stderr}");
        }
    }
}

#[tokio::test]
async fn a_key_in_a_clap_error_is_not_printed() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(state.path());
    cmd.args(["--port", "0", "hopx_live_abcdefABCD12.topsecret"]);
    let (status, _, stderr) = run_to_end(cmd).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
    assert!(stderr.contains("--api-key"), "{stderr}");

    // Ordinary usage errors keep clap's own message.
    let mut cmd = command(state.path());
    cmd.args(["--port", "not-a-port"]);
    let (status, _, stderr) = run_to_end(cmd).await;
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("not-a-port"), "{stderr}");
}

#[tokio::test]
async fn non_loopback_host_is_refused_without_the_flag() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(state.path());
    cmd.args(["--host", "0.0.0.0", "--port", "0", "--api-key", KEY_A]);
    let (status, stdout, stderr) = run_to_end(cmd).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("--allow-non-loopback"), "{stderr}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

async fn start_with_generated_key(mut cmd: Command) -> (Running, PathBuf, String) {
    cmd.args(["--port", "0", "--exit-when-stdin-closes"]);
    let running = spawn(cmd).await;
    let file = PathBuf::from(
        running.ready["api_key_file"]
            .as_str()
            .expect("api_key_file"),
    );
    let key = std::fs::read_to_string(&file)
        .expect("key file")
        .trim()
        .to_owned();
    assert!(
        hopx_local::auth::is_valid_key_format(&key),
        "generated key format"
    );
    let auth = common::bearer(&key);
    let response = request(
        running.addr(),
        "GET",
        "/v1/templates",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(response.status, 200);
    (running, file, key)
}

#[tokio::test]
async fn generated_key_file_is_private_and_reused() {
    let state = tempfile::tempdir().expect("tempdir");
    let data_dir = state.path().join("nested/data");
    let mut cmd = command(state.path());
    cmd.arg("--data-dir").arg(&data_dir);
    let (running, file, key) = start_with_generated_key(cmd).await;
    assert_eq!(file, data_dir.join("api_key"));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&data_dir), 0o700);
    let leftovers: Vec<_> = std::fs::read_dir(&data_dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["api_key"], "no temp files left behind");
    let (status, stderr) = running.close_stdin_and_wait().await;
    assert!(status.success());
    assert_eq!(
        stderr.matches(&key).count(),
        1,
        "the key is printed exactly once: {stderr}"
    );
    assert!(stderr.contains(&format!("API key: {key} (saved to {})", file.display())));

    let mut again = command(state.path());
    again.arg("--data-dir").arg(&data_dir);
    let (running, file_again, key_again) = start_with_generated_key(again).await;
    assert_eq!(file_again, file);
    assert_eq!(key_again, key, "the key is reused on restart");
    let (status, _) = running.close_stdin_and_wait().await;
    assert!(status.success());
}

#[tokio::test]
async fn default_data_dir_follows_xdg_state_home_then_home() {
    let state = tempfile::tempdir().expect("tempdir");
    let (running, file, _) = start_with_generated_key(command(state.path())).await;
    assert_eq!(file, state.path().join("hopx-local/api_key"));
    running.close_stdin_and_wait().await;

    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(home.path());
    cmd.env_remove("XDG_STATE_HOME");
    let (running, file, _) = start_with_generated_key(cmd).await;
    assert_eq!(file, home.path().join(".local/state/hopx-local/api_key"));
    running.close_stdin_and_wait().await;
}

#[tokio::test]
async fn sigterm_stops_cleanly() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(state.path());
    cmd.args(["--port", "0", "--api-key", KEY_A]);
    let mut running = spawn(cmd).await;
    let pid = running.child.id().expect("pid").to_string();
    let kill = within(
        "kill -TERM",
        Command::new("kill").args(["-TERM", &pid]).status(),
    )
    .await
    .expect("kill");
    assert!(kill.success());
    let status = within("exit after SIGTERM", running.child.wait())
        .await
        .expect("wait");
    assert!(status.success(), "{status}");
    let stderr = stderr_of(&mut running.child).await;
    assert!(stderr.contains("SIGTERM"), "{stderr}");
}

#[tokio::test]
async fn max_lifetime_stops_the_server() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = command(state.path());
    cmd.args([
        "--port",
        "0",
        "--api-key",
        KEY_A,
        "--max-lifetime-seconds",
        "1",
    ]);
    let started = std::time::Instant::now();
    let mut running = spawn(cmd).await;
    let status = within("exit after the lifetime", running.child.wait())
        .await
        .expect("wait");
    assert!(status.success(), "{status}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}
