/**
 * Resolver throughput. Two catalog shapes, built in memory (no disk):
 *   - "layers": tests/registry/syntheticCatalog.ts, one provider per capability (no choice
 *     between providers; some newest versions broken or for another hotmod);
 *   - "alternatives": tests/registry/alternativesCatalog.ts, the shape of issue 17: ~2.2
 *     versions per id, a few hundred capabilities each offered by dozens of providers at
 *     different versions, broken newest versions, 30% of modules with dependsOn, a few
 *     requirements that may close cycles. A solution exists by construction.
 *
 * Each subject runs interleaved with its baseline, A/B/A/B, in the same loop (the machine
 * is shared: a figure measured minutes apart from its baseline means little), and reports
 * medians with the spread (p25–p75) of both. Baseline: a plain topological sort (the
 * `toposort` package) of the same graph, newest version of each id, first provider of each
 * capability, no version choice: the floor any resolver pays for ordering.
 *
 * Subjects: cold (a fresh package list: the index is built), warm (the same frozen
 * snapshot again: index reused), re-resolve (one module's newest version replaced, as the
 * watcher and host.swap do: a new snapshot).
 */
import toposort from 'toposort';
import semver from 'semver';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolvePlan, type ModulePackage } from '../src/registry/index.js';
import { syntheticPackages } from '../tests/registry/syntheticCatalog.js';
import { alternativesPackages } from '../tests/registry/alternativesCatalog.js';
import { round, percentile, type Benchmark, type BenchRow } from './harness.js';
import { TARGETS, verdict, type Target } from './targets.js';

const HOST = '1.0.0';

/** Newest version per id, edges to dependsOn ids and to the first provider of each required capability. */
function baselineToposort(packages: readonly ModulePackage[]): string[] {
  const newest = new Map<string, ModulePackage>();
  for (const p of packages) {
    const seen = newest.get(p.manifest.id);
    if (!seen || semver.gt(p.manifest.version, seen.manifest.version)) newest.set(p.manifest.id, p);
  }
  const provider = new Map<string, string>();
  for (const p of newest.values()) for (const cap of Object.keys(p.manifest.provides)) if (!provider.has(cap)) provider.set(cap, p.manifest.id);
  const edges: [string, string][] = [];
  for (const p of newest.values()) {
    for (const dep of Object.keys(p.manifest.dependsOn)) if (newest.has(dep)) edges.push([dep, p.manifest.id]);
    for (const cap of Object.keys(p.manifest.requires)) {
      const from = provider.get(cap);
      if (from && from !== p.manifest.id) edges.push([from, p.manifest.id]);
    }
  }
  try {
    return toposort.array([...newest.keys()], edges);
  } catch {
    return []; // the newest versions close a cycle: the sort stops there, which is all a floor needs
  }
}

/** A/B rounds: each round runs every subject once, in a rotating order; returns sorted times per subject. */
function interleaved(subjects: Record<string, () => unknown>, rounds: number, warmUp = true): Record<string, number[]> {
  const names = Object.keys(subjects);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  if (warmUp) for (const n of names) subjects[n]!(); // warm-up: JIT and the shared semver memo
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length]!;
      const start = performance.now();
      subjects[n]!();
      times[n]!.push(performance.now() - start);
    }
  }
  for (const n of names) times[n]!.sort((a, b) => a - b);
  return times;
}

const med = (t: readonly number[]) => round(percentile(t, 50), 1);
const spread = (t: readonly number[]) => `${round(percentile(t, 25), 1)}–${round(percentile(t, 75), 1)}`;

/** The same snapshot with one id's newest package replaced by an edited copy (a new object, as a rescan makes). */
function withOneChange(packages: readonly ModulePackage[], generation: number): readonly ModulePackage[] {
  const i = Math.floor(packages.length / 2) + (generation % 7);
  const old = packages[i]!;
  const changed: ModulePackage = { ...old, manifest: { ...old.manifest }, dir: `${old.dir}#${generation}` };
  const out = [...packages];
  out[i] = changed;
  return Object.freeze(out);
}

const bench: Benchmark = {
  name: 'resolve',
  description: 'resolvePlan on synthetic catalogs, with and without alternative providers, against a toposort baseline run interleaved',
  async run(ctx) {
    const cases: { shape: string; n: number; make: () => ModulePackage[]; target?: Target; reresolve?: Target }[] = ctx.quick
      ? [
          { shape: 'layers', n: 1000, make: () => syntheticPackages(1000) },
          { shape: 'alternatives', n: 1000, make: () => alternativesPackages(1000) },
          { shape: 'alternatives', n: 10_000, make: () => alternativesPackages(10_000), target: TARGETS.resolve10k, reresolve: TARGETS.reresolve10k },
        ]
      : [
          { shape: 'layers', n: 10_000, make: () => syntheticPackages(10_000) },
          { shape: 'alternatives', n: 10_000, make: () => alternativesPackages(10_000), target: TARGETS.resolve10k, reresolve: TARGETS.reresolve10k },
          { shape: 'alternatives', n: 100_000, make: () => alternativesPackages(100_000), target: TARGETS.resolve100k },
        ];
    const rows: BenchRow[] = [];
    const summary: BenchRow[] = [];
    for (const c of cases) {
      const packages = Object.freeze(c.make());
      // 100,000 ids: one round, no warm-up (the first resolve above warmed the JIT and the memo); it takes minutes today.
      const rounds = c.n >= 100_000 ? 1 : c.n >= 10_000 ? 7 : 15;
      ctx.log(`${c.shape} ${c.n} ids, ${packages.length} packages: ${rounds} interleaved rounds`);
      let plan = resolvePlan(packages, { hostVersion: HOST });
      let generation = 0;
      const t = interleaved(
        {
          baseline: () => baselineToposort(packages),
          cold: () => (plan = resolvePlan([...packages], { hostVersion: HOST })),
          warm: () => resolvePlan(packages, { hostVersion: HOST }),
          reresolve: () => resolvePlan(withOneChange(packages, ++generation), { hostVersion: HOST }),
        },
        rounds,
        c.n < 100_000,
      );
      const base = percentile(t.baseline!, 50);
      const cold = percentile(t.cold!, 50);
      const newest = new Map<string, string>();
      for (const p of packages) {
        const seen = newest.get(p.manifest.id);
        if (!seen || semver.gt(p.manifest.version, seen)) newest.set(p.manifest.id, p.manifest.version);
      }
      const newestChosen = plan.modules.filter((m) => m.version === newest.get(m.id)).length;
      rows.push({
        shape: c.shape,
        ids: c.n,
        packages: packages.length,
        'cold ms (p50)': med(t.cold!),
        'cold p25–p75': spread(t.cold!),
        'warm ms (p50)': med(t.warm!),
        're-resolve ms (p50)': med(t.reresolve!),
        'baseline ms (p50)': med(t.baseline!),
        'baseline p25–p75': spread(t.baseline!),
        'cold / baseline': round(cold / base, 2),
        'older versions chosen': plan.modules.length - newestChosen,
        levels: plan.levels.length,
      });
      ctx.log(JSON.stringify(rows[rows.length - 1]));
      if (c.target) summary.push({ target: c.target.what, goal: `< ${c.target.max} ${c.target.unit}`, measured: `${med(t.cold!)} ms (baseline ${med(t.baseline!)} ms, ${round(cold / base, 1)}x)`, verdict: verdict(cold, c.target) });
      if (c.reresolve) summary.push({ target: c.reresolve.what, goal: `< ${c.reresolve.max} ${c.reresolve.unit}`, measured: `${med(t.reresolve!)} ms`, verdict: verdict(percentile(t.reresolve!, 50), c.reresolve) });
    }
    const load = `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`;
    return [
      {
        title: 'resolvePlan on synthetic catalogs (interleaved with the toposort baseline)',
        rows,
        notes: [
          'cold: a fresh package list each run (index built), strict mode; warm: the same frozen snapshot (index reused); re-resolve: one package replaced (a new snapshot).',
          'baseline: toposort of the same graph, newest version of each id, first provider of each capability (no choice, no explanations).',
          `"older versions chosen": modules whose newest version could not be part of the plan. The machine is shared (${load}): read the ratio, not the milliseconds.`,
        ],
      },
      { title: 'resolver targets (bench/targets.ts)', rows: summary, notes: ['Goals from issue 17; medians of the interleaved rounds above.'] },
    ];
  },
};

export default bench;
