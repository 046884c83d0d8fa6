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
mod models;
mod options;
mod sandbox;

use std::collections::HashMap;
use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, JsError};
use napi_derive::napi;

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

/// Runs a core call on napi's tokio runtime as a Promise.
///
/// napi settles an `async fn`'s error off the JavaScript thread, where only its own
/// `Error<Status>` can cross, and that would lose the `HOPX_ERROR` code. So the future hands
/// the core's result back as a value, and the error becomes a JavaScript error here, on the
/// JavaScript thread; the promise is rejected with that very object.
fn promise<'env, V, F>(env: &'env Env, call: F) -> napi::Result<PromiseRaw<'env, V>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = hopx::Result<V>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(call.await) }, |env, result| {
        result.map_err(|error| {
            napi::Error::from(JsError::from(errors::to_napi_error(error)).into_unknown(*env))
        })
    })
}
