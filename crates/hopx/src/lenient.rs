//! Deserializers that accept what real servers send rather than what the spec promises:
//! ids as numbers or strings, `null` where a list is expected, timestamps in any RFC 3339 form.
//! A model field that cannot be read becomes `None`/empty instead of failing the whole
//! response, because one odd template must not make `list_templates()` unusable.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

pub(crate) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string (or number) that must be there: without it the answer is of the wrong shape.
pub(crate) fn required_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error as _;
    string(d)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| D::Error::custom("a required id is missing"))
}

pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

pub(crate) fn boolean_or_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(boolean(d)?.unwrap_or(true))
}

pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

pub(crate) fn timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.to_utc()),
        _ => None,
    })
}

/// A nested object that may be `null` or of the wrong type.
pub(crate) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// A list of objects. `null` or a missing list is empty (some servers send `"data": null` for
/// no results), but anything else that is not a list of objects is an error: a body of the wrong
/// shape must not pass for an empty result.
///
/// Read as it streams by, item by item, with no `Value` tree in between: a template list is the
/// biggest body the control plane sends, and building and dropping that tree cost more than the
/// rest of decoding it.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ListVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
            while let Some(ObjectOnly(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }

    d.deserialize_any(ListVisitor(PhantomData))
}

/// A list item, which must be an object (derived struct impls would also read an array).
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list item that is an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }

        d.deserialize_any(ObjectVisitor(PhantomData))
            .map(ObjectOnly)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        #[serde(default, deserialize_with = "super::string")]
        id: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    struct List {
        #[serde(default, deserialize_with = "super::list")]
        data: Vec<Item>,
    }

    fn data(json: &str) -> Result<Vec<Item>, serde_json::Error> {
        serde_json::from_str::<List>(json).map(|l| l.data)
    }

    #[test]
    fn list_reads_objects_and_treats_null_or_missing_as_empty() {
        let items = data(r#"{"data": [{"id": 1}, {"id": "b", "extra": [1, {"x": 2}]}, {}]}"#);
        assert_eq!(
            items.unwrap(),
            vec![
                Item {
                    id: Some("1".into())
                },
                Item {
                    id: Some("b".into())
                },
                Item { id: None }
            ]
        );
        assert!(data(r#"{"data": null}"#).unwrap().is_empty());
        assert!(data(r#"{}"#).unwrap().is_empty());
        assert!(data(r#"{"data": []}"#).unwrap().is_empty());
    }

    #[test]
    fn list_refuses_what_is_not_a_list_of_objects() {
        assert!(data(r#"{"data": {"id": 1}}"#).is_err());
        assert!(data(r#"{"data": "x"}"#).is_err());
        assert!(data(r#"{"data": [{"id": 1}, 2]}"#).is_err());
        assert!(data(r#"{"data": [["1"]]}"#).is_err());
    }
}
