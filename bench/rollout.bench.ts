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
import { createVersionRouting, versionKeyFor } from '../src/runtime/routingSnapshot.js';
import { nsPerOpSync, round, type Benchmark, type BenchFigure, type BenchReport, type BenchRow } from './harness.js';

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

/** A candidate snapshot for the lookup bench (only its key, package and bindings are read). */
function routedCandidate(): Parameters<typeof createVersionRouting>[0][number]['candidate'] {
  return { id: 'greeter@2.0.0', pkg: {}, bindings: {}, optionalBindings: {} } as unknown as Parameters<typeof createVersionRouting>[0][number]['candidate'];
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
      const rows: BenchRow[] = [];
      const figures: BenchFigure[] = [];
      const measure = async (label: string, capability: string, method: string) => {
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
        rows.push({
          path: label,
          'plain ns/call': Math.round(median(a)),
          'per-client routing ns/call': Math.round(median(b)),
          'ratio (median of rounds)': round(median(ratios), 3),
          'ratio spread (p25–p75)': `${round(sorted[Math.floor(rounds * 0.25)]!, 3)}–${round(sorted[Math.floor(rounds * 0.75)]!, 3)}`,
        });
        return median(ratios);
      };
      const ratio = await measure('client.invoke, rollout at 50 %', 'greet.api', 'hello');
      figures.push({ target: 'perClientRoutingVsPlain', value: round(ratio, 3), baseline: `the same host set-up without a rollout, ${rounds} interleaved A/B rounds of ${n} calls over 1000 clients` });
      await measure('invoke + one module hop, rollout at 50 %', 'front.api', 'page');
      // At 100 % one isolate serves every client again: what is left is the routing's own cost.
      await routed.rollouts.promote(r.id);
      await measure('client.invoke, rollout at 100 % (one version serves)', 'greet.api', 'hello');
      // The lookup itself, out of the call: what each hop of a client adds while a rollout runs.
      const lookup = createVersionRouting([{ candidate: routedCandidate(), moduleId: 'greeter', rolloutId: r.id, percent: 50, named: [] }])!;
      let k = 0;
      const inRollout = nsPerOpSync(() => versionKeyFor(lookup, 'greeter', CLIENTS[k++ % CLIENTS.length]!), { minMs: ctx.quick ? 200 : 500, batch: 1000 });
      const otherModule = nsPerOpSync(() => versionKeyFor(lookup, 'front', CLIENTS[k++ % CLIENTS.length]!), { minMs: ctx.quick ? 200 : 500, batch: 1000 });
      return [
        {
          title: 'Per-client version routing: the lookup alone (versionKeyFor, 1000 clients)',
          rows: [
            { lookup: 'module in the rollout (cohort answer cached per client)', 'ns/hop': round(inRollout, 1) },
            { lookup: 'module not in a rollout', 'ns/hop': round(otherModule, 1) },
          ],
        },
        {
          title: 'Per-client version routing vs plain routing',
          rows,
          figures,
          notes: [
            'routed: a rollout running (both versions active side by side, the router picks per client on every hop); plain: no rollout (one field read on the path).',
            'At 50 % calls alternate between two isolates of the module; at 100 % one serves every client again (the routed host still runs one isolate more than the plain one).',
            'The lookup itself is the first table (tens of ns per hop); the rest of a ratio above 1 is the second isolate and the noise of a shared machine (see the spread).',
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
