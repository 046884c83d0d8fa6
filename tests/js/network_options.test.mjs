// The network options of the Node binding: retries, request timeout and deadline per client and
// per call (`sandbox.withOptions`), proxies (the option, HTTP(S)_PROXY / NO_PROXY, credentials),
// TLS (a private CA through caBundle / HOPX_CA_BUNDLE, HTTP/2 by ALPN or not), and logging
// (`setLogger`, HOPX_LOG).
//
// Real servers on the loopback interface only: hopx-local, and hopx-testkit's fault server,
// forward proxy and HTTPS front. The tests run one after the other: a logger is process-wide.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import {
  APIError,
  AuthenticationError,
  ConfigurationError,
  HopxError,
  InvalidArgumentError,
  NetworkError,
  NotFoundError,
  Sandbox,
  ServerError,
  TimeoutError,
  setLogger,
} from '@hopx-ai/sdk';

import { rejection, startFake, startServer } from './server.mjs';
import { cleanNetworkEnv, refusedUrl, runNode, startFaults, startProxy, startTls } from './testkit.mjs';

const SDK = new URL('../../js/index.mjs', import.meta.url).href;
const ASYNC_DISPOSE = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const FAR = '2999-01-01T00:00:00Z';

const failing = (status) => ({
  kind: 'status',
  status,
  body: { error: { message: 'boom', code: status === 503 ? 'unavailable' : 'internal_error' } },
});

let local;
let key;
let faults;

before(async () => {
  local = await startServer();
  key = local.keys[0];
  faults = await startFaults(local.url);
});
after(async () => {
  setLogger(null);
  await faults?.stop();
  await local?.stop();
});

/** The requests the fault server saw for `method path` since the last reset. */
async function seen(method, path) {
  return (await faults.log()).filter((entry) => entry.method === method && entry.path === path);
}

/** Sets fault rules and empties the fault server's log. */
async function script(rules) {
  await faults.setRules(rules);
  await faults.reset();
}

/**
 * Runs `body` (an async function's source, with `sdk` (the package), `settings` and `print`)
 * in a child process with `env` on top of an environment without proxy/CA/log variables.
 */
async function inChild(body, { env = {}, settings = {} } = {}) {
  const source = `
    const sdk = await import(${JSON.stringify(SDK)});
    const settings = JSON.parse(process.env.TEST_SETTINGS);
    const print = (value) => console.log(typeof value === 'string' ? value : JSON.stringify(value));
    ${body}
  `;
  const child = await runNode(source, { env: cleanNetworkEnv({ ...env, TEST_SETTINGS: JSON.stringify(settings) }) });
  assert.equal(child.code, 0, `child failed (code ${child.code}, signal ${child.signal}):\n${child.stderr}\n${child.stdout}`);
  return child;
}

// ---------------------------------------------------------------------------------------------

describe('retries, request timeout and deadline: per client and per call', () => {
  test('maxRetries: 0 sends once; maxRetries: 1 twice', async () => {
    await script([{ method: 'GET', path: '/v1/templates', fault: failing(500) }]);
    const once = await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: faults.url, maxRetries: 0 }));
    assert.ok(once instanceof ServerError, util.inspect(once));
    assert.equal(once.attempts, 1);
    assert.equal((await seen('GET', '/v1/templates')).length, 1);

    await faults.reset();
    const twice = await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: faults.url, maxRetries: 1 }));
    assert.equal(twice.attempts, 2);
    assert.match(twice.message, /Gave up after 2 attempts/);
    assert.equal((await seen('GET', '/v1/templates')).length, 2);
  });

  test("a sandbox keeps its client's settings; withOptions changes them for the new handle only", async () => {
    await script([]);
    const sandbox = await Sandbox.create({ apiKey: key, baseURL: faults.url, template: 'base', maxRetries: 0 });
    try {
      const path = `/v1/sandboxes/${sandbox.sandboxId}`;
      await script([{ method: 'GET', path, fault: failing(500) }]);

      const retrying = sandbox.withOptions({ maxRetries: 2 });
      assert.ok(retrying instanceof Sandbox);
      assert.notEqual(retrying, sandbox);
      assert.equal(retrying.sandboxId, sandbox.sandboxId);
      assert.equal(String(retrying), String(sandbox));

      assert.equal((await rejection(sandbox.getInfo())).attempts, 1);
      assert.equal((await seen('GET', path)).length, 1);
      await faults.reset();
      assert.equal((await rejection(retrying.getInfo())).attempts, 3);
      assert.equal((await seen('GET', path)).length, 3);
      // The original is unchanged.
      await faults.reset();
      assert.equal((await rejection(sandbox.getInfo())).attempts, 1);
      // A handle of a handle keeps what it did not override.
      await faults.reset();
      const alsoRetrying = retrying.withOptions({ requestTimeoutMs: 5000 });
      assert.equal((await rejection(alsoRetrying.getInfo())).attempts, 3);

      // They share the sandbox's state: what one learns, the other shows.
      await script([]);
      await retrying.pause();
      assert.equal(sandbox.info.status, 'paused');
      await sandbox.resume();
      assert.equal(retrying.info.status, 'running');
    } finally {
      await script([]);
      await sandbox.kill();
    }
  });

  test('withOptions({ requestTimeoutMs }) on a hanging GET: a TimeoutError of kind request', async () => {
    await script([]);
    const sandbox = await Sandbox.create({ apiKey: key, baseURL: faults.url, template: 'base' });
    try {
      const path = `/v1/sandboxes/${sandbox.sandboxId}`;
      await script([{ method: 'GET', path, fault: { kind: 'hang' } }]);
      const started = performance.now();
      const error = await rejection(sandbox.withOptions({ requestTimeoutMs: 300, maxRetries: 1 }).getInfo());
      const elapsed = performance.now() - started;
      assert.ok(error instanceof TimeoutError, util.inspect(error));
      assert.equal(error.code, 'timeout');
      assert.equal(error.timeoutKind, 'request');
      assert.equal(error.attempts, 2);
      assert.equal(error.maybeProcessed, false, 'a GET is safe to repeat');
      assert.match(error.message, /request timeout/);
      assert.ok(elapsed >= 600 && elapsed < 3000, `took ${elapsed} ms`);
      assert.equal((await seen('GET', path)).length, 2);
      assert.deepEqual(JSON.parse(JSON.stringify(error)).timeoutKind, 'request');
      assert.match(util.inspect(error), /timeoutKind: 'request'/);
    } finally {
      await script([]);
      await sandbox.kill();
    }
  });

  test('deadlineMs ends a call that would go on: per client and per call', async () => {
    await script([{ method: 'GET', path: '/v1/templates', fault: { kind: 'hang' } }]);
    let started = performance.now();
    const error = await rejection(
      Sandbox.listTemplates({ apiKey: key, baseURL: faults.url, requestTimeoutMs: 10_000, deadlineMs: 700 }),
    );
    let elapsed = performance.now() - started;
    assert.ok(error instanceof TimeoutError, util.inspect(error));
    assert.equal(error.timeoutKind, 'deadline');
    assert.equal(error.attempts, 1);
    assert.match(error.message, /deadline/);
    assert.ok(elapsed >= 650 && elapsed < 2500, `took ${elapsed} ms`);

    // A 503 with Retry-After: 5 on every try: the wait does not fit in a 1 s deadline.
    await script([]);
    const sandbox = await Sandbox.create({ apiKey: key, baseURL: faults.url, template: 'base' });
    try {
      const path = `/v1/sandboxes/${sandbox.sandboxId}`;
      await script([{ method: 'GET', path, fault: { ...failing(503), headers: { 'Retry-After': '5' } } }]);
      started = performance.now();
      const waited = await rejection(sandbox.withOptions({ deadlineMs: 1000 }).getInfo());
      elapsed = performance.now() - started;
      assert.equal(waited.timeoutKind, 'deadline', util.inspect(waited));
      assert.equal(waited.attempts, 1);
      assert.ok(waited.retryAfter >= 5, `retryAfter ${waited.retryAfter}`);
      assert.ok(elapsed < 1500, `took ${elapsed} ms`);
    } finally {
      await script([]);
      await sandbox.kill();
    }
  });

  test("withOptions applies to the new handle's files and env", async () => {
    // A scripted control plane and agent: the agent hangs on GET /files/read and answers 503
    // to GET /env.
    const agentCalls = [];
    const fake = await startFake((req, res) => {
      const url = new URL(req.url, 'http://x');
      const reply = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && url.pathname === '/v1/sandboxes') {
        return reply(201, {
          id: 'sbx-1',
          status: 'running',
          template_name: 'base',
          public_host: `${fake.url}/agent/sbx-1`,
          auth_token: 'tok-1',
          token_expires_at: FAR,
        });
      }
      if (url.pathname.startsWith('/agent/sbx-1/')) {
        const call = `${req.method} ${url.pathname.slice('/agent/sbx-1'.length)}`;
        agentCalls.push(call);
        if (call === 'GET /files/read') return undefined; // never answers
        if (call === 'GET /env') return reply(503, { error: 'busy', code: 'unavailable' });
      }
      return reply(404, { error: { message: 'not found', code: 'not_found' } });
    });
    try {
      const sandbox = await Sandbox.create({ apiKey: key, baseURL: fake.url, template: 'base', maxRetries: 0 });
      const quick = sandbox.withOptions({ requestTimeoutMs: 300, maxRetries: 0 });
      const started = performance.now();
      const read = await rejection(quick.files.read('/workspace/a.txt'));
      assert.ok(read instanceof TimeoutError, util.inspect(read));
      assert.equal(read.timeoutKind, 'request');
      assert.ok(performance.now() - started < 3000);
      assert.deepEqual(agentCalls, ['GET /files/read']);

      agentCalls.length = 0;
      assert.equal((await rejection(sandbox.env.getAll())).attempts, 1);
      assert.deepEqual(agentCalls, ['GET /env']);
      agentCalls.length = 0;
      const env = await rejection(sandbox.withOptions({ maxRetries: 1 }).env.getAll());
      assert.equal(env.attempts, 2, util.inspect(env));
      assert.deepEqual(agentCalls, ['GET /env', 'GET /env']);
    } finally {
      await fake.close();
    }
  });

  test('await using on a withOptions handle kills the sandbox only when the original would', async () => {
    const options = { apiKey: key, baseURL: local.url };
    const created = await Sandbox.create({ ...options, template: 'base' });
    const connected = await Sandbox.connect(created.sandboxId, options);
    await connected.withOptions({ maxRetries: 1 })[ASYNC_DISPOSE]();
    assert.equal((await created.getInfo()).status, 'running', 'a connected sandbox is left running');
    await created.withOptions({ maxRetries: 1 })[ASYNC_DISPOSE]();
    assert.ok((await rejection(created.getInfo())) instanceof NotFoundError, 'a created sandbox is killed, as by the original');
  });

  test('the options are checked before anything is sent', async () => {
    await script([]);
    const base = { apiKey: key, baseURL: faults.url };
    const bad = {
      'maxRetries -1': { maxRetries: -1 },
      'maxRetries 1.5': { maxRetries: 1.5 },
      'maxRetries 11': { maxRetries: 11 },
      'maxRetries NaN': { maxRetries: Number.NaN },
      'maxRetries 2**40': { maxRetries: 2 ** 40 },
      "maxRetries '3'": { maxRetries: '3' },
      'deadlineMs 0': { deadlineMs: 0 },
      'deadlineMs -5': { deadlineMs: -5 },
      'deadlineMs Infinity': { deadlineMs: Infinity },
      'requestTimeoutMs 0': { requestTimeoutMs: 0 },
      "http2 'no'": { http2: 'no' },
      'proxy 5': { proxy: 5 },
    };
    for (const [what, options] of Object.entries(bad)) {
      const error = await rejection(Sandbox.listTemplates({ ...base, ...options }));
      assert.ok(error instanceof InvalidArgumentError, `${what}: ${util.inspect(error)}`);
      assert.equal(error.attempts, 0, what);
    }
    for (const [what, options] of Object.entries(bad)) {
      const error = await rejection(Sandbox.healthCheck({ baseURL: faults.url, ...options }));
      assert.ok(error instanceof InvalidArgumentError, `healthCheck ${what}: ${util.inspect(error)}`);
    }
    assert.match((await rejection(Sandbox.listTemplates({ ...base, maxRetries: -1 }))).message, /maxRetries/);
    assert.match((await rejection(Sandbox.listTemplates({ ...base, deadlineMs: 0 }))).message, /deadlineMs/);
    const caBundle = await rejection(Sandbox.listTemplates({ ...base, caBundle: '/nonexistent/ca.pem' }));
    assert.ok(caBundle instanceof ConfigurationError, util.inspect(caBundle));
    const proxy = await rejection(Sandbox.listTemplates({ ...base, proxy: 'ftp://proxy.invalid' }));
    assert.ok(proxy instanceof HopxError && proxy.attempts === 0, util.inspect(proxy));

    const created = await Sandbox.create({ apiKey: key, baseURL: local.url, template: 'base' });
    try {
      for (const options of [{ requestTimeoutMs: 0 }, { maxRetries: -1 }, { maxRetries: 11 }, { deadlineMs: -1 }, 'fast']) {
        assert.throws(() => created.withOptions(options), InvalidArgumentError, util.inspect(options));
      }
      assert.equal(created.withOptions().sandboxId, created.sandboxId);
      assert.equal(created.withOptions({}).sandboxId, created.sandboxId);
    } finally {
      await created.kill();
    }
    assert.deepEqual(await faults.log(), [], 'nothing was sent');
  });
});

// ---------------------------------------------------------------------------------------------

describe('proxies', () => {
  let proxy;
  let authProxy;
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  before(async () => {
    proxy = await startProxy();
    authProxy = await startProxy({ auth: `hopx:${password}` });
  });
  after(async () => {
    await proxy?.stop();
    await authProxy?.stop();
  });

  test('the proxy option sends every request through the proxy', async () => {
    const before = (await proxy.log()).length;
    const templates = await Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: proxy.url });
    assert.ok(templates.length > 0);
    const health = await Sandbox.healthCheck({ baseURL: local.url, proxy: proxy.url });
    assert.ok(health);
    const log = (await proxy.log()).slice(before);
    assert.deepEqual(
      log.map((entry) => `${entry.method} ${entry.target}`),
      [`GET ${local.url}/v1/templates`, `GET ${local.url}/health`],
    );
  });

  test('HTTP_PROXY and HTTPS_PROXY in the environment (a child process)', async () => {
    const tls = await startTls(local.url);
    try {
      const before = (await proxy.log()).length;
      const child = await inChild(
        `
          const { Sandbox } = sdk;
          print((await Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.httpURL })).length);
          print((await Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.httpsURL, caBundle: settings.caFile })).length);
        `,
        {
          env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url },
          settings: { key, httpURL: local.url, httpsURL: tls.url, caFile: tls.caFile },
        },
      );
      assert.match(child.stdout, /^[1-9]\d*\n[1-9]\d*\n$/);
      const log = (await proxy.log()).slice(before);
      const tlsHost = new URL(tls.url).host;
      assert.deepEqual(
        log.map((entry) => `${entry.method} ${entry.target}`),
        [`GET ${local.url}/v1/templates`, `CONNECT ${tlsHost}`],
      );
    } finally {
      await tls.stop();
    }
  });

  test('NO_PROXY bypasses the environment proxy; the proxy option ignores NO_PROXY', async () => {
    const before = (await proxy.log()).length;
    await inChild(
      `
        const { Sandbox } = sdk;
        print((await Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.url })).length);
      `,
      { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1,localhost' }, settings: { key, url: local.url } },
    );
    assert.equal((await proxy.log()).length, before, 'the request bypassed the proxy');

    await inChild(
      `
        const { Sandbox } = sdk;
        print((await Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.url, proxy: settings.proxy })).length);
      `,
      { env: { NO_PROXY: '*' }, settings: { key, url: local.url, proxy: proxy.url } },
    );
    assert.equal((await proxy.log()).length, before + 1, 'the option beats NO_PROXY');
  });

  test('a proxy with credentials: they work from the URL, and the password is never shown', async () => {
    const withCredentials = new URL(authProxy.url);
    withCredentials.username = 'hopx';
    withCredentials.password = password;
    const before = (await authProxy.log()).length;
    const templates = await Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: withCredentials.href });
    assert.ok(templates.length > 0);
    const log = (await authProxy.log()).slice(before);
    assert.deepEqual(log.map((entry) => entry.authorized), [true]);

    const wrong = new URL(withCredentials);
    wrong.password = `${password}-wrong`;
    const refused = new URL(await refusedUrl());
    refused.username = 'hopx';
    refused.password = password;
    const failures = {
      'no credentials': await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: authProxy.url, maxRetries: 0 })),
      'wrong password': await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: wrong.href, maxRetries: 0 })),
      'nothing listening': await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: refused.href, maxRetries: 0 })),
      'bad scheme': await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: local.url, proxy: withCredentials.href.replace('http:', 'socks9:') })),
    };
    assert.ok(failures['no credentials'] instanceof APIError && failures['no credentials'].status === 407, util.inspect(failures['no credentials']));
    assert.equal(failures['wrong password'].status, 407);
    assert.ok(failures['nothing listening'] instanceof NetworkError, util.inspect(failures['nothing listening']));
    assert.ok(failures['bad scheme'] instanceof HopxError, util.inspect(failures['bad scheme']));
    for (const [what, error] of Object.entries(failures)) {
      for (const text of [error.message, String(error), String(error.stack), util.inspect(error, { showHidden: true }), JSON.stringify(error)]) {
        assert.ok(!text.includes(password), `${what}: the password is shown: ${text}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('TLS with a private CA', () => {
  let tls;
  before(async () => {
    tls = await startTls(local.url);
  });
  after(async () => {
    await tls?.stop();
  });

  /** The HTTP versions of the requests for `path` the HTTPS front saw, from index `from`. */
  async function versions(path, from) {
    return (await tls.log()).requests.slice(from).filter((r) => r.path === path).map((r) => r.version);
  }

  test('without the CA: a NetworkError that says how to trust it', async () => {
    const error = await rejection(Sandbox.listTemplates({ apiKey: key, baseURL: tls.url, maxRetries: 0 }));
    assert.ok(error instanceof NetworkError, util.inspect(error));
    assert.equal(error.code, 'network_error');
    assert.equal(error.attempts, 1);
    // The core puts the advice in the hint (the message has the TLS failure itself).
    assert.match(`${error.message} ${error.hint}`, /caBundle/);
    assert.match(`${error.message} ${error.hint}`, /HOPX_CA_BUNDLE/);
  });

  test('the caBundle option trusts it; HTTP/2 by default, HTTP/1.1 with http2: false', async () => {
    let from = (await tls.log()).requests.length;
    const templates = await Sandbox.listTemplates({ apiKey: key, baseURL: tls.url, caBundle: tls.caFile });
    assert.ok(templates.length > 0);
    assert.deepEqual(await versions('/v1/templates', from), ['HTTP/2.0']);

    from = (await tls.log()).requests.length;
    await Sandbox.listTemplates({ apiKey: key, baseURL: tls.url, caBundle: tls.caFile, http2: false });
    assert.deepEqual(await versions('/v1/templates', from), ['HTTP/1.1']);

    from = (await tls.log()).requests.length;
    await Sandbox.healthCheck({ baseURL: tls.url, caBundle: tls.caFile, http2: false });
    assert.deepEqual(await versions('/health', from), ['HTTP/1.1']);
  });

  test('HOPX_CA_BUNDLE and SSL_CERT_FILE trust it (a child process)', async () => {
    for (const variable of ['HOPX_CA_BUNDLE', 'SSL_CERT_FILE']) {
      const from = (await tls.log()).requests.length;
      const child = await inChild(
        `print((await sdk.Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.url })).length);`,
        { env: { [variable]: tls.caFile }, settings: { key, url: tls.url } },
      );
      assert.match(child.stdout, /^[1-9]\d*\n$/, variable);
      assert.deepEqual(await versions('/v1/templates', from), ['HTTP/2.0'], variable);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('logging', () => {
  /** A logger that collects records, and a way to wait for them. */
  function collector() {
    const records = [];
    return {
      records,
      logger: (record) => records.push(record),
      // Records reach JavaScript a little after the event; give the queue a moment.
      settle: () => sleep(150),
    };
  }

  after(() => setLogger(null));

  test("setLogger(fn, 'debug') receives one record per request, with its fields", async () => {
    const { records, logger, settle } = collector();
    setLogger(logger, 'debug');
    try {
      await Sandbox.listTemplates({ apiKey: key, baseURL: local.url });
      await settle();
    } finally {
      setLogger(null);
    }
    const record = records.find((r) => r.message === 'request succeeded' && r.fields.path === '/v1/templates');
    assert.ok(record, util.inspect(records, { depth: 4 }));
    assert.equal(record.level, 'debug');
    assert.equal(typeof record.target, 'string');
    assert.ok(record.target.startsWith('hopx'), record.target);
    assert.equal(record.fields.method, 'GET');
    assert.equal(record.fields.status, 200);
    assert.equal(record.fields.attempt, 1);
    assert.equal(typeof record.fields.elapsed_ms, 'number');
    assert.match(record.fields.request_id, /^req_/);
    assert.match(record.line, /^hopx: request succeeded method=GET path=\/v1\/templates status=200 attempt=1 elapsed_ms=\d+ request_id=req_/);
  });

  test("at 'info' (the default level) a retry is one 'retrying request' record; no per-request records", async () => {
    await script([{ method: 'GET', path: '/v1/templates', times: 1, fault: failing(503) }]);
    const { records, logger, settle } = collector();
    setLogger(logger);
    try {
      await Sandbox.listTemplates({ apiKey: key, baseURL: faults.url });
      await settle();
    } finally {
      setLogger(null);
    }
    assert.equal(records.length, 1, util.inspect(records, { depth: 4 }));
    const [record] = records;
    assert.equal(record.level, 'info');
    assert.equal(record.message, 'retrying request');
    assert.equal(record.fields.method, 'GET');
    assert.equal(record.fields.path, '/v1/templates');
    assert.equal(record.fields.status, 503);
    assert.equal(record.fields.attempt, 1);
    assert.equal(typeof record.fields.wait_s, 'number');
    assert.ok(record.fields.wait_s >= 0 && record.fields.wait_s <= 0.5, `wait_s ${record.fields.wait_s}`);
    assert.equal(typeof record.fields.server_wait_s, 'number');
  });

  test('nothing reaches a logger once setLogger(null) is called', async () => {
    const { records, logger, settle } = collector();
    setLogger(logger, 'trace');
    setLogger(null);
    await script([{ method: 'GET', path: '/v1/templates', times: 1, fault: failing(503) }]);
    await Sandbox.listTemplates({ apiKey: key, baseURL: faults.url });
    await settle();
    assert.deepEqual(records, []);
  });

  test('a logger that throws (or rejects) does not break the call', async () => {
    let calls = 0;
    const uncaught = [];
    const onUncaught = (error) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      setLogger(() => {
        calls += 1;
        throw new Error('the logger broke');
      }, 'debug');
      assert.ok((await Sandbox.listTemplates({ apiKey: key, baseURL: local.url })).length > 0);
      await sleep(150);
      setLogger(async () => {
        calls += 1;
        throw new Error('the async logger broke');
      }, 'debug');
      assert.ok((await Sandbox.listTemplates({ apiKey: key, baseURL: local.url })).length > 0);
      await sleep(150);
    } finally {
      setLogger(null);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
    assert.ok(calls >= 2, `the loggers were called ${calls} times`);
    assert.deepEqual(uncaught, []);
  });

  test('setLogger checks its arguments', () => {
    assert.throws(() => setLogger('console'), InvalidArgumentError);
    assert.throws(() => setLogger({}), InvalidArgumentError);
    assert.throws(() => setLogger(() => {}, 'verbose'), InvalidArgumentError);
    assert.throws(() => setLogger(() => {}, 4), InvalidArgumentError);
    setLogger(() => {}, 'WARN'); // level names are not case-sensitive
    setLogger(null);
    setLogger(undefined);
  });

  test('HOPX_LOG=debug prints lines to stderr; without it nothing; setLogger takes over and gives back', async () => {
    const program = `
      const { Sandbox, setLogger } = sdk;
      const options = { apiKey: settings.key, baseURL: settings.url };
      console.error('--- plain');
      await Sandbox.listTemplates(options);
      const records = [];
      setLogger((record) => records.push(record.message), 'debug');
      console.error('--- logger');
      await Sandbox.listTemplates(options);
      await new Promise((resolve) => setTimeout(resolve, 150));
      setLogger(null);
      console.error('--- restored');
      await Sandbox.listTemplates(options);
      print(records);
    `;
    const settings = { key, url: local.url };
    const withLog = await inChild(program, { env: { HOPX_LOG: 'debug' }, settings });
    const [, plain, logger, restored] = withLog.stderr.split(/--- (?:plain|logger|restored)\n/);
    const line = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG hopx: request succeeded method=GET path=\/v1\/templates status=200 attempt=1 elapsed_ms=\d+ request_id=req_\w+$/m;
    assert.match(plain, line, withLog.stderr);
    assert.equal(logger, '', 'the logger took the records');
    assert.match(restored, line, withLog.stderr);
    assert.deepEqual(JSON.parse(withLog.stdout), ['request succeeded']);

    const withoutLog = await inChild(program, { settings });
    assert.equal(withoutLog.stderr, '--- plain\n--- logger\n--- restored\n', 'nothing is logged by default');
    assert.deepEqual(JSON.parse(withoutLog.stdout), ['request succeeded']);

    const info = await inChild(program, { env: { HOPX_LOG: 'info' }, settings });
    assert.equal(info.stderr, '--- plain\n--- logger\n--- restored\n', 'no per-request lines at info');

    const bogus = await inChild('await sdk.Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.url });', {
      env: { HOPX_LOG: 'loud' },
      settings,
    });
    assert.match(bogus.stderr, /^hopx: HOPX_LOG is not one of error, warn, info, debug, trace or off; logging stays off\n$/);
  });

  test('a logger does not keep the process alive', async () => {
    const started = performance.now();
    await inChild(
      `
        sdk.setLogger(() => {}, 'trace');
        await sdk.Sandbox.listTemplates({ apiKey: settings.key, baseURL: settings.url });
      `,
      { settings: { key, url: local.url } },
    );
    assert.ok(performance.now() - started < 20_000);
  });

  test('an AuthenticationError is logged as a failed request, without the key', async () => {
    const { records, logger, settle } = collector();
    setLogger(logger, 'debug');
    const wrongKey = `hopx_live_${'a'.repeat(12)}.${'b'.repeat(32)}`;
    try {
      const error = await rejection(Sandbox.listTemplates({ apiKey: wrongKey, baseURL: local.url }));
      assert.ok(error instanceof AuthenticationError);
      await settle();
    } finally {
      setLogger(null);
    }
    const failed = records.find((r) => r.message === 'request failed');
    assert.ok(failed, util.inspect(records, { depth: 4 }));
    assert.equal(failed.fields.status, 401);
    assert.equal(failed.fields.code, 'authentication_error');
    assert.ok(!JSON.stringify(records).includes('b'.repeat(32)));
  });
});
