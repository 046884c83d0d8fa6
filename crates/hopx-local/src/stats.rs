//! Connection and request counters, so tests can prove that clients reuse
//! keep-alive connections (`GET /_local/stats`, `POST /_local/reset-stats`).
//!
//! The listener counts accepts and gives each connection a shared marker; axum
//! hands that marker to every request on the connection through
//! [`ConnectInfo<ConnMeta>`](axum::extract::ConnectInfo), and [`count_requests`]
//! uses it to count a connection once, on its first API request.

use std::{
    collections::BTreeMap,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request, State, connect_info::Connected},
    middleware::Next,
    response::Response,
    serve::{IncomingStream, Listener},
};
use serde::Serialize;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};

/// Paths under this prefix are the server's own test hooks and are never counted.
pub const LOCAL_PREFIX: &str = "/_local";

/// The counters. Shared by the listener, the middleware and the stats handlers.
#[derive(Debug)]
pub struct Stats {
    connections_accepted: AtomicU64,
    api_connections: AtomicU64,
    api_requests: AtomicU64,
    /// Requests per `User-Agent`, so tests can check what each SDK sends.
    user_agents: Mutex<BTreeMap<String, u64>>,
    /// Requests per auth header style (`bearer`, `x-api-key`, `none`); never the values.
    auth_headers: Mutex<BTreeMap<String, u64>>,
    /// Sandboxes killed because their `expires_at` passed (by the reaper or lazily).
    sandboxes_expired: AtomicU64,
    /// Bumped by a reset. A connection remembers the generation in which it was
    /// last counted, so after a reset an old keep-alive connection counts again.
    generation: AtomicU64,
}

/// What `GET /_local/stats` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub connections_accepted: u64,
    pub api_connections: u64,
    pub api_requests: u64,
    pub user_agents: BTreeMap<String, u64>,
    pub auth_headers: BTreeMap<String, u64>,
    /// Sandboxes that exist now, of every organization (a gauge, not reset).
    pub sandboxes_live: u64,
    /// Sandboxes killed on expiry since start or the last reset.
    pub sandboxes_expired: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            connections_accepted: AtomicU64::new(0),
            api_connections: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            user_agents: Mutex::default(),
            auth_headers: Mutex::default(),
            sandboxes_expired: AtomicU64::new(0),
            generation: AtomicU64::new(1),
        }
    }
}

impl Stats {
    /// The counters; `sandboxes_live` is 0 here and filled in by the server, which
    /// owns the sandboxes.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            connections_accepted: self.connections_accepted.load(Ordering::SeqCst),
            api_connections: self.api_connections.load(Ordering::SeqCst),
            api_requests: self.api_requests.load(Ordering::SeqCst),
            user_agents: lock(&self.user_agents).clone(),
            auth_headers: lock(&self.auth_headers).clone(),
            sandboxes_live: 0,
            sandboxes_expired: self.sandboxes_expired.load(Ordering::SeqCst),
        }
    }

    pub(crate) fn record_sandbox_expired(&self) {
        self.sandboxes_expired.fetch_add(1, Ordering::SeqCst);
    }

    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.connections_accepted.store(0, Ordering::SeqCst);
        self.api_connections.store(0, Ordering::SeqCst);
        self.api_requests.store(0, Ordering::SeqCst);
        self.sandboxes_expired.store(0, Ordering::SeqCst);
        lock(&self.user_agents).clear();
        lock(&self.auth_headers).clear();
    }

    fn record_api_request(&self, conn: Option<&ConnMeta>, headers: &axum::http::HeaderMap) {
        self.api_requests.fetch_add(1, Ordering::SeqCst);
        // Bounded and printable, so a hostile client cannot grow the map or inject text.
        let agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 200)
            .unwrap_or("(none)");
        let mut agents = lock(&self.user_agents);
        if agents.len() < 100 || agents.contains_key(agent) {
            *agents.entry(agent.to_owned()).or_default() += 1;
        }
        drop(agents);
        let authorization = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let style = if authorization
            .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
        {
            "bearer"
        } else if authorization.is_some() {
            "authorization-other"
        } else if headers.contains_key("x-api-key") {
            "x-api-key"
        } else {
            "none"
        };
        *lock(&self.auth_headers)
            .entry(style.to_owned())
            .or_default() += 1;
        if let Some(conn) = conn {
            let generation = self.generation.load(Ordering::SeqCst);
            if conn.counted_in.swap(generation, Ordering::SeqCst) != generation {
                self.api_connections.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Per-connection data given to every request on that connection.
#[derive(Debug, Clone)]
pub struct ConnMeta {
    pub remote_addr: SocketAddr,
    counted_in: Arc<AtomicU64>,
}

impl Connected<IncomingStream<'_, CountingListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, CountingListener>) -> Self {
        stream.io().meta.clone()
    }
}

/// A `TcpListener` that counts accepted connections.
#[derive(Debug)]
pub struct CountingListener {
    inner: TcpListener,
    stats: Arc<Stats>,
}

impl CountingListener {
    pub fn new(inner: TcpListener, stats: Arc<Stats>) -> Self {
        Self { inner, stats }
    }
}

impl Listener for CountingListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote_addr)) => {
                    self.stats
                        .connections_accepted
                        .fetch_add(1, Ordering::SeqCst);
                    // Small JSON answers on a keep-alive connection should not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let meta = ConnMeta {
                        remote_addr,
                        counted_in: Arc::new(AtomicU64::new(0)),
                    };
                    return (
                        CountedStream {
                            inner: stream,
                            meta,
                        },
                        remote_addr,
                    );
                }
                Err(e) => handle_accept_error(e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Same policy as axum's own `TcpListener` impl: per-connection errors are
/// retried at once; others (e.g. out of file descriptors) back off for a second
/// instead of spinning.
async fn handle_accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A `TcpStream` that carries its connection's [`ConnMeta`].
#[derive(Debug)]
pub struct CountedStream {
    inner: TcpStream,
    meta: ConnMeta,
}

impl AsyncRead for CountedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Middleware: counts every request outside `/_local`, whatever its outcome. It
/// runs before auth so that 401s are counted too.
pub async fn count_requests(
    State(stats): State<Arc<Stats>>,
    request: Request,
    next: Next,
) -> Response {
    if !is_local_path(request.uri().path()) {
        let conn = request
            .extensions()
            .get::<ConnectInfo<ConnMeta>>()
            .map(|ConnectInfo(meta)| meta);
        stats.record_api_request(conn, request.headers());
    }
    next.run(request).await
}

pub fn is_local_path(path: &str) -> bool {
    path == LOCAL_PREFIX
        || path
            .strip_prefix(LOCAL_PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
