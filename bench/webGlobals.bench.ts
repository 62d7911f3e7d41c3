/**
 * Issue 13: what the web-standard globals cost and what a real library costs through the
 * sandbox. (1) create + activate of a module with the globals (lazy: bound, built on first
 * touch) against without them, and with them built up front (with and without the setup
 * script's code cache), and of a module whose top-level code touches them, interleaved in
 * one run; the goal is < 10%.
 * (2) zod validation of one ~300-byte order: client.invoke through a real host (and the
 * bare sandbox call) against calling zod directly in Node.
 */
import { mkdtemp, rm, symlink, writeFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { bundleModule } from '../src/runtime/bundleModule.js';
import { createHost } from '../src/runtime/index.js';
import { createIsolateSandboxFactory, type SandboxOptions } from '../src/sandbox/index.js';
import { setupSwitches } from '../src/sandbox/isolateSetup.js';
import { benchSwitches } from '../src/sandbox/webGlobals/index.js';
import { nsPerOp, nsPerOpSync, percentile, round, timeMs, type Benchmark, type BenchReport } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SMALL = `export async function activate() { return { svc: { ping: () => 'pong' } }; }`;
const CONTEXT = { clientId: 'c1', requestId: 'r1', settings: {} };
const SCHEMA_SOURCE = `z.object({
  id: z.string().uuid(), email: z.string().email(),
  items: z.array(z.object({ sku: z.string().regex(/^[A-Z]{3}-\\d+$/), qty: z.number().int().positive() })).min(1),
  placed: z.string().datetime(), total: z.number().nonnegative(),
})`;
const ORDER = { id: '3b241101-e2bb-4255-8caf-4136c566a962', email: 'a@b.co', items: [{ sku: 'ABC-12', qty: 2 }, { sku: 'XYZ-1', qty: 5 }, { sku: 'QRS-77', qty: 1 }], placed: '2024-05-06T07:08:09Z', total: 12.5 };

function options(code: string): SandboxOptions {
  return {
    moduleId: 'bench', version: '1.0.0', code, filename: '/bench/web/index.js', permissions: ['log'],
    limits: { memoryMb: 64, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
    log: () => {}, callCapability: async () => undefined, onFatal: () => {},
  };
}

const benchmark: Benchmark = {
  name: 'webGlobals',
  description: 'create + activate with the web globals vs without; zod validation via a sandbox call vs direct',
  async run(ctx): Promise<BenchReport[]> {
    const factory = createIsolateSandboxFactory();
    const rounds = ctx.quick ? 15 : 60;
    const TOUCHING = `const encoder = new TextEncoder();\n${SMALL}`;
    const variants = {
      'without globals': { enabled: false, lazy: true, codeCache: true, code: SMALL },
      'with globals (lazy, untouched)': { enabled: true, lazy: true, codeCache: true, code: SMALL },
      'with globals (lazy, touched at top level)': { enabled: true, lazy: true, codeCache: true, code: TOUCHING },
      'with globals built up front': { enabled: true, lazy: false, codeCache: true, code: SMALL },
      'with globals built up front, no setup code cache': { enabled: true, lazy: false, codeCache: false, code: SMALL },
    } as const;
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const createOnce = async (code: string) => {
      const sandbox = await factory.create(options(code));
      await sandbox.activate({ config: {}, previousState: undefined });
      await sandbox.dispose();
    };
    const apply = (v: (typeof variants)[keyof typeof variants]) => {
      benchSwitches.enabled = v.enabled;
      benchSwitches.lazy = v.lazy;
      setupSwitches.codeCache = v.codeCache;
    };
    for (let i = 0; i < 5; i++) await createOnce(SMALL);
    const ratios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const round: Record<string, number> = {};
      for (const [name, v] of Object.entries(variants)) {
        apply(v);
        const samples: number[] = [];
        for (let k = 0; k < 3; k++) samples.push(await timeMs(() => createOnce(v.code)));
        round[name] = percentile(samples.sort((a, b) => a - b), 50);
        times[name]!.push(round[name]!);
      }
      ratios.push(round['with globals (lazy, untouched)']! / round['without globals']!);
    }
    apply(variants['with globals (lazy, untouched)']);
    const median = (name: string) => percentile([...times[name]!].sort((a, b) => a - b), 50);
    const base = median('without globals');
    const createRows = Object.keys(variants).map((name) => ({
      variant: name,
      'median ms': round(median(name), 3),
      'p90 ms': round(percentile([...times[name]!].sort((a, b) => a - b), 90), 3),
      'vs without': round(median(name) / base, 3),
    }));
    ratios.sort((a, b) => a - b);
    const globalsCost = percentile(ratios, 50);

    // zod: the same schema bundled into a module by hotmod's bundler, and in Node.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-bench-zod-'));
    let callNs = 0, directNs = 0, invokeNs = 0;
    try {
      await mkdir(path.join(dir, 'src'));
      await symlink(path.resolve(here, '../node_modules'), path.join(dir, 'node_modules'), 'dir');
      const pkgDir = path.join(dir, 'modules/orders');
      await mkdir(path.join(pkgDir, 'src'), { recursive: true });
      await symlink(path.resolve(here, '../node_modules'), path.join(pkgDir, 'node_modules'), 'dir');
      await writeFile(
        path.join(pkgDir, 'package.json'),
        JSON.stringify({ name: '@bench/orders', version: '1.0.0', main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'orders', provides: { 'bench.orders': '1.0.0' } } }),
      );
      await writeFile(path.join(pkgDir, 'src/index.ts'), `import { z } from 'zod';\nconst Order = ${SCHEMA_SOURCE};\nexport async function activate() { return { 'bench.orders': { validate: (input: unknown) => Order.safeParse(input).success } }; }\n`);
      const built = await bundleModule(pkgDir);
      const host = await createHost({ modulesDir: path.join(dir, 'modules'), store: 'none', configFile: false });
      await host.start();
      const client = host.client('client-1');
      const sandbox = await factory.create(options(await readFile(built.outfile, 'utf8')));
      await sandbox.activate({ config: {}, previousState: undefined });
      const Order = new Function('z', `return ${SCHEMA_SOURCE}`)(z) as z.ZodType;
      const minMs = ctx.quick ? 200 : 1000;
      if ((await client.invoke('bench.orders', 'validate', ORDER)) !== true || !Order.safeParse(ORDER).success) throw new Error('the order must validate');
      invokeNs = await nsPerOp(() => client.invoke('bench.orders', 'validate', ORDER), { minMs });
      callNs = await nsPerOp(() => sandbox.call('bench.orders', 'validate', ORDER, CONTEXT), { minMs });
      directNs = nsPerOpSync(() => Order.safeParse(ORDER), { minMs });
      ctx.log(`zod bundle: ${built.bytes} bytes`);
      await sandbox.dispose();
      await host.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return [
      {
        title: 'create + activate (one small module), interleaved',
        rows: createRows,
        notes: [
          `goal: with globals < 1.10 × without; per-round ratio (lazy, untouched / without): median ${round(globalsCost, 3)}, spread ${round(ratios[0]!, 3)}–${round(ratios.at(-1)!, 3)}`,
          'a module touching any global at its top level pays for building them all once (the "touched" row)',
        ],
        figures: [{ target: 'webGlobalsCreateCost', value: round(globalsCost, 3), baseline: `the same create + activate without the globals, same run; median of ${rounds} interleaved round ratios, spread ${round(ratios[0]!, 2)}–${round(ratios.at(-1)!, 2)}` }],
      },
      {
        title: 'zod safeParse of one order (~300 bytes of JSON)',
        rows: [
          { path: 'direct in Node', 'µs/op': round(directNs / 1000, 2), 'vs direct': 1 },
          { path: 'the bare sandbox call', 'µs/op': round(callNs / 1000, 2), 'vs direct': round(callNs / directNs, 2) },
          { path: 'client.invoke (router + sandbox)', 'µs/op': round(invokeNs / 1000, 2), 'vs direct': round(invokeNs / directNs, 2) },
        ],
        figures: [{ target: 'zodInvokeVsNode', value: round(invokeNs / directNs, 2), baseline: `zod's safeParse of the same order called directly in Node, same run (${round(directNs / 1000, 2)} µs/op)` }],
      },
    ];
  },
};

export default benchmark;
