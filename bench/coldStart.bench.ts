/**
 * Issue 15.2: starting a host over 500 modules, each start in a fresh child process
 * (bench/coldStart.child.ts), so that neither this process's code cache nor its warm heap
 * flatters the figure.
 *
 * The catalog: 40 chains of 10 (each module requires the one before) and 10 fan-ins (one
 * module requiring 9 others), 500 modules in all, each a ~20 KB bundle in the shape
 * `hotmod build` writes (distinct code per module, so each has its own compiled code).
 * Per round, interleaved: an eager start with the code cache removed (cold), an eager start
 * with the cache the cold one left (warm), and a start of the same catalog with
 * `activation: lazy` everywhere, which then makes the client's first call (on another
 * module: it loads the client's module set) and times the first call of a module without
 * dependencies against its warm calls (and the same for the last module of a chain, which
 * activates its 10 modules on that call).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_CACHE_DIR } from '../src/runtime/bundleModule.js';
import { percentile, round, type Benchmark, type BenchReport } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const CHAINS = 40;
const CHAIN_LENGTH = 10;
const FAN_INS = 10;
const FAN_WIDTH = 9;
const id = (i: number) => `m${String(i).padStart(4, '0')}`;

/** ~20 KB of code in esbuild's output shape: helpers (compiled lazily, as most of a real bundle is), a table built at load, activate. */
function bundleFor(moduleId: string, seed: number): string {
  const helpers = Array.from(
    { length: 120 },
    (_, i) => `function ${moduleId}_h${i}(input, k = ${seed + i}) {\n  const v = typeof input === 'object' && input !== null ? JSON.stringify(input).length : 0;\n  return { id: "${moduleId}", i: ${i}, v: v * k % 97, tag: "h${i}-${seed}" };\n}`,
  ).join('\n');
  return `// src/index.ts
${helpers}
var table = [${Array.from({ length: 120 }, (_, i) => `${moduleId}_h${i}`).join(', ')}];
async function activate(ctx) {
  return { "${moduleId}.api": { async get(input) { return table[((input && input.n) | 0) % table.length](input); } } };
}
export {
  activate
};
`;
}

export async function writeCatalog(dir: string, activation: 'eager' | 'lazy'): Promise<number> {
  const modules: { index: number; requires: number[] }[] = [];
  for (let c = 0; c < CHAINS; c++) for (let k = 0; k < CHAIN_LENGTH; k++) modules.push({ index: modules.length, requires: k === 0 ? [] : [modules.length - 1] });
  for (let f = 0; f < FAN_INS; f++) {
    const first = modules.length;
    for (let k = 0; k < FAN_WIDTH; k++) modules.push({ index: modules.length, requires: [] });
    modules.push({ index: modules.length, requires: Array.from({ length: FAN_WIDTH }, (_, k) => first + k) });
  }
  for (const m of modules) {
    const moduleId = id(m.index);
    const pkg = path.join(dir, moduleId);
    await mkdir(path.join(pkg, 'dist'), { recursive: true });
    const requires = Object.fromEntries(m.requires.map((r) => [`${id(r)}.api`, '^1.0.0']));
    await writeFile(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: `@cold/${moduleId}`, version: '1.0.0', main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id: moduleId, activation, provides: { [`${moduleId}.api`]: '1.0.0' }, requires } }),
    );
    await writeFile(path.join(pkg, 'dist/index.js'), bundleFor(moduleId, m.index * 7));
  }
  return modules.length;
}

type ChildResult = Record<string, number>;

function runChild(dir: string, mode: 'eager' | 'lazy'): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(here, 'coldStart.child.ts'), dir, mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`cold start child (${mode}) exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

async function removeCodeCache(dir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await rm(path.join(dir, id(i), CODE_CACHE_DIR), { recursive: true, force: true });
}

const benchmark: Benchmark = {
  name: 'coldStart',
  description: 'host start over 500 modules in fresh child processes: eager cold, eager with the code cache warm, lazy; first call of a lazy module',
  async run(ctx): Promise<BenchReport[]> {
    const dir = await mkdtemp(path.join(tmpdir(), 'hotmod-bench-cold-'));
    try {
      const eagerDir = path.join(dir, 'eager');
      const lazyDir = path.join(dir, 'lazy');
      const count = await writeCatalog(eagerDir, 'eager');
      await writeCatalog(lazyDir, 'lazy');
      const rounds = ctx.quick ? 2 : 5;
      const runs = { cold: [] as ChildResult[], warm: [] as ChildResult[], lazy: [] as ChildResult[] };
      for (let r = 0; r < rounds; r++) {
        ctx.log(`round ${r + 1}/${rounds}: eager cold, eager warm, lazy (${count} modules, a child process each)`);
        await removeCodeCache(eagerDir, count);
        runs.cold.push(await runChild(eagerDir, 'eager'));
        runs.warm.push(await runChild(eagerDir, 'eager'));
        runs.lazy.push(await runChild(lazyDir, 'lazy'));
      }
      for (const [kind, list] of Object.entries(runs)) {
        for (const run of list) if (run.modules !== count || (kind !== 'lazy' && run.active !== count)) throw new Error(`${kind} start: ${run.active}/${run.modules} active of ${count}`);
      }
      const pick = (list: ChildResult[], key: string) => list.map((r) => r[key]!).sort((a, b) => a - b);
      const median = (list: ChildResult[], key: string) => percentile(pick(list, key), 50);
      const spread = (list: ChildResult[], key: string) => `${round(pick(list, key)[0]!, 0)}–${round(pick(list, key).at(-1)!, 0)}`;
      const ratios = runs.warm.map((w, i) => w.startMs! / runs.cold[i]!.startMs!).sort((a, b) => a - b);
      const warmVsCold = percentile(ratios, 50);
      const lazyOver = runs.lazy.map((l) => l.leafFirstMs! - l.leafWarmMs!).sort((a, b) => a - b);
      const chainOver = runs.lazy.map((l) => l.chainEndFirstMs! - l.chainEndWarmMs!).sort((a, b) => a - b);
      const spreadNote = `median of ${rounds} rounds, each start in a fresh child process`;
      return [
        {
          title: `Cold start of ${count} modules (40 chains of 10, 10 fan-ins of 9; ~20 KB bundles), fresh child process per start`,
          rows: [
            { start: 'eager, code cache empty', 'median ms': round(median(runs.cold, 'startMs'), 0), 'min–max ms': spread(runs.cold, 'startMs'), 'ms / module': round(median(runs.cold, 'startMs') / count, 2), 'stop ms': round(median(runs.cold, 'stopMs'), 0) },
            { start: 'eager, code cache warm', 'median ms': round(median(runs.warm, 'startMs'), 0), 'min–max ms': spread(runs.warm, 'startMs'), 'ms / module': round(median(runs.warm, 'startMs') / count, 2), 'stop ms': round(median(runs.warm, 'stopMs'), 0) },
            { start: 'activation: lazy everywhere', 'median ms': round(median(runs.lazy, 'startMs'), 1), 'min–max ms': spread(runs.lazy, 'startMs'), 'ms / module': round(median(runs.lazy, 'startMs') / count, 3), 'stop ms': round(median(runs.lazy, 'stopMs'), 0) },
            { start: "lazy: the client's first call (loads its module set; another module)", 'median ms': round(median(runs.lazy, 'clientFirstCallMs'), 2), 'min–max ms': spread(runs.lazy, 'clientFirstCallMs'), 'ms / module': '', 'stop ms': '' },
            { start: 'lazy: first call of a module without dependencies', 'median ms': round(median(runs.lazy, 'leafFirstMs'), 2), 'min–max ms': spread(runs.lazy, 'leafFirstMs'), 'ms / module': '', 'stop ms': '' },
            { start: 'lazy: its warm call', 'median ms': round(median(runs.lazy, 'leafWarmMs'), 3), 'min–max ms': '', 'ms / module': '', 'stop ms': '' },
            { start: "lazy: first call of a chain's 10th module (activates 10)", 'median ms': round(median(runs.lazy, 'chainEndFirstMs'), 2), 'min–max ms': spread(runs.lazy, 'chainEndFirstMs'), 'ms / module': '', 'stop ms': '' },
          ],
          notes: [
            `warm / cold per round: ${ratios.map((x) => round(x, 2)).join(', ')}`,
            `CPU time of the eager cold start (medians): ${round(median(runs.cold, 'cpuMs'), 0)} ms in all threads, ${round(median(runs.cold, 'mainCpuMs'), 0)} ms on the host thread (warm: ${round(median(runs.warm, 'cpuMs'), 0)} / ${round(median(runs.warm, 'mainCpuMs'), 0)} ms); on 2 cores the wall time cannot go under the larger of the host thread's time and half of all`,
            `lazy first call over warm (no dependencies): ${lazyOver.map((x) => round(x, 2)).join(', ')} ms; a chain's end (10 activations): ${chainOver.map((x) => round(x, 1)).join(', ')} ms`,
            'wall-clock on a shared 2-core machine; each start is its own process (tsx load excluded: timed from createHost)',
          ],
          figures: [
            { target: 'coldStart500Eager', value: round(median(runs.cold, 'startMs'), 0), baseline: `absolute; ${spreadNote}, min–max ${spread(runs.cold, 'startMs')} ms` },
            { target: 'coldStart500WarmVsCold', value: round(warmVsCold, 3), baseline: `the cold start of the same round; ${rounds} rounds, spread ${round(ratios[0]!, 2)}–${round(ratios.at(-1)!, 2)}` },
            { target: 'coldStart500Lazy', value: round(median(runs.lazy, 'startMs'), 1), baseline: `absolute; ${spreadNote}, min–max ${spread(runs.lazy, 'startMs')} ms` },
            { target: 'lazyFirstCallOverWarm', value: round(percentile(lazyOver, 50), 2), baseline: `a warm call of the same module (median of 21), ${rounds} rounds, spread ${round(lazyOver[0]!, 2)}–${round(lazyOver.at(-1)!, 2)} ms` },
          ],
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
