// Secrets never leak, with the most verbose logging on: the API key's secret part, a sandbox
// token (hopx-local's are JWTs, so `eyJ` must appear nowhere), an env var value given to create
// (a random marker) and a proxy password are absent from everything printed: SDK log records,
// Node's own debug output, and every printed form of sandboxes, results and errors.
//
// The calls (tests/js/leak_scenario.mjs): a create with the marker as an env var value and code
// that prints it, a wrong key (401), a 500 that is retried and one that is not, a key with a
// trailing newline (which must work), a proxy URL with a password (working, refused, wrong
// password, unusable scheme), a call on a killed sandbox. They run twice:
//
// - in a child process with HOPX_LOG=debug and NODE_DEBUG=http,net,tls, its stdout and stderr
//   captured whole;
// - in this process with setLogger(fn, 'trace'), every record captured.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { setLogger } from '@hopx-ai/sdk';

import { runLeakScenario } from './leak_scenario.mjs';
import { randomKey, secretOf, startServer } from './server.mjs';
import { cleanNetworkEnv, refusedUrl, runNode, startFaults, startProxy } from './testkit.mjs';

const SCENARIO = new URL('./leak_scenario.mjs', import.meta.url).href;

let local;
let faults;
let proxy;
let password;

before(async () => {
  local = await startServer();
  faults = await startFaults(local.url);
  password = `pw${randomBytes(12).toString('hex')}`;
  proxy = await startProxy({ auth: `leaker:${password}` });
});
after(async () => {
  await proxy?.stop();
  await faults?.stop();
  await local?.stop();
});

/** Fresh secrets and rules for one run. */
async function prepareRun() {
  await faults.setRules([
    {
      method: 'GET',
      path: '/v1/templates',
      times: 1,
      fault: { kind: 'status', status: 500, body: { error: { message: 'boom', code: 'internal_error' } } },
    },
    {
      method: 'GET',
      path: '/v1/sandboxes',
      fault: { kind: 'status', status: 500, body: { error: { message: 'boom', code: 'internal_error' } } },
    },
  ]);
  const withPassword = (url) => {
    const parsed = new URL(url);
    parsed.username = 'leaker';
    parsed.password = password;
    return parsed.href;
  };
  const wrongKey = randomKey();
  const settings = {
    localUrl: local.url,
    faultsUrl: faults.url,
    proxyUrl: withPassword(proxy.url),
    badProxyUrl: withPassword(await refusedUrl()),
    key: local.keys[0],
    wrongKey,
    marker: `marker${randomBytes(16).toString('hex')}`,
  };
  const secrets = {
    'the key': local.keys[0],
    "the key's secret": secretOf(local.keys[0]),
    "the wrong key's secret": secretOf(wrongKey),
    'the env var value': settings.marker,
    'the proxy password': password,
    'a sandbox token (JWT)': 'eyJ',
  };
  return { settings, secrets };
}

function assertNoSecret(text, secrets, where) {
  for (const [what, needle] of Object.entries(secrets)) {
    const at = text.indexOf(needle);
    assert.ok(at === -1, `${where} contains ${what}: …${text.slice(Math.max(0, at - 200), at + 200)}…`);
  }
}

/** The scenario did what it claims: the marker reached the sandbox, every call behaved. */
function assertFacts(facts) {
  assert.deepEqual(facts, {
    errors: 8,
    codeSawMarker: true,
    commandSawMarker: true,
    envSawMarker: true,
    unauthorizedStatus: 401,
    retriedListOk: true,
    newlineKeyOk: true,
    proxyOk: true,
  });
}

describe('no secret in any output', () => {
  test('a child process with HOPX_LOG=debug and NODE_DEBUG=http,net,tls', async () => {
    const { settings, secrets } = await prepareRun();
    const source = `
      import { runLeakScenario } from ${JSON.stringify(SCENARIO)};
      const settings = JSON.parse(process.env.LEAK_SETTINGS);
      delete process.env.LEAK_SETTINGS;
      const facts = await runLeakScenario(settings, (text) => console.log(text));
      console.log('FACTS ' + JSON.stringify(facts));
    `;
    const child = await runNode(source, {
      env: cleanNetworkEnv({
        HOPX_LOG: 'debug',
        NODE_DEBUG: 'http,net,tls',
        LEAK_SETTINGS: JSON.stringify(settings),
      }),
    });
    assert.equal(child.code, 0, `child failed (code ${child.code}, signal ${child.signal}):\n${child.stderr.slice(-4000)}`);
    const factsLine = child.stdout.split('\n').find((line) => line.startsWith('FACTS '));
    assert.ok(factsLine, child.stdout.slice(-2000));
    assertFacts(JSON.parse(factsLine.slice('FACTS '.length)));

    // Non-vacuous: the SDK's debug lines and the printed forms are there.
    const lines = child.stderr.split('\n');
    const sdkLine = (pattern) => lines.some((line) => pattern.test(line));
    assert.ok(sdkLine(/^\S+Z DEBUG hopx: request succeeded method=POST path=\/v1\/sandboxes status=20\d /), child.stderr);
    assert.ok(sdkLine(/^\S+Z DEBUG hopx: request succeeded method=POST path=\/execute status=200 /), child.stderr);
    assert.ok(sdkLine(/^\S+Z DEBUG hopx: request failed method=GET path=\/v1\/templates code=authentication_error status=401 /), child.stderr);
    assert.ok(sdkLine(/^\S+Z INFO +hopx: retrying request method=GET path=\/v1\/templates code=server_error status=500 /), child.stderr);
    assert.ok(child.stdout.includes('sandbox: Sandbox {'), child.stdout.slice(0, 2000));
    assert.ok(child.stdout.includes('401 list: AuthenticationError'), child.stdout.slice(0, 4000));

    assertNoSecret(child.stdout, secrets, 'stdout');
    assertNoSecret(child.stderr, secrets, 'stderr');
  });

  test("this process with setLogger(fn, 'trace')", async () => {
    const { settings, secrets } = await prepareRun();
    const printed = [];
    const records = [];
    setLogger((record) => records.push(record), 'trace');
    let facts;
    try {
      facts = await runLeakScenario(settings, (text) => printed.push(text));
      // Records arrive on the JavaScript thread shortly after the events: let the queue drain.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      setLogger(null);
    }
    assertFacts(facts);

    const messages = (level, message) => records.filter((r) => r.level === level && r.message === message);
    assert.ok(messages('debug', 'request succeeded').some((r) => r.fields.path === '/v1/sandboxes'), records.map((r) => r.line).join('\n'));
    assert.ok(messages('debug', 'request failed').some((r) => r.fields.status === 401));
    assert.ok(messages('info', 'retrying request').some((r) => r.fields.status === 500));
    assert.ok(printed.some((text) => text.startsWith('sandbox: Sandbox {')));

    assertNoSecret(printed.join('\n'), secrets, 'printed forms');
    assertNoSecret(records.map((record) => JSON.stringify(record)).join('\n'), secrets, 'log records');
  });
});
