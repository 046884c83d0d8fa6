//! The `hopx` binary: the command line in [`hopx_cli::run`].

fn main() {
    std::process::exit(hopx_cli::run(std::env::args_os()));
}
