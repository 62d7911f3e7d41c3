/**
 * The isolate sandbox's cost per call, against baselines measured in the same run:
 * a direct function call, node:vm, and raw isolated-vm (`applySync` with copy, async
 * `apply`). Two paths: a method that settles within its own microtasks (one applySync
 * round trip) and one that really awaits (a setTimeout(0) inside the isolate, woken by
 * the host's setImmediate), each one at a time and with 64 calls in flight. Also isolate
 * create + activate against a raw isolate doing the same work (create, compile the same
 * bundle, run activate), in interleaved rounds. (Memory per module: bench/memory.bench.ts.)
 */
import vm from 'node:vm';
import ivm from 'isolated-vm';
import { createIsolateSandboxFactory, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { EVALUATED_EXPORT } from '../src/sandbox/bridgeSource.js';
import { planCompile } from '../src/sandbox/codeCache.js';
import { prepareIsolate } from '../src/sandbox/isolateSetup.js';
import { IsolateSandbox } from '../src/sandbox/isolateSandbox.js';
import { nsPerOp, nsPerOpSync, percentile, round, timeMs, type Benchmark, type BenchReport } from './harness.js';

const MODULE = `
export async function activate() {
  return {
    'bench.svc': {
      async settle(input) { return { ok: true, items: input.items.length, user: input.user }; },
      async wait(input) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        return { ok: true, items: input.items.length, user: input.user };
      },
    },
  };
}`;

// ~200 bytes of JSON.
const INPUT = { user: 'alice@example.com', items: [1, 2, 3, 4, 5, 6, 7, 8], note: 'n'.repeat(96), flags: { a: true, b: false }, total: 123.45 };
const CONTEXT = { clientId: 'client-1', requestId: 'req-1', settings: { currency: 'EUR' } };

function options(): SandboxOptions {
  return {
    moduleId: 'bench',
    version: '1.0.0',
    code: MODULE,
    filename: '/bench/index.js',
    permissions: ['timers'],
    limits: { memoryMb: 32, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
    log: () => {},
    callCapability: async () => undefined,
    onFatal: () => {},
  };
}

/** ns per call with `inFlight` calls started together and awaited as a batch. */
async function nsPerCallInFlight(start: () => Promise<unknown>, inFlight: number, minMs: number): Promise<number> {
  const batch = () => Promise.all(Array.from({ length: inFlight }, start));
  return (await nsPerOp(batch, { minMs, batch: 4, warmup: 20 })) / inFlight;
}

const benchmark: Benchmark = {
  name: 'sandbox',
  description: 'isolate sandbox call round trip vs direct, node:vm and raw isolated-vm; create + activate vs a raw isolate',
  async run(ctx): Promise<BenchReport[]> {
    const minMs = ctx.quick ? 150 : 800;
    ctx.log(`input is ${JSON.stringify(INPUT).length} bytes of JSON`);

    // Baselines.
    const direct = (input: typeof INPUT) => ({ ok: true, items: input.items.length, user: input.user });
    const vmFn = vm.runInNewContext('(input) => ({ ok: true, items: input.items.length, user: input.user })') as typeof direct;
    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    const context = isolate.createContextSync();
    const rawRef = context.evalSync('(input) => ({ ok: true, items: input.items.length, user: input.user })', { reference: true }) as ivm.Reference;
    const rawSync = () => rawRef.applySync(undefined, [INPUT], { arguments: { copy: true }, result: { copy: true } });
    const rawAsync = () => rawRef.apply(undefined, [INPUT], { arguments: { copy: true }, result: { copy: true } });
    // The same with isolated-vm's per-call timeout, as every sandbox entry passes it: what that option costs.
    const rawSyncTimeout = () => rawRef.applySync(undefined, [INPUT], { arguments: { copy: true }, result: { copy: true }, timeout: 5000 });

    const factory = createIsolateSandboxFactory();
    const sandbox = await factory.create(options());
    await sandbox.activate({ config: {}, previousState: undefined });
    const settle = () => sandbox.call('bench.svc', 'settle', INPUT, CONTEXT);
    const wait = () => sandbox.call('bench.svc', 'wait', INPUT, CONTEXT);

    const asyncFactory = createIsolateSandboxFactory({ execution: 'async' });
    const asyncSandbox = await asyncFactory.create(options());
    await asyncSandbox.activate({ config: {}, previousState: undefined });
    const asyncSettle = () => asyncSandbox.call('bench.svc', 'settle', INPUT, CONTEXT);

    ctx.log('measuring one call at a time');
    const figures: Record<string, number> = {};
    figures.direct = nsPerOpSync(() => direct(INPUT), { minMs });
    figures.vm = nsPerOpSync(() => vmFn(INPUT), { minMs });
    figures.rawAsync = await nsPerOp(rawAsync, { minMs });
    // The pair the target compares: short interleaved rounds, the median of each kind and of
    // the per-round ratios, so that a noisy neighbour hits both alike.
    const rawRounds: number[] = [];
    const rawTimeoutRounds: number[] = [];
    const settleRounds: number[] = [];
    const settleRatios: number[] = [];
    for (let round = 0; round < (ctx.quick ? 5 : 12); round++) {
      const a = nsPerOpSync(rawSync, { minMs: minMs / 4 });
      const b = await nsPerOp(settle, { minMs: minMs / 4 });
      rawTimeoutRounds.push(nsPerOpSync(rawSyncTimeout, { minMs: minMs / 4 }));
      rawRounds.push(a);
      settleRounds.push(b);
      settleRatios.push(b / a);
    }
    const med = (xs: number[]) => percentile([...xs].sort((x, y) => x - y), 50);
    figures.rawSync = med(rawRounds);
    figures.rawSyncTimeout = med(rawTimeoutRounds);
    figures.settle = med(settleRounds);
    const settleRatio = med(settleRatios);
    const settleSpread = `${round(Math.min(...settleRatios), 2)}–${round(Math.max(...settleRatios), 2)}`;
    figures.wait = await nsPerOp(wait, { minMs, batch: 20 });
    figures.asyncSettle = await nsPerOp(asyncSettle, { minMs, batch: 20 });
    ctx.log('measuring 64 calls in flight');
    figures.rawAsync64 = await nsPerCallInFlight(rawAsync, 64, minMs);
    figures.settle64 = await nsPerCallInFlight(settle, 64, minMs);
    figures.wait64 = await nsPerCallInFlight(wait, 64, minMs);
    figures.asyncSettle64 = await nsPerCallInFlight(asyncSettle, 64, minMs);

    const base = figures.rawSync!;
    const row = (name: string, key: string, note: string) => ({
      path: name,
      'ns/call': Math.round(figures[key]!),
      'x raw applySync': round(figures[key]! / base, 2),
      'x raw async apply': round(figures[key]! / figures.rawAsync!, 2),
      note,
    });
    const calls: BenchReport = {
      title: 'Call round trip (200-byte JSON input, small output)',
      rows: [
        row('direct function call', 'direct', 'no copy, no isolation'),
        row('node:vm function', 'vm', 'no copy, no real isolation'),
        row('raw ivm applySync + copy', 'rawSync', 'baseline'),
        row('raw ivm applySync + copy + timeout', 'rawSyncTimeout', "the per-call timeout option every sandbox entry passes"),
        row('raw ivm async apply + copy', 'rawAsync', 'thread hop per call'),
        row('sandbox: settles in microtasks', 'settle', 'target <= 1.25x raw applySync'),
        row('sandbox: really awaits (setTimeout 0)', 'wait', 'host setImmediate + second entry'),
        row("sandbox 'async' execution: settles", 'asyncSettle', 'apply instead of applySync'),
        row('raw ivm async apply, 64 in flight', 'rawAsync64', ''),
        row('sandbox: settles, 64 in flight', 'settle64', ''),
        row('sandbox: really awaits, 64 in flight', 'wait64', ''),
        row("sandbox 'async' execution: settles, 64 in flight", 'asyncSettle64', ''),
      ],
      notes: [
        `sandbox.call settling in microtasks vs raw applySync with copy: median of per-round ratios ${round(settleRatio, 2)}x (spread ${settleSpread}); client.invoke's figure is in the runtime bench`,
        'raw ivm figures copy the input object (structured clone); the sandbox sends JSON text in and reads results from a shared buffer',
        'figures are wall-clock on a shared machine: compare ratios from the same run',
      ],
    };

    await sandbox.dispose();
    await asyncSandbox.dispose();
    context.release();
    isolate.dispose();

    ctx.log('measuring create + activate against a raw isolate, interleaved');
    const createActivate = async () => {
      const made = await factory.create(options());
      await made.activate({ config: {}, previousState: undefined });
      return made;
    };
    // The same work on a bare isolate: create it and a context, compile, link and evaluate the
    // same bundle, run activate and read its capabilities out (two synchronous entries).
    const rawCreateActivate = () => {
      const iso = new ivm.Isolate({ memoryLimit: 32 });
      const ctxRaw = iso.createContextSync();
      const mod = iso.compileModuleSync(MODULE, { filename: '/bench/index.js' });
      mod.instantiateSync(ctxRaw, () => {
        throw new Error('no imports');
      });
      mod.evaluateSync();
      const read = ctxRaw.evalClosureSync('let out; $0.activate({}).then((r) => { out = JSON.stringify(Object.keys(r)); }); return () => out;', [mod.namespace.derefInto()], {
        result: { reference: true },
      }) as ivm.Reference<() => string>;
      if (typeof read.applySync(undefined, []) !== 'string') throw new Error('raw activate did not settle');
      return iso;
    };
    for (let i = 0; i < 5; i++) {
      await (await createActivate()).dispose();
      rawCreateActivate().dispose();
    }
    const rounds = ctx.quick ? 8 : 24;
    const perRound = 5;
    const subject: number[] = [];
    const raw: number[] = [];
    const ratios: number[] = [];
    // The process's CPU time as well (user + system, every thread): on a machine whose cores
    // are shared, wall time also counts the waits for a core, CPU time does not.
    const cpuRatios: number[] = [];
    const cpuMs = (from: NodeJS.CpuUsage) => {
      const d = process.cpuUsage(from);
      return (d.user + d.system) / 1000;
    };
    for (let r = 0; r < rounds; r++) {
      const s: number[] = [];
      const b: number[] = [];
      const sc: number[] = [];
      const bc: number[] = [];
      // Alternate which goes first, so neither always runs on a cooler cache.
      for (let i = 0; i < perRound; i++) {
        const order = (r + i) % 2 === 0;
        let made: Sandbox | undefined;
        let iso: ivm.Isolate | undefined;
        const one = async () => {
          const c = process.cpuUsage();
          s.push(await timeMs(async () => (made = await createActivate())));
          sc.push(cpuMs(c));
        };
        const two = async () => {
          const c = process.cpuUsage();
          b.push(await timeMs(() => (iso = rawCreateActivate())));
          bc.push(cpuMs(c));
        };
        if (order) await one(), await two();
        else await two(), await one();
        await made!.dispose();
        iso!.dispose();
      }
      const ms = percentile([...s].sort((x, y) => x - y), 50);
      const mb = percentile([...b].sort((x, y) => x - y), 50);
      subject.push(ms);
      raw.push(mb);
      ratios.push(ms / mb);
      cpuRatios.push(percentile([...sc].sort((x, y) => x - y), 50) / percentile([...bc].sort((x, y) => x - y), 50));
    }
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const ratio = percentile(sorted(ratios), 50);
    const lifecycle: BenchReport = {
      title: 'Isolate create + activate vs a raw isolate doing the same work (interleaved rounds)',
      rows: [
        { path: 'sandbox: factory.create + activate', 'median ms': round(percentile(sorted(subject), 50), 3), 'min ms': round(sorted(subject)[0]!, 3), 'x raw': round(ratio, 3) },
        { path: 'raw: Isolate + context + compile, link, evaluate the bundle + activate', 'median ms': round(percentile(sorted(raw), 50), 3), 'min ms': round(sorted(raw)[0]!, 3), 'x raw': 1 },
      ],
      notes: [
        `per-round ratios (median of ${perRound} each, ${rounds} rounds): median ${round(ratio, 3)}, spread ${round(sorted(ratios)[0]!, 3)}–${round(sorted(ratios).at(-1)!, 3)}`,
        `the same in process CPU time (user + system): median ratio ${round(percentile(sorted(cpuRatios), 50), 3)}, spread ${round(sorted(cpuRatios)[0]!, 3)}–${round(sorted(cpuRatios).at(-1)!, 3)}`,
        'the sandbox also builds its bridge, binds the web globals (lazily), a shared results buffer, a CPU meter and the entry References',
      ],
      figures: [
        { target: 'createActivateVsRaw', value: round(ratio, 3), baseline: `raw isolate, same bundle, same run; interleaved, median of ${rounds} round ratios, spread ${round(sorted(ratios)[0]!, 2)}–${round(sorted(ratios).at(-1)!, 2)}` },
      ],
    };
    ctx.log('measuring where create + activate goes');
    const breakdown = await createBreakdown(ctx.quick ? 40 : 120);
    return [calls, lifecycle, breakdown];
  },
};

/**
 * Where create + activate goes, phase by phase (one create at a time, so every step is
 * synchronous): the sandbox's phases are the factory's own steps called in order
 * (planCompile, prepareIsolate, IsolateSandbox.open, activate), the raw isolate's are its
 * isolated-vm calls. Medians of `n` creates each, alternating.
 */
async function createBreakdown(n: number): Promise<BenchReport> {
  const phases: Record<string, number[]> = {};
  const add = (name: string, ms: number) => (phases[name] ??= []).push(ms);
  const settings = { execution: 'sync' as const, maxPayloadLength: 8 << 20, maxTimers: 1000, maxCallDepth: 16, maxCallHops: 10000, cpuBudgetMs: 5000, cpuWindowMs: 10000 };
  for (let i = 0; i < n + 5; i++) {
    const keep = i >= 5;
    const o = options();
    let t = performance.now();
    const plan = await planCompile(o.code, EVALUATED_EXPORT, undefined);
    let now = performance.now();
    if (keep) add('sandbox: plan the compile (script shape, code cache)', now - t);
    t = now;
    const prepared = await prepareIsolate(o, 32, plan, false);
    now = performance.now();
    if (keep) add('sandbox: isolate + context + setup script compiled from its cache', now - t);
    t = now;
    const sandbox = await IsolateSandbox.open(o, settings, 32, prepared);
    now = performance.now();
    if (keep) add('sandbox: setup run + setup call + entries, bundle compiled, evaluated, installed', now - t);
    t = now;
    await sandbox.activate({ config: {}, previousState: undefined });
    now = performance.now();
    if (keep) add('sandbox: activate', now - t);
    await sandbox.dispose();

    t = performance.now();
    const iso = new ivm.Isolate({ memoryLimit: 32 });
    now = performance.now();
    if (keep) add('raw: new Isolate', now - t);
    t = now;
    const ctxRaw = iso.createContextSync();
    now = performance.now();
    if (keep) add('raw: createContext', now - t);
    t = now;
    const mod = iso.compileModuleSync(MODULE, { filename: '/bench/index.js' });
    mod.instantiateSync(ctxRaw, () => {
      throw new Error('no imports');
    });
    mod.evaluateSync();
    now = performance.now();
    if (keep) add('raw: compile, link, evaluate the bundle', now - t);
    t = now;
    const read = ctxRaw.evalClosureSync('let out; $0.activate({}).then((r) => { out = JSON.stringify(Object.keys(r)); }); return () => out;', [mod.namespace.derefInto()], {
      result: { reference: true },
    }) as ivm.Reference<() => string>;
    read.applySync(undefined, []);
    now = performance.now();
    if (keep) add('raw: activate', now - t);
    iso.dispose();
  }
  const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const total = (prefix: string) => Object.entries(phases).filter(([k]) => k.startsWith(prefix)).reduce((sum, [, xs]) => sum + med(xs), 0);
  return {
    title: 'Where create + activate goes (one create at a time, synchronous steps; medians)',
    rows: [
      ...Object.entries(phases).map(([phase, xs]) => ({ phase, 'median ms': round(med(xs), 3) })),
      { phase: 'sandbox: sum of its phases', 'median ms': round(total('sandbox:'), 3) },
      { phase: 'raw: sum of its phases', 'median ms': round(total('raw:'), 3) },
    ],
    notes: [`${n} creates of each, alternating; the interleaved ratio above is the figure, this table says where the difference lies`],
  };
}

export default benchmark;
