/**
 * `npx node --no-node-snapshot --import tsx bench/abInvoke.ts BASE_DIR`: client.invoke of this
 * checkout against another checkout of hotmod (e.g. a worktree of an earlier commit), in one
 * process, in interleaved rounds, so the machine's noise falls on both alike. Prints the
 * median of the per-round ratios (this / base): below 1 is faster. Not part of `npm run bench`
 * (it needs a second checkout); used to compare a redesign's hot path before and after.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const baseDir = process.argv[2];
if (!baseDir) {
  console.error('usage: abInvoke.ts BASE_CHECKOUT_DIR [rounds]');
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 40);
const INPUT = { user: 'alice@example.com', items: [1, 2, 3, 4, 5, 6, 7, 8], note: 'n'.repeat(96) };

interface HostLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  client(id: string): { invoke(cap: string, method: string, input: unknown): Promise<unknown> };
}
type CreateHost = (o: Record<string, unknown>) => Promise<HostLike>;

async function load(dir: string): Promise<CreateHost> {
  const mod = (await import(pathToFileURL(path.join(dir, 'src/runtime/index.ts')).href)) as { createHost: CreateHost };
  return mod.createHost;
}

const root = await mkdtemp(path.join(tmpdir(), 'hotmod-ab-'));
try {
  const svc = path.join(root, 'svc');
  await mkdir(path.join(svc, 'dist'), { recursive: true });
  await writeFile(
    path.join(svc, 'package.json'),
    JSON.stringify({ name: '@ab/svc', version: '1.0.0', main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'svc', provides: { 'bench.svc': '1.0.0' } } }),
  );
  await writeFile(
    path.join(svc, 'dist/index.js'),
    `export async function activate() { return { 'bench.svc': { async settle(input) { return { ok: true, items: input.items.length }; } } }; }`,
  );
  const subjects: { name: string; host: HostLike }[] = [];
  for (const [name, dir] of [['base', baseDir], ['this', process.cwd()]] as const) {
    const host = await (await load(dir))({ modulesDir: root, store: 'none', configFile: false });
    await host.start();
    subjects.push({ name, host });
  }
  const perOp = async (host: HostLike, n: number): Promise<number> => {
    const c = host.client('client-1');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await c.invoke('bench.svc', 'settle', INPUT);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  for (const s of subjects) await perOp(s.host, 2000); // warm-up
  const ratios: number[] = [];
  const ns = { base: [] as number[], this: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on a cooler cache.
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    const got: Record<string, number> = {};
    for (const s of order) got[s.name] = await perOp(s.host, 1000);
    ns.base.push(got.base!);
    ns.this.push(got.this!);
    ratios.push(got.this! / got.base!);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    JSON.stringify({ rounds, baseNsPerInvoke: Math.round(median(ns.base)), thisNsPerInvoke: Math.round(median(ns.this)), medianRatioThisOverBase: Number(median(ratios).toFixed(3)) }),
  );
  for (const s of subjects) await s.host.stop();
} finally {
  await rm(root, { recursive: true, force: true });
}
process.exit(0);
