//! `sandbox.files`, `sandbox.commands` and `sandbox.env` of the blocking `Sandbox`: every
//! method blocks until the agent answers, with the GIL released (Ctrl-C still interrupts).
//!
//! Each object holds a handle on the sandbox (handles share the token and the agent address),
//! so it works on any sandbox: created, connected, listed, iterated or `Sandbox(id)`. The
//! files and env methods take the official SDK's per-call `timeout=` (the request timeout of
//! that one call, in seconds); `commands.run`'s `timeout` is the command's execution timeout.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::data_models::{CommandResult, FileInfo};
use crate::data_options::{CommandArgs, FileBytes, FileContent, secret_map};
use crate::errors::to_py_err;
use crate::options::{SecretText, with_request_timeout};
use crate::run::wait;

/// The handle for one call: `sandbox` itself, or with the official per-call `timeout=` (the
/// request timeout of this call, in seconds) when one is given.
fn for_call<'a>(
    py: Python<'_>,
    sandbox: &'a hopx::Sandbox,
    timeout: Option<f64>,
) -> PyResult<Cow<'a, hopx::Sandbox>> {
    if timeout.is_some() {
        // Building the handle's client can log (a plain-http warning).
        crate::logging::sync_level(py);
    }
    with_request_timeout(sandbox, timeout).map_err(|e| to_py_err(py, e))
}

/// The sandbox's files (`sandbox.files`). Text and bytes are kept apart, so no content is ever
/// guessed to be base64: `read`/`write` for text, `read_bytes`/`write_bytes` for exact bytes.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct Files {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl Files {
    /// A text file's contents. A missing file raises `FileNotFoundError`; for binary files
    /// use `read_bytes`. `timeout` (seconds) is the request timeout of this call only, as
    /// for every method here.
    #[pyo3(signature = (path, *, timeout=None))]
    fn read(&self, py: Python<'_>, path: &str, timeout: Option<f64>) -> PyResult<String> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().read(path))
    }

    /// A file's exact bytes (no decoding of any kind).
    #[pyo3(signature = (path, *, timeout=None))]
    fn read_bytes<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        let bytes = wait(py, sandbox.files().read_bytes(path))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes a file, creating its parent directories. `content` is text (str), or bytes,
    /// which are written exactly as `write_bytes` does. `mode` defaults to "0644".
    #[pyo3(signature = (path, content, mode=None, *, timeout=None))]
    fn write(
        &self,
        py: Python<'_>,
        path: &str,
        content: FileContent,
        mode: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, content.write_to(&sandbox, path, mode.as_deref()))
    }

    /// Writes exact bytes (`bytes`, `bytearray` or `memoryview`), creating parent
    /// directories. `mode` defaults to "0644".
    #[pyo3(signature = (path, content, mode=None, *, timeout=None))]
    fn write_bytes(
        &self,
        py: Python<'_>,
        path: &str,
        content: FileBytes,
        mode: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(
            py,
            sandbox
                .files()
                .write_bytes(path, &content.0, mode.as_deref()),
        )
    }

    /// The entries of a directory (default "/workspace").
    #[pyo3(signature = (path=None, *, timeout=None))]
    fn list(
        &self,
        py: Python<'_>,
        path: Option<&str>,
        timeout: Option<f64>,
    ) -> PyResult<Vec<FileInfo>> {
        let path = path.unwrap_or(hopx::DEFAULT_WORKING_DIR);
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        let entries = wait(py, sandbox.files().list(path))?;
        Ok(entries.into_iter().map(FileInfo::from).collect())
    }

    /// Whether a file or directory exists. A failure to ask (bad token, agent unreachable)
    /// raises; it is never answered with False.
    #[pyo3(signature = (path, *, timeout=None))]
    fn exists(&self, py: Python<'_>, path: &str, timeout: Option<f64>) -> PyResult<bool> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().exists(path))
    }

    /// Removes a file, or a directory with everything in it.
    #[pyo3(signature = (path, *, timeout=None))]
    fn remove(&self, py: Python<'_>, path: &str, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().remove(path))
    }

    /// Creates a directory and its parents.
    #[pyo3(signature = (path, *, timeout=None))]
    fn mkdir(&self, py: Python<'_>, path: &str, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().mkdir(path))
    }

    /// Uploads the local file `local_path` (str or path-like) to `remote_path` in the sandbox.
    #[pyo3(signature = (local_path, remote_path, *, timeout=None))]
    fn upload(
        &self,
        py: Python<'_>,
        local_path: PathBuf,
        remote_path: &str,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().upload(&local_path, remote_path))
    }

    /// Downloads `remote_path` into the local file `local_path` (str or path-like), exactly;
    /// the local file is replaced only once every byte arrived.
    #[pyo3(signature = (remote_path, local_path, *, timeout=None))]
    fn download(
        &self,
        py: Python<'_>,
        remote_path: &str,
        local_path: PathBuf,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.files().download_to(remote_path, &local_path))
    }

    fn __repr__(&self) -> String {
        format!("<Files of sandbox {}>", self.sandbox.id())
    }
}

/// Shell commands in the sandbox (`sandbox.commands`), run as `bash -c` so pipes, globs and
/// `&&` work.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct Commands {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl Commands {
    /// Runs a shell command and waits for it (never sent twice), returning its output and
    /// exit code; a non-zero exit is `success=False`, not an error.
    ///
    /// `timeout` (or its alias `timeout_seconds`; seconds, default 120) kills the command.
    /// `env` adds environment variables for this command; `working_dir` defaults to
    /// "/workspace". With `background=True` it returns at once, with `process_id` set.
    #[pyo3(signature = (
        command, *, timeout=None, timeout_seconds=None, background=false, env=None,
        working_dir=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        command: &str,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        background: bool,
        env: Option<BTreeMap<String, SecretText>>,
        working_dir: Option<String>,
    ) -> PyResult<CommandResult> {
        let args = CommandArgs {
            timeout,
            timeout_seconds,
            background,
            env,
            working_dir,
        };
        Ok(wait(py, args.run(&self.sandbox, command))?.into())
    }

    fn __repr__(&self) -> String {
        format!("<Commands of sandbox {}>", self.sandbox.id())
    }
}

/// The sandbox's environment variables (`sandbox.env`). Values are never printed. Each
/// change is one request with the agent's own verb (no read-modify-write).
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct EnvironmentVariables {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl EnvironmentVariables {
    /// Every variable, as a dict. `timeout` (seconds) is the request timeout of this call
    /// only, as for `set`, `update`, `set_all` and `delete`.
    #[pyo3(signature = (*, timeout=None))]
    fn get_all(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<BTreeMap<String, String>> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.env().get_all())
    }

    /// One variable's value, or `default` when it is not set.
    #[pyo3(signature = (key, default=None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let value = wait(py, self.sandbox.env().get(key))?;
        Ok(match value {
            Some(value) => value.into_pyobject(py)?.into_any().unbind(),
            None => default.unwrap_or_else(|| py.None()),
        })
    }

    /// Sets one variable, keeping the others.
    #[pyo3(signature = (key, value, *, timeout=None))]
    fn set(
        &self,
        py: Python<'_>,
        key: &str,
        value: SecretText,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.env().set(key, &value.0))
    }

    /// Sets these variables, keeping the others (merge).
    #[pyo3(signature = (env_vars, *, timeout=None))]
    fn update(
        &self,
        py: Python<'_>,
        env_vars: BTreeMap<String, SecretText>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let vars = secret_map(env_vars);
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.env().update(&vars))
    }

    /// Replaces every variable with these.
    #[pyo3(signature = (env_vars, *, timeout=None))]
    fn set_all(
        &self,
        py: Python<'_>,
        env_vars: BTreeMap<String, SecretText>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let vars = secret_map(env_vars);
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.env().set_all(&vars))
    }

    /// Deletes one variable, leaving the others untouched.
    #[pyo3(signature = (key, *, timeout=None))]
    fn delete(&self, py: Python<'_>, key: &str, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = for_call(py, &self.sandbox, timeout)?;
        wait(py, sandbox.env().delete(key))
    }

    /// Deletes every variable.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, self.sandbox.env().clear())
    }

    fn __repr__(&self) -> String {
        format!("<EnvironmentVariables of sandbox {}>", self.sandbox.id())
    }
}
