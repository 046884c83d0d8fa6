//! Everything the CLI prints: results on stdout in one of three formats, messages and errors
//! on stderr, colors only for terminals (and never with `NO_COLOR` or `--no-color`), and a
//! spinner on stderr while waiting, only when stderr is a terminal.
//!
//! - `table` (default): aligned columns with a header for lists, `field  value` lines for one
//!   object; for people, may change between versions.
//! - `json`: one JSON document (an array for lists, an object otherwise) with stable
//!   snake_case field names; absent values are `null`. For scripts.
//! - `plain`: the table's cells separated by tabs, without header or alignment; one object
//!   is `field<TAB>value` lines. For `cut`, `awk` and `while read`.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::failure::{CliResult, Failure, Report};

/// The output format (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    #[default]
    Table,
    /// JSON with stable field names, for scripts.
    Json,
    /// Tab-separated values without a header.
    Plain,
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Colors {
    enabled: bool,
}

impl Colors {
    fn for_stream(is_terminal: bool, no_color_flag: bool) -> Colors {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Colors {
            enabled: is_terminal && !no_color_flag && !no_color_env && !dumb,
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Where results and messages go.
#[derive(Debug)]
pub(crate) struct Out {
    pub format: Format,
    pub colors: Colors,
    pub err_colors: Colors,
    stderr_is_terminal: bool,
}

impl Out {
    pub fn new(format: Format, no_color: bool) -> Out {
        let stderr_is_terminal = io::stderr().is_terminal();
        Out {
            format,
            colors: Colors::for_stream(io::stdout().is_terminal(), no_color),
            err_colors: Colors::for_stream(stderr_is_terminal, no_color),
            stderr_is_terminal,
        }
    }

    /// Prints `json` with `-o json`, else runs `human` (which prints with [`Out::table`],
    /// [`Out::fields`] or [`Out::line`]).
    pub fn show<T: Serialize + ?Sized>(
        &self,
        json: &T,
        human: impl FnOnce(&Out) -> CliResult,
    ) -> CliResult {
        match self.format {
            Format::Json => self.json(json),
            Format::Table | Format::Plain => human(self),
        }
    }

    /// One JSON document on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> CliResult {
        let text = serde_json::to_string_pretty(value).map_err(|e| {
            Failure::new(
                "io_error",
                crate::exit::FAILURE,
                format!("Could not encode the output as JSON: {e}."),
            )
        })?;
        write_stdout(&format!("{text}\n"))
    }

    /// A list: aligned with a header (`table`) or tab-separated without one (`plain`).
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> CliResult {
        let mut text = String::new();
        if self.format == Format::Plain {
            for row in rows {
                text.push_str(&row.join("\t"));
                text.push('\n');
            }
            return write_stdout(&text);
        }
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let render = |cells: Vec<String>, style: &dyn Fn(&str) -> String| {
            let last = cells.len().saturating_sub(1);
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let padding = if i == last {
                    0
                } else {
                    widths[i] - cell.chars().count() + 2
                };
                line.push_str(&style(cell));
                line.push_str(&" ".repeat(padding));
            }
            line.trim_end().to_owned()
        };
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        text.push_str(&render(header, &|h| self.colors.bold(h)));
        text.push('\n');
        for row in rows {
            text.push_str(&render(row.clone(), &|c| c.to_owned()));
            text.push('\n');
        }
        write_stdout(&text)
    }

    /// One object: `field  value` lines (`table`) or `field<TAB>value` (`plain`).
    pub fn fields(&self, pairs: &[(&str, String)]) -> CliResult {
        let mut text = String::new();
        if self.format == Format::Plain {
            for (name, value) in pairs {
                text.push_str(&format!("{name}\t{value}\n"));
            }
            return write_stdout(&text);
        }
        let width = pairs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in pairs {
            let padded = format!("{name:<width$}");
            text.push_str(&format!("{}  {value}\n", self.colors.bold(&padded)));
        }
        write_stdout(&text)
    }

    /// One line on stdout, as is.
    pub fn line(&self, text: &str) -> CliResult {
        write_stdout(&format!("{text}\n"))
    }

    /// A message for the person at the terminal (stderr); never part of the result.
    pub fn note(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// A warning on stderr.
    pub fn warn(&self, text: &str) {
        let label = self.err_colors.yellow("warning:");
        let _ = writeln!(io::stderr().lock(), "{label} {text}");
    }

    /// Prints a failure on stderr: `error: ...` and `hint: ...` lines, or with `-o json` one
    /// JSON object `{"error": {...}}`.
    pub fn error(&self, report: &Report) {
        let mut stderr = io::stderr().lock();
        if self.format == Format::Json {
            let body = serde_json::json!({ "error": report });
            let _ = writeln!(stderr, "{body}");
            return;
        }
        let _ = writeln!(
            stderr,
            "{} {}",
            self.err_colors.red("error:"),
            report.message
        );
        if let Some(hint) = &report.hint {
            let _ = writeln!(stderr, "{} {hint}", self.err_colors.bold("hint:"));
        }
        if let Some(id) = &report.request_id {
            let _ = writeln!(
                stderr,
                "{}",
                self.err_colors
                    .dim(&format!("request id: {id} (quote it to HopX support)"))
            );
        }
    }

    /// A spinner with `message` on stderr while the returned guard lives, shown only when
    /// stderr is a terminal and only once the wait has lasted a moment.
    pub fn spinner(&self, message: &str) -> Spinner {
        Spinner::start(message, self.stderr_is_terminal)
    }
}

/// Writes to stdout, handing a closed pipe back as [`Failure::Silent`].
fn write_stdout(text: &str) -> CliResult {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `-` for an absent value in tables.
pub(crate) fn cell<T: ToString>(value: Option<T>) -> String {
    value
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// A spinner on stderr; stops (and clears its line) when dropped.
#[derive(Debug)]
pub(crate) struct Spinner {
    running: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

/// How long a wait lasts before the spinner appears.
const SPINNER_DELAY: Duration = Duration::from_millis(250);
const SPINNER_FRAME: Duration = Duration::from_millis(80);
const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Spinner {
    fn start(message: &str, enabled: bool) -> Spinner {
        if !enabled {
            return Spinner { running: None };
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let message = message.to_owned();
        let handle = std::thread::Builder::new()
            .name("hopx-spinner".into())
            .spawn(move || {
                let step = Duration::from_millis(10);
                let mut waited = Duration::ZERO;
                while waited < SPINNER_DELAY {
                    if flag.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(step);
                    waited += step;
                }
                let mut frame = 0usize;
                let mut drawn = false;
                while !flag.load(Ordering::Relaxed) {
                    let _ = write!(
                        io::stderr().lock(),
                        "\r\x1b[2K{} {message}",
                        FRAMES[frame % FRAMES.len()]
                    );
                    drawn = true;
                    frame = frame.wrapping_add(1);
                    std::thread::sleep(SPINNER_FRAME);
                }
                if drawn {
                    let _ = write!(io::stderr().lock(), "\r\x1b[2K");
                }
            });
        match handle {
            Ok(handle) => Spinner {
                running: Some((stop, handle)),
            },
            Err(_) => Spinner { running: None },
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.running.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
