// Where the API key and base URL come from, tested in child processes whose environment,
// working directory, home and config directory are all controlled (this process's own
// environment is never touched).
//
// Each case puts the server's real key (K1) in the source that must win and well-formed keys
// the server does not know in every source below it: a call succeeds only if the winner was
// used, and using any other source would give a 401.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { randomKey, startServer } from './server.mjs';

const SDK = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'js', 'index.js');

// Runs Sandbox.listTemplates(options) and prints the outcome as one JSON line.
const CHILD = `
const { Sandbox } = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
Sandbox.listTemplates(options).then(
  (templates) => console.log(JSON.stringify({ ok: true, count: templates.length })),
  (e) => console.log(JSON.stringify({
    ok: false, name: e.name, code: e.code, status: e.status, message: e.message, hint: e.hint,
  })),
);
`;

let server;
let root;
let caseNumber = 0;

before(async () => {
  server = await startServer();
  root = realpathSync(mkdtempSync(join(tmpdir(), 'hopx-node-config-')));
});
after(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * A fresh case directory: `home/` (HOME), `config/` (HOPX_CONFIG_DIR) and `project/a/b/`
 * (the working directory). `files` maps paths relative to the case directory to contents.
 */
function caseDir(files = {}) {
  caseNumber += 1;
  const dir = join(root, `case${caseNumber}`);
  const cwd = join(dir, 'project', 'a', 'b');
  for (const path of [join(dir, 'home'), join(dir, 'config'), cwd]) mkdirSync(path, { recursive: true });
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return { dir, cwd, configDir: join(dir, 'config') };
}

/** Runs the child with exactly `env` (plus PATH) in `cwd`. */
function run({ cwd, env, options = {} }) {
  const result = spawnSync(process.execPath, ['-e', CHILD, SDK, JSON.stringify(options)], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, `child failed: ${result.error ?? ''}\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function toml(profiles, defaultProfile) {
  let text = defaultProfile ? `default_profile = "${defaultProfile}"\n` : '';
  for (const [name, settings] of Object.entries(profiles)) {
    text += `\n[profiles.${name}]\n`;
    for (const [key, value] of Object.entries(settings)) text += `${key} = "${value}"\n`;
  }
  return text;
}

function assertOk(outcome) {
  assert.deepEqual(
    { ok: outcome.ok, error: outcome.ok ? undefined : `${outcome.name}: ${outcome.message}` },
    { ok: true, error: undefined },
  );
  assert.ok(outcome.count > 0);
}

test('the apiKey option beats HOPX_API_KEY, .env and the config file', () => {
  const c = caseDir({
    'project/.env': `HOPX_API_KEY=${randomKey()}\n`,
    'config/config.toml': toml({ default: { api_key: randomKey() } }),
  });
  const outcome = run({
    cwd: c.cwd,
    env: {
      HOME: join(c.dir, 'home'),
      HOPX_CONFIG_DIR: c.configDir,
      HOPX_API_KEY: randomKey(),
      HOPX_BASE_URL: server.url,
    },
    options: { apiKey: server.keys[0] },
  });
  assertOk(outcome);
});

test('HOPX_API_KEY beats .env and the config file', () => {
  const c = caseDir({
    'project/.env': `HOPX_API_KEY=${randomKey()}\n`,
    'config/config.toml': toml({ default: { api_key: randomKey() } }),
  });
  assertOk(
    run({
      cwd: c.cwd,
      env: {
        HOME: join(c.dir, 'home'),
        HOPX_CONFIG_DIR: c.configDir,
        HOPX_API_KEY: server.keys[0],
        HOPX_BASE_URL: server.url,
      },
    }),
  );
});

test('the nearest .env upward from the working directory beats farther ones and the config file', () => {
  const c = caseDir({
    '.env': `HOPX_API_KEY=${randomKey()}\n`,
    'project/a/.env': `# the nearest one\nOTHER=1\nHOPX_API_KEY="${server.keys[0]}"\n`,
    'config/config.toml': toml({ default: { api_key: randomKey() } }),
  });
  assertOk(
    run({
      cwd: c.cwd,
      env: { HOME: join(c.dir, 'home'), HOPX_CONFIG_DIR: c.configDir, HOPX_BASE_URL: server.url },
    }),
  );
});

test('the wrong key in the winning source is used (and refused), not a lower one', () => {
  const c = caseDir({ 'project/.env': `HOPX_API_KEY=${server.keys[0]}\n` });
  const outcome = run({
    cwd: c.cwd,
    env: {
      HOME: join(c.dir, 'home'),
      HOPX_CONFIG_DIR: c.configDir,
      HOPX_API_KEY: randomKey(),
      HOPX_BASE_URL: server.url,
    },
  });
  assert.equal(outcome.name, 'AuthenticationError', outcome.message);
  assert.equal(outcome.status, 401);
});

test("$HOPX_CONFIG_DIR/config.toml: the file's default_profile gives the key and base URL", () => {
  const c = caseDir({
    'config/config.toml': toml(
      {
        default: { api_key: randomKey(), base_url: `${server.url}/not-this-profile` },
        x: { api_key: server.keys[0], base_url: server.url },
      },
      'x',
    ),
  });
  assertOk(run({ cwd: c.cwd, env: { HOME: join(c.dir, 'home'), HOPX_CONFIG_DIR: c.configDir } }));
});

test('HOPX_PROFILE picks another profile of the config file', () => {
  const c = caseDir({
    'config/config.toml': toml(
      {
        x: { api_key: randomKey(), base_url: server.url },
        y: { api_key: server.keys[1], base_url: server.url },
      },
      'x',
    ),
  });
  const env = { HOME: join(c.dir, 'home'), HOPX_CONFIG_DIR: c.configDir };
  assertOk(run({ cwd: c.cwd, env: { ...env, HOPX_PROFILE: 'y' } }));
  const withDefault = run({ cwd: c.cwd, env });
  assert.equal(withDefault.name, 'AuthenticationError', withDefault.message);
  const missing = run({ cwd: c.cwd, env: { ...env, HOPX_PROFILE: 'nope' } });
  assert.equal(missing.name, 'ConfigurationError', missing.message);
  assert.equal(missing.code, 'invalid_config');
});

test('HOPX_BASE_URL beats the config file; the baseURL option beats HOPX_BASE_URL', () => {
  const c = caseDir({
    'config/config.toml': toml({ default: { base_url: `${server.url}/from-config` } }),
  });
  const env = {
    HOME: join(c.dir, 'home'),
    HOPX_CONFIG_DIR: c.configDir,
    HOPX_API_KEY: server.keys[0],
  };
  assertOk(run({ cwd: c.cwd, env: { ...env, HOPX_BASE_URL: server.url } }));
  assertOk(
    run({
      cwd: c.cwd,
      env: { ...env, HOPX_BASE_URL: `${server.url}/from-env` },
      options: { baseURL: server.url },
    }),
  );
});

test('.env cannot set HOPX_BASE_URL', () => {
  // If .env could set the base URL the call would succeed against the server; instead the
  // config file's base URL (the same server under a path that does not exist) is used.
  const c = caseDir({
    'project/a/b/.env': `HOPX_API_KEY=${server.keys[0]}\nHOPX_BASE_URL=${server.url}\n`,
    'config/config.toml': toml({ default: { base_url: `${server.url}/from-config` } }),
  });
  const outcome = run({
    cwd: c.cwd,
    env: { HOME: join(c.dir, 'home'), HOPX_CONFIG_DIR: c.configDir },
  });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.status, 404, `${outcome.name}: ${outcome.message}`);
  assert.ok(outcome.message.includes('/v1/templates'), outcome.message);
});

test('no key anywhere: MissingApiKeyError naming every place, and nothing sent', async () => {
  const c = caseDir({ 'project/.env': 'OTHER=1\n' });
  const before_ = await server.stats();
  const outcome = run({
    cwd: c.cwd,
    env: { HOME: join(c.dir, 'home'), HOPX_CONFIG_DIR: c.configDir, HOPX_BASE_URL: server.url },
  });
  assert.equal(outcome.name, 'MissingApiKeyError', outcome.message);
  assert.equal(outcome.code, 'api_key_missing');
  assert.ok(outcome.message.includes('HOPX_API_KEY'), outcome.message);
  assert.ok(outcome.message.includes(join(c.dir, 'project', '.env')), outcome.message);
  assert.ok(outcome.message.includes(join(c.configDir, 'config.toml')), outcome.message);
  assert.ok(outcome.hint.includes('apiKey'), outcome.hint);

  const noDotEnv = caseDir();
  const second = run({
    cwd: noDotEnv.cwd,
    env: {
      HOME: join(noDotEnv.dir, 'home'),
      HOPX_CONFIG_DIR: noDotEnv.configDir,
      HOPX_BASE_URL: server.url,
    },
  });
  assert.equal(second.name, 'MissingApiKeyError', second.message);
  assert.ok(second.message.includes(noDotEnv.cwd), second.message);

  const now = await server.stats();
  assert.equal(now.api_requests, before_.api_requests);
  assert.equal(now.api_connections, before_.api_connections);
});
