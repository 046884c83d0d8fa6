//! The shared key-validation cases (tests/fixtures/api_keys.json), as the Python and
//! JavaScript suites also run them.

use hopx::{ApiKey, ErrorCode};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/api_keys.json"
    );
    let text = std::fs::read_to_string(path).expect("the shared fixture file exists");
    let doc: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    doc["cases"].as_array().expect("cases is a list").clone()
}

#[test]
fn shared_fixture_cases() {
    let cases = cases();
    assert!(cases.len() >= 25, "the fixture must keep at least 25 cases");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = case["input"].as_str().unwrap();
        let validate = case["validate"].as_bool().unwrap_or(true);
        let probe = case["must_not_contain"].as_str();
        let result = ApiKey::parse_from(input, "The API key", validate);
        if case["ok"].as_bool() == Some(true) {
            let key = result.unwrap_or_else(|e| panic!("{name}: expected a valid key, got {e}"));
            assert_eq!(key.key_id(), case["key_id"].as_str(), "{name}");
            assert_eq!(key.redacted(), case["redacted"].as_str().unwrap(), "{name}");
            for shown in [key.to_string(), format!("{key:?}")] {
                if let Some(probe) = probe {
                    assert!(!shown.contains(probe), "{name}: {shown:?} shows the secret");
                }
            }
        } else {
            let expected = ErrorCode::parse(case["error"].as_str().unwrap())
                .unwrap_or_else(|| panic!("{name}: unknown code in fixture"));
            let err = match result {
                Ok(_) => panic!("{name}: expected {expected}, got a valid key"),
                Err(e) => e,
            };
            assert_eq!(err.code(), expected, "{name}: {err}");
            assert!(
                err.hint().is_some(),
                "{name}: every key error says how to fix it"
            );
            if let Some(needle) = case["hint_contains"].as_str() {
                assert!(err.to_string().contains(needle), "{name}: {err}");
            }
            if let Some(probe) = probe {
                for shown in [err.to_string(), format!("{err:?}")] {
                    assert!(!shown.contains(probe), "{name}: {shown:?} shows the secret");
                }
            }
        }
    }
}
