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

#[cfg(test)]
mod tests {
    use super::*;

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
