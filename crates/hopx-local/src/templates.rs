//! `GET /v1/templates`, `GET /v1/templates/{name}` and `DELETE /v1/templates/{templateID}`.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use serde_json::{Value, json};

use crate::{
    AppState, catalog,
    envelope::{ApiError, RequestId, json_response, object},
};

/// Longest piece of a client-supplied name that is quoted back in a message.
const MAX_ECHO: usize = 100;

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = |key: &str| query.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let category = filter("category");
    let language = filter("language");
    let data: Vec<Value> = state
        .catalog
        .iter()
        .filter(|t| category.is_none_or(|c| t.category.eq_ignore_ascii_case(c)))
        .filter(|t| language.is_none_or(|l| t.language.eq_ignore_ascii_case(l)))
        .map(catalog::Template::list_item)
        .collect();
    json_response(
        StatusCode::OK,
        &request_id,
        object([
            ("object", json!("list")),
            ("data", Value::Array(data)),
            ("has_more", json!(false)),
            ("url", json!("/v1/templates")),
        ]),
    )
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Extension(request_id): Extension<RequestId>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let template = catalog::find(&state.catalog, &name)
        .ok_or_else(|| template_not_found(&state.catalog, &name))?;
    Ok(json_response(
        StatusCode::OK,
        &request_id,
        template.detail(),
    ))
}

/// `DELETE /v1/templates/{templateID}`, by id or name. Every template here is a
/// built-in public one, which the real service refuses to delete with a 403, so that
/// is the only success-free answer there is; unknown templates are a 404.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name_or_id): Path<String>,
) -> ApiError {
    match catalog::find(&state.catalog, &name_or_id) {
        Some(template) => public_template(template),
        None => template_not_found(&state.catalog, &name_or_id),
    }
}

/// 403 for a catalog template. The message avoids the word "limit": the official
/// Python SDK turns a 403 mentioning it into a `ResourceLimitError`.
fn public_template(template: &catalog::Template) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "public_template",
        format!(
            "Template '{}' (id {}) is a built-in public template and cannot be deleted; \
             only templates your organization built can be deleted.",
            template.name, template.id
        ),
    )
    .with_details(json!({
        "template_id": template.id,
        "name": template.name,
        "is_public": true,
    }))
}

/// Every template-building route (`POST /v1/templates/build`, its `status` and
/// `logs`, `POST /v1/templates/files/upload-link`), whatever the method: without
/// these, a build would get a 405 from `/v1/templates/{name}`, which suggests the
/// route exists.
pub async fn build_unavailable() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_available_locally",
        "Template building is not available in hopx-local (no /v1/templates/build, \
         build status or logs, or files/upload-link); create sandboxes from the built-in \
         templates that GET /v1/templates lists.",
    )
}

/// 404 `template_not_found` listing the names that do exist.
pub fn template_not_found(catalog: &[catalog::Template], name: &str) -> ApiError {
    // A key pasted into the template field must not come back in the response.
    let shown: String = if name.contains(crate::auth::KEY_PREFIX) {
        crate::auth::redacted(name.trim()).unwrap_or_else(|| "<redacted>".to_owned())
    } else {
        name.chars().take(MAX_ECHO).collect()
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "template_not_found",
        format!("Template '{shown}' not found"),
    )
    .with_details(json!({ "available": catalog::names(catalog) }))
}
