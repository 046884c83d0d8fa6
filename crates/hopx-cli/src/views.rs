//! The JSON shapes of `-o json`: stable snake_case field names, every field always present
//! (`null` when unknown). Adding a field is compatible; renaming or removing one is not.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use hopx::{SandboxInfo, Source, Template};

/// A sandbox.
#[derive(Debug, Serialize)]
pub(crate) struct SandboxView {
    pub id: Option<String>,
    pub status: Option<String>,
    pub template_name: Option<String>,
    pub template_id: Option<String>,
    pub region: Option<String>,
    pub public_host: Option<String>,
    pub internet_access: Option<bool>,
    pub timeout_seconds: Option<i64>,
    pub expires_at: Option<String>,
    pub created_at: Option<String>,
    pub resources: Option<ResourcesView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ResourcesView {
    pub vcpu: Option<i64>,
    pub memory_mb: Option<i64>,
    pub disk_mb: Option<i64>,
}

fn timestamp(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl From<&SandboxInfo> for SandboxView {
    fn from(info: &SandboxInfo) -> SandboxView {
        SandboxView {
            id: info.sandbox_id.clone(),
            status: info.status.clone(),
            template_name: info.template_name.clone(),
            template_id: info.template_id.clone(),
            region: info.region.clone(),
            public_host: info.public_host.clone(),
            internet_access: info.internet_access,
            timeout_seconds: info.timeout_seconds,
            expires_at: timestamp(info.expires_at),
            created_at: timestamp(info.created_at),
            resources: info.resources.as_ref().map(|r| ResourcesView {
                vcpu: r.vcpu,
                memory_mb: r.memory_mb,
                disk_mb: r.disk_mb,
            }),
        }
    }
}

impl SandboxView {
    /// `field  value` lines for one sandbox.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        use crate::output::cell;
        let resources = self.resources.as_ref().map(|r| {
            format!(
                "{} vCPU, {} MB memory, {} MB disk",
                cell(r.vcpu),
                cell(r.memory_mb),
                cell(r.disk_mb)
            )
        });
        vec![
            ("id", cell(self.id.as_deref())),
            ("status", cell(self.status.as_deref())),
            ("template", cell(self.template_name.as_deref())),
            ("template_id", cell(self.template_id.as_deref())),
            ("region", cell(self.region.as_deref())),
            ("public_host", cell(self.public_host.as_deref())),
            ("internet_access", cell(self.internet_access)),
            ("timeout_seconds", cell(self.timeout_seconds)),
            ("expires_at", cell(self.expires_at.as_deref())),
            ("created_at", cell(self.created_at.as_deref())),
            ("resources", cell(resources)),
        ]
    }

    pub const HEADERS: &'static [&'static str] =
        &["ID", "STATUS", "TEMPLATE", "REGION", "CREATED", "EXPIRES"];

    /// One table row.
    pub fn row(&self) -> Vec<String> {
        use crate::output::cell;
        vec![
            cell(self.id.as_deref()),
            cell(self.status.as_deref()),
            cell(
                self.template_name
                    .as_deref()
                    .or(self.template_id.as_deref()),
            ),
            cell(self.region.as_deref()),
            cell(self.created_at.as_deref()),
            cell(self.expires_at.as_deref()),
        ]
    }
}

/// A template.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateView {
    pub id: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    pub is_active: bool,
    pub is_public: Option<bool>,
    pub status: Option<String>,
    pub features: Vec<String>,
    pub tags: Vec<String>,
    pub docs_url: Option<String>,
    pub default_resources: Option<TemplateResourcesView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TemplateResourcesView {
    pub vcpu: Option<i64>,
    pub memory_mb: Option<i64>,
    pub disk_gb: Option<i64>,
}

impl From<&Template> for TemplateView {
    fn from(t: &Template) -> TemplateView {
        TemplateView {
            id: t.id.clone(),
            name: t.name.clone(),
            display_name: t.display_name.clone(),
            description: t.description.clone(),
            category: t.category.clone(),
            language: t.language.clone(),
            is_active: t.is_active,
            is_public: t.is_public,
            status: t.status.clone(),
            features: t.features.clone(),
            tags: t.tags.clone(),
            docs_url: t.docs_url.clone(),
            default_resources: t.default_resources.as_ref().map(|r| TemplateResourcesView {
                vcpu: r.vcpu,
                memory_mb: r.memory_mb,
                disk_gb: r.disk_gb,
            }),
        }
    }
}

impl TemplateView {
    pub const HEADERS: &'static [&'static str] =
        &["NAME", "LANGUAGE", "CATEGORY", "ACTIVE", "DESCRIPTION"];

    pub fn row(&self) -> Vec<String> {
        use crate::output::cell;
        vec![
            cell(self.name.as_deref().or(self.id.as_deref())),
            cell(self.language.as_deref()),
            cell(self.category.as_deref()),
            if self.is_active { "yes" } else { "no" }.to_owned(),
            cell(self.description.as_deref()),
        ]
    }

    pub fn fields(&self) -> Vec<(&'static str, String)> {
        use crate::output::cell;
        let resources = self.default_resources.as_ref().map(|r| {
            format!(
                "{} vCPU, {} MB memory, {} GB disk",
                cell(r.vcpu),
                cell(r.memory_mb),
                cell(r.disk_gb)
            )
        });
        vec![
            ("name", cell(self.name.as_deref())),
            ("id", cell(self.id.as_deref())),
            ("display_name", cell(self.display_name.as_deref())),
            ("description", cell(self.description.as_deref())),
            ("category", cell(self.category.as_deref())),
            ("language", cell(self.language.as_deref())),
            (
                "active",
                if self.is_active { "yes" } else { "no" }.to_owned(),
            ),
            ("public", cell(self.is_public)),
            ("status", cell(self.status.as_deref())),
            ("features", cell(Some(self.features.join(", ")))),
            ("tags", cell(Some(self.tags.join(", ")))),
            ("resources", cell(resources)),
            ("docs_url", cell(self.docs_url.as_deref())),
        ]
    }
}

/// Where a setting came from.
#[derive(Debug, Serialize)]
pub(crate) struct SourceView {
    /// `argument`, `env`, `dotenv`, `config_file` or `default`.
    pub kind: &'static str,
    /// The environment variable, for `env`.
    pub variable: Option<&'static str>,
    /// The file, for `dotenv` and `config_file`.
    pub path: Option<String>,
    /// The profile, for `config_file`.
    pub profile: Option<String>,
}

impl SourceView {
    pub fn new(source: &Source) -> SourceView {
        let (kind, variable, path, profile) = match source {
            Source::Argument => ("argument", None, None, None),
            Source::EnvVar(name) => ("env", Some(*name), None, None),
            Source::DotEnv(path) => ("dotenv", None, Some(path.display().to_string()), None),
            Source::ConfigFile { path, profile } => (
                "config_file",
                None,
                Some(path.display().to_string()),
                Some(profile.clone()),
            ),
            Source::Default => ("default", None, None, None),
        };
        SourceView {
            kind,
            variable,
            path,
            profile,
        }
    }

    /// For people: the CLI's own words for an argument (`--api-key`), the core's otherwise.
    pub fn describe(source: &Source, flag: &str) -> String {
        match source {
            Source::Argument => format!("the {flag} option"),
            Source::DotEnv(path) => format!("the .env file {}", path.display()),
            Source::ConfigFile { path, profile } => {
                format!("profile '{profile}' of {}", path.display())
            }
            other => other.to_string(),
        }
    }
}
