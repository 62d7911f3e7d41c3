/**
 * An independent oracle for the resolver, used only by tests: exhaustive search over every
 * assignment of a small catalog, written from the resolution contract (docs/resolver.md),
 * sharing no code with src/registry/solver*.ts. Plain semver, no memo, no index.
 *
 * A plan for a request R is a set S of packages, at most one per id, such that
 *   - every id of R is in S, and every package of S admits the host (engines.hotmod);
 *   - every dependsOn of a package in S names an id in S whose version is in range;
 *   - every requires of a package in S is provided in range by some package of S;
 *   - the graph of dependsOn edges and bindings (a requirement binds to the package of S
 *     with the highest capability version in range, then the lowest id) has no cycle.
 */
import semver from 'semver';
import type { ModulePackage } from '../../src/registry/index.js';

const ok = (version: string, range: string) => semver.satisfies(version, range);

/** The provider a requirement binds to within S (the contract's rule). */
export function bindingOf(S: readonly ModulePackage[], name: string, range: string): ModulePackage | undefined {
  let best: ModulePackage | undefined;
  for (const p of S) {
    const v = p.manifest.provides[name];
    if (v === undefined || !ok(v, range)) continue;
    if (!best) {
      best = p;
      continue;
    }
    const bv = best.manifest.provides[name]!;
    const c = semver.compare(v, bv);
    if (c > 0 || (c === 0 && p.manifest.id < best.manifest.id)) best = p;
  }
  return best;
}

/** Every constraint of the contract, checked on a set of packages; returns the first violation in words, or null. */
export function violation(S: readonly ModulePackage[], request: readonly string[], hostVersion: string): string | null {
  const byId = new Map<string, ModulePackage>();
  for (const p of S) {
    if (byId.has(p.manifest.id)) return `two versions of ${p.manifest.id}`;
    byId.set(p.manifest.id, p);
  }
  for (const id of request) if (!byId.has(id)) return `${id} is requested but not in the plan`;
  const edges = new Map<string, string[]>();
  for (const p of S) {
    const m = p.manifest;
    if (m.engines.hotmod !== undefined && !ok(hostVersion, m.engines.hotmod)) return `${p.key} needs hotmod ${m.engines.hotmod}`;
    const out: string[] = [];
    for (const [id, range] of Object.entries(m.dependsOn)) {
      const d = byId.get(id);
      if (!d || !ok(d.manifest.version, range)) return `${p.key} depends on ${id} ${range}`;
      out.push(id);
    }
    for (const [name, range] of Object.entries(m.requires)) {
      const b = bindingOf(S, name, range);
      if (!b) return `${p.key} requires ${name} ${range}`;
      out.push(b.manifest.id);
    }
    edges.set(m.id, out);
  }
  // Cycle: depth-first colouring.
  const colour = new Map<string, number>();
  const visit = (id: string): boolean => {
    colour.set(id, 1);
    for (const next of edges.get(id) ?? []) {
      const c = colour.get(next) ?? 0;
      if (c === 1 || (c === 0 && visit(next))) return true;
    }
    colour.set(id, 2);
    return false;
  };
  for (const id of byId.keys()) if ((colour.get(id) ?? 0) === 0 && visit(id)) return 'a cycle';
  return null;
}

/**
 * Exhaustive: every choice of "absent or one version" per id (ids of the request must be present).
 * Returns one plan, or null when none exists.
 */
export function oracleSolve(packages: readonly ModulePackage[], request: readonly string[], hostVersion: string): ModulePackage[] | null {
  const ids = [...new Set(packages.map((p) => p.manifest.id))].sort();
  const options = ids.map((id) => {
    const versions: (ModulePackage | null)[] = packages.filter((p) => p.manifest.id === id);
    if (!request.includes(id)) versions.push(null);
    return versions;
  });
  const choice: (ModulePackage | null)[] = new Array(ids.length).fill(null);
  const search = (i: number): ModulePackage[] | null => {
    if (i === ids.length) {
      const S = choice.filter((p): p is ModulePackage => p !== null);
      return violation(S, request, hostVersion) === null ? S : null;
    }
    for (const o of options[i]!) {
      choice[i] = o;
      const found = search(i + 1);
      if (found) return found;
    }
    return null;
  };
  return search(0);
}
