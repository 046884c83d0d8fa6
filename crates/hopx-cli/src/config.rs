//! `hopx config set | get | unset | list | path | profiles ...`: the config file, edited
//! through the core's [`ConfigDocument`] (atomic writes, mode 0600).

use serde::Serialize;

use hopx::ApiKey;
use hopx::config_file::{ConfigDocument, Setting};

use crate::args::{ConfigCommand, ProfilesCommand, SettingName};
use crate::context::{Context, profile_origin_text};
use crate::failure::{CliResult, Failure};
use crate::terminal;

pub(crate) fn run(ctx: &Context<'_>, command: ConfigCommand) -> CliResult {
    match command {
        ConfigCommand::Set { key, value } => set(ctx, key, &value),
        ConfigCommand::Get { key, reveal } => get(ctx, key, reveal),
        ConfigCommand::Unset { key } => unset(ctx, key),
        ConfigCommand::List { reveal } => list(ctx, reveal),
        ConfigCommand::Path => path(ctx),
        ConfigCommand::Profiles(command) => profiles(ctx, command),
    }
}

/// The API key as shown: `hopx_live_<keyId>.****` (`****` for keys of another shape).
pub(crate) fn masked_key(value: &str) -> String {
    ApiKey::parse_from(value, "The API key", false)
        .map(|k| k.redacted())
        .unwrap_or_else(|_| "****".to_owned())
}

fn shown(setting: Setting, value: &str, reveal: bool) -> String {
    if setting.is_secret() && !reveal {
        masked_key(value)
    } else {
        value.to_owned()
    }
}

#[derive(Serialize)]
struct SettingView {
    profile: String,
    key: &'static str,
    value: Option<String>,
    config_path: String,
}

fn set(ctx: &Context<'_>, key: SettingName, value: &str) -> CliResult {
    let setting = key.setting();
    let value = if value == "-" {
        terminal::read_stdin()
            .map_err(|e| Failure::usage(format!("Could not read the value from stdin: {e}.")))?
    } else {
        value.to_owned()
    };
    let mut doc = ctx.config_document()?;
    let (profile, _) = ctx.profile(&doc)?;
    let created = if setting == Setting::ApiKey {
        let key = ApiKey::parse_from(&value, "The API key", ctx.validate_keys())?;
        doc.set_api_key(&profile, &key)?
    } else {
        doc.set(&profile, setting, &value)?
    };
    doc.save()?;
    let stored = doc.get(&profile, setting).unwrap_or_default();
    let view = SettingView {
        profile: profile.clone(),
        key: setting.as_str(),
        value: Some(shown(setting, &stored, false)),
        config_path: doc.path().display().to_string(),
    };
    if created {
        ctx.out.note(&format!(
            "Created profile '{profile}' in {}.",
            doc.path().display()
        ));
    }
    ctx.out.show(&view, |out| {
        out.line(&format!(
            "Set {setting} = {} in profile '{profile}'.",
            shown(setting, &stored, false)
        ))
    })
}

fn get(ctx: &Context<'_>, key: SettingName, reveal: bool) -> CliResult {
    let setting = key.setting();
    let doc = ctx.config_document()?;
    let (profile, _) = ctx.profile(&doc)?;
    let Some(value) = doc.get(&profile, setting) else {
        let why = if doc.has_profile(&profile) {
            format!(
                "{setting} is not set in profile '{profile}' of {}.",
                doc.path().display()
            )
        } else if doc.existed() {
            return Err(doc.no_such_profile(&profile).into());
        } else {
            format!(
                "{} does not exist yet, so {setting} is not set.",
                doc.path().display()
            )
        };
        return Err(Failure::not_found(why)
            .hint(format!("Set it with `hopx config set {setting} <value>`.")));
    };
    let value = shown(setting, &value, reveal);
    let view = SettingView {
        profile,
        key: setting.as_str(),
        value: Some(value.clone()),
        config_path: doc.path().display().to_string(),
    };
    ctx.out.show(&view, |out| out.line(&value))
}

#[derive(Serialize)]
struct UnsetView {
    profile: String,
    key: &'static str,
    removed: bool,
    config_path: String,
}

fn unset(ctx: &Context<'_>, key: SettingName) -> CliResult {
    let setting = key.setting();
    let mut doc = ctx.config_document()?;
    let (profile, _) = ctx.profile(&doc)?;
    let removed = doc.unset(&profile, setting);
    if removed {
        doc.save()?;
    }
    let view = UnsetView {
        profile: profile.clone(),
        key: setting.as_str(),
        removed,
        config_path: doc.path().display().to_string(),
    };
    ctx.out.show(&view, |out| {
        out.line(&if removed {
            format!("Removed {setting} from profile '{profile}'.")
        } else {
            format!("{setting} was not set in profile '{profile}'; nothing to do.")
        })
    })
}

#[derive(Serialize)]
struct ListView {
    profile: String,
    profile_source: &'static str,
    config_path: String,
    exists: bool,
    settings: serde_json::Map<String, serde_json::Value>,
}

fn list(ctx: &Context<'_>, reveal: bool) -> CliResult {
    let doc = ctx.config_document()?;
    let (profile, origin) = ctx.profile(&doc)?;
    let mut settings = serde_json::Map::new();
    let mut rows = Vec::new();
    for setting in Setting::ALL {
        let value = doc
            .get(&profile, *setting)
            .map(|v| shown(*setting, &v, reveal));
        rows.push(vec![
            setting.as_str().to_owned(),
            value.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
        settings.insert(
            setting.as_str().to_owned(),
            value.map_or(serde_json::Value::Null, serde_json::Value::String),
        );
    }
    let view = ListView {
        profile: profile.clone(),
        profile_source: origin.as_str(),
        config_path: doc.path().display().to_string(),
        exists: doc.existed(),
        settings,
    };
    ctx.out.show(&view, |out| {
        if out.format == crate::output::Format::Table {
            out.note(&format!(
                "Profile '{profile}' ({}) in {}{}",
                profile_origin_text(origin),
                doc.path().display(),
                if doc.existed() {
                    ""
                } else {
                    " (not created yet)"
                }
            ));
        }
        out.table(&["KEY", "VALUE"], &rows)
    })
}

#[derive(Serialize)]
struct PathView {
    config_path: String,
    exists: bool,
}

fn path(ctx: &Context<'_>) -> CliResult {
    let path = ctx.config_path()?;
    let view = PathView {
        config_path: path.display().to_string(),
        exists: path.exists(),
    };
    ctx.out.show(&view, |out| out.line(&view.config_path))
}

#[derive(Serialize)]
struct ProfileView {
    name: String,
    default: bool,
    in_use: bool,
    api_key: Option<String>,
    base_url: Option<String>,
    default_template: Option<String>,
}

#[derive(Serialize)]
struct ProfileChangeView {
    profile: String,
    action: &'static str,
    changed: bool,
    default_profile: Option<String>,
    config_path: String,
}

fn profiles(ctx: &Context<'_>, command: ProfilesCommand) -> CliResult {
    let mut doc: ConfigDocument = ctx.config_document()?;
    let change = |doc: &ConfigDocument, name: &str, action, changed| ProfileChangeView {
        profile: name.to_owned(),
        action,
        changed,
        default_profile: doc.default_profile(),
        config_path: doc.path().display().to_string(),
    };
    match command {
        ProfilesCommand::List => {
            let (in_use, _) = ctx.profile(&doc)?;
            let default = doc
                .default_profile()
                .unwrap_or_else(|| hopx::config_file::DEFAULT_PROFILE.to_owned());
            let views: Vec<ProfileView> = doc
                .profile_names()
                .into_iter()
                .map(|name| ProfileView {
                    default: name == default,
                    in_use: name == in_use,
                    api_key: doc.get(&name, Setting::ApiKey).map(|k| masked_key(&k)),
                    base_url: doc.get(&name, Setting::BaseUrl),
                    default_template: doc.get(&name, Setting::DefaultTemplate),
                    name,
                })
                .collect();
            ctx.out.show(&views, |out| {
                let rows: Vec<Vec<String>> = views
                    .iter()
                    .map(|p| {
                        vec![
                            format!("{}{}", if p.in_use { "* " } else { "  " }, p.name)
                                .trim_start()
                                .to_owned(),
                            if p.default { "yes" } else { "" }.to_owned(),
                            crate::output::cell(p.api_key.as_deref()),
                            crate::output::cell(p.base_url.as_deref()),
                        ]
                    })
                    .collect();
                if views.is_empty() && out.format == crate::output::Format::Table {
                    out.note("No profiles yet: `hopx auth login` creates one.");
                    return Ok(());
                }
                out.table(&["PROFILE", "DEFAULT", "API KEY", "BASE URL"], &rows)
            })
        }
        ProfilesCommand::Use { name } => {
            doc.set_default_profile(&name)?;
            doc.save()?;
            let view = change(&doc, &name, "use", true);
            ctx.out.show(&view, |out| {
                out.line(&format!("Profile '{name}' is now the default."))
            })?;
            if let Ok(env_profile) = std::env::var("HOPX_PROFILE")
                && !env_profile.trim().is_empty()
                && env_profile.trim() != name
            {
                ctx.out.warn(&format!(
                    "HOPX_PROFILE={env_profile} is set in this shell and takes precedence."
                ));
            }
            Ok(())
        }
        ProfilesCommand::Create { name } => {
            if !doc.create_profile(&name)? {
                return Err(Failure::usage(format!(
                    "Profile '{name}' already exists in {}.",
                    doc.path().display()
                )));
            }
            doc.save()?;
            let view = change(&doc, &name, "create", true);
            ctx.out.show(&view, |out| {
                out.line(&format!(
                    "Created profile '{name}'. Store a key in it with: hopx auth login --profile {name}"
                ))
            })
        }
        ProfilesCommand::Delete { name } => {
            if !doc.delete_profile(&name) {
                return Err(doc.no_such_profile(&name).into());
            }
            doc.save()?;
            let view = change(&doc, &name, "delete", true);
            ctx.out
                .show(&view, |out| out.line(&format!("Deleted profile '{name}'.")))
        }
    }
}
