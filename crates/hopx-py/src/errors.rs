//! The one conversion from `hopx::Error` to a Python exception.
//!
//! The exception classes are plain Python (`hopx_ai/errors.py`), so they pickle, subclass and
//! show in tracebacks like any other exception. The core names the class for each code
//! ([`hopx::ErrorCode::class_name`]); this module only looks it up and fills in the fields the
//! core provides. Nothing else (no environment, no request data) goes into the exception.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::json::json_to_py;

/// Builds the `hopx_ai.errors` exception for `err`.
pub(crate) fn to_py_err(py: Python<'_>, err: hopx::Error) -> PyErr {
    match exception(py, &err) {
        Ok(exception) => PyErr::from_value(exception),
        // Only possible when hopx_ai.errors is broken or was replaced; say so, keeping the
        // (secret-free) code and message.
        Err(lookup) => {
            let fallback = PyRuntimeError::new_err(format!(
                "[{}] {} (hopx_ai.errors could not build the exception for this error)",
                err.code().as_str(),
                err.message()
            ));
            fallback.set_cause(py, Some(lookup));
            fallback
        }
    }
}

fn exception<'py>(py: Python<'py>, err: &hopx::Error) -> PyResult<Bound<'py, PyAny>> {
    let class = py
        .import("hopx_ai.errors")?
        .getattr(err.code().class_name())?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", err.code().as_str())?;
    kwargs.set_item("status_code", err.status())?;
    kwargs.set_item("request_id", err.request_id())?;
    kwargs.set_item(
        "details",
        err.details().map(|d| json_to_py(py, d)).transpose()?,
    )?;
    kwargs.set_item("hint", err.hint())?;
    kwargs.set_item("server_code", err.server_code())?;
    kwargs.set_item("retry_after", err.retry_after().map(|d| d.as_secs_f64()))?;
    kwargs.set_item("attempts", err.attempts())?;
    kwargs.set_item("maybe_processed", err.maybe_processed())?;
    kwargs.set_item(
        "timeout_kind",
        err.timeout_kind().map(hopx::TimeoutKind::as_str),
    )?;
    class.call((err.message(),), Some(&kwargs))
}
