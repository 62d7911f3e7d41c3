import { describe, expect, it } from 'vitest';
import { ResolveIndex } from '../../src/registry/resolveIndex.js';
import { solve, type SolveOptions } from '../../src/registry/solver.js';
import { cycleCheck } from '../../src/registry/solverCycles.js';
import { deadPackages } from '../../src/registry/solverPrune.js';
import type { ModulePackage } from '../../src/registry/index.js';
import { alternativesPackages } from './alternativesCatalog.js';
import { randomCatalog } from './randomCatalog.js';

/**
 * Forward checking of the requested ids (src/registry/solverWatch.ts) only finds conflicts
 * earlier: the search with it must choose exactly what the search without it chooses, in the
 * same order, and fail exactly when it fails, with and without the dead-package nogoods and
 * the cycle check, for the whole catalog and for a part of it. (When the joint search fails,
 * its own reason may read differently, through other culprits; resolvePlan explains such a
 * failure by the greedy partial search, which runs without forward checking.)
 */
const HOST = '1.0.0';

function compare(packages: readonly ModulePackage[], request?: readonly string[]): { ok: boolean; withBacktracks: number; withoutBacktracks: number } {
  const index = new ResolveIndex(packages, HOST);
  const ids = request ?? index.ids;
  const roots = ids.map((id) => ({ kind: 'root' as const, id }));
  let last = { ok: false, withBacktracks: 0, withoutBacktracks: 0 };
  const variants: Omit<SolveOptions, 'forwardCheck'>[] = [
    { excludable: false },
    { excludable: false, nogoods: deadPackages(index, [...ids].sort()) },
    { excludable: false, nogoods: deadPackages(index, [...ids].sort()), complete: cycleCheck(index) },
  ];
  for (const options of variants) {
    // A fresh cycle check per search: it keeps no state, but each search gets its own.
    const fresh = options.complete ? { ...options, complete: cycleCheck(index) } : options;
    const a = solve(index, roots, { ...fresh, forwardCheck: true });
    const b = solve(index, roots, { ...fresh, forwardCheck: false });
    expect(a.ok).toBe(b.ok);
    if (a.ok && b.ok) expect([...a.selected.values()].map((p) => p.key)).toEqual([...b.selected.values()].map((p) => p.key));
    last = { ok: a.ok, withBacktracks: a.backtracks, withoutBacktracks: b.backtracks };
  }
  return last;
}

describe('forward checking of the requested ids', () => {
  it('chooses what the search without it chooses: 2,000 random catalogs, 1,000 cycle-rich, whole catalog and one id', () => {
    let failing = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const packages = randomCatalog(seed, { cycleRich: seed > 2000 });
      if (!compare(packages).ok) failing++;
      const first = packages[0]?.manifest.id;
      if (first !== undefined) compare(packages, [first]);
    }
    // Both outcomes were exercised.
    expect(failing).toBeGreaterThan(100);
    expect(failing).toBeLessThan(2900);
  });

  it('chooses what the search without it chooses on catalogs with alternatives, and needs fewer backtracks', () => {
    let saved = 0;
    for (const seed of [1, 2, 3]) {
      const { ok, withBacktracks, withoutBacktracks } = compare(alternativesPackages(1500, { seed }));
      expect(ok).toBe(true);
      expect(withBacktracks).toBeLessThanOrEqual(withoutBacktracks);
      saved += withoutBacktracks - withBacktracks;
    }
    expect(saved).toBeGreaterThan(0);
    // Cycle-rich: requirements of the other versions may point anywhere.
    for (const seed of [1, 2]) compare(alternativesPackages(200, { seed, upwardShare: 0.05 }));
  });
});
