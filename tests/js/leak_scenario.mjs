// The calls of the secret-leak test (tests/js/leaks.test.mjs), run both in a child process
// (HOPX_LOG=debug, NODE_DEBUG=http,net,tls, everything it prints captured) and in the test's own
// process (with a logger at 'trace'). Every printed form of every sandbox, result and error goes
// to `print`. (Not a test file: node --test only runs *.test.mjs here.)

import util from 'node:util';

import { HopxError, Sandbox } from '@hopx-ai/sdk';

/** Every way a program prints or logs a value. */
export function printedForms(value) {
  const forms = [
    String(value),
    util.inspect(value),
    util.inspect(value, { depth: Infinity, showHidden: true }),
    util.format('%o', value),
    util.format('%O', value),
  ];
  if (value instanceof Error) {
    forms.push(value.message, String(value.stack), JSON.stringify(value) ?? '', JSON.stringify(value.details ?? null));
    forms.push(JSON.stringify(Object.fromEntries(Object.entries(value))));
  } else if (!(value !== null && typeof value === 'object' && ('stdout' in value || 'stderr' in value))) {
    // Results with output are printed, not serialized: their JSON is their output, which is the
    // program's own (here it holds the env var value on purpose).
    forms.push(JSON.stringify(value) ?? '');
  }
  return forms;
}

/**
 * Runs every call; `print(text)` receives everything to check. Resolves to facts the test
 * checks so that the run is known to have done what it claims (non-vacuous).
 *
 * `settings`: `{ localUrl, faultsUrl, proxyUrl (with user:password), badProxyUrl (with a
 * password, nothing listening), key, wrongKey, marker }`.
 */
export async function runLeakScenario(settings, print) {
  const { localUrl, faultsUrl, proxyUrl, badProxyUrl, key, wrongKey, marker } = settings;
  const facts = { errors: 0 };
  const show = (label, value) => {
    for (const form of printedForms(value)) print(`${label}: ${form}`);
  };
  const expectError = async (label, call) => {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof HopxError)) throw error;
      facts.errors += 1;
      show(label, error);
      return error;
    }
    throw new Error(`${label}: expected an error`);
  };

  // A create with an env var whose value is the marker, and code that prints it.
  const sandbox = await Sandbox.create({
    apiKey: key,
    baseURL: localUrl,
    template: 'code-interpreter',
    envVars: { LEAK_MARKER: marker },
  });
  show('sandbox', sandbox);
  show('sandbox.info', sandbox.info);
  show('getInfo', await sandbox.getInfo());
  const result = await sandbox.runCode('import os\nprint(os.environ["LEAK_MARKER"])');
  facts.codeSawMarker = result.stdout.includes(marker);
  show('runCode', result);
  const command = await sandbox.commands.run('echo "$LEAK_MARKER"');
  facts.commandSawMarker = command.stdout.includes(marker);
  show('commands.run', command);
  await sandbox.env.set('SECOND_MARKER', marker);
  facts.envSawMarker = (await sandbox.env.get('SECOND_MARKER')) === marker;
  show('env', sandbox.env);
  show('files', sandbox.files);
  await sandbox.refreshToken();
  show('sandbox after refresh', sandbox);
  show('withOptions', sandbox.withOptions({ maxRetries: 1 }));

  // A wrong key (valid format): 401.
  const unauthorized = await expectError('401 list', () => Sandbox.listTemplates({ apiKey: wrongKey, baseURL: localUrl }));
  facts.unauthorizedStatus = unauthorized.status;
  await expectError('401 create', () =>
    Sandbox.create({ apiKey: wrongKey, baseURL: localUrl, template: 'code-interpreter', envVars: { LEAK_MARKER: marker } }),
  );

  // Through the fault server: GET /v1/templates fails once with 500 and is retried; listing
  // sandboxes fails until the retries are spent.
  const templates = await Sandbox.listTemplates({ apiKey: key, baseURL: faultsUrl });
  facts.retriedListOk = templates.length > 0;
  await expectError('500 list', () => Sandbox.list({ apiKey: key, baseURL: faultsUrl, maxRetries: 1 }));

  // A key with a trailing newline (as `$(cat key.txt)` gives) still works.
  facts.newlineKeyOk = (await Sandbox.listTemplates({ apiKey: `${key}\n`, baseURL: localUrl })).length > 0;
  await expectError('newline key, wrong', () => Sandbox.listTemplates({ apiKey: `${wrongKey}\n`, baseURL: localUrl }));

  // A proxy URL with a password: through the proxy, and to a proxy that is not there.
  facts.proxyOk = (await Sandbox.listTemplates({ apiKey: key, baseURL: localUrl, proxy: proxyUrl })).length > 0;
  await expectError('proxy refused', () =>
    Sandbox.listTemplates({ apiKey: key, baseURL: localUrl, proxy: badProxyUrl, maxRetries: 0 }),
  );
  const wrongPassword = new URL(proxyUrl);
  wrongPassword.password = `${wrongPassword.password}-wrong`;
  await expectError('proxy 407', () =>
    Sandbox.listTemplates({ apiKey: key, baseURL: localUrl, proxy: wrongPassword.href, maxRetries: 0 }),
  );
  await expectError('proxy bad scheme', () =>
    Sandbox.listTemplates({ apiKey: key, baseURL: localUrl, proxy: proxyUrl.replace(/^http:/, 'gopher:') }),
  );

  await sandbox.kill();
  await expectError('killed sandbox', () => sandbox.getInfo());
  return facts;
}
