// Secrets never print: the API key's secret is in no printed form of a sandbox, its info, the
// templates or any error, and environment variable values passed to create are in no printed
// form of the sandbox.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import util from 'node:util';

import { HopxError, Sandbox } from '@hopx-ai/sdk';

import { randomKey, secretOf, startServer, rejection } from './server.mjs';

let server;
let key;
let secret;
before(async () => {
  server = await startServer();
  key = server.keys[0];
  secret = secretOf(key);
});
after(async () => {
  await server?.stop();
});

/** Every way a value gets printed or logged. */
function printedForms(value) {
  const forms = {
    'String()': String(value),
    'util.inspect()': util.inspect(value, { depth: Infinity }),
    'util.inspect(showHidden)': util.inspect(value, { depth: Infinity, showHidden: true }),
    'JSON.stringify()': JSON.stringify(value) ?? '',
    'util.format(%o)': util.format('%o', value),
  };
  if (value instanceof Error) forms.stack = String(value.stack);
  return forms;
}

function assertNotPrinted(value, needles, what) {
  for (const [form, text] of Object.entries(printedForms(value))) {
    for (const needle of needles) {
      assert.ok(!text.includes(needle), `${what}: ${form} contains a secret: ${text}`);
    }
  }
}


test('sandbox, info and templates never show the key; the sandbox never shows env values', async () => {
  const envValue = `env-secret-${secretOf(randomKey())}`;
  const sandbox = await Sandbox.create({
    apiKey: key,
    baseURL: server.url,
    template: 'code-interpreter',
    envVars: { DATABASE_PASSWORD: envValue },
  });
  assertNotPrinted(sandbox, [secret, key, envValue], 'sandbox');

  const info = await sandbox.getInfo();
  assertNotPrinted(info, [secret, key], 'info');
  assert.ok(!Object.keys(info).some((k) => /token/i.test(k)), Object.keys(info).join());

  const templates = await Sandbox.listTemplates({ apiKey: key, baseURL: server.url });
  assertNotPrinted(templates, [secret, key], 'templates');
});

test('rejected calls never show the key', async () => {
  const base = { baseURL: server.url, template: 'code-interpreter' };
  const unknownKey = randomKey();
  const calls = {
    'unknown key (401)': () => Sandbox.create({ ...base, apiKey: unknownKey }),
    'unknown key, x-api-key header': () =>
      Sandbox.listTemplates({ baseURL: server.url, apiKey: unknownKey, authHeader: 'x-api-key' }),
    'unknown template (404)': () => Sandbox.create({ ...base, apiKey: key, template: 'no-such' }),
    'no template': () => Sandbox.create({ apiKey: key, baseURL: server.url }),
    'bad base URL': () =>
      Sandbox.create({ ...base, apiKey: key, baseURL: `ftp://${secret}@example` }),
    'unreachable server': () =>
      Sandbox.listTemplates({ apiKey: key, baseURL: 'http://127.0.0.1:1', requestTimeoutMs: 5000 }),
    'Bearer pasted in the key': () => Sandbox.create({ ...base, apiKey: `Bearer ${key}` }),
    'space in the secret': () =>
      Sandbox.create({ ...base, apiKey: `${key.slice(0, 30)} ${key.slice(30)}` }),
    'newline in the secret': () =>
      Sandbox.create({ ...base, apiKey: `${key.slice(0, 30)}\n${key.slice(30)}` }),
    'wrong prefix': () => Sandbox.create({ ...base, apiKey: `sk_live_${secret}` }),
  };
  for (const [name, call] of Object.entries(calls)) {
    assertErrorHidesSecrets(await rejection(call()), [secret, secretOf(unknownKey)], name);
  }
});

test(
  'a key passed as authHeader by mistake is not echoed',
  async () => {
    const error = await rejection(
      Sandbox.create({ apiKey: key, baseURL: server.url, template: 'x', authHeader: `Bearer ${key}` }),
    );
    assertErrorHidesSecrets(error, [secret], 'authHeader');
  },
);

function assertErrorHidesSecrets(error, secrets, name) {
  assert.ok(error instanceof HopxError, `${name}: ${util.inspect(error)}`);
  assertNotPrinted(error, secrets, name);
  for (const [field, value] of Object.entries(error)) {
    assert.ok(
      !secrets.some((s) => JSON.stringify(value ?? null).includes(s)),
      `${name}: field ${field}`,
    );
  }
}

test('a wrongly typed env var value is refused without being echoed', async () => {
  const value = `hunter2-${secret}`;
  const error = await rejection(
    Sandbox.create({ apiKey: key, baseURL: server.url, template: 'base', envVars: { A: { value } } }),
  );
  assert.equal(error.name, 'InvalidArgumentError');
  assert.equal(error.code, 'invalid_argument');
  assertErrorHidesSecrets(error, [value, secret], 'envVars');
});
