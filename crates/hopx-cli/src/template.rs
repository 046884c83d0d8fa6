//! `hopx template list | info`.

use hopx::ListTemplatesOptions;

use crate::args::TemplateCommand;
use crate::context::Context;
use crate::failure::CliResult;
use crate::views::TemplateView;

pub(crate) fn run(ctx: &Context<'_>, command: TemplateCommand) -> CliResult {
    let client = ctx.client()?;
    match command {
        TemplateCommand::List { category, language } => {
            let options = ListTemplatesOptions { category, language };
            let templates = ctx.block_on(client.list_templates(&options))?;
            let views: Vec<TemplateView> = templates.iter().map(TemplateView::from).collect();
            ctx.out.show(&views, |out| {
                let rows: Vec<Vec<String>> = views.iter().map(TemplateView::row).collect();
                out.table(TemplateView::HEADERS, &rows)
            })
        }
        TemplateCommand::Info { name } => {
            let template = ctx.block_on(client.get_template(&name))?;
            let view = TemplateView::from(&template);
            ctx.out.show(&view, |out| out.fields(&view.fields()))
        }
    }
}
