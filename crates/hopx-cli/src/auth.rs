//! `hopx auth login | status | logout`.

use serde::Serialize;

use hopx::config::SystemEnvironment;
use hopx::config_file::{ConfigDocument, Setting};
use hopx::{ApiKey, AuthHeader, Client, ClientOptions, ErrorCode, ListTemplatesOptions};

use crate::args::AuthCommand;
use crate::context::{Context, profile_origin_text};
use crate::exit;
use crate::failure::{CliResult, Failure, Report};
use crate::terminal::{self, Secret};
use crate::views::SourceView;

pub(crate) fn run(ctx: &Context<'_>, command: AuthCommand) -> CliResult {
    match command {
        AuthCommand::Login {
            with_key,
            no_verify,
        } => login(ctx, with_key, no_verify),
        AuthCommand::Status { no_verify } => status(ctx, no_verify),
        AuthCommand::Logout => logout(ctx),
    }
}

#[derive(Serialize)]
struct LoginView {
    profile: String,
    api_key: String,
    base_url: String,
    config_path: String,
    verified: bool,
    templates: Option<usize>,
}

fn login(ctx: &Context<'_>, with_key: bool, no_verify: bool) -> CliResult {
    let mut doc = ctx.config_document()?;
    let (profile, _) = ctx.profile(&doc)?;

    let raw = if let Some(key) = &ctx.global.api_key {
        key.clone()
    } else if with_key || !terminal::stdin_is_terminal() {
        terminal::read_stdin()
            .map_err(|e| Failure::usage(format!("Could not read the API key from stdin: {e}.")))?
    } else {
        ctx.out.note(&format!(
            "Paste your HopX API key for profile '{profile}' (input is hidden; keys are created in the HopX dashboard)."
        ));
        match terminal::read_hidden("API key: ") {
            Ok(Secret::Value(value)) => value,
            Ok(Secret::Aborted) => {
                ctx.out.note("Cancelled; nothing was stored.");
                return Err(Failure::Silent(exit::INTERRUPTED));
            }
            Err(e) => {
                return Err(Failure::usage(format!(
                    "Could not read the API key from the terminal: {e}."
                ))
                .hint("Pipe it in instead: hopx auth login --with-key < keyfile"));
            }
        }
    };
    let key = ApiKey::parse_from(&raw, "The API key", ctx.validate_keys())?;

    // The settings the key will be used with: --base-url, HOPX_BASE_URL, this profile's.
    let base_url = ctx
        .global
        .base_url
        .clone()
        .or_else(|| {
            std::env::var("HOPX_BASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .or_else(|| doc.get(&profile, Setting::BaseUrl));
    let auth_header = match std::env::var("HOPX_AUTH_HEADER")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| doc.get(&profile, Setting::AuthHeader))
    {
        Some(value) => AuthHeader::from_argument(&value)?,
        None => AuthHeader::default(),
    };
    let options = ClientOptions {
        api_key: Some(key.expose_secret().to_owned()),
        base_url,
        auth_header: Some(auth_header),
        validate_api_key: Some(ctx.validate_keys()),
        ..ctx.client_options()?
    };
    let config = hopx::config::resolve(&options, &NoConfigFile)?;
    let base_url = config.base_url.clone();

    let mut templates = None;
    if !no_verify {
        let client = Client::from_config(config)?;
        let spinner = ctx
            .out
            .spinner(&format!("Checking the key with {base_url}"));
        let listed = ctx.block_on(client.list_templates(&ListTemplatesOptions::default()));
        drop(spinner);
        match listed {
            Ok(list) => templates = Some(list.len()),
            Err(e) => {
                let rejected = exit::for_error_code(e.code()) == exit::AUTH;
                let mut failure = Failure::from(e);
                if let Failure::Error(report) = &mut failure {
                    report.message = if rejected {
                        format!(
                            "{base_url} did not accept the key {}: {} Nothing was stored.",
                            key.redacted(),
                            report.message
                        )
                    } else {
                        format!(
                            "Could not check the key with {base_url}: {} Nothing was stored.",
                            report.message
                        )
                    };
                    if !rejected {
                        report.hint = Some(
                            "Check the URL (--base-url) and your connection, or store the key unchecked with --no-verify.".to_owned(),
                        );
                    }
                }
                return Err(failure);
            }
        }
    }

    doc.set_api_key(&profile, &key)?;
    if let Some(url) = &ctx.global.base_url {
        doc.set(&profile, Setting::BaseUrl, url)?;
    }
    doc.save()?;

    let view = LoginView {
        profile: profile.clone(),
        api_key: key.redacted(),
        base_url: base_url.clone(),
        config_path: doc.path().display().to_string(),
        verified: templates.is_some(),
        templates,
    };
    ctx.out.show(&view, |out| {
        let c = out.colors;
        let checked = match templates {
            Some(n) => format!("accepted by {base_url} ({n} templates)"),
            None => "not checked (--no-verify)".to_owned(),
        };
        out.fields(&[
            ("logged in", c.green("yes")),
            ("profile", profile.clone()),
            ("api key", key.redacted()),
            ("api", checked),
            ("saved to", doc.path().display().to_string()),
        ])
    })?;
    if std::env::var_os("HOPX_API_KEY").is_some_and(|v| !v.is_empty()) {
        ctx.out.warn(
            "HOPX_API_KEY is set in this shell; it takes precedence over the stored key until you unset it.",
        );
    }
    Ok(())
}

/// The process environment without the config file: `auth login` checks the key with the
/// settings it computed itself, and must not fail on a profile that does not exist yet.
struct NoConfigFile;

impl hopx::config::Environment for NoConfigFile {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "HOPX_CONFIG_DIR" | "HOPX_PROFILE" => None,
            other => SystemEnvironment.var(other),
        }
    }
    fn current_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
    fn home_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
    fn read_file(&self, _path: &std::path::Path) -> std::io::Result<Option<String>> {
        Ok(None)
    }
}

#[derive(Serialize)]
struct StatusView {
    logged_in: bool,
    api_key: Option<String>,
    key_id: Option<String>,
    api_key_source: Option<SourceView>,
    base_url: Option<String>,
    base_url_source: Option<SourceView>,
    auth_header: Option<&'static str>,
    /// The proxy in use, password hidden ("none" without one).
    proxy: Option<String>,
    /// A PEM file of extra trusted CAs, when one is set.
    ca_bundle: Option<String>,
    profile: String,
    profile_source: &'static str,
    config_path: Option<String>,
    /// `true` accepted, `false` rejected, `null` not asked or not reachable.
    verified: Option<bool>,
    error: Option<Report>,
}

fn status(ctx: &Context<'_>, no_verify: bool) -> CliResult {
    // A broken config file is reported by the resolution below, with the core's message.
    let doc = ctx.config_document().ok();
    let (profile, origin) = match &doc {
        Some(doc) => ctx.profile(doc)?,
        // The file cannot be read: the flag and HOPX_PROFILE still decide.
        None => ConfigDocument::empty(std::path::Path::new(""))
            .select_profile(ctx.global.profile.as_deref(), &ctx.env),
    };
    let mut view = StatusView {
        logged_in: false,
        api_key: None,
        key_id: None,
        api_key_source: None,
        base_url: None,
        base_url_source: None,
        auth_header: None,
        proxy: None,
        ca_bundle: None,
        profile: profile.clone(),
        profile_source: origin.as_str(),
        config_path: ctx.config_path().ok().map(|p| p.display().to_string()),
        verified: None,
        error: None,
    };
    let mut exit_code = exit::OK;
    let mut human_key = String::new();
    let mut human_base = String::new();
    let resolved = hopx::config::resolve(&ctx.client_options()?, &ctx.env);
    match resolved {
        Err(e) => {
            let failure = Failure::from(e);
            exit_code = failure.exit_code();
            if let Failure::Error(report) = failure {
                view.error = Some(report);
            }
        }
        Ok(config) => {
            view.logged_in = true;
            view.api_key = Some(config.api_key.redacted());
            view.key_id = config.api_key.key_id().map(str::to_owned);
            view.api_key_source = Some(SourceView::new(&config.api_key_source));
            view.base_url = Some(config.base_url.clone());
            view.base_url_source = Some(SourceView::new(&config.base_url_source));
            view.auth_header = Some(config.auth_header.as_str());
            view.proxy = Some(config.transport.proxy_description());
            view.ca_bundle = config
                .transport
                .ca_bundle()
                .map(|path| path.display().to_string());
            human_key = format!(
                "{} (from {})",
                config.api_key.redacted(),
                SourceView::describe(&config.api_key_source, "--api-key")
            );
            human_base = format!(
                "{} (from {})",
                config.base_url,
                SourceView::describe(&config.base_url_source, "--base-url")
            );
            if !no_verify {
                let client = Client::from_config(config)?;
                let spinner = ctx.out.spinner("Asking the API");
                let listed = ctx.block_on(client.list_templates(&ListTemplatesOptions::default()));
                drop(spinner);
                match listed {
                    Ok(_) => view.verified = Some(true),
                    Err(e) => {
                        if exit::for_error_code(e.code()) == exit::AUTH
                            && e.code() != ErrorCode::ApiKeyMissing
                        {
                            view.verified = Some(false);
                        }
                        let failure = Failure::from(e);
                        exit_code = failure.exit_code();
                        if let Failure::Error(report) = failure {
                            view.error = Some(report);
                        }
                    }
                }
            }
        }
    }
    let shown = ctx.out.show(&view, |out| {
        let c = out.colors;
        let mut fields = vec![(
            "logged in",
            if view.logged_in {
                c.green("yes")
            } else {
                c.red("no")
            },
        )];
        if view.logged_in {
            fields.push(("api key", human_key.clone()));
            fields.push(("base url", human_base.clone()));
            fields.push((
                "auth header",
                match view.auth_header {
                    Some("x-api-key") => "X-API-Key".to_owned(),
                    _ => "Authorization: Bearer".to_owned(),
                },
            ));
            if let Some(proxy) = view.proxy.as_ref().filter(|p| *p != "none") {
                fields.push(("proxy", proxy.clone()));
            }
            if let Some(ca_bundle) = &view.ca_bundle {
                fields.push(("extra CAs", ca_bundle.clone()));
            }
        }
        fields.push((
            "profile",
            format!("{} ({})", view.profile, profile_origin_text(origin)),
        ));
        if let Some(path) = &view.config_path {
            fields.push(("config file", path.clone()));
        }
        if view.logged_in {
            fields.push((
                "api",
                match view.verified {
                    Some(true) => c.green("accepts the key"),
                    Some(false) => c.red("rejects the key"),
                    None if no_verify => "not asked (--no-verify)".to_owned(),
                    None => c.yellow("could not be asked"),
                },
            ));
        }
        out.fields(&fields)
    });
    shown?;
    match view.error {
        // The result above already says what is wrong; the error adds the core's words.
        Some(report) => {
            if ctx.out.format != crate::output::Format::Json {
                ctx.out.error(&report);
            }
            Err(Failure::Silent(exit_code))
        }
        None => Ok(()),
    }
}

#[derive(Serialize)]
struct LogoutView {
    profile: String,
    removed: bool,
    config_path: String,
}

fn logout(ctx: &Context<'_>) -> CliResult {
    let mut doc: ConfigDocument = ctx.config_document()?;
    let (profile, _) = ctx.profile(&doc)?;
    let removed = doc.unset(&profile, Setting::ApiKey);
    if removed {
        doc.save()?;
    }
    let view = LogoutView {
        profile: profile.clone(),
        removed,
        config_path: doc.path().display().to_string(),
    };
    ctx.out.show(&view, |out| {
        if removed {
            out.line(&format!(
                "Logged out: removed the API key of profile '{profile}' from {}.",
                doc.path().display()
            ))
        } else {
            out.line(&format!(
                "Profile '{profile}' has no stored API key; nothing to do."
            ))
        }
    })?;
    if std::env::var_os("HOPX_API_KEY").is_some_and(|v| !v.is_empty()) {
        ctx.out
            .warn("HOPX_API_KEY is still set in this shell, so commands still have a key.");
    }
    Ok(())
}
