/**
 * The isolate sandbox's cost per call, against baselines measured in the same run:
 * a direct function call, node:vm, and raw isolated-vm (`applySync` with copy, async
 * `apply`). Two paths: a method that settles within its own microtasks (one applySync
 * round trip) and one that really awaits (a setTimeout(0) inside the isolate, woken by
 * the host's setImmediate), each one at a time and with 64 calls in flight. Also isolate
 * create + activate and idle memory per module.
 */
import vm from 'node:vm';
import ivm from 'isolated-vm';
import { createIsolateSandboxFactory, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { nsPerOp, nsPerOpSync, round, timeMs, type Benchmark, type BenchReport } from './harness.js';

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
  description: 'isolate sandbox call round trip vs direct, node:vm and raw isolated-vm; create + activate; idle memory',
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
    // The figures the target compares: measured in short interleaved rounds and the best
    // round of each kept, so that a noisy neighbour hits both alike.
    figures.rawSync = Infinity;
    figures.settle = Infinity;
    for (let round = 0; round < (ctx.quick ? 3 : 8); round++) {
      figures.rawSync = Math.min(figures.rawSync, nsPerOpSync(rawSync, { minMs: minMs / 4 }));
      figures.settle = Math.min(figures.settle, await nsPerOp(settle, { minMs: minMs / 4 }));
    }
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
        `target: settles-in-microtasks <= 1.25x raw applySync with copy; measured ${round(figures.settle! / base, 2)}x`,
        'raw ivm figures copy the input object (structured clone); the sandbox sends JSON text in and reads results from a shared buffer',
        'figures are wall-clock on a shared machine: compare ratios from the same run',
      ],
    };

    await sandbox.dispose();
    await asyncSandbox.dispose();
    context.release();
    isolate.dispose();

    ctx.log('measuring create + activate and idle memory');
    const startup: number[] = [];
    for (let i = 0; i < (ctx.quick ? 10 : 30); i++) {
      let made: Sandbox | undefined;
      startup.push(
        await timeMs(async () => {
          made = await factory.create(options());
          await made.activate({ config: {}, previousState: undefined });
        }),
      );
      await made!.dispose();
    }
    startup.sort((a, b) => a - b);

    const count = 50;
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    const idle: Sandbox[] = [];
    for (let i = 0; i < count; i++) {
      const made = await factory.create(options());
      await made.activate({ config: {}, previousState: undefined });
      await made.call('bench.svc', 'settle', INPUT, CONTEXT);
      idle.push(made);
    }
    const rssAfter = process.memoryUsage().rss;
    const heapUsed = idle.reduce((sum, s) => sum + s.metrics().heapUsedBytes, 0) / count;
    await Promise.all(idle.map((s) => s.dispose()));

    const lifecycle: BenchReport = {
      title: 'Isolate create + activate, idle memory',
      rows: [
        { measure: 'create + activate, median', value: round(startup[Math.floor(startup.length / 2)]!, 2), unit: 'ms' },
        { measure: 'create + activate, min', value: round(startup[0]!, 2), unit: 'ms' },
        { measure: `idle RSS per module (delta over ${count})`, value: round((rssAfter - rssBefore) / count / 1024 / 1024, 2), unit: 'MB' },
        { measure: 'idle isolate heap used per module', value: round(heapUsed / 1024 / 1024, 2), unit: 'MB' },
      ],
    };
    return [calls, lifecycle];
  },
};

export default benchmark;
