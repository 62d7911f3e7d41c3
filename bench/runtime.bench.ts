/**
 * The runtime end to end: cold start of N modules; `client.invoke` against raw
 * isolated-vm applySync (and the bare sandbox) measured in the same run; a swap's
 * edit-to-serving latency (explicit host.swap and through the watcher); calls per second
 * under load, and failed calls while swaps run under that load (must be 0).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ivm from 'isolated-vm';
import { createHost, createHostWatcherFactory, type Host } from '../src/runtime/index.js';
import { createIsolateSandboxFactory } from '../src/sandbox/index.js';
import { loadLoop } from '../tests/support/loadLoop.js';
import { nsPerOp, nsPerOpSync, percentile, round, timeMs, type Benchmark, type BenchReport } from './harness.js';

const INPUT = { user: 'alice@example.com', items: [1, 2, 3, 4, 5, 6, 7, 8], note: 'n'.repeat(96), flags: { a: true, b: false }, total: 123.45 };

const echoModule = (tag: string) => `
export async function activate(ctx) {
  return { 'bench.svc': {
    async settle(input) { return { ok: true, items: input.items.length, user: input.user, tag: '${tag}' }; },
    async wait(input) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { ok: true, items: input.items.length, user: input.user, tag: '${tag}' };
    },
  } };
}`;

async function writeModule(dir: string, id: string, version: string, code: string, hotmod: Record<string, unknown> = {}): Promise<void> {
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `@bench/${id}`, version, main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id, ...hotmod } }),
  );
  await writeFile(path.join(dir, 'dist/index.js'), code);
}

/** N modules in chains of 10 (each requires the previous one's capability): real levels, real bindings. */
async function writeCatalog(root: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `m${String(i).padStart(4, '0')}`;
    const prev = i % 10 === 0 ? undefined : `m${String(i - 1).padStart(4, '0')}`;
    await writeModule(
      path.join(root, id),
      id,
      '1.0.0',
      `export async function activate() { return { '${id}.api': { async get(input) { return { id: '${id}', input }; } } }; }`,
      { provides: { [`${id}.api`]: '1.0.0' }, ...(prev ? { requires: { [`${prev}.api`]: '^1.0.0' } } : {}) },
    );
  }
}

const benchmark: Benchmark = {
  name: 'runtime',
  description: 'host cold start, client.invoke overhead vs raw isolated-vm, swap latency, throughput and failures during swaps',
  async run(ctx): Promise<BenchReport[]> {
    const root = await mkdtemp(path.join(tmpdir(), 'hotmod-bench-runtime-'));
    const reports: BenchReport[] = [];
    try {
      // 1. Cold start.
      const sizes = ctx.quick ? [10, 50] : [10, 100, 500];
      const coldRows = [];
      for (const n of sizes) {
        const dir = path.join(root, `cold-${n}`);
        await writeCatalog(dir, n);
        ctx.log(`cold start of ${n} modules`);
        let host: Host | undefined;
        const ms = await timeMs(async () => {
          host = await createHost({ modulesDir: dir, store: 'none', configFile: false });
          await host.start();
        });
        const active = host!.status().filter((s) => s.state === 'active').length;
        const stopMs = await timeMs(() => host!.stop());
        coldRows.push({ modules: n, 'start ms': round(ms, 0), 'ms / module': round(ms / n, 2), active, 'stop ms': round(stopMs, 0) });
      }
      reports.push({ title: 'Cold start (discover, resolve, activate every module; chains of 10)', rows: coldRows });

      // 2. invoke overhead.
      const minMs = ctx.quick ? 150 : 600;
      const svcDir = path.join(root, 'invoke');
      await writeModule(path.join(svcDir, 'svc'), 'svc', '1.0.0', echoModule('v1'), { provides: { 'bench.svc': '1.0.0' }, permissions: ['timers'] });
      const host = await createHost({ modulesDir: svcDir, store: 'none', configFile: false });
      await host.start();
      const client = host.client('client-1');
      const invoke = () => client.invoke('bench.svc', 'settle', INPUT);

      const isolate = new ivm.Isolate({ memoryLimit: 32 });
      const context = isolate.createContextSync();
      const rawRef = context.evalSync('(input) => ({ ok: true, items: input.items.length, user: input.user })', { reference: true }) as ivm.Reference;
      const rawSync = () => rawRef.applySync(undefined, [INPUT], { arguments: { copy: true }, result: { copy: true } });
      const rawAsync = () => rawRef.apply(undefined, [INPUT], { arguments: { copy: true }, result: { copy: true } });
      const invokeWait = () => client.invoke('bench.svc', 'wait', INPUT);
      const factory = createIsolateSandboxFactory();
      const sandbox = await factory.create({
        moduleId: 'svc',
        version: '1.0.0',
        code: echoModule('raw'),
        filename: '/bench/svc.js',
        permissions: [],
        limits: { memoryMb: 64, callTimeoutMs: 1000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
        log: () => {},
        callCapability: async () => undefined,
        onFatal: () => {},
      });
      await sandbox.activate({ config: undefined, previousState: undefined });
      const CONTEXT = { clientId: 'client-1', requestId: 'r', settings: {} };
      const bare = () => sandbox.call('bench.svc', 'settle', INPUT, CONTEXT);
      await invoke();
      await invokeWait();
      // Interleaved rounds: each kind measured once per round; the figures are medians of the
      // per-round ratios (subject / its baseline in the same round), with their spread.
      const samples = { raw: [] as number[], bare: [] as number[], invoke: [] as number[], rawAsync: [] as number[], invokeWait: [] as number[] };
      const invokeRatios: number[] = [];
      const waitRatios: number[] = [];
      // The same pair in process CPU time (user + system, every thread: isolated-vm's timer
      // thread included), which a loaded machine's waits do not inflate; reported in the notes.
      const cpuRatios: number[] = [];
      const cpuOps = 2000;
      const cpuNsPerOp = async (fn: () => unknown): Promise<number> => {
        const from = process.cpuUsage();
        for (let i = 0; i < cpuOps; i++) await fn();
        const d = process.cpuUsage(from);
        return ((d.user + d.system) * 1000) / cpuOps;
      };
      // Not awaited, as in the wall-clock figure (the raw call is synchronous).
      const rawCpuNsPerOp = (): number => {
        const from = process.cpuUsage();
        for (let i = 0; i < cpuOps; i++) rawSync();
        const d = process.cpuUsage(from);
        return ((d.user + d.system) * 1000) / cpuOps;
      };
      for (let r = 0; r < (ctx.quick ? 5 : 12); r++) {
        const raw = nsPerOpSync(rawSync, { minMs: minMs / 4 });
        const bareNs = await nsPerOp(bare, { minMs: minMs / 4 });
        const invokeNs = await nsPerOp(invoke, { minMs: minMs / 4 });
        const rawAsyncNs = await nsPerOp(rawAsync, { minMs: minMs / 4, batch: 20 });
        const waitNs = await nsPerOp(invokeWait, { minMs: minMs / 4, batch: 20 });
        samples.raw.push(raw);
        samples.bare.push(bareNs);
        samples.invoke.push(invokeNs);
        samples.rawAsync.push(rawAsyncNs);
        samples.invokeWait.push(waitNs);
        invokeRatios.push(invokeNs / raw);
        waitRatios.push(waitNs / rawAsyncNs);
        const rawCpu = rawCpuNsPerOp();
        cpuRatios.push((await cpuNsPerOp(invoke)) / rawCpu);
      }
      const med = (xs: number[]) => percentile([...xs].sort((x, y) => x - y), 50);
      const spread = (xs: number[]) => `${round(Math.min(...xs), 2)}–${round(Math.max(...xs), 2)}`;
      const f = { raw: med(samples.raw), bare: med(samples.bare), invoke: med(samples.invoke), rawAsync: med(samples.rawAsync), invokeWait: med(samples.invokeWait) };
      const invokeVsRaw = med(invokeRatios);
      const waitVsRawAsync = med(waitRatios);
      await sandbox.dispose();
      context.release();
      isolate.dispose();
      reports.push({
        title: 'client.invoke round trip (200-byte JSON input), interleaved rounds',
        rows: [
          { path: 'raw ivm applySync + copy', 'ns/call': Math.round(f.raw), 'x raw': 1, note: 'baseline' },
          { path: 'sandbox.call (no router)', 'ns/call': Math.round(f.bare), 'x raw': round(f.bare / f.raw, 2), note: '' },
          { path: 'client.invoke (router + metrics + sandbox), settles in microtasks', 'ns/call': Math.round(f.invoke), 'x raw': round(invokeVsRaw, 2), note: `target <= 1.25x raw; round ratios ${spread(invokeRatios)}` },
          { path: 'raw ivm async apply + copy', 'ns/call': Math.round(f.rawAsync), 'x raw': round(f.rawAsync / f.raw, 2), note: 'baseline of the awaiting path' },
          { path: 'client.invoke, awaits a setTimeout(0)', 'ns/call': Math.round(f.invokeWait), 'x raw': round(f.invokeWait / f.raw, 2), note: `${round(waitVsRawAsync, 2)}x raw async apply; round ratios ${spread(waitRatios)}` },
        ],
        notes: [
          `router overhead over the bare sandbox: ${round(f.invoke / f.bare, 2)}x (${Math.round(f.invoke - f.bare)} ns)`,
          `client.invoke (settles in microtasks) / raw applySync with copy in process CPU time: median ${round(med(cpuRatios), 3)} of ${cpuRatios.length} rounds, spread ${spread(cpuRatios)}`,
        ],
        figures: [
          { target: 'invokeVsRaw', value: round(invokeVsRaw, 3), baseline: `raw applySync with copy, same run; median of ${invokeRatios.length} interleaved round ratios, spread ${spread(invokeRatios)}` },
          { target: 'invokeAwaitingVsRawAsync', value: round(waitVsRawAsync, 3), baseline: `raw async apply with copy, same run; median of ${waitRatios.length} interleaved round ratios, spread ${spread(waitRatios)}` },
        ],
      });

      // 3. Swap edit-to-serving latency: write the new bundle, then swap until the new version answers.
      const swaps = ctx.quick ? 10 : 30;
      const explicit: number[] = [];
      const svc = path.join(svcDir, 'svc');
      for (let i = 1; i <= swaps; i++) {
        explicit.push(
          await timeMs(async () => {
            await writeModule(svc, 'svc', `1.${i}.0`, echoModule(`e${i}`), { provides: { 'bench.svc': '1.0.0' } });
            await host.swap('svc');
            const r = (await invoke()) as { tag: string };
            if (r.tag !== `e${i}`) throw new Error(`swap ${i} not serving`);
          }),
        );
      }
      await host.stop();

      // Through the watcher (settle 50 ms): edit on disk -> first call answered by the new version.
      const watchDir = path.join(root, 'watch');
      await cp(svcDir, watchDir, { recursive: true });
      const watched = await createHost({ modulesDir: watchDir, store: 'none', configFile: false, watch: true, overrides: { watcherFactory: createHostWatcherFactory({ settleMs: 50 }) } });
      await watched.start();
      const wclient = watched.client('client-1');
      const viaWatcher: number[] = [];
      for (let i = 1; i <= (ctx.quick ? 5 : 15); i++) {
        viaWatcher.push(
          await timeMs(async () => {
            await writeModule(path.join(watchDir, 'svc'), 'svc', `2.${i}.0`, echoModule(`w${i}`), { provides: { 'bench.svc': '1.0.0' } });
            for (;;) {
              const r = (await wclient.invoke('bench.svc', 'settle', INPUT)) as { tag: string };
              if (r.tag === `w${i}`) break;
              await new Promise((res) => setTimeout(res, 2));
            }
          }),
        );
      }
      await watched.stop();
      const p = (xs: number[], q: number) => round(percentile([...xs].sort((a, b) => a - b), q), 1);
      reports.push({
        title: 'Swap edit-to-serving latency (small module)',
        rows: [
          { path: 'write + host.swap() + first call', swaps: explicit.length, 'p50 ms': p(explicit, 50), 'p95 ms': p(explicit, 95), note: 'target p50 < 150 ms' },
          { path: 'write -> watcher (settle 50 ms) -> first new answer', swaps: viaWatcher.length, 'p50 ms': p(viaWatcher, 50), 'p95 ms': p(viaWatcher, 95), note: 'includes the settle time' },
        ],
      });

      // 4. Throughput, and failures during swaps under load.
      const loadDir = path.join(root, 'load');
      await writeModule(path.join(loadDir, 'svc'), 'svc', '1.0.0', echoModule('l0'), { provides: { 'bench.svc': '1.0.0' } });
      const counterCode = `let count = 0;
export async function activate(ctx) { count = ctx.previousState ? ctx.previousState.count : 0; return { 'bench.counter': { async inc() { return ++count; } } }; }
export async function deactivate() { return { count }; }`;
      await writeModule(path.join(loadDir, 'counter'), 'counter', '1.0.0', counterCode, { provides: { 'bench.counter': '1.0.0' } });
      const loaded = await createHost({ modulesDir: loadDir, store: 'none', configFile: false });
      await loaded.start();
      const lc = loaded.client('client-1');
      const seconds = ctx.quick ? 1 : 3;
      const callers = 4;
      const quiet = loadLoop(() => lc.invoke('bench.svc', 'settle', INPUT), callers, { callsPerYield: 16 });
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const q = await quiet.stop();
      const busy = loadLoop(() => lc.invoke('bench.svc', 'settle', INPUT), callers / 2, { callsPerYield: 16 });
      const busyStateful = loadLoop(() => lc.invoke('bench.counter', 'inc', {}), callers / 2, { callsPerYield: 16 });
      let swapCount = 0;
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until) {
        swapCount++;
        await writeModule(path.join(loadDir, 'svc'), 'svc', `1.${swapCount}.0`, echoModule(`l${swapCount}`), { provides: { 'bench.svc': '1.0.0' } });
        await writeModule(path.join(loadDir, 'counter'), 'counter', `1.${swapCount}.0`, counterCode, { provides: { 'bench.counter': '1.0.0' } });
        await Promise.all([loaded.swap('svc'), loaded.swap('counter')]);
      }
      const [b, bs] = await Promise.all([busy.stop(), busyStateful.stop()]);
      const finalCount = await lc.invoke('bench.counter', 'inc', {});
      await loaded.stop();
      reports.push({
        title: `Load: ${callers} concurrent callers, ${seconds} s`,
        rows: [
          { phase: 'no swaps', 'calls/s': Math.round(q.ok / seconds), failed: q.failed, swaps: 0 },
          { phase: 'swapping a stateless and a stateful module back to back', 'calls/s': Math.round((b.ok + bs.ok) / seconds), failed: b.failed + bs.failed, swaps: swapCount * 2 },
        ],
        notes: [
          `failed calls during swaps must be 0: ${b.failed + bs.failed}`,
          `stateful counter after ${swapCount} handoffs: ${String(finalCount)} (expected ${bs.ok + 1})`,
        ],
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    return reports;
  },
};

export default benchmark;
