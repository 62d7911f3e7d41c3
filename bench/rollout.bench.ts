/**
 * Per-client version routing: `client.invoke` (and a module-to-module hop) on a host with a
 * rollout running at 50 % (each call's client picks its version: the cohort hash, cached per
 * client) against the same host set-up with no rollout (the plain path), in interleaved
 * A/B rounds over 1000 clients; the figure is the median of the per-round ratios.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHost, type Host } from '../src/runtime/index.js';
import { round, type Benchmark, type BenchReport } from './harness.js';

const FIXTURES = path.resolve(import.meta.dirname, '../tests/fixtures/rollout');
const CLIENTS = Array.from({ length: 1000 }, (_, i) => `client-${i}`);

async function modulesDir(root: string, name: string, folders: string[]): Promise<string> {
  const dir = path.join(root, name);
  for (const f of folders) await cp(path.join(FIXTURES, f), path.join(dir, f), { recursive: true });
  return dir;
}

/** ns per call over `n` calls, the client rotating over CLIENTS. */
async function perCall(host: Host, capability: string, method: string, n: number): Promise<number> {
  const clients = CLIENTS.map((c) => host.client(c));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await clients[i % clients.length]!.invoke(capability, method, {});
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const benchmark: Benchmark = {
  name: 'rollout',
  description: 'invoke with per-client version routing (a rollout at 50 %) vs plain routing, interleaved A/B',
  async run(ctx): Promise<BenchReport[]> {
    const root = await mkdtemp(path.join(tmpdir(), 'hotmod-bench-rollout-'));
    const hosts: Host[] = [];
    try {
      // Both hosts alike (PGlite in memory, rollouts on); only the routed one has a rollout running.
      const options = (dir: string, hostId: string) => ({ modulesDir: dir, store: 'memory', configFile: false as const, watch: false, rollouts: { hostId, pollIntervalMs: 60_000, reportIntervalMs: 60_000 } });
      const plain = await createHost(options(await modulesDir(root, 'plain', ['greeter-1', 'front']), 'plain'));
      hosts.push(plain);
      await plain.start();
      // Both version folders: a pending rollout record first, so the host holds 2.0.0 out of its catalog and runs it as the candidate.
      const routed = await createHost(options(await modulesDir(root, 'routed', ['greeter-1', 'greeter-2', 'front']), 'routed'));
      hosts.push(routed);
      await routed.start();
      // With both folders and no rollout yet the catalog picked 2.0.0: roll out 1.0.0 against it (the routing is the same either way).
      const r = await routed.rollouts.start({ moduleId: 'greeter', version: '1.0.0', stages: [50, 100], bake: '1h' });
      ctx.log(`rollout ${r.id}: ${r.state} at ${r.percent} %`);
      const split = new Set<string>();
      for (const c of CLIENTS.slice(0, 50)) split.add(((await routed.client(c).invoke('greet.api', 'hello', {})) as { version: string }).version);
      if (split.size !== 2) throw new Error(`expected both versions to serve at 50 %, saw ${[...split].join(', ')}`);

      const rounds = ctx.quick ? 8 : 30;
      const n = ctx.quick ? 1000 : 3000;
      const rows = [];
      const figures = [];
      for (const [label, capability, method] of [
        ['client.invoke', 'greet.api', 'hello'],
        ['invoke + one module hop', 'front.api', 'page'],
      ] as const) {
        await perCall(plain, capability, method, n);
        await perCall(routed, capability, method, n);
        const a: number[] = [];
        const b: number[] = [];
        const ratios: number[] = [];
        for (let i = 0; i < rounds; i++) {
          // Alternate which goes first, so neither always runs on a cooler cache.
          let x: number, y: number;
          if (i % 2 === 0) {
            x = await perCall(plain, capability, method, n);
            y = await perCall(routed, capability, method, n);
          } else {
            y = await perCall(routed, capability, method, n);
            x = await perCall(plain, capability, method, n);
          }
          a.push(x);
          b.push(y);
          ratios.push(y / x);
        }
        const sorted = [...ratios].sort((p, q) => p - q);
        const ratio = median(ratios);
        rows.push({
          path: label,
          'plain ns/call': Math.round(median(a)),
          'per-client routing ns/call': Math.round(median(b)),
          'ratio (median of rounds)': round(ratio, 3),
          'ratio spread (p25–p75)': `${round(sorted[Math.floor(rounds * 0.25)]!, 3)}–${round(sorted[Math.floor(rounds * 0.75)]!, 3)}`,
        });
        if (label === 'client.invoke')
          figures.push({ target: 'perClientRoutingVsPlain' as const, value: round(ratio, 3), baseline: `the same host set-up without a rollout, ${rounds} interleaved A/B rounds of ${n} calls over 1000 clients` });
      }
      return [
        {
          title: 'Per-client version routing vs plain routing',
          rows,
          figures,
          notes: [
            'routed: a rollout at 50 % (both versions active side by side, the router picks per client on every hop); plain: no rollout (one field read on the path).',
          ],
        },
      ];
    } finally {
      for (const h of hosts) await h.stop().catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default benchmark;
