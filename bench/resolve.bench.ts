/**
 * Resolver throughput. Three catalog shapes, built in memory (no disk):
 *   - "layers": tests/registry/syntheticCatalog.ts, one provider per capability (no choice
 *     between providers; some newest versions broken or for another hotmod);
 *   - "alternatives": tests/registry/alternativesCatalog.ts, the shape of issue 17: ~2.2
 *     versions per id, a few hundred capabilities each offered by dozens of providers at
 *     different versions, broken newest versions (a requirement nobody provides, a range
 *     nothing satisfies, another hotmod), 30% of modules with dependsOn. A solution exists
 *     by construction. One connected component: every change reaches everything.
 *   - "teams": the same shape as 50 independent catalogs of n / 50 ids side by side (one
 *     per team: its own capabilities), the case where a change reaches one part.
 *
 * Each subject runs interleaved with its baseline, A/B/A/B, in the same loop (the machine
 * is shared: a figure measured minutes apart from its baseline means little), and reports
 * medians with the spread (p25–p75) of both. Baseline: a plain topological sort (the
 * `toposort` package) of the same graph, newest version of each id, first provider of each
 * capability, no version choice: the floor any resolver pays for ordering.
 *
 * Subjects: cold (a fresh package list: the index is built), warm (the same frozen
 * snapshot again: index reused), re-resolve with the previous plan (`previous`, chained as
 * the runtime's planCatalog does) after one module changed: its code (a new package object,
 * the same manifest: the watcher's usual case), or its manifest (a requirement dropped or
 * put back: its part of the catalog is resolved again).
 */
import toposort from 'toposort';
import semver from 'semver';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolvePlan, type ModulePackage, type ResolvePlan } from '../src/registry/index.js';
import { syntheticPackages } from '../tests/registry/syntheticCatalog.js';
import { alternativesPackages } from '../tests/registry/alternativesCatalog.js';
import { encode } from '../tests/registry/satOracle.js';
import { round, percentile, type BenchFigure, type Benchmark, type BenchRow } from './harness.js';

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

/** The same snapshot with one package's manifest changed: on odd generations its requirements are dropped, on even ones put back (a real resolver input change). */
function withManifestChange(packages: readonly ModulePackage[], generation: number): readonly ModulePackage[] {
  const out = [...packages];
  let i = Math.floor(packages.length / 3);
  while (Object.keys(packages[i]!.manifest.requires).length === 0) i++;
  const old = packages[i]!;
  if (generation % 2 === 1) out[i] = { ...old, manifest: { ...old.manifest, requires: {} }, dir: `${old.dir}#${generation}` };
  return Object.freeze(out);
}

/** 50 independent alternatives catalogs of n / 50 ids each: one per team, each its own component. */
function teamsPackages(n: number): ModulePackage[] {
  const out: ModulePackage[] = [];
  for (let t = 0; t < 50; t++) out.push(...alternativesPackages(Math.round(n / 50), { seed: 100 + t, prefix: `t${String(t).padStart(2, '0')}` }));
  return out;
}

type Shape = 'layers' | 'alternatives' | 'teams';

const bench: Benchmark = {
  name: 'resolve',
  description: 'resolvePlan on synthetic catalogs, with and without alternative providers, cold, warm and incremental, against a toposort baseline run interleaved',
  async run(ctx) {
    const make = (shape: Shape, n: number) => (shape === 'layers' ? syntheticPackages(n) : shape === 'alternatives' ? alternativesPackages(n) : teamsPackages(n));
    const cases: { shape: Shape; n: number }[] = ctx.quick
      ? [
          { shape: 'layers', n: 1000 },
          { shape: 'alternatives', n: 1000 },
          { shape: 'alternatives', n: 10_000 },
          { shape: 'teams', n: 10_000 },
        ]
      : [
          { shape: 'layers', n: 10_000 },
          { shape: 'alternatives', n: 10_000 },
          { shape: 'teams', n: 10_000 },
          { shape: 'alternatives', n: 100_000 },
        ];
    const rows: BenchRow[] = [];
    const figures: BenchFigure[] = [];
    for (const c of cases) {
      const packages = Object.freeze(make(c.shape, c.n));
      // 100,000 ids: one round and no warm-up (a resolve takes about a minute there today; the rows before warmed the JIT).
      const rounds = c.n >= 100_000 ? 1 : c.n >= 10_000 ? 7 : 15;
      ctx.log(`${c.shape} ${c.n} ids, ${packages.length} packages: ${rounds} interleaved rounds`);
      let plan = resolvePlan(packages, { hostVersion: HOST });
      // Chained like the runtime: each re-resolve gets the plan of the one before.
      let codePrevious: ResolvePlan = plan;
      let manifestPrevious: ResolvePlan = resolvePlan(packages, { hostVersion: HOST });
      let codeGeneration = 0;
      let manifestGeneration = 0;
      const t = interleaved(
        {
          baseline: () => baselineToposort(packages),
          cold: () => (plan = resolvePlan([...packages], { hostVersion: HOST })),
          warm: () => resolvePlan(packages, { hostVersion: HOST }),
          reresolveCode: () => (codePrevious = resolvePlan(withOneChange(packages, ++codeGeneration), { hostVersion: HOST, previous: codePrevious })),
          reresolveManifest: () => (manifestPrevious = resolvePlan(withManifestChange(packages, ++manifestGeneration), { hostVersion: HOST, previous: manifestPrevious })),
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
        're-resolve, code change ms (p50)': med(t.reresolveCode!),
        're-resolve, manifest change ms (p50)': med(t.reresolveManifest!),
        'baseline ms (p50)': med(t.baseline!),
        'baseline p25–p75': spread(t.baseline!),
        'cold / baseline': round(cold / base, 2),
        'older versions chosen': plan.modules.length - newestChosen,
        levels: plan.levels.length,
      });
      ctx.log(JSON.stringify(rows[rows.length - 1]));
      const against = `toposort baseline ${med(t.baseline!)} ms (p25–p75 ${spread(t.baseline!)}), interleaved; cold p25–p75 ${spread(t.cold!)}`;
      if (c.shape === 'alternatives' && c.n === 10_000) {
        figures.push({ target: 'resolve10k', value: round(cold, 1), baseline: against });
        figures.push({ target: 'reresolve10k', value: med(t.reresolveCode!), baseline: `one module's code changed (same manifest), previous plan given; p25–p75 ${spread(t.reresolveCode!)}` });
        figures.push({ target: 'reresolve10kManifest', value: med(t.reresolveManifest!), baseline: `one module's requirements changed, one connected component (the requirements shortcut of docs/resolver.md, else a resolve from scratch); p25–p75 ${spread(t.reresolveManifest!)}` });
      }
      if (c.shape === 'teams' && c.n === 10_000)
        figures.push({ target: 'reresolve10kTeams', value: med(t.reresolveManifest!), baseline: `one module's requirements changed in one of 50 independent parts; p25–p75 ${spread(t.reresolveManifest!)}` });
      if (c.shape === 'alternatives' && c.n === 100_000) figures.push({ target: 'resolve100k', value: round(cold, 1), baseline: against });
    }
    // Our search against a SAT engine on the same catalogs: logic-solver (MiniSat), rules 1–3
    // as clauses, one model (any: no preference order, no cycle check, no explanation).
    const satRows: BenchRow[] = [];
    for (const n of ctx.quick ? [1000, 10_000] : [1000, 10_000]) {
      const packages = Object.freeze(alternativesPackages(n));
      const ids = [...new Set(packages.map((p) => p.manifest.id))].sort();
      ctx.log(`logic-solver on alternatives ${n} ids: 3 interleaved rounds`);
      const solveTimes: number[] = [];
      const t = interleaved(
        {
          ours: () => resolvePlan([...packages], { hostVersion: HOST }),
          // encode + solve; the solve alone is timed inside.
          satEncode: () => {
            const solver = encode(packages, ids, HOST);
            const start = performance.now();
            solver.solve();
            solveTimes.push(performance.now() - start);
          },
        },
        3,
      );
      t.satSolve = solveTimes.slice(1).sort((a, b) => a - b); // without the warm-up's
      satRows.push({
        ids: n,
        'resolvePlan ms (p50)': med(t.ours!),
        'logic-solver encode + solve ms (p50)': med(t.satEncode!),
        'logic-solver solve ms (p50)': med(t.satSolve!),
        'solve / resolvePlan': round(percentile(t.satSolve!, 50) / percentile(t.ours!, 50), 2),
      });
      ctx.log(JSON.stringify(satRows[satRows.length - 1]));
    }
    const load = `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`;
    return [
      {
        title: 'resolvePlan on synthetic catalogs (interleaved with the toposort baseline)',
        rows,
        figures,
        notes: [
          'cold: a fresh package list each run (index built), strict mode; warm: the same frozen snapshot (index reused).',
          're-resolve: the previous plan given (`previous`), chained; code change: one package object replaced, same manifest; manifest change: one package\'s requirements dropped / put back.',
          'baseline: toposort of the same graph, newest version of each id, first provider of each capability (no choice, no explanations).',
          `"older versions chosen": modules whose newest version could not be part of the plan. The machine is shared (${load}): read the ratio, not the milliseconds.`,
        ],
      },
      {
        title: 'resolvePlan against a SAT engine (logic-solver, MiniSat in JavaScript) on the alternatives catalogs',
        rows: satRows,
        notes: [
          'resolvePlan: the preferred plan, cycles checked, explanations on failure, from a cold index.',
          'logic-solver: rules 1–3 of docs/resolver.md as clauses (tests/registry/satOracle.ts); solve finds one model, any one: no preference order, no cycle check (the preferred plan would take one solve per decision).',
          'encode + solve runs interleaved with resolvePlan; the solve alone is timed inside it.',
        ],
      },
    ];
  },
};

export default bench;
