/**
 * Idle memory per module, each sample in a FRESH child process (bench/memoryChild.ts): RSS
 * before and after creating N of a kind, divided by N. A process that has already created
 * and disposed isolates hands the freed pages to the next ones, so an in-process figure
 * reads a fraction of what a host that starts N modules pays (issue 17: 0.15 MB in process,
 * 1.36 MB fresh). Kinds: a bare isolate (isolate + context), a raw isolate doing a module's
 * work by hand (bundle compiled, evaluated, activate run), and a module as the sandbox
 * factory makes it (create + activate + one call). The kinds run in rotation (bare, raw,
 * module, bare, …) so that the machine's state falls on all alike; medians are reported.
 * Figure: idleRssPerModule (MB per module; baseline: the bare isolate in the same run).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatSpread, round, spreadOf, type Benchmark, type BenchReport } from './harness.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const KINDS = ['bare', 'raw', 'module'] as const;
type Kind = (typeof KINDS)[number];

interface ChildResult {
  kind: Kind;
  count: number;
  rssBefore: number;
  rssAfter: number;
  heapUsedPerIsolate: number;
}

async function sample(kind: Kind, count: number): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--no-node-snapshot', '--expose-gc', '--import', 'tsx', path.join(here, 'memoryChild.ts'), kind, String(count)], {
    cwd: root,
    maxBuffer: 1024 * 1024,
  });
  const line = stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as ChildResult;
}

const MB = 1024 * 1024;

const bench: Benchmark = {
  name: 'memory',
  description: 'idle RSS per module vs a bare isolate, each sample in a fresh child process',
  async run(ctx): Promise<BenchReport[]> {
    const count = ctx.quick ? 20 : 50;
    const repeats = ctx.quick ? 1 : 3;
    const perModule: Record<Kind, number[]> = { bare: [], raw: [], module: [] };
    const heap: Record<Kind, number[]> = { bare: [], raw: [], module: [] };
    for (let r = 0; r < repeats; r++) {
      for (const kind of KINDS) {
        ctx.log(`${kind}: ${count} in a fresh process (${r + 1}/${repeats})`);
        const s = await sample(kind, count);
        perModule[kind].push((s.rssAfter - s.rssBefore) / s.count / MB);
        heap[kind].push(s.heapUsedPerIsolate / MB);
      }
    }
    const med = (k: Kind) => spreadOf(perModule[k]);
    const bare = med('bare');
    const mod = med('module');
    const raw = med('raw');
    const rows = KINDS.map((k) => ({
      kind: { bare: 'bare isolate (isolate + context)', raw: 'raw isolate, bundle compiled + activate run', module: 'module (sandbox create + activate + one call)' }[k],
      'RSS MB each (median)': round(med(k).median, 3),
      'p25–p75': `${round(med(k).p25, 3)}–${round(med(k).p75, 3)}`,
      'isolate heap used MB': round(spreadOf(heap[k]).median, 3),
      'x bare isolate': round(med(k).median / bare.median, 2),
    }));
    return [
      {
        title: `Idle memory per module (${count} per fresh process, ${repeats} process${repeats > 1 ? 'es' : ''} per kind)`,
        rows,
        notes: [
          'RSS delta / N in a process that made nothing before: what a host that starts N modules pays per module.',
          'Measured in process after a create/dispose loop the figure would read far lower (freed pages reused): see docs/benchmarks.md.',
        ],
        figures: [
          {
            target: 'idleRssPerModule',
            value: mod.median,
            baseline: `bare isolate ${formatSpread(bare, 3)} MB, raw isolate same work ${round(raw.median, 3)} MB; ${count} per fresh process, ${repeats}× per kind`,
          },
        ],
      },
    ];
  },
};

export default bench;
