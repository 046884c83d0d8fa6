//! The config file's write side: what `hopx auth login` and `hopx config ...` change.
//!
//! The read side ([`crate::config`]) turns the file into settings; this module edits it. Both
//! agree on one format:
//!
//! ```toml
//! default_profile = "default"
//! [profiles.default]
//! api_key = "hopx_live_..."
//! base_url = "https://api.hopx.dev"   # optional
//! auth_header = "bearer"              # optional: "bearer" or "x-api-key"
//! default_template = "code-interpreter" # optional
//! ```
//!
//! Edits keep everything else in the file: other profiles, unknown keys, comments and layout.
//! Writes are atomic: the new contents go to a temporary file in the same directory, created
//! with mode 0600 from its first byte, flushed to disk, then renamed over the old file; a
//! crash leaves either the old file or the new one, never a half-written one, and the key is
//! never readable by other users, not even for a moment. A missing directory is created with
//! mode 0700.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use crate::config::{AuthHeader, Environment};
use crate::error::{Error, ErrorCode, Result};
use crate::key::ApiKey;

/// The file name inside the config directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// The profile used when neither the caller, `HOPX_PROFILE` nor the file names one.
pub const DEFAULT_PROFILE: &str = "default";
/// The longest profile name accepted.
pub const MAX_PROFILE_NAME_LEN: usize = 64;

/// `$HOPX_CONFIG_DIR/config.toml`, else `~/.hopx/config.toml`; `None` when neither
/// `HOPX_CONFIG_DIR` nor the home directory is known.
pub fn config_path(env: &dyn Environment) -> Option<PathBuf> {
    env.var("HOPX_CONFIG_DIR")
        .filter(|d| !d.trim().is_empty())
        .map(PathBuf::from)
        .or_else(|| env.home_dir().map(|h| h.join(".hopx")))
        .map(|dir| dir.join(CONFIG_FILE_NAME))
}

/// A setting a profile can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `api_key`: the API key (a secret).
    ApiKey,
    /// `base_url`: the control plane URL.
    BaseUrl,
    /// `default_template`: the template a create without one uses (the CLI's `sandbox create`).
    DefaultTemplate,
    /// `auth_header`: `bearer` or `x-api-key`.
    AuthHeader,
}

impl Setting {
    /// Every setting, in the order they are listed.
    pub const ALL: &'static [Setting] = &[
        Setting::ApiKey,
        Setting::BaseUrl,
        Setting::DefaultTemplate,
        Setting::AuthHeader,
    ];

    /// The name in the file (and on the command line).
    pub const fn as_str(self) -> &'static str {
        match self {
            Setting::ApiKey => "api_key",
            Setting::BaseUrl => "base_url",
            Setting::DefaultTemplate => "default_template",
            Setting::AuthHeader => "auth_header",
        }
    }

    /// Parses a setting name; `-` and `_` are interchangeable (`api-key` = `api_key`).
    pub fn parse(name: &str) -> Option<Setting> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Setting::ALL.iter().copied().find(|s| s.as_str() == name)
    }

    /// True for the settings whose value must never be shown in full.
    pub const fn is_secret(self) -> bool {
        matches!(self, Setting::ApiKey)
    }

    /// Checks a value for this setting and returns the form to store. The API key is checked
    /// with the same rules as everywhere else (`validate_key: false` keeps only the checks any
    /// header value needs); the error never repeats the key.
    pub fn check(self, value: &str, validate_key: bool) -> Result<String> {
        match self {
            Setting::ApiKey => Ok(ApiKey::parse_from(value, "The API key", validate_key)?
                .expose_secret()
                .to_owned()),
            Setting::BaseUrl => {
                crate::config::normalize_base_url(value, &crate::config::Source::Argument)
            }
            Setting::AuthHeader => AuthHeader::parse(value)
                .map(|h| h.as_str().to_owned())
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::InvalidArgument,
                        "auth_header must be 'bearer' or 'x-api-key'.",
                    )
                    .with_hint("bearer sends Authorization: Bearer <key> (the default); x-api-key sends X-API-Key: <key>.")
                }),
            Setting::DefaultTemplate => {
                let name = value.trim();
                if name.is_empty()
                    || name.len() > 200
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                    || name.contains(crate::key::KEY_PREFIX)
                {
                    return Err(Error::new(
                        ErrorCode::InvalidArgument,
                        "default_template must be a template name: letters, digits, '-', '_' and '.'.",
                    )
                    .with_hint("For example code-interpreter; `hopx template list` lists them."));
                }
                Ok(name.to_owned())
            }
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a profile is the one in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileOrigin {
    /// Named by the program (the CLI's `--profile`).
    Argument,
    /// The `HOPX_PROFILE` environment variable.
    EnvVar,
    /// The file's `default_profile`.
    FileDefault,
    /// Nothing named one: `default`.
    BuiltIn,
}

impl ProfileOrigin {
    /// A short stable name: `argument`, `env`, `file_default`, `built_in`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProfileOrigin::Argument => "argument",
            ProfileOrigin::EnvVar => "env",
            ProfileOrigin::FileDefault => "file_default",
            ProfileOrigin::BuiltIn => "built_in",
        }
    }
}

/// Checks a profile name: 1 to 64 letters, digits, `-` and `_`.
pub fn check_profile_name(name: &str) -> Result<&str> {
    let trimmed = name.trim();
    if trimmed.is_empty()
        || trimmed.len() > MAX_PROFILE_NAME_LEN
        || !trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        || trimmed.contains(crate::key::KEY_PREFIX)
    {
        let shown: String = if trimmed.contains(crate::key::KEY_PREFIX) {
            "(not shown)".to_owned()
        } else {
            format!("{:?}", trimmed.chars().take(80).collect::<String>())
        };
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "{shown} is not a valid profile name: use 1 to {MAX_PROFILE_NAME_LEN} letters, digits, '-' and '_'."
            ),
        ));
    }
    Ok(trimmed)
}

/// The config file, parsed for editing. Nothing changes on disk until [`ConfigDocument::save`].
#[derive(Debug, Clone)]
pub struct ConfigDocument {
    path: PathBuf,
    doc: DocumentMut,
    existed: bool,
}

impl ConfigDocument {
    /// Reads the file at `path`; a missing file is an empty document. A file that is not
    /// valid TOML is an `invalid_config` error that says where, without quoting it (it may
    /// hold a key).
    pub fn load(path: &Path) -> Result<ConfigDocument> {
        let (text, existed) = match fs::read(path) {
            Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (String::new(), false),
            Err(e) => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!("Could not read {}: {e}.", path.display()),
                )
                .with_hint("Fix the file's permissions, or point HOPX_CONFIG_DIR elsewhere."));
            }
        };
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!(" (near line {line})")
                })
                .unwrap_or_default();
            Error::new(
                ErrorCode::InvalidConfig,
                format!("{} is not a valid HopX config file{at}.", path.display()),
            )
            .with_hint(
                "Fix or delete the file; it holds default_profile and [profiles.<name>] sections.",
            )
        })?;
        let document = ConfigDocument {
            path: path.to_owned(),
            doc,
            existed,
        };
        if let Some(item) = document.doc.get("profiles")
            && !item.is_table_like()
        {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "{}: 'profiles' must be a table of [profiles.<name>] sections.",
                    path.display()
                ),
            ));
        }
        Ok(document)
    }

    /// An empty document for `path` (as if the file did not exist).
    pub fn empty(path: &Path) -> ConfigDocument {
        ConfigDocument {
            path: path.to_owned(),
            doc: DocumentMut::new(),
            existed: false,
        }
    }

    /// The file this document is read from and saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file existed when it was loaded.
    pub fn existed(&self) -> bool {
        self.existed
    }

    /// The file's `default_profile`, if set.
    pub fn default_profile(&self) -> Option<String> {
        self.doc
            .get("default_profile")
            .and_then(Item::as_str)
            .map(str::to_owned)
    }

    /// The profile in use: `explicit` (the CLI's `--profile`), else `HOPX_PROFILE`, else the
    /// file's `default_profile`, else `default`; the same rule as the read side.
    pub fn select_profile(
        &self,
        explicit: Option<&str>,
        env: &dyn Environment,
    ) -> (String, ProfileOrigin) {
        if let Some(name) = explicit.filter(|p| !p.trim().is_empty()) {
            return (name.trim().to_owned(), ProfileOrigin::Argument);
        }
        if let Some(name) = env.var("HOPX_PROFILE").filter(|p| !p.trim().is_empty()) {
            return (name.trim().to_owned(), ProfileOrigin::EnvVar);
        }
        if let Some(name) = self.default_profile() {
            return (name, ProfileOrigin::FileDefault);
        }
        (DEFAULT_PROFILE.to_owned(), ProfileOrigin::BuiltIn)
    }

    /// The names of the profiles in the file, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .profiles()
            .map(|t| t.iter().map(|(k, _)| k.to_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Whether the file has this profile.
    pub fn has_profile(&self, profile: &str) -> bool {
        self.profile(profile).is_some()
    }

    /// A setting of a profile, `None` when the profile or the setting is absent.
    pub fn get(&self, profile: &str, setting: Setting) -> Option<String> {
        self.profile(profile)?
            .get(setting.as_str())
            .and_then(|item| item.as_str())
            .map(str::to_owned)
    }

    /// Sets a setting of a profile, creating the profile if needed; the value is checked
    /// first ([`Setting::check`], with the key format check on). Returns true when the
    /// profile was created.
    pub fn set(&mut self, profile: &str, setting: Setting, raw: &str) -> Result<bool> {
        let checked = setting.check(raw, true)?;
        self.set_checked(profile, setting, &checked)
    }

    /// Stores an API key that was already parsed (with whatever format check the caller
    /// chose). Returns true when the profile was created.
    pub fn set_api_key(&mut self, profile: &str, key: &ApiKey) -> Result<bool> {
        self.set_checked(profile, Setting::ApiKey, key.expose_secret())
    }

    fn set_checked(&mut self, profile: &str, setting: Setting, checked: &str) -> Result<bool> {
        let created = self.create_profile(profile)?;
        // Looked up by the name as stored (trimmed), which is what create_profile made.
        let name = check_profile_name(profile)?.to_owned();
        let table = self
            .profile_mut(&name)
            .expect("the profile was just created");
        table.insert(setting.as_str(), value(checked));
        Ok(created)
    }

    /// Removes a setting from a profile; false when it was not set.
    pub fn unset(&mut self, profile: &str, setting: Setting) -> bool {
        self.profile_mut(profile)
            .is_some_and(|t| t.remove(setting.as_str()).is_some())
    }

    /// Adds an empty profile; false when it already exists. When the file names no default
    /// profile and has no profile yet, the new one becomes the default, so that the SDKs find
    /// it without `HOPX_PROFILE`.
    pub fn create_profile(&mut self, profile: &str) -> Result<bool> {
        let name = check_profile_name(profile)?.to_owned();
        if self.has_profile(&name) {
            return Ok(false);
        }
        let first = self.profile_names().is_empty() && self.default_profile().is_none();
        if !self.doc.contains_key("profiles") {
            let mut profiles = Table::new();
            profiles.set_implicit(true);
            self.doc.insert("profiles", Item::Table(profiles));
        }
        let profiles = self
            .doc
            .get_mut("profiles")
            .and_then(Item::as_table_like_mut)
            .expect("profiles is a table (checked on load)");
        profiles.insert(&name, Item::Table(Table::new()));
        if first && name != DEFAULT_PROFILE {
            self.doc.insert("default_profile", value(name.as_str()));
        }
        Ok(true)
    }

    /// Removes a profile; false when there was none. When it was the default profile, the
    /// file no longer names a default (so `default` is used).
    pub fn delete_profile(&mut self, profile: &str) -> bool {
        let removed = self
            .doc
            .get_mut("profiles")
            .and_then(Item::as_table_like_mut)
            .is_some_and(|t| t.remove(profile).is_some());
        if removed && self.default_profile().as_deref() == Some(profile) {
            self.doc.remove("default_profile");
        }
        removed
    }

    /// Makes an existing profile the default (`default_profile`).
    pub fn set_default_profile(&mut self, profile: &str) -> Result<()> {
        let name = check_profile_name(profile)?.to_owned();
        if !self.has_profile(&name) {
            return Err(self.no_such_profile(&name));
        }
        self.doc.insert("default_profile", value(name.as_str()));
        Ok(())
    }

    /// The error for a profile that is not in the file, listing the ones that are.
    pub fn no_such_profile(&self, profile: &str) -> Error {
        let known = self.profile_names();
        Error::new(
            ErrorCode::NotFound,
            format!(
                "Profile '{profile}' is not in {}; it has: {}.",
                self.path.display(),
                if known.is_empty() {
                    "no profiles".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )
        .with_hint("Create it with `hopx config profiles create <name>` or `hopx auth login --profile <name>`.")
    }

    /// The TOML text that [`ConfigDocument::save`] writes.
    pub fn to_toml(&self) -> String {
        self.doc.to_string()
    }

    /// Writes the document atomically with mode 0600 (see the module docs).
    pub fn save(&mut self) -> Result<()> {
        write_private_file(&self.path, self.to_toml().as_bytes()).map_err(|e| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("Could not write {}: {e}.", self.path.display()),
            )
            .with_hint("Check that the directory is writable, or point HOPX_CONFIG_DIR elsewhere.")
        })?;
        self.existed = true;
        Ok(())
    }

    fn profiles(&self) -> Option<&dyn toml_edit::TableLike> {
        self.doc.get("profiles").and_then(Item::as_table_like)
    }

    fn profile(&self, profile: &str) -> Option<&dyn toml_edit::TableLike> {
        self.profiles()?.get(profile).and_then(Item::as_table_like)
    }

    fn profile_mut(&mut self, profile: &str) -> Option<&mut dyn toml_edit::TableLike> {
        self.doc
            .get_mut("profiles")
            .and_then(Item::as_table_like_mut)?
            .get_mut(profile)
            .and_then(Item::as_table_like_mut)
    }
}

/// Replaces `path` with `contents` atomically, readable and writable by the owner only.
///
/// The directory is created (mode 0700) when missing. The contents go to a new temporary file
/// next to `path`, created with mode 0600 (never wider, whatever the umask), written, flushed
/// to disk and renamed over `path`; then the directory is flushed so the rename survives a
/// crash. On any failure the temporary file is removed and `path` is untouched.
pub fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| CONFIG_FILE_NAME.to_owned());
    let (tmp_path, mut file) = create_temp_file(&dir, &file_name)?;
    let written = (|| {
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    // Flush the directory entry; not every file system supports it, and the data is safe.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn create_temp_file(dir: &Path, file_name: &str) -> io::Result<(PathBuf, fs::File)> {
    use rand::Rng;
    let mut last_error = None;
    // A handful of tries: a clash means another writer picked the same random name.
    for _ in 0..8 {
        let suffix: u64 = rand::rng().random();
        let tmp = dir.join(format!(
            ".{file_name}.{}.{suffix:016x}.tmp",
            std::process::id()
        ));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&tmp) {
            Ok(file) => {
                // The umask can only narrow 0600; make sure nothing widened it either.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(fs::Permissions::from_mode(0o600))?;
                }
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("could not create a temporary file")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientOptions, MapEnvironment, Source, resolve};

    const KEY: &str = "hopx_live_AAAAAAAAAAAA.secretA";
    const KEY_B: &str = "hopx_live_BBBBBBBBBBBB.secretB";

    fn env_for(dir: &Path) -> MapEnvironment {
        MapEnvironment {
            current_dir: Some(dir.join("cwd")),
            home_dir: Some(dir.join("home")),
            ..Default::default()
        }
        .var("HOPX_CONFIG_DIR", dir.join("cfg").to_str().unwrap())
    }

    #[test]
    fn written_file_is_read_back_by_the_sdk() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_for(dir.path());
        let path = config_path(&env).unwrap();
        let mut doc = ConfigDocument::load(&path).unwrap();
        assert!(!doc.existed());
        assert!(doc.set("work", Setting::ApiKey, KEY).unwrap());
        doc.set("work", Setting::BaseUrl, "http://127.0.0.1:9/")
            .unwrap();
        doc.set("work", Setting::AuthHeader, "X-API-Key").unwrap();
        doc.set("work", Setting::DefaultTemplate, "base").unwrap();
        doc.save().unwrap();

        // The first profile became the default, so the SDK finds it without HOPX_PROFILE.
        let mut real_env = env.clone();
        real_env
            .files
            .insert(path.clone(), fs::read_to_string(&path).unwrap());
        let config = resolve(&ClientOptions::default(), &real_env).unwrap();
        assert_eq!(config.api_key.expose_secret(), KEY);
        assert_eq!(config.base_url, "http://127.0.0.1:9");
        assert_eq!(config.auth_header, AuthHeader::XApiKey);
        assert_eq!(
            config.api_key_source,
            Source::ConfigFile {
                path: path.clone(),
                profile: "work".into()
            }
        );
        let template =
            crate::config::resolve_default_template(&ClientOptions::default(), &real_env).unwrap();
        assert_eq!(template.map(|t| t.0).as_deref(), Some("base"));
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("config.toml");
        let mut doc = ConfigDocument::load(&path).unwrap();
        doc.set("default", Setting::ApiKey, KEY).unwrap();
        doc.save().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // A file that was world-readable before is private after a save.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let mut doc = ConfigDocument::load(&path).unwrap();
        doc.set("default", Setting::BaseUrl, "http://127.0.0.1:1")
            .unwrap();
        doc.save().unwrap();
        assert_eq!(mode(&path), 0o600);
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
    }

    #[test]
    fn edits_keep_other_profiles_comments_and_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let original = format!(
            "# my settings\ndefault_profile = \"default\"\ncolor = \"blue\"\n\n[profiles.default]\napi_key = \"{KEY}\" # main key\nextra = 1\n\n[profiles.other]\nbase_url = \"http://x.example\"\n"
        );
        fs::write(&path, &original).unwrap();
        let mut doc = ConfigDocument::load(&path).unwrap();
        doc.set("default", Setting::ApiKey, KEY_B).unwrap();
        doc.save().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my settings"), "{text}");
        assert!(text.contains("color = \"blue\""), "{text}");
        assert!(text.contains("extra = 1"), "{text}");
        assert!(text.contains("[profiles.other]"), "{text}");
        assert!(text.contains(KEY_B) && !text.contains(KEY), "{text}");
        assert_eq!(doc.profile_names(), vec!["default", "other"]);
    }

    #[test]
    fn profiles_create_use_delete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut doc = ConfigDocument::load(&path).unwrap();
        assert!(doc.create_profile("default").unwrap());
        assert!(!doc.create_profile("default").unwrap());
        assert_eq!(doc.default_profile(), None);
        assert!(doc.create_profile("ci").unwrap());
        assert_eq!(
            doc.set_default_profile("nope").unwrap_err().code(),
            ErrorCode::NotFound
        );
        doc.set_default_profile("ci").unwrap();
        assert_eq!(doc.default_profile().as_deref(), Some("ci"));
        assert!(doc.delete_profile("ci"));
        assert!(!doc.delete_profile("ci"));
        assert_eq!(doc.default_profile(), None);
        assert_eq!(
            doc.create_profile("a b").unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        doc.save().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("[profiles.default]"), "{text}");
        assert!(!text.contains("[profiles]\n"), "{text}");
    }

    #[test]
    fn profile_selection_follows_the_read_side() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(
            &path,
            "default_profile = \"b\"\n[profiles.a]\n[profiles.b]\n",
        )
        .unwrap();
        let doc = ConfigDocument::load(&path).unwrap();
        let env = MapEnvironment::default();
        assert_eq!(
            doc.select_profile(None, &env),
            ("b".into(), ProfileOrigin::FileDefault)
        );
        let env = env.var("HOPX_PROFILE", "a");
        assert_eq!(
            doc.select_profile(None, &env),
            ("a".into(), ProfileOrigin::EnvVar)
        );
        assert_eq!(
            doc.select_profile(Some("c"), &env),
            ("c".into(), ProfileOrigin::Argument)
        );
    }

    #[test]
    fn values_are_checked_and_never_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = ConfigDocument::load(&dir.path().join("config.toml")).unwrap();
        let err = doc
            .set(
                "default",
                Setting::ApiKey,
                "hopx_live_short.verysecretvalue",
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ApiKeyInvalidKeyId);
        assert!(!err.to_string().contains("verysecretvalue"));
        assert!(doc.set("default", Setting::BaseUrl, "ftp://x").is_err());
        assert!(doc.set("default", Setting::AuthHeader, "cookie").is_err());
        assert!(doc.set("default", Setting::DefaultTemplate, "a/b").is_err());
        assert_eq!(Setting::parse("api-key"), Some(Setting::ApiKey));
        assert_eq!(Setting::parse("nope"), None);
    }

    #[test]
    fn broken_file_is_reported_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "[profiles.default]\napi_key = hopx_live_x.leaked\n").unwrap();
        let err = ConfigDocument::load(&path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(!err.to_string().contains("leaked"), "{err}");
        assert!(err.message().contains("line 2"), "{err}");
    }
}
