//! The built-in template catalog. A template is offered only when the host has the
//! programs it needs where sandboxes see them (see [`for_this_host`]): the local server
//! runs code on this machine, so it must not advertise a language it cannot run. The
//! agent's `/health` lists the same languages.

use serde_json::{Value, json};

/// Fixed so that responses are reproducible across restarts.
const CATALOG_TIMESTAMP: &str = "2025-01-01T00:00:00Z";
/// Built-in templates belong to no organization.
const PUBLIC_ORG: &str = "public";
const DOCS_URL: &str = "https://hopx.ai";

/// vCPU / memory / disk of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    pub vcpu: u32,
    pub memory_mb: u32,
    pub disk_gb: u32,
}

impl Resources {
    fn to_json(self) -> Value {
        json!({ "vcpu": self.vcpu, "memory_mb": self.memory_mb, "disk_gb": self.disk_gb })
    }
}

/// One template of the catalog.
#[derive(Debug, Clone)]
pub struct Template {
    pub id: &'static str,
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub category: &'static str,
    pub language: &'static str,
    pub icon: &'static str,
    pub features: Vec<&'static str>,
    pub tags: Vec<&'static str>,
    pub popularity_score: u32,
    pub default_resources: Resources,
    pub min_resources: Resources,
    pub max_resources: Resources,
}

impl Template {
    /// The fields of `internal_api.TemplateListItem` plus the descriptive ones the
    /// SDKs also read from list items.
    pub fn list_item(&self) -> Value {
        json!({
            "id": self.id,
            "object": "template",
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "category": self.category,
            "language": self.language,
            "icon": self.icon,
            "features": self.features,
            "tags": self.tags,
            "popularity_score": self.popularity_score,
            "docs_url": DOCS_URL,
            "default_resources": self.default_resources.to_json(),
            "is_public": true,
            "is_active": true,
            "organization_id": PUBLIC_ORG,
            "status": "active",
            "build_id": format!("local-{}", self.name),
            "created_at": CATALOG_TIMESTAMP,
            "updated_at": CATALOG_TIMESTAMP,
        })
    }

    /// `internal_api.Template` (without `fluent_api_config`: nothing was built).
    pub fn detail(&self) -> Value {
        let mut value = self.list_item();
        if let Value::Object(map) = &mut value {
            map.insert("min_resources".into(), self.min_resources.to_json());
            map.insert("max_resources".into(), self.max_resources.to_json());
        }
        value
    }

    /// Resources of a sandbox made from this template, as `models.Resources`.
    pub fn sandbox_resources(&self) -> Value {
        json!({
            "vcpu": self.default_resources.vcpu,
            "memory_mb": self.default_resources.memory_mb,
            "disk_mb": u64::from(self.default_resources.disk_gb) * 1024,
        })
    }
}

/// The programs a template needs.
fn requirements(name: &str) -> &'static [&'static str] {
    match name {
        "code-interpreter" | "python" => &["bash", "python3"],
        "nodejs" => &["bash", "node"],
        _ => &["bash"],
    }
}

/// The catalog for a host where `has_program(name)` tells whether `name` is on PATH.
pub fn builtin(has_program: impl Fn(&str) -> bool) -> Vec<Template> {
    let small = Resources {
        vcpu: 1,
        memory_mb: 1024,
        disk_gb: 5,
    };
    let min = Resources {
        vcpu: 1,
        memory_mb: 512,
        disk_gb: 1,
    };
    let max = Resources {
        vcpu: 8,
        memory_mb: 16384,
        disk_gb: 50,
    };
    // Advertise JavaScript in the interpreter only when node is really there.
    let mut interpreter_features = vec!["python", "bash"];
    if has_program("node") {
        interpreter_features.insert(1, "javascript");
    }
    let all = vec![
        Template {
            id: "1",
            name: "code-interpreter",
            display_name: "Code Interpreter",
            description: "Run Python, JavaScript and shell code on this machine through hopx-local.",
            category: "development",
            language: "python",
            icon: "code",
            features: interpreter_features,
            tags: vec!["local", "python", "code-interpreter"],
            popularity_score: 100,
            default_resources: Resources {
                vcpu: 2,
                memory_mb: 2048,
                disk_gb: 10,
            },
            min_resources: min,
            max_resources: max,
        },
        Template {
            id: "2",
            name: "base",
            display_name: "Base",
            description: "A minimal sandbox with a bash shell.",
            category: "base",
            language: "bash",
            icon: "terminal",
            features: vec!["bash"],
            tags: vec!["local", "bash", "minimal"],
            popularity_score: 80,
            default_resources: small,
            min_resources: min,
            max_resources: max,
        },
        Template {
            id: "3",
            name: "python",
            display_name: "Python",
            description: "Python 3 from this machine, with bash.",
            category: "development",
            language: "python",
            icon: "python",
            features: vec!["python", "bash"],
            tags: vec!["local", "python"],
            popularity_score: 90,
            default_resources: small,
            min_resources: min,
            max_resources: max,
        },
        Template {
            id: "4",
            name: "nodejs",
            display_name: "Node.js",
            description: "Node.js from this machine, with bash.",
            category: "development",
            language: "javascript",
            icon: "nodejs",
            features: vec!["javascript", "bash"],
            tags: vec!["local", "javascript", "nodejs"],
            popularity_score: 85,
            default_resources: small,
            min_resources: min,
            max_resources: max,
        },
    ];
    all.into_iter()
        .filter(|t| requirements(t.name).iter().all(|p| has_program(p)))
        .collect()
}

/// The catalog for this host: the programs sandboxed code can run, i.e. found on the
/// sandbox's `PATH` and inside `/usr` (the only part of the host a sandbox sees), so a
/// Python that exists only in a home directory (pyenv, ...) does not count.
pub fn for_this_host() -> Vec<Template> {
    builtin(crate::sandbox::exec::sandbox_has_program)
}

/// Finds by name, then by id (the template build flow looks templates up by id).
pub fn find<'a>(catalog: &'a [Template], name_or_id: &str) -> Option<&'a Template> {
    catalog
        .iter()
        .find(|t| t.name == name_or_id)
        .or_else(|| catalog.iter().find(|t| t.id == name_or_id))
}

/// Names, for the `available` list of a `template_not_found` error.
pub fn names(catalog: &[Template]) -> Vec<&'static str> {
    catalog.iter().map(|t| t.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_by_host_programs() {
        let all = builtin(|_| true);
        assert_eq!(
            names(&all),
            ["code-interpreter", "base", "python", "nodejs"]
        );
        assert_eq!(all[0].features, ["python", "javascript", "bash"]);

        let bash_only = builtin(|p| p == "bash");
        assert_eq!(names(&bash_only), ["base"]);

        let no_node = builtin(|p| p != "node");
        assert_eq!(names(&no_node), ["code-interpreter", "base", "python"]);
        assert_eq!(no_node[0].features, ["python", "bash"]);

        assert!(builtin(|_| false).is_empty());
    }

    #[test]
    fn find_by_name_or_id() {
        let all = builtin(|_| true);
        assert_eq!(find(&all, "python").map(|t| t.id), Some("3"));
        assert_eq!(find(&all, "4").map(|t| t.name), Some("nodejs"));
        assert!(find(&all, "ruby").is_none());
    }
}
