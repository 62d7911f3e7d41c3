/**
 * Issue 18: a module in a capability-call loop must not hold the host's event loop. The
 * scenario of tests/sandbox/callLoops.test.ts (tests/fixtures/loops/loop-child.ts: a host over
 * HTTP in a child process, one call looping `call.capability('ping.api').ok()` until its
 * deadline) reports /health and invoke latency while the loop runs against the same
 * child's idle figures measured just before: the ratio is the cost of the loop to its
 * neighbours. Target: p99 < 50 ms under the loop (bench/targets.ts is the resolver's table;
 * this one prints its own).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, type Benchmark, type BenchReport, type BenchRow } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = path.join(root, 'tests/fixtures/loops/loop-child.ts');

type Line = Record<string, unknown> & { event?: string };

function runChild(isolation: 'isolate' | 'process'): Promise<Line> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', script, isolation, 'deadline'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loop child (${isolation}) did not finish in 60 s: the loop held the event loop`));
    }, 60_000);
    let buffer = '';
    let outcome: Line | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Line;
        buffer = buffer.slice(nl + 1);
        if (line.event === 'outcome') outcome = line;
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (outcome) resolve(outcome);
      else reject(new Error(`loop child (${isolation}) exited without an outcome`));
    });
  });
}

const benchmark: Benchmark = {
  name: 'callLoops',
  description: 'latency of /health and invoke while another call loops on a capability, against idle in the same child',
  async run(ctx): Promise<BenchReport[]> {
    const rows: BenchRow[] = [];
    for (const isolation of ['isolate', 'process'] as const) {
      ctx.log(`${isolation}: a 3 s capability loop beside /health and invoke`);
      const o = await runChild(isolation);
      const idle = o.idle as Record<string, number>;
      for (const what of ['Health', 'Invoke'] as const) {
        const p99 = o[`p99${what}Ms`] as number;
        rows.push({
          isolation,
          request: what === 'Health' ? 'GET /health' : 'client.invoke',
          'idle p99 ms': round(idle[`p99${what}Ms`]!, 1),
          'under loop p99 ms': round(p99, 1),
          'ratio': round(p99 / Math.max(idle[`p99${what}Ms`]!, 0.1), 2),
          'target p99 < 50 ms': p99 < 50 ? 'met' : 'not met',
          'loop ended with': String(o.code),
        });
      }
    }
    return [{ title: 'A capability-call loop beside other callers (issue 18.1)', rows, notes: ['the loop call ends at its deadline (callTimeoutMs 3000) with E_CALL_TIMEOUT; hops yield to the event loop after 1 ms of microtask work'] }];
  },
};
export default benchmark;
