//! The core's log records → Python's `logging` module, logger `"hopx_ai"`.
//!
//! One [`hopx::log::LogSink`] is installed when the module is imported. The core asks the sink
//! for records only at or above the sink's level, a plain atomic it checks without the GIL, so
//! a disabled event costs nothing in Python. That level follows the Python logger: every SDK
//! call starts by copying `logging.getLogger("hopx_ai").getEffectiveLevel()` into it
//! ([`sync_level`]; a cached bound method, well under a microsecond), so `setLevel` or
//! `basicConfig` take effect at the next call. `import hopx_ai` does not import `logging`
//! (about 10 ms): until the program does, the level is WARNING, which is what an
//! unconfigured logger shows anyway.
//!
//! A record reaches Python as `logger.log(level, record.line(), extra={"hopx": {field:
//! value}})`. The core calls the sink on whichever thread made the event, usually the
//! runtime's worker: the sink takes the GIL there, which is safe because no thread ever waits
//! on the runtime while holding the GIL (every blocking wait in `run.rs` releases it first).
//! An exception that escapes `logger.log` (a failing filter; a failing handler is already
//! handled by `logging` itself) is printed like `logging` prints handler errors and never
//! reaches the SDK call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use hopx::log::{Level, LogRecord, LogSink, LogValue};

/// `logging.getLogger("hopx_ai")`.
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// Its bound `getEffectiveLevel`, called at every SDK call.
static EFFECTIVE_LEVEL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The level last given to the core, as [`rank`]; `u8::MAX` = not yet given.
static SYNCED: AtomicU8 = AtomicU8::new(u8::MAX);

/// Installs the sink (once, at import) at WARNING, the level of a logger nobody configured.
/// `logging` itself is not imported here (it costs ~10 ms): until the program imports it, no
/// handler or level can have been set, so WARNING is right; the first call after it is
/// imported reads the real level, and a warning before that imports it to be shown.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    hopx::log::set_sink(Some(Arc::new(PythonLogging)), Level::WARN);
    SYNCED.store(rank(30), Ordering::Relaxed);
    sync_level(py);
    Ok(())
}

/// `logging.getLogger("hopx_ai")`, importing `logging` the first time.
fn logger(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    LOGGER.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("logging")?
                .call_method1("getLogger", ("hopx_ai",))?
                .unbind(),
        )
    })
}

/// Whether the program has imported `logging` (a dict lookup in `sys.modules`).
fn logging_imported(py: Python<'_>) -> bool {
    static SYS_MODULES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    SYS_MODULES
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("sys")?.getattr("modules")?.unbind())
        })
        .and_then(|modules| modules.bind(py).contains("logging"))
        .unwrap_or(false)
}

/// Removes the sink: at interpreter exit, so that no runtime thread tries to take the GIL of
/// an interpreter that is shutting down.
pub(crate) fn uninstall() {
    hopx::log::set_sink(None, Level::ERROR);
    SYNCED.store(u8::MAX, Ordering::Relaxed);
}

/// Copies the `hopx_ai` logger's effective level to the core's sink. Called at the start of
/// every SDK call, with the GIL held. A logger that cannot say its level (a replaced
/// `getEffectiveLevel` that raises) leaves the level as it was.
pub(crate) fn sync_level(py: Python<'_>) {
    let effective_level = match EFFECTIVE_LEVEL.get(py) {
        Some(method) => method,
        // Not imported yet: nobody can have changed the level from WARNING.
        None if !logging_imported(py) => return,
        None => {
            let Ok(method) = EFFECTIVE_LEVEL
                .get_or_try_init(py, || logger(py)?.getattr(py, "getEffectiveLevel"))
            else {
                return;
            };
            method
        }
    };
    let Ok(level) = effective_level
        .call0(py)
        .and_then(|level| level.extract::<i64>(py))
    else {
        return;
    };
    let wanted = rank(level);
    let previous = SYNCED.load(Ordering::Relaxed);
    if previous != wanted && previous != u8::MAX {
        SYNCED.store(wanted, Ordering::Relaxed);
        hopx::log::set_sink_level(core_level(wanted));
    }
}

/// The Python level → the most verbose core level that a logger at that level shows:
/// 5 = TRACE (and NOTSET, 0, shows everything), 4 = DEBUG, 3 = INFO, 2 = WARN, 1 = ERROR,
/// 0 = nothing (above ERROR, e.g. CRITICAL).
fn rank(python_level: i64) -> u8 {
    match python_level {
        ..=5 => 5,
        6..=10 => 4,
        11..=20 => 3,
        21..=30 => 2,
        31..=40 => 1,
        _ => 0,
    }
}

fn core_level(rank: u8) -> Option<Level> {
    match rank {
        5 => Some(Level::TRACE),
        4 => Some(Level::DEBUG),
        3 => Some(Level::INFO),
        2 => Some(Level::WARN),
        1 => Some(Level::ERROR),
        _ => None,
    }
}

/// The Python level of a core level.
fn python_level(level: Level) -> i32 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// The sink: forwards each record to the `hopx_ai` logger.
struct PythonLogging;

impl LogSink for PythonLogging {
    fn log(&self, record: &LogRecord) {
        // `try_attach`: nothing to do (and no panic) while the interpreter shuts down.
        let _ = Python::try_attach(|py| {
            if let Err(error) = forward(py, record) {
                report_logging_error(py, &error);
            }
        });
    }
}

fn forward(py: Python<'_>, record: &LogRecord) -> PyResult<()> {
    let logger = logger(py)?;
    let fields = PyDict::new(py);
    for (name, value) in &record.fields {
        match value {
            LogValue::Text(text) => fields.set_item(name, text)?,
            LogValue::Number(number) => fields.set_item(name, number)?,
            LogValue::Float(number) => fields.set_item(name, number)?,
            // The enum may grow: show a new kind as text rather than drop it.
            #[allow(unreachable_patterns)]
            other => fields.set_item(name, other.to_string())?,
        }
    }
    let extra = PyDict::new(py);
    extra.set_item("hopx", fields)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    logger.call_method(
        py,
        "log",
        (python_level(record.level), record.line()),
        Some(&kwargs),
    )?;
    Ok(())
}

/// What `logging.Handler.handleError` does with a failing handler: a traceback on stderr when
/// `logging.raiseExceptions` is true (the default), nothing otherwise. Never raises.
fn report_logging_error(py: Python<'_>, error: &PyErr) {
    let shown = (|| -> PyResult<()> {
        let logging = py.import("logging")?;
        if !logging.getattr("raiseExceptions")?.is_truthy()? {
            return Ok(());
        }
        let sys = py.import("sys")?;
        let stderr = sys.getattr("stderr")?;
        if stderr.is_none() {
            return Ok(());
        }
        stderr.call_method1("write", ("--- Logging error (logger hopx_ai) ---\n",))?;
        let value = error.value(py);
        py.import("traceback")?.call_method1(
            "print_exception",
            (value.get_type(), value, error.traceback(py)),
        )?;
        Ok(())
    })();
    // Nowhere left to report it: dropped, as logging drops errors it cannot print.
    let _ = shown;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_levels_map_to_the_most_verbose_core_level_shown() {
        assert_eq!(rank(0), 5);
        assert_eq!(rank(5), 5);
        assert_eq!(rank(10), 4);
        assert_eq!(rank(15), 3);
        assert_eq!(rank(20), 3);
        assert_eq!(rank(30), 2);
        assert_eq!(rank(40), 1);
        assert_eq!(rank(50), 0);
        assert_eq!(core_level(0), None);
        for level in [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ] {
            // A record at a core level passes the Python logger set to the same level.
            assert_eq!(
                core_level(rank(i64::from(python_level(level)))),
                Some(level)
            );
        }
    }
}
