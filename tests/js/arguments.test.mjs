// Arguments the SDK must check itself, before anything is sent: numbers that are not whole,
// keys with characters no header can carry, and a key given in the wrong option (which must
// never be echoed back in an error, whether the SDK or the server repeats it).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import {
  HopxError,
  InvalidApiKeyError,
  InvalidArgumentError,
  Sandbox,
  TemplateNotFoundError,
} from '@hopx-ai/sdk';

import { randomKey, secretOf, startServer, rejection } from './server.mjs';

let server;
let options;
before(async () => {
  server = await startServer();
  options = { apiKey: server.keys[0], baseURL: server.url };
});
after(async () => {
  await server?.stop();
});


/** Runs `call` and asserts that the server saw no request and no connection meanwhile. */
async function withoutRequests(call) {
  const before_ = await server.stats();
  const result = await call();
  const now = await server.stats();
  assert.equal(now.api_requests - before_.api_requests, 0, 'api_requests delta');
  assert.equal(now.api_connections - before_.api_connections, 0, 'api_connections delta');
  return result;
}

describe('numbers are checked, not truncated', () => {
  const cases = [
    ['templateId: 1.5', { templateId: 1.5 }, 'templateId'],
    ['timeoutSeconds: 1.5', { template: 'code-interpreter', timeoutSeconds: 1.5 }, 'timeoutSeconds'],
    ['timeoutSeconds: NaN', { template: 'code-interpreter', timeoutSeconds: NaN }, 'timeoutSeconds'],
    ['timeoutSeconds: -5', { template: 'code-interpreter', timeoutSeconds: -5 }, 'timeoutSeconds'],
    ['timeoutSeconds: Infinity', { template: 'code-interpreter', timeoutSeconds: Infinity }, 'timeoutSeconds'],
  ];
  for (const [name, extra, option] of cases) {
    test(`${name} is an InvalidArgumentError, and nothing is sent`, async () => {
      const error = await withoutRequests(() => rejection(Sandbox.create({ ...options, ...extra })));
      assert.ok(error instanceof InvalidArgumentError, util.inspect(error));
      assert.ok(error instanceof HopxError);
      assert.equal(error.code, 'invalid_argument');
      assert.ok(error.message.includes(option), error.message);
    });
  }

  test('templateId: 1 still works', async () => {
    const sandbox = await Sandbox.create({ ...options, templateId: 1 });
    const info = await sandbox.getInfo();
    assert.equal(info.templateId, '1');
  });
});

/** Every printed form of an error, and its details. */
function printedForms(error) {
  return {
    'String()': String(error),
    message: error.message,
    hint: String(error.hint),
    'util.inspect(showHidden)': util.inspect(error, { depth: Infinity, showHidden: true }),
    'JSON.stringify()': JSON.stringify(error),
    details: JSON.stringify(error.details ?? null),
    stack: String(error.stack),
  };
}

/**
 * Asserts that no part of `key`'s secret (no 8-character run of it, so no fragment either) is
 * in any printed form of `error`.
 */
function assertSecretNotShown(error, key, what) {
  const secret = secretOf(key);
  const fragments = [];
  for (let i = 0; i + 8 <= secret.length; i += 1) fragments.push(secret.slice(i, i + 8));
  for (const [form, text] of Object.entries(printedForms(error))) {
    for (const fragment of fragments) {
      assert.ok(!text.includes(fragment), `${what}: ${form} contains part of the secret: ${text}`);
    }
  }
}

describe('a key passed in the wrong option is never echoed', () => {
  // A server that, unlike hopx-local, repeats the template it was asked for in its 404: the
  // SDK itself has to keep the key out of the error.
  let echo;
  before(async () => {
    const http_ = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        let asked = null;
        try {
          const json = JSON.parse(body);
          asked = json.template_name ?? json.template_id ?? null;
        } catch {
          // not JSON: echo nothing
        }
        res.writeHead(404, { 'content-type': 'application/json', 'x-request-id': 'req_echo' });
        res.end(
          JSON.stringify({
            error: `Template '${asked}' not found`,
            code: 'template_not_found',
            request_id: 'req_echo',
            details: { template_name: asked, available: ['code-interpreter', asked] },
          }),
        );
      });
    });
    await new Promise((resolve, reject) => {
      http_.once('error', reject);
      http_.listen(0, '127.0.0.1', resolve);
    });
    echo = { server: http_, url: `http://127.0.0.1:${http_.address().port}` };
  });
  after(async () => {
    if (!echo) return;
    echo.server.closeAllConnections();
    await new Promise((resolve) => echo.server.close(resolve));
  });

  const keys = {
    'a random key': () => randomKey(),
    "the server's own key": () => server.keys[0],
    "the server's other key": () => server.keys[1],
  };
  for (const [keyName, makeKey] of Object.entries(keys)) {
    for (const option of ['template', 'templateId']) {
      for (const target of ['hopx-local', 'a server that echoes it']) {
        test(`${keyName} as ${option}, against ${target}`, async () => {
          const key = makeKey();
          const baseURL = target === 'hopx-local' ? server.url : echo.url;
          const error = await rejection(Sandbox.create({ ...options, baseURL, [option]: key }));
          assert.ok(error instanceof TemplateNotFoundError, util.inspect(error));
          assert.equal(error.code, 'template_not_found');
          assert.equal(error.status, 404);
          assertSecretNotShown(error, key, `${keyName} as ${option}`);
          if (baseURL === echo.url) {
            // The echo did reach the error, in its redacted form: the SDK scrubbed it.
            const redacted = `${key.slice(0, key.indexOf('.'))}.****`;
            assert.equal(error.details?.template_name, redacted, util.inspect(error.details));
          }
          // The api key option itself (the server's K1) is not shown either.
          assertSecretNotShown(error, options.apiKey, `${keyName} as ${option} (apiKey)`);
        });
      }
    }
  }
});

describe('odd keys never crash', () => {
  const oddKeys = {
    'a Cyrillic i in the prefix': 'hopx_l\u0456ve_AbCdEf123456.Zq9xS3cr3tV4l',
    'an accented letter mid-key': 'abcdef\u00e9Zq9x',
    'Bearer followed by a non-ASCII letter': 'Bearer\u00e9x',
  };
  for (const [name, apiKey] of Object.entries(oddKeys)) {
    for (const validateApiKey of [undefined, false]) {
      test(`${name} (validateApiKey: ${validateApiKey}) is an InvalidApiKeyError`, async () => {
        await withoutRequests(async () => {
          for (const call of ['listTemplates', 'create']) {
            const callOptions = { apiKey, baseURL: server.url, validateApiKey };
            const promise =
              call === 'create'
                ? Sandbox.create({ ...callOptions, template: 'code-interpreter' })
                : Sandbox.listTemplates(callOptions);
            const error = await rejection(promise);
            assert.ok(error instanceof InvalidApiKeyError, `${call}: ${util.inspect(error)}`);
            assert.equal(typeof error.code, 'string');
            assert.ok(error.code.startsWith('api_key_'), `${call}: ${error.code}`);
            assert.equal(error.status, undefined);
            assert.ok(!String(error).includes('Zq9xS3cr3tV4l'), `${call}: ${String(error)}`);
          }
        });
      });
    }
  }
});
