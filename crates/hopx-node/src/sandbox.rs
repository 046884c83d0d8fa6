//! The native sandbox handle behind the JavaScript `Sandbox` class, and the two class-level
//! calls (`create`, `listTemplates`).

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::models::{SandboxInfo, TemplateInfo};
use crate::options::{CreateOptions, ListTemplatesOptions};
use crate::promise;

/// A sandbox: its id, what the control plane said when it was created, and the client (key,
/// base URL, connection pool) to act on it. The agent token stays inside; `Debug` is the
/// core's, which shows only the id, status and template.
#[derive(Debug)]
#[napi]
pub struct NativeSandbox {
    inner: hopx::Sandbox,
}

#[napi]
impl NativeSandbox {
    /// The sandbox id.
    #[napi(getter)]
    pub fn sandbox_id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// What the control plane said when this handle was made (no request).
    #[napi(getter)]
    pub fn info(&self) -> SandboxInfo {
        self.inner.info().clone().into()
    }

    /// Fetches the current state (`GET /v1/sandboxes/{id}`).
    #[napi]
    pub fn get_info<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, SandboxInfo>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox.get_info().await.map(SandboxInfo::from)
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
