//! `sandbox.files`, `sandbox.commands` and `sandbox.env` of `AsyncSandbox`: the methods of
//! the blocking resources, as coroutines. Cancelling one cancels its request. The same
//! signatures and results as the blocking ones (the official async SDK's differ), including
//! the per-call `timeout=` (request timeout) of the files and env methods.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::data_models::{CommandResult, FileInfo};
use crate::data_options::{CommandArgs, FileBytes, FileContent, secret_map};
use crate::options::{SecretText, with_request_timeout};
use crate::run::spawn;

/// The sandbox's files (`sandbox.files` of an `AsyncSandbox`); the methods of `Files`, as
/// coroutines.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncFiles {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl AsyncFiles {
    /// A text file's contents (coroutine). A missing file raises `FileNotFoundError`.
    /// `timeout` (seconds) is the request timeout of this call only, as for every method here.
    #[pyo3(signature = (path, *, timeout=None))]
    async fn read(&self, path: String, timeout: Option<f64>) -> PyResult<String> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().read(&path).await
        })
        .await
    }

    /// A file's exact bytes (coroutine; no decoding of any kind).
    #[pyo3(signature = (path, *, timeout=None))]
    async fn read_bytes(&self, path: String, timeout: Option<f64>) -> PyResult<Py<PyBytes>> {
        let sandbox = self.sandbox.clone();
        let bytes = spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().read_bytes(&path).await
        })
        .await?;
        Ok(Python::attach(|py| PyBytes::new(py, &bytes).unbind()))
    }

    /// Writes a file, creating its parent directories (coroutine). `content` is text, or
    /// bytes written exactly. `mode` defaults to "0644".
    #[pyo3(signature = (path, content, mode=None, *, timeout=None))]
    async fn write(
        &self,
        path: String,
        content: FileContent,
        mode: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            content.write_to(&sandbox, &path, mode.as_deref()).await
        })
        .await
    }

    /// Writes exact bytes, creating parent directories (coroutine). `mode` defaults to
    /// "0644".
    #[pyo3(signature = (path, content, mode=None, *, timeout=None))]
    async fn write_bytes(
        &self,
        path: String,
        content: FileBytes,
        mode: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox
                .files()
                .write_bytes(&path, &content.0, mode.as_deref())
                .await
        })
        .await
    }

    /// The entries of a directory (coroutine; default "/workspace").
    #[pyo3(signature = (path=None, *, timeout=None))]
    async fn list(&self, path: Option<String>, timeout: Option<f64>) -> PyResult<Vec<FileInfo>> {
        let sandbox = self.sandbox.clone();
        let path = path.unwrap_or_else(|| hopx::DEFAULT_WORKING_DIR.to_owned());
        let entries = spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().list(&path).await
        })
        .await?;
        Ok(entries.into_iter().map(FileInfo::from).collect())
    }

    /// Whether a file or directory exists (coroutine). A failure to ask raises; it is never
    /// answered with False.
    #[pyo3(signature = (path, *, timeout=None))]
    async fn exists(&self, path: String, timeout: Option<f64>) -> PyResult<bool> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().exists(&path).await
        })
        .await
    }

    /// Removes a file, or a directory with everything in it (coroutine).
    #[pyo3(signature = (path, *, timeout=None))]
    async fn remove(&self, path: String, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().remove(&path).await
        })
        .await
    }

    /// Creates a directory and its parents (coroutine).
    #[pyo3(signature = (path, *, timeout=None))]
    async fn mkdir(&self, path: String, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().mkdir(&path).await
        })
        .await
    }

    /// Uploads the local file `local_path` to `remote_path` (coroutine).
    #[pyo3(signature = (local_path, remote_path, *, timeout=None))]
    async fn upload(
        &self,
        local_path: PathBuf,
        remote_path: String,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().upload(&local_path, &remote_path).await
        })
        .await
    }

    /// Downloads `remote_path` into the local file `local_path`, exactly (coroutine).
    #[pyo3(signature = (remote_path, local_path, *, timeout=None))]
    async fn download(
        &self,
        remote_path: String,
        local_path: PathBuf,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.files().download_to(&remote_path, &local_path).await
        })
        .await
    }

    fn __repr__(&self) -> String {
        format!("<AsyncFiles of sandbox {}>", self.sandbox.id())
    }
}

/// Shell commands in the sandbox (`sandbox.commands` of an `AsyncSandbox`); `run` is a
/// coroutine returning a `CommandResult`, as the blocking one does.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncCommands {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl AsyncCommands {
    /// Runs a shell command (coroutine; never sent twice) and returns its `CommandResult`.
    /// Arguments as for `Commands.run`: `timeout` or `timeout_seconds` (default 120 s),
    /// `background`, `env`, `working_dir` (default "/workspace").
    #[pyo3(signature = (
        command, *, timeout=None, timeout_seconds=None, background=false, env=None,
        working_dir=None
    ))]
    async fn run(
        &self,
        command: String,
        timeout: Option<f64>,
        timeout_seconds: Option<f64>,
        background: bool,
        env: Option<BTreeMap<String, SecretText>>,
        working_dir: Option<String>,
    ) -> PyResult<CommandResult> {
        let sandbox = self.sandbox.clone();
        let args = CommandArgs {
            timeout,
            timeout_seconds,
            background,
            env,
            working_dir,
        };
        let result = spawn(async move { args.run(&sandbox, &command).await }).await?;
        Ok(result.into())
    }

    fn __repr__(&self) -> String {
        format!("<AsyncCommands of sandbox {}>", self.sandbox.id())
    }
}

/// The sandbox's environment variables (`sandbox.env` of an `AsyncSandbox`); the methods of
/// `EnvironmentVariables`, as coroutines. Values are never printed.
#[pyclass(frozen, module = "hopx_ai")]
#[derive(Debug)]
pub struct AsyncEnvironmentVariables {
    pub(crate) sandbox: hopx::Sandbox,
}

#[pymethods]
impl AsyncEnvironmentVariables {
    /// Every variable, as a dict (coroutine). `timeout` (seconds) is the request timeout of
    /// this call only, as for `set`, `update`, `set_all` and `delete`.
    #[pyo3(signature = (*, timeout=None))]
    async fn get_all(&self, timeout: Option<f64>) -> PyResult<BTreeMap<String, String>> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.env().get_all().await
        })
        .await
    }

    /// One variable's value, or `default` when it is not set (coroutine).
    #[pyo3(signature = (key, default=None))]
    async fn get(&self, key: String, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let sandbox = self.sandbox.clone();
        let value = spawn(async move { sandbox.env().get(&key).await }).await?;
        Python::attach(|py| {
            Ok(match value {
                Some(value) => value.into_pyobject(py)?.into_any().unbind(),
                None => default.unwrap_or_else(|| py.None()),
            })
        })
    }

    /// Sets one variable, keeping the others (coroutine).
    #[pyo3(signature = (key, value, *, timeout=None))]
    async fn set(&self, key: String, value: SecretText, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.env().set(&key, &value.0).await
        })
        .await
    }

    /// Sets these variables, keeping the others (coroutine; merge).
    #[pyo3(signature = (env_vars, *, timeout=None))]
    async fn update(
        &self,
        env_vars: BTreeMap<String, SecretText>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        let vars = secret_map(env_vars);
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.env().update(&vars).await
        })
        .await
    }

    /// Replaces every variable with these (coroutine).
    #[pyo3(signature = (env_vars, *, timeout=None))]
    async fn set_all(
        &self,
        env_vars: BTreeMap<String, SecretText>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        let vars = secret_map(env_vars);
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.env().set_all(&vars).await
        })
        .await
    }

    /// Deletes one variable, leaving the others untouched (coroutine).
    #[pyo3(signature = (key, *, timeout=None))]
    async fn delete(&self, key: String, timeout: Option<f64>) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move {
            let sandbox = with_request_timeout(&sandbox, timeout)?;
            sandbox.env().delete(&key).await
        })
        .await
    }

    /// Deletes every variable (coroutine).
    async fn clear(&self) -> PyResult<()> {
        let sandbox = self.sandbox.clone();
        spawn(async move { sandbox.env().clear().await }).await
    }

    fn __repr__(&self) -> String {
        format!(
            "<AsyncEnvironmentVariables of sandbox {}>",
            self.sandbox.id()
        )
    }
}
