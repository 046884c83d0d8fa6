//! What the SDK reports about its requests, and where those reports go.
//!
//! Every event is a `tracing` event (target `hopx::…`) for Rust programs, and is also handed to
//! one process-wide [`LogSink`] when a language binding has installed one: Python forwards
//! records to its `logging` module, Node to `HOPX_LOG` or a logger function. A sink rather than
//! a `tracing` subscriber because a process has one global subscriber, and the bindings must not
//! take it from the programs (or the `hopx local` server) that embed them.
//!
//! Events carry only what is safe to show: method, path, status, attempt, waits, request ids,
//! timings, error codes. Never headers, bodies, keys, tokens, env var values or query strings.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

pub use tracing::Level;

/// One event, ready to be printed or forwarded.
#[derive(Debug, Clone)]
pub struct LogRecord {
    /// How important it is.
    pub level: Level,
    /// The module that reported it (`hopx::http`).
    pub target: &'static str,
    /// What happened, in a few fixed words (`"request failed"`).
    pub message: &'static str,
    /// The event's fields, in order.
    pub fields: Vec<(&'static str, LogValue)>,
}

impl LogRecord {
    /// The record as one line: the message, then `name=value` pairs.
    pub fn line(&self) -> String {
        let mut line = format!("hopx: {}", self.message);
        for (name, value) in &self.fields {
            line.push(' ');
            line.push_str(name);
            line.push('=');
            line.push_str(&value.to_string());
        }
        line
    }
}

/// A field value.
#[derive(Debug, Clone, PartialEq)]
pub enum LogValue {
    /// Text (a method, a path, a code).
    Text(String),
    /// A count or a size.
    Number(u64),
    /// A duration in seconds or a ratio.
    Float(f64),
}

impl fmt::Display for LogValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogValue::Text(text) => f.write_str(text),
            LogValue::Number(n) => write!(f, "{n}"),
            LogValue::Float(x) => write!(f, "{x:.3}"),
        }
    }
}

impl From<&str> for LogValue {
    fn from(text: &str) -> Self {
        LogValue::Text(text.to_owned())
    }
}

impl From<String> for LogValue {
    fn from(text: String) -> Self {
        LogValue::Text(text)
    }
}

impl From<&String> for LogValue {
    fn from(text: &String) -> Self {
        LogValue::Text(text.clone())
    }
}

macro_rules! number_values {
    ($($t:ty),*) => {$(
        impl From<$t> for LogValue {
            fn from(n: $t) -> Self {
                LogValue::Number(n as u64)
            }
        }
    )*};
}
number_values!(u16, u32, u64, usize);

impl From<f64> for LogValue {
    fn from(x: f64) -> Self {
        LogValue::Float(x)
    }
}

/// Where a binding sends records.
pub trait LogSink: Send + Sync {
    /// Receives one record at or above the level given to [`set_sink`]. Called on whichever
    /// thread made the event (often a runtime worker): it must not block on the caller.
    fn log(&self, record: &LogRecord);
}

/// The most verbose level the sink wants, as `level_rank`; 0 = no sink.
static SINK_LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

fn level_rank(level: Level) -> u8 {
    match level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Installs (or with `None` removes) the process-wide sink, taking records at `level` and more
/// important ones.
pub fn set_sink(sink: Option<Arc<dyn LogSink>>, level: Level) {
    let mut slot = SINK.write().unwrap_or_else(|p| p.into_inner());
    SINK_LEVEL.store(
        if sink.is_some() { level_rank(level) } else { 0 },
        Ordering::Release,
    );
    *slot = sink;
}

/// Changes the level of the installed sink (Python reads its logger's level at each call).
pub fn set_sink_level(level: Option<Level>) {
    let slot = SINK.read().unwrap_or_else(|p| p.into_inner());
    if slot.is_some() {
        SINK_LEVEL.store(level.map_or(0, level_rank), Ordering::Release);
    }
}

/// Whether the sink wants this level: one atomic load, so disabled events cost nothing else.
pub(crate) fn sink_enabled(level: Level) -> bool {
    level_rank(level) <= SINK_LEVEL.load(Ordering::Acquire)
}

pub(crate) fn emit(record: LogRecord) {
    let sink = SINK.read().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(sink) = sink {
        sink.log(&record);
    }
}

/// Reports an event to `tracing` and to the binding's sink:
/// `report!(DEBUG, "request sent", method = "GET", status = 200u16)`.
macro_rules! report {
    ($level:ident, $message:literal $(, $name:ident = $value:expr)* $(,)?) => {{
        if tracing::enabled!(tracing::Level::$level)
            || $crate::log::sink_enabled(tracing::Level::$level)
        {
            // All values first, then the names: a value expression may use a name.
            #[allow(unused_parens)]
            let ($($name),*) = ($($crate::log::LogValue::from($value)),*);
            tracing::event!(tracing::Level::$level, $($name = %$name,)* $message);
            if $crate::log::sink_enabled(tracing::Level::$level) {
                $crate::log::emit($crate::log::LogRecord {
                    level: tracing::Level::$level,
                    target: module_path!(),
                    message: $message,
                    fields: vec![$((stringify!($name), $name)),*],
                });
            }
        }
    }};
}
pub(crate) use report;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Collect(Mutex<Vec<String>>);

    impl LogSink for Collect {
        fn log(&self, record: &LogRecord) {
            self.0.lock().unwrap().push(record.line());
        }
    }

    #[test]
    fn the_sink_gets_records_at_its_level() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        set_sink(Some(sink.clone()), Level::INFO);
        report!(DEBUG, "not wanted", attempt = 1u32);
        report!(
            INFO,
            "retrying",
            method = "GET",
            attempt = 1u32,
            wait_s = 0.25
        );
        set_sink(None, Level::TRACE);
        report!(WARN, "after removal");
        // Other tests in this process may report too: look for ours only.
        let lines = sink.0.lock().unwrap().clone();
        assert!(lines.contains(&"hopx: retrying method=GET attempt=1 wait_s=0.250".to_owned()));
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("not wanted") || l.contains("after removal"))
        );
    }
}
