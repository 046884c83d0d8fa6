//! `hopx local`: the hopx-local server in this process, with hopx-local's own flags and
//! behaviour (one JSON ready line on stdout, logs on stderr, stops on Ctrl-C/SIGTERM).

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};
use hopx_local::cli::{self, Cli};

use crate::exit;
use crate::failure::{CliResult, Failure};

/// Parses `args` (everything after `local`) with hopx-local's parser and runs the server.
pub(crate) fn run(args: Vec<OsString>) -> CliResult {
    let command = Cli::command()
        .name("local")
        .bin_name("hopx local")
        .about("A local HopX server on 127.0.0.1 (the same as hopx-local), for offline development and tests.");
    let argv = std::iter::once(OsString::from("hopx local")).chain(args);
    let parsed = command
        .try_get_matches_from(argv)
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            if cli::error_would_print_a_key(&err) {
                eprintln!("hopx local: {}", cli::KEY_IN_COMMAND_LINE);
                return Err(Failure::Silent(exit::USAGE));
            }
            let _ = err.print();
            return Err(Failure::Silent(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            }));
        }
    };
    match cli::run_blocking(cli) {
        0 => Ok(()),
        code => Err(Failure::Silent(i32::from(code))),
    }
}
