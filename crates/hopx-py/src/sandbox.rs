//! `Sandbox`: every method blocks until the core is done, with the GIL released, and
//! `SandboxIterator`, what `Sandbox.iter()` returns.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

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
use crate::resources::{Commands, EnvironmentVariables, Files};
use crate::run::{after_scope, wait, wait_spawned};

pub(crate) fn templates(list: Vec<hopx::Template>) -> Vec<SandboxTemplate> {
    list.into_iter().map(SandboxTemplate::from).collect()
}

/// `<Class id=... status=... template=...>` from the cached info: no I/O, no token.
pub(crate) fn describe(class: &str, sandbox: &hopx::Sandbox) -> String {
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

/// A HopX sandbox: an isolated cloud VM.
///
/// Get one with `Sandbox.create(...)` (a new sandbox), `Sandbox.connect(id)` (an existing one,
/// resumed if paused), `Sandbox.list()` / `Sandbox.iter()`, or `Sandbox(id)` (a handle by id,
/// no request). Every method blocks until the server answers, without holding the GIL.
///
/// As a context manager, `with Sandbox.create(...) as sbx:` kills the sandbox when the block
/// ends; a sandbox from `connect`, `list`, `iter` or `Sandbox(id)` is left running. If the
/// kill fails while the block is raising, the failure is logged (warning, logger "hopx_ai")
/// and the block's exception propagates; if the block did not raise, the failure is raised.
///
/// The API key comes from `api_key=`, else `HOPX_API_KEY`, else the nearest `.env` file,
/// else `~/.hopx/config.toml`; the base URL from `base_url=`, else `HOPX_BASE_URL`, else the
/// config file, else https://api.hopx.dev. `auth_header` is "bearer" (default) or
/// "x-api-key"; `validate_api_key=False` skips the key format check; `request_timeout`
/// (the constructor also takes the official name `timeout`) is the time each attempt may
/// take, in seconds (default 60); `max_retries` (0 to 10, default 3) how many times a failed
/// request is sent again (a POST that may have been carried out never is); `deadline` the
/// seconds a whole call may take, retries and waits included (default 300); `proxy` a proxy
/// URL (else `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` with `NO_PROXY`); `ca_bundle` a PEM file
/// of extra CA certificates (else `HOPX_CA_BUNDLE`, then `SSL_CERT_FILE`); `http2=False`
/// keeps to HTTP/1.1. `with_options()` changes the retry and timeout settings of a handle.
///
/// Requests (DEBUG), retries (INFO) and risky settings (WARNING) are logged to the `logging`
/// logger "hopx_ai", with their fields in `record.hopx`.
// `hopx::Sandbox`'s Debug shows the id, status and template only (never the token).
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct Sandbox {
    pub(crate) inner: hopx::Sandbox,
}

#[pymethods]
impl Sandbox {
    /// A handle on an existing sandbox by id. Makes no request: raises at once on an invalid
    /// id or a missing/invalid API key, and the info stays empty until `get_info()`.
    /// Leaving a `with` block does not kill it.
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
    ) -> PyResult<Sandbox> {
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
        Ok(Sandbox { inner })
    }

    /// Creates a sandbox from a template (one `POST /v1/sandboxes`, never sent twice).
    ///
    /// `template` is a template name such as "code-interpreter"; `template_id` (int or str)
    /// wins when both are given. An unknown template raises `TemplateNotFoundError` with
    /// `.suggested_template`. `timeout_seconds` is the sandbox's lifetime, not a request
    /// timeout. `with Sandbox.create(...) as sbx:` kills the sandbox when the block ends.
    #[staticmethod]
    #[pyo3(signature = (
        template=None, *, template_id=None, region=None, timeout_seconds=None,
        internet_access=None, env_vars=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
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
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<Sandbox> {
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
        let inner = wait_spawned(py, calls::create(connection, args))?;
        Ok(Sandbox { inner })
    }

    /// Attaches to an existing sandbox: fetches its info, resumes it if it is paused and gets
    /// a fresh agent token. A stopped sandbox raises `ConflictError` (its hint says how to
    /// start it). Leaving a `with` block does not kill a connected sandbox.
    #[staticmethod]
    #[pyo3(signature = (
        sandbox_id, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn connect(
        py: Python<'_>,
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
    ) -> PyResult<Sandbox> {
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
        let inner = wait_spawned(py, calls::connect(connection, sandbox_id))?;
        Ok(Sandbox { inner })
    }

    /// One page of the organization's sandboxes (`GET /v1/sandboxes`), newest last, as
    /// `Sandbox` objects that already carry their info (no request per sandbox).
    ///
    /// `status` is "running", "stopped", "paused" or "creating"; `limit` is 1 to 100
    /// (default 100). `Sandbox.iter()` goes through every page. Leaving a `with` block does
    /// not kill a listed sandbox.
    #[staticmethod]
    #[pyo3(signature = (
        *, status=None, region=None, limit=None, api_key=None, base_url=None,
        auth_header=None, validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        py: Python<'_>,
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
    ) -> PyResult<Vec<Sandbox>> {
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
        let list = wait_spawned(py, calls::list(connection, options))?;
        Ok(list.into_iter().map(|inner| Sandbox { inner }).collect())
    }

    /// Every sandbox of the organization, lazily: a page (up to 100) is fetched only when
    /// the iterator needs it. The filters are checked at once; a server that says more
    /// pages follow without a usable cursor raises `ResponseDecodeError` instead of looping.
    /// Leaving a `with` block does not kill an iterated sandbox.
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
    ) -> PyResult<SandboxIterator> {
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
        Ok(SandboxIterator {
            pager: tokio::sync::Mutex::new(pager),
        })
    }

    /// Lists the templates sandboxes can be created from, optionally filtered by category
    /// and language.
    #[staticmethod]
    #[pyo3(signature = (
        *, category=None, language=None, api_key=None, base_url=None, auth_header=None,
        validate_api_key=None, request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
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
        let list = wait_spawned(py, calls::list_templates(connection, options))?;
        Ok(templates(list))
    }

    /// One template by name or id (`GET /v1/templates/{name}`). An unknown one raises
    /// `TemplateNotFoundError` with `.suggested_template` (the closest name, or None).
    #[staticmethod]
    #[pyo3(signature = (
        name, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn get_template(
        py: Python<'_>,
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
        let template = wait_spawned(py, calls::get_template(connection, name))?;
        Ok(template.into())
    }

    /// Deletes one of the organization's own templates (`DELETE /v1/templates/{id}`).
    /// A built-in public template raises `PermissionDeniedError`; an unknown one
    /// `NotFoundError`. Returns None (the official SDK returns the server's dict).
    #[staticmethod]
    #[pyo3(signature = (
        template_id, *, api_key=None, base_url=None, auth_header=None, validate_api_key=None,
        request_timeout=None, max_retries=None, deadline=None,
        proxy=None, ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn delete_template(
        py: Python<'_>,
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
        wait_spawned(py, calls::delete_template(connection, template_id))
    }

    /// Asks the API whether it is up (`GET /health`) and returns its JSON answer as a dict.
    /// Needs no API key; `request_timeout` defaults to 10 seconds.
    #[staticmethod]
    #[pyo3(signature = (
        *, base_url=None, request_timeout=None, max_retries=None, deadline=None, proxy=None,
        ca_bundle=None, http2=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn health_check<'py>(
        py: Python<'py>,
        base_url: Option<String>,
        request_timeout: Option<f64>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        proxy: Option<ProxyText>,
        ca_bundle: Option<PathBuf>,
        http2: Option<bool>,
    ) -> PyResult<Bound<'py, PyDict>> {
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
        let health = wait_spawned(py, calls::health_check(connection))?;
        object_to_py(py, &health)
    }

    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        self.inner.id()
    }

    /// This sandbox with other retry and timeout settings for every call made through the
    /// returned `Sandbox` (its `files`, `commands` and `env` included): `request_timeout` (or
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
    ) -> PyResult<Sandbox> {
        let request_timeout = request_timeout_alias(request_timeout, timeout)?;
        crate::logging::sync_level(py);
        let inner = call_options(request_timeout, max_retries, deadline)
            .and_then(|options| self.inner.with_call_options(&options))
            .map_err(|e| to_py_err(py, e))?;
        Ok(Sandbox { inner })
    }

    /// Fetches the sandbox's current state (`GET /v1/sandboxes/{id}`); `repr()` shows it
    /// from then on.
    fn get_info(&self, py: Python<'_>) -> PyResult<SandboxInfo> {
        Ok(wait(py, self.inner.get_info())?.into())
    }

    /// Deletes the sandbox (`DELETE /v1/sandboxes/{id}`): its processes and files are gone.
    fn kill(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, self.inner.kill())
    }

    /// Pauses a running sandbox (`POST /v1/sandboxes/{id}/pause`); `resume()` continues it.
    /// Pausing a sandbox that is not running raises `ConflictError`.
    fn pause(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, self.inner.pause())
    }

    /// Resumes a paused sandbox (`POST /v1/sandboxes/{id}/resume`). Resuming a sandbox that
    /// is not paused raises `ConflictError`.
    fn resume(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, self.inner.resume())
    }

    /// Sets the sandbox's lifetime: it is killed `seconds` from now
    /// (`PUT /v1/sandboxes/{id}/timeout`). `seconds` must be positive
    /// (`InvalidArgumentError` otherwise, nothing sent).
    fn set_timeout(&self, py: Python<'_>, seconds: i64) -> PyResult<()> {
        wait(py, self.inner.set_timeout(seconds))
    }

    /// Gets a new agent token (`POST /v1/sandboxes/{id}/token/refresh`) and keeps it for
    /// the sandbox's own calls; the token is never returned or shown.
    fn refresh_token(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, self.inner.refresh_token())
    }

    /// Seconds until the sandbox is killed (negative once past), from a fresh `get_info()`;
    /// None when it has no timeout.
    fn get_time_to_expiry(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        wait(py, self.inner.time_to_expiry())
    }

    /// Whether at most `threshold_seconds` (default 300) are left before the sandbox is
    /// killed, from a fresh `get_info()`. False without a timeout and once expired. A
    /// negative threshold raises `InvalidArgumentError`.
    #[pyo3(signature = (threshold_seconds=None))]
    fn is_expiring_soon(&self, py: Python<'_>, threshold_seconds: Option<f64>) -> PyResult<bool> {
        let threshold = expiring_soon(threshold_seconds).map_err(|e| to_py_err(py, e))?;
        wait(py, self.inner.is_expiring_soon(threshold))
    }

    /// The sandbox's expiry from one fresh `get_info()`; `expiring_soon_threshold` (seconds,
    /// default 300) decides `is_expiring_soon`.
    #[pyo3(signature = (expiring_soon_threshold=None))]
    fn get_expiry_info(
        &self,
        py: Python<'_>,
        expiring_soon_threshold: Option<f64>,
    ) -> PyResult<ExpiryInfo> {
        let threshold = expiring_soon(expiring_soon_threshold).map_err(|e| to_py_err(py, e))?;
        Ok(wait(py, self.inner.expiry_info(threshold))?.into())
    }

    /// Runs code and waits for it (never sent twice), returning its output. An exception in
    /// the code is `success=False` with the traceback in `stderr`, not an error; running past
    /// the timeout raises `CodeExecutionError` with code "execution_timeout". Ctrl-C
    /// interrupts the wait.
    ///
    /// `language`: "python" (default), "javascript" (or "node"), "bash"... `timeout` (or its
    /// alias `timeout_seconds`; seconds, default 120) kills the code. `env` adds environment
    /// variables for this run; `working_dir` defaults to "/workspace". `preflight` is
    /// accepted for compatibility and changes nothing: the agent's token and address are
    /// taken care of on every call, and an unusable sandbox raises from the call itself.
    #[pyo3(signature = (
        code, *, language=None, timeout=None, timeout_seconds=None, env=None, working_dir=None,
        preflight=false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run_code(
        &self,
        py: Python<'_>,
        code: &str,
        language: Option<String>,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        env: Option<BTreeMap<String, SecretText>>,
        working_dir: Option<String>,
        preflight: bool,
    ) -> PyResult<ExecutionResult> {
        let _ = preflight;
        let args = RunCodeArgs {
            language,
            timeout,
            timeout_seconds,
            env,
            working_dir,
        };
        let options = args.into_options().map_err(|e| to_py_err(py, e))?;
        Ok(wait(py, self.inner.run_code(code, &options))?.into())
    }

    /// Starts code in the background and returns at once (never sent twice). The result's
    /// `process_id` finds it in `list_processes()` and kills it with `kill_process()`.
    ///
    /// `language` as for `run_code`; `timeout` (or `timeout_seconds`; seconds, default 300)
    /// kills it; `env` adds environment variables; `name` labels it in `list_processes()`.
    #[pyo3(signature = (
        code, *, language=None, timeout=None, timeout_seconds=None, env=None, name=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run_code_background(
        &self,
        py: Python<'_>,
        code: &str,
        language: Option<String>,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        env: Option<BTreeMap<String, SecretText>>,
        name: Option<String>,
    ) -> PyResult<BackgroundExecution> {
        let args = BackgroundArgs {
            language,
            timeout,
            timeout_seconds,
            env,
            name,
        };
        let options = args.into_options().map_err(|e| to_py_err(py, e))?;
        Ok(wait(py, self.inner.run_code_background(code, &options))?.into())
    }

    /// The background executions (`run_code_background`), running or ended.
    fn list_processes(&self, py: Python<'_>) -> PyResult<Vec<ProcessInfo>> {
        let list = wait(py, self.inner.list_processes())?;
        Ok(list.into_iter().map(ProcessInfo::from).collect())
    }

    /// Kills a background execution by its `process_id`. Returns None.
    fn kill_process(&self, py: Python<'_>, process_id: &str) -> PyResult<()> {
        wait(py, self.inner.kill_process(process_id))
    }

    /// The sandbox's files: `read`, `read_bytes`, `write`, `write_bytes`, `list`, `exists`,
    /// `remove`, `mkdir`, `upload`, `download`.
    #[getter]
    fn files(&self) -> Files {
        Files {
            sandbox: self.inner.clone(),
        }
    }

    /// Shell commands in the sandbox: `commands.run(...)`.
    #[getter]
    fn commands(&self) -> Commands {
        Commands {
            sandbox: self.inner.clone(),
        }
    }

    /// The sandbox's environment variables: `get_all`, `get`, `set`, `update`, `set_all`,
    /// `delete`, `clear`.
    #[getter]
    fn env(&self) -> EnvironmentVariables {
        EnvironmentVariables {
            sandbox: self.inner.clone(),
        }
    }

    /// Returns the sandbox itself.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Kills the sandbox if `create()` made it (one already gone counts as done); leaves a
    /// sandbox from `connect`, `list`, `iter` or `Sandbox(id)` alone. A failed kill is logged
    /// (warning, logger "hopx_ai") when the block is raising, else raised. Never suppresses
    /// the block's exception.
    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<Bound<'_, PyAny>>,
        exc_value: Option<Bound<'_, PyAny>>,
        traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let _ = (exc_value, traceback);
        let cleanup = wait(py, self.inner.exit_scope());
        after_scope(py, cleanup, exc_type.is_some(), self.inner.id())
    }

    /// Shows what was last fetched; never does network I/O, never shows a token.
    fn __repr__(&self) -> String {
        describe("Sandbox", &self.inner)
    }
}

/// What `Sandbox.iter()` returns: yields `Sandbox` objects, fetching a page only when the
/// previous one is used up. After an error it is finished. Safe to share between threads
/// (one page request at a time).
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct SandboxIterator {
    // A pyclass can be reached from several threads; the core pager advances one at a time.
    // tokio's Mutex, because the lock is held across the page request.
    pager: tokio::sync::Mutex<hopx::SandboxPager>,
}

#[pymethods]
impl SandboxIterator {
    /// Returns the iterator itself.
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next sandbox; blocks (without the GIL) while a page is fetched.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Sandbox>> {
        let next = wait(py, async { self.pager.lock().await.next().await })?;
        Ok(next.map(|inner| Sandbox { inner }))
    }

    fn __repr__(&self) -> String {
        "<SandboxIterator>".to_owned()
    }
}
