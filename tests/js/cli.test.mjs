// The `hopx` bin of @hopx-ai/sdk: js/cli.js runs the Rust CLI in the native addon. `hopx auth
// login` stores a key that a Node program then uses with no environment variable set; exit
// statuses; Ctrl-C.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { randomKey, secretOf, startServer } from './server.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'js', 'cli.js');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

let server;
let home;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** A fresh HOME (so the config file is ~/.hopx/config.toml) and no HOPX_* variable. */
function cleanEnv(extra = {}) {
  home = mkdtempSync(join(tmpdir(), 'hopx-cli-js-'));
  mkdirSync(join(home, 'work'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('HOPX_')),
  );
  return { ...env, HOME: home, NO_PROXY: '127.0.0.1,localhost', ...extra };
}

function hopx(args, { env, input } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env,
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
    cwd: join(env.HOME, 'work'),
  });
}

test('the package declares the bin, and it runs the native CLI', () => {
  assert.equal(packageJson.bin.hopx, 'js/cli.js');
  assert.ok(packageJson.files.includes('js/cli.js'));
  const env = cleanEnv();
  const result = hopx(['--version'], { env });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), `hopx ${packageJson.version}`);
  rmSync(home, { recursive: true, force: true });
});

test('hopx auth login stores a key that a Node program uses with no env var', () => {
  const env = cleanEnv();
  const login = hopx(['auth', 'login', '--base-url', server.url, '-o', 'json'], {
    env,
    input: `${server.keys[0]}\n`,
  });
  assert.equal(login.status, 0, login.stderr);
  const view = JSON.parse(login.stdout);
  assert.equal(view.verified, true);
  assert.equal(view.profile, 'default');
  assert.ok(!(login.stdout + login.stderr).includes(secretOf(server.keys[0])));
  const config = join(home, '.hopx', 'config.toml');
  assert.equal(statSync(config).mode & 0o777, 0o600);

  const program = `
    const { Sandbox } = require(${JSON.stringify(join(ROOT, 'js', 'index.js'))});
    if (Object.keys(process.env).some((k) => k.startsWith('HOPX_'))) throw new Error('HOPX_ set');
    (async () => {
      const templates = await Sandbox.listTemplates();
      const sandbox = await Sandbox.create({ template: 'base' });
      const info = await sandbox.getInfo();
      await sandbox.kill();
      console.log(templates.length, info.status);
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const run = spawnSync(process.execPath, ['-e', program], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
    cwd: join(home, 'work'),
  });
  assert.equal(run.status, 0, run.stderr);
  const [count, status] = run.stdout.trim().split(' ');
  assert.ok(Number(count) > 0);
  assert.equal(status, 'running');
  rmSync(home, { recursive: true, force: true });
});

test('exit statuses and JSON errors', () => {
  const env = cleanEnv({ HOPX_API_KEY: server.keys[0], HOPX_BASE_URL: server.url });
  const missing = hopx(['sandbox', 'info', 'nope', '-o', 'json'], { env });
  assert.equal(missing.status, 4);
  assert.equal(JSON.parse(missing.stderr).error.code, 'not_found');
  assert.equal(hopx(['--bogus'], { env }).status, 2);
  const noKey = hopx(['template', 'list', '-o', 'json'], { env: cleanEnv() });
  assert.equal(noKey.status, 3);
  assert.equal(JSON.parse(noKey.stderr).error.code, 'api_key_missing');
  const list = hopx(['template', 'list', '-o', 'json'], { env });
  assert.equal(list.status, 0, list.stderr);
  assert.ok(JSON.parse(list.stdout).some((t) => t.name === 'base'));
});

test('Ctrl-C stops a command that is waiting', async () => {
  // A server that accepts and never answers.
  const sockets = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${silent.address().port}`;
  const env = cleanEnv({ HOPX_API_KEY: randomKey() });
  const child = spawn(process.execPath, [CLI, 'sandbox', 'create', '-t', 'base', '--base-url', url], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const started = Date.now();
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  assert.ok(Date.now() - started < 10_000);
  assert.equal(signal, 'SIGINT', `exited with ${code}`);
  for (const socket of sockets) socket.destroy();
  silent.close();
  rmSync(home, { recursive: true, force: true });
});
