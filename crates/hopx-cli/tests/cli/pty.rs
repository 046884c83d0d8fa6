//! The CLI on a terminal (a pseudo-terminal): hidden key input, Ctrl-C at the prompt, colors
//! and the spinner.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

use crate::common::{Canned, Env, Server, secret_of};

/// A pseudo-terminal: the test holds the master side; `slave()` opens the side a child uses.
struct Pty {
    master: File,
    slave_path: std::path::PathBuf,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Pty {
    fn open() -> Pty {
        let master: OwnedFd =
            openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave_path = std::path::PathBuf::from(name.to_str().unwrap());
        let master = File::from(master);
        let mut reader = master.try_clone().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once every slave handle is closed.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            master,
            slave_path,
            output: rx,
            seen: Vec::new(),
        }
    }

    fn slave(&self) -> File {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(&self.slave_path)
            .unwrap()
    }

    /// Waits (at most 30 s) until the terminal has shown `text`.
    #[track_caller]
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !String::from_utf8_lossy(&self.seen).contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend_from_slice(&chunk),
                Err(_) => panic!(
                    "the terminal never showed {text:?}; it showed {:?}",
                    String::from_utf8_lossy(&self.seen)
                ),
            }
        }
    }

    fn type_keys(&mut self, keys: &[u8]) {
        self.master.write_all(keys).unwrap();
        self.master.flush().unwrap();
    }

    /// Everything the terminal showed, once the child is gone.
    fn drain(&mut self) -> String {
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_millis(300)) {
            self.seen.extend_from_slice(&chunk);
        }
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    fn echo_is_on(&self) -> bool {
        let termios = rustix::termios::tcgetattr(&self.master).unwrap();
        termios
            .local_modes
            .contains(rustix::termios::LocalModes::ECHO)
    }
}

/// Starts `hopx args` with stdin and stderr on the terminal and stdout on a pipe.
fn spawn_on_terminal(env: &Env, pty: &Pty, args: &[&str]) -> std::process::Child {
    let slave = pty.slave();
    let mut command: Command = env.command();
    command
        .args(args)
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .stdout(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command); // closes this process's copies of the slave
    child
}

fn wait_bounded(child: &mut std::process::Child) -> (i32, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hopx did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status.code().unwrap_or(-1), stdout)
}

#[test]
fn login_reads_the_key_hidden_from_a_terminal() {
    let server = Server::start();
    let env = Env::for_server(&server);
    let mut pty = Pty::open();
    let mut child = spawn_on_terminal(
        &env,
        &pty,
        &["auth", "login", "--base-url", &server.url, "-o", "json"],
    );
    pty.wait_for("API key: ");
    // Typed with a slip corrected by backspace, then Enter.
    let mut keys = format!("{}X", server.key).into_bytes();
    keys.push(0x7f);
    keys.push(b'\r');
    pty.type_keys(&keys);
    let (code, stdout) = wait_bounded(&mut child);
    let shown = pty.drain();
    assert_eq!(code, 0, "stdout: {stdout}\nterminal: {shown}");
    assert!(
        !shown.contains(secret_of(&server.key)),
        "the key was echoed: {shown:?}"
    );
    assert!(shown.contains("input is hidden"), "{shown:?}");
    let view: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(view["verified"], true);
    assert!(env.config_text().contains(&server.key));
    assert!(pty.echo_is_on(), "the terminal was left without echo");
}

#[test]
fn ctrl_c_at_the_prompt_stores_nothing_and_restores_the_terminal() {
    let server = Server::start();
    let env = Env::for_server(&server);
    let mut pty = Pty::open();
    let mut child = spawn_on_terminal(&env, &pty, &["auth", "login", "--base-url", &server.url]);
    pty.wait_for("API key: ");
    pty.type_keys(b"hopx_live_abc\x03");
    let (code, _) = wait_bounded(&mut child);
    let shown = pty.drain();
    assert_eq!(code, 130, "{shown}");
    assert!(shown.contains("nothing was stored"), "{shown:?}");
    assert!(!env.config_file().exists());
    assert!(pty.echo_is_on());
}

#[test]
fn colors_and_spinner_only_on_a_terminal() {
    let env = Env::new();
    env.hopx(&["config", "set", "default_template", "base"])
        .ok();

    // stdout on the terminal: a bold header; none with NO_COLOR.
    for (no_color, expect_color) in [(false, true), (true, false)] {
        let pty = Pty::open();
        let mut command = env.command();
        if no_color {
            command.env("NO_COLOR", "1");
        }
        command
            .args(["config", "list"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(pty.slave()))
            .stderr(Stdio::null());
        let mut child = command.spawn().unwrap();
        drop(command);
        let mut pty = pty;
        pty.wait_for("default_template");
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(10));
        }
        let shown = pty.drain();
        assert_eq!(shown.contains("\x1b[1m"), expect_color, "{shown:?}");
    }

    // A slow create shows a spinner on a terminal's stderr, and nothing on a pipe.
    let silent = Canned::start(None, 4);
    let key = crate::common::random_key();
    let args = [
        "sandbox",
        "create",
        "-t",
        "base",
        "--base-url",
        &silent.url,
        "--api-key",
        &key,
        "--request-timeout",
        "1",
    ];
    let mut pty = Pty::open();
    let mut child = spawn_on_terminal(&env, &pty, &args);
    let (code, _) = wait_bounded(&mut child);
    assert_eq!(code, 5);
    let shown = pty.drain();
    assert!(shown.contains("Creating a sandbox"), "{shown:?}");
    let run = env.hopx(&args).expect(5);
    assert!(!run.stderr.contains("Creating a sandbox"), "{}", run.stderr);
}
