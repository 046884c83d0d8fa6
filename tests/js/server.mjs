// Test helpers: a real hopx-local server per test file, and its request counters.
// (Not a test file: node --test only runs *.test.mjs here.)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import util from 'node:util';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length) {
  let text = '';
  for (let i = 0; i < length; i += 1) text += ALNUM[randomInt(ALNUM.length)];
  return text;
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise) {
  return promise.then(
    (value) => assert.fail(`expected a rejection, got ${util.inspect(value)}`),
    (error) => error,
  );
}

/** A fresh key in the real format: `hopx_live_<12 alnum>.<32 alnum>`. */
export function randomKey() {
  return `hopx_live_${randomAlnum(12)}.${randomAlnum(32)}`;
}

/** The secret part of a key (after the dot). */
export function secretOf(key) {
  return key.slice(key.indexOf('.') + 1);
}

/**
 * Spawns `bin args` with stdin piped, waits for its one JSON ready line and returns
 * `{ ready, stop() }` (hopx-local and hopx-testkit); the child's stderr is kept for error messages.
 */
export async function spawnReady(bin, args, label = bin) {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnFailed = new Promise((_, reject) => child.once('error', reject));
  const lines = createInterface({ input: child.stdout });
  const firstLine = new Promise((resolve) => lines.once('line', resolve));
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} printed no ready line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`${label} exited (code ${code}, signal ${signal}) before it was ready`);
  });
  for (const promise of [timeout, spawnFailed, exitedEarly]) promise.catch(() => {});
  let ready;
  try {
    ready = JSON.parse(await Promise.race([firstLine, timeout, spawnFailed, exitedEarly]));
  } catch (error) {
    child.kill('SIGKILL');
    error.message += `\n${label} ${args.join(' ')} stderr:\n${stderr}`;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  lines.close();
  child.stdout.resume();
  return {
    ready,
    async stop() {
      child.stdin.end();
      let killTimer;
      const killed = new Promise((resolve) => {
        killTimer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, STOP_TIMEOUT_MS);
      });
      await Promise.race([exited, killed]);
      clearTimeout(killTimer);
      await exited;
    },
  };
}

/**
 * Starts `$HOPX_LOCAL_BIN` on a free loopback port with random keys (two by default; each key
 * is an organization of its own, with its own sandboxes) and returns
 * `{ url, keys: [K1, K2, ...], stats(), resetStats(), stop() }`.
 */
export async function startServer({ keyCount = 2 } = {}) {
  const bin = process.env.HOPX_LOCAL_BIN;
  if (!bin) {
    throw new Error(
      'HOPX_LOCAL_BIN is not set: build the server with `cargo build -p hopx-local` and run ' +
        'HOPX_LOCAL_BIN=$PWD/target/x86_64-unknown-linux-gnu/debug/hopx-local npm test',
    );
  }
  const keys = Array.from({ length: keyCount }, () => randomKey());
  const dataDir = mkdtempSync(join(tmpdir(), 'hopx-node-test-'));
  let child;
  try {
    child = await spawnReady(
      bin,
      [
        '--port', '0',
        ...keys.flatMap((key) => ['--api-key', key]),
        '--data-dir', dataDir,
        '--exit-when-stdin-closes',
        '--max-lifetime-seconds', '900',
      ],
      'hopx-local',
    );
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { ready } = child;
  if (ready.event !== 'listening' || typeof ready.url !== 'string') {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`unexpected hopx-local ready line: ${JSON.stringify(ready)}`);
  }
  const { url } = ready;

  return {
    url,
    keys,
    stats: () => stats(url),
    resetStats: () => resetStats(url),
    async stop() {
      // --exit-when-stdin-closes: closing stdin is the polite stop; SIGKILL if it lingers.
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function request(url, method) {
  return new Promise((resolve, reject) => {
    // agent: false: a connection of its own, so the counters see nothing of the SDK's pool.
    const req = http.request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${method} ${url}: HTTP ${res.statusCode} ${body}`));
        else resolve(body ? JSON.parse(body) : null);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `{ connections_accepted, api_connections, api_requests }` of the server at `url`. */
export function stats(url) {
  return request(`${url}/_local/stats`, 'GET');
}

/** Sets the server's counters to zero. */
export function resetStats(url) {
  return request(`${url}/_local/reset-stats`, 'POST');
}

/**
 * A scripted HTTP server on the loopback interface (for answers hopx-local never gives):
 * answers every request with `respond(req, res)` and lists what it received in `requests`
 * (method, URL, headers). `close()` also drops keep-alive connections the SDK's pool holds.
 *
 * With `{ readBody: true }`, each request's body is read first: it is recorded as `body` (a
 * Buffer) and passed as `respond(req, res, body)`.
 */
export async function startFake(respond, { readBody = false } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const entry = { method: req.method, url: req.url, headers: req.headers };
    requests.push(entry);
    if (!readBody) {
      req.resume();
      respond(req, res);
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      entry.body = Buffer.concat(chunks);
      respond(req, res, entry.body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
