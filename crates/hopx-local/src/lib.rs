//! `hopx-local`: a HopX-compatible control plane on 127.0.0.1, so the SDKs, the CLI
//! and every test run with no account and no network.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hopx_local::Error> {
//! let key = "hopx_live_abcdefABCD12.secret".to_owned();
//! let server = hopx_local::bind(hopx_local::ServerConfig::new(vec![key])).await?;
//! println!("{}", server.base_url()); // http://127.0.0.1:<free port>
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Served: the whole control plane of `spec/openapi_public.json` except template
//! building: `GET /health`; `GET /v1/templates`; `GET|DELETE /v1/templates/{name}`;
//! `POST|GET /v1/sandboxes`; `GET|DELETE /v1/sandboxes/{id}`;
//! `POST /v1/sandboxes/{id}/pause|resume|stop|start`; `PUT /v1/sandboxes/{id}/timeout`;
//! `POST /v1/sandboxes/{id}/token/refresh`. The template-building routes answer a
//! 404 saying so. Plus the test hooks `GET /_local/stats`
//! and `POST /_local/reset-stats`. State lives in memory only; where the server
//! knowingly differs from the spec is listed in `spec/DIFFERENCES.md`.
//!
//! Each sandbox is real: a private root on disk and the agent of
//! `spec/openapi_agent.json` under its `public_host` (`<base>/agent/<id>`), which runs
//! code under bubblewrap ([`sandbox`], [`agent`]).

pub mod agent;
pub mod auth;
mod body;
pub mod catalog;
pub mod cli;
pub mod envelope;
mod ids;
pub mod jwt;
mod rate_limit;
pub use rate_limit::RateLimit;
pub mod lifecycle;
mod reaper;
pub mod sandbox;
pub use sandbox::SandboxOptions;
pub mod sandboxes;
pub mod stats;
pub mod templates;

use std::{
    future::Future,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Extension, Router,
    extract::State,
    http::StatusCode,
    middleware,
    response::Response,
    routing::{any, get, post, put},
};
use serde_json::json;
use tokio::{
    net::TcpListener,
    sync::{Notify, watch},
    task::JoinHandle,
};

use crate::{
    auth::KeyRing,
    envelope::{RequestId, json_response},
    jwt::JwtKeys,
    sandbox::Host,
    sandboxes::SandboxStore,
    stats::{ConnMeta, CountingListener, Stats},
};

/// How long [`RunningServer::shutdown`] lets in-flight requests finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long shutdown waits for the expiry reaper to finish a kill in progress.
const REAPER_GRACE: Duration = Duration::from_secs(2);

/// How to run the server.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to bind. Must be loopback unless `allow_non_loopback` is set.
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one (see [`RunningServer::local_addr`]).
    pub port: u16,
    /// Accepted API keys, each in the `hopx_live_<keyId>.<secret>` format. Each key
    /// is its own organization, numbered from 1 in this order.
    pub api_keys: Vec<String>,
    /// Lifetime of sandbox tokens (`auth_token`).
    pub token_ttl: Duration,
    /// Allows binding a non-loopback address, which exposes the server to the network.
    pub allow_non_loopback: bool,
    /// How sandboxes run code (bubblewrap, or `--unsafe-no-sandbox`) and where their
    /// files go.
    pub sandbox: SandboxOptions,
    /// Requests per key on `/v1/*`; more get 429 with `Retry-After`. `None`: no limit.
    pub rate_limit: Option<RateLimit>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_keys", &KeyRing::new(self.api_keys.clone()))
            .field("token_ttl", &self.token_ttl)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .field("sandbox", &self.sandbox)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl ServerConfig {
    /// 127.0.0.1, a free port, a one-hour token lifetime.
    pub fn new(api_keys: Vec<String>) -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            api_keys,
            token_ttl: Duration::from_secs(3600),
            allow_non_loopback: false,
            sandbox: SandboxOptions::default(),
            rate_limit: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no API key configured; pass at least one key in ServerConfig::api_keys")]
    NoApiKeys,
    #[error("API key #{position} is not a valid HopX API key: {reason}")]
    InvalidApiKey {
        /// 1-based position in `api_keys`.
        position: usize,
        reason: auth::KeyFormatError,
    },
    #[error(
        "refusing to listen on non-loopback address {0}: that exposes the server to the network; \
         set allow_non_loopback (--allow-non-loopback) if you mean it"
    )]
    NonLoopback(IpAddr),
    #[error("token_ttl must be at least one second")]
    InvalidTokenTtl,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
    #[error("cannot create the directory for sandboxes: {0}")]
    SandboxDir(#[source] std::io::Error),
}

/// State shared by all handlers.
#[derive(Debug)]
pub struct AppState {
    pub(crate) keys: KeyRing,
    pub(crate) catalog: Vec<catalog::Template>,
    pub(crate) jwt: JwtKeys,
    pub(crate) stats: Arc<Stats>,
    pub(crate) base_url: String,
    /// Where sandboxes live and how their code runs.
    pub(crate) host: Arc<Host>,
    sandboxes: Mutex<SandboxStore>,
    /// Woken when an expiry is set, so the reaper can sleep until the earliest one.
    pub(crate) expiry_changed: Notify,
    pub(crate) rate_limiter: Option<rate_limit::Limiter>,
}

impl AppState {
    /// A panic while holding the lock cannot leave the store half-updated in a way
    /// that matters more than refusing all further requests would, so poisoning is
    /// ignored.
    pub(crate) fn lock_sandboxes(&self) -> MutexGuard<'_, SandboxStore> {
        self.sandboxes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The counters plus the number of sandboxes in the store. Reading it purges
    /// nothing, so tests can see the reaper's work without a request doing it.
    fn snapshot(&self) -> stats::Snapshot {
        let mut snapshot = self.stats.snapshot();
        snapshot.sandboxes_live = self.lock_sandboxes().len() as u64;
        snapshot
    }
}

/// A server accepting connections in a background task.
///
/// Dropping it also stops the server (gracefully, without waiting).
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    base_url: String,
    state: Arc<AppState>,
    /// Set to true to stop both the HTTP server and the reaper.
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    reaper: Option<JoinHandle<()>>,
}

/// Binds the listener and starts serving in a background task on the current
/// tokio runtime. Returns once the port is open, so the URL is usable at once.
pub async fn bind(config: ServerConfig) -> Result<RunningServer, Error> {
    let keys = validate(&config)?;
    let addr = SocketAddr::new(config.host, config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr, source })?;
    let base_url = format!("http://{}", reachable(local_addr));
    let host = Host::new(&config.sandbox).map_err(Error::SandboxDir)?;

    let stats = Arc::new(Stats::default());
    let state = Arc::new(AppState {
        keys: KeyRing::new(keys),
        catalog: catalog::for_this_host(),
        jwt: JwtKeys::generate(config.token_ttl),
        stats: stats.clone(),
        base_url: base_url.clone(),
        host,
        sandboxes: Mutex::new(SandboxStore::default()),
        expiry_changed: Notify::new(),
        rate_limiter: config.rate_limit.map(rate_limit::Limiter::new),
    });
    tracing::info!(
        templates = ?catalog::names(&state.catalog),
        "template catalog (from the programs sandboxes can run)"
    );

    let app = router(state.clone()).into_make_service_with_connect_info::<ConnMeta>();
    let (shutdown, mut serve_stop) = watch::channel(false);
    let reaper = tokio::spawn(reaper::run(state.clone(), shutdown.subscribe()));
    let serve = axum::serve(CountingListener::new(listener, stats), app).with_graceful_shutdown(
        async move {
            // Err means the sender is gone, which is a reason to stop too.
            let _ = serve_stop.wait_for(|stop| *stop).await;
        },
    );
    let task = tokio::spawn(async move { serve.await });
    tracing::info!(url = %base_url, "hopx-local listening");

    Ok(RunningServer {
        local_addr,
        base_url,
        state,
        shutdown,
        task: Some(task),
        reaper: Some(reaper),
    })
}

/// Trims the keys and checks their format. Duplicates are kept so that a key's
/// organization id is always its 1-based position in `api_keys` (the first
/// occurrence wins).
fn validate(config: &ServerConfig) -> Result<Vec<String>, Error> {
    if !config.host.is_loopback() && !config.allow_non_loopback {
        return Err(Error::NonLoopback(config.host));
    }
    if config.token_ttl.as_secs() == 0 {
        return Err(Error::InvalidTokenTtl);
    }
    let mut keys: Vec<String> = Vec::with_capacity(config.api_keys.len());
    for (index, raw) in config.api_keys.iter().enumerate() {
        let key = raw.trim();
        auth::check_key_format(key).map_err(|reason| Error::InvalidApiKey {
            position: index + 1,
            reason,
        })?;
        keys.push(key.to_owned());
    }
    if keys.is_empty() {
        return Err(Error::NoApiKeys);
    }
    Ok(keys)
}

/// The address clients on this machine should use: a wildcard bind is reached
/// through loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

impl RunningServer {
    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<addr>:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Checks a sandbox token (`auth_token`) issued by this server.
    pub fn verify_token(&self, token: &str) -> Result<jwt::Claims, jwt::JwtError> {
        self.state.jwt.verify(token)
    }

    /// The directory on disk that holds sandbox `id` (its `workspace/` and `tmp/`), while
    /// the sandbox exists.
    pub fn sandbox_root(&self, id: &str) -> Option<PathBuf> {
        self.state
            .lock_sandboxes()
            .get_by_id(id)
            .map(|r| r.runtime.root.clone())
    }

    /// The host uid the processes of sandbox `id` run under, when sandboxes get uids of
    /// their own (the server runs as root).
    pub fn sandbox_uid(&self, id: &str) -> Option<u32> {
        self.state
            .lock_sandboxes()
            .get_by_id(id)
            .and_then(|r| r.runtime.uid())
    }

    /// How sandboxes run code here: `bubblewrap`, `none (--unsafe-no-sandbox)` or
    /// `unavailable: <reason>`.
    pub fn isolation(&self) -> String {
        self.state.host.isolation.describe()
    }

    /// Current counters (as `GET /_local/stats`), including how many sandboxes
    /// exist. Reading them does not purge expired sandboxes.
    pub fn stats(&self) -> stats::Snapshot {
        self.state.snapshot()
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), then returns.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// Serves until `signal` completes (or the server fails), then shuts down
    /// gracefully like [`shutdown`](Self::shutdown).
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), Error> {
        let Some(task) = self.task.as_mut() else {
            return Ok(());
        };
        let ended = tokio::select! {
            () = signal => None,
            ended = task => Some(ended),
        };
        match ended {
            None => {
                self.stop().await;
                Ok(())
            }
            Some(ended) => {
                self.task = None;
                self.stop_reaper().await;
                self.state.kill_all_sandboxes();
                match ended {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(Error::Serve(e)),
                    Err(e) => Err(Error::Serve(std::io::Error::other(e.to_string()))),
                }
            }
        }
    }

    async fn stop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            tracing::warn!("requests still running after the grace period; closing them");
            task.abort();
        }
        self.stop_reaper().await;
        self.state.kill_all_sandboxes();
        tracing::info!("hopx-local stopped");
    }

    async fn stop_reaper(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(mut reaper) = self.reaper.take()
            && tokio::time::timeout(REAPER_GRACE, &mut reaper)
                .await
                .is_err()
        {
            reaper.abort();
        }
    }
}

impl Drop for RunningServer {
    /// Signals the server and the reaper (both stop on their own shortly after) and kills
    /// every sandbox, so none of their processes or files outlive the server.
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        self.state.kill_all_sandboxes();
    }
}

/// All routes and middleware. The layer order matters: the request context
/// (request id, error envelope) is outermost, then counting, then auth, so that
/// every answer, 401s and unknown routes included, is counted and enveloped.
fn router(state: Arc<AppState>) -> Router {
    let stats = state.stats.clone();
    Router::new()
        .route("/health", get(health))
        .route("/v1/templates", get(templates::list))
        .route("/v1/templates/build", any(templates::build_unavailable))
        .route(
            "/v1/templates/build/{build_id}/{what}",
            any(templates::build_unavailable),
        )
        .route(
            "/v1/templates/files/upload-link",
            any(templates::build_unavailable),
        )
        // The spec names the parameter {name} for GET and {templateID} for DELETE;
        // both accept a name or an id.
        .route(
            "/v1/templates/{name}",
            get(templates::get).delete(templates::delete),
        )
        .route(
            "/v1/sandboxes",
            get(sandboxes::list).post(sandboxes::create),
        )
        .route(
            "/v1/sandboxes/{id}",
            get(sandboxes::get).delete(sandboxes::delete),
        )
        .route("/v1/sandboxes/{id}/pause", post(lifecycle::pause))
        .route("/v1/sandboxes/{id}/resume", post(lifecycle::resume))
        .route("/v1/sandboxes/{id}/stop", post(lifecycle::stop))
        .route("/v1/sandboxes/{id}/start", post(lifecycle::start))
        .route("/v1/sandboxes/{id}/timeout", put(lifecycle::set_timeout))
        .route(
            "/v1/sandboxes/{id}/token/refresh",
            post(sandboxes::refresh_token),
        )
        .merge(agent::router(state.clone()))
        .route("/_local/stats", get(local_stats))
        .route("/_local/reset-stats", post(local_reset_stats))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_api_key,
        ))
        .layer(middleware::from_fn_with_state(stats, stats::count_requests))
        .layer(middleware::from_fn(envelope::request_context))
        .with_state(state)
}

async fn health(Extension(request_id): Extension<RequestId>) -> Response {
    json_response(
        StatusCode::OK,
        &request_id,
        json!({
            "status": "ok",
            "service": "hopx-local",
            "version": env!("CARGO_PKG_VERSION"),
        }),
    )
}

async fn local_stats(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
) -> Response {
    json_response(
        StatusCode::OK,
        &request_id,
        serde_json::to_value(state.snapshot()).unwrap_or_default(),
    )
}

async fn local_reset_stats(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
) -> Response {
    state.stats.reset();
    json_response(
        StatusCode::OK,
        &request_id,
        serde_json::to_value(state.snapshot()).unwrap_or_default(),
    )
}
