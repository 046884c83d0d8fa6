'use strict';
// Loads the native addon (the Rust core, built by napi-rs): first the file next to this one,
// `hopx.<platform>-<arch>[-<abi>].node` (what `npm run build` writes), then the per-platform
// npm package `@hopx-ai/sdk-<platform>-<arch>[-<abi>]` (what a published install brings).

const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const BINARY_NAME = 'hopx';
const PACKAGE_NAME = '@hopx-ai/sdk';

/** True on a musl libc (Alpine and similar), false on glibc. */
function isMusl() {
  try {
    // The loader script names its libc; this is what the napi-rs loaders check first.
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    // No ldd: ask Node, which reports the glibc version it runs on (none on musl).
    const report = process.report && typeof process.report.getReport === 'function'
      ? process.report.getReport()
      : null;
    return !(report && report.header && report.header.glibcVersionRuntime);
  }
}

/** The napi-rs platform suffixes to try for this process, most specific first. */
function platformSuffixes() {
  const { platform, arch } = process;
  switch (platform) {
    case 'linux': {
      const musl = isMusl();
      if (arch === 'arm') return [musl ? 'linux-arm-musleabihf' : 'linux-arm-gnueabihf'];
      return [`linux-${arch}-${musl ? 'musl' : 'gnu'}`];
    }
    case 'win32':
      return [`win32-${arch}-msvc`];
    case 'darwin':
      return [`darwin-${arch}`, 'darwin-universal'];
    default:
      return [`${platform}-${arch}`];
  }
}

function load() {
  const tried = [];
  for (const suffix of platformSuffixes()) {
    const file = join(__dirname, `${BINARY_NAME}.${suffix}.node`);
    if (existsSync(file)) {
      try {
        return require(file);
      } catch (e) {
        tried.push(`${file}: ${e && e.message}`);
      }
    } else {
      tried.push(`${file}: not found`);
    }
    const pkg = `${PACKAGE_NAME}-${suffix}`;
    try {
      return require(pkg);
    } catch (e) {
      const missing = e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(pkg);
      tried.push(`${pkg}: ${missing ? 'not installed' : e && e.message}`);
    }
  }
  const error = new Error(
    `${PACKAGE_NAME} could not load its native addon for ${process.platform}-${process.arch}.\n` +
      `Tried:\n${tried.map((line) => `  - ${line}`).join('\n')}\n` +
      'In a checkout of the repository, build it with `npm install && npm run build` ' +
      '(or `npm run build:debug`); this needs a Rust toolchain. ' +
      `From npm, reinstall ${PACKAGE_NAME} without --no-optional / --omit=optional so the ` +
      'package for this platform is installed.',
  );
  error.code = 'HOPX_NATIVE_NOT_FOUND';
  throw error;
}

module.exports = load();
