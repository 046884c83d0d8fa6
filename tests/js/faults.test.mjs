// The fault matrix (tests/fixtures/faults.json, shared with the Rust and Python suites): each
// case puts `hopx-testkit faults` between the SDK and a real hopx-local, scripts what goes
// wrong, makes one SDK call, and checks the outcome, the error's fields, the attempts the fault
// server saw, the gaps between them and the sandboxes that exist afterwards.
//
// The cases run at once, each with its own fault server and its own organization (API key) on
// one hopx-local, so the file takes about as long as its slowest case.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import * as sdk from '@hopx-ai/sdk';

import { startServer } from './server.mjs';
import { startFaults } from './testkit.mjs';

const { HopxError, Sandbox } = sdk;

const fixture = JSON.parse(readFileSync(new URL('../fixtures/faults.json', import.meta.url), 'utf8'));
const slack = fixture.slack_seconds;
const CASE_TIMEOUT_MS = 60_000;

/** The case's options (seconds, null = default) as SDK options (milliseconds). */
function sdkOptions(options = {}) {
  const converted = {};
  if (options.max_retries != null) converted.maxRetries = options.max_retries;
  if (options.request_timeout != null) converted.requestTimeoutMs = options.request_timeout * 1000;
  if (options.deadline != null) converted.deadlineMs = options.deadline * 1000;
  for (const name of Object.keys(options)) {
    assert.ok(['max_retries', 'request_timeout', 'deadline'].includes(name), `unknown case option ${name}`);
  }
  return converted;
}

/** How many sandboxes the organization of `apiKey` has, asked directly of hopx-local. */
async function sandboxCount(local, apiKey) {
  const sandboxes = await Sandbox.list({ apiKey, baseURL: local.url, limit: 100 });
  return sandboxes.length;
}

/** Runs one case; resolves to the list of expectations that did not hold. */
async function runCase(local, apiKey, testCase) {
  const spec = fixture.calls[testCase.call];
  assert.ok(spec, `unknown call ${testCase.call}`);
  const expect = testCase.expect;
  const problems = [];
  const check = (ok, what) => {
    if (!ok) problems.push(what);
  };

  const faults = await startFaults(local.url);
  try {
    if (testCase.rules) await faults.setRules(testCase.rules);
    // The refusing port is the fault server's: reserved while it runs, so that no server
    // another case starts at the same moment can take it.
    const baseURL = testCase.target === 'refused' ? faults.refusedUrl : faults.url;
    const options = { apiKey, baseURL, ...sdkOptions(testCase.options ?? {}) };
    const before = await sandboxCount(local, apiKey);

    const started = performance.now();
    let outcome;
    try {
      if (testCase.call === 'list_templates') {
        outcome = { value: await Sandbox.listTemplates(options) };
      } else if (testCase.call === 'create') {
        outcome = { value: await Sandbox.create({ ...options, template: spec.template }) };
      } else {
        throw new Error(`unknown call ${testCase.call}`);
      }
    } catch (error) {
      outcome = { error };
    }
    const elapsed = (performance.now() - started) / 1000;

    const attempts = faults
      ? (await faults.log())
          .filter((entry) => entry.method === spec.method && entry.path === spec.path)
          .map((entry) => entry.at_ms / 1000)
      : [];
    if (expect.attempts != null) {
      check(attempts.length === expect.attempts, `attempts seen by the server: ${attempts.length} (want ${expect.attempts})`);
    }
    if (expect.gaps) {
      check(
        attempts.length - 1 === expect.gaps.length,
        `${attempts.length - 1} gaps between attempts (want ${expect.gaps.length})`,
      );
      expect.gaps.forEach(([low, high], i) => {
        if (i + 1 >= attempts.length) return;
        const gap = attempts[i + 1] - attempts[i];
        check(
          gap >= low - 0.05 && gap <= high + slack,
          `gap ${i}: ${gap.toFixed(3)} s, want [${low}, ${high}] (+${slack} slack)`,
        );
      });
    }
    if (expect.elapsed_max != null) {
      check(elapsed <= expect.elapsed_max + slack, `took ${elapsed.toFixed(3)} s, want at most ${expect.elapsed_max} (+${slack} slack)`);
    }

    const { error } = outcome;
    if (expect.ok) {
      check(error === undefined, `failed: ${util.inspect(error)}`);
    } else if (error === undefined) {
      check(false, 'succeeded, but an error was expected');
    } else {
      const shown = util.inspect(error);
      check(error instanceof HopxError, `not a HopxError: ${shown}`);
      if (expect.code != null) check(error.code === expect.code, `code ${error.code} (want ${expect.code}): ${shown}`);
      if (expect.class != null) {
        check(error.name === expect.class, `class ${error.name} (want ${expect.class})`);
        check(typeof sdk[expect.class] === 'function' && error instanceof sdk[expect.class], `not an instance of ${expect.class}`);
      }
      if (expect.status != null) check(error.status === expect.status, `status ${error.status} (want ${expect.status})`);
      const errorAttempts = expect.error_attempts ?? expect.attempts;
      if (errorAttempts != null) {
        check(error.attempts === errorAttempts, `error.attempts = ${error.attempts} (want ${errorAttempts})`);
      }
      check(
        error.maybeProcessed === (expect.maybe_processed ?? false),
        `maybeProcessed = ${error.maybeProcessed} (want ${expect.maybe_processed ?? false})`,
      );
      check(
        error.timeoutKind === (expect.timeout_kind ?? null),
        `timeoutKind = ${error.timeoutKind} (want ${expect.timeout_kind ?? null})`,
      );
      if (expect.retry_after_at_least != null) {
        check(
          typeof error.retryAfter === 'number' && error.retryAfter >= expect.retry_after_at_least,
          `retryAfter ${error.retryAfter} (want ≥ ${expect.retry_after_at_least} s)`,
        );
      }
      for (const part of expect.message_contains ?? []) {
        check(error.message.includes(part), `message lacks ${JSON.stringify(part)}: ${error.message}`);
      }
      // The same fields through JSON, as a program that logs errors would see them.
      const json = JSON.parse(JSON.stringify(error));
      check(json.attempts === (error.attempts || undefined), `toJSON().attempts = ${json.attempts}`);
    }
    if (expect.sandboxes_created != null) {
      const created = (await sandboxCount(local, apiKey)) - before;
      check(created === expect.sandboxes_created, `sandboxes created: ${created} (want ${expect.sandboxes_created})`);
    }
  } finally {
    await faults?.stop();
  }
  return problems;
}

describe('the fault matrix (tests/fixtures/faults.json)', { concurrency: true }, () => {
  let local;
  const cases = fixture.cases;
  before(async () => {
    // One organization (key) per case: sandbox counts of concurrent cases stay apart.
    local = await startServer({ keyCount: cases.length });
  });
  after(async () => {
    await local?.stop();
  });

  test('the matrix has its cases', () => {
    assert.ok(cases.length >= 20, `the matrix lost cases: ${cases.length}`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  });

  cases.forEach((testCase, index) => {
    test(testCase.name, { timeout: CASE_TIMEOUT_MS }, async () => {
      const problems = await runCase(local, local.keys[index], testCase);
      assert.deepEqual(problems, [], `${testCase.name}:\n  ${problems.join('\n  ')}`);
    });
  });
});
