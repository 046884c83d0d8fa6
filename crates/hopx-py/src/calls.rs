//! The core calls behind the static methods, shared by `Sandbox` and `AsyncSandbox`. Each
//! builds a client from the connection keywords (environment and config files are read here,
//! no network) and makes one core call.

use crate::options::{ConnectionArgs, CreateArgs};

pub(crate) async fn create(
    connection: ConnectionArgs,
    args: CreateArgs,
) -> hopx::Result<hopx::Sandbox> {
    let client = connection.client()?;
    client.create_sandbox(&args.into()).await
}

pub(crate) async fn connect(
    connection: ConnectionArgs,
    sandbox_id: String,
) -> hopx::Result<hopx::Sandbox> {
    let client = connection.client()?;
    client.connect_sandbox(&sandbox_id).await
}

/// A handle by id: no request.
pub(crate) fn by_id(connection: ConnectionArgs, sandbox_id: &str) -> hopx::Result<hopx::Sandbox> {
    connection.client()?.sandbox(sandbox_id)
}

pub(crate) async fn list(
    connection: ConnectionArgs,
    options: hopx::ListSandboxesOptions,
) -> hopx::Result<Vec<hopx::Sandbox>> {
    let client = connection.client()?;
    client.list_sandboxes(&options).await
}

/// A pager over every sandbox: no request until it is advanced.
pub(crate) fn pager(
    connection: ConnectionArgs,
    options: hopx::ListSandboxesOptions,
) -> hopx::Result<hopx::SandboxPager> {
    connection.client()?.iter_sandboxes(options)
}

pub(crate) async fn list_templates(
    connection: ConnectionArgs,
    options: hopx::ListTemplatesOptions,
) -> hopx::Result<Vec<hopx::Template>> {
    let client = connection.client()?;
    client.list_templates(&options).await
}

pub(crate) async fn get_template(
    connection: ConnectionArgs,
    name: String,
) -> hopx::Result<hopx::Template> {
    let client = connection.client()?;
    client.get_template(&name).await
}

pub(crate) async fn delete_template(
    connection: ConnectionArgs,
    template_id: String,
) -> hopx::Result<()> {
    let client = connection.client()?;
    client.delete_template(&template_id).await
}

/// `GET /health`; only the base URL and request timeout of the connection are used.
pub(crate) async fn health_check(
    connection: ConnectionArgs,
) -> hopx::Result<serde_json::Map<String, serde_json::Value>> {
    let options = connection.into_client_options()?;
    hopx::health_check(&options).await
}
