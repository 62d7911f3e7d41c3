/**
 * A second independent oracle for the resolver, used only by tests and the bench: the
 * resolution contract (docs/resolver.md "What a plan is") as boolean clauses for
 * logic-solver (MiniSat compiled to JavaScript, Meteor's package solver). One variable per
 * package; rules 1–3 are clauses; rule 4 (no cycle under the binding rule) is checked on
 * each model with the exhaustive oracle's checker, and a model with a cycle is excluded
 * exactly (all its true and false variables), since adding a package can move a binding
 * away from a cycle. Shares no code with src/registry/solver*.ts.
 */
import Logic from 'logic-solver';
import semver from 'semver';
import type { ModulePackage } from '../../src/registry/index.js';
import { violation } from './resolveOracle.js';

// Plain semver, memoized here (not the resolver's memo): encoding a big catalog tests millions of (version, range) pairs.
const memo = new Map<string, boolean>();
const ok = (version: string, range: string) => {
  const key = `${range}\n${version}`;
  let r = memo.get(key);
  if (r === undefined) {
    if (memo.size > 100_000) memo.clear();
    memo.set(key, (r = semver.satisfies(version, range)));
  }
  return r;
};

/** Rules 1–3 as clauses over one variable per package (its key). */
export function encode(packages: readonly ModulePackage[], request: readonly string[], hostVersion: string): InstanceType<typeof Logic.Solver> {
  const solver = new Logic.Solver();
  const byId = new Map<string, ModulePackage[]>();
  const providers = new Map<string, { pkg: ModulePackage; version: string }[]>();
  for (const p of packages) {
    const list = byId.get(p.manifest.id);
    if (list) list.push(p);
    else byId.set(p.manifest.id, [p]);
    for (const [cap, version] of Object.entries(p.manifest.provides)) {
      const entries = providers.get(cap);
      if (entries) entries.push({ pkg: p, version });
      else providers.set(cap, [{ pkg: p, version }]);
    }
  }
  for (const versions of byId.values()) if (versions.length > 1) solver.require(Logic.atMostOne(versions.map((p) => p.key)));
  for (const id of request) {
    const versions = byId.get(id) ?? [];
    if (versions.length === 0) solver.require(Logic.or([])); // unsatisfiable: a requested id no package has
    else solver.require(Logic.or(versions.map((p) => p.key)));
  }
  for (const p of packages) {
    const m = p.manifest;
    if (m.engines.hotmod !== undefined && !ok(hostVersion, m.engines.hotmod)) {
      solver.forbid(p.key);
      continue;
    }
    for (const [id, range] of Object.entries(m.dependsOn)) {
      const inRange = (byId.get(id) ?? []).filter((q) => ok(q.manifest.version, range)).map((q) => q.key);
      solver.require(Logic.implies(p.key, Logic.or(inRange)));
    }
    for (const [cap, range] of Object.entries(m.requires)) {
      const inRange = (providers.get(cap) ?? []).filter((e) => ok(e.version, range)).map((e) => e.pkg.key);
      solver.require(Logic.implies(p.key, Logic.or(inRange)));
    }
  }
  return solver;
}

/** A plan for the request (any one, not the preferred one), or null when none exists. */
export function satSolve(packages: readonly ModulePackage[], request: readonly string[], hostVersion: string): ModulePackage[] | null {
  const solver = encode(packages, request, hostVersion);
  const byKey = new Map(packages.map((p) => [p.key, p]));
  for (;;) {
    const model = solver.solve();
    if (model === null) return null;
    const chosen = new Set(model.getTrueVars());
    const S = packages.filter((p) => chosen.has(p.key));
    if (violation(S, request, hostVersion) === null) return S;
    // A cycle under the binding rule: exclude exactly this model.
    solver.forbid(Logic.and([...byKey.keys()].map((k) => (chosen.has(k) ? k : Logic.not(k)))));
  }
}
