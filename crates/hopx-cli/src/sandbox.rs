//! `hopx sandbox create | list | info | kill | pause | resume | timeout | connect`.
//!
//! Unlike the official CLI, `info`, `kill`, `pause` and `resume` act on the sandbox directly:
//! they never resume a paused sandbox as a side effect, and a stopped one can be killed.

use serde::Serialize;

use hopx::{Client, CreateSandboxOptions, ListSandboxesOptions, SandboxInfo};

use crate::args::{CreateArgs, SandboxCommand};
use crate::context::{Context, env_pairs};
use crate::failure::{CliResult, Failure, Report};
use crate::views::SandboxView;

pub(crate) fn run(ctx: &Context<'_>, command: SandboxCommand) -> CliResult {
    let client = ctx.client()?;
    match command {
        SandboxCommand::Create(args) => create(ctx, &client, args),
        SandboxCommand::List {
            status,
            region,
            limit,
        } => list(ctx, &client, status, region, limit),
        SandboxCommand::Info { id } => {
            let info = ctx.block_on(client.get_sandbox_info(&id))?;
            show_one(ctx, &info)
        }
        SandboxCommand::Kill { ids } => kill(ctx, &client, &ids),
        SandboxCommand::Pause { id } => {
            let sandbox = client.sandbox(&id)?;
            let spinner = ctx.out.spinner(&format!("Pausing {id}"));
            let info = ctx.block_on(async {
                sandbox.pause().await?;
                sandbox.get_info().await
            });
            drop(spinner);
            show_one(ctx, &info?)
        }
        SandboxCommand::Resume { id } => {
            let sandbox = client.sandbox(&id)?;
            let spinner = ctx.out.spinner(&format!("Resuming {id}"));
            let info = ctx.block_on(async {
                sandbox.resume().await?;
                sandbox.get_info().await
            });
            drop(spinner);
            show_one(ctx, &info?)
        }
        SandboxCommand::Timeout { id, seconds } => {
            let sandbox = client.sandbox(&id)?;
            let info = ctx.block_on(async {
                sandbox.set_timeout(seconds).await?;
                sandbox.get_info().await
            })?;
            show_one(ctx, &info)
        }
        SandboxCommand::Connect { id } => {
            let spinner = ctx.out.spinner(&format!("Connecting to {id}"));
            let sandbox = ctx.block_on(client.connect_sandbox(&id));
            drop(spinner);
            show_one(ctx, &sandbox?.info())
        }
    }
}

fn show_one(ctx: &Context<'_>, info: &SandboxInfo) -> CliResult {
    let view = SandboxView::from(info);
    ctx.out.show(&view, |out| out.fields(&view.fields()))
}

/// The template of a new sandbox: `--template` / `--template-id`, else `HOPX_DEFAULT_TEMPLATE`,
/// else the profile's `default_template`, else `fallback`.
pub(crate) fn template_for_create(
    ctx: &Context<'_>,
    template: Option<String>,
    fallback: Option<&str>,
) -> CliResult<Option<String>> {
    if template.is_some() {
        return Ok(template);
    }
    let configured =
        hopx::config::resolve_default_template(&ctx.client_options()?, &ctx.env)?.map(|(t, _)| t);
    Ok(configured.or_else(|| fallback.map(str::to_owned)))
}

fn create(ctx: &Context<'_>, client: &Client, args: CreateArgs) -> CliResult {
    let template = if args.template_id.is_some() {
        None
    } else {
        template_for_create(ctx, args.template, None)?
    };
    if template.is_none() && args.template_id.is_none() {
        return Err(Failure::usage("No template given.").hint(
            "Pass --template NAME (`hopx template list` lists them), or set a default: hopx config set default_template code-interpreter",
        ));
    }
    let options = CreateSandboxOptions {
        template,
        template_id: args.template_id,
        region: args.region,
        timeout_seconds: args.timeout,
        internet_access: args.no_internet.then_some(false),
        env_vars: env_pairs(&args.env)?,
    };
    let spinner = ctx.out.spinner("Creating a sandbox");
    let sandbox = ctx.block_on(client.create_sandbox(&options));
    drop(spinner);
    show_one(ctx, &sandbox?.info())
}

fn list(
    ctx: &Context<'_>,
    client: &Client,
    status: Option<String>,
    region: Option<String>,
    limit: Option<i64>,
) -> CliResult {
    let options = ListSandboxesOptions {
        status,
        region,
        limit,
    };
    let views: Vec<SandboxView> = ctx.block_on(async {
        if limit.is_some() {
            let page = client.list_sandboxes(&options).await?;
            return Ok::<_, hopx::Error>(
                page.iter().map(|s| SandboxView::from(&s.info())).collect(),
            );
        }
        let mut pager = client.iter_sandboxes(options)?;
        let mut views = Vec::new();
        while let Some(sandbox) = pager.next().await? {
            views.push(SandboxView::from(&sandbox.info()));
        }
        Ok(views)
    })?;
    ctx.out.show(&views, |out| {
        if views.is_empty() && out.format == crate::output::Format::Table {
            out.note("No sandboxes.");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = views.iter().map(SandboxView::row).collect();
        out.table(SandboxView::HEADERS, &rows)
    })
}

#[derive(Serialize)]
struct KillView {
    id: String,
    killed: bool,
    error: Option<Report>,
}

fn kill(ctx: &Context<'_>, client: &Client, ids: &[String]) -> CliResult {
    let mut views = Vec::new();
    let mut exit_code = crate::exit::OK;
    for id in ids {
        let spinner = ctx.out.spinner(&format!("Killing {id}"));
        let result = ctx.block_on(client.kill_sandbox(id));
        drop(spinner);
        match result {
            Ok(()) => views.push(KillView {
                id: id.clone(),
                killed: true,
                error: None,
            }),
            Err(e) => {
                let failure = Failure::from(e);
                exit_code = failure.exit_code();
                let report = match failure {
                    Failure::Error(report) => Some(report),
                    Failure::Silent(_) => None,
                };
                views.push(KillView {
                    id: id.clone(),
                    killed: false,
                    error: report,
                });
            }
        }
    }
    ctx.out.show(&views, |out| {
        for view in &views {
            if view.killed {
                out.line(&format!("Killed {}", view.id))?;
            }
        }
        Ok(())
    })?;
    if exit_code == crate::exit::OK {
        return Ok(());
    }
    if ctx.out.format != crate::output::Format::Json {
        for view in &views {
            if let Some(report) = &view.error {
                ctx.out.error(report);
            }
        }
    }
    Err(Failure::Silent(exit_code))
}
