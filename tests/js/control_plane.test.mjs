// The control plane from JavaScript, operation by operation: connect, list, iter, kill,
// pause/resume, setTimeout, refreshToken, the expiry helpers, templates, the health check,
// `Symbol.asyncDispose` and printing. Against a real hopx-local, and scripted loopback servers
// for answers hopx-local never gives (several pages, a missing cursor, a failing kill). The
// argument cases come from tests/fixtures/control_plane.json, shared with Rust and Python.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import util from 'node:util';

import {
  ConflictError,
  HopxError,
  InvalidArgumentError,
  NetworkError,
  NotFoundError,
  PermissionDeniedError,
  ResponseDecodeError,
  Sandbox,
  TemplateNotFoundError,
} from '@hopx-ai/sdk';

import { randomKey, rejection, startFake, startServer } from './server.mjs';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/control_plane.json', import.meta.url), 'utf8'),
);
const dts = readFileSync(new URL('../../js/index.d.ts', import.meta.url), 'utf8');

/** More than any loop here needs; a loop that reaches it is a bug (an endless pager). */
const LOOP_BOUND = 1000;

let server;
let options;
before(async () => {
  server = await startServer();
  options = { apiKey: server.keys[0], baseURL: server.url };
});
after(async () => {
  await server?.stop();
});

/** A raw authenticated request to the local server (for what the SDK does not do: stop). */
async function api(method, path) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.keys[0]}` },
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** The sandbox's status as the server sees it, or 404. */
async function serverStatus(sandboxId) {
  const { status, body } = await api('GET', `/v1/sandboxes/${sandboxId}`);
  return status === 200 ? body.status : status;
}

/** Runs `call` and asserts the server saw exactly `expected` API requests meanwhile. */
async function withRequests(expected, call, target = server) {
  const before_ = await target.stats();
  const result = await call();
  const now = await target.stats();
  assert.equal(now.api_requests - before_.api_requests, expected, 'API requests made');
  return result;
}

const withoutRequests = (call, target) => withRequests(0, call, target);

function create(extra = {}) {
  return Sandbox.create({ ...options, template: 'code-interpreter', ...extra });
}

/** Every sandbox an iterator yields, failing the test rather than looping without end. */
async function drain(iterable) {
  const seen = [];
  for await (const sandbox of iterable) {
    seen.push(sandbox);
    assert.ok(seen.length < LOOP_BOUND, 'the iterator did not end');
  }
  return seen;
}

function assertInvalidArgument(error, what) {
  assert.ok(error instanceof InvalidArgumentError, `${what}: ${util.inspect(error)}`);
  assert.ok(error instanceof HopxError);
  assert.equal(error.code, 'invalid_argument', what);
}

// ---------------------------------------------------------------------------------------------

describe('connect', () => {
  test('connect(id, apiKey, baseURL) and connect(id, options) attach to a running sandbox', async () => {
    const created = await create();
    for (const connected of [
      await Sandbox.connect(created.sandboxId, options.apiKey, options.baseURL),
      await Sandbox.connect(created.sandboxId, options),
    ]) {
      assert.ok(connected instanceof Sandbox);
      assert.equal(connected.sandboxId, created.sandboxId);
      assert.equal(connected.info.status, 'running');
      assert.equal(connected.info.templateName, 'code-interpreter');
    }
    // GET info, then the token refresh: no resume for a running sandbox.
    await withRequests(2, () => Sandbox.connect(created.sandboxId, options));
  });

  test('a paused sandbox is resumed', async () => {
    const created = await create();
    await created.pause();
    assert.equal(await serverStatus(created.sandboxId), 'paused');
    const connected = await Sandbox.connect(created.sandboxId, options);
    assert.equal(connected.info.status, 'running');
    assert.equal(await serverStatus(created.sandboxId), 'running');
  });

  test('a stopped sandbox is a ConflictError that says how to start it', async () => {
    const created = await create();
    const stop = await api('POST', `/v1/sandboxes/${created.sandboxId}/stop`);
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
    const error = await rejection(Sandbox.connect(created.sandboxId, options));
    assert.ok(error instanceof ConflictError, util.inspect(error));
    assert.equal(error.code, 'conflict');
    assert.ok(error.message.includes('stopped'), error.message);
    assert.ok(error.hint.includes('/start'), error.hint);
    assert.equal(await serverStatus(created.sandboxId), 'stopped', 'left as it was');
  });

  test('an unknown sandbox is a NotFoundError', async () => {
    const error = await rejection(Sandbox.connect('sbx-does-not-exist', options));
    assert.ok(error instanceof NotFoundError, util.inspect(error));
    assert.equal(error.status, 404);
  });

  test('ids from the shared fixture are refused before anything is sent', async () => {
    for (const id of fixture.invalid_sandbox_ids) {
      const error = await withoutRequests(() => rejection(Sandbox.connect(id, options)));
      assertInvalidArgument(error, JSON.stringify(id));
    }
  });

  test('an id that is not a string is an InvalidArgumentError', async () => {
    const error = await withoutRequests(() => rejection(Sandbox.connect(42, options)));
    assertInvalidArgument(error, '42');
  });
});

// ---------------------------------------------------------------------------------------------

describe('list and iter against hopx-local', () => {
  // A server of their own, so the sandboxes listed are exactly the ones made here.
  let local;
  let own;
  let a;
  let b;
  before(async () => {
    local = await startServer();
    own = { apiKey: local.keys[0], baseURL: local.url };
    a = await Sandbox.create({ ...own, template: 'code-interpreter' });
    b = await Sandbox.create({ ...own, template: 'base', region: 'eu-west' });
    await b.pause();
    // Another organization's sandbox is never listed.
    await Sandbox.create({ apiKey: local.keys[1], baseURL: local.url, template: 'base' });
  });
  after(async () => {
    await local?.stop();
  });

  test('list() returns Sandbox objects carrying the info, in one request', async () => {
    const listed = await withRequests(1, () => Sandbox.list(own), local);
    assert.deepEqual(
      listed.map((s) => s.sandboxId),
      [a.sandboxId, b.sandboxId],
    );
    assert.ok(listed.every((s) => s instanceof Sandbox));
    await withoutRequests(async () => {
      assert.equal(listed[0].info.status, 'running');
      assert.equal(listed[0].info.templateName, 'code-interpreter');
      assert.equal(listed[1].info.status, 'paused');
      assert.equal(listed[1].info.region, 'eu-west');
      assert.ok(String(listed[1]).includes("status: 'paused'"), String(listed[1]));
    }, local);
    // They are full handles: methods work on them.
    const info = await listed[0].getInfo();
    assert.equal(info.sandboxId, a.sandboxId);
  });

  test('list() filters by status and region, and limit caps the page', async () => {
    const paused = await Sandbox.list({ ...own, status: 'paused' });
    assert.deepEqual(paused.map((s) => s.sandboxId), [b.sandboxId]);
    const running = await Sandbox.list({ ...own, status: 'running' });
    assert.deepEqual(running.map((s) => s.sandboxId), [a.sandboxId]);
    const eu = await Sandbox.list({ ...own, region: 'eu-west' });
    assert.deepEqual(eu.map((s) => s.sandboxId), [b.sandboxId]);
    const nowhere = await Sandbox.list({ ...own, region: 'no-such-region' });
    assert.deepEqual(nowhere, []);
    const one = await Sandbox.list({ ...own, limit: 1 });
    assert.deepEqual(one.map((s) => s.sandboxId), [a.sandboxId]);
  });

  test('filters from the shared fixture are refused before anything is sent, by list and iter', async () => {
    for (const { message_contains: expected, ...filter } of fixture.invalid_list_filters) {
      const what = JSON.stringify(filter);
      const listError = await withoutRequests(
        () => rejection(Sandbox.list({ ...own, ...filter })),
        local,
      );
      assertInvalidArgument(listError, what);
      assert.ok(listError.message.includes(expected), `${what}: ${listError.message}`);
      const iterError = await withoutRequests(
        () => rejection(Sandbox.iter({ ...own, ...filter }).next()),
        local,
      );
      assertInvalidArgument(iterError, what);
      assert.ok(iterError.message.includes(expected), `${what}: ${iterError.message}`);
    }
  });

  test('a limit that is not a whole number from 1 to 100 is refused', async () => {
    for (const limit of [1.5, NaN, Infinity, -1, 2 ** 40]) {
      const error = await withoutRequests(() => rejection(Sandbox.list({ ...own, limit })), local);
      assertInvalidArgument(error, String(limit));
      assert.ok(error.message.includes('limit'), error.message);
    }
  });

  test('iter() is lazy and goes through every page', async () => {
    // Three more, so that pages of 2 make three requests.
    const more = [];
    for (let i = 0; i < 3; i += 1) more.push(await Sandbox.create({ ...own, template: 'base' }));
    const expected = [a, b, ...more].map((s) => s.sandboxId);

    const iterator = await withoutRequests(async () => Sandbox.iter({ ...own, limit: 2 }), local);
    const seen = await withRequests(3, () => drain(iterator), local);
    assert.deepEqual(seen.map((s) => s.sandboxId), expected);
    assert.ok(seen.every((s) => s instanceof Sandbox));
    assert.equal(seen[1].info.status, 'paused', 'each carries the info from its page');
    assert.deepEqual(await withoutRequests(() => iterator.next(), local), {
      value: undefined,
      done: true,
    });

    const paused = await drain(Sandbox.iter({ ...own, status: 'paused' }));
    assert.deepEqual(paused.map((s) => s.sandboxId), [b.sandboxId]);
  });

  test('breaking out of iter() stops fetching', async () => {
    const first = await withRequests(1, async () => {
      for await (const sandbox of Sandbox.iter({ ...own, limit: 1 })) return sandbox;
      return null;
    }, local);
    assert.equal(first.sandboxId, a.sandboxId);
  });
});

// ---------------------------------------------------------------------------------------------

describe('iter against scripted servers', () => {
  const page = (ids, more) => ({
    object: 'list',
    data: ids.map((id) => ({ id, status: 'running', template_name: 'base', region: 'us-east' })),
    ...more,
  });
  const fakes = {};
  before(async () => {
    const pages = {
      '': page(['s1', 's2'], { has_more: true, next_cursor: 'c1' }),
      c1: page(['s3'], { has_more: true, next_cursor: 'c2' }),
      c2: page(['s4', 's5'], { has_more: false, next_cursor: null }),
    };
    const json = (res, status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    fakes.three = await startFake((req, res) => {
      const url = new URL(req.url, 'http://x');
      const body = pages[url.searchParams.get('cursor') ?? ''];
      if (url.pathname === '/v1/sandboxes' && body) json(res, 200, body);
      else json(res, 404, { error: { message: 'no such page', code: 'not_found' } });
    });
    fakes.noCursor = await startFake((req, res) => json(res, 200, page(['sbx-1'], { has_more: true })));
    fakes.sameCursor = await startFake((req, res) =>
      json(res, 200, page(['sbx-2'], { has_more: true, next_cursor: 'same' })),
    );
  });
  after(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  test('three pages, following next_cursor, one request each', async () => {
    const fake = fakes.three;
    const seen = await drain(
      Sandbox.iter({ apiKey: randomKey(), baseURL: fake.url, status: 'running', region: 'us-east' }),
    );
    assert.deepEqual(seen.map((s) => s.sandboxId), ['s1', 's2', 's3', 's4', 's5']);
    assert.ok(seen.every((s) => s instanceof Sandbox && s.info.templateName === 'base'));
    assert.equal(fake.requests.length, 3);
    const queries = fake.requests.map((r) => new URL(r.url, 'http://x').searchParams);
    assert.deepEqual(queries.map((q) => q.get('cursor')), [null, 'c1', 'c2']);
    for (const query of queries) {
      assert.equal(query.get('status'), 'running');
      assert.equal(query.get('region'), 'us-east');
    }
  });

  test('has_more without next_cursor: the first page, then a ResponseDecodeError, after 1 request', async () => {
    const fake = fakes.noCursor;
    const iterator = Sandbox.iter({ apiKey: randomKey(), baseURL: fake.url });
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value.sandboxId, 'sbx-1');
    const error = await rejection(iterator.next());
    assert.ok(error instanceof ResponseDecodeError, util.inspect(error));
    assert.ok(error.message.includes('next_cursor'), error.message);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true }, 'finished');
    assert.equal(fake.requests.length, 1);
  });

  test('the same next_cursor twice ends with an error, not an endless loop', async () => {
    const fake = fakes.sameCursor;
    const seen = [];
    const error = await rejection(
      (async () => {
        for await (const sandbox of Sandbox.iter({ apiKey: randomKey(), baseURL: fake.url })) {
          seen.push(sandbox.sandboxId);
          assert.ok(seen.length < LOOP_BOUND, 'the iterator did not end');
        }
      })(),
    );
    assert.ok(error instanceof ResponseDecodeError, util.inspect(error));
    assert.deepEqual(seen, ['sbx-2', 'sbx-2']);
    assert.equal(fake.requests.length, 2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('lifecycle', () => {
  test('kill deletes the sandbox; a second kill is a NotFoundError', async () => {
    const sandbox = await create();
    assert.equal(await sandbox.kill(), undefined);
    assert.equal(await serverStatus(sandbox.sandboxId), 404);
    const error = await rejection(sandbox.getInfo());
    assert.ok(error instanceof NotFoundError, util.inspect(error));
    const again = await rejection(sandbox.kill());
    assert.ok(again instanceof NotFoundError, util.inspect(again));
    assert.equal(again.status, 404);
  });

  test('pause and resume', async () => {
    const sandbox = await create();
    assert.equal(await sandbox.pause(), undefined);
    assert.equal(await serverStatus(sandbox.sandboxId), 'paused');
    assert.equal(sandbox.info.status, 'paused', 'the handle keeps what pause answered');
    const twice = await rejection(sandbox.pause());
    assert.ok(twice instanceof ConflictError, util.inspect(twice));
    assert.equal(twice.status, 409);
    assert.equal(await sandbox.resume(), undefined);
    assert.equal(await serverStatus(sandbox.sandboxId), 'running');
    assert.equal(sandbox.info.status, 'running');
    const resumeRunning = await rejection(sandbox.resume());
    assert.ok(resumeRunning instanceof ConflictError, util.inspect(resumeRunning));
  });

  test('setTimeout moves the expiry, and getInfo shows it', async () => {
    const sandbox = await create({ timeoutSeconds: 600 });
    assert.equal((await sandbox.getInfo()).timeoutSeconds, 600);
    const requested = Date.now();
    assert.equal(await sandbox.setTimeout(3600), undefined);
    const info = await sandbox.getInfo();
    assert.equal(info.timeoutSeconds, 3600);
    const expiresAt = Date.parse(info.expiresAt);
    assert.ok(Math.abs(expiresAt - (requested + 3_600_000)) < 60_000, info.expiresAt);
  });

  test('setTimeout refuses the shared fixture values and non-whole numbers, sending nothing', async () => {
    const sandbox = await create();
    for (const seconds of [...fixture.invalid_timeouts, 1.5, NaN, Infinity, undefined, '60']) {
      const error = await withoutRequests(() => rejection(sandbox.setTimeout(seconds)));
      assertInvalidArgument(error, String(seconds));
    }
  });

  test('refreshToken gets a new token and never shows it', async () => {
    const sandbox = await create();
    assert.equal(await withRequests(1, () => sandbox.refreshToken()), undefined);
    const printed = [
      String(sandbox),
      util.inspect(sandbox, { showHidden: true, depth: Infinity }),
      JSON.stringify(sandbox),
      JSON.stringify(sandbox.info),
    ].join('\n');
    assert.ok(!printed.includes('eyJ'), printed);
    assert.ok(!/token/i.test(Object.keys(sandbox.info).join()), Object.keys(sandbox.info).join());
  });

  test('refreshToken on a killed sandbox is a NotFoundError', async () => {
    const sandbox = await create();
    await sandbox.kill();
    const error = await rejection(sandbox.refreshToken());
    assert.ok(error instanceof NotFoundError, util.inspect(error));
  });
});

// ---------------------------------------------------------------------------------------------

describe('expiry helpers', () => {
  test('with a timeout: each helper makes one request', async () => {
    const sandbox = await create({ timeoutSeconds: 600 });
    const left = await withRequests(1, () => sandbox.getTimeToExpiry());
    assert.ok(Number.isInteger(left) && left > 550 && left <= 600, String(left));
    assert.equal(await withRequests(1, () => sandbox.isExpiringSoon()), false);
    assert.equal(await sandbox.isExpiringSoon(300), false);
    assert.equal(await sandbox.isExpiringSoon(3600), true);
    assert.equal(await sandbox.isExpiringSoon(0), false);

    const expiry = await withRequests(1, () => sandbox.getExpiryInfo());
    assert.deepEqual(Object.keys(expiry).sort(), [
      'expiresAt',
      'hasTimeout',
      'isExpired',
      'isExpiringSoon',
      'timeToExpiry',
    ]);
    assert.ok(expiry.expiresAt instanceof Date, util.inspect(expiry));
    assert.equal(expiry.expiresAt.getTime(), Date.parse(sandbox.info.expiresAt));
    assert.ok(expiry.timeToExpiry > 550 && expiry.timeToExpiry <= 600, String(expiry.timeToExpiry));
    assert.equal(expiry.isExpired, false);
    assert.equal(expiry.isExpiringSoon, false);
    assert.equal(expiry.hasTimeout, true);
    assert.equal((await sandbox.getExpiryInfo(1000)).isExpiringSoon, true);
  });

  test('without a timeout: null, and always a boolean (false), unlike the official SDK', async () => {
    const sandbox = await create();
    assert.equal((await sandbox.getInfo()).timeoutSeconds, undefined);
    assert.equal(await sandbox.getTimeToExpiry(), null);
    assert.equal(await sandbox.isExpiringSoon(), false);
    assert.equal(await sandbox.isExpiringSoon(1e9), false);
    assert.deepEqual(await sandbox.getExpiryInfo(), {
      expiresAt: null,
      timeToExpiry: null,
      isExpired: false,
      isExpiringSoon: false,
      hasTimeout: false,
    });
  });

  test('thresholds from the shared fixture are refused before anything is sent', async () => {
    const sandbox = await create();
    for (const threshold of [...fixture.invalid_thresholds, NaN, Infinity]) {
      for (const call of [() => sandbox.isExpiringSoon(threshold), () => sandbox.getExpiryInfo(threshold)]) {
        const error = await withoutRequests(() => rejection(call()));
        assertInvalidArgument(error, String(threshold));
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('templates', () => {
  test('getTemplate by name and by id', async () => {
    const byName = await Sandbox.getTemplate('code-interpreter', options);
    assert.equal(byName.name, 'code-interpreter');
    assert.equal(typeof byName.id, 'string');
    assert.equal(typeof byName.description, 'string');
    assert.equal(byName.isActive, true);
    assert.ok(Array.isArray(byName.features));
    assert.ok(!Object.keys(byName).some((k) => k.includes('_')), Object.keys(byName).join());
    const byId = await Sandbox.getTemplate(byName.id, options);
    assert.equal(byId.name, 'code-interpreter');
    assert.equal(byId.id, byName.id);
  });

  for (const { wanted, suggested } of fixture.template_suggestions) {
    test(`getTemplate and create('${wanted}'): TemplateNotFoundError suggesting ${suggested}`, async () => {
      const calls = {
        getTemplate: () => Sandbox.getTemplate(wanted, options),
        create: () => Sandbox.create({ ...options, template: wanted }),
      };
      for (const [name, call] of Object.entries(calls)) {
        const error = await rejection(call());
        assert.ok(error instanceof TemplateNotFoundError, `${name}: ${util.inspect(error)}`);
        assert.ok(error instanceof NotFoundError);
        assert.equal(error.code, 'template_not_found');
        assert.equal(error.status, 404);
        assert.equal(error.templateName, wanted, name);
        assert.equal(error.suggestedTemplate, suggested ?? undefined, name);
        assert.ok(error.availableTemplates.includes('code-interpreter'), String(error.availableTemplates));
        if (suggested) {
          assert.ok(error.message.includes(`Did you mean '${suggested}'?`), error.message);
        } else {
          assert.ok(!error.message.includes('Did you mean'), error.message);
        }
      }
    });
  }

  test('deleteTemplate of a public template is a PermissionDeniedError (403), by name or id', async () => {
    const template = await Sandbox.getTemplate('base', options);
    for (const id of ['base', template.id]) {
      const error = await rejection(Sandbox.deleteTemplate(id, options));
      assert.ok(error instanceof PermissionDeniedError, util.inspect(error));
      assert.equal(error.status, 403);
      assert.equal(error.code, 'permission_denied');
    }
    assert.equal((await Sandbox.getTemplate('base', options)).name, 'base', 'still there');
  });

  test('deleteTemplate of an unknown template is a NotFoundError', async () => {
    const error = await rejection(Sandbox.deleteTemplate('no-such-template', options));
    assert.ok(error instanceof NotFoundError, util.inspect(error));
    assert.equal(error.status, 404);
  });

  test('deleteTemplate resolves to undefined when the server deletes it', async () => {
    const fake = await startFake((req, res) => {
      if (req.url === '/v1/templates/tpl-1') res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"deleted":true}');
    });
    try {
      const key = randomKey();
      assert.equal(await Sandbox.deleteTemplate('tpl-1', { apiKey: key, baseURL: fake.url }), undefined);
      assert.equal(await Sandbox.deleteTemplate('tpl-2', { apiKey: key, baseURL: fake.url }), undefined);
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.url}`),
        ['DELETE /v1/templates/tpl-1', 'DELETE /v1/templates/tpl-2'],
      );
    } finally {
      await fake.close();
    }
  });

  test('template names that would change the path are refused before anything is sent', async () => {
    for (const name of ['a/b', '..', 'x?y=1']) {
      assertInvalidArgument(
        await withoutRequests(() => rejection(Sandbox.getTemplate(name, options))),
        name,
      );
      assertInvalidArgument(
        await withoutRequests(() => rejection(Sandbox.deleteTemplate(name, options))),
        name,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('healthCheck', () => {
  test('healthCheck(baseURL) and healthCheck(options) return the JSON and send no key', async () => {
    await server.resetStats();
    const health = await Sandbox.healthCheck(server.url);
    assert.equal(health.status, 'ok');
    assert.equal(typeof health, 'object');
    const withOptions = await Sandbox.healthCheck({ baseURL: server.url, requestTimeoutMs: 5000 });
    assert.equal(withOptions.status, 'ok');
    const stats = await server.stats();
    assert.equal(stats.api_requests, 2);
    assert.equal(stats.auth_headers.bearer, undefined, JSON.stringify(stats.auth_headers));
    assert.equal(stats.auth_headers['x-api-key'], undefined, JSON.stringify(stats.auth_headers));
  });

  test('works with no key anywhere, taking the URL from HOPX_BASE_URL', async () => {
    // A child process with no HOPX_API_KEY, an empty config dir and no .env above its cwd.
    const dir = mkdtempSync(join(tmpdir(), 'hopx-health-'));
    try {
      const entry = new URL('../../js/index.mjs', import.meta.url).href;
      const script =
        `const { Sandbox } = await import(${JSON.stringify(entry)});\n` +
        'const health = await Sandbox.healthCheck();\n' +
        'process.stdout.write(JSON.stringify(health));\n';
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', script],
        {
          cwd: dir,
          env: { PATH: process.env.PATH, HOME: dir, HOPX_CONFIG_DIR: dir, HOPX_BASE_URL: server.url },
          timeout: 30_000,
        },
      );
      assert.equal(JSON.parse(stdout).status, 'ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a port nothing listens on is a NetworkError', async () => {
    // A port that was just free: bind, read it, close.
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejection(
      Sandbox.healthCheck({ baseURL: `http://127.0.0.1:${port}`, requestTimeoutMs: 2000 }),
    );
    assert.ok(error instanceof NetworkError, util.inspect(error));
  });
});

// ---------------------------------------------------------------------------------------------

describe('Symbol.asyncDispose', () => {
  test('is defined, under the symbol Node uses', () => {
    assert.equal(typeof Symbol.asyncDispose, 'symbol', 'Node 20 defines it');
    assert.equal(typeof Sandbox.prototype[Symbol.asyncDispose], 'function');
    assert.equal(
      Sandbox.prototype[Symbol.asyncDispose],
      Sandbox.prototype[Symbol.for('nodejs.asyncDispose')],
    );
  });

  test('kills a sandbox made by create; one already gone counts as done', async () => {
    const sandbox = await create();
    assert.equal(await sandbox[Symbol.asyncDispose](), undefined);
    assert.equal(await serverStatus(sandbox.sandboxId), 404);
    assert.equal(await sandbox[Symbol.asyncDispose](), undefined);
  });

  test('leaves a connected, listed or iterated sandbox running', async () => {
    const created = await create();
    const connected = await Sandbox.connect(created.sandboxId, options);
    const listed = (await Sandbox.list(options)).find((s) => s.sandboxId === created.sandboxId);
    const iterated = (await drain(Sandbox.iter(options))).find(
      (s) => s.sandboxId === created.sandboxId,
    );
    for (const handle of [connected, listed, iterated]) {
      await withoutRequests(() => handle[Symbol.asyncDispose]());
    }
    assert.equal(await serverStatus(created.sandboxId), 'running');
    await created[Symbol.asyncDispose]();
    assert.equal(await serverStatus(created.sandboxId), 404);
  });

  test('a failed kill is thrown', async () => {
    const fake = await startFake((req, res) => {
      res.writeHead(req.method === 'POST' ? 201 : 403, { 'content-type': 'application/json' });
      res.end(
        req.method === 'POST'
          ? JSON.stringify({ id: 'sbx-keep', status: 'running', template_name: 'base' })
          : JSON.stringify({ error: { message: 'not yours', code: 'forbidden' } }),
      );
    });
    try {
      const sandbox = await Sandbox.create({ apiKey: randomKey(), baseURL: fake.url, template: 'base' });
      const error = await rejection(sandbox[Symbol.asyncDispose]());
      assert.ok(error instanceof PermissionDeniedError, util.inspect(error));
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.url}`),
        ['POST /v1/sandboxes', 'DELETE /v1/sandboxes/sbx-keep'],
      );
    } finally {
      await fake.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('printing', () => {
  test('toString, inspect and JSON make no request, and show the latest known status', async () => {
    const created = await create();
    const connected = await Sandbox.connect(created.sandboxId, options);
    const [listed] = await Sandbox.list({ ...options, limit: 1 });
    await withoutRequests(async () => {
      for (const sandbox of [created, connected, listed]) {
        assert.ok(String(sandbox).startsWith('Sandbox { sandboxId: '), String(sandbox));
        assert.ok(util.inspect(sandbox).startsWith('Sandbox {'), util.inspect(sandbox));
        assert.equal(typeof JSON.parse(JSON.stringify(sandbox)).sandboxId, 'string');
        assert.equal(typeof sandbox.info, 'object');
      }
    });
    await created.pause();
    await withoutRequests(async () => {
      assert.ok(String(created).includes("status: 'paused'"), String(created));
    });
  });
});

// ---------------------------------------------------------------------------------------------

test('every public Sandbox member is declared in js/index.d.ts', () => {
  const statics = Object.getOwnPropertyNames(Sandbox).filter(
    (name) => !['length', 'name', 'prototype'].includes(name),
  );
  for (const name of statics) {
    assert.match(dts, new RegExp(`^  static ${name}\\(`, 'm'), `static ${name}`);
  }
  const members = Object.getOwnPropertyNames(Sandbox.prototype).filter((n) => n !== 'constructor');
  for (const name of members) {
    assert.match(dts, new RegExp(`^  (?:get )?${name}\\(`, 'm'), name);
  }
  assert.ok(members.includes('setTimeout') && statics.includes('iter'));
  assert.match(dts, /^ {2}\[Symbol\.asyncDispose\]\(\): Promise<void>;/m);
});
