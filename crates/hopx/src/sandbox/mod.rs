//! Sandboxes: creating them, finding them, and acting on one through a [`Sandbox`] handle.

mod create;
mod expiry;
mod info;
mod list;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use create::{CreateSandboxOptions, TemplateRef};
pub use expiry::{DEFAULT_EXPIRING_SOON, ExpiryInfo, expiring_soon_threshold};
pub(crate) use info::{AgentToken, SandboxWithToken};
pub use info::{Resources, SandboxInfo};
pub(crate) use list::SandboxPage;
pub use list::{ListSandboxesOptions, MAX_PAGE_SIZE, SANDBOX_STATUSES, SandboxPager};

use crate::client::Client;
use crate::config::CallOptions;
use crate::error::{Error, ErrorCode, Result};

/// A sandbox: its id, what the control plane last said about it, and the client to act on it.
///
/// Clones share that state, so a token refreshed through one clone is used by all of them.
/// Nothing here does I/O except the `async` methods.
#[derive(Clone)]
pub struct Sandbox {
    client: Client,
    id: String,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Held while the agent token is refreshed, so concurrent calls that find it stale (or
    /// rejected) make one refresh between them, not one each.
    token_refresh: tokio::sync::Mutex<()>,
    /// Made by `create`: leaving a `with` / `async with` / `await using` block kills it.
    created_here: bool,
}

struct State {
    info: SandboxInfo,
    token: Option<AgentToken>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("status", &state.info.status)
            .field("template", &state.info.template_name)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    fn new(
        client: Client,
        id: String,
        info: SandboxInfo,
        token: Option<AgentToken>,
        created_here: bool,
    ) -> Sandbox {
        Sandbox {
            client,
            id,
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    info: info.with_fallbacks(),
                    token,
                }),
                token_refresh: tokio::sync::Mutex::new(()),
                created_here,
            }),
        }
    }

    pub(crate) fn from_create_response(
        client: Client,
        response: SandboxWithToken,
    ) -> Result<Sandbox> {
        let id = required_id(&response.info, "POST /v1/sandboxes")?;
        let token = response.auth_token.map(|value| AgentToken {
            value,
            expires_at: response.token_expires_at,
        });
        Ok(Sandbox::new(client, id, response.info, token, true))
    }

    /// A handle on a sandbox from a list or a get: it was not created here.
    pub(crate) fn from_info(client: Client, info: SandboxInfo) -> Result<Sandbox> {
        let id = required_id(&info, "GET /v1/sandboxes")?;
        Ok(Sandbox::new(client, id, info, None, false))
    }

    /// A handle on a sandbox known only by id (no request is made).
    pub(crate) fn attach(client: Client, id: String) -> Sandbox {
        let info = SandboxInfo {
            sandbox_id: Some(id.clone()),
            ..Default::default()
        };
        Sandbox::new(client, id, info, None, false)
    }

    /// Creates a sandbox (one `POST /v1/sandboxes`; never sent twice).
    pub async fn create(client: &Client, options: &CreateSandboxOptions) -> Result<Sandbox> {
        client.create_sandbox(options).await
    }

    /// This sandbox with other retry and timeout settings for the calls made through the
    /// returned handle. It shares everything else (info, token) with this one, so
    /// `sandbox.with_call_options(&opts)?.kill()` changes the settings of one call.
    pub fn with_call_options(&self, options: &CallOptions) -> Result<Sandbox> {
        Ok(Sandbox {
            client: self.client.with_call_options(options)?,
            id: self.id.clone(),
            shared: Arc::clone(&self.shared),
        })
    }

    /// The sandbox id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the control plane said last time this handle (or a clone) asked; no request.
    pub fn info(&self) -> SandboxInfo {
        self.state().info.clone()
    }

    /// The client this sandbox uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether leaving a `with` / `async with` / `await using` block kills this sandbox: true
    /// for one made by `create`, false for one from `connect`, `list`, `iter` or an id.
    pub fn kills_on_exit(&self) -> bool {
        self.shared.created_here
    }

    /// When the agent token expires, if the server said.
    pub fn token_expires_at(&self) -> Option<DateTime<Utc>> {
        self.state().token.as_ref().and_then(|t| t.expires_at)
    }

    /// Fetches the current state (`GET /v1/sandboxes/{id}`) and remembers it.
    pub async fn get_info(&self) -> Result<SandboxInfo> {
        let info = self.client.get_sandbox_info(&self.id).await?;
        self.remember(info.clone());
        Ok(info)
    }

    /// Deletes the sandbox (`DELETE /v1/sandboxes/{id}`). Its processes and files are gone.
    pub async fn kill(&self) -> Result<()> {
        self.client.kill_sandbox(&self.id).await
    }

    /// Pauses a running sandbox (`POST .../pause`); `resume` continues it.
    pub async fn pause(&self) -> Result<()> {
        let info = self.client.pause_sandbox(&self.id).await?;
        self.remember_answer(info);
        Ok(())
    }

    /// Resumes a paused sandbox (`POST .../resume`).
    pub async fn resume(&self) -> Result<()> {
        let info = self.client.resume_sandbox(&self.id).await?;
        self.remember_answer(info);
        Ok(())
    }

    /// Sets the sandbox's lifetime: it is killed `seconds` from now (`PUT .../timeout`).
    pub async fn set_timeout(&self, seconds: i64) -> Result<()> {
        let info = self.client.set_sandbox_timeout(&self.id, seconds).await?;
        self.remember_answer(info);
        Ok(())
    }

    /// Gets a new agent token (`POST .../token/refresh`) and keeps it; it is never returned
    /// or printed.
    pub async fn refresh_token(&self) -> Result<()> {
        let token = self.client.refresh_sandbox_token(&self.id).await?;
        self.state().token = Some(token);
        Ok(())
    }

    /// Seconds until the sandbox is killed (negative once past), from a fresh `get_info`;
    /// `None` when it has no timeout.
    pub async fn time_to_expiry(&self) -> Result<Option<i64>> {
        Ok(self
            .expiry_info(DEFAULT_EXPIRING_SOON)
            .await?
            .time_to_expiry)
    }

    /// Whether at most `threshold` is left before the sandbox is killed (false without a
    /// timeout, and false once expired), from a fresh `get_info`.
    pub async fn is_expiring_soon(&self, threshold: Duration) -> Result<bool> {
        Ok(self.expiry_info(threshold).await?.is_expiring_soon)
    }

    /// The sandbox's expiry, from one fresh `get_info` (the official SDK makes two).
    pub async fn expiry_info(&self, expiring_soon: Duration) -> Result<ExpiryInfo> {
        let info = self.get_info().await?;
        Ok(ExpiryInfo::at(info.expires_at, Utc::now(), expiring_soon))
    }

    /// What leaving a `with` / `async with` / `await using` block does: kills a sandbox this
    /// handle created (one already gone counts as done) and leaves any other alone.
    pub async fn exit_scope(&self) -> Result<()> {
        if !self.kills_on_exit() {
            return Ok(());
        }
        match self.kill().await {
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            other => other,
        }
    }

    /// The agent token, for data plane calls.
    pub(crate) fn agent_token(&self) -> Option<AgentToken> {
        self.state().token.clone()
    }

    /// A token that the agent should accept: the current one unless it is missing, expires
    /// within `margin`, or is `rejected` (the agent just answered 401 to it). Concurrent
    /// callers share one refresh.
    pub(crate) async fn usable_token(
        &self,
        margin: Duration,
        rejected: Option<&str>,
    ) -> Result<AgentToken> {
        let usable = |token: &Option<AgentToken>| {
            token
                .as_ref()
                .filter(|t| Some(t.value.as_str()) != rejected && !t.expires_within(margin))
                .cloned()
        };
        if let Some(token) = usable(&self.state().token) {
            return Ok(token);
        }
        let _refreshing = self.shared.token_refresh.lock().await;
        // Another caller may have refreshed while this one waited for the lock.
        if let Some(token) = usable(&self.state().token) {
            return Ok(token);
        }
        self.refresh_token().await?;
        self.agent_token().ok_or_else(|| {
            Error::new(
                ErrorCode::Decode,
                "The token refresh succeeded but returned no token.",
            )
        })
    }

    /// The agent's base URL (`public_host`), fetching the sandbox's info once if this handle
    /// was made from an id alone.
    pub(crate) async fn agent_base_url(&self) -> Result<String> {
        let known = self.state().info.public_host.clone();
        let host = match known.filter(|h| !h.is_empty()) {
            Some(host) => host,
            None => self.get_info().await?.public_host.unwrap_or_default(),
        };
        if host.is_empty() {
            return Err(Error::new(
                ErrorCode::Decode,
                format!(
                    "The server gave no agent address (public_host) for sandbox '{}'.",
                    self.id
                ),
            )
            .with_hint("The sandbox may still be starting; check get_info().status."));
        }
        // The official API sends a bare host name; hopx-local sends a URL.
        Ok(if host.contains("://") {
            host
        } else {
            format!("https://{host}")
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self, info: SandboxInfo) {
        self.state().info = info;
    }

    /// Keeps the sandbox a lifecycle call answered with, when it answered with one.
    fn remember_answer(&self, info: Option<SandboxInfo>) {
        if let Some(info) = info
            && info.sandbox_id.as_deref() == Some(self.id.as_str())
            && info.status.is_some()
        {
            self.remember(info.with_fallbacks());
        }
    }
}

fn required_id(info: &SandboxInfo, call: &str) -> Result<String> {
    info.sandbox_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Decode,
                format!("The server's answer to {call} has a sandbox without an id."),
            )
        })
}
