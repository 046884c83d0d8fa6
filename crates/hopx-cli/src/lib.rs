//! `hopx`, the HopX command line: API keys and profiles, sandboxes, templates, code runs and
//! the local server. The one implementation behind the `hopx` binary (cargo), the `hopx`
//! console script of the `hopx_ai` Python package and the `hopx` bin of the `@hopx-ai/sdk`
//! npm package: each of them calls [`run`] with its command line.
//!
//! - [`args`]: the command line (clap).
//! - `auth`, `config`, `sandbox`, `template`, `local`, `run_code`: one module per command group.
//! - `context`: global options → the core's `ClientOptions`, and the client.
//! - `output`: tables, JSON and plain output, colors, the spinner; `views`: the JSON shapes.
//! - [`exit`]: the exit statuses and the one mapping from the core's error codes.
//!
//! Everything with logic that an SDK user could also need (key checks, config resolution and
//! the config file's write side) lives in the `hopx` core.

pub mod args;
mod auth;
mod config;
mod context;
pub mod exit;
mod failure;
#[cfg(feature = "local")]
mod local;
mod output;
mod run_code;
mod sandbox;
mod template;
mod terminal;
mod views;

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};
use crate::context::Context;
use crate::failure::{CliResult, Failure};
use crate::output::Out;

/// Runs the `hopx` command line `args` (the first item is the program name) with the real
/// stdin, stdout and stderr, and returns the exit status (see [`exit`]).
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `hopx local ...` goes to hopx-local's own parser, whose flags (such as --api-key)
    // would clash with the global ones.
    #[cfg(feature = "local")]
    if args.get(1).is_some_and(|a| a == "local") {
        let out = Out::new(output::Format::Table, false);
        return finish(&out, local::run(args[2..].to_vec()));
    }
    let cli = match Cli::try_parse_from(args.iter().cloned()) {
        Ok(cli) => cli,
        Err(err) => return parse_error(err),
    };
    let out = Out::new(cli.global.output, cli.global.no_color);
    let result = dispatch(cli, &args, &out);
    finish(&out, result)
}

fn finish(out: &Out, result: CliResult) -> i32 {
    match result {
        Ok(()) => exit::OK,
        Err(Failure::Silent(code)) => code,
        Err(Failure::Error(report)) => {
            out.error(&report);
            report.exit_code
        }
    }
}

/// Prints clap's message (help and version on stdout, errors on stderr) and returns its
/// status: 0 for help and version, 2 for usage errors. A message that would quote an API key
/// (one given without `--api-key` before it) is replaced.
fn parse_error(err: clap::Error) -> i32 {
    let rendered = err.render().to_string();
    if err.use_stderr() && rendered.contains("hopx_live_") {
        eprintln!(
            "error: invalid command line (not shown: it would print an API key). Give a key only \
             with --api-key, HOPX_API_KEY, or `hopx auth login`; see hopx --help."
        );
        return exit::USAGE;
    }
    let _ = err.print();
    if err.use_stderr() {
        exit::USAGE
    } else {
        exit::OK
    }
}

fn dispatch(cli: Cli, args: &[OsString], out: &Out) -> CliResult {
    let command = cli.command;
    match command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut command, "hopx", &mut buffer);
            out.line(String::from_utf8_lossy(&buffer).trim_end())
        }
        #[cfg(feature = "local")]
        Command::Local(_) => {
            // Global options came before `local`: hand hopx-local what follows it.
            let at = args.iter().position(|a| a == "local").unwrap_or(args.len());
            local::run(args.get(at + 1..).unwrap_or_default().to_vec())
        }
        other => {
            let ctx = Context::new(cli.global, out);
            match other {
                Command::Auth(command) => auth::run(&ctx, command),
                Command::Config(command) => config::run(&ctx, command),
                Command::Sandbox(command) => sandbox::run(&ctx, command),
                Command::Template(command) => template::run(&ctx, command),
                Command::Run(args) => run_code::run(&ctx, args),
                Command::Completions { .. } => Ok(()),
                #[cfg(feature = "local")]
                Command::Local(_) => Ok(()),
            }
        }
    }
}
