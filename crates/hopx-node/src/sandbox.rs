//! The native sandbox handle behind the JavaScript `Sandbox` class, the pager behind
//! `Sandbox.iter()`, and the class-level calls (`create`, `connect`, `list`, `iter`,
//! `listTemplates`, `getTemplate`, `deleteTemplate`, `healthCheck`).

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::errors::to_napi_error;
use crate::models::{ExpiryInfo, SandboxInfo, TemplateInfo};
use crate::options::{
    CallOptions, ConnectionOptions, CreateOptions, HealthCheckOptions, ListSandboxesOptions,
    ListTemplatesOptions,
};
use crate::promise;

/// A sandbox: its id, what the control plane last said about it, and the client (key, base
/// URL, connection pool) to act on it. The agent token stays inside; `Debug` is the core's,
/// which shows only the id, status and template.
#[derive(Debug)]
#[napi]
pub struct NativeSandbox {
    pub(crate) inner: hopx::Sandbox,
}

#[napi]
impl NativeSandbox {
    /// The sandbox id.
    #[napi(getter)]
    pub fn sandbox_id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// This sandbox with other retry and timeout settings for the calls made through the
    /// returned handle (`Sandbox::with_call_options`): it shares the info, the token and
    /// whether leaving a scope kills the sandbox. Throws (synchronously) when an option is
    /// not usable.
    #[napi]
    pub fn with_options(
        &self,
        options: Option<CallOptions>,
    ) -> Result<NativeSandbox, napi::Error<&'static str>> {
        let inner = options
            .unwrap_or_default()
            .into_core()
            .and_then(|options| self.inner.with_call_options(&options))
            .map_err(to_napi_error)?;
        Ok(NativeSandbox { inner })
    }

    /// What the control plane said last time this handle asked (no request).
    #[napi(getter)]
    pub fn info(&self) -> SandboxInfo {
        self.inner.info().into()
    }

    /// Fetches the current state (`GET /v1/sandboxes/{id}`) and remembers it.
    #[napi]
    pub fn get_info<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, SandboxInfo>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox.get_info().await.map(SandboxInfo::from)
        })
    }

    /// Deletes the sandbox (`DELETE /v1/sandboxes/{id}`).
    #[napi]
    pub fn kill<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.kill().await })
    }

    /// Pauses the sandbox (`POST /v1/sandboxes/{id}/pause`).
    #[napi]
    pub fn pause<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.pause().await })
    }

    /// Resumes the sandbox (`POST /v1/sandboxes/{id}/resume`).
    #[napi]
    pub fn resume<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.resume().await })
    }

    /// Sets the sandbox's lifetime to `timeoutSeconds` from now (`PUT .../timeout`).
    #[napi]
    pub fn set_timeout<'env>(
        &self,
        env: &'env Env,
        timeout_seconds: f64,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            let seconds = hopx::config::whole_number_argument("timeoutSeconds", timeout_seconds)?;
            sandbox.set_timeout(seconds).await
        })
    }

    /// Gets a new agent token (`POST .../token/refresh`) and keeps it inside.
    #[napi]
    pub fn refresh_token<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.refresh_token().await })
    }

    /// Seconds until the sandbox is killed, from a fresh `getInfo`; `null` without a timeout.
    #[napi]
    pub fn get_time_to_expiry<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Option<i64>>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.time_to_expiry().await })
    }

    /// Whether at most `thresholdSeconds` (default 300) are left, from a fresh `getInfo`.
    #[napi]
    pub fn is_expiring_soon<'env>(
        &self,
        env: &'env Env,
        threshold_seconds: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            let threshold = threshold(threshold_seconds)?;
            sandbox.is_expiring_soon(threshold).await
        })
    }

    /// The sandbox's expiry, from one fresh `getInfo`.
    #[napi]
    pub fn get_expiry_info<'env>(
        &self,
        env: &'env Env,
        threshold_seconds: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, ExpiryInfo>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            let threshold = threshold(threshold_seconds)?;
            sandbox.expiry_info(threshold).await.map(ExpiryInfo::from)
        })
    }

    /// What leaving an `await using` block does: kills a sandbox made by `create` (one
    /// already gone counts as done) and leaves any other alone.
    #[napi]
    pub fn exit_scope<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.exit_scope().await })
    }
}

/// The "expiring soon" window: the core's default when none is given, else the core's check.
fn threshold(seconds: Option<f64>) -> hopx::Result<std::time::Duration> {
    seconds.map_or(
        Ok(hopx::DEFAULT_EXPIRING_SOON),
        hopx::expiring_soon_threshold,
    )
}

/// Goes through every sandbox matching the filters, one page request at a time. The core's
/// pager is used across awaits (and a second `next()` may be called before the first
/// settles), so it sits behind an async mutex: calls run one after the other, in order.
#[derive(Debug)]
#[napi]
pub struct NativeSandboxPager {
    inner: Arc<tokio::sync::Mutex<hopx::SandboxPager>>,
}

#[napi]
impl NativeSandboxPager {
    /// The next sandbox, fetching a page when needed; `null` at the end. After an error the
    /// pager is finished.
    #[napi]
    pub fn next<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Option<NativeSandbox>>> {
        let pager = Arc::clone(&self.inner);
        promise(env, async move {
            let next = pager.lock().await.next().await?;
            Ok(next.map(|inner| NativeSandbox { inner }))
        })
    }
}

/// Creates a sandbox (`POST /v1/sandboxes`, never sent twice).
#[napi]
pub fn create_sandbox<'env>(
    env: &'env Env,
    options: Option<CreateOptions>,
) -> napi::Result<PromiseRaw<'env, NativeSandbox>> {
    // No options object still means the Node SDK's settings (its User-Agent above all).
    let arguments = options.unwrap_or_default().into_core();
    promise(env, async move {
        let (client, create) = arguments?;
        let inner = hopx::Client::new(client)?.create_sandbox(&create).await?;
        Ok(NativeSandbox { inner })
    })
}

/// Attaches to an existing sandbox: gets its info, resumes it if paused, refreshes its token;
/// a stopped sandbox is a `ConflictError`.
#[napi]
pub fn connect_sandbox<'env>(
    env: &'env Env,
    sandbox_id: String,
    options: Option<ConnectionOptions>,
) -> napi::Result<PromiseRaw<'env, NativeSandbox>> {
    let client = options.unwrap_or_default().into_core();
    promise(env, async move {
        let inner = hopx::Client::new(client?)?
            .connect_sandbox(&sandbox_id)
            .await?;
        Ok(NativeSandbox { inner })
    })
}

/// One page of sandboxes (`GET /v1/sandboxes`), carrying the info from the list.
#[napi]
pub fn list_sandboxes<'env>(
    env: &'env Env,
    options: Option<ListSandboxesOptions>,
) -> napi::Result<PromiseRaw<'env, Vec<NativeSandbox>>> {
    let arguments = options.unwrap_or_default().into_core();
    promise(env, async move {
        let (client, filters) = arguments?;
        let sandboxes = hopx::Client::new(client)?.list_sandboxes(&filters).await?;
        Ok(sandboxes
            .into_iter()
            .map(|inner| NativeSandbox { inner })
            .collect())
    })
}

/// A pager over every sandbox matching the filters. Sends nothing: the first request goes
/// out on the first `next()`. Throws (synchronously) when the options are not usable.
#[napi]
pub fn iter_sandboxes(
    options: Option<ListSandboxesOptions>,
) -> Result<NativeSandboxPager, napi::Error<&'static str>> {
    let pager = options
        .unwrap_or_default()
        .into_core()
        .and_then(|(client, filters)| hopx::Client::new(client)?.iter_sandboxes(filters))
        .map_err(to_napi_error)?;
    Ok(NativeSandboxPager {
        inner: Arc::new(tokio::sync::Mutex::new(pager)),
    })
}

/// Lists the templates sandboxes can be created from (`GET /v1/templates`).
#[napi]
pub fn list_templates<'env>(
    env: &'env Env,
    options: Option<ListTemplatesOptions>,
) -> napi::Result<PromiseRaw<'env, Vec<TemplateInfo>>> {
    let arguments = options.unwrap_or_default().into_core();
    promise(env, async move {
        let (client, filters) = arguments?;
        let templates = hopx::Client::new(client)?.list_templates(&filters).await?;
        Ok(templates.into_iter().map(TemplateInfo::from).collect())
    })
}

/// One template by name or id (`GET /v1/templates/{name}`); an unknown one is a
/// `TemplateNotFoundError` with suggestions.
#[napi]
pub fn get_template<'env>(
    env: &'env Env,
    name: String,
    options: Option<ConnectionOptions>,
) -> napi::Result<PromiseRaw<'env, TemplateInfo>> {
    let client = options.unwrap_or_default().into_core();
    promise(env, async move {
        let template = hopx::Client::new(client?)?.get_template(&name).await?;
        Ok(TemplateInfo::from(template))
    })
}

/// Deletes one of the organization's own templates (`DELETE /v1/templates/{id}`).
#[napi]
pub fn delete_template<'env>(
    env: &'env Env,
    template_id: String,
    options: Option<ConnectionOptions>,
) -> napi::Result<PromiseRaw<'env, ()>> {
    let client = options.unwrap_or_default().into_core();
    promise(env, async move {
        hopx::Client::new(client?)?
            .delete_template(&template_id)
            .await
    })
}

/// Asks the API whether it is up (`GET /health`, no key needed); the server's JSON.
#[napi(ts_return_type = "Promise<Record<string, unknown>>")]
pub fn health_check<'env>(
    env: &'env Env,
    options: Option<HealthCheckOptions>,
) -> napi::Result<PromiseRaw<'env, serde_json::Map<String, serde_json::Value>>> {
    let client = options.unwrap_or_default().into_core();
    promise(env, async move { hopx::health_check(&client?).await })
}
