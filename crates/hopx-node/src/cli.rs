//! `runCli(argv)`: the `hopx` command line, for the `hopx` bin of the npm package
//! (`js/cli.js`). The CLI is the Rust one (`hopx-cli`), not a second implementation.

use napi_derive::napi;

/// Runs the `hopx` command line with `argv` (`argv[0]` is the program name) on the process's
/// real stdin, stdout and stderr, and returns the exit status. Synchronous: it blocks the
/// JavaScript thread until the command ends, which is what a command line wants.
#[napi]
pub fn run_cli(argv: Vec<String>) -> i32 {
    hopx_cli::run(argv)
}
