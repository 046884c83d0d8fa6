//! `hopx run`: code from an argument, a file or stdin, run in a new sandbox (killed afterwards,
//! unless `--keep`) or in a given one.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use hopx::{CreateSandboxOptions, ExecutionResult, RunCodeOptions, Sandbox};

use crate::args::RunArgs;
use crate::context::{Context, env_pairs};
use crate::exit;
use crate::failure::{CliResult, Failure};
use crate::sandbox::template_for_create;
use crate::terminal;

/// The template of a new sandbox when nothing else names one.
const FALLBACK_TEMPLATE: &str = "code-interpreter";

#[derive(Serialize)]
struct RunView {
    sandbox_id: String,
    created: bool,
    killed: bool,
    language: String,
    stdout: String,
    stderr: String,
    exit_code: i64,
    success: bool,
    execution_time: Option<f64>,
    rich_outputs: Vec<RichOutputView>,
}

#[derive(Serialize)]
struct RichOutputView {
    mime_type: String,
    data: serde_json::Value,
}

fn language_for(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "py" => Some("python"),
        "js" | "mjs" | "cjs" => Some("javascript"),
        "ts" => Some("typescript"),
        "sh" | "bash" => Some("bash"),
        "go" => Some("go"),
        _ => None,
    }
}

pub(crate) fn run(ctx: &Context<'_>, args: RunArgs) -> CliResult {
    let (code, file_language) = match (&args.code, &args.file) {
        (Some(code), None) if code != "-" => (code.clone(), None),
        (None, Some(path)) => {
            let code = std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("Could not read {}: {e}.", path.display())))?;
            (code, language_for(path))
        }
        _ => {
            if args.code.is_none() && terminal::stdin_is_terminal() {
                return Err(Failure::usage("No code given.").hint(
                    "Pass it as an argument (hopx run 'print(1)'), a file (--file script.py), or on stdin (hopx run - < script.py).",
                ));
            }
            let code = terminal::read_stdin()
                .map_err(|e| Failure::usage(format!("Could not read the code from stdin: {e}.")))?;
            (code, None)
        }
    };
    if code.trim().is_empty() {
        return Err(Failure::usage("The code to run is empty."));
    }
    let language = args
        .language
        .clone()
        .or_else(|| file_language.map(str::to_owned))
        .unwrap_or_else(|| hopx::DEFAULT_LANGUAGE.to_owned());
    let timeout = args
        .timeout
        .map(Duration::from_secs)
        .unwrap_or(hopx::DEFAULT_EXECUTION_TIMEOUT);
    let options = RunCodeOptions {
        language: language.clone(),
        timeout,
        env: env_pairs(&args.env)?,
        working_dir: args
            .workdir
            .clone()
            .unwrap_or_else(|| hopx::DEFAULT_WORKING_DIR.to_owned()),
    };
    let client = ctx.client()?;

    let (sandbox, created) = match &args.sandbox {
        Some(id) => {
            let spinner = ctx.out.spinner(&format!("Connecting to {id}"));
            let sandbox = ctx.block_on(client.connect_sandbox(id));
            drop(spinner);
            (sandbox?, false)
        }
        None => {
            let template =
                template_for_create(ctx, args.template.clone(), Some(FALLBACK_TEMPLATE))?;
            let create = CreateSandboxOptions {
                template,
                // A sandbox left behind (Ctrl-C) goes away by itself.
                timeout_seconds: (!args.keep)
                    .then(|| (timeout.as_secs() as i64).saturating_add(300).max(600)),
                ..Default::default()
            };
            let spinner = ctx.out.spinner("Creating a sandbox");
            let sandbox = ctx.block_on(client.create_sandbox(&create));
            drop(spinner);
            (sandbox?, true)
        }
    };

    let spinner = ctx
        .out
        .spinner(&format!("Running {language} in {}", sandbox.id()));
    let result = ctx.block_on(sandbox.run_code(&code, &options));
    drop(spinner);

    let killed = created && !args.keep && kill_quietly(ctx, &sandbox);
    if created && args.keep {
        ctx.out.note(&format!(
            "Kept sandbox {} (hopx sandbox kill {0} removes it).",
            sandbox.id()
        ));
    }
    let result: ExecutionResult = result?;
    let view = RunView {
        sandbox_id: sandbox.id().to_owned(),
        created,
        killed,
        language,
        stdout: result.stdout.clone(),
        stderr: result.stderr.clone(),
        exit_code: result.exit_code,
        success: result.success,
        execution_time: result.execution_time,
        rich_outputs: result
            .rich_outputs
            .iter()
            .map(|r| RichOutputView {
                mime_type: r.mime_type.clone(),
                data: r.data.clone(),
            })
            .collect(),
    };
    ctx.out.show(&view, |_| {
        use std::io::Write;
        std::io::stdout().lock().write_all(view.stdout.as_bytes())?;
        std::io::stdout().lock().flush()?;
        let _ = std::io::stderr().lock().write_all(view.stderr.as_bytes());
        for output in &view.rich_outputs {
            ctx.out.note(&format!(
                "[{} output not shown; use -o json to get it]",
                output.mime_type
            ));
        }
        Ok(())
    })?;
    if result.success {
        Ok(())
    } else {
        Err(Failure::Silent(exit::FAILURE))
    }
}

/// Kills a sandbox made for this run; a failure is a warning, not the run's result.
fn kill_quietly(ctx: &Context<'_>, sandbox: &Sandbox) -> bool {
    match ctx.block_on(sandbox.kill()) {
        Ok(()) => true,
        Err(e) => {
            ctx.out.warn(&format!(
                "Could not kill sandbox {}: {} It expires by itself.",
                sandbox.id(),
                e.message()
            ));
            false
        }
    }
}
