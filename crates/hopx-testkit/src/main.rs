//! `hopx-testkit`: helper servers for the SDK's test suites (Rust, Python, Node). Test-only;
//! never shipped, never pointed at a real HopX endpoint with real credentials on purpose.
//!
//! The test suites need to see how the SDK behaves when the network misbehaves, which a
//! well-behaved server such as `hopx-local` cannot show. One binary serves three roles:
//!
//! * `faults` ([`faults`]): a reverse proxy in front of an upstream (usually `hopx-local`)
//!   that injects scripted faults: error statuses, hangs, FIN/RST closes, truncated or
//!   oversized bodies, unknown JSON fields. Scripts and a request log live under `/__faults`.
//! * `proxy` ([`proxy`]): an HTTP forward proxy (absolute-form and `CONNECT`, optional
//!   Basic auth), to check that the SDK honours proxy settings.
//! * `tls` ([`tls`]): an HTTPS front with a CA generated at start, to check certificate
//!   handling and HTTP/2 negotiation without touching the system trust store.
//!
//! The contract with the spawning test: every mode listens on 127.0.0.1 with port 0, prints
//! exactly one JSON line on stdout when ready (`{"url":"http://127.0.0.1:PORT"}`, plus
//! `"ca"` in `tls` mode and `"refused_url"`, a port that refuses connections, in `faults`
//! mode), and exits when its stdin reaches end-of-file or `--max-seconds`
//! pass, so a crashed test run leaves no server behind. Spawn it with stdin piped: an
//! inherited `/dev/null` stdin makes it exit at once. Nothing is printed after the ready
//! line and request headers/bodies are never logged, since they carry API keys and tokens.

mod faults;
mod http1;
mod proxy;
mod tls;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Debug, Parser)]
#[command(
    name = "hopx-testkit",
    version,
    about = "Test-only helper servers for the hopx SDK test suites.",
    after_help = "Every mode binds 127.0.0.1:0, prints one JSON ready line on stdout and exits \
                  when stdin reaches EOF (spawn it with stdin piped) or after --max-seconds."
)]
struct Cli {
    /// Exit after this many seconds even if stdin stays open.
    #[arg(long, global = true, default_value_t = 600)]
    max_seconds: u64,

    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Fault-injecting HTTP/1.1 reverse proxy, scripted through POST /__faults.
    Faults {
        /// Base URL of the server to forward to, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        upstream: String,
    },
    /// HTTP forward proxy: absolute-form requests and CONNECT tunnels; log at GET /__proxy/log.
    Proxy {
        /// Require `Proxy-Authorization: Basic base64(USER:PASS)`; others get 407.
        #[arg(long, value_name = "USER:PASS")]
        auth: Option<String>,
    },
    /// HTTPS reverse proxy (HTTP/2 and HTTP/1.1 by ALPN) with a CA generated at start.
    Tls {
        /// Base URL of the server to forward to, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        upstream: String,
        /// Where to write the generated CA certificate (PEM) before the ready line.
        #[arg(long, value_name = "FILE")]
        ca_out: PathBuf,
        /// Offer only `http/1.1` by ALPN and serve only HTTP/1.1.
        #[arg(long)]
        http1_only: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // reqwest is built with `rustls-no-provider` and panics without a process-wide
    // provider; ring, like the rest of the workspace, to avoid the slow aws-lc build.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fatal(format_args!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(run(cli));
    // Exit without waiting for connections that are still hanging on purpose (hang faults,
    // open tunnels): the spawning test is gone or done with us.
    std::process::exit(i32::from(code != ExitCode::SUCCESS));
}

async fn run(cli: Cli) -> ExitCode {
    // Armed before the ready line, so that a test which closes stdin right after reading it
    // still stops us.
    let stdin_closed = watch_stdin_eof();
    let lifetime = tokio::time::sleep(Duration::from_secs(cli.max_seconds));

    let listener = match TcpListener::bind(("127.0.0.1", 0)).await {
        Ok(listener) => listener,
        Err(e) => return fatal(format_args!("cannot listen on 127.0.0.1: {e}")),
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => return fatal(format_args!("cannot read the listening address: {e}")),
    };

    // A port that refuses connections for as long as this process lives: bound, never
    // listening, so no other server can take it (a port merely closed again can be reused
    // by a server another test starts at the same moment).
    let refusing = match tokio::net::TcpSocket::new_v4()
        .and_then(|socket| socket.bind(([127, 0, 0, 1], 0).into()).map(|()| socket))
    {
        Ok(socket) => socket,
        Err(e) => return fatal(format_args!("cannot reserve a refusing port: {e}")),
    };
    let refused_url = match refusing.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(e) => return fatal(format_args!("cannot read the refusing port: {e}")),
    };

    // Everything that can fail happens before the ready line: a test that got the line
    // can rely on the server being up.
    type Server = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
    let started: Result<(Ready, Server), String> = match cli.mode {
        Mode::Faults { upstream } => faults::State::new(&upstream).map(|state| {
            let server: Server = Box::pin(faults::serve(listener, state));
            let ready = Ready {
                refused_url: Some(refused_url),
                ..Ready::http(addr)
            };
            (ready, server)
        }),
        Mode::Proxy { auth } => proxy::State::new(auth.as_deref()).map(|state| {
            let server: Server = Box::pin(proxy::serve(listener, state));
            (Ready::http(addr), server)
        }),
        Mode::Tls {
            upstream,
            ca_out,
            http1_only,
        } => tls::State::new(&upstream, &ca_out, http1_only).map(|(state, ca_path)| {
            let ready = Ready {
                url: format!("https://{addr}"),
                ca: Some(ca_path.to_string_lossy().into_owned()),
                refused_url: None,
            };
            let server: Server = Box::pin(tls::serve(listener, state));
            (ready, server)
        }),
    };
    let server = match started {
        Ok((ready, server)) => match print_ready_line(&ready) {
            Ok(()) => server,
            Err(e) => return fatal(format_args!("cannot write the ready line: {e}")),
        },
        Err(e) => return fatal(format_args!("{e}")),
    };

    tokio::select! {
        () = server => {}
        () = stdin_closed => {}
        () = lifetime => {}
    }
    drop(refusing);
    ExitCode::SUCCESS
}

fn fatal(message: std::fmt::Arguments<'_>) -> ExitCode {
    eprintln!("hopx-testkit: {message}");
    ExitCode::FAILURE
}

/// The one line a spawning test waits for.
#[derive(Debug, serde::Serialize)]
struct Ready {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    /// `faults` only: a loopback URL whose port refuses every connection while this runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused_url: Option<String>,
}

impl Ready {
    fn http(addr: std::net::SocketAddr) -> Self {
        Self {
            url: format!("http://{addr}"),
            ca: None,
            refused_url: None,
        }
    }
}

fn print_ready_line(ready: &Ready) -> std::io::Result<()> {
    let line = serde_json::to_string(ready).map_err(std::io::Error::other)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// Resolves when stdin reaches end-of-file. A plain thread rather than tokio's stdin:
/// tokio reads stdin on a blocking-pool thread that cannot be cancelled. If the thread
/// cannot be spawned this never resolves and `--max-seconds` still bounds the lifetime.
fn watch_stdin_eof() -> impl Future<Output = ()> {
    let (tx, rx) = oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 1024];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
    if let Err(e) = &spawned {
        eprintln!("hopx-testkit: cannot watch stdin ({e}); relying on --max-seconds");
    }
    async move {
        // A dropped sender (the thread never started) is not an EOF.
        if rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
