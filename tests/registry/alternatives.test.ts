import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/registry/index.js';
import { alternativesPackages } from './alternativesCatalog.js';
import { violation } from './resolveOracle.js';

/**
 * Issue 17's case at a size a test can afford: a catalog with alternative providers, broken
 * newest versions and dependsOn, which has a plan by construction. The search without
 * learning took 34 s here (past the test timeout); at 10,000 ids it ran out of its 200,000
 * backtracks (E_RESOLVE_TOO_COMPLEX).
 */
describe('catalogs with alternatives', () => {
  it('resolves 3,000 ids with alternatives and dependsOn in strict mode, and the plan holds every rule', () => {
    const packages = Object.freeze(alternativesPackages(3000, { seed: 1 }));
    const ids = [...new Set(packages.map((p) => p.manifest.id))];
    const plan = resolvePlan(packages, { hostVersion: '1.0.0' });
    expect(plan.unresolved).toEqual([]);
    expect(plan.modules).toHaveLength(ids.length);
    expect(violation(plan.modules.map((m) => m.pkg), ids, '1.0.0')).toBeNull();
    // The search had to work: many newest versions could not be part of the plan.
    const newest = new Map<string, string>();
    for (const p of packages) if (!newest.has(p.manifest.id)) newest.set(p.manifest.id, p.manifest.version);
    expect(plan.modules.filter((m) => m.version !== newest.get(m.id)).length).toBeGreaterThan(100);
  });

  it('gives the same plan for the same catalog passed in another order', () => {
    const packages = alternativesPackages(500, { seed: 3 });
    const a = resolvePlan(packages, { hostVersion: '1.0.0' });
    const b = resolvePlan([...packages].reverse(), { hostVersion: '1.0.0' });
    expect(b.modules.map((m) => [m.pkg.key, { ...m.bindings }])).toEqual(a.modules.map((m) => [m.pkg.key, { ...m.bindings }]));
  });
});
