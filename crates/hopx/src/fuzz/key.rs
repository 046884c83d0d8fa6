//! `ApiKey::parse` / `parse_from` and `scrub_secrets` against arbitrary text, key-shaped text
//! with random damage, and valid keys in what copying adds around them.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseResult;

use super::{assert_absent, error_texts, run};
use crate::key::{ApiKey, KEY_ID_LEN, KEY_PREFIX, MAX_KEY_LEN, scrub_secrets};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Characters that tend to break parsers: separators, quotes, whitespace of every kind,
/// control characters and multi-byte UTF-8.
const ODD_CHARS: &[char] = &[
    ' ', '\t', '\n', '\r', '"', '\'', '`', '.', '_', '-', '*', '=', '#', '/', '\0', '\u{7f}',
    '\u{85}', '\u{a0}', '\u{2028}', '\u{feff}', 'é', 'ß', 'İ', '😀',
];

/// What ends up around a pasted key.
const WRAPS: &[&str] = &[
    "",
    "",
    " ",
    "\n",
    "\r\n",
    "\t",
    "\"",
    "'",
    " \" ",
    "\"'",
    "`",
    "\u{a0}",
    "\u{feff}",
    "Bearer ",
    "bearer ",
    "HOPX_API_KEY=",
];

/// Wraps that the parser removes, so that a valid key inside stays valid.
const HARMLESS_WRAPS: &[(&str, &str)] = &[
    ("", ""),
    (" ", "\n"),
    ("\"", "\""),
    ("'", "'\r\n"),
    (" \" ", " \" "),
    ("\t", ""),
];

const PREFIXES: &[&str] = &[
    KEY_PREFIX,
    KEY_PREFIX,
    KEY_PREFIX,
    "HOPX_LIVE_",
    "hopx_test_",
    "hopx_live",
    "sk_live_",
    "eyJ",
    "",
];
const SEPARATORS: &[&str] = &[".", ".", ".", "", "..", "_", ". "];

/// Pieces of text around an embedded key: things `scrub_secrets` looks for, and punctuation.
const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "'",
    "\"",
    "(",
    ")",
    "=",
    ".",
    "..",
    "*",
    "****",
    "_",
    "-",
    "x",
    "é",
    "\n",
    "eyJ",
    "eyJhbGc.eyJzdWIi.c2ln",
    KEY_PREFIX,
    "hopx_live_AbCdEf123456.",
    "hopx_live_AbCdEf123456.****",
    "Template '",
    "' not found",
    "Bearer ",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, char),
    Delete(Index),
    Replace(Index, char),
}

/// A random secret put into an input, and the rest of the input (each part on its own line):
/// what the SDK may show is there, not in the secret.
#[derive(Debug, Clone)]
struct Secret {
    secret: String,
    around: String,
}

#[derive(Debug, Clone)]
enum KeyCase {
    /// Any text at all.
    Arbitrary(String),
    /// A key-like text with random damage: the secret may survive, be cut, or be gone.
    Shaped { input: String, secret: Secret },
    /// A valid key, with only what the parser trims around it.
    Valid {
        input: String,
        id: String,
        secret: Secret,
    },
    /// Text with a valid key somewhere in it.
    Embedded { text: String, secret: Secret },
}

fn chars_from(set: &'static [u8], len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    vec(select(set), len).prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

fn odd_char() -> impl Strategy<Value = char> {
    prop_oneof![
        select(ODD_CHARS),
        any::<char>(),
        select(ALNUM).prop_map(char::from)
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), odd_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), odd_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        match edit {
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i.index(chars.len()));
            }
            Edit::Replace(i, c) if !chars.is_empty() => {
                let at = i.index(chars.len());
                chars[at] = *c;
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn text_around() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            3 => select(FRAGMENTS).prop_map(str::to_owned),
            1 => vec(odd_char(), 0..4).prop_map(|c| c.into_iter().collect()),
        ],
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

fn key_case() -> impl Strategy<Value = KeyCase> {
    let id = || chars_from(ALNUM, KEY_ID_LEN..KEY_ID_LEN + 1);
    // 16+ random characters: no sentence of the SDK's contains 8 of them in a row by chance.
    let secret = || chars_from(SECRET_CHARS, 16..48);
    prop_oneof![
        prop_oneof![
            any::<String>(),
            vec(odd_char(), 0..40).prop_map(|c| c.into_iter().collect()),
            // Around the length limit, where the character count and the byte count differ.
            (
                MAX_KEY_LEN - 2..MAX_KEY_LEN + 3,
                select(&['a', 'é', ' '][..])
            )
                .prop_map(|(n, c)| format!("{KEY_PREFIX}{}", c.to_string().repeat(n))),
        ]
        .prop_map(KeyCase::Arbitrary),
        (
            select(WRAPS),
            select(PREFIXES),
            chars_from(ALNUM, KEY_ID_LEN - 2..KEY_ID_LEN + 3),
            select(SEPARATORS),
            secret(),
            vec(edit(), 0..4),
            select(WRAPS),
        )
            .prop_map(|(before, prefix, id, dot, secret, edits, after)| {
                let key = apply(&format!("{prefix}{id}{dot}{secret}"), &edits);
                let around = format!("{before}{prefix}{id}{dot}\n{after}");
                KeyCase::Shaped {
                    input: format!("{before}{key}{after}"),
                    secret: Secret { secret, around },
                }
            }),
        (id(), secret(), select(HARMLESS_WRAPS)).prop_map(|(id, secret, (before, after))| {
            KeyCase::Valid {
                input: format!("{before}{KEY_PREFIX}{id}.{secret}{after}"),
                secret: Secret {
                    secret,
                    around: format!("{before}{KEY_PREFIX}{id}.\n{after}"),
                },
                id,
            }
        }),
        (text_around(), id(), secret(), text_around()).prop_map(|(left, id, secret, right)| {
            KeyCase::Embedded {
                text: format!("{left}{KEY_PREFIX}{id}.{secret}{right}"),
                secret: Secret {
                    secret,
                    around: format!("{left}{KEY_PREFIX}{id}.\n{right}"),
                },
            }
        }),
    ]
}

/// The parser's trimming rule: whitespace, then one pair of matching quotes, then whitespace.
fn normalized(input: &str) -> &str {
    let trimmed = input.trim();
    ['"', '\'']
        .iter()
        .find_map(|q| trimmed.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
        .unwrap_or(trimmed)
        .trim()
}

/// `hopx_live_<12 letters or digits>.<something>`: the shape whose key id may be shown.
fn standard_id(key: &str) -> Option<&str> {
    let (id, secret) = key.strip_prefix(KEY_PREFIX)?.split_once('.')?;
    (id.len() == KEY_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric()) && !secret.is_empty())
        .then_some(id)
}

/// What the parser must accept, written from the documented rules rather than from its code.
fn acceptable(key: &str, validate: bool) -> bool {
    let header_safe = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.chars().all(|c| c.is_ascii_graphic())
        && !key
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("bearer "));
    if !validate {
        return header_safe;
    }
    header_safe
        && standard_id(key).is_some()
        && key
            .split_once('.')
            .is_some_and(|(_, secret)| secret.bytes().all(|b| SECRET_CHARS.contains(&b)))
}

/// The 8-character pieces of the secret that would give part of it away if shown. Those that
/// also occur in the rest of the input are not its own (shrinking turns ids and secrets alike
/// into `AAAA...`) and may be shown.
fn pieces(secret: &Secret) -> impl Iterator<Item = &str> {
    let s = secret.secret.as_str();
    (0..s.len().saturating_sub(7))
        .map(move |i| &s[i..i + 8])
        .filter(|piece| !secret.around.contains(piece))
}

const ORIGINS: &[(&str, bool)] = &[
    ("The API key", true),
    ("The API key in HOPX_API_KEY", true),
    ("The API key passed as an argument", false),
];

fn check_parse(input: &str, secret: Option<&Secret>) -> TestCaseResult {
    let key = normalized(input);
    for &(origin, validate) in ORIGINS {
        match ApiKey::parse_from(input, origin, validate) {
            Ok(parsed) => {
                prop_assert!(
                    acceptable(key, validate),
                    "accepted {key:?} (validate: {validate})"
                );
                prop_assert_eq!(parsed.expose_secret(), key);
                let redacted = match standard_id(key) {
                    Some(id) => format!("{KEY_PREFIX}{id}.****"),
                    None => "****".to_owned(),
                };
                prop_assert_eq!(parsed.key_id(), standard_id(key));
                prop_assert_eq!(parsed.redacted(), redacted.clone());
                prop_assert_eq!(parsed.to_string(), redacted.clone());
                prop_assert_eq!(format!("{parsed:?}"), format!("ApiKey({redacted})"));
            }
            Err(e) => {
                prop_assert!(
                    !acceptable(key, validate),
                    "rejected {key:?} (validate: {validate}): {e}"
                );
                prop_assert!(e.code().is_invalid_api_key(), "{:?}", e.code());
                prop_assert!(e.message().starts_with(origin), "{}", e.message());
                for piece in secret.into_iter().flat_map(pieces) {
                    for (what, text) in error_texts(&e) {
                        assert_absent(what, &text, piece)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_scrub(text: &str, key_secret: Option<&Secret>) -> TestCaseResult {
    let once = scrub_secrets(text).into_owned();
    let twice = scrub_secrets(&once).into_owned();
    prop_assert_eq!(
        &twice,
        &once,
        "scrubbing {:?} twice differs from once",
        text
    );
    if !text.contains(KEY_PREFIX) && !text.contains("eyJ") {
        prop_assert_eq!(&once, text);
    }
    if let Some(secret) = key_secret {
        for piece in pieces(secret) {
            assert_absent("scrubbed text", &once, piece)?;
        }
    }
    Ok(())
}

#[test]
fn key_parsing() {
    run("key_parsing", 256, key_case(), |case| match &case {
        KeyCase::Arbitrary(input) => {
            check_parse(input, None)?;
            check_scrub(input, None)
        }
        KeyCase::Shaped { input, secret } => {
            check_parse(input, Some(secret))?;
            check_scrub(input, None)
        }
        KeyCase::Valid { input, id, secret } => {
            let key = ApiKey::parse(input).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(key.key_id(), Some(id.as_str()));
            check_parse(input, Some(secret))?;
            check_scrub(input, Some(secret))
        }
        KeyCase::Embedded { text, secret } => {
            check_parse(text, Some(secret))?;
            check_scrub(text, Some(secret))
        }
    });
}

/// Found by `key_parsing` (fixed): `scrub_secrets` copied a token that starts with `eyJ` (at a
/// word start) unchanged when it has fewer than two dots, so a key glued to it was shown.
#[test]
fn scrub_redacts_a_key_glued_to_a_jwt_start() {
    let text = "eyJhopx_live_AbCdEf123456.s3cr3tS3cr3tS3cr3t";
    let scrubbed = scrub_secrets(text);
    assert!(!scrubbed.contains("s3cr3tS3cr3tS3cr3t"), "{scrubbed}");
}

/// Found by `key_parsing` (fixed, twice): a redacted key followed by more stars, or by a
/// redacted token, lost those stars on the second pass.
#[test]
fn scrub_is_idempotent_before_stars_and_tokens() {
    for text in [
        "hopx_live_AbCdEf123456.secret*",
        "hopx_live_AAAAAAAAAAAA.AAAAAAAAAAAAAAAA*eyJhbGc.eyJzdWIi.c2ln",
        "hopx_live_AbCdEf123456.****eyJhbGc.eyJzdWIi.c2lnhopx_live_AAAAAAAAAAAA.AAAAAAAAAAAAAAAA",
    ] {
        let once = scrub_secrets(text).into_owned();
        assert_eq!(scrub_secrets(&once), once, "{text}");
        assert!(
            !once.contains("AAAAAAAAAAAAAAAA") && !once.contains("secret"),
            "{once}"
        );
    }
}
