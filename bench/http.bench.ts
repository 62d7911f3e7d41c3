/**
 * HTTP invoke throughput and latency: POST /clients/:id/invoke/:capability/:method
 * through the hotmod plugin against the same route answered by a plain Fastify handler
 * (no hotmod) on the same server, with autocannon, in one run. Loopback only.
 *
 * The server runs in a child process (this same file, started with
 * HOTMOD_HTTP_BENCH_SERVER=1) so that autocannon and the server do not share one event
 * loop. The ratio is what to read: the absolute figures depend on the machine.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, type Benchmark, type BenchReport, type BenchRow } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SERVER_ENV = 'HOTMOD_HTTP_BENCH_SERVER';

/**
 * The call under test: billing's `quote`, a pure computation over its input (no call to
 * another module). 'bench-client' has no configuration, so the catalog defaults serve it.
 */
const CALL = {
  clientId: 'bench-client',
  capability: 'billing.invoices',
  method: 'quote',
  input: { lines: [{ description: 'Pro plan', quantity: 2, unitPriceCents: 1500 }, { description: 'Seats', quantity: 5, unitPriceCents: 700 }] },
} as const;

// ---------------------------------------------------------------- server (child process)

async function runServer(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { createHost } = await import('../src/index.js');
  const { default: hotmodPlugin } = await import('../src/fastify/index.js');
  const host = await createHost({ modulesDir: path.join(root, 'modules'), store: 'memory' });
  // pluginTimeout: starting the host (store, eager modules) can outlast the 10 s default on a busy machine.
  const app = Fastify({ logger: false, pluginTimeout: 120_000 });
  await app.register(hotmodPlugin, { host, routes: { prefix: '/hotmod' } });
  // The baseline: the same route shape and the same answer, computed in the handler.
  app.post<{ Params: { id: string; capability: string; method: string }; Body: { lines?: unknown } }>(
    '/plain/clients/:id/invoke/:capability/:method',
    async (request) => ({ result: plainQuote(request.body) }),
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`listening ${address}\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

interface Line {
  description: string;
  quantity: number;
  unitPriceCents: number;
}

/** What modules/billing's quote computes, written as a plain handler would (same checks). */
function plainQuote(input: { lines?: unknown } | undefined): unknown {
  const lines = input?.lines;
  if (!Array.isArray(lines) || lines.length === 0) throw new Error('"lines" must be a non-empty array');
  let subtotalCents = 0;
  for (const raw of lines as Partial<Line>[]) {
    if (typeof raw.description !== 'string' || !Number.isInteger(raw.quantity) || !Number.isInteger(raw.unitPriceCents)) throw new Error('bad line');
    subtotalCents += raw.quantity! * raw.unitPriceCents!;
  }
  return { currency: 'EUR', subtotalCents, taxCents: 0, totalCents: subtotalCents };
}

// ---------------------------------------------------------------- load (bench process)

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function startServerProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: root,
    env: { ...process.env, [SERVER_ENV]: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /listening (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before listening: ${text}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function load(url: string, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(CALL.input),
    connections: 10,
    pipelining: 1,
    duration: seconds,
  });
}

/** a / b, or 'n/a' when b rounds to zero (a percentile under 1 ms). */
function ratio(a: number, b: number): string {
  return b > 0 ? String(round(a / b, 2)) : 'n/a (baseline < 1 ms)';
}

function row(variant: string, r: AutocannonResult): BenchRow {
  return {
    variant,
    'req/s': round(r.requests.average, 0),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    'avg ms': round(r.latency.average, 2),
    requests: r.requests.total,
    'failed (err/timeout/non-2xx)': `${r.errors}/${r.timeouts}/${r.non2xx}`,
  };
}

const bench: Benchmark = {
  name: 'http',
  description: 'HTTP invoke through hotmod/fastify vs a plain Fastify handler (autocannon, loopback)',
  async run(ctx): Promise<BenchReport[]> {
    const seconds = ctx.quick ? 2 : 5;
    const server = await startServerProcess();
    try {
      const routePath = `/clients/${CALL.clientId}/invoke/${CALL.capability}/${CALL.method}`;
      const hotmodUrl = `${server.url}/hotmod${routePath}`;
      const plainUrl = `${server.url}/plain${routePath}`;
      // Check both answer before loading them: a benchmark of 404s measures nothing.
      const answers: string[] = [];
      for (const url of [hotmodUrl, plainUrl]) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CALL.input) });
        const text = await response.text();
        if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text}`);
        answers.push(text);
      }
      // The baseline must answer what the module answers, or the comparison is unfair.
      if (answers[0] !== answers[1]) throw new Error(`hotmod and plain answers differ: ${answers[0]} vs ${answers[1]}`);
      ctx.log(`warm-up 1 s each, then ${seconds} s each, 10 connections`);
      await load(plainUrl, 1);
      await load(hotmodUrl, 1);
      const plain = await load(plainUrl, seconds);
      ctx.log(`plain: ${round(plain.requests.average, 0)} req/s`);
      const hotmod = await load(hotmodUrl, seconds);
      ctx.log(`hotmod: ${round(hotmod.requests.average, 0)} req/s`);
      // A run with failed requests measures errors, not invoke: say so next to the figures.
      const failed = (r: AutocannonResult) => r.errors + r.timeouts + r.non2xx;
      const failures = failed(plain) + failed(hotmod);
      return [
        {
          title: `HTTP invoke (${CALL.capability}.${CALL.method}), ${seconds} s each, 10 connections`,
          rows: [row('plain Fastify handler (baseline)', plain), row('hotmod/fastify invoke', hotmod)],
          notes: [
            `throughput ratio hotmod / plain: ${round(hotmod.requests.average / plain.requests.average, 3)}`,
            `latency ratio hotmod / plain: mean ${ratio(hotmod.latency.average, plain.latency.average)}, p50 ${ratio(hotmod.latency.p50, plain.latency.p50)}, p99 ${ratio(hotmod.latency.p99, plain.latency.p99)} (autocannon's percentiles are whole milliseconds)`,
            failures === 0
              ? 'every request answered 2xx'
              : `WARNING: ${failures} requests failed (see the last column): the ratios above are not a fair comparison`,
          ],
        },
      ];
    } finally {
      await server.stop();
    }
  },
};

export default bench;

if (process.env[SERVER_ENV] === '1' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await runServer();
}
