//! Reading JSON request bodies the same way on every endpoint that takes one.
//!
//! Bodies are parsed whatever their `Content-Type` (clients differ in what they send),
//! unknown fields are ignored (newer clients may send more), and a `null` field counts
//! as absent (clients serialize unset options as null). Everything else that does not
//! match the spec is a 400 whose `details.field` names the field.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::envelope::ApiError;

/// Parses `body` as a JSON object. `example` is a correct body, quoted in the
/// messages so the client sees what to send.
pub fn json_object(body: &[u8], example: &str) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if body.iter().all(u8::is_ascii_whitespace) {
            "The request body is empty".to_owned()
        } else {
            format!("The request body is not valid JSON ({e})")
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("{what}; send a JSON object such as {example}."),
        )
        .with_details(json!({ "field": null }))
    })?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::validation(
            None,
            format!("The request body must be a JSON object such as {example}."),
        )),
    }
}

/// The value of `name`, treating `null` as absent.
pub fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_broken_bodies_are_invalid_json() {
        for body in [&b""[..], b"  \n", b"{", b"nope"] {
            let err = json_object(body, "{}").expect_err("rejected");
            assert_eq!(err.code, "invalid_json");
            assert_eq!(err.details["field"], Value::Null);
        }
    }

    #[test]
    fn non_objects_are_validation_errors() {
        for body in [&b"[]"[..], b"1", b"\"x\"", b"null"] {
            let err = json_object(body, "{}").expect_err("rejected");
            assert_eq!(err.code, "validation_error");
        }
    }

    #[test]
    fn null_fields_count_as_absent() {
        let fields = json_object(br#"{"a": null, "b": 1}"#, "{}").expect("object");
        assert!(field(&fields, "a").is_none());
        assert!(field(&fields, "missing").is_none());
        assert_eq!(field(&fields, "b"), Some(&json!(1)));
    }
}
