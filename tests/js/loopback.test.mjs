// Answers hopx-local never gives, from small node:http servers on the loopback interface: an
// absurd Retry-After, and a redirect (which must not be followed: it would take the key along).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import { APIError, RateLimitError, Sandbox } from '@hopx-ai/sdk';

import { randomKey, secretOf, rejection, startFake } from './server.mjs';

function rateLimited(retryAfter) {
  return (req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
    res.end(JSON.stringify({ error: 'Too many requests', code: 'rate_limited' }));
  };
}

describe('a huge Retry-After', () => {
  const fakes = {};
  before(async () => {
    fakes.huge = await startFake(rateLimited('99999999999999999999'));
    fakes.u64 = await startFake(rateLimited('18446744073709551615'));
  });
  after(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  test('is a RateLimitError capped at a day, after exactly one request', async () => {
    const error = await rejection(
      Sandbox.listTemplates({ apiKey: randomKey(), baseURL: fakes.huge.url }),
    );
    assert.ok(error instanceof RateLimitError, util.inspect(error));
    assert.equal(error.status, 429);
    assert.equal(error.retryAfter, 86400);
    assert.equal(fakes.huge.requests.length, 1);
  });

  test(
    'that still fits in 64 bits is capped at a day too',
    async () => {
      const error = await rejection(
        Sandbox.listTemplates({ apiKey: randomKey(), baseURL: fakes.u64.url }),
      );
      assert.ok(error instanceof RateLimitError, util.inspect(error));
      assert.equal(fakes.u64.requests.length, 1);
      assert.equal(error.retryAfter, 86400);
    },
  );
});

describe('redirects are not followed', () => {
  let target;
  let redirector;
  before(async () => {
    // Anything reaching `target` would have carried the key there.
    target = await startFake((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [] }));
    });
    redirector = await startFake((req, res) => {
      res.writeHead(302, { location: `${target.url}${req.url}` });
      res.end();
    });
  });
  after(async () => {
    await redirector?.close();
    await target?.close();
  });

  const calls = {
    listTemplates: (options) => Sandbox.listTemplates(options),
    create: (options) => Sandbox.create({ ...options, template: 'code-interpreter' }),
  };
  for (const authHeader of ['x-api-key', 'bearer']) {
    for (const [callName, call] of Object.entries(calls)) {
      test(`${callName} with authHeader '${authHeader}': a 302 is an APIError`, async () => {
        const key = randomKey();
        const sent = redirector.requests.length;
        const error = await rejection(call({ apiKey: key, baseURL: redirector.url, authHeader }));
        assert.ok(error instanceof APIError, util.inspect(error));
        assert.equal(error.status, 302);
        assert.ok(!util.inspect(error).includes(secretOf(key)), util.inspect(error));
        assert.equal(redirector.requests.length - sent, 1, 'requests to the redirecting server');
        assert.deepEqual(target.requests, [], 'requests to the redirect target');
      });
    }
  }

  test('control: a client that does follow redirects reaches the target', async () => {
    // So the checks above mean something: the redirect is a real, followable one.
    const response = await fetch(`${redirector.url}/v1/templates`, { redirect: 'follow' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: [] });
    assert.equal(target.requests.length, 1);
    assert.equal(target.requests[0].url, '/v1/templates');
  });
});
