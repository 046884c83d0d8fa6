//! `hopx_ai._native`: the Python bindings of the `hopx` core.
//!
//! Conversions only. Every method takes Python arguments, builds the core's options struct,
//! calls the core and converts the result or the error; defaults, validation, retries and
//! configuration all live in `crates/hopx`.
//!
//! - `options`: keyword arguments → `hopx::ClientOptions` / `CreateSandboxOptions`.
//! - `sandbox`: `Sandbox` and `AsyncSandbox`, and the two ways of waiting on the core
//!   (blocking with the GIL released, or as a coroutine awaiting a task on the shared runtime).
//! - `models`: the frozen result classes.
//! - `errors`: the one `hopx::Error` → Python exception conversion.

// The workspace denies unsafe code, but pyo3's macros (#[pyclass], #[pymethods], #[pymodule])
// expand to `unsafe` FFI glue. This crate writes no unsafe block of its own.
#![allow(unsafe_code)]

mod errors;
mod models;
mod options;
mod sandbox;

use pyo3::pymodule;

/// Native core of the hopx_ai package (Rust). Import from `hopx_ai`, not from here.
#[pymodule]
mod _native {
    use std::collections::BTreeMap;

    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::models::{Resources, SandboxInfo, SandboxTemplate, TemplateResources};
    #[pymodule_export]
    use crate::sandbox::{AsyncSandbox, Sandbox};

    /// `{error code: exception class name}` for every code the core can raise, so the Python
    /// side can check that `hopx_ai.errors` defines every class the core names.
    #[pyfunction]
    fn _error_classes() -> BTreeMap<&'static str, &'static str> {
        hopx::ErrorCode::ALL
            .iter()
            .map(|code| (code.as_str(), code.class_name()))
            .collect()
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", hopx::VERSION)
    }
}
