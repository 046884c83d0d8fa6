//! `run_cli(argv)`: the `hopx` command line, for the `hopx` console script of the package
//! (`hopx_ai._cli`). The CLI is the Rust one (`hopx-cli`), not a second implementation.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the `hopx` command line with ``argv`` (``argv[0]`` is the program name) on the
/// process's real stdin, stdout and stderr, and returns the exit status. The GIL is released
/// while it runs.
#[pyfunction]
pub fn run_cli(py: Python<'_>, argv: Vec<OsString>) -> i32 {
    py.detach(move || hopx_cli::run(argv))
}
