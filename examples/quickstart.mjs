// Quickstart for @hopx-ai/sdk: list the templates, create a sandbox, run code in it, round-trip
// a file, kill it.
//
//   export HOPX_API_KEY=hopx_live_...        # or a .env file, or `hopx auth login`
//   export HOPX_BASE_URL=http://127.0.0.1:8787  # optional: a local server (hopx local)
//   node examples/quickstart.mjs
//
// The SDK reads HOPX_API_KEY and HOPX_BASE_URL itself; nothing here handles the key.

import { HopxError, Sandbox } from '@hopx-ai/sdk';

try {
  const templates = await Sandbox.listTemplates();
  console.log(`${templates.length} templates:`);
  for (const template of templates) {
    console.log(`  ${template.name}  (${template.language ?? 'any language'})`);
  }

  const sandbox = await Sandbox.create({ template: 'code-interpreter', timeoutSeconds: 600 });
  try {
    const info = await sandbox.getInfo();
    console.log(`created sandbox ${sandbox.sandboxId} (${info.status}, ${info.templateName})`);

    const result = await sandbox.runCode('print(1 + 1)');
    console.log(`  runCode: stdout=${JSON.stringify(result.stdout.trim())} exitCode=${result.exitCode}`);

    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await sandbox.files.writeBytes('/workspace/data.bin', data);
    const back = await sandbox.files.readBytes('/workspace/data.bin');
    if (!back.equals(data)) throw new Error('the file did not come back intact');
    const node = await sandbox.runCode('console.log(6 * 7)', { language: 'javascript' });
    console.log(`  file round trip: 256 bytes intact; node says ${node.stdout.trim()}`);
  } finally {
    await sandbox.kill();
  }
} catch (error) {
  if (!(error instanceof HopxError)) throw error;
  // The message says what went wrong, the hint how to fix it; neither contains the key.
  console.error(`${error.name} [${error.code}]: ${error.message}`);
  if (error.hint) console.error(error.hint);
  process.exitCode = 1;
}
