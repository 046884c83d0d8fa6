// The Node worker of the benchmark (started by bench/bench.py; not a test).
//
//   node node_worker.mjs none|<path to an @hopx-ai/sdk package folder>
//
// Reads one JSON command per line on stdin and answers one line `@@BENCH {json}` on stdout
// (anything else an SDK prints is ignored by the driver):
//
// - {"client": C, "op": "list"|"create", "base": URL, "n": N, "budget_s": S}: up to N
//   sequential calls, stopping once S seconds have passed; answers every latency (ns).
// - {"client": C, "op": "conc", "base": URL, "conc": 200}: 200 concurrent creates; answers
//   the wall time.
// - {"op": "rss"}: peak resident memory; {"op": "exit"}.
//
// Clients: `raw` (node:http / node:https with a keep-alive agent, JSON.parse of the body;
// `raw-noparse`: the same without JSON.parse) and
// `sdk` (the package given on the command line, loaded with require by path: ours and the
// official one are both named @hopx-ai/sdk).

import { createRequire } from 'node:module';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const KEY = process.env.HOPX_API_KEY;
const TEMPLATE = 'code-interpreter';
const CREATE_BODY = JSON.stringify({ template_name: TEMPLATE });
const HEADERS = { 'User-Agent': 'bench-raw', Accept: 'application/json', Authorization: `Bearer ${KEY}` };

const emit = (obj) => process.stdout.write(`@@BENCH ${JSON.stringify(obj)}\n`);

const pkg = process.argv[2];
const sdk = pkg && pkg !== 'none' ? require(pkg) : null;
const Sandbox = sdk ? sdk.Sandbox ?? sdk.default : null;

const ca = process.env.BENCH_CA_FILE ? readFileSync(process.env.BENCH_CA_FILE) : undefined;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: Infinity, ca }),
};

function rawCall(base, op, parse = true) {
  const url = new URL(base);
  const mod = url.protocol === 'https:' ? https : http;
  const post = op !== 'list';
  const headers = post
    ? { ...HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(CREATE_BODY) }
    : HEADERS;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname.replace(/\/$/, '') + (post ? '/v1/sandboxes' : '/v1/templates'),
        method: post ? 'POST' : 'GET',
        headers,
        agent: agents[url.protocol],
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode >= 400) return reject(new Error(`HTTP ${res.statusCode}`));
          try {
            const body = Buffer.concat(chunks);
            resolve(parse ? JSON.parse(body.toString('utf8')) : body);
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (post) req.write(CREATE_BODY);
    req.end();
  });
}

function sdkCall(base, op) {
  if (op === 'list') return Sandbox.listTemplates({ baseURL: base });
  return Sandbox.create({ template: TEMPLATE, baseURL: base });
}

async function seq(call, base, op, n, budgetS) {
  const latencies = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(budgetS * 1e9));
  while (latencies.length < n && (latencies.length < 5 || process.hrtime.bigint() < deadline)) {
    const t = process.hrtime.bigint();
    await call(base, op);
    latencies.push(Number(process.hrtime.bigint() - t));
  }
  return latencies;
}

async function handle(command) {
  const { op, client, base } = command;
  if (op === 'rss') return { maxrss_kib: process.resourceUsage().maxRSS };
  const call =
    client === 'raw' ? rawCall : client === 'raw-noparse' ? (b, o) => rawCall(b, o, false) : sdkCall;
  if (op === 'conc') {
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: command.conc }, () => call(base, 'create')));
    return { wall_ns: Number(process.hrtime.bigint() - t), calls: command.conc };
  }
  return { lat_ns: await seq(call, base, op, command.n ?? 100, command.budget_s ?? 1) };
}

const rl = readline.createInterface({ input: process.stdin });
emit({ ready: true, node: process.version });
for await (const line of rl) {
  const command = JSON.parse(line);
  if (command.op === 'exit') break;
  try {
    emit(await handle(command));
  } catch (e) {
    emit({ error: `${e && e.name}: ${e && e.message}` });
  }
}
process.exit(0);
