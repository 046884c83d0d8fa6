// Quickstart for @hopx-ai/sdk: list the templates, create a sandbox, print what it is.
//
//   export HOPX_API_KEY=hopx_live_...        # or a .env file, or ~/.hopx/config.toml
//   export HOPX_BASE_URL=http://127.0.0.1:8787  # optional: a local server (hopx-local)
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

  const sandbox = await Sandbox.create({ template: 'code-interpreter' });
  const info = await sandbox.getInfo();
  console.log(`created sandbox ${sandbox.sandboxId}`);
  console.log(`  status:   ${info.status}`);
  console.log(`  template: ${info.templateName}`);
} catch (error) {
  if (!(error instanceof HopxError)) throw error;
  // The message says what went wrong, the hint how to fix it; neither contains the key.
  console.error(`${error.name} [${error.code}]: ${error.message}`);
  if (error.hint) console.error(error.hint);
  process.exitCode = 1;
}
