//! Where the core's log records go in Node: nowhere by default; to stderr with `HOPX_LOG`; to a
//! JavaScript function with `setLogger`.
//!
//! - `HOPX_LOG=error|warn|info|debug|trace` is read once, when the addon loads: it installs a
//!   core [`LogSink`] that writes each record's line with a timestamp and the level to stderr.
//! - `setLogger(fn, level)` replaces it with a sink that hands records to `fn` on the JavaScript
//!   thread, through a threadsafe function called in non-blocking mode (the runtime thread that
//!   made the event never waits for JavaScript) and marked weak (it never keeps the process
//!   alive). `setLogger(null)` goes back to what `HOPX_LOG` asked for (or nothing).
//!
//! The records are the core's: method, path, status, attempt, waits, request ids, timings and
//! error codes; never headers, bodies, keys, tokens, env var values or query strings.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use chrono::{SecondsFormat, Utc};
use hopx::log::{Level, LogRecord, LogSink, LogValue};
use napi::Status;
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::errors::to_napi_error;

/// The level names, most important first (`HOPX_LOG` and `setLogger` take the same names).
const LEVELS: [(&str, Level); 5] = [
    ("error", Level::ERROR),
    ("warn", Level::WARN),
    ("info", Level::INFO),
    ("debug", Level::DEBUG),
    ("trace", Level::TRACE),
];

/// `setLogger`'s level when none is given: retries and warnings, not every request.
const DEFAULT_LOGGER_LEVEL: Level = Level::INFO;

/// Records a JavaScript logger has not taken yet, at most: past this (the JavaScript thread is
/// busy for a long while) new records are dropped rather than held without bound.
const LOGGER_QUEUE: usize = 4096;

fn parse_level(name: &str) -> Option<Level> {
    let name = name.trim();
    LEVELS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, level)| *level)
}

fn level_name(level: Level) -> &'static str {
    LEVELS
        .iter()
        .find(|(_, known)| *known == level)
        .map_or("trace", |(name, _)| name)
}

// ---------------------------------------------------------------------------------------------
// HOPX_LOG: stderr

/// Writes `<timestamp> <LEVEL> hopx: <message> name=value ...` lines to stderr.
struct StderrSink;

impl LogSink for StderrSink {
    fn log(&self, record: &LogRecord) {
        let line = format!(
            "{} {:<5} {}\n",
            Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            level_name(record.level).to_ascii_uppercase(),
            record.line()
        );
        // One write per line, so lines from several threads do not interleave; a closed
        // stderr is not the SDK's problem.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// What `HOPX_LOG` asked for, read once.
fn env_sink() -> &'static Option<(Arc<dyn LogSink>, Level)> {
    static ENV_SINK: OnceLock<Option<(Arc<dyn LogSink>, Level)>> = OnceLock::new();
    ENV_SINK.get_or_init(|| {
        let value = std::env::var("HOPX_LOG").ok()?;
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("off") {
            return None;
        }
        match parse_level(value) {
            Some(level) => Some((Arc::new(StderrSink) as Arc<dyn LogSink>, level)),
            None => {
                // The value is not repeated: a variable set by mistake may hold anything.
                let _ = writeln!(
                    std::io::stderr(),
                    "hopx: HOPX_LOG is not one of error, warn, info, debug, trace or off; logging stays off"
                );
                None
            }
        }
    })
}

/// Installs what `HOPX_LOG` asked for (or no sink).
fn install_env_sink() {
    match env_sink() {
        Some((sink, level)) => hopx::log::set_sink(Some(Arc::clone(sink)), *level),
        None => hopx::log::set_sink(None, Level::ERROR),
    }
}

#[napi_derive::module_init]
fn read_hopx_log() {
    install_env_sink();
}

// ---------------------------------------------------------------------------------------------
// setLogger: a JavaScript function

/// What a JavaScript logger receives.
#[napi(object, object_from_js = false)]
pub struct JsLogRecord {
    /// `'error'`, `'warn'`, `'info'`, `'debug'` or `'trace'`.
    pub level: String,
    /// The core module that reported it, e.g. `'hopx::http'`.
    pub target: String,
    /// What happened, in a few fixed words, e.g. `'request failed'`.
    pub message: String,
    /// The event's fields: text, or numbers (counts, milliseconds, seconds).
    #[napi(ts_type = "Record<string, string | number>")]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The record as one line: `hopx: <message> name=value ...`.
    pub line: String,
}

impl From<&LogRecord> for JsLogRecord {
    fn from(record: &LogRecord) -> Self {
        let fields = record
            .fields
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    LogValue::Text(text) => serde_json::Value::from(text.as_str()),
                    LogValue::Number(n) => serde_json::Value::from(*n),
                    LogValue::Float(x) => serde_json::Value::from(*x),
                };
                ((*name).to_owned(), value)
            })
            .collect();
        JsLogRecord {
            level: level_name(record.level).to_owned(),
            target: record.target.to_owned(),
            message: record.message.to_owned(),
            fields,
            line: record.line(),
        }
    }
}

type LoggerFunction =
    ThreadsafeFunction<LogRecord, (), JsLogRecord, Status, false, true, LOGGER_QUEUE>;

/// Hands records to a JavaScript function on its thread.
struct JsSink {
    logger: LoggerFunction,
}

impl LogSink for JsSink {
    fn log(&self, record: &LogRecord) {
        // Non-blocking: with the queue full (or the environment gone) the record is dropped
        // rather than making a runtime thread wait for JavaScript.
        let _ = self
            .logger
            .call(record.clone(), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Sends the SDK's log records at `level` (default `'info'`) and above to `logger`, called on
/// the JavaScript thread with one record object; `null` goes back to what `HOPX_LOG` asked for
/// (or nothing). `js/index.js` wraps the function so that one that throws changes nothing.
#[napi(
    ts_args_type = "logger: ((record: JsLogRecord) => void) | null, level?: 'error' | 'warn' | 'info' | 'debug' | 'trace'"
)]
pub fn set_logger(
    logger: Option<Function<'_, JsLogRecord, ()>>,
    level: Option<String>,
) -> Result<(), napi::Error<&'static str>> {
    let Some(logger) = logger else {
        install_env_sink();
        return Ok(());
    };
    let level = match level.as_deref() {
        None => DEFAULT_LOGGER_LEVEL,
        Some(name) => parse_level(name).ok_or_else(|| {
            to_napi_error(hopx::Error::new(
                hopx::ErrorCode::InvalidArgument,
                "The log level must be one of 'error', 'warn', 'info', 'debug' and 'trace'.",
            ))
        })?,
    };
    let logger = logger
        .build_threadsafe_function::<LogRecord>()
        .callee_handled::<false>()
        .weak::<true>()
        .max_queue_size::<LOGGER_QUEUE>()
        .build_callback(|ctx| Ok(JsLogRecord::from(&ctx.value)))
        .map_err(|e| napi::Error::new("GenericFailure", e.reason))?;
    hopx::log::set_sink(Some(Arc::new(JsSink { logger })), level);
    Ok(())
}
