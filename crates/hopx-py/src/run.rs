//! The two ways a binding waits on the core: blocking with the GIL released (`wait`), or as a
//! coroutine awaiting a task on the shared runtime (`spawn`). Plus what leaving a `with` block
//! does with a failed cleanup (`after_scope`).

use std::future::Future;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::to_py_err;

/// How often a blocking call looks for Ctrl-C (and other signals) while it waits.
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs a core future to completion on the shared runtime with the GIL released, so other
/// Python threads run while this one waits on the network. Ctrl-C still works: every 100 ms
/// the wait takes the GIL briefly to run Python's signal handlers, and a `KeyboardInterrupt`
/// (or any exception a handler raises) drops the future, which cancels the request.
pub(crate) fn wait<T: Send>(
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
pub(crate) async fn spawn<T: Send + 'static>(
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

/// The end of `__exit__` / `__aexit__`, given how the cleanup (`exit_scope`) went and whether
/// the block is raising. A failed cleanup is never swallowed silently: while the block raises,
/// it is logged as a warning on the `hopx_ai` logger and the block's own exception goes on
/// unchanged; otherwise it is raised. Never suppresses the block's exception.
pub(crate) fn after_scope(
    py: Python<'_>,
    cleanup: PyResult<()>,
    block_raised: bool,
    sandbox_id: &str,
) -> PyResult<()> {
    match cleanup {
        Ok(()) => Ok(()),
        Err(error) if block_raised => {
            if let Err(logging) = log_cleanup_error(py, &error, sandbox_id) {
                // Logging itself failed (a broken handler): still not silent.
                logging.write_unraisable(py, None);
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn log_cleanup_error(py: Python<'_>, error: &PyErr, sandbox_id: &str) -> PyResult<()> {
    let value = error.value(py);
    let class = value.get_type().name()?;
    let text = value.str()?;
    py.import("logging")?
        .call_method1("getLogger", ("hopx_ai",))?
        .call_method1(
            "warning",
            (
                "Could not kill sandbox %s on leaving the with block (%s: %s); \
                 the block's own exception is raised instead.",
                sandbox_id,
                class,
                text,
            ),
        )?;
    Ok(())
}
