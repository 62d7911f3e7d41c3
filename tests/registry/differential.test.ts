import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { resolvePlan, type ModulePackage, type ResolvePlan } from '../../src/registry/index.js';
import { bindingOf, oracleSolve, violation } from './resolveOracle.js';
import { prng } from './syntheticCatalog.js';
import { randomCatalog } from './randomCatalog.js';
import { satSolve } from './satOracle.js';

/**
 * The resolver against an independent exhaustive oracle (resolveOracle.ts) on thousands of
 * small random catalogs: alternatives (several providers of a capability at different
 * versions), ranges, dependsOn, optional requirements, engines, cycles. A fixed list of
 * seeds: every failure names its seed and reproduces.
 *
 * For each catalog and request: the resolver finds a plan exactly when the oracle does,
 * every plan satisfies every constraint (checked by the oracle's own checker), and it never
 * gives up (no E_RESOLVE_TOO_COMPLEX).
 */
const HOST = '1.0.0';

/** Everything a plan promises, checked on its own terms (bindings, order, optional bindings). */
function checkPlan(plan: ResolvePlan, packages: readonly ModulePackage[], request: readonly string[]): string | null {
  const S = plan.modules.map((m) => m.pkg);
  const v = violation(S, request, HOST);
  if (v) return v;
  const position = new Map(plan.modules.map((m, i) => [m.id, i]));
  for (const m of plan.modules) {
    if (m.version !== m.pkg.manifest.version || !packages.includes(m.pkg)) return `${m.id}: not a catalog package`;
    for (const [name, range] of Object.entries(m.pkg.manifest.requires))
      if (m.bindings[name] !== bindingOf(S, name, range)!.manifest.id) return `${m.id}: ${name} bound to ${m.bindings[name]}`;
    for (const [name, range] of Object.entries(m.pkg.manifest.optionalRequires)) {
      const bound = m.optionalBindings[name];
      const best = bindingOf(S, name, range);
      if (bound === null ? best !== undefined && best.manifest.id !== m.id && false : bound !== best?.manifest.id) return `${m.id}: optional ${name} bound to ${bound}`;
    }
    for (const need of [...m.dependsOn, ...Object.values(m.bindings)]) if (!(position.get(need)! < position.get(m.id)!)) return `${m.id} activates before ${need}`;
  }
  return null;
}

function attempt(packages: readonly ModulePackage[], request: readonly string[] | undefined): { plan?: ResolvePlan; error?: HotmodError } {
  try {
    return { plan: resolvePlan(packages, { hostVersion: HOST, ...(request ? { request } : {}) }) };
  } catch (error) {
    if (!(error instanceof HotmodError)) throw error;
    return { error };
  }
}

/** How the resolver's answer differs from the oracle's (`expected`: its plan, or null for none), or undefined when they agree. */
function disagreement(label: string, packages: readonly ModulePackage[], request: readonly string[], expected: readonly { key: string }[] | null | undefined, got: { plan?: ResolvePlan; error?: HotmodError }): string | undefined {
  if (got.error?.code === 'E_RESOLVE_TOO_COMPLEX') return `${label}: gave up`;
  if (expected && !got.plan) return `${label}: oracle finds ${expected.map((p) => p.key).join(', ')}; resolver: ${got.error!.code} ${got.error!.message}`;
  if (!expected && got.plan) return `${label}: oracle finds none; resolver: ${got.plan.modules.map((m) => m.pkg.key).join(', ')}`;
  const bad = got.plan && checkPlan(got.plan, packages, request);
  return bad ? `${label}: plan breaks a constraint: ${bad}` : undefined;
}

const SEEDS = Array.from({ length: 3000 }, (_, i) => 1 + i * 7919);

describe('differential: resolver vs exhaustive oracle', () => {
  it('agrees with the oracle on every catalog of the seed list (whole-catalog requests), and every plan holds', () => {
    const mismatches: string[] = [];
    let satisfiable = 0;
    for (const seed of SEEDS) {
      const packages = randomCatalog(seed);
      const request = [...new Set(packages.map((p) => p.manifest.id))].sort();
      const expected = oracleSolve(packages, request, HOST);
      const got = attempt(packages, undefined);
      if (expected) satisfiable++;
      const mismatch = disagreement(`seed ${seed}`, packages, request, expected, got);
      if (mismatch) mismatches.push(mismatch);
      if (mismatches.length >= 5) break;
    }
    expect(mismatches).toEqual([]);
    // The seed list exercises both answers in fair measure.
    expect(satisfiable).toBeGreaterThan(SEEDS.length * 0.2);
    expect(satisfiable).toBeLessThan(SEEDS.length * 0.8);
  });

  it('agrees with the oracle when one module is requested (its requirements pulled in)', () => {
    const mismatches: string[] = [];
    for (const seed of SEEDS.slice(0, 1500)) {
      const packages = randomCatalog(seed);
      const request = [packages[Math.floor(prng(seed + 1)() * packages.length)]!.manifest.id];
      const expected = oracleSolve(packages, request, HOST);
      const got = attempt(packages, request);
      const mismatch = disagreement(`seed ${seed} ${request}`, packages, request, expected, got);
      if (mismatch) mismatches.push(mismatch);
      if (mismatches.length >= 5) break;
    }
    expect(mismatches).toEqual([]);
  });

  it('cycle-rich catalogs (requirements and dependsOn twice as likely): agrees with the oracle, and every plan holds', () => {
    const mismatches: string[] = [];
    let satisfiable = 0;
    let cyclicPreferred = 0;
    for (const seed of SEEDS.slice(0, 2000)) {
      const packages = randomCatalog(seed, { cycleRich: true });
      const request = [...new Set(packages.map((p) => p.manifest.id))].sort();
      const expected = oracleSolve(packages, request, HOST);
      const got = attempt(packages, undefined);
      if (expected) satisfiable++;
      // How often the newest usable versions close a cycle, so that the search must look further.
      const newest = request.map((id) => packages.find((p) => p.manifest.id === id && p.manifest.engines.hotmod === '^1.0.0')).filter((p) => p !== undefined);
      if (violation(newest, [], HOST) === 'a cycle') cyclicPreferred++;
      const mismatch = disagreement(`seed ${seed}`, packages, request, expected, got);
      if (mismatch) mismatches.push(mismatch);
      if (mismatches.length >= 5) break;
    }
    expect(mismatches).toEqual([]);
    expect(satisfiable).toBeGreaterThan(100);
    expect(cyclicPreferred).toBeGreaterThan(40);
  });

  it('a second oracle, logic-solver (MiniSat), agrees with the exhaustive one and the resolver on satisfiability', () => {
    const mismatches: string[] = [];
    // Each MiniSat instance costs milliseconds: 300 catalogs of each kind.
    for (const [seed, cycleRich] of [...SEEDS.slice(0, 300).map((s) => [s, false] as const), ...SEEDS.slice(0, 300).map((s) => [s, true] as const)]) {
      const packages = randomCatalog(seed, { cycleRich });
      const request = [...new Set(packages.map((p) => p.manifest.id))].sort();
      const sat = satSolve(packages, request, HOST);
      const exhaustive = oracleSolve(packages, request, HOST) !== null;
      const got = attempt(packages, undefined);
      if ((sat !== null) !== exhaustive) mismatches.push(`seed ${seed}${cycleRich ? ' (cycle-rich)' : ''}: SAT ${sat !== null}, exhaustive ${exhaustive}`);
      else if ((sat !== null) !== (got.plan !== undefined)) mismatches.push(`seed ${seed}${cycleRich ? ' (cycle-rich)' : ''}: SAT ${sat !== null}, resolver ${got.plan !== undefined}`);
      else if (sat !== null && violation(sat, request, HOST) !== null) mismatches.push(`seed ${seed}: the SAT model breaks a rule`);
      if (mismatches.length >= 5) break;
    }
    expect(mismatches).toEqual([]);
  }, 180_000);

  it('partial mode never throws and never gives up, and what it plans holds every constraint', () => {
    for (const seed of SEEDS.slice(0, 1000)) {
      const packages = randomCatalog(seed);
      const plan = resolvePlan(packages, { hostVersion: HOST, mode: 'partial' });
      const planned = plan.modules.map((m) => m.id);
      expect(checkPlan(plan, packages, planned), `seed ${seed}`).toBeNull();
      for (const u of plan.unresolved) expect(u.error.code, `seed ${seed}`).not.toBe('E_RESOLVE_TOO_COMPLEX');
      const ids = new Set(packages.map((p) => p.manifest.id));
      // Every id is either planned or explained.
      expect(new Set([...planned, ...plan.unresolved.map((u) => u.id)]), `seed ${seed}`).toEqual(ids);
      // Satisfiable catalogs lose nothing in partial mode.
      if (oracleSolve(packages, [...ids], HOST)) expect(plan.unresolved, `seed ${seed}`).toEqual([]);
    }
  });
});
