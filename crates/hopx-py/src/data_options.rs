//! Keyword arguments of the data plane (code, commands, files, env) → the core's option
//! structs. Every option starts from the core's `Default` (its documented defaults) and only
//! what the caller gave replaces it; the core validates.

use std::collections::BTreeMap;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

use crate::options::SecretText;

/// `timeout` or `timeout_seconds` (the official AsyncSandbox's name for the same setting), in
/// seconds. Both given is an error; neither is `None` (the core's default).
pub(crate) fn timeout_argument(
    timeout: Option<f64>,
    timeout_seconds: Option<f64>,
) -> hopx::Result<Option<Duration>> {
    let (name, seconds) = match (timeout, timeout_seconds) {
        (Some(_), Some(_)) => {
            return Err(hopx::Error::new(
                hopx::ErrorCode::InvalidArgument,
                "timeout and timeout_seconds are the same setting; pass only one of them.",
            ));
        }
        (Some(seconds), None) => ("timeout", seconds),
        (None, Some(seconds)) => ("timeout_seconds", seconds),
        (None, None) => return Ok(None),
    };
    hopx::config::seconds_argument(name, seconds).map(Some)
}

/// Env var values as the core takes them.
pub(crate) fn env_map(
    env: Option<BTreeMap<String, SecretText>>,
) -> Option<BTreeMap<String, String>> {
    env.map(secret_map)
}

/// A `{name: value}` dict as the core takes it.
pub(crate) fn secret_map(env: BTreeMap<String, SecretText>) -> BTreeMap<String, String> {
    env.into_iter()
        .map(|(name, value)| (name, value.0))
        .collect()
}

/// The keywords of `run_code`. No `Debug`: the env values are secret.
pub(crate) struct RunCodeArgs {
    pub language: Option<String>,
    pub timeout: Option<f64>,
    pub timeout_seconds: Option<f64>,
    pub env: Option<BTreeMap<String, SecretText>>,
    pub working_dir: Option<String>,
}

impl RunCodeArgs {
    pub(crate) fn into_options(self) -> hopx::Result<hopx::RunCodeOptions> {
        let mut options = hopx::RunCodeOptions::default();
        if let Some(language) = self.language {
            options.language = language;
        }
        if let Some(timeout) = timeout_argument(self.timeout, self.timeout_seconds)? {
            options.timeout = timeout;
        }
        options.env = env_map(self.env);
        if let Some(working_dir) = self.working_dir {
            options.working_dir = working_dir;
        }
        Ok(options)
    }
}

/// The keywords of `run_code_background`. No `Debug`: the env values are secret.
pub(crate) struct BackgroundArgs {
    pub language: Option<String>,
    pub timeout: Option<f64>,
    pub timeout_seconds: Option<f64>,
    pub env: Option<BTreeMap<String, SecretText>>,
    pub name: Option<String>,
}

impl BackgroundArgs {
    pub(crate) fn into_options(self) -> hopx::Result<hopx::BackgroundOptions> {
        let mut options = hopx::BackgroundOptions::default();
        if let Some(language) = self.language {
            options.language = language;
        }
        if let Some(timeout) = timeout_argument(self.timeout, self.timeout_seconds)? {
            options.timeout = timeout;
        }
        options.env = env_map(self.env);
        options.name = self.name;
        Ok(options)
    }
}

/// The keywords of `commands.run`. No `Debug`: the env values are secret.
pub(crate) struct CommandArgs {
    pub timeout: Option<f64>,
    pub timeout_seconds: Option<f64>,
    pub background: bool,
    pub env: Option<BTreeMap<String, SecretText>>,
    pub working_dir: Option<String>,
}

impl CommandArgs {
    fn into_options(self) -> hopx::Result<hopx::CommandOptions> {
        let mut options = hopx::CommandOptions::default();
        if let Some(timeout) = timeout_argument(self.timeout, self.timeout_seconds)? {
            options.timeout = timeout;
        }
        options.env = env_map(self.env);
        if let Some(working_dir) = self.working_dir {
            options.working_dir = working_dir;
        }
        Ok(options)
    }

    /// Runs `command` in the foreground or, with `background=True`, in the background.
    pub(crate) async fn run(
        self,
        sandbox: &hopx::Sandbox,
        command: &str,
    ) -> hopx::Result<hopx::CommandResult> {
        let background = self.background;
        let options = self.into_options()?;
        if background {
            sandbox.run_command_background(command, &options).await
        } else {
            sandbox.run_command(command, &options).await
        }
    }
}

/// The content of `files.write`: text, or bytes (then written exactly, like `write_bytes`).
pub(crate) enum FileContent {
    Text(String),
    Bytes(Vec<u8>),
}

impl FileContent {
    /// Writes it to `path` with the core's text or bytes call.
    pub(crate) async fn write_to(
        self,
        sandbox: &hopx::Sandbox,
        path: &str,
        mode: Option<&str>,
    ) -> hopx::Result<()> {
        match self {
            FileContent::Text(text) => sandbox.files().write(path, &text, mode).await,
            FileContent::Bytes(bytes) => sandbox.files().write_bytes(path, &bytes, mode).await,
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for FileContent {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(text) = obj.cast::<PyString>() {
            // pyo3's own conversion would put the whole string in the UnicodeEncodeError.
            return match text.to_cow() {
                Ok(text) => Ok(FileContent::Text(text.into_owned())),
                Err(_) => Err(PyValueError::new_err(
                    "the file content is not valid Unicode text (it contains a lone \
                     surrogate); the content is not shown. Pass bytes to write it exactly.",
                )),
            };
        }
        Ok(FileContent::Bytes(FileBytes::extract(obj)?.0))
    }
}

/// The content of `files.write_bytes`: `bytes`, `bytearray` or `memoryview`.
pub(crate) struct FileBytes(pub Vec<u8>);

impl<'a, 'py> FromPyObject<'a, 'py> for FileBytes {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(FileBytes(bytes.as_bytes().to_vec()));
        }
        if let Ok(array) = obj.cast::<PyByteArray>() {
            return Ok(FileBytes(array.to_vec()));
        }
        if obj.cast::<PyMemoryView>().is_ok() {
            let copied = obj.py().get_type::<PyBytes>().call1((obj,))?;
            return Ok(FileBytes(copied.cast::<PyBytes>()?.as_bytes().to_vec()));
        }
        Err(PyTypeError::new_err(format!(
            "the file content must be str or bytes, not {}",
            obj.get_type().name()?
        )))
    }
}
