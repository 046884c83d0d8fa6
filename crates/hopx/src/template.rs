//! Templates: the images sandboxes are created from.

use serde::Deserialize;

use crate::lenient;

fn yes() -> bool {
    true
}

/// CPU, memory and disk of a template (`TemplateResources` in the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TemplateResources {
    /// Virtual CPUs.
    #[serde(default, deserialize_with = "lenient::int")]
    pub vcpu: Option<i64>,
    /// Memory in MiB.
    #[serde(default, deserialize_with = "lenient::int")]
    pub memory_mb: Option<i64>,
    /// Disk in GiB.
    #[serde(default, deserialize_with = "lenient::int")]
    pub disk_gb: Option<i64>,
}

/// A template, from `GET /v1/templates` or `GET /v1/templates/{name}`. Every field the API
/// documents is here; list responses fill in fewer of them. Missing, `null` and mistyped
/// fields are read as absent, and unknown fields are ignored, so a server that adds or
/// changes a field never breaks listing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Template {
    /// The template id (a string, even when the server sends a number).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    /// The name used in `create(template=...)`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// The human-readable name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    /// What the template is for.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    /// E.g. `development`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub category: Option<String>,
    /// The main language, e.g. `python`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub language: Option<String>,
    /// An icon URL or name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub icon: Option<String>,
    /// The resources a sandbox gets by default.
    #[serde(default, deserialize_with = "lenient::object")]
    pub default_resources: Option<TemplateResources>,
    /// The least a sandbox can get.
    #[serde(default, deserialize_with = "lenient::object")]
    pub min_resources: Option<TemplateResources>,
    /// The most a sandbox can get.
    #[serde(default, deserialize_with = "lenient::object")]
    pub max_resources: Option<TemplateResources>,
    /// Feature tags such as `python`, `jupyter`.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub features: Vec<String>,
    /// Free-form tags.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub tags: Vec<String>,
    /// A popularity score.
    #[serde(default, deserialize_with = "lenient::int")]
    pub popularity_score: Option<i64>,
    /// Documentation link.
    #[serde(default, deserialize_with = "lenient::string")]
    pub docs_url: Option<String>,
    /// Whether sandboxes can be created from it now; `true` when the server does not say, as
    /// in the official SDKs (so `if template.is_active` keeps templates from older servers).
    #[serde(default = "yes", deserialize_with = "lenient::boolean_or_true")]
    pub is_active: bool,
    /// Public (built-in) or the organization's own.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_public: Option<bool>,
    /// `pending`, `building`, `active`, `failed` or `archived`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// The build that produced it.
    #[serde(default, deserialize_with = "lenient::string")]
    pub build_id: Option<String>,
    /// The owning organization (a string in the template API).
    #[serde(default, deserialize_with = "lenient::string")]
    pub organization_id: Option<String>,
    /// When it was created (RFC 3339, as sent).
    #[serde(default, deserialize_with = "lenient::string")]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339, as sent).
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_at: Option<String>,
    /// Always `template`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub object: Option<String>,
    /// The request that returned it.
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: Option<String>,
}

/// Filters for listing templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTemplatesOptions {
    /// Only templates of this category.
    pub category: Option<String>,
    /// Only templates of this language.
    pub language: Option<String>,
}

/// `{"data": [...], ...}`. `data` is required: a body without it (`{}`, `{"templates": ...}`)
/// is not an empty list but the wrong answer, and is reported as one.
#[derive(Debug, Deserialize)]
pub(crate) struct TemplateList {
    #[serde(deserialize_with = "lenient::list")]
    pub data: Vec<Template>,
}

/// The names in `available` closest to `wanted`, best first: at most three, each at least
/// 60% similar (the cutoff the official SDK's "did you mean" uses), compared case-insensitively.
pub fn closest_names(wanted: &str, available: &[String]) -> Vec<String> {
    let wanted = wanted.trim().to_lowercase();
    let mut scored: Vec<(f64, &String)> = available
        .iter()
        .map(|name| (similarity(&wanted, &name.to_lowercase()), name))
        .filter(|(score, _)| *score >= 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.clone())
        .collect()
}

/// 1 minus the edit distance over the longer length: 1.0 for equal strings.
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    // Names are short, but a pathological input must not cost quadratic time.
    if longest > 256 {
        return 0.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names: Vec<String> = ["code-interpreter", "base", "python", "nodejs"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            closest_names("code-interpretr", &names),
            ["code-interpreter"]
        );
        assert_eq!(closest_names("Python", &names), ["python"]);
        assert_eq!(closest_names("node", &names), ["nodejs"]);
        assert!(closest_names("rust-nightly", &names).is_empty());
        assert!(closest_names("", &names).is_empty());
        assert!(closest_names(&"x".repeat(10_000), &names).is_empty());
    }

    #[test]
    fn tolerant_of_missing_null_mistyped_and_unknown_fields() {
        let list: TemplateList = serde_json::from_str(
            r#"{"data":[
                {"id": 42, "name": "x", "display_name": null, "features": null, "tags": ["a", 1],
                 "default_resources": {"vcpu": "2", "memory_mb": 1024}, "is_active": "true",
                 "brand_new_field": {"nested": true}},
                {}
            ], "has_more": false}"#,
        )
        .unwrap();
        let t = &list.data[0];
        assert_eq!(t.id.as_deref(), Some("42"));
        assert_eq!(t.display_name, None);
        assert!(t.features.is_empty());
        assert_eq!(t.tags, vec!["a", "1"]);
        assert_eq!(t.default_resources.as_ref().unwrap().vcpu, Some(2));
        assert!(t.is_active);
        assert!(list.data[1].is_active, "absent means active");
        assert_eq!(list.data[1].name, None);
    }

    #[test]
    fn null_data_is_empty_but_wrong_shapes_are_errors() {
        let list: TemplateList = serde_json::from_str(r#"{"data": null}"#).unwrap();
        assert!(list.data.is_empty());
        assert!(serde_json::from_str::<TemplateList>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<TemplateList>(r#"{"templates": []}"#).is_err());
        assert!(serde_json::from_str::<TemplateList>(r#"{"data": "nope"}"#).is_err());
        assert!(serde_json::from_str::<TemplateList>(r#"{"data": [1]}"#).is_err());
    }
}
