//! What a command that did not succeed reports: the core's message and hint (already free of
//! secrets), its stable code, and the exit status.

use serde::Serialize;

use crate::exit;

/// A failed command.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An error to print.
    Error(Report),
    /// Nothing more to print (already reported, or stdout was closed by the reader); exit
    /// with this status.
    Silent(i32),
}

/// An error as printed: text for people, one JSON object with `-o json`.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The core's stable code (`not_found`, `api_key_missing`, ...) or the CLI's own.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub exit_code: i32,
}

pub(crate) type CliResult<T = ()> = Result<T, Failure>;

impl Failure {
    /// A usage problem found by the CLI itself (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new("invalid_argument", exit::USAGE, message)
    }

    /// Something that does not exist (exit 4).
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure::new("not_found", exit::NOT_FOUND, message)
    }

    /// A failure with a code and status of the CLI's own.
    pub fn new(code: &str, exit_code: i32, message: impl Into<String>) -> Failure {
        Failure::Error(Report {
            code: code.to_owned(),
            message: message.into(),
            hint: None,
            status: None,
            request_id: None,
            exit_code,
        })
    }

    /// Adds or replaces the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        if let Failure::Error(report) = &mut self {
            report.hint = Some(hint.into());
        }
        self
    }

    /// The exit status.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Error(report) => report.exit_code,
            Failure::Silent(code) => *code,
        }
    }
}

impl From<hopx::Error> for Failure {
    fn from(error: hopx::Error) -> Failure {
        Failure::Error(Report {
            code: error.code().as_str().to_owned(),
            message: error.message().to_owned(),
            hint: error.hint().map(str::to_owned),
            status: error.status(),
            request_id: error.request_id().map(str::to_owned),
            exit_code: exit::for_error_code(error.code()),
        })
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (`hopx sandbox list | head -1`): not an error.
            return Failure::Silent(exit::OK);
        }
        Failure::new(
            "io_error",
            exit::FAILURE,
            format!("Could not write the output: {error}."),
        )
    }
}
