//! `Sandbox` (blocking, releases the GIL while it waits) and `AsyncSandbox` (coroutines).
//! Both run the core on the shared runtime, `hopx::runtime::shared()`.

use std::collections::BTreeMap;
use std::future::Future;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::to_py_err;
use crate::models::{SandboxInfo, SandboxTemplate};
use crate::options::{
    ApiKeyText, ConnectionArgs, CreateArgs, SecretText, TemplateId, list_templates_options,
};

/// How often a blocking call looks for Ctrl-C (and other signals) while it waits.
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs a core future to completion on the shared runtime with the GIL released, so other
/// Python threads run while this one waits on the network. Ctrl-C still works: every 100 ms
/// the wait takes the GIL briefly to run Python's signal handlers, and a `KeyboardInterrupt`
/// (or any exception a handler raises) drops the future, which cancels the request.
fn wait<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = hopx::Result<T>> + Send,
) -> PyResult<T> {
    let outcome: PyResult<hopx::Result<T>> = py.detach(|| {
        hopx::runtime::shared().block_on(async {
            let mut future = std::pin::pin!(future);
            loop {
                tokio::select! {
                    result = &mut future => return Ok(result),
                    () = tokio::time::sleep(SIGNAL_CHECK) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    });
    outcome?.map_err(|e| to_py_err(py, e))
}

/// Aborts the task when dropped: a cancelled coroutine (`asyncio.wait_for`, task.cancel())
/// cancels its request instead of leaving it running unobserved.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a core future on the shared runtime (it needs tokio's reactor) and awaits it from the
/// Python coroutine. Python objects are made only after the await, back on the caller's side.
async fn spawn<T: Send + 'static>(
    future: impl Future<Output = hopx::Result<T>> + Send + 'static,
) -> PyResult<T> {
    let mut task = AbortOnDrop(hopx::runtime::shared().spawn(future));
    match (&mut task.0).await {
        Ok(result) => result.map_err(|e| Python::attach(|py| to_py_err(py, e))),
        Err(join) => Err(PyRuntimeError::new_err(format!(
            "the hopx task did not finish: {join}"
        ))),
    }
}

async fn create(connection: ConnectionArgs, args: CreateArgs) -> hopx::Result<hopx::Sandbox> {
    let client = connection.client()?;
    client.create_sandbox(&args.into()).await
}

async fn list_templates(
    connection: ConnectionArgs,
    options: hopx::ListTemplatesOptions,
) -> hopx::Result<Vec<hopx::Template>> {
    let client = connection.client()?;
    client.list_templates(&options).await
}

fn templates(list: Vec<hopx::Template>) -> Vec<SandboxTemplate> {
    list.into_iter().map(SandboxTemplate::from).collect()
}

fn describe(class: &str, sandbox: &hopx::Sandbox) -> String {
    let info = sandbox.info();
    format!(
        "<{class} id={} status={} template={}>",
        sandbox.id(),
        info.status.as_deref().unwrap_or("None"),
        info.template_name
            .as_deref()
            .or(info.template_id.as_deref())
            .unwrap_or("None"),
    )
}

/// A HopX sandbox: an isolated cloud VM. Make one with `Sandbox.create(...)`.
///
/// Every method blocks until the server answers, without holding the GIL.
/// The API key comes from `api_key=`, else `HOPX_API_KEY`, else the nearest `.env` file,
/// else `~/.hopx/config.toml`; the base URL from `base_url=`, else `HOPX_BASE_URL`, else the
/// config file, else https://api.hopx.dev.
// `hopx::Sandbox`'s Debug shows the id, status and template only (never the token).
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct Sandbox {
    inner: hopx::Sandbox,
}

#[pymethods]
impl Sandbox {
    /// Creates a sandbox from a template (one `POST /v1/sandboxes`, never sent twice).
    ///
    /// `template` is a template name such as "code-interpreter"; `template_id` (int or str)
    /// wins when both are given. `timeout_seconds` is the sandbox's lifetime, not a request
    /// timeout; `request_timeout` (seconds) is the HTTP timeout. `auth_header` is "bearer"
    /// (default) or "x-api-key". `validate_api_key=False` skips the key format check.
    #[staticmethod]
    #[pyo3(signature = (
        template=None, *, template_id=None, region=None, timeout_seconds=None,
        internet_access=None, env_vars=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        py: Python<'_>,
        template: Option<String>,
        template_id: Option<TemplateId>,
        region: Option<String>,
        timeout_seconds: Option<i64>,
        internet_access: Option<bool>,
        env_vars: Option<BTreeMap<String, SecretText>>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
    ) -> PyResult<Sandbox> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
        };
        let args = CreateArgs {
            template,
            template_id,
            region,
            timeout_seconds,
            internet_access,
            env_vars,
        };
        let inner = wait(py, create(connection, args))?;
        Ok(Sandbox { inner })
    }

    /// Lists the templates sandboxes can be created from, optionally filtered by category
    /// and language. Connection keywords as for `create`.
    #[staticmethod]
    #[pyo3(signature = (
        *, category=None, language=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_templates(
        py: Python<'_>,
        category: Option<String>,
        language: Option<String>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
    ) -> PyResult<Vec<SandboxTemplate>> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
        };
        let list = wait(
            py,
            list_templates(connection, list_templates_options(category, language)),
        )?;
        Ok(templates(list))
    }

    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        self.inner.id()
    }

    /// Fetches the sandbox's current state (`GET /v1/sandboxes/{id}`).
    fn get_info(&self, py: Python<'_>) -> PyResult<SandboxInfo> {
        let sandbox = self.inner.clone();
        let info = wait(py, async move { sandbox.get_info().await })?;
        Ok(info.into())
    }

    /// Shows what was known at creation; never does network I/O, never shows a token.
    fn __repr__(&self) -> String {
        describe("Sandbox", &self.inner)
    }
}

/// The asyncio version of `Sandbox`: the same methods, as coroutines.
///
/// `sbx = await AsyncSandbox.create("code-interpreter")`, `await sbx.get_info()`.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncSandbox {
    inner: hopx::Sandbox,
}

#[pymethods]
impl AsyncSandbox {
    /// Creates a sandbox from a template (coroutine). Arguments as for `Sandbox.create`.
    #[staticmethod]
    #[pyo3(signature = (
        template=None, *, template_id=None, region=None, timeout_seconds=None,
        internet_access=None, env_vars=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn create(
        template: Option<String>,
        template_id: Option<TemplateId>,
        region: Option<String>,
        timeout_seconds: Option<i64>,
        internet_access: Option<bool>,
        env_vars: Option<BTreeMap<String, SecretText>>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
    ) -> PyResult<AsyncSandbox> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
        };
        let args = CreateArgs {
            template,
            template_id,
            region,
            timeout_seconds,
            internet_access,
            env_vars,
        };
        let inner = spawn(create(connection, args)).await?;
        Ok(AsyncSandbox { inner })
    }

    /// Lists the templates (coroutine). Arguments as for `Sandbox.list_templates`.
    #[staticmethod]
    #[pyo3(signature = (
        *, category=None, language=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn list_templates(
        category: Option<String>,
        language: Option<String>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
    ) -> PyResult<Vec<SandboxTemplate>> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
        };
        let list = spawn(list_templates(
            connection,
            list_templates_options(category, language),
        ))
        .await?;
        Ok(templates(list))
    }

    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        self.inner.id()
    }

    /// Fetches the sandbox's current state (coroutine; `GET /v1/sandboxes/{id}`).
    async fn get_info(&self) -> PyResult<SandboxInfo> {
        let sandbox = self.inner.clone();
        let info = spawn(async move { sandbox.get_info().await }).await?;
        Ok(info.into())
    }

    /// Shows what was known at creation; never does network I/O, never shows a token.
    fn __repr__(&self) -> String {
        describe("AsyncSandbox", &self.inner)
    }
}
