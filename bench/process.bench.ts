/**
 * Process isolation overhead: the round trip of one small call through a sandbox in a
 * supervised child process (`isolation: 'process'`), against the in-process isolate
 * sandbox (`'isolate'`) and raw isolated-vm (`applySync`, and `apply` for calls in
 * flight), in one run. Measured one call at a time and with 64 calls in flight; plus the
 * child start-up time. Ratios are what to read: absolute figures depend on the (shared,
 * noisy) machine.
 */
import ivm from 'isolated-vm';
import { createIsolateSandboxFactory } from '../src/sandbox/index.js';
import { createProcessSandboxFactory } from '../src/sandbox/process/index.js';
import type { Sandbox, SandboxFactory, SandboxOptions } from '../src/sandbox/types.js';
import { nsPerOp, nsPerOpSync, percentile, round, timeMs, type Benchmark, type BenchReport } from './harness.js';

const CODE = `export async function activate() {
  return { 'bench.echo': { echo(input) { return input; } } };
}`;

const INPUT = { id: 42, name: 'acme' };
const CONTEXT = { clientId: 'bench', requestId: 'r', settings: {} };

function options(): SandboxOptions {
  return {
    moduleId: 'bench',
    version: '1.0.0',
    code: CODE,
    filename: 'bench/echo.js',
    permissions: [],
    limits: { memoryMb: 64, callTimeoutMs: 5000, activateTimeoutMs: 10_000, deactivateTimeoutMs: 5000 },
    log: () => {},
    callCapability: async () => undefined,
    onFatal: () => {},
  };
}

async function activeSandbox(factory: SandboxFactory): Promise<Sandbox> {
  const sandbox = await factory.create(options());
  await sandbox.activate({ config: {}, previousState: undefined });
  return sandbox;
}

/** ns per call with `inFlight` calls outstanding at any time (batches of inFlight). */
async function nsPerCallInFlight(sandbox: Sandbox, inFlight: number, minMs: number): Promise<number> {
  const batch = () => Promise.all(Array.from({ length: inFlight }, () => sandbox.call('bench.echo', 'echo', INPUT, CONTEXT)));
  return (await nsPerOp(batch, { minMs, batch: 4, warmup: 8 })) / inFlight;
}

const benchmark: Benchmark = {
  name: 'process',
  description: "round trip through isolation 'process' vs 'isolate' vs raw isolated-vm; child start-up",
  async run(ctx) {
    const minMs = ctx.quick ? 200 : 1000;

    // Raw isolated-vm: one function in one isolate, entered synchronously.
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const context = await isolate.createContext();
    const fn = (await context.eval('(function echo(json) { return JSON.stringify(JSON.parse(json)); })', {
      reference: true,
    })) as ivm.Reference<(json: string) => string>;
    const json = JSON.stringify(INPUT);
    const rawNs = nsPerOpSync(() => fn.applySync(undefined, [json]), { minMs });
    // The asynchronous entry (what a caller can have 64 of in flight): same function, same isolate.
    const rawAsyncNs = await nsPerOp(() => fn.apply(undefined, [json]), { minMs });
    const rawAsync64 =
      (await nsPerOp(() => Promise.all(Array.from({ length: 64 }, () => fn.apply(undefined, [json]))), { minMs, batch: 4, warmup: 8 })) / 64;
    ctx.log(`raw applySync: ${round(rawNs)} ns; raw apply: ${round(rawAsyncNs)} ns, 64 in flight ${round(rawAsync64)} ns/call`);

    const isolateFactory = createIsolateSandboxFactory();
    const inProcess = await activeSandbox(isolateFactory);
    const isolateNs = await nsPerOp(() => inProcess.call('bench.echo', 'echo', INPUT, CONTEXT), { minMs });
    const isolate64 = await nsPerCallInFlight(inProcess, 64, minMs);
    ctx.log(`isolate: ${round(isolateNs)} ns, 64 in flight ${round(isolate64)} ns/call`);

    const processFactory = createProcessSandboxFactory({ poolSize: 1 });
    const startups: number[] = [];
    let remote: Sandbox | undefined;
    try {
      // Start-up: a fresh factory's first create spawns the child (node + tsx + isolated-vm).
      const samples = ctx.quick ? 2 : 5;
      for (let i = 0; i < samples; i++) {
        const fresh = createProcessSandboxFactory({ poolSize: 1 });
        try {
          startups.push(await timeMs(() => fresh.create(options())));
        } finally {
          await fresh.close();
        }
      }
      remote = await activeSandbox(processFactory);
      const warmCreateMs = await timeMs(async () => (await processFactory.create(options())).dispose());
      const processNs = await nsPerOp(() => remote!.call('bench.echo', 'echo', INPUT, CONTEXT), { minMs, batch: 50, warmup: 200 });
      const process64 = await nsPerCallInFlight(remote, 64, minMs);
      ctx.log(`process: ${round(processNs)} ns, 64 in flight ${round(process64)} ns/call`);
      startups.sort((a, b) => a - b);

      const roundTrip: BenchReport = {
        title: 'Round trip of one small call (ns per call; ratio against raw applySync in the same run)',
        rows: [
          { path: 'raw isolated-vm applySync', 'one at a time ns': round(rawNs), 'x raw': 1, '64 in flight ns/call': '(synchronous)', 'x raw (64)': '' },
          {
            path: 'raw isolated-vm apply (async)',
            'one at a time ns': round(rawAsyncNs),
            'x raw': round(rawAsyncNs / rawNs),
            '64 in flight ns/call': round(rawAsync64),
            'x raw (64)': round(rawAsync64 / rawNs),
          },
          {
            path: "isolation: 'isolate'",
            'one at a time ns': round(isolateNs),
            'x raw': round(isolateNs / rawNs),
            '64 in flight ns/call': round(isolate64),
            'x raw (64)': round(isolate64 / rawNs),
          },
          {
            path: "isolation: 'process'",
            'one at a time ns': round(processNs),
            'x raw': round(processNs / rawNs),
            '64 in flight ns/call': round(process64),
            'x raw (64)': round(process64 / rawNs),
          },
        ],
        notes: [
          `process vs isolate: x${round(processNs / isolateNs)} one at a time, x${round(process64 / isolate64)} with 64 in flight.`,
          `process vs raw apply (async): x${round(processNs / rawAsyncNs)} one at a time, x${round(process64 / rawAsync64)} with 64 in flight.`,
          "'x raw' is against applySync (one at a time; 'isolate' uses it by default), including the 64-in-flight column.",
          'One call in flight pays a full IPC round trip (two JSON messages, two event-loop wake-ups in each process);',
          'with 64 in flight the messages pipeline and the per-call cost falls.',
        ],
      };
      const startup: BenchReport = {
        title: 'Child start-up (ms)',
        rows: [
          { what: 'first create on a fresh factory (spawn + ready + load)', median: round(percentile(startups, 50)), max: round(startups.at(-1)!), samples: startups.length },
          { what: 'create + dispose on a running child', median: round(warmCreateMs), max: round(warmCreateMs), samples: 1 },
        ],
        notes: ['Start-up is paid once per child (pool slot) and again after each crash, not per module.'],
      };
      return [roundTrip, startup];
    } finally {
      await remote?.dispose();
      await processFactory.close();
      await inProcess.dispose();
      isolate.dispose();
    }
  },
};

export default benchmark;
