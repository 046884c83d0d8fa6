//! The `hopx` binary end to end: every command against a real hopx-local, JSON outputs
//! parsed, exit statuses checked, nothing printed that holds a secret. HOME and the working
//! directory are per-test temporary directories; the real ~/.hopx is never touched.

mod auth;
mod common;
mod config;
mod misc;
mod pty;
mod sandbox;
