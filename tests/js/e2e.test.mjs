// The JavaScript SDK end to end against a real hopx-local: templates, sandboxes, errors,
// connection reuse, concurrency, and the package's entry points.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import util from 'node:util';

import SandboxDefault, * as sdk from '@hopx-ai/sdk';
import {
  APIError,
  AuthenticationError,
  HopxError,
  InvalidArgumentError,
  NotFoundError,
  Sandbox,
  TemplateNotFoundError,
  version,
} from '@hopx-ai/sdk';

import { randomKey, startServer, rejection } from './server.mjs';

const require = createRequire(import.meta.url);
const cjs = require('@hopx-ai/sdk');
const native = require('../../js/native.js');
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

let server;
let options;
before(async () => {
  server = await startServer();
  options = { apiKey: server.keys[0], baseURL: server.url };
});
after(async () => {
  await server?.stop();
});


test('listTemplates returns the catalog, camelCase, with every field', async () => {
  const templates = await Sandbox.listTemplates(options);
  assert.ok(Array.isArray(templates));
  const ci = templates.find((t) => t.name === 'code-interpreter');
  assert.ok(ci, `no code-interpreter in ${templates.map((t) => t.name)}`);
  assert.equal(typeof ci.id, 'string');
  assert.equal(ci.language, 'python');
  assert.equal(typeof ci.displayName, 'string');
  assert.equal(typeof ci.description, 'string');
  assert.equal(typeof ci.category, 'string');
  assert.ok(Array.isArray(ci.features));
  assert.ok(Array.isArray(ci.tags));
  assert.equal(typeof ci.defaultResources.vcpu, 'number');
  assert.equal(typeof ci.defaultResources.memoryMb, 'number');
  assert.equal(typeof ci.defaultResources.diskGb, 'number');
  assert.equal(ci.isActive, true);
  assert.equal(typeof ci.isPublic, 'boolean');
  assert.equal(typeof ci.popularityScore, 'number');
  assert.equal(typeof ci.createdAt, 'string');
  for (const template of templates) {
    assert.ok(!Object.keys(template).some((k) => k.includes('_')), Object.keys(template).join());
  }
});

test('listTemplates filters by language and category', async () => {
  const all = await Sandbox.listTemplates(options);
  const python = await Sandbox.listTemplates({ ...options, language: 'python' });
  assert.ok(python.length > 0);
  assert.ok(python.every((t) => t.language === 'python'));
  assert.ok(python.length <= all.length);
  const ci = all.find((t) => t.name === 'code-interpreter');
  const category = await Sandbox.listTemplates({ ...options, category: ci.category });
  assert.ok(category.some((t) => t.name === 'code-interpreter'));
  assert.ok(category.every((t) => t.category === ci.category));
  const none = await Sandbox.listTemplates({ ...options, language: 'no-such-language' });
  assert.deepEqual(none, []);
});

test('two consecutive listTemplates() calls share one TCP connection', async () => {
  // hyper hands a finished HTTP/1 connection back to the pool from a runtime task; on a loaded
  // machine a new loopback connect can beat that by microseconds. So the two-call experiment
  // gets up to three tries: an SDK that never reused connections fails all three.
  await Sandbox.listTemplates(options); // warm the pool
  const seen = [];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await server.resetStats();
    await Sandbox.listTemplates(options);
    await Sandbox.listTemplates(options);
    const stats = await server.stats();
    assert.equal(stats.api_requests, 2);
    seen.push(stats.api_connections);
    if (stats.api_connections === 1) break;
  }
  assert.equal(seen.at(-1), 1, `connections per two calls, by try: ${seen}`);
});

for (const authHeader of ['bearer', 'x-api-key']) {
  test(`create with authHeader '${authHeader}', then getInfo()`, async () => {
    await server.resetStats();
    const sandbox = await Sandbox.create({
      ...options,
      authHeader,
      template: 'code-interpreter',
      timeoutSeconds: 600,
      internetAccess: false,
    });
    assert.ok(sandbox instanceof Sandbox);
    assert.equal(typeof sandbox.sandboxId, 'string');
    assert.ok(sandbox.sandboxId.length > 0);

    const info = await sandbox.getInfo();
    assert.equal(info.sandboxId, sandbox.sandboxId);
    assert.equal(info.templateName, 'code-interpreter');
    assert.equal(typeof info.templateId, 'string');
    assert.equal(info.status, 'running');
    assert.equal(typeof info.publicHost, 'string');
    assert.equal(typeof info.organizationId, 'number');
    assert.equal(typeof info.resources.vcpu, 'number');
    assert.equal(typeof info.resources.memoryMb, 'number');
    assert.equal(typeof info.resources.diskMb, 'number');
    assert.equal(info.internetAccess, false);
    assert.equal(info.timeoutSeconds, 600);
    for (const field of ['createdAt', 'expiresAt']) {
      assert.equal(typeof info[field], 'string', field);
      assert.ok(!Number.isNaN(Date.parse(info[field])), `${field} ${info[field]}`);
    }
    assert.ok(Date.parse(info.expiresAt) > Date.parse(info.createdAt));
    assert.equal(info.endAt, info.expiresAt);

    // What went over the wire: the header style asked for and the SDK's User-Agent.
    const stats = await server.stats();
    assert.deepEqual(stats.auth_headers, { [authHeader]: 2 });
    assert.deepEqual(stats.user_agents, { [`hopx-node/${version}`]: 2 });
  });
}

test('an unknown authHeader is an InvalidArgumentError', async () => {
  const error = await rejection(
    Sandbox.create({ ...options, authHeader: 'cookie', template: 'code-interpreter' }),
  );
  assert.ok(error instanceof InvalidArgumentError, util.inspect(error));
  assert.equal(error.code, 'invalid_argument');
});

test('templateId may be a number', async () => {
  const templates = await Sandbox.listTemplates(options);
  const numericId = Number(templates.find((t) => t.name === 'code-interpreter').id);
  assert.ok(Number.isInteger(numericId));
  const sandbox = await Sandbox.create({ ...options, templateId: numericId });
  const info = await sandbox.getInfo();
  assert.equal(info.templateId, String(numericId));
  assert.equal(info.templateName, 'code-interpreter');
});

test('a key the server does not know: AuthenticationError with status 401 and a request id', async () => {
  const error = await rejection(
    Sandbox.create({ ...options, apiKey: randomKey(), template: 'code-interpreter' }),
  );
  assert.ok(error instanceof AuthenticationError, util.inspect(error));
  assert.ok(error instanceof APIError);
  assert.ok(error instanceof HopxError);
  assert.equal(error.name, 'AuthenticationError');
  assert.equal(error.code, 'authentication_error');
  assert.equal(error.status, 401);
  assert.equal(error.statusCode, 401);
  assert.equal(typeof error.requestId, 'string');
  assert.ok(error.requestId.length > 0);
  assert.equal(typeof error.hint, 'string');
});

test('an unknown template: TemplateNotFoundError', async () => {
  const error = await rejection(Sandbox.create({ ...options, template: 'no-such-template' }));
  assert.ok(error instanceof TemplateNotFoundError, util.inspect(error));
  assert.ok(error instanceof NotFoundError);
  assert.ok(error instanceof APIError);
  assert.ok(error instanceof HopxError);
  assert.ok(error instanceof Error);
  assert.equal(error.code, 'template_not_found');
  assert.equal(error.status, 404);
  assert.ok(error.message.includes('no-such-template'), error.message);
  assert.ok(error.hint.includes('listTemplates'), error.hint);
  // As in Python, the names the server listed are on the error.
  assert.ok(error.availableTemplates.includes('base'), String(error.availableTemplates));
});

test('no template: InvalidArgumentError, and nothing is sent', async () => {
  const before_ = await server.stats();
  for (const call of [() => Sandbox.create(options), () => Sandbox.create({ ...options, template: '  ' })]) {
    const error = await rejection(call());
    assert.ok(error instanceof InvalidArgumentError, util.inspect(error));
    assert.ok(error instanceof HopxError);
    assert.equal(error.code, 'invalid_argument');
  }
  const now = await server.stats();
  assert.equal(now.api_requests, before_.api_requests);
});

test('Promise.all of 5 creates', async () => {
  const sandboxes = await Promise.all(
    Array.from({ length: 5 }, () => Sandbox.create({ ...options, template: 'code-interpreter' })),
  );
  assert.equal(new Set(sandboxes.map((s) => s.sandboxId)).size, 5);
  const infos = await Promise.all(sandboxes.map((s) => s.getInfo()));
  assert.deepEqual(
    infos.map((i) => i.sandboxId),
    sandboxes.map((s) => s.sandboxId),
  );
});

test('a sandbox prints its id, status and template, without a request', async () => {
  const sandbox = await Sandbox.create({ ...options, template: 'code-interpreter' });
  await server.resetStats();
  const expected = `Sandbox { sandboxId: '${sandbox.sandboxId}', status: 'running', templateName: 'code-interpreter' }`;
  assert.equal(String(sandbox), expected);
  assert.equal(util.inspect(sandbox, { breakLength: Infinity }), expected);
  assert.deepEqual(JSON.parse(JSON.stringify(sandbox)), {
    sandboxId: sandbox.sandboxId,
    status: 'running',
    templateName: 'code-interpreter',
  });
  assert.equal((await server.stats()).api_requests, 0);
  assert.throws(() => new Sandbox(), TypeError);
});

test('require, import and the default import are the same module', async () => {
  assert.equal(SandboxDefault, Sandbox);
  assert.equal(cjs.Sandbox, Sandbox);
  assert.equal(cjs.default, Sandbox);
  assert.equal(sdk.default, Sandbox);
  for (const [name, value] of Object.entries(cjs)) {
    if (name !== 'default') assert.equal(sdk[name], value, name);
  }
  const sandbox = await cjs.Sandbox.create({ ...options, template: 'code-interpreter' });
  assert.ok(sandbox instanceof Sandbox);
  const error = await rejection(cjs.Sandbox.create({ ...options, template: 'no-such-template' }));
  assert.ok(error instanceof TemplateNotFoundError);
  assert.ok(error instanceof cjs.NotFoundError);
  const esmError = await rejection(Sandbox.create({ ...options, apiKey: 'nope' }));
  assert.ok(esmError instanceof cjs.InvalidApiKeyError);
  assert.ok(esmError instanceof sdk.ConfigurationError);
});

test('version equals package.json version', () => {
  assert.equal(version, packageJson.version);
  assert.equal(cjs.version, packageJson.version);
  assert.equal(native.version, packageJson.version);
});

test('every error class the core names is exported and extends HopxError', () => {
  const classes = native.errorClasses();
  assert.ok(Object.keys(classes).length >= 20);
  for (const [code, className] of Object.entries(classes)) {
    const ErrorClass = sdk[className];
    assert.equal(typeof ErrorClass, 'function', `${code} → ${className} is not exported`);
    assert.ok(ErrorClass.prototype instanceof HopxError, className);
    assert.equal(new ErrorClass('m').name, className);
  }
});

test('the error tree matches the Python SDK', () => {
  const parents = {
    APIError: 'HopxError',
    AuthenticationError: 'APIError',
    TokenExpiredError: 'AuthenticationError',
    NotFoundError: 'APIError',
    TemplateNotFoundError: 'NotFoundError',
    ValidationError: 'APIError',
    RateLimitError: 'APIError',
    ResourceLimitError: 'APIError',
    PaymentRequiredError: 'APIError',
    PermissionDeniedError: 'APIError',
    ConflictError: 'APIError',
    GoneError: 'APIError',
    ServerError: 'APIError',
    ResponseDecodeError: 'APIError',
    NetworkError: 'HopxError',
    TimeoutError: 'NetworkError',
    AgentError: 'HopxError',
    FileNotFoundError: 'AgentError',
    FileOperationError: 'AgentError',
    CodeExecutionError: 'AgentError',
    CommandExecutionError: 'AgentError',
    DesktopNotAvailableError: 'AgentError',
    SandboxExpiredError: 'HopxError',
    TemplateBuildError: 'HopxError',
    ConfigurationError: 'HopxError',
    MissingApiKeyError: 'ConfigurationError',
    InvalidApiKeyError: 'ConfigurationError',
    InvalidArgumentError: 'HopxError',
  };
  assert.equal(Object.getPrototypeOf(HopxError), Error);
  for (const [child, parent] of Object.entries(parents)) {
    assert.equal(Object.getPrototypeOf(sdk[child]), sdk[parent], `${child} extends ${parent}`);
  }
});

test("an error's fields, String(), inspect() and JSON", () => {
  const error = new sdk.RateLimitError('Slow down.', {
    code: 'rate_limited',
    status: 429,
    requestId: 'req_1',
    hint: 'Wait.',
    retryAfter: 2.5,
  });
  assert.equal(error.statusCode, 429);
  assert.equal(String(error), 'RateLimitError: Slow down. Wait.');
  assert.deepEqual(JSON.parse(JSON.stringify(error)), {
    name: 'RateLimitError',
    message: 'Slow down.',
    code: 'rate_limited',
    status: 429,
    requestId: 'req_1',
    hint: 'Wait.',
    retryAfter: 2.5,
  });
  const printed = util.inspect(error);
  assert.ok(printed.startsWith('RateLimitError: Slow down.\n'), printed);
  assert.ok(printed.includes("code: 'rate_limited'"), printed);
  assert.ok(printed.includes('retryAfter: 2.5'), printed);
  // The official SDK's positional form.
  const positional = new HopxError('m', 'SOME_CODE', 'req_2', 500);
  assert.equal(positional.code, 'SOME_CODE');
  assert.equal(positional.requestId, 'req_2');
  assert.equal(positional.statusCode, 500);
});
