// The data plane from JavaScript: code execution, processes, commands, files and environment
// variables. Two parts:
//
// - "wire": a scripted control plane + agent on the loopback interface, for what goes over the
//   wire (bash -c, base64 writes, PATCH null for a delete, one POST when /execute's connection
//   resets, one token refresh shared by concurrent 401s, never the API key to the agent) and
//   for answers a real agent rarely gives (rich outputs, legacy field names, errors).
// - "end to end": a real hopx-local whose agent runs code in the sandbox
//   (`<base>/agent/<id>`).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import util from 'node:util';

import {
  AgentError,
  AuthenticationError,
  CodeExecutionError,
  CommandExecutionError,
  CommandResult,
  Commands,
  EnvironmentVariables,
  ExecutionResult,
  FileInfo,
  FileNotFoundError,
  FileOperationError,
  Files,
  HopxError,
  InvalidArgumentError,
  NetworkError,
  NotFoundError,
  Sandbox,
} from '@hopx-ai/sdk';

import { randomKey, rejection, secretOf, startFake, startServer } from './server.mjs';

const ID = 'sbx-1';
const AGENT = `/agent/${ID}`;
const FAR = '2999-01-01T00:00:00Z';
/** More than any loop here needs. */
const LOOP_BOUND = 200;
/** Every byte value once. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function assertInvalidArgument(error, what) {
  assert.ok(error instanceof InvalidArgumentError, `${what}: ${util.inspect(error)}`);
  assert.equal(error.code, 'invalid_argument', what);
}

// ---------------------------------------------------------------------------------------------
// The scripted control plane + agent

/** What the scripted agent answers when a test does not say otherwise. */
function defaultHandlers() {
  const ok = (call, res) => json(res, 200, { success: true, path: call.query.get('path') });
  return {
    'POST /execute': (call, res) =>
      json(res, 200, {
        stdout: 'ran\n',
        stderr: '',
        exit_code: 0,
        success: true,
        execution_time: 0.01,
        language: call.json.language,
        timestamp: '2025-01-01T00:00:00Z',
      }),
    'POST /execute/background': (call, res) =>
      json(res, 200, {
        process_id: 'proc-1',
        execution_id: 'exec-1',
        status: 'running',
        name: call.json.name,
        start_time: '2025-01-01T00:00:00Z',
        message: 'started',
      }),
    'GET /execute/processes': (call, res) =>
      json(res, 200, {
        processes: [
          {
            process_id: 'proc-1',
            execution_id: 'exec-1',
            name: 'job',
            status: 'completed',
            language: 'python',
            start_time: '2025-01-01T00:00:00Z',
            end_time: '2025-01-01T00:00:01Z',
            exit_code: 0,
            duration: 1.5,
            pid: 42,
          },
        ],
        count: 1,
      }),
    'DELETE /execute/kill': (call, res) => json(res, 200, { success: true }),
    'POST /commands/run': (call, res) =>
      json(res, 200, {
        stdout: 'out\n',
        stderr: 'err\n',
        exit_code: 3,
        success: false,
        execution_time: 0.02,
        command: 'bash',
        pid: 7,
      }),
    'POST /commands/background': (call, res) =>
      json(res, 200, { process_id: 'cmd-1', status: 'running', pid: 8 }),
    'GET /files/read': (call, res) => json(res, 200, { content: 'héllo\n', path: call.query.get('path'), size: 7 }),
    'GET /files/download': (call, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from('test'));
    },
    'POST /files/write': ok,
    'GET /files/list': (call, res) =>
      json(res, 200, {
        files: [
          {
            name: 'a.txt',
            path: '/workspace/a.txt',
            size: 3,
            is_directory: false,
            modified_time: '2025-01-01T00:00:00Z',
            permissions: '0644',
          },
          // The older field names some agents still send.
          { name: 'dir', path: '/workspace/dir', size: 4096, is_dir: true, modified: '2025-01-02T00:00:00Z' },
        ],
        path: call.query.get('path'),
        count: 2,
      }),
    'GET /files/exists': (call, res) => json(res, 200, { exists: call.query.get('path') === '/workspace/yes' }),
    'DELETE /files/remove': ok,
    'POST /files/mkdir': ok,
    'POST /files/upload': ok,
    'GET /env': (call, res) => json(res, 200, { env_vars: { A: '1', B: 'two' }, count: 2 }),
    'PUT /env': (call, res) => res.writeHead(204).end(),
    'PATCH /env': (call, res) => res.writeHead(204).end(),
    'DELETE /env': (call, res) => res.writeHead(204).end(),
  };
}

/**
 * A scripted control plane (create, get, list, token refresh) and agent for sandbox `sbx-1`.
 * `state.handlers` answers agent calls by `"METHOD /path"`; `state.calls` lists the agent calls
 * that carried the current token; `fake.requests` lists every request.
 */
async function startHopxFake() {
  const state = { token: 'tok-1', refreshes: 0, refreshDelayMs: 0, handlers: defaultHandlers(), calls: [] };
  let fake;
  const info = () => ({
    id: ID,
    status: 'running',
    template_name: 'code-interpreter',
    public_host: `${fake.url}${AGENT}`,
  });
  fake = await startFake(
    async (req, res, body) => {
      const url = new URL(req.url, 'http://x');
      const route = `${req.method} ${url.pathname}`;
      if (route === 'POST /v1/sandboxes') {
        return json(res, 201, { ...info(), auth_token: state.token, token_expires_at: FAR });
      }
      if (route === 'GET /v1/sandboxes') return json(res, 200, { object: 'list', data: [info()], has_more: false });
      if (route === `GET /v1/sandboxes/${ID}`) return json(res, 200, info());
      if (route === `POST /v1/sandboxes/${ID}/token/refresh`) {
        await sleep(state.refreshDelayMs);
        state.refreshes += 1;
        state.token = `tok-${state.refreshes + 1}`;
        return json(res, 200, { id: ID, auth_token: state.token, token_expires_at: FAR });
      }
      if (url.pathname.startsWith(`${AGENT}/`)) {
        if (req.headers.authorization !== `Bearer ${state.token}`) {
          return json(res, 401, { error: 'token rejected', code: 'UNAUTHORIZED' });
        }
        const path = url.pathname.slice(AGENT.length);
        const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
        const call = {
          method: req.method,
          path,
          query: url.searchParams,
          headers: req.headers,
          body,
          json: isJson && body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined,
        };
        state.calls.push(call);
        const handler = state.handlers[`${req.method} ${path}`];
        if (handler === undefined) return json(res, 404, { error: `no route ${req.method} ${path}`, code: 'NOT_FOUND' });
        return handler(call, res);
      }
      return json(res, 404, { error: { message: 'not found', code: 'not_found' } });
    },
    { readBody: true },
  );
  return { fake, state };
}

// ---------------------------------------------------------------------------------------------

describe('wire', () => {
  let fake;
  let state;
  let key;
  let sandbox;

  before(async () => {
    ({ fake, state } = await startHopxFake());
    key = randomKey();
  });
  after(async () => {
    await fake?.close();
  });
  beforeEach(async () => {
    state.token = 'tok-1';
    state.refreshes = 0;
    state.refreshDelayMs = 0;
    state.handlers = defaultHandlers();
    sandbox = await Sandbox.create({ apiKey: key, baseURL: fake.url, template: 'code-interpreter' });
    state.calls.length = 0;
    fake.requests.length = 0;
  });

  /** The agent calls made to `METHOD /path` (with the current token). */
  const calls = (route) => state.calls.filter((c) => `${c.method} ${c.path}` === route);
  /** Every request to the agent, whatever its token. */
  const agentRequests = () => fake.requests.filter((r) => r.url.startsWith(`${AGENT}/`));
  /** Runs `call` and asserts it sent nothing at all. */
  async function withoutRequests(call) {
    const before_ = fake.requests.length;
    const result = await call();
    assert.equal(fake.requests.length, before_, 'requests sent');
    return result;
  }

  describe('runCode', () => {
    test('sends the core defaults: python, 120 s, /workspace; no env', async () => {
      const result = await sandbox.runCode('print(1)');
      assert.ok(result instanceof ExecutionResult);
      const [call] = calls('POST /execute');
      assert.deepEqual(call.json, { code: 'print(1)', language: 'python', timeout: 120, workdir: '/workspace' });
    });

    test('sends the options: language, whole seconds rounded up, env, workdir', async () => {
      await sandbox.runCode('console.log(1)', {
        language: 'javascript',
        timeout: 1.5,
        env: { A: '1', EMPTY: '' },
        workingDir: '/tmp',
      });
      const [call] = calls('POST /execute');
      assert.deepEqual(call.json, {
        code: 'console.log(1)',
        language: 'javascript',
        timeout: 2,
        workdir: '/tmp',
        env: { A: '1', EMPTY: '' },
      });
    });

    test('the result has the official shape: snake_case fields, getters, rich outputs', async () => {
      state.handlers['POST /execute'] = (call, res) =>
        json(res, 200, {
          stdout: '2\n',
          stderr: 'warn\n',
          exit_code: 0,
          success: true,
          execution_time: 0.25,
          language: 'python',
          timestamp: '2025-01-01T00:00:00Z',
          png: 'iVBORw0KGgo=',
          svg: '<svg/>',
          html: '<table></table>',
          markdown: '# hi',
          json: { a: [1, 2] },
          dataframe: { columns: ['x'], data: [[1]] },
          result: '42',
        });
      const result = await sandbox.runCode('x');
      assert.equal(result.success, true);
      assert.equal(result.stdout, '2\n');
      assert.equal(result.stderr, 'warn\n');
      assert.equal(result.exit_code, 0);
      assert.equal(result.exitCode, 0);
      assert.equal(result.execution_time, 0.25);
      assert.equal(result.executionTime, 0.25);
      assert.equal(result.language, 'python');
      assert.equal(result.timestamp, '2025-01-01T00:00:00Z');
      assert.equal(result.failed, false);
      assert.deepEqual(result.richOutputs, [
        { type: 'image/png', data: 'iVBORw0KGgo=' },
        { type: 'image/svg+xml', data: '<svg/>' },
        { type: 'text/html', data: '<table></table>' },
        { type: 'text/markdown', data: '# hi' },
        { type: 'application/json', data: { a: [1, 2] } },
        { type: 'application/vnd.dataframe+json', data: { columns: ['x'], data: [[1]] } },
        { type: 'text/plain', data: '42' },
      ]);
      assert.equal(result.richCount, 7);
      assert.equal(result.hasRichOutput, true);
      assert.equal(result.png, 'iVBORw0KGgo=');
      assert.equal(result.svg, '<svg/>');
      assert.equal(result.html, '<table></table>');
      assert.equal(result.markdown, '# hi');
      assert.deepEqual(result.jsonOutput, { a: [1, 2] });
      assert.equal(result.result, '42');
      // JSON has the official raw field names.
      const keys = Object.keys(JSON.parse(JSON.stringify(result)));
      for (const field of ['success', 'stdout', 'stderr', 'exit_code', 'execution_time', 'richOutputs']) {
        assert.ok(keys.includes(field), `${field} in ${keys}`);
      }
    });

    test('an exception in the code is success: false, not a throw; no rich output', async () => {
      state.handlers['POST /execute'] = (call, res) =>
        json(res, 200, { stdout: '', stderr: 'Traceback...\nZeroDivisionError', exit_code: 1, success: false });
      const result = await sandbox.runCode('1/0');
      assert.equal(result.success, false);
      assert.equal(result.failed, true);
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /ZeroDivisionError/);
      assert.deepEqual(result.richOutputs, []);
      assert.equal(result.hasRichOutput, false);
      assert.equal(result.png, undefined);
      assert.equal(result.result, undefined);
    });

    test('agent error codes become the SDK classes', async () => {
      const cases = [
        [408, 'EXECUTION_TIMEOUT', CodeExecutionError, 'execution_timeout'],
        [500, 'EXECUTION_FAILED', CodeExecutionError, 'code_execution_failed'],
      ];
      for (const [status, code, ErrorClass, sdkCode] of cases) {
        state.handlers['POST /execute'] = (call, res) =>
          json(res, status, { error: `it failed: ${code}`, code, request_id: 'req-9' });
        const error = await rejection(sandbox.runCode('x'));
        assert.ok(error instanceof ErrorClass, `${code}: ${util.inspect(error)}`);
        assert.ok(error instanceof AgentError);
        assert.equal(error.code, sdkCode);
        assert.equal(error.serverCode, code);
        assert.equal(error.requestId, 'req-9');
        assert.ok(error.message.includes(`it failed: ${code}`), error.message);
      }
      // Neither was retried: an execution that may have run is never sent again.
      assert.equal(calls('POST /execute').length, cases.length);
    });

    test('a connection reset during /execute: one POST, and a NetworkError', async () => {
      state.handlers['POST /execute'] = (call, res) => res.socket.destroy();
      const error = await rejection(sandbox.runCode('import os'));
      assert.ok(error instanceof NetworkError, util.inspect(error));
      assert.match(error.message, /may have/);
      const posts = agentRequests().filter((r) => r.method === 'POST' && r.url === `${AGENT}/execute`);
      assert.equal(posts.length, 1, 'sent exactly once');
    });

    test('options are checked before anything is sent', async () => {
      for (const options of [
        { timeout: 0 },
        { timeout: -1 },
        { timeout: NaN },
        { timeout: Infinity },
        { timeout: '10' },
        { language: '' },
        { env: { 'A=B': 'x' } },
        { env: { A: 1 } },
        { workingDir: 5 },
      ]) {
        const what = util.inspect(options);
        const error = await withoutRequests(() => rejection(sandbox.runCode('x', options)));
        assertInvalidArgument(error, what);
      }
      const code = await withoutRequests(() => rejection(sandbox.runCode(42)));
      assertInvalidArgument(code, 'code 42');
    });

    test('an env value never appears in an argument error', async () => {
      const secret = 'hunter2-very-secret';
      for (const env of [{ 'BAD=NAME': secret }, { GOOD: secret, X: 3 }, { [`N${'\0'}`]: secret }]) {
        const error = await withoutRequests(() => rejection(sandbox.runCode('x', { env })));
        assertInvalidArgument(error, 'env');
        for (const text of [error.message, String(error), util.inspect(error), JSON.stringify(error)]) {
          assert.ok(!text.includes(secret), text);
        }
      }
    });
  });

  describe('tokens', () => {
    test('the agent gets the sandbox token, never the API key (both header styles)', async () => {
      for (const authHeader of ['bearer', 'x-api-key']) {
        const own = await Sandbox.create({ apiKey: key, baseURL: fake.url, template: 'base', authHeader });
        await own.runCode('x');
        await own.commands.run('ls');
        await own.files.read('/workspace/a.txt');
        await own.files.exists('/workspace/yes');
        await own.env.getAll();
        await own.listProcesses();
      }
      const requests = agentRequests();
      assert.equal(requests.length, 12);
      for (const request of requests) {
        assert.equal(request.headers.authorization, 'Bearer tok-1');
        assert.equal(request.headers['x-api-key'], undefined);
        assert.ok(!JSON.stringify(request.headers).includes(secretOf(key)), 'the key reached the agent');
      }
      // The control plane did get the key, in the style asked for.
      const creates = fake.requests.filter((r) => r.url === '/v1/sandboxes');
      assert.equal(creates[0].headers.authorization, `Bearer ${key}`);
      assert.equal(creates[1].headers['x-api-key'], key);
    });

    test('a rejected token is refreshed once, shared by concurrent calls; each call runs once', async () => {
      state.refreshDelayMs = 50;
      state.token = 'tok-rotated'; // the server rotated it behind the SDK's back
      const results = await Promise.all([
        sandbox.runCode('a'),
        sandbox.runCode('b'),
        sandbox.commands.run('c'),
        sandbox.files.read('/workspace/d'),
        sandbox.env.getAll(),
      ]);
      assert.equal(results.length, 5);
      assert.equal(state.refreshes, 1, 'one refresh for five calls');
      assert.equal(calls('POST /execute').length, 2, 'each execution ran once');
      assert.equal(calls('POST /commands/run').length, 1);
      assert.equal(agentRequests().length, 10, 'each call: one rejected, one accepted');
      const refreshes = fake.requests.filter((r) => r.url === `/v1/sandboxes/${ID}/token/refresh`);
      assert.equal(refreshes.length, 1);
    });

    test('a token refused even after a refresh is an AuthenticationError', async () => {
      state.handlers['GET /files/exists'] = (call, res) => json(res, 401, { error: 'revoked', code: 'UNAUTHORIZED' });
      const error = await rejection(sandbox.files.exists('/workspace/yes'));
      assert.ok(error instanceof AuthenticationError, util.inspect(error));
      assert.equal(error.status, 401);
      assert.equal(state.refreshes, 1);
    });
  });

  describe('background executions and processes', () => {
    test('runCodeBackground sends the core defaults and returns the raw object', async () => {
      const started = await sandbox.runCodeBackground('import time; time.sleep(60)');
      assert.deepEqual(calls('POST /execute/background')[0].json, {
        code: 'import time; time.sleep(60)',
        language: 'python',
        timeout: 300,
      });
      assert.deepEqual(JSON.parse(JSON.stringify(started)), {
        process_id: 'proc-1',
        execution_id: 'exec-1',
        status: 'running',
        start_time: '2025-01-01T00:00:00Z',
      });
      assert.equal(started.processId, 'proc-1');
      assert.equal(started.executionId, 'exec-1');
      assert.equal(started.startTime, '2025-01-01T00:00:00Z');
    });

    test('runCodeBackground sends name, env, timeout and language', async () => {
      const started = await sandbox.runCodeBackground('sleep 1', {
        language: 'bash',
        timeout: 10,
        env: { K: 'v' },
        name: 'job',
      });
      assert.equal(started.name, 'job');
      assert.deepEqual(calls('POST /execute/background')[0].json, {
        code: 'sleep 1',
        language: 'bash',
        timeout: 10,
        env: { K: 'v' },
        name: 'job',
      });
    });

    test('listProcesses returns the raw objects; killProcess sends DELETE /execute/kill', async () => {
      const [process] = await sandbox.listProcesses();
      assert.deepEqual(JSON.parse(JSON.stringify(process)), {
        process_id: 'proc-1',
        execution_id: 'exec-1',
        name: 'job',
        status: 'completed',
        language: 'python',
        start_time: '2025-01-01T00:00:00Z',
        end_time: '2025-01-01T00:00:01Z',
        exit_code: 0,
        duration: 1.5,
        pid: 42,
      });
      assert.equal(process.processId, 'proc-1');
      assert.equal(process.exitCode, 0);
      assert.equal(process.endTime, '2025-01-01T00:00:01Z');
      assert.equal(await sandbox.killProcess('proc-1'), undefined);
      const [kill] = calls('DELETE /execute/kill');
      assert.equal(kill.query.get('process_id'), 'proc-1');
      const error = await withoutRequests(() => rejection(sandbox.killProcess('')));
      assertInvalidArgument(error, 'empty id');
    });
  });

  describe('commands', () => {
    test('run sends bash -c with the core defaults and returns the raw CommandResponse', async () => {
      const result = await sandbox.commands.run('ls -la | wc -l && echo "$HOME"');
      assert.ok(result instanceof CommandResult);
      assert.deepEqual(calls('POST /commands/run')[0].json, {
        command: 'bash',
        args: ['-c', 'ls -la | wc -l && echo "$HOME"'],
        timeout: 120,
        workdir: '/workspace',
      });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), {
        stdout: 'out\n',
        stderr: 'err\n',
        exit_code: 3,
        execution_time: 0.02,
        success: false,
        command: 'bash',
        pid: 7,
      });
      assert.equal(result.exitCode, 3);
      assert.equal(result.executionTime, 0.02);
      assert.equal(result.processId, undefined);
    });

    test('run sends timeout, env and workdir', async () => {
      await sandbox.commands.run('env', { timeout: 5, env: { X: 'y' }, workingDir: '/tmp' });
      assert.deepEqual(calls('POST /commands/run')[0].json, {
        command: 'bash',
        args: ['-c', 'env'],
        timeout: 5,
        workdir: '/tmp',
        env: { X: 'y' },
      });
    });

    test('background: true and runBackground send /commands/background and return process_id', async () => {
      const viaRun = await sandbox.commands.run('sleep 100', { background: true, timeout: 200 });
      const direct = await sandbox.commands.runBackground('sleep 100');
      for (const result of [viaRun, direct]) {
        assert.ok(result instanceof CommandResult);
        assert.equal(result.process_id, 'cmd-1');
        assert.equal(result.processId, 'cmd-1');
        assert.equal(result.success, true);
      }
      const sent = calls('POST /commands/background').map((c) => c.json);
      assert.deepEqual(sent, [
        { command: 'bash', args: ['-c', 'sleep 100'], timeout: 200, workdir: '/workspace' },
        { command: 'bash', args: ['-c', 'sleep 100'], timeout: 120, workdir: '/workspace' },
      ]);
      assert.equal(calls('POST /commands/run').length, 0);
    });

    test('COMMAND_FAILED is a CommandExecutionError; bad arguments send nothing', async () => {
      state.handlers['POST /commands/run'] = (call, res) => json(res, 500, { error: 'boom', code: 'COMMAND_FAILED' });
      const error = await rejection(sandbox.commands.run('false'));
      assert.ok(error instanceof CommandExecutionError, util.inspect(error));
      assert.equal(calls('POST /commands/run').length, 1, 'not retried');
      for (const [command, options] of [
        ['', undefined],
        ['  ', undefined],
        ['ls', { timeout: 0 }],
        ['ls', { env: { '': 'x' } }],
      ]) {
        const bad = await withoutRequests(() => rejection(sandbox.commands.run(command, options)));
        assertInvalidArgument(bad, `${JSON.stringify(command)} ${util.inspect(options)}`);
      }
    });
  });

  describe('files', () => {
    test('write(text) sends the text as is, with mode 0644; write(bytes) sends base64', async () => {
      await sandbox.files.write('/workspace/a.txt', 'héllo\n');
      await sandbox.files.write('/workspace/b.bin', ALL_BYTES);
      await sandbox.files.writeBytes('/workspace/c.bin', Buffer.from('test'), { mode: '0755' });
      await sandbox.files.write('/workspace/d.sh', 'echo', '0700');
      const sent = calls('POST /files/write').map((c) => c.json);
      assert.deepEqual(sent, [
        { path: '/workspace/a.txt', content: 'héllo\n', mode: '0644' },
        { path: '/workspace/b.bin', content: ALL_BYTES.toString('base64'), mode: '0644', encoding: 'base64' },
        { path: '/workspace/c.bin', content: 'dGVzdA==', mode: '0755', encoding: 'base64' },
        { path: '/workspace/d.sh', content: 'echo', mode: '0700' },
      ]);
    });

    test('typed arrays, views with an offset, and ArrayBuffers are written byte-exact', async () => {
      const backing = Buffer.from('xxABCDyy');
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 4);
      await sandbox.files.write('/w/view', view);
      await sandbox.files.writeBytes('/w/ab', new Uint8Array([1, 2, 3]).buffer);
      await sandbox.files.writeBytes('/w/u16', new Uint16Array([0x0201]));
      const contents = calls('POST /files/write').map((c) => Buffer.from(c.json.content, 'base64'));
      assert.deepEqual(contents, [Buffer.from('ABCD'), Buffer.from([1, 2, 3]), Buffer.from([1, 2])]);
    });

    test('the bytes are taken when write is called: the caller may reuse its buffer', async () => {
      const buffer = Buffer.from('first');
      const pending = sandbox.files.writeBytes('/w/f', buffer);
      buffer.write('XXXXX');
      await pending;
      assert.equal(Buffer.from(calls('POST /files/write')[0].json.content, 'base64').toString(), 'first');
    });

    test('bad write arguments are refused before anything is sent', async () => {
      for (const [content, options] of [
        [42, undefined],
        [null, undefined],
        [{ text: 'x' }, undefined],
        ['x', { overwrite: false }],
        ['x', { mode: 'rw-r--r--' }],
        ['x', '999'],
      ]) {
        const what = `${util.inspect(content)} ${util.inspect(options)}`;
        const error = await withoutRequests(() => rejection(sandbox.files.write('/w/x', content, options)));
        assertInvalidArgument(error, what);
      }
      const bytes = await withoutRequests(() => rejection(sandbox.files.writeBytes('/w/x', 'text')));
      assertInvalidArgument(bytes, 'writeBytes(string)');
      const empty = await withoutRequests(() => rejection(sandbox.files.write('', 'x')));
      assertInvalidArgument(empty, 'empty path');
    });

    test('read sends the path as a query parameter, special characters and all', async () => {
      const path = '/workspace/a b+c&d#e%f?g=h/ünï.txt';
      assert.equal(await sandbox.files.read(path), 'héllo\n');
      assert.equal(calls('GET /files/read')[0].query.get('path'), path);
    });

    test('readBytes and download(path) return the raw bytes: "test" is not decoded as base64', async () => {
      for (const bytes of [await sandbox.files.readBytes('/w/t'), await sandbox.files.download('/w/t')]) {
        assert.ok(Buffer.isBuffer(bytes));
        assert.equal(bytes.toString('latin1'), 'test');
      }
      assert.equal(calls('GET /files/download').length, 2);
    });

    test('download(remote, local) writes the local file and returns nothing', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'hopx-node-download-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      state.handlers['GET /files/download'] = (call, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(ALL_BYTES);
      };
      const local = join(dir, 'out.bin');
      assert.equal(await sandbox.files.download('/w/all', local), undefined);
      assert.deepEqual(readFileSync(local), ALL_BYTES);
    });

    test('list: FileInfo objects with the agent names and the official aliases; default /workspace', async () => {
      const entries = await sandbox.files.list();
      assert.equal(calls('GET /files/list')[0].query.get('path'), '/workspace');
      assert.ok(entries.every((e) => e instanceof FileInfo));
      const [file, dir] = entries;
      assert.deepEqual(
        { ...file },
        {
          name: 'a.txt',
          path: '/workspace/a.txt',
          size: 3,
          isDirectory: false,
          modifiedTime: '2025-01-01T00:00:00Z',
          permissions: '0644',
        },
      );
      assert.equal(file.isDir, false);
      assert.equal(file.isFile, true);
      assert.equal(file.modified, '2025-01-01T00:00:00Z');
      assert.equal(dir.isDirectory, true, 'from the legacy is_dir');
      assert.equal(dir.isDir, true);
      assert.equal(dir.isFile, false);
      assert.equal(dir.modifiedTime, '2025-01-02T00:00:00Z', 'from the legacy modified');
      await sandbox.files.list('/tmp');
      assert.equal(calls('GET /files/list')[1].query.get('path'), '/tmp');
    });

    test(
      'list: an entry with both the new and the legacy names (as hopx-local sends)',
      async () => {
        state.handlers['GET /files/list'] = (call, res) =>
          json(res, 200, {
            files: [
              {
                name: 'd',
                path: '/workspace/d',
                size: 0,
                is_directory: true,
                is_dir: true,
                modified_time: '2025-01-01T00:00:00Z',
                modified: '2025-01-01T00:00:00Z',
                permissions: '0755',
              },
            ],
          });
        const [entry] = await sandbox.files.list();
        assert.equal(entry.isDirectory, true);
        assert.equal(entry.modifiedTime, '2025-01-01T00:00:00Z');
      },
    );

    test('exists, remove, mkdir', async () => {
      assert.equal(await sandbox.files.exists('/workspace/yes'), true);
      assert.equal(await sandbox.files.exists('/workspace/no'), false);
      assert.equal(await sandbox.files.remove('/workspace/old'), undefined);
      assert.equal(calls('DELETE /files/remove')[0].query.get('path'), '/workspace/old');
      assert.equal(await sandbox.files.mkdir('/workspace/a/b/c'), undefined);
      assert.deepEqual(calls('POST /files/mkdir')[0].json, { path: '/workspace/a/b/c' });
    });

    test('exists throws, never answers false, when the agent cannot say', async () => {
      state.handlers['GET /files/exists'] = (call, res) => json(res, 403, { error: 'denied', code: 'PERMISSION_DENIED' });
      const denied = await rejection(sandbox.files.exists('/root/x'));
      assert.ok(denied instanceof FileOperationError, util.inspect(denied));
      state.handlers['GET /files/exists'] = (call, res) => res.socket.destroy();
      const network = await rejection(sandbox.files.exists('/workspace/yes'));
      assert.ok(network instanceof NetworkError, util.inspect(network));
    });

    test('FILE_NOT_FOUND is a FileNotFoundError; other file codes a FileOperationError', async () => {
      state.handlers['GET /files/read'] = (call, res) =>
        json(res, 404, { error: 'no such file: /w/missing', code: 'FILE_NOT_FOUND' });
      const missing = await rejection(sandbox.files.read('/w/missing'));
      assert.ok(missing instanceof FileNotFoundError, util.inspect(missing));
      assert.equal(missing.code, 'file_not_found');
      assert.equal(missing.status, 404);
      assert.ok(missing instanceof AgentError && missing instanceof HopxError);
      state.handlers['POST /files/mkdir'] = (call, res) => json(res, 400, { error: 'bad', code: 'INVALID_PATH' });
      const invalid = await rejection(sandbox.files.mkdir('/w/x'));
      assert.ok(invalid instanceof FileOperationError, util.inspect(invalid));
    });

    test('upload sends multipart with path and file; a missing local file sends nothing', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'hopx-node-upload-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const local = join(dir, 'data.bin');
      writeFileSync(local, ALL_BYTES);
      assert.equal(await sandbox.files.upload(local, '/workspace/data.bin'), undefined);
      const [call] = calls('POST /files/upload');
      assert.match(call.headers['content-type'], /^multipart\/form-data; boundary=/);
      const body = call.body.toString('latin1');
      assert.match(body, /name="path"\r\n\r\n\/workspace\/data\.bin\r\n/);
      assert.match(body, /name="file"; filename="data\.bin"/);
      assert.ok(call.body.includes(ALL_BYTES), 'the bytes are in the body');
      const error = await withoutRequests(() => rejection(sandbox.files.upload(join(dir, 'nope'), '/w/x')));
      assertInvalidArgument(error, 'missing local file');
    });
  });

  describe('env', () => {
    test('getAll and get', async () => {
      assert.deepEqual(await sandbox.env.getAll(), { A: '1', B: 'two' });
      assert.equal(await sandbox.env.get('B'), 'two');
      assert.equal(await sandbox.env.get('MISSING'), undefined);
    });

    test('set/update merge (PATCH), setAll replaces (PUT), clear deletes (DELETE)', async () => {
      await sandbox.env.set('K', 'v');
      await sandbox.env.update({ A: '1', B: '2' });
      await sandbox.env.setAll({ ONLY: 'this' });
      await sandbox.env.clear();
      assert.deepEqual(
        calls('PATCH /env').map((c) => c.json),
        [
          { env_vars: { K: 'v' }, merge: true },
          { env_vars: { A: '1', B: '2' }, merge: true },
        ],
      );
      assert.deepEqual(calls('PUT /env')[0].json, { env_vars: { ONLY: 'this' } });
      assert.equal(calls('DELETE /env').length, 1);
      assert.equal(calls('GET /env').length, 0, 'no read-modify-write');
    });

    test('delete is one PATCH with null: no GET, no PUT', async () => {
      assert.equal(await sandbox.env.delete('B'), undefined);
      assert.deepEqual(
        state.calls.map((c) => [c.method, c.path, c.json]),
        [['PATCH', '/env', { env_vars: { B: null }, merge: true }]],
      );
    });

    test('bad names and values are refused before anything is sent, without the value', async () => {
      const secret = 's3cr3t-value-xyz';
      for (const invoke of [
        () => sandbox.env.set('A=B', secret),
        () => sandbox.env.set('', secret),
        () => sandbox.env.update({ 'X=Y': secret }),
        () => sandbox.env.setAll({ OK: secret, BAD: 42 }),
        () => sandbox.env.set('OK', 42),
        () => sandbox.env.delete('A=B'),
      ]) {
        const error = await withoutRequests(() => rejection(invoke()));
        assertInvalidArgument(error, invoke.toString());
        assert.ok(!util.inspect(error).includes(secret), util.inspect(error));
      }
    });
  });

  describe('resources', () => {
    test('files, commands and env work on sandboxes from create, connect, list and iter', async () => {
      const options = { apiKey: key, baseURL: fake.url };
      const connected = await Sandbox.connect(ID, options);
      const [listed] = await Sandbox.list(options);
      let iterated;
      let seen = 0;
      for await (const s of Sandbox.iter(options)) {
        iterated ??= s;
        seen += 1;
        assert.ok(seen < LOOP_BOUND);
      }
      for (const s of [sandbox, connected, listed, iterated]) {
        assert.ok(s.files instanceof Files);
        assert.ok(s.commands instanceof Commands);
        assert.ok(s.env instanceof EnvironmentVariables);
        assert.equal(s.files, s.files, 'one instance per sandbox');
        assert.equal(await s.files.exists('/workspace/yes'), true);
        assert.equal((await s.commands.run('true')).command, 'bash');
        assert.equal(await s.env.get('A'), '1');
      }
    });

    test('printing a result shows the outcome and sizes, never the output or the command line', async () => {
      state.handlers['POST /commands/run'] = (call, res) =>
        json(res, 200, { stdout: 'PRINTED-SECRET', stderr: '', exit_code: 0, command: 'echo SECRET-ARG', pid: 7 });
      state.handlers['POST /execute'] = (call, res) =>
        json(res, 200, { stdout: 'OUT-SECRET ☃\n', stderr: 'ERR-SECRET', exit_code: 1, success: false, png: 'SECRET-PNG' });
      const command = await sandbox.commands.run('echo SECRET-ARG');
      const execution = await sandbox.runCode('print("SECRET")');
      assert.equal(command.stdout, 'PRINTED-SECRET');
      assert.equal(command.command, 'echo SECRET-ARG');
      assert.equal(
        util.inspect(command),
        'CommandResult { success: true, exit_code: 0, pid: 7, stdout: <14 chars>, stderr: <0 chars> }',
      );
      assert.equal(
        util.inspect(execution),
        "ExecutionResult { success: false, exit_code: 1, stdout: <13 chars>, stderr: <10 chars>, richOutputs: [ 'image/png' ] }",
      );
      for (const printed of [String(command), String(execution), util.inspect({ nested: [command, execution] }, { depth: 4 })]) {
        assert.ok(!printed.includes('SECRET'), printed);
      }
      // JSON is the data itself (the official raw objects).
      assert.equal(JSON.parse(JSON.stringify(command)).stdout, 'PRINTED-SECRET');
      assert.equal(JSON.parse(JSON.stringify(execution)).png, 'SECRET-PNG');
    });

    test('printing a resource shows the sandbox id only; they have no public constructor', async () => {
      await sandbox.env.getAll();
      for (const resource of [sandbox.files, sandbox.commands, sandbox.env]) {
        const name = resource.constructor.name;
        assert.equal(String(resource), `${name} { sandboxId: '${ID}' }`);
        assert.equal(util.inspect(resource), `${name} { sandboxId: '${ID}' }`);
        assert.deepEqual(JSON.parse(JSON.stringify(resource)), { sandboxId: ID });
        assert.ok(!util.inspect(resource, { showHidden: true, depth: 5 }).includes('two'));
      }
      for (const Resource of [Files, Commands, EnvironmentVariables]) {
        assert.throws(() => new Resource(), TypeError);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// End to end, against hopx-local's agent

describe('end to end', { timeout: 300_000 }, () => {
  let server;
  let options;
  let sandbox;
  let skip;

  before(async () => {
    server = await startServer();
    options = { apiKey: server.keys[0], baseURL: server.url };
    sandbox = await Sandbox.create({ ...options, template: 'code-interpreter', envVars: { FROM_CREATE: 'yes' } });
    // Until hopx-local has an agent, it answers /agent/<id>/execute with "No endpoint" (404):
    // skip rather than fail. Any other failure is left for the tests to report.
    const probe = await sandbox.runCode('print(1)').catch((error) => error);
    if (probe instanceof NotFoundError && /No endpoint/.test(probe.message)) {
      skip = 'hopx-local has no agent yet (POST /agent/<id>/execute: no endpoint)';
    }
  });
  after(async () => {
    await server?.stop();
  });
  /** A test that is skipped (not failed) while hopx-local has no agent. */
  const e2e = (name, fn, extra = {}) =>
    test(name, extra, async (t) => {
      if (skip) {
        t.skip(skip);
        return;
      }
      await fn(t);
    });

  e2e('python, node and bash: stdout, stderr, exit codes', async () => {
    const py = await sandbox.runCode('import sys\nprint("out", 6*7)\nprint("err", file=sys.stderr)');
    assert.equal(py.success, true, py.stderr);
    assert.equal(py.stdout, 'out 42\n');
    assert.equal(py.stderr, 'err\n');
    assert.equal(py.exitCode, 0);
    const js = await sandbox.runCode('console.log([1,2,3].map((x) => x * 2).join(","))', { language: 'javascript' });
    assert.equal(js.success, true, js.stderr);
    assert.equal(js.stdout, '2,4,6\n');
    const node = await sandbox.runCode('console.error("to stderr")', { language: 'node' });
    assert.equal(node.stderr, 'to stderr\n');
    const bash = await sandbox.runCode('echo "$((6*7))"; exit 3', { language: 'bash' });
    assert.equal(bash.stdout, '42\n');
    assert.equal(bash.exitCode, 3);
    assert.equal(bash.success, false);
  });

  e2e('an exception is success: false with the traceback, not a throw', async () => {
    const result = await sandbox.runCode('1/0');
    assert.equal(result.success, false);
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stderr, /ZeroDivisionError/);
  });

  e2e('env, workingDir and the envVars given to create are visible to code', async () => {
    const result = await sandbox.runCode(
      'import os\nprint(os.environ.get("RUN_VAR"), os.environ.get("FROM_CREATE"), os.getcwd())',
      { env: { RUN_VAR: 'run' }, workingDir: '/tmp' },
    );
    assert.equal(result.stdout, 'run yes /tmp\n', result.stderr);
  });

  e2e('passing the timeout is a CodeExecutionError with code execution_timeout', async () => {
    const started = Date.now();
    const error = await rejection(sandbox.runCode('import time\ntime.sleep(30)', { timeout: 1 }));
    assert.ok(error instanceof CodeExecutionError, util.inspect(error));
    assert.equal(error.code, 'execution_timeout');
    assert.ok(Date.now() - started < 20_000, 'killed at the timeout');
  });

  e2e('background code: started, listed, killed', async () => {
    const started = await sandbox.runCodeBackground('import time\ntime.sleep(120)', { name: 'sleeper' });
    assert.equal(typeof started.process_id, 'string');
    assert.equal(started.processId, started.process_id);
    const listed = await sandbox.listProcesses();
    const mine = listed.find((p) => p.process_id === started.process_id);
    assert.ok(mine, util.inspect(listed));
    assert.equal(mine.name, 'sleeper');
    assert.equal(mine.status, 'running');
    await sandbox.killProcess(started.process_id);
    let status;
    for (let i = 0; i < 50; i += 1) {
      status = (await sandbox.listProcesses()).find((p) => p.process_id === started.process_id)?.status;
      if (status !== 'running') break;
      await sleep(100);
    }
    assert.notEqual(status, 'running');
  });

  e2e('commands: pipes, env, workingDir, exit codes, background', async () => {
    const piped = await sandbox.commands.run('printf "b\\na\\nc\\n" | sort | head -n 2');
    assert.equal(piped.stdout, 'a\nb\n');
    assert.equal(piped.exit_code, 0);
    assert.equal(piped.success, true);
    const env = await sandbox.commands.run('echo "$GREETING from $(pwd)"', {
      env: { GREETING: 'hi' },
      workingDir: '/tmp',
    });
    assert.equal(env.stdout, 'hi from /tmp\n');
    const failed = await sandbox.commands.run('echo oops >&2; exit 4');
    assert.equal(failed.exitCode, 4);
    assert.equal(failed.success, false);
    assert.equal(failed.stderr, 'oops\n');
    const background = await sandbox.commands.run('sleep 30', { background: true });
    assert.equal(typeof background.process_id, 'string');
    assert.ok(background.process_id.length > 0);
  });

  e2e('files: text, unicode names, nested directories, exists, remove, mkdir', async () => {
    const dir = '/workspace/dp-tést/nested/deeper';
    await sandbox.files.mkdir(dir);
    assert.equal(await sandbox.files.exists(dir), true);
    const name = `${dir}/naïve ☃ file.txt`;
    await sandbox.files.write(name, 'héllo wörld ☃\nline 2\n');
    assert.equal(await sandbox.files.read(name), 'héllo wörld ☃\nline 2\n');
    assert.equal(await sandbox.files.exists(name), true);
    await sandbox.files.write('/workspace/dp-auto/made/parents.txt', 'x');
    assert.equal(await sandbox.files.read('/workspace/dp-auto/made/parents.txt'), 'x');
    await sandbox.files.remove('/workspace/dp-tést');
    assert.equal(await sandbox.files.exists(name), false);
    assert.equal(await sandbox.files.exists('/workspace/dp-tést'), false);
  });

  e2e(
    'files: list',
    async () => {
      const dir = '/workspace/dp-list/sub';
      await sandbox.files.mkdir(dir);
      const text = 'héllo wörld ☃\n';
      await sandbox.files.write('/workspace/dp-list/naïve ☃.txt', text);
      const listed = await sandbox.files.list('/workspace/dp-list');
      const file = listed.find((e) => e.name === 'naïve ☃.txt');
      assert.ok(file instanceof FileInfo, util.inspect(listed));
      assert.equal(file.path, '/workspace/dp-list/naïve ☃.txt');
      assert.equal(file.isDirectory, false);
      assert.equal(file.isDir, false);
      assert.equal(file.size, Buffer.byteLength(text));
      assert.equal(typeof file.modifiedTime, 'string');
      assert.equal(listed.find((e) => e.name === 'sub')?.isDirectory, true);
      const defaulted = await sandbox.files.list();
      assert.ok(defaulted.some((e) => e.name === 'dp-list'), util.inspect(defaulted));
    },
  );

  e2e('files: binary round trips, every byte value, and "test" which looks like base64', async () => {
    for (const [path, bytes] of [
      ['/workspace/all.bin', ALL_BYTES],
      ['/workspace/test.txt', Buffer.from('test')],
      ['/workspace/empty.bin', Buffer.alloc(0)],
    ]) {
      await sandbox.files.writeBytes(path, bytes);
      assert.deepEqual(await sandbox.files.readBytes(path), bytes, path);
      assert.deepEqual(await sandbox.files.download(path), bytes, path);
    }
    await sandbox.files.write('/workspace/test2.txt', 'test');
    assert.equal(await sandbox.files.read('/workspace/test2.txt'), 'test');
    assert.deepEqual(await sandbox.files.readBytes('/workspace/test2.txt'), Buffer.from('test'));
  });

  e2e('files: upload and download(remote, local)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hopx-node-e2e-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const local = join(dir, 'up.bin');
    writeFileSync(local, ALL_BYTES);
    await sandbox.files.upload(local, '/workspace/up/loaded.bin');
    assert.deepEqual(await sandbox.files.readBytes('/workspace/up/loaded.bin'), ALL_BYTES);
    const back = join(dir, 'down.bin');
    await sandbox.files.download('/workspace/up/loaded.bin', back);
    assert.deepEqual(readFileSync(back), ALL_BYTES);
  });

  e2e('files: a missing file is a FileNotFoundError; download writes no local file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hopx-node-e2e-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const never = join(dir, 'never.bin');
    for (const invoke of [
      () => sandbox.files.read('/workspace/nope.txt'),
      () => sandbox.files.readBytes('/workspace/nope.bin'),
      () => sandbox.files.download('/workspace/nope.bin'),
      () => sandbox.files.download('/workspace/nope.bin', never),
    ]) {
      const error = await rejection(invoke());
      assert.ok(error instanceof FileNotFoundError, util.inspect(error));
      assert.equal(error.code, 'file_not_found');
      assert.equal(error.status, 404);
    }
    assert.throws(() => readFileSync(never), { code: 'ENOENT' });
    // A missing parent directory is the agent's DIRECTORY_NOT_FOUND: still an agent error.
    const nested = await rejection(sandbox.files.read('/workspace/no/such/dir.txt'));
    assert.ok(nested instanceof AgentError, util.inspect(nested));
    assert.equal(nested.status, 404);
  });

  e2e('files.exists throws, never answers false, for a killed sandbox or an unreachable server', async () => {
    const doomed = await Sandbox.create({ ...options, template: 'code-interpreter' });
    assert.equal(await doomed.files.exists('/workspace'), true);
    await doomed.kill();
    const gone = await rejection(doomed.files.exists('/workspace'));
    assert.ok(gone instanceof HopxError, util.inspect(gone));

    const other = await startServer();
    let stopped = false;
    try {
      const remote = await Sandbox.create({ apiKey: other.keys[0], baseURL: other.url, template: 'code-interpreter' });
      assert.equal(await remote.files.exists('/workspace'), true);
      await other.stop();
      stopped = true;
      const unreachable = await rejection(remote.files.exists('/workspace'));
      assert.ok(unreachable instanceof NetworkError, util.inspect(unreachable));
    } finally {
      if (!stopped) await other.stop();
    }
  });

  e2e('env round trips: set, update, get, delete, setAll, clear', async () => {
    await sandbox.env.set('DP_ONE', '1');
    await sandbox.env.update({ DP_TWO: '2', DP_THREE: 'three ☃' });
    assert.equal(await sandbox.env.get('DP_ONE'), '1');
    assert.equal(await sandbox.env.get('DP_THREE'), 'three ☃');
    await sandbox.env.delete('DP_ONE');
    const all = await sandbox.env.getAll();
    assert.equal(all.DP_ONE, undefined);
    assert.equal(all.DP_TWO, '2');
    const seen = await sandbox.runCode('import os\nprint(os.environ.get("DP_TWO"))');
    assert.equal(seen.stdout, '2\n');
    await sandbox.env.setAll({ DP_ONLY: 'x' });
    assert.deepEqual(await sandbox.env.getAll(), { DP_ONLY: 'x' });
    await sandbox.env.clear();
    assert.deepEqual(await sandbox.env.getAll(), {});
  });

  e2e('resources work on sandboxes from connect, list and iter', async () => {
    await sandbox.files.write('/workspace/shared.txt', 'shared');
    const connected = await Sandbox.connect(sandbox.sandboxId, options);
    const listed = (await Sandbox.list(options)).find((s) => s.sandboxId === sandbox.sandboxId);
    let iterated;
    let count = 0;
    for await (const s of Sandbox.iter(options)) {
      if (s.sandboxId === sandbox.sandboxId) iterated = s;
      count += 1;
      assert.ok(count < LOOP_BOUND);
    }
    for (const s of [connected, listed, iterated]) {
      assert.ok(s, 'found');
      assert.equal(await s.files.read('/workspace/shared.txt'), 'shared');
      assert.equal((await s.commands.run('cat /workspace/shared.txt')).stdout, 'shared');
      assert.equal((await s.runCode('print(2 + 2)')).stdout, '4\n');
      await s.env.get('ANY');
    }
  });
});
