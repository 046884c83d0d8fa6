//! The global options turned into the core's options, the client, and the config file.

use std::future::Future;
use std::path::PathBuf;

use hopx::config::SystemEnvironment;
use hopx::config_file::{ConfigDocument, ProfileOrigin};
use hopx::{Client, ClientOptions};

use crate::args::GlobalArgs;
use crate::failure::{CliResult, Failure};
use crate::output::Out;

/// What every command needs.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub global: GlobalArgs,
    pub out: &'a Out,
    pub env: SystemEnvironment,
}

impl<'a> Context<'a> {
    pub fn new(global: GlobalArgs, out: &'a Out) -> Context<'a> {
        Context {
            global,
            out,
            env: SystemEnvironment,
        }
    }

    /// The core's options from the global flags; everything unset is resolved by the core
    /// (environment, `.env`, config file).
    pub fn client_options(&self) -> CliResult<ClientOptions> {
        let request_timeout = match self.global.request_timeout {
            Some(seconds) => Some(hopx::config::seconds_argument(
                "--request-timeout",
                seconds,
            )?),
            None => None,
        };
        Ok(ClientOptions {
            api_key: self.global.api_key.clone(),
            base_url: self.global.base_url.clone(),
            profile: self.global.profile.clone(),
            request_timeout,
            user_agent: Some(format!("hopx-cli/{}", hopx::VERSION)),
            ..Default::default()
        })
    }

    /// A client for the resolved configuration (fails without a usable key).
    pub fn client(&self) -> CliResult<Client> {
        Ok(Client::new(self.client_options()?)?)
    }

    /// The config file's path.
    pub fn config_path(&self) -> CliResult<PathBuf> {
        hopx::config_file::config_path(&self.env).ok_or_else(|| {
            Failure::usage(
                "Cannot tell where the config file is: neither HOPX_CONFIG_DIR nor HOME is set.",
            )
            .hint("Set HOPX_CONFIG_DIR to a directory for the config file.")
        })
    }

    /// The config file, parsed for reading or editing.
    pub fn config_document(&self) -> CliResult<ConfigDocument> {
        Ok(ConfigDocument::load(&self.config_path()?)?)
    }

    /// The profile in use and why: `--profile`, `HOPX_PROFILE`, the file's default, `default`.
    pub fn profile(&self, doc: &ConfigDocument) -> CliResult<(String, ProfileOrigin)> {
        let (name, origin) = doc.select_profile(self.global.profile.as_deref(), &self.env);
        hopx::config_file::check_profile_name(&name)?;
        Ok((name, origin))
    }

    /// Whether the key format check is on (`HOPX_VALIDATE_API_KEY=0` turns it off).
    pub fn validate_keys(&self) -> bool {
        !matches!(
            std::env::var("HOPX_VALIDATE_API_KEY")
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
                .as_str(),
            "0" | "false" | "no" | "off"
        )
    }

    /// Runs a core call to completion on the process-wide runtime (the one the Python and
    /// Node bindings use too, so the connection pool outlives this command).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        hopx::runtime::shared().block_on(future)
    }
}

/// A one-word description of where a profile choice came from.
pub(crate) fn profile_origin_text(origin: ProfileOrigin) -> &'static str {
    match origin {
        ProfileOrigin::Argument => "--profile",
        ProfileOrigin::EnvVar => "HOPX_PROFILE",
        ProfileOrigin::FileDefault => "default_profile in the config file",
        ProfileOrigin::BuiltIn => "built-in default",
    }
}

/// `NAME=VALUE` pairs from `-e`.
pub(crate) fn env_pairs(
    pairs: &[String],
) -> CliResult<Option<std::collections::BTreeMap<String, String>>> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut vars = std::collections::BTreeMap::new();
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            let name: String = pair.chars().take(60).collect();
            return Err(Failure::usage(format!(
                "-e/--env takes NAME=VALUE, but '{name}' has no '='."
            )));
        };
        if name.is_empty() {
            return Err(Failure::usage("-e/--env: the variable name is empty."));
        }
        vars.insert(name.to_owned(), value.to_owned());
    }
    Ok(Some(vars))
}
