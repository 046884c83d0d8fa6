//! The `hopx-local` command line, shared by the `hopx-local` binary and `hopx local`:
//! parses flags, settles the API key, starts the server, prints one JSON ready line on
//! stdout, and stops on SIGINT/SIGTERM (or when stdin closes / the lifetime runs out, for
//! test harnesses).

use std::{
    io::{IsTerminal, Read, Write},
    net::IpAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{ServerConfig, auth};
use serde::Serialize;
use tokio::{
    signal::unix::{Signal, SignalKind, signal},
    sync::oneshot,
    time::Instant,
};
use tracing_subscriber::EnvFilter;

/// Exit status for unusable flags, the same one clap uses for its own errors.
pub const USAGE_ERROR: u8 = 2;
/// Exit status for any other failure.
pub const FAILURE: u8 = 1;

// `Debug` by hand: the derived one would print the keys.
#[derive(clap::Parser)]
#[command(
    name = "hopx-local",
    version,
    about = "A local HopX-compatible server for offline development and tests.",
    long_about = "A local HopX-compatible server for offline development and tests.\n\n\
                  Once listening it prints one JSON line on stdout: \
                  {\"event\":\"listening\",\"url\":...,\"api_key_file\":...}. \
                  Logs go to stderr (filter with HOPX_LOCAL_LOG or RUST_LOG)."
)]
pub struct Cli {
    /// Address to listen on. Non-loopback addresses need --allow-non-loopback.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    host: IpAddr,

    /// Port to listen on; 0 picks a free port (read it from the ready line).
    #[arg(long, value_name = "N", default_value_t = 8787)]
    port: u16,

    /// An accepted API key (`hopx_live_<keyId>.<secret>`); repeat for several
    /// organizations. Without it, the key in <data-dir>/api_key is used or created.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,

    /// Where the generated API key is kept
    /// [default: $XDG_STATE_HOME/hopx-local or ~/.local/state/hopx-local].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Lifetime of sandbox tokens (auth_token), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    token_ttl_seconds: u64,

    /// Allow listening on a non-loopback address (exposes the server to the network).
    #[arg(long)]
    allow_non_loopback: bool,

    /// Exit when stdin reaches end-of-file, so a server whose parent died stops too.
    #[arg(long)]
    exit_when_stdin_closes: bool,

    /// Exit after this many seconds (a safety net for tests).
    #[arg(long, value_name = "N")]
    max_lifetime_seconds: Option<u64>,

    /// Limit each API key to this many control-plane requests per second (bursts of twice
    /// that); more get 429 with Retry-After, like the real service. Off by default.
    #[arg(long, value_name = "PER_SECOND", value_parser = positive_rate)]
    rate_limit: Option<f64>,

    /// Run sandbox code WITHOUT bubblewrap, directly on this machine (no isolation at all).
    /// Only for hosts where bwrap cannot run, with code you trust.
    #[arg(long)]
    unsafe_no_sandbox: bool,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("must be a number of requests per second greater than 0".to_owned()),
    }
}

impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_keys", &format_args!("<{} keys>", self.api_keys.len()))
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// The single line printed on stdout once the port is open.
#[derive(Serialize)]
struct ReadyLine<'a> {
    event: &'static str,
    url: &'a str,
    api_key_file: Option<&'a Path>,
}

/// Logs to stderr, filtered by HOPX_LOCAL_LOG or RUST_LOG (default `info`). Does nothing when
/// the process already has a logger (e.g. `hopx local` inside a host program).
pub fn init_logging() {
    let filter = ["HOPX_LOCAL_LOG", "RUST_LOG"]
        .iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| EnvFilter::try_new(v).ok())
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// True when clap's rendering of a parse error would print an API key (clap quotes unexpected
/// arguments back, e.g. a key given without `--api-key` in front of it).
pub fn error_would_print_a_key(err: &clap::Error) -> bool {
    err.use_stderr() && err.render().to_string().contains(auth::KEY_PREFIX)
}

/// The message printed instead of such an error.
pub const KEY_IN_COMMAND_LINE: &str = "invalid command line (not shown, it would print an API key). \
     Give keys only as --api-key KEY; see --help.";

/// Starts logging and a runtime of its own, then [`run`]s the server; blocks until it stops.
pub fn run_blocking(cli: Cli) -> u8 {
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hopx-local: cannot start the async runtime: {e}");
            return FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

/// Runs the server until it is told to stop; returns the process exit status.
pub async fn run(cli: Cli) -> u8 {
    let mut api_keys = Vec::with_capacity(cli.api_keys.len());
    for (index, raw) in cli.api_keys.iter().enumerate() {
        let key = raw.trim();
        if let Err(reason) = auth::check_key_format(key) {
            // Show at most the non-secret part, and only when it parses.
            let shown = auth::redacted(key)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            eprintln!(
                "hopx-local: --api-key #{}{shown} is not a valid HopX API key: {reason}. \
                 Expected hopx_live_<12 letters/digits>.<secret of A-Z a-z 0-9 _ ->; \
                 or leave out --api-key to have one generated.",
                index + 1
            );
            return USAGE_ERROR;
        }
        api_keys.push(key.to_owned());
    }

    if !cli.host.is_loopback() {
        if !cli.allow_non_loopback {
            eprintln!(
                "hopx-local: refusing to listen on {}: it is not a loopback address, so anyone \
                 on the network could use this server. Use --host 127.0.0.1, or add \
                 --allow-non-loopback if you really mean it.",
                cli.host
            );
            return USAGE_ERROR;
        }
        tracing::warn!(
            host = %cli.host,
            "LISTENING ON A NON-LOOPBACK ADDRESS: anyone who can reach it and has the API key \
             can create sandboxes on this machine"
        );
    }

    let mut api_key_file = None;
    if api_keys.is_empty() {
        let Some(dir) = cli.data_dir.clone().or_else(default_data_dir) else {
            eprintln!(
                "hopx-local: cannot tell where to keep the API key: neither XDG_STATE_HOME nor \
                 HOME is set. Pass --data-dir DIR or --api-key KEY."
            );
            return USAGE_ERROR;
        };
        // Absolute, so that the path in the ready line works from any directory.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        match auth::load_or_create_key_file(&dir) {
            Ok(file) => {
                // The one place a full key is ever printed: the user has to learn it.
                eprintln!(
                    "hopx-local: API key: {} (saved to {})",
                    file.key,
                    file.path.display()
                );
                api_keys.push(file.key);
                api_key_file = Some(file.path);
            }
            Err(e) => {
                eprintln!(
                    "hopx-local: cannot read or create the API key file in {}: {e}. \
                     Pass --data-dir with a writable directory, or --api-key KEY.",
                    dir.display()
                );
                return FAILURE;
            }
        }
    }

    let stop = StopSignals::install(cli.exit_when_stdin_closes, cli.max_lifetime_seconds);
    let config = ServerConfig {
        host: cli.host,
        port: cli.port,
        api_keys,
        token_ttl: Duration::from_secs(cli.token_ttl_seconds),
        allow_non_loopback: cli.allow_non_loopback,
        sandbox: crate::SandboxOptions {
            unsafe_no_sandbox: cli.unsafe_no_sandbox,
            ..Default::default()
        },
        rate_limit: cli.rate_limit.map(crate::RateLimit::per_second),
    };
    let server = match crate::bind(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("hopx-local: {e}");
            return FAILURE;
        }
    };

    let ready = ReadyLine {
        event: "listening",
        url: server.base_url(),
        api_key_file: api_key_file.as_deref(),
    };
    if let Err(e) = print_ready_line(&ready) {
        eprintln!("hopx-local: cannot write the ready line to stdout: {e}");
        server.shutdown().await;
        return FAILURE;
    }

    match server.run_until(stop.wait()).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("hopx-local: {e}");
            FAILURE
        }
    }
}

fn print_ready_line(ready: &ReadyLine<'_>) -> std::io::Result<()> {
    let line = serde_json::to_string(ready).map_err(std::io::Error::other)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// `$XDG_STATE_HOME/hopx-local`, else `$HOME/.local/state/hopx-local`. A relative
/// XDG_STATE_HOME is invalid per the XDG spec and ignored.
fn default_data_dir() -> Option<PathBuf> {
    let non_empty = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty());
    if let Some(state) = non_empty("XDG_STATE_HOME").map(PathBuf::from)
        && state.is_absolute()
    {
        return Some(state.join("hopx-local"));
    }
    non_empty("HOME").map(|home| PathBuf::from(home).join(".local/state/hopx-local"))
}

/// The reasons to stop, armed before the ready line is printed: a SIGTERM sent
/// right after a harness reads that line must find the handler in place, or it
/// would kill the process with the default action.
struct StopSignals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    stdin_closed: Option<oneshot::Receiver<()>>,
    deadline: Option<Instant>,
}

impl StopSignals {
    fn install(watch_stdin: bool, max_lifetime_seconds: Option<u64>) -> Self {
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch {name}");
                None
            }
        };
        Self {
            interrupt: listen(SignalKind::interrupt(), "SIGINT"),
            terminate: listen(SignalKind::terminate(), "SIGTERM"),
            stdin_closed: watch_stdin.then(watch_stdin_eof).flatten(),
            deadline: max_lifetime_seconds.map(|secs| Instant::now() + Duration::from_secs(secs)),
        }
    }

    /// Resolves when any armed reason fires.
    async fn wait(mut self) {
        async fn next_signal(signal: Option<&mut Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let stdin_closed = async {
            match self.stdin_closed {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => std::future::pending().await,
            }
        };
        let lifetime = async {
            match self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let reason = tokio::select! {
            () = next_signal(self.interrupt.as_mut()) => "SIGINT",
            () = next_signal(self.terminate.as_mut()) => "SIGTERM",
            () = stdin_closed => "stdin closed",
            () = lifetime => "--max-lifetime-seconds reached",
        };
        tracing::info!(reason, "shutting down");
    }
}

/// A plain thread, not tokio's stdin: tokio reads stdin on a blocking-pool thread
/// that cannot be cancelled, which would hold up runtime shutdown.
fn watch_stdin_eof() -> Option<oneshot::Receiver<()>> {
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
    match spawned {
        Ok(_) => Some(rx),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch stdin; --exit-when-stdin-closes is inactive");
            None
        }
    }
}
