//! `hopx_ai._native`: the Python bindings of the `hopx` core.
//!
//! Conversions only. Every method takes Python arguments, builds the core's options struct,
//! calls the core and converts the result or the error; defaults, validation, retries and
//! configuration all live in `crates/hopx`.
//!
//! - `options`: keyword arguments → `hopx::ClientOptions` / the core's option structs.
//! - `calls`: the core calls behind the static methods, shared by both classes.
//! - `run`: the two ways of waiting on the core (blocking with the GIL released, or as a
//!   coroutine awaiting a task on the shared runtime) and the end of a `with` block.
//! - `sandbox`: `Sandbox` and `SandboxIterator` (blocking).
//! - `async_sandbox`: `AsyncSandbox`, `AsyncSandboxIterator` and the awaitable context
//!   manager `AsyncSandbox.create()` returns.
//! - `data_options`: the data plane's keyword arguments → the core's option structs.
//! - `resources` / `async_resources`: `sandbox.files`, `.commands` and `.env`, blocking and
//!   as coroutines.
//! - `models` / `data_models`: the frozen result classes (control plane / data plane).
//! - `errors`: the one `hopx::Error` → Python exception conversion; `json`: JSON → Python.
//! - `logging`: the core's log records → the `hopx_ai` logger of Python's `logging`.

// The workspace denies unsafe code, but pyo3's macros (#[pyclass], #[pymethods], #[pymodule])
// expand to `unsafe` FFI glue. This crate writes no unsafe block of its own.
#![allow(unsafe_code)]

mod async_resources;
mod async_sandbox;
mod calls;
mod cli;
mod data_models;
mod data_options;
mod errors;
mod json;
mod logging;
mod models;
mod options;
mod resources;
mod run;
mod sandbox;

use pyo3::pymodule;

/// Native core of the hopx_ai package (Rust). Import from `hopx_ai`, not from here.
#[pymodule]
mod _native {
    use std::collections::BTreeMap;

    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::async_resources::{AsyncCommands, AsyncEnvironmentVariables, AsyncFiles};
    #[pymodule_export]
    use crate::async_sandbox::{AsyncSandbox, AsyncSandboxContextManager, AsyncSandboxIterator};
    #[pymodule_export]
    use crate::cli::run_cli;
    #[pymodule_export]
    use crate::data_models::{
        BackgroundExecution, CommandResult, ExecutionResult, FileInfo, ProcessInfo, RichOutput,
    };
    #[pymodule_export]
    use crate::models::{ExpiryInfo, Resources, SandboxInfo, SandboxTemplate, TemplateResources};
    #[pymodule_export]
    use crate::resources::{Commands, EnvironmentVariables, Files};
    #[pymodule_export]
    use crate::sandbox::{Sandbox, SandboxIterator};

    /// `{error code: exception class name}` for every code the core can raise, so the Python
    /// side can check that `hopx_ai.errors` defines every class the core names.
    #[pyfunction]
    fn _error_classes() -> BTreeMap<&'static str, &'static str> {
        hopx::ErrorCode::ALL
            .iter()
            .map(|code| (code.as_str(), code.class_name()))
            .collect()
    }

    /// Copies the `hopx_ai` logger's effective level to the core now (every SDK call does
    /// this itself; for tests and measurements).
    #[pyfunction]
    fn _sync_log_level(py: Python<'_>) {
        crate::logging::sync_level(py);
    }

    /// Stops forwarding the core's records to `logging` (registered with `atexit`).
    #[pyfunction]
    fn _stop_logging() {
        crate::logging::uninstall();
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", hopx::VERSION)?;
        let py = m.py();
        crate::logging::install(py)?;
        py.import("atexit")?
            .call_method1("register", (m.getattr("_stop_logging")?,))?;
        Ok(())
    }
}
