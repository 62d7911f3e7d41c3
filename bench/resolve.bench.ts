/**
 * Resolver throughput on synthetic catalogs (built in memory, no disk): 1,000 and 10,000
 * module ids, three versions each, about five requirements per module, with some newest
 * versions broken or built for another hotmod so the search has to backtrack.
 *
 * Baseline, measured in the same run: a plain topological sort (the `toposort` package)
 * of the same graph with the newest version of each id and no version choice at all: the
 * floor any resolver pays for ordering. Targets on the 2-core CI machine: < 50 ms for 1,000
 * and < 500 ms for 10,000 ids.
 */
import toposort from 'toposort';
import semver from 'semver';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolvePlan, type ModulePackage } from '../src/registry/index.js';
import { syntheticPackages } from '../tests/registry/syntheticCatalog.js';
import { round, percentile, type Benchmark, type BenchRow } from './harness.js';

const HOST = '1.0.0';

/** Newest version per id, edges to dependsOn ids and to the newest provider of each required capability. */
function baselineToposort(packages: readonly ModulePackage[]): string[] {
  const newest = new Map<string, ModulePackage>();
  for (const p of packages) {
    const seen = newest.get(p.manifest.id);
    if (!seen || semver.gt(p.manifest.version, seen.manifest.version)) newest.set(p.manifest.id, p);
  }
  const provider = new Map<string, string>();
  for (const p of newest.values()) for (const cap of Object.keys(p.manifest.provides)) provider.set(cap, p.manifest.id);
  const edges: [string, string][] = [];
  for (const p of newest.values()) {
    for (const dep of Object.keys(p.manifest.dependsOn)) edges.push([dep, p.manifest.id]);
    for (const cap of Object.keys(p.manifest.requires)) {
      const from = provider.get(cap);
      if (from) edges.push([from, p.manifest.id]);
    }
  }
  return toposort.array([...newest.keys()], edges);
}

function timeRuns(fn: () => unknown, runs: number): number[] {
  fn(); // warm-up: JIT and the shared semver memo
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const bench: Benchmark = {
  name: 'resolve',
  description: 'resolvePlan on synthetic catalogs of 1,000 and 10,000 modules (~5 requirements, 3 versions each)',
  async run(ctx) {
    const sizes = ctx.quick ? [{ n: 200, target: 50 }, { n: 1000, target: 50 }] : [{ n: 1000, target: 50 }, { n: 10_000, target: 500 }];
    const rows: BenchRow[] = [];
    for (const { n, target } of sizes) {
      // Frozen like a catalog snapshot: "warm" resolves reuse its index. "cold" passes a fresh copy each time.
      const packages = Object.freeze(syntheticPackages(n));
      const runs = n >= 10_000 ? 9 : 25;
      ctx.log(`${n} ids, ${packages.length} packages: ${runs} runs each`);
      let plan = resolvePlan(packages, { hostVersion: HOST });
      const resolveTimes = timeRuns(() => (plan = resolvePlan([...packages], { hostVersion: HOST })), runs);
      const warmTimes = timeRuns(() => resolvePlan(packages, { hostVersion: HOST }), runs);
      const partialTimes = timeRuns(() => resolvePlan([...packages], { hostVersion: HOST, mode: 'partial' }), runs);
      const baseTimes = timeRuns(() => baselineToposort(packages), runs);
      const median = percentile(resolveTimes, 50);
      const base = percentile(baseTimes, 50);
      const older = plan.modules.filter((m) => m.version !== '2.1.0').length;
      rows.push({
        ids: n,
        packages: packages.length,
        'resolve ms (median)': round(median, 1),
        'resolve ms (min)': round(resolveTimes[0]!, 1),
        'same snapshot again ms': round(percentile(warmTimes, 50), 1),
        'partial ms (median)': round(percentile(partialTimes, 50), 1),
        'toposort baseline ms': round(base, 1),
        'ratio vs baseline': round(median / base, 2),
        'target ms': target,
        'meets target': median < target ? 'yes' : 'no',
        'levels': plan.levels.length,
        'older versions chosen': older,
      });
    }
    return [
      {
        title: 'resolvePlan on synthetic catalogs',
        rows,
        notes: [
          'resolve: a fresh package list each run (index built every time), strict mode. "same snapshot again": the frozen list resolved again (index reused).',
          'baseline: toposort of the same graph with the newest version of each id (no version choice, no explanations).',
          '"older versions chosen": modules whose newest version was broken or built for another hotmod, so the resolver backtracked.',
          `The machine is shared (load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores): compare the ratio across runs, not the milliseconds.`,
        ],
      },
    ];
  },
};

export default bench;
