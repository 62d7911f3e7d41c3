/**
 * What a user starting a host with one module pays: `createHost` + `start` (store 'none', no
 * config file, no watcher) against a raw floor doing the same work by hand (read the
 * manifest, read the bundle, create an isolate and a context, compile + evaluate the
 * module, run activate), in interleaved A/B rounds (harness `interleave`).
 *
 * Then where the rest goes: the phases the host runs, each timed from outside by calling
 * the same functions the host calls (scanCatalog and within it file I/O and
 * validateManifest; planCatalog; the logger; the sandbox factory; reading the bundle;
 * sandbox create; activate), in host order, once per round; "the rest" is the host path's
 * median minus the phases' medians (container, module table, engine, router, events). The
 * host itself is not instrumented: nothing is added to its path.
 * Figure: hostStartOneModule (x the raw floor).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ivm from 'isolated-vm';
import { scanCatalog, validateManifest, type ModulePackage } from '../src/registry/index.js';
import { createHost } from '../src/runtime/index.js';
import { DEFAULT_LIMITS, makeLogger } from '../src/runtime/hostOptions.js';
import { limitsFor } from '../src/runtime/activationEngine.js';
import { planCatalog } from '../src/runtime/planCatalog.js';
import { createIsolateSandboxFactory, type Sandbox } from '../src/sandbox/index.js';
import { isFile } from '../src/shared/fs.js';
import { HOTMOD_VERSION } from '../src/version.js';
import { formatSpread, interleave, round, spreadOf, type Benchmark, type BenchReport } from './harness.js';

const BUNDLE = `export async function activate() {
  return { 'bench.svc': { async settle(input) { return { ok: true, items: input.items.length }; } } };
}
`;
const MANIFEST = { name: '@bench/svc', version: '1.0.0', main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'svc', provides: { 'bench.svc': '1.0.0' } } };

async function writeModule(root: string): Promise<string> {
  const dir = path.join(root, 'svc');
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(MANIFEST, null, 2));
  await writeFile(path.join(dir, 'dist/index.js'), BUNDLE);
  return dir;
}

/** createHost + start, in ms; the host is stopped after (not timed). */
async function hostPath(modulesDir: string): Promise<number> {
  const t0 = performance.now();
  const host = await createHost({ modulesDir, store: 'none', configFile: false, watch: false });
  await host.start();
  const ms = performance.now() - t0;
  const state = host.status()[0]?.state;
  await host.stop();
  if (state !== 'active') throw new Error(`hostPath bench: the module is ${state ?? 'missing'} after start, expected active`);
  return ms;
}

/** The floor: the same work by hand with isolated-vm, in ms; the isolate is disposed after (not timed). */
async function rawFloor(dir: string, parts?: Record<RawPart, number[]>): Promise<number> {
  const t0 = performance.now();
  const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { main: string };
  const filename = path.join(dir, manifest.main);
  const code = await readFile(filename, 'utf8');
  const t1 = performance.now();
  const isolate = new ivm.Isolate({ memoryLimit: DEFAULT_LIMITS.memoryMb });
  const context = isolate.createContextSync();
  const t2 = performance.now();
  const mod = isolate.compileModuleSync(code, { filename });
  mod.instantiateSync(context, () => {
    throw new Error('no imports');
  });
  mod.evaluateSync();
  const t3 = performance.now();
  const activate = (await mod.namespace.get('activate', { reference: true })) as ivm.Reference;
  const api = (await activate.apply(undefined, [], { result: { promise: true, reference: true } })) as ivm.Reference;
  const t4 = performance.now();
  const ms = t4 - t0;
  if (parts) {
    parts['raw: file I/O'].push(t1 - t0);
    parts['raw: isolate + context'].push(t2 - t1);
    parts['raw: compile + evaluate'].push(t3 - t2);
    parts['raw: activate'].push(t4 - t3);
  }
  api.release();
  isolate.dispose();
  return ms;
}

type RawPart = 'raw: file I/O' | 'raw: isolate + context' | 'raw: compile + evaluate' | 'raw: activate';
const RAW_PARTS: readonly RawPart[] = ['raw: file I/O', 'raw: isolate + context', 'raw: compile + evaluate', 'raw: activate'];

type Phase = 'logger' | 'scan' | 'scan: file I/O' | 'scan: validate' | 'resolve' | 'sandbox factory' | 'read bundle' | 'sandbox create' | 'activate';
const PHASES: readonly { name: Phase; note: string; inScan?: true }[] = [
  { name: 'logger', note: 'makeLogger (pino, silent) + the per-module child logger' },
  { name: 'scan', note: 'scanCatalog: readdir, package.json read + parsed, entry probed, manifest validated' },
  { name: 'scan: file I/O', note: 'of scan: read package.json, probe the entry and src/index.{ts,js}', inScan: true },
  { name: 'scan: validate', note: 'of scan: validateManifest on the parsed package.json', inScan: true },
  { name: 'resolve', note: 'planCatalog (resolvePlan, partial mode, levels)' },
  { name: 'sandbox factory', note: 'createIsolateSandboxFactory (one per host)' },
  { name: 'read bundle', note: 'readFile of the entry (the engine reads it per instance)' },
  { name: 'sandbox create', note: 'factory.create: isolate, context, bridge, module compiled + evaluated' },
  { name: 'activate', note: 'sandbox.activate: activate run, its capabilities read' },
];

/** One pass over the host's phases, in the host's order, each timed on its own. */
async function phases(modulesDir: string): Promise<Record<Phase, number>> {
  const out = {} as Record<Phase, number>;
  const time = async <T>(name: Phase, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    out[name] = performance.now() - t0;
    return result;
  };
  const logger = await time('logger', () => makeLogger(undefined).child({ module: 'svc', version: '1.0.0' }));
  const scan = await time('scan', () => scanCatalog(modulesDir));
  const pkg: ModulePackage = scan.packages[0]!;
  const text = await time('scan: file I/O', async () => {
    const t = await readFile(pkg.packageJsonPath, 'utf8');
    await isFile(pkg.entryPath);
    for (const candidate of ['src/index.ts', 'src/index.js']) await isFile(path.join(pkg.dir, candidate));
    return t;
  });
  const json = JSON.parse(text) as unknown;
  await time('scan: validate', () => validateManifest(json, { dir: pkg.dir, file: pkg.packageJsonPath }));
  await time('resolve', () => planCatalog(scan.packages, HOTMOD_VERSION));
  const factory = await time('sandbox factory', () => createIsolateSandboxFactory());
  const code = await time('read bundle', () => readFile(pkg.entryPath, 'utf8'));
  const sandbox: Sandbox = await time('sandbox create', () =>
    factory.create({
      moduleId: pkg.manifest.id,
      version: pkg.manifest.version,
      code,
      filename: pkg.entryPath,
      permissions: pkg.manifest.permissions,
      limits: limitsFor(pkg, DEFAULT_LIMITS),
      log: (level, message, data) => logger[level](data === undefined ? {} : { data }, message),
      callCapability: async () => undefined,
      onFatal: () => {},
    }),
  );
  await time('activate', () => sandbox.activate({ config: {}, previousState: undefined }));
  await sandbox.dispose();
  await factory.close?.();
  return out;
}

const bench: Benchmark = {
  name: 'hostPath',
  description: 'createHost + start with one module vs a raw isolated-vm floor doing the same work; where the rest goes',
  async run(ctx): Promise<BenchReport[]> {
    const rounds = ctx.quick ? 12 : 40;
    const root = await mkdtemp(path.join(tmpdir(), 'hotmod-hostpath-'));
    try {
      const dir = await writeModule(root);
      ctx.log(`${rounds} interleaved rounds: createHost + start vs raw floor`);
      const ab = await interleave({ a: () => hostPath(root), b: () => rawFloor(dir), rounds, warmup: 2 });

      ctx.log(`${rounds} rounds of the host's phases, timed from outside`);
      const samples = new Map<Phase, number[]>(PHASES.map((p) => [p.name, []]));
      const raw = Object.fromEntries(RAW_PARTS.map((p) => [p, [] as number[]])) as Record<RawPart, number[]>;
      const hostAgain: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // The host path once more beside each phase pass, so "the rest" compares like with like.
        hostAgain.push(await hostPath(root));
        const got = await phases(root);
        for (const p of PHASES) samples.get(p.name)!.push(got[p.name]);
        await rawFloor(dir, raw);
      }
      const host = spreadOf(hostAgain).median;
      const med = (p: Phase) => spreadOf(samples.get(p)!).median;
      const counted = PHASES.filter((p) => !p.inScan).reduce((sum, p) => sum + med(p.name), 0);
      const pct = (ms: number) => `${round((ms / host) * 100, 0)}%`;
      const breakdown = [
        ...PHASES.map((p) => ({ phase: p.name, 'median ms': round(med(p.name), 3), 'of host path': pct(med(p.name)), note: p.note })),
        { phase: 'the rest', 'median ms': round(host - counted, 3), 'of host path': pct(host - counted), note: 'options, tsyringe container, module table, engine, router, swaps, events, catalog view, levels loop' },
        { phase: 'createHost + start (same rounds)', 'median ms': round(host, 3), 'of host path': '100%', note: '' },
        { phase: 'raw floor (A/B rounds above)', 'median ms': round(ab.b.median, 3), 'of host path': pct(ab.b.median), note: 'read manifest + bundle, isolate, context, compile, evaluate, activate' },
        ...RAW_PARTS.map((p) => ({ phase: p, 'median ms': round(spreadOf(raw[p]).median, 3), 'of host path': pct(spreadOf(raw[p]).median), note: 'of the raw floor, same rounds as the phases' })),
      ];
      const baseline = `raw isolated-vm floor (read manifest + bundle, isolate, compile, evaluate, activate) ${formatSpread(ab.b, 2)} ms; host ${formatSpread(ab.a, 2)} ms; ratio p25–p75 ${round(ab.ratio.p25, 2)}–${round(ab.ratio.p75, 2)}; ${rounds} interleaved rounds`;
      return [
        {
          title: 'createHost + start, one module, vs the raw floor (interleaved A/B)',
          rows: [
            { path: 'createHost + start (store none, no watcher)', 'median ms': round(ab.a.median, 3), 'p25–p75 ms': `${round(ab.a.p25, 2)}–${round(ab.a.p75, 2)}`, 'x raw floor (median of rounds)': round(ab.ratio.median, 2) },
            { path: 'raw floor (same work by hand)', 'median ms': round(ab.b.median, 3), 'p25–p75 ms': `${round(ab.b.p25, 2)}–${round(ab.b.p75, 2)}`, 'x raw floor (median of rounds)': 1 },
          ],
          notes: [`ratio: median of per-round host / floor, p25–p75 ${round(ab.ratio.p25, 2)}–${round(ab.ratio.p75, 2)} over ${rounds} rounds`],
          figures: [{ target: 'hostStartOneModule', value: ab.ratio.median, baseline }],
        },
        {
          title: "Where the host path's time goes (phases timed from outside, medians)",
          rows: breakdown,
          notes: [
            '"scan: …" rows are parts of scan, not added again; "the rest" = host path − the other phases (each phase is timed in its own call, so within noise it can read below 0).',
            'Compare "sandbox create" + "activate" with the raw floor\'s isolate + compile + activate: that gap is issue 15 item 1.',
          ],
        },
      ];
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default bench;
