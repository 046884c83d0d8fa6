//! The `hopx-local` command: parses flags and runs [`hopx_local::cli`], which settles the API
//! key, starts the server, prints one JSON ready line on stdout, and stops on SIGINT/SIGTERM
//! (or when stdin closes / the lifetime runs out, for test harnesses). `hopx local` runs the
//! same code.

use std::process::ExitCode;

use clap::Parser;
use hopx_local::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap quotes unexpected arguments back, e.g. a key given without
            // --api-key in front of it; never let that print a key.
            if cli::error_would_print_a_key(&err) {
                eprintln!("hopx-local: {}", cli::KEY_IN_COMMAND_LINE);
                return ExitCode::from(cli::USAGE_ERROR);
            }
            err.exit();
        }
    };
    ExitCode::from(cli::run_blocking(cli))
}
