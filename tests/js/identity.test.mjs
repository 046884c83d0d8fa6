// What the SDK says about itself on the wire: every call, with or without an options object,
// sends the Node SDK's User-Agent, and the key goes in the header style asked for.
//
// The no-options calls run in a child process whose environment, working directory, home and
// config directory are all controlled (this process's own environment is never touched).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Sandbox, version } from '@hopx-ai/sdk';

import { startServer } from './server.mjs';

const SDK = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'js', 'index.js');
const USER_AGENT = `hopx-node/${version}`;

// Sandbox.listTemplates() and Sandbox.create({ template: 'base' }) with nothing else: the key
// and base URL come from the environment. Prints the outcome as one JSON line.
const CHILD = `
const { Sandbox } = require(process.argv[1]);
(async () => {
  const templates = await Sandbox.listTemplates();
  const sandbox = await Sandbox.create({ template: 'base' });
  console.log(JSON.stringify({ ok: true, count: templates.length, sandboxId: sandbox.sandboxId }));
})().catch((e) => console.log(JSON.stringify({ ok: false, name: e.name, message: e.message })));
`;

let server;
let options;
let root;
before(async () => {
  server = await startServer();
  options = { apiKey: server.keys[0], baseURL: server.url };
  root = realpathSync(mkdtempSync(join(tmpdir(), 'hopx-node-identity-')));
});
after(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('calls with no options object use the Node SDK identity', async () => {
  const home = join(root, 'home');
  const configDir = join(root, 'config');
  const cwd = join(root, 'project');
  for (const path of [home, configDir, cwd]) mkdirSync(path, { recursive: true });

  await server.resetStats();
  const result = spawnSync(process.execPath, ['-e', CHILD, SDK], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      HOPX_CONFIG_DIR: configDir,
      HOPX_API_KEY: server.keys[0],
      HOPX_BASE_URL: server.url,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, `child failed: ${result.error ?? ''}\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const outcome = JSON.parse(lines[lines.length - 1]);
  assert.equal(outcome.ok, true, `${outcome.name}: ${outcome.message}`);
  assert.ok(outcome.count > 0);
  assert.equal(typeof outcome.sandboxId, 'string');

  // One GET /v1/templates and one POST /v1/sandboxes, both as the Node SDK (not hopx-rust/...)
  // and with the default Authorization: Bearer header.
  const stats = await server.stats();
  assert.equal(stats.api_requests, 2);
  assert.deepEqual(stats.user_agents, { [USER_AGENT]: 2 });
  assert.deepEqual(stats.auth_headers, { bearer: 2 });
});

for (const [style, extra] of [
  ['x-api-key', { authHeader: 'x-api-key' }],
  ['bearer', {}],
  ['bearer', { authHeader: 'bearer' }],
]) {
  test(`listTemplates with ${JSON.stringify(extra)} sends the key as ${style}`, async () => {
    await server.resetStats();
    const templates = await Sandbox.listTemplates({ ...options, ...extra });
    assert.ok(templates.length > 0);
    const stats = await server.stats();
    assert.deepEqual(stats.auth_headers, { [style]: 1 });
    assert.deepEqual(stats.user_agents, { [USER_AGENT]: 1 });
  });
}
