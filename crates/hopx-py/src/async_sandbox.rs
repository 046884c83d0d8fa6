//! `AsyncSandbox`: the methods of `Sandbox` as coroutines, `AsyncSandboxIterator` (what
//! `AsyncSandbox.iter()` returns) and `_AsyncSandboxContextManager` (what
//! `AsyncSandbox.create()` returns: awaitable and an async context manager).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration};
use pyo3::prelude::*;

use crate::async_resources::{AsyncCommands, AsyncEnvironmentVariables, AsyncFiles};
use crate::calls;
use crate::data_models::{BackgroundExecution, ExecutionResult, ProcessInfo};
use crate::data_options::{BackgroundArgs, RunCodeArgs};
use crate::errors::to_py_err;
use crate::json::object_to_py;
use crate::models::{ExpiryInfo, SandboxInfo, SandboxTemplate};
use crate::options::{
    ApiKeyText, ConnectionArgs, CreateArgs, ProxyText, SecretText, TemplateId, call_options,
    expiring_soon, list_sandboxes_options, list_templates_options, request_timeout_alias,
};
use crate::run::{after_scope, spawn};
use crate::sandbox::{describe, templates};

/// The asyncio version of `Sandbox`: the same methods, as coroutines.
///
/// `sbx = await AsyncSandbox.create("code-interpreter")`, or
/// `async with AsyncSandbox.create("code-interpreter") as sbx:` (also
/// `async with await AsyncSandbox.create(...) as sbx:`), which kills the sandbox when the
/// block ends. A sandbox from `connect`, `list`, `iter` or `AsyncSandbox(id)` is left running
/// by `async with`. If the kill fails while the block is raising, the failure is logged
/// (warning, logger "hopx_ai") and the block's exception propagates; if the block did not
/// raise, the failure is raised. Connection keywords as for `Sandbox`.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncSandbox {
    inner: hopx::Sandbox,
}

impl AsyncSandbox {
    fn wrap(inner: hopx::Sandbox) -> AsyncSandbox {
        AsyncSandbox { inner }
    }

    /// A clone of the core handle, for a task on the runtime (clones share state).
    fn handle(&self) -> hopx::Sandbox {
        self.inner.clone()
    }
}

#[pymethods]
impl AsyncSandbox {
    /// A handle on an existing sandbox by id. Makes no request: raises at once on an invalid
    /// id or a missing/invalid API key. `async with` does not kill it.
    #[new]
    #[pyo3(signature = (
        sandbox_id, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        sandbox_id: &str,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<AsyncSandbox> {
        let request_timeout = request_timeout_alias(request_timeout, timeout)?;
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        crate::logging::sync_level(py);
        let inner = calls::by_id(connection, sandbox_id).map_err(|e| to_py_err(py, e))?;
        Ok(AsyncSandbox::wrap(inner))
    }

    /// Creates a sandbox from a template. Arguments as for `Sandbox.create`.
    ///
    /// Returns an object that is both awaitable (`sbx = await AsyncSandbox.create(...)`) and
    /// an async context manager (`async with AsyncSandbox.create(...) as sbx:`, which kills
    /// the sandbox when the block ends). Nothing is sent until it is awaited or entered, and
    /// it can be used once.
    #[staticmethod]
    #[pyo3(signature = (
        template=None, *, template_id=None, region=None, timeout_seconds=None,
        internet_access=None, env_vars=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create(
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
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> AsyncSandboxContextManager {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let args = CreateArgs {
            template,
            template_id,
            region,
            timeout_seconds,
            internet_access,
            env_vars,
        };
        AsyncSandboxContextManager {
            args: Mutex::new(Some((connection, args))),
            created: Mutex::new(None),
        }
    }

    /// Attaches to an existing sandbox (coroutine): fetches its info, resumes it if it is
    /// paused and gets a fresh agent token. A stopped sandbox raises `ConflictError`.
    /// `async with` does not kill a connected sandbox. (The official AsyncSandbox only
    /// fetched the info; this does what the official sync `connect` does.)
    #[staticmethod]
    #[pyo3(signature = (
        sandbox_id, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn connect(
        sandbox_id: String,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<AsyncSandbox> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let inner = spawn(calls::connect(connection, sandbox_id)).await?;
        Ok(AsyncSandbox::wrap(inner))
    }

    /// One page of the organization's sandboxes (coroutine), as `AsyncSandbox` objects that
    /// carry their info. Arguments as for `Sandbox.list` (`limit` 1 to 100, default 100).
    #[staticmethod]
    #[pyo3(signature = (
        *, status=None, region=None, limit=None, api_key=None, base_url=None,
        auth_header=None, validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        status: Option<String>,
        region: Option<String>,
        limit: Option<i64>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<Vec<AsyncSandbox>> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let options = list_sandboxes_options(status, region, limit);
        let list = spawn(calls::list(connection, options)).await?;
        Ok(list.into_iter().map(AsyncSandbox::wrap).collect())
    }

    /// Every sandbox of the organization as an async iterator (`async for sbx in
    /// AsyncSandbox.iter():`), fetching a page only when needed. Not a coroutine: the
    /// filters are checked at once. Arguments as for `Sandbox.iter`.
    #[staticmethod]
    #[pyo3(signature = (
        *, status=None, region=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn iter(
        py: Python<'_>,
        status: Option<String>,
        region: Option<String>,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<AsyncSandboxIterator> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let options = list_sandboxes_options(status, region, None);
        crate::logging::sync_level(py);
        let pager = calls::pager(connection, options).map_err(|e| to_py_err(py, e))?;
        Ok(AsyncSandboxIterator {
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
        })
    }

    /// Lists the templates (coroutine). Arguments as for `Sandbox.list_templates`.
    #[staticmethod]
    #[pyo3(signature = (
        *, category=None, language=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
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
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<Vec<SandboxTemplate>> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let options = list_templates_options(category, language);
        let list = spawn(calls::list_templates(connection, options)).await?;
        Ok(templates(list))
    }

    /// One template by name or id (coroutine). As `Sandbox.get_template`.
    #[staticmethod]
    #[pyo3(signature = (
        name, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn get_template(
        name: String,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<SandboxTemplate> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        let template = spawn(calls::get_template(connection, name)).await?;
        Ok(template.into())
    }

    /// Deletes one of the organization's own templates (coroutine). As
    /// `Sandbox.delete_template`.
    #[staticmethod]
    #[pyo3(signature = (
        template_id, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn delete_template(
        template_id: String,
        api_key: Option<ApiKeyText>,
        base_url: Option<String>,
        auth_header: Option<String>,
        validate_api_key: Option<bool>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<()> {
        let connection = ConnectionArgs {
            api_key,
            base_url,
            auth_header,
            validate_api_key,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
        };
        spawn(calls::delete_template(connection, template_id)).await
    }

    /// Asks the API whether it is up (coroutine; `GET /health`) and returns its JSON answer
    /// as a dict. Needs no API key; `request_timeout` defaults to 10 seconds.
    #[staticmethod]
    #[pyo3(signature = (
        *, base_url=None, request_timeout=None, max_retries=None, deadline=None, proxy=None,
        ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn health_check(
        base_url: Option<String>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        let connection = ConnectionArgs {
            base_url,
            request_timeout,
            max_retries,
            deadline,
            proxy,
            ca_bundle,
            http2,
            ..Default::default()
        };
        let health = spawn(calls::health_check(connection)).await?;
        Python::attach(|py| Ok(object_to_py(py, &health)?.into_any().unbind()))
    }

    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        self.inner.id()
    }

    /// This sandbox with other retry and timeout settings for every call made through the
    /// returned `AsyncSandbox` (its `files`, `commands` and `env` included): `request_timeout` (or
    /// its official name `timeout`; seconds, per attempt), `max_retries` (0 to 10) and
    /// `deadline` (seconds for the whole call, retries and waits included). `None` keeps this
    /// handle's setting. No request is made. Both handles share the sandbox's state (info,
    /// token), and leaving a `with` block on the new one kills the sandbox only when leaving
    /// it on this one would.
    #[pyo3(signature = (*, request_timeout=None, max_retries=None, deadline=None, timeout=None))]
    fn with_options(
        &self,
        py: Python<'_>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        timeout: Option<f64>,
    ) -> PyResult<AsyncSandbox> {
        let request_timeout = request_timeout_alias(request_timeout, timeout)?;
        crate::logging::sync_level(py);
        let inner = call_options(request_timeout, max_retries, deadline)
            .and_then(|options| self.inner.with_call_options(&options))
            .map_err(|e| to_py_err(py, e))?;
        Ok(AsyncSandbox::wrap(inner))
    }

    /// Fetches the sandbox's current state (coroutine; `GET /v1/sandboxes/{id}`).
    async fn get_info(&self) -> PyResult<SandboxInfo> {
        let sandbox = self.handle();
        let info = spawn(async move { sandbox.get_info().await }).await?;
        Ok(info.into())
    }

    /// Deletes the sandbox (coroutine; `DELETE /v1/sandboxes/{id}`).
    async fn kill(&self) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.kill().await }).await
    }

    /// Pauses a running sandbox (coroutine; `POST /v1/sandboxes/{id}/pause`).
    async fn pause(&self) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.pause().await }).await
    }

    /// Resumes a paused sandbox (coroutine; `POST /v1/sandboxes/{id}/resume`).
    async fn resume(&self) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.resume().await }).await
    }

    /// Sets the sandbox's lifetime to `seconds` from now (coroutine;
    /// `PUT /v1/sandboxes/{id}/timeout`). `seconds` must be positive.
    async fn set_timeout(&self, seconds: i64) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.set_timeout(seconds).await }).await
    }

    /// Gets a new agent token (coroutine) and keeps it; the token is never returned.
    async fn refresh_token(&self) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.refresh_token().await }).await
    }

    /// Seconds until the sandbox is killed (coroutine; negative once past, None without a
    /// timeout), from a fresh `get_info()`.
    async fn get_time_to_expiry(&self) -> PyResult<Option<i64>> {
        let sandbox = self.handle();
        spawn(async move { sandbox.time_to_expiry().await }).await
    }

    /// Whether at most `threshold_seconds` (default 300) are left (coroutine). As
    /// `Sandbox.is_expiring_soon`.
    #[pyo3(signature = (threshold_seconds=None))]
    async fn is_expiring_soon(&self, threshold_seconds: Option<f64>) -> PyResult<bool> {
        let sandbox = self.handle();
        spawn(async move {
            let threshold = expiring_soon(threshold_seconds)?;
            sandbox.is_expiring_soon(threshold).await
        })
        .await
    }

    /// The sandbox's expiry from one fresh `get_info()` (coroutine). As
    /// `Sandbox.get_expiry_info`.
    #[pyo3(signature = (expiring_soon_threshold=None))]
    async fn get_expiry_info(&self, expiring_soon_threshold: Option<f64>) -> PyResult<ExpiryInfo> {
        let sandbox = self.handle();
        let expiry = spawn(async move {
            let threshold = expiring_soon(expiring_soon_threshold)?;
            sandbox.expiry_info(threshold).await
        })
        .await?;
        Ok(expiry.into())
    }

    /// Runs code and waits for it (coroutine; never sent twice). Arguments and result as for
    /// `Sandbox.run_code`: `timeout` and the official async name `timeout_seconds` are the
    /// same setting (default 120 s). Cancelling the task cancels the request.
    #[pyo3(signature = (
        code, *, language=None, timeout=None, timeout_seconds=None, env=None, working_dir=None,
        preflight=false
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn run_code(
        &self,
        code: String,
        language: Option<String>,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        env: Option<BTreeMap<String, SecretText>>,
        working_dir: Option<String>,
        preflight: bool,
    ) -> PyResult<ExecutionResult> {
        let _ = preflight;
        let sandbox = self.handle();
        let args = RunCodeArgs {
            language,
            timeout,
            timeout_seconds,
            env,
            working_dir,
        };
        let result = spawn(async move {
            let options = args.into_options()?;
            sandbox.run_code(&code, &options).await
        })
        .await?;
        Ok(result.into())
    }

    /// Starts code in the background and returns at once (coroutine). As
    /// `Sandbox.run_code_background` (default timeout 300 s).
    #[pyo3(signature = (
        code, *, language=None, timeout=None, timeout_seconds=None, env=None, name=None
    ))]
    #[allow(clippy::too_many_arguments)]
    async fn run_code_background(
        &self,
        code: String,
        language: Option<String>,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        env: Option<BTreeMap<String, SecretText>>,
        name: Option<String>,
    ) -> PyResult<BackgroundExecution> {
        let sandbox = self.handle();
        let args = BackgroundArgs {
            language,
            timeout,
            timeout_seconds,
            env,
            name,
        };
        let started = spawn(async move {
            let options = args.into_options()?;
            sandbox.run_code_background(&code, &options).await
        })
        .await?;
        Ok(started.into())
    }

    /// The background executions, running or ended (coroutine; the same list as
    /// `Sandbox.list_processes`).
    async fn list_processes(&self) -> PyResult<Vec<ProcessInfo>> {
        let sandbox = self.handle();
        let list = spawn(async move { sandbox.list_processes().await }).await?;
        Ok(list.into_iter().map(ProcessInfo::from).collect())
    }

    /// Kills a background execution by its `process_id` (coroutine). Returns None.
    async fn kill_process(&self, process_id: String) -> PyResult<()> {
        let sandbox = self.handle();
        spawn(async move { sandbox.kill_process(&process_id).await }).await
    }

    /// The sandbox's files, with coroutine methods (including `upload` and `download`).
    #[getter]
    fn files(&self) -> AsyncFiles {
        AsyncFiles {
            sandbox: self.handle(),
        }
    }

    /// Shell commands in the sandbox: `await sbx.commands.run(...)` (a `CommandResult`).
    #[getter]
    fn commands(&self) -> AsyncCommands {
        AsyncCommands {
            sandbox: self.handle(),
        }
    }

    /// The sandbox's environment variables, with coroutine methods.
    #[getter]
    fn env(&self) -> AsyncEnvironmentVariables {
        AsyncEnvironmentVariables {
            sandbox: self.handle(),
        }
    }

    /// Returns the sandbox itself (coroutine).
    async fn __aenter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Kills the sandbox if `create()` made it (coroutine; one already gone counts as done);
    /// leaves a sandbox from `connect`, `list`, `iter` or `AsyncSandbox(id)` alone. A failed
    /// kill is logged (warning, logger "hopx_ai") when the block is raising, else raised.
    #[pyo3(signature = (exc_type, exc_value, traceback))]
    async fn __aexit__(
        &self,
        exc_type: Option<Py<PyAny>>,
        exc_value: Option<Py<PyAny>>,
        traceback: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let _ = (exc_value, traceback);
        exit_scope(self.handle(), exc_type.is_some()).await
    }

    /// Shows what was last fetched; never does network I/O, never shows a token.
    fn __repr__(&self) -> String {
        describe("AsyncSandbox", &self.inner)
    }
}

/// `__aexit__` of both async context managers.
async fn exit_scope(sandbox: hopx::Sandbox, block_raised: bool) -> PyResult<()> {
    let id = sandbox.id().to_owned();
    let cleanup = spawn(async move { sandbox.exit_scope().await }).await;
    Python::attach(|py| after_scope(py, cleanup, block_raised, &id))
}

/// What `AsyncSandbox.create(...)` returns: `await` it for the sandbox, or use it in
/// `async with` to have the sandbox killed when the block ends. Single use.
#[pyclass(frozen, name = "_AsyncSandboxContextManager", module = "hopx_ai")]
pub struct AsyncSandboxContextManager {
    /// The arguments, until the create starts (`await` or `async with` takes them).
    args: Mutex<Option<(ConnectionArgs, CreateArgs)>>,
    /// The sandbox made by `__aenter__`, for `__aexit__`.
    created: Mutex<Option<hopx::Sandbox>>,
}

// By hand: the arguments hold the API key and env var values.
impl fmt::Debug for AsyncSandboxContextManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSandboxContextManager")
            .field("started", &locked(&self.args).is_none())
            .field("created", &*locked(&self.created))
            .finish()
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data: a panic elsewhere cannot leave it half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AsyncSandboxContextManager {
    async fn run(&self) -> PyResult<hopx::Sandbox> {
        let taken = locked(&self.args).take();
        let (connection, args) = taken.ok_or_else(|| {
            PyRuntimeError::new_err(
                "this AsyncSandbox.create(...) was already awaited or entered; call \
                 AsyncSandbox.create(...) again for another sandbox",
            )
        })?;
        spawn(calls::create(connection, args)).await
    }
}

#[pymethods]
impl AsyncSandboxContextManager {
    /// `await AsyncSandbox.create(...)`: creates the sandbox and returns the `AsyncSandbox`.
    // pyo3 slots cannot be `async fn`, so the slot drives the coroutine of `_await`.
    fn __await__(slf: &Bound<'_, Self>) -> PyResult<Awaiting> {
        Ok(Awaiting {
            coroutine: slf.call_method0("_await")?.unbind(),
        })
    }

    /// The coroutine behind `__await__` (not for direct use).
    async fn _await(&self) -> PyResult<AsyncSandbox> {
        Ok(AsyncSandbox::wrap(self.run().await?))
    }

    /// Creates the sandbox and returns the `AsyncSandbox`; the block's end kills it.
    async fn __aenter__(&self) -> PyResult<AsyncSandbox> {
        let inner = self.run().await?;
        *locked(&self.created) = Some(inner.clone());
        Ok(AsyncSandbox::wrap(inner))
    }

    /// Kills the sandbox made by `__aenter__` (one already gone counts as done). A failed
    /// kill is logged (warning, logger "hopx_ai") when the block is raising, else raised.
    #[pyo3(signature = (exc_type, exc_value, traceback))]
    async fn __aexit__(
        &self,
        exc_type: Option<Py<PyAny>>,
        exc_value: Option<Py<PyAny>>,
        traceback: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let _ = (exc_value, traceback);
        let created = locked(&self.created).take();
        match created {
            Some(sandbox) => exit_scope(sandbox, exc_type.is_some()).await,
            None => Ok(()),
        }
    }

    fn __repr__(&self) -> String {
        "<AsyncSandbox.create(...): await it, or use it in `async with`>".to_owned()
    }
}

/// What `AsyncSandbox.iter()` returns: `async for` yields `AsyncSandbox` objects, fetching a
/// page only when the previous one is used up. After an error it is finished.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncSandboxIterator {
    // Shared with the task that fetches the next item; tokio's Mutex because it is held
    // across the page request (one advance at a time, even from several tasks).
    pager: Arc<tokio::sync::Mutex<hopx::SandboxPager>>,
}

#[pymethods]
impl AsyncSandboxIterator {
    /// Returns the iterator itself.
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next sandbox (awaitable); raises `StopAsyncIteration` at the end.
    // pyo3 slots cannot be `async fn`: the slot returns the coroutine of `_anext`.
    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.call_method0("_anext")
    }

    /// The coroutine behind `__anext__` (not for direct use).
    async fn _anext(&self) -> PyResult<AsyncSandbox> {
        let pager = Arc::clone(&self.pager);
        let next = spawn(async move { pager.lock().await.next().await }).await?;
        next.map(AsyncSandbox::wrap)
            .ok_or_else(|| PyStopAsyncIteration::new_err(()))
    }

    fn __repr__(&self) -> String {
        "<AsyncSandboxIterator>".to_owned()
    }
}

/// The iterator `__await__` returns: drives a pyo3 coroutine. pyo3's coroutine object works
/// with `await`, but has no `__iter__`, so `yield from obj.__await__()` (what asyncio's
/// `gather`/`ensure_future` do with an awaitable that is not a coroutine, on Python < 3.12)
/// would fail on it; this wrapper is a complete generator-like iterator.
#[pyclass(frozen, name = "_Awaiting", module = "hopx_ai")]
#[derive(Debug)]
pub struct Awaiting {
    coroutine: Py<PyAny>,
}

#[pymethods]
impl Awaiting {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.coroutine.bind(py).call_method1("send", (py.None(),))
    }

    fn send<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.coroutine
            .bind(value.py())
            .call_method1("send", (value,))
    }

    /// `throw(exc)`, or the old `throw(type, value, traceback)` form a `yield from` can use.
    #[pyo3(signature = (exc, value=None, traceback=None))]
    fn throw<'py>(
        &self,
        exc: &Bound<'py, PyAny>,
        value: Option<&Bound<'py, PyAny>>,
        traceback: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = traceback;
        let exc = match value {
            Some(value) if value.is_instance_of::<pyo3::exceptions::PyBaseException>() => value,
            _ => exc,
        };
        self.coroutine.bind(exc.py()).call_method1("throw", (exc,))
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.coroutine.bind(py).call_method0("close")?;
        Ok(())
    }
}
