//! The command line.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

const AFTER_HELP: &str = "\
The API key is looked for in: --api-key, HOPX_API_KEY, a .env file (nearest upward), then the
config file written by `hopx auth login` ($HOPX_CONFIG_DIR/config.toml or ~/.hopx/config.toml)
under the profile from --profile, HOPX_PROFILE or the file's default_profile.

Exit status: 0 ok, 1 other failure, 2 usage or validation, 3 authentication, 4 not found,
5 timeout, 6 network, 7 rate limit, 130 interrupted.";

/// The HopX command line: API keys and profiles, sandboxes, templates, code runs, and a local
/// HopX server.
#[derive(Debug, Parser)]
#[command(
    name = "hopx",
    version,
    propagate_version = true,
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Args)]
pub struct GlobalArgs {
    /// The API key to use. Prefer HOPX_API_KEY or `hopx auth login`: a key on the command line
    /// can be seen by other users of this machine.
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,

    /// The config file profile to use and change [default: HOPX_PROFILE, else the file's
    /// default_profile, else "default"].
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The HopX API URL, e.g. http://127.0.0.1:8787 for `hopx local` [default: HOPX_BASE_URL,
    /// else the profile's base_url, else https://api.hopx.dev].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// Output format: table (for people), json (stable field names, for scripts) or plain
    /// (tab-separated, no header).
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// No colors (also when NO_COLOR is set or the output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// HTTP request timeout in seconds [default: 60].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub request_timeout: Option<f64>,
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("profile", &self.profile)
            .field("base_url", &self.base_url)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in (store an API key), show which key is in use, log out.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Read and change the config file: settings and profiles.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Create, list, inspect and manage sandboxes.
    #[command(subcommand, visible_alias = "sb")]
    Sandbox(SandboxCommand),
    /// List and inspect templates.
    #[command(subcommand, visible_alias = "tpl")]
    Template(TemplateCommand),
    /// Run code in a sandbox: from an argument, a file or stdin, in a new sandbox (killed
    /// afterwards) or a given one.
    Run(RunArgs),
    /// Start a local HopX server on 127.0.0.1 (the same server and flags as hopx-local;
    /// `hopx local --help` lists them).
    #[cfg(feature = "local")]
    #[command(disable_help_flag = true)]
    Local(LocalArgs),
    /// Print a shell completion script: `hopx completions bash > ~/.local/share/bash-completion/completions/hopx`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Store an API key in the profile of the config file, after checking it with the API.
    /// The key is asked for with hidden input on a terminal, or read from stdin
    /// (`--with-key`, or a pipe), or taken from --api-key. --base-url is stored with it.
    Login {
        /// Read the key from stdin, e.g. `echo "$KEY" | hopx auth login --with-key`.
        #[arg(long)]
        with_key: bool,
        /// Store the key without asking the API whether it accepts it (offline).
        #[arg(long)]
        no_verify: bool,
    },
    /// Which key is in use (masked), where it came from, and whether the API accepts it.
    Status {
        /// Do not ask the API.
        #[arg(long)]
        no_verify: bool,
    },
    /// Remove the stored API key from the profile.
    Logout,
}

/// A setting of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SettingName {
    /// The API key.
    #[value(name = "api_key", alias = "api-key")]
    ApiKey,
    /// The HopX API URL.
    #[value(name = "base_url", alias = "base-url")]
    BaseUrl,
    /// The template `hopx sandbox create` and `hopx run` use when none is given.
    #[value(name = "default_template", alias = "default-template")]
    DefaultTemplate,
    /// bearer (Authorization: Bearer) or x-api-key.
    #[value(name = "auth_header", alias = "auth-header")]
    AuthHeader,
}

impl SettingName {
    pub fn setting(self) -> hopx::config_file::Setting {
        use hopx::config_file::Setting;
        match self {
            SettingName::ApiKey => Setting::ApiKey,
            SettingName::BaseUrl => Setting::BaseUrl,
            SettingName::DefaultTemplate => Setting::DefaultTemplate,
            SettingName::AuthHeader => Setting::AuthHeader,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set a setting of the profile (created if needed). A value of `-` is read from stdin.
    Set {
        #[arg(value_enum)]
        key: SettingName,
        value: String,
    },
    /// Print a setting of the profile (the API key masked, unless --reveal).
    Get {
        #[arg(value_enum)]
        key: SettingName,
        /// Print the API key in full.
        #[arg(long)]
        reveal: bool,
    },
    /// Remove a setting from the profile.
    Unset {
        #[arg(value_enum)]
        key: SettingName,
    },
    /// Every setting of the profile (the API key masked, unless --reveal).
    List {
        /// Print the API key in full.
        #[arg(long)]
        reveal: bool,
    },
    /// The config file's path.
    Path,
    /// List, create, delete profiles, and choose the default one.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every profile in the config file.
    List,
    /// Make a profile the default (default_profile).
    Use { name: String },
    /// Add an empty profile.
    Create { name: String },
    /// Remove a profile and its settings.
    Delete { name: String },
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Create a sandbox.
    Create(CreateArgs),
    /// List sandboxes.
    #[command(visible_alias = "ls")]
    List {
        /// Only sandboxes in this status: running, paused, stopped or creating.
        #[arg(long)]
        status: Option<String>,
        /// Only sandboxes in this region.
        #[arg(long)]
        region: Option<String>,
        /// At most this many (1 to 100) [default: every sandbox, page by page].
        #[arg(long)]
        limit: Option<i64>,
    },
    /// Show a sandbox.
    Info { id: String },
    /// Delete sandboxes.
    #[command(visible_alias = "rm")]
    Kill {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Pause a running sandbox.
    Pause { id: String },
    /// Resume a paused sandbox.
    Resume { id: String },
    /// Set how long a sandbox lives from now, in seconds.
    Timeout { id: String, seconds: i64 },
    /// Attach to a sandbox: resumes it if paused, checks it can be used, and shows it.
    Connect { id: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Template name [default: HOPX_DEFAULT_TEMPLATE, else the profile's default_template].
    #[arg(short, long)]
    pub template: Option<String>,
    /// Template id (instead of a name).
    #[arg(long, conflicts_with = "template")]
    pub template_id: Option<String>,
    /// Region.
    #[arg(long)]
    pub region: Option<String>,
    /// Lifetime in seconds: the sandbox is killed after this.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// An environment variable for the sandbox, NAME=VALUE (repeatable).
    #[arg(short, long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// No internet access from inside the sandbox.
    #[arg(long)]
    pub no_internet: bool,
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// List templates.
    #[command(visible_alias = "ls")]
    List {
        /// Only templates of this category.
        #[arg(long)]
        category: Option<String>,
        /// Only templates for this language.
        #[arg(long)]
        language: Option<String>,
    },
    /// Show a template.
    Info { name: String },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The code; `-` (or nothing, with a pipe on stdin) reads it from stdin.
    #[arg(conflicts_with = "file")]
    pub code: Option<String>,
    /// Read the code from this file.
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Language: python, javascript, bash, ... [default: python, or from the file extension].
    #[arg(short, long)]
    pub language: Option<String>,
    /// Run in this existing sandbox instead of a new one.
    #[arg(short, long, value_name = "ID")]
    pub sandbox: Option<String>,
    /// Template of the new sandbox [default: HOPX_DEFAULT_TEMPLATE, the profile's
    /// default_template, else code-interpreter].
    #[arg(short, long, conflicts_with = "sandbox")]
    pub template: Option<String>,
    /// Keep the new sandbox instead of killing it afterwards (its id is printed).
    #[arg(long, conflicts_with = "sandbox")]
    pub keep: bool,
    /// Execution timeout in seconds [default: 120].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// An environment variable for the code, NAME=VALUE (repeatable).
    #[arg(short, long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Working directory inside the sandbox [default: /workspace].
    #[arg(long, value_name = "PATH")]
    pub workdir: Option<String>,
}

/// `hopx local`'s own flags, parsed by hopx-local's parser.
#[derive(Debug, Args)]
pub struct LocalArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<OsString>,
}
