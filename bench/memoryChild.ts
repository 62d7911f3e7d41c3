/**
 * The child process of bench/memory.bench.ts (not a bench itself: run.ts picks only
 * *.bench.ts). `memoryChild.ts KIND COUNT`: in this fresh process, takes RSS, creates COUNT
 * of KIND and keeps them alive, takes RSS again, and prints one JSON line
 * `{ kind, count, rssBefore, rssAfter, heapUsedPerIsolate }` (bytes) on stdout.
 *
 * KIND: 'bare' (an isolated-vm isolate and a context, nothing run), 'raw' (the same plus the
 * module's bundle compiled, evaluated and activate run: the work a module needs, by hand),
 * 'module' (the sandbox factory's create + activate + one call: what the host holds per module).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import ivm from 'isolated-vm';
import { createIsolateSandboxFactory, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';

const MODULE_CODE = `
export async function activate() {
  return {
    'bench.svc': {
      async settle(input) { return { ok: true, items: input.items.length, user: input.user }; },
    },
  };
}`;
const INPUT = { user: 'alice@example.com', items: [1, 2, 3] };
const MEMORY_MB = 64; // the host's default limits.memoryMb

function options(i: number): SandboxOptions {
  return {
    moduleId: `bench-${i}`,
    version: '1.0.0',
    code: MODULE_CODE,
    filename: `/bench/${i}/index.js`,
    permissions: ['timers'],
    limits: { memoryMb: MEMORY_MB, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
    log: () => {},
    callCapability: async () => undefined,
    onFatal: () => {},
  };
}

async function settle(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(30);
  }
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  const count = Number(process.argv[3] ?? 50);
  if (kind !== 'bare' && kind !== 'raw' && kind !== 'module') throw new Error(`memoryChild: kind must be bare, raw or module, got ${kind}`);
  const factory = createIsolateSandboxFactory();
  const held: unknown[] = [];
  const isolates: ivm.Isolate[] = [];
  const sandboxes: Sandbox[] = [];
  const rssBefore = await settle();
  for (let i = 0; i < count; i++) {
    if (kind === 'module') {
      const s = await factory.create(options(i));
      await s.activate({ config: {}, previousState: undefined });
      await s.call('bench.svc', 'settle', INPUT, { clientId: 'c', requestId: 'r', settings: {} });
      sandboxes.push(s);
      continue;
    }
    const isolate = new ivm.Isolate({ memoryLimit: MEMORY_MB });
    const context = isolate.createContextSync();
    isolates.push(isolate);
    held.push(context);
    if (kind === 'raw') {
      const mod = isolate.compileModuleSync(MODULE_CODE, { filename: `/bench/${i}/index.js` });
      mod.instantiateSync(context, () => {
        throw new Error('no imports');
      });
      mod.evaluateSync();
      const activate = (await mod.namespace.get('activate', { reference: true })) as ivm.Reference;
      held.push(mod, await activate.apply(undefined, [], { result: { promise: true, reference: true } }));
    }
  }
  const rssAfter = await settle();
  let heap = 0;
  if (kind === 'module') for (const s of sandboxes) heap += s.metrics().heapUsedBytes;
  else for (const iso of isolates) heap += iso.getHeapStatisticsSync().used_heap_size;
  process.stdout.write(JSON.stringify({ kind, count, rssBefore, rssAfter, heapUsedPerIsolate: heap / count }) + '\n');
  process.exit(0);
}

await main();
