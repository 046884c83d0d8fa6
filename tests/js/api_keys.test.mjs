// The shared API key cases (tests/fixtures/api_keys.json), through the JavaScript SDK against
// a real hopx-local: malformed keys fail before anything is sent, with the fixture's error
// code and without the secret; well-formed keys the server does not know get a 401.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import { AuthenticationError, HopxError, InvalidApiKeyError, Sandbox } from '@hopx-ai/sdk';

import { startServer } from './server.mjs';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/api_keys.json', import.meta.url), 'utf8'),
);
const invalidCases = fixture.cases.filter((c) => c.error);
const validCases = fixture.cases.filter((c) => c.ok);

/** Every printed form of an error. */
function printed(error) {
  return {
    message: error.message,
    'String()': String(error),
    'util.inspect()': util.inspect(error, { depth: Infinity }),
    'JSON.stringify()': JSON.stringify(error),
    stack: String(error.stack),
  };
}

/** Asserts that `needle` (a case's secret) is in none of the error's printed forms. */
function assertAbsent(error, needle, name) {
  if (!needle) return;
  for (const [form, text] of Object.entries(printed(error))) {
    assert.ok(!text.includes(needle), `${name}: ${form} contains ${JSON.stringify(needle)}: ${text}`);
  }
}

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test('the fixture has both kinds of cases', () => {
  assert.ok(invalidCases.length >= 20, `only ${invalidCases.length} invalid cases`);
  assert.ok(validCases.length >= 5, `only ${validCases.length} valid cases`);
});

describe('malformed keys are refused before any request', () => {
  let before_;
  before(async () => {
    before_ = await server.stats();
  });

  for (const c of invalidCases) {
    test(c.name, async () => {
      for (const call of ['listTemplates', 'create']) {
        const options = { apiKey: c.input, baseURL: server.url, validateApiKey: c.validate };
        const promise =
          call === 'create'
            ? Sandbox.create({ ...options, template: 'code-interpreter' })
            : Sandbox.listTemplates(options);
        const error = await promise.then(
          () => assert.fail(`${call} accepted ${JSON.stringify(c.input)}`),
          (e) => e,
        );
        assert.ok(error instanceof InvalidApiKeyError, `${call}: ${util.inspect(error)}`);
        assert.ok(error instanceof HopxError);
        assert.ok(error instanceof Error);
        assert.equal(error.name, 'InvalidApiKeyError');
        assert.equal(error.code, c.error, `${call}: ${error.message}`);
        assert.equal(error.status, undefined);
        assert.ok(error.message.length > 0);
        if (c.hint_contains) {
          assert.ok(
            error.hint?.includes(c.hint_contains),
            `${call}: hint ${JSON.stringify(error.hint)} lacks ${JSON.stringify(c.hint_contains)}`,
          );
        }
        assertAbsent(error, c.must_not_contain, `${c.name} (${call})`);
      }
    });
  }

  test('the server saw no request', async () => {
    const now = await server.stats();
    assert.equal(now.api_requests, before_.api_requests);
    assert.equal(now.api_connections, before_.api_connections);
  });
});

describe('well-formed keys the server does not know get a 401', () => {
  let before_;
  before(async () => {
    before_ = await server.stats();
  });

  for (const c of validCases) {
    test(c.name, async () => {
      const error = await Sandbox.listTemplates({
        apiKey: c.input,
        baseURL: server.url,
        validateApiKey: c.validate,
      }).then(
        () => assert.fail('an unknown key was accepted'),
        (e) => e,
      );
      assert.ok(error instanceof AuthenticationError, util.inspect(error));
      assert.equal(error.code, 'authentication_error');
      assert.equal(error.status, 401);
      assert.equal(typeof error.requestId, 'string');
      // The hint names the key that was sent, in its redacted form only.
      assert.ok(error.hint?.includes(c.redacted), `hint ${JSON.stringify(error.hint)}`);
      assertAbsent(error, c.must_not_contain, c.name);
    });
  }

  test('the server received each of them', async () => {
    // Sanity check that these cases really went over the wire (the counterpart of the
    // "no request" check above).
    // One request per case (a 401 is not retried), counted from before the first case.
    const now = await server.stats();
    assert.equal(now.api_requests - before_.api_requests, validCases.length);
  });
});
