//! The native addon of the `@hopx-ai/sdk` npm package: Node.js bindings of the `hopx` core.
//!
//! Conversions only. Every call takes JavaScript arguments, builds the core's options struct,
//! calls the core and converts the result or the error; defaults, validation, retries and
//! configuration all live in `crates/hopx`. The public API (the `Sandbox` class and the error
//! classes) is JavaScript, in `js/index.js`, built on what this module exports.
//!
//! - [`options`]: the options objects → `hopx::ClientOptions` / `CreateSandboxOptions`.
//! - [`sandbox`]: `NativeSandbox`, `NativeSandboxPager` and the class-level calls (`createSandbox`,
//!   `connectSandbox`, `listSandboxes`, `iterSandboxes`, templates, `healthCheck`).
//! - [`agent`]: the data plane on `NativeSandbox` (code, processes, commands, files, env).
//! - [`models`]: the result objects.
//! - [`errors`]: the one `hopx::Error` → JavaScript error conversion.
//! - [`logging`]: the core's log records to stderr (`HOPX_LOG`) or a JavaScript function
//!   (`setLogger`).
//! - [`settle`]: how results get back to JavaScript (`promise`, and the bridge `js/index.js`
//!   registers).
//! - [`cli`]: `runCli`, the `hopx` command line for the package's `hopx` bin.

// The workspace denies unsafe code, but napi's macros (#[napi] on functions, classes, objects
// and constants) expand to `unsafe` FFI glue. This crate writes no unsafe block of its own.
#![allow(unsafe_code)]
// napi-derive registers exports only under `cfg(not(test))`, so in a test build (which
// `cargo clippy --all-targets` makes even with `test = false`) every export looks unused.
#![cfg_attr(test, allow(dead_code))]

mod agent;
mod cli;
mod errors;
mod logging;
mod models;
mod options;
mod sandbox;
mod settle;

use std::collections::HashMap;

use napi_derive::napi;

use settle::promise;

/// The version of the package (and of the core it was built with).
// Lower case because napi-derive 3.7 registers a constant under its Rust name and ignores
// `js_name` (only the generated `.d.ts` honours it).
#[allow(non_upper_case_globals)]
#[napi]
pub const version: &str = hopx::VERSION;

/// `{error code: error class name}` for every code the core can report, so the JavaScript side
/// (and its tests) can check that every class the core names exists.
#[napi]
pub fn error_classes() -> HashMap<String, String> {
    hopx::ErrorCode::ALL
        .iter()
        .map(|code| (code.as_str().to_owned(), code.class_name().to_owned()))
        .collect()
}
