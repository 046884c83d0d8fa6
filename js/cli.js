#!/usr/bin/env node
'use strict';
// The `hopx` command of @hopx-ai/sdk. The command line itself is the Rust one in the native
// addon (the same `hopx` as `cargo install hopx-cli` and `pip install hopx_ai`); it reads and
// writes this process's real stdin, stdout and stderr, and its status becomes ours.

const { runCli } = require('./native.js');

process.exit(runCli(['hopx', ...process.argv.slice(2)]));
