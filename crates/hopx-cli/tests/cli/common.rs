//! Test helpers: a real hopx-local server on a free loopback port, and the `hopx` binary run
//! in an isolated environment (its own HOME, working directory and no HOPX_* variables), with
//! every run bounded in time and checked for leaked secrets.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `hopx` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hopx");

/// How long one `hopx` run may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A random key in the real format.
pub fn random_key() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    let mut rng = rand::rng();
    let id: String = (0..12).map(|_| rng.sample(Alphanumeric) as char).collect();
    let secret: String = (0..32).map(|_| rng.sample(Alphanumeric) as char).collect();
    format!("hopx_live_{id}.{secret}")
}

/// The part after the dot.
pub fn secret_of(key: &str) -> &str {
    key.split_once('.').map(|(_, s)| s).unwrap_or(key)
}

/// `hopx_live_<id>.****`.
pub fn masked(key: &str) -> String {
    format!("{}.****", key.split_once('.').unwrap().0)
}

/// A real hopx-local: `$HOPX_LOCAL_BIN` when set, else `hopx local` (the same server, run by
/// the binary under test). It stops when dropped, and by itself if the test process dies
/// (its stdin closes) or after ten minutes.
pub struct Server {
    child: Child,
    pub url: String,
    pub key: String,
    pub other_key: String,
    _data: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Server {
        let key = random_key();
        let other_key = random_key();
        let data = tempfile::tempdir().unwrap();
        let mut command = match std::env::var_os("HOPX_LOCAL_BIN") {
            Some(bin) => Command::new(bin),
            None => {
                let mut c = Command::new(BIN);
                c.arg("local");
                c
            }
        };
        command
            .args(["--port", "0", "--exit-when-stdin-closes"])
            .args(["--max-lifetime-seconds", "600"])
            .args(["--api-key", &key, "--api-key", &other_key, "--data-dir"])
            .arg(data.path())
            .env("HOPX_LOCAL_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("hopx-local starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("hopx-local prints its ready line within 30 s");
        let ready: Value = serde_json::from_str(&line).expect("the ready line is JSON");
        let url = ready["url"]
            .as_str()
            .expect("the ready line has a url")
            .to_owned();
        Server {
            child,
            url,
            key,
            other_key,
            _data: data,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of `hopx` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit status, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect(0)
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The `{"error": {...}}` object printed on stderr with `-o json`.
    #[track_caller]
    pub fn json_error(&self) -> Value {
        let value: Value = serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr));
        value["error"].clone()
    }
}

/// An isolated place to run `hopx`: its own HOME (so `~/.hopx/config.toml` is inside it), an
/// empty working directory, only the variables a test sets, and the secrets that must never
/// be printed.
pub struct Env {
    dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Env {
            dir,
            vars: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// An environment whose secrets include both keys of `server`.
    pub fn for_server(server: &Server) -> Env {
        let mut env = Env::new();
        env.secret(&server.key);
        env.secret(&server.other_key);
        env
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `~/.hopx/config.toml` of this environment.
    pub fn config_file(&self) -> PathBuf {
        self.home().join(".hopx").join("config.toml")
    }

    pub fn config_text(&self) -> String {
        std::fs::read_to_string(self.config_file()).unwrap_or_default()
    }

    /// Sets a variable for every later run.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Env {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn unset(&mut self, name: &str) -> &mut Env {
        self.vars.retain(|(n, _)| n != name);
        self
    }

    /// A key whose secret must never appear in any output (except with `--reveal`).
    pub fn secret(&mut self, key: &str) -> &mut Env {
        self.secrets.push(secret_of(key).to_owned());
        self
    }

    /// The command with the isolated environment, ready to add arguments.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .current_dir(self.work());
        for (name, value) in &self.vars {
            command.env(name, value);
        }
        command
    }

    /// Runs `hopx args` with stdin closed.
    #[track_caller]
    pub fn hopx(&self, args: &[&str]) -> Run {
        self.run(args, None)
    }

    /// Runs `hopx args` with `input` on stdin (a pipe).
    #[track_caller]
    pub fn hopx_stdin(&self, args: &[&str], input: &str) -> Run {
        self.run(args, Some(input))
    }

    #[track_caller]
    fn run(&self, args: &[&str], input: Option<&str>) -> Run {
        let mut command = self.command();
        command
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let run = run_bounded(command, input.map(str::to_owned));
        if !args.contains(&"--reveal") {
            for secret in &self.secrets {
                assert!(
                    !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                    "hopx {args:?} printed a secret:\n--- stdout\n{}\n--- stderr\n{}",
                    run.stdout,
                    run.stderr
                );
            }
        }
        run
    }
}

/// Runs a command to completion within [`RUN_LIMIT`], feeding `input` to its stdin.
#[track_caller]
pub fn run_bounded(mut command: Command, input: Option<String>) -> Run {
    let mut child = command.spawn().expect("hopx starts");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
    }
    let stdout = reader(child.stdout.take().unwrap());
    let stderr = reader(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hopx did not finish within {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default(),
        stderr: stderr
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default(),
    }
}

fn reader(mut stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

/// Logs `env` in to `server` with its first key (stdin), and returns the server's URL.
#[track_caller]
pub fn login(env: &Env, server: &Server) {
    env.hopx_stdin(
        &["auth", "login", "--with-key", "--base-url", &server.url],
        &server.key,
    )
    .ok();
}

/// A loopback server that answers every request with `response` (a full HTTP response), or
/// never answers when `response` is `None`. At most `max_connections` are accepted; it stops
/// when the returned guard is dropped.
pub struct Canned {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Canned {
    pub fn start(response: Option<&'static str>, max_connections: usize) -> Canned {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            while !flag.load(Ordering::Relaxed)
                && held.len() < max_connections
                && Instant::now() < deadline
            {
                match listener.accept() {
                    Ok((mut socket, _)) => {
                        let _ = socket.set_nonblocking(false);
                        let _ = socket.set_read_timeout(Some(Duration::from_secs(5)));
                        let mut buf = [0u8; 4096];
                        let _ = socket.read(&mut buf);
                        if let Some(response) = response {
                            let _ = socket.write_all(response.as_bytes());
                        } else {
                            held.push(socket);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Canned { url, stop }
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The permission bits of a path.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
