// Test helpers: the `hopx-testkit` servers (crates/hopx-testkit) for the resilience tests: a
// fault-injecting reverse proxy, an HTTP forward proxy and an HTTPS front with its own CA.
// (Not a test file: node --test only runs *.test.mjs here.)
//
// Every mode binds 127.0.0.1:0, prints one JSON ready line and exits when its stdin closes;
// `stop()` closes stdin (SIGKILL if it lingers).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnReady } from './server.mjs';

const CONTROL_TIMEOUT_MS = 10_000;

function testkitBin() {
  const bin = process.env.HOPX_TESTKIT_BIN;
  if (!bin) {
    throw new Error(
      'HOPX_TESTKIT_BIN is not set: build it with `cargo build -p hopx-testkit` and run with ' +
        'HOPX_TESTKIT_BIN=$PWD/target/x86_64-unknown-linux-gnu/debug/hopx-testkit',
    );
  }
  return bin;
}


/** A JSON request of the test's own (never the SDK's pool): `{ status, body }`. */
export function controlRequest(url, method = 'GET', body = undefined, { ca } = {}) {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method,
        agent: false,
        timeout: CONTROL_TIMEOUT_MS,
        ca,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          let parsed = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function controlJson(url, method, body, options) {
  const { status, body: answer } = await controlRequest(url, method, body, options);
  if (status !== 200) throw new Error(`${method} ${url}: HTTP ${status} ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * `hopx-testkit faults --upstream <upstream>`: `{ url, setRules(rules), log(), reset(), stop() }`.
 * `log()` is the list of `{ method, path, query, at_ms, rule, fault }` the server received.
 */
export async function startFaults(upstream) {
  const { ready, stop } = await spawnReady(testkitBin(), ['faults', '--upstream', upstream], 'hopx-testkit faults');
  const { url } = ready;
  return {
    url,
    // A port that refuses connections while this server runs (bound, never listening).
    refusedUrl: ready.refused_url,
    setRules: (rules) => controlJson(`${url}/__faults`, 'POST', { rules }),
    log: async () => (await controlJson(`${url}/__faults/log`, 'GET')).requests,
    reset: () => controlJson(`${url}/__faults/reset`, 'POST', {}),
    stop,
  };
}

/**
 * `hopx-testkit proxy [--auth USER:PASS]`: `{ url, log(), stop() }`; `log()` lists
 * `{ method, target, authorized }`.
 */
export async function startProxy({ auth } = {}) {
  const args = ['proxy', ...(auth ? ['--auth', auth] : [])];
  const { ready, stop } = await spawnReady(testkitBin(), args, 'hopx-testkit proxy');
  const { url } = ready;
  return {
    url,
    log: async () => (await controlJson(`${url}/__proxy/log`, 'GET')).requests,
    stop,
  };
}

/**
 * `hopx-testkit tls --upstream <upstream>`: `{ url, caFile, ca (PEM), log(), stop() }`; `log()`
 * is `{ requests: [{ method, path, version }], handshakes }`.
 */
export async function startTls(upstream, { http1Only = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hopx-node-tls-'));
  const caFile = join(dir, 'ca.pem');
  const args = ['tls', '--upstream', upstream, '--ca-out', caFile, ...(http1Only ? ['--http1-only'] : [])];
  let server;
  try {
    server = await spawnReady(testkitBin(), args, 'hopx-testkit tls');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { url } = server.ready;
  const ca = readFileSync(server.ready.ca ?? caFile, 'utf8');
  return {
    url,
    caFile: server.ready.ca ?? caFile,
    ca,
    log: () => controlJson(`${url}/__tls/log`, 'GET', undefined, { ca }),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback URL nothing listens on: a port that was bound, then closed. */
export async function refusedUrl() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** The environment of a child process without any proxy or CA variable (and extra on top). */
export function cleanNetworkEnv(extra = {}) {
  const dropped = /^(https?_proxy|all_proxy|no_proxy|hopx_ca_bundle|hopx_log|node_debug)$/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.test(name)));
  return { ...env, ...extra };
}

/**
 * Runs `node --input-type=module -e <source>` with `env`; resolves to `{ code, signal, stdout,
 * stderr }` (both captured whole). Killed after `timeoutMs`.
 */
export function runNode(source, { env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
