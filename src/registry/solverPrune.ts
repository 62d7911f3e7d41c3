/**
 * Before the joint search: packages that can be in no plan of a request, found by
 * propagation over the catalog alone, as nogoods of one package each (with the reason in
 * words). The search then turns such a version down when it is tried, instead of finding
 * out thousands of decisions later and jumping back over all of them (a newest version
 * that every version of a requested module rules out by its dependsOn range was the case
 * that made the search explode on catalogs with dependsOn).
 *
 * A package is dead when
 *   - a dependsOn of it has no live version in range, or a required capability no live
 *     provider in range (usable ones only: engines.hotmod admits the host); or
 *   - a requested id's live versions all depend on its id, in ranges none of which it satisfies.
 * Propagated until nothing changes. Only sound conclusions: the preferred plan is unchanged.
 */
import type { ProviderEntry, ResolveIndex } from './resolveIndex.js';
import type { Reason, Template } from './solverTypes.js';
import type { ModulePackage } from './types.js';

export interface DeadPackage {
  readonly members: readonly ModulePackage[];
  readonly why: string;
  readonly reason: Reason;
}

const label = (p: ModulePackage) => `${p.manifest.id} ${p.manifest.version}`;

// An index is immutable, and the host resolves one snapshot many times: the result is kept per index and request.
const memo = new WeakMap<ResolveIndex, Map<string, readonly DeadPackage[]>>();

export function deadPackages(index: ResolveIndex, requested: readonly string[]): readonly DeadPackage[] {
  let byRequest = memo.get(index);
  if (!byRequest) memo.set(index, (byRequest = new Map()));
  const key = requested.join('\n');
  let found = byRequest.get(key);
  if (!found) {
    if (byRequest.size >= 16) byRequest.clear();
    byRequest.set(key, (found = Object.freeze(computeDead(index, requested))));
  }
  return found;
}

/** The usable packages that can serve one (id or capability, range) obligation, and how many of them are alive. */
interface Group {
  readonly members: readonly ModulePackage[];
  alive: number;
  /** The packages that have this obligation (each once), and the obligation of each (parallel arrays: no object per edge). */
  readonly waiters: ModulePackage[];
  readonly obligations: Template[];
}

function computeDead(index: ResolveIndex, requested: readonly string[]): DeadPackage[] {
  const dead = new Map<ModulePackage, Reason>();
  const alive = (p: ModulePackage) => !dead.has(p);
  // Counting instead of rounds over the catalog: obligations with the same target and range
  // share a group that counts its live members; a package dies when one of its groups
  // reaches zero. Each package's death is handled once: O(edges) in all.
  // Groups by identity, no string keys: by the index's memoized candidate lists.
  const depGroups = new Map<readonly ModulePackage[], Group>();
  const capGroups = new Map<readonly ProviderEntry[], Group>();
  const groupsOf = new Map<ModulePackage, Group[]>();
  const stack: { pkg: ModulePackage; t: Template; g: Group }[] = [];
  const newGroup = (members: readonly ModulePackage[]): Group => {
    const g: Group = { members, alive: members.length, waiters: [], obligations: [] };
    for (const m of members) {
      const of = groupsOf.get(m);
      if (of) of.push(g);
      else groupsOf.set(m, [g]);
    }
    return g;
  };
  for (const id of index.ids)
    for (const pkg of index.usable(id))
      for (const t of index.obligationsOf(pkg)) {
        let g: Group | undefined;
        if (t.kind === 'dep') {
          const list = index.candidatesOf(t);
          g = depGroups.get(list);
          if (!g) depGroups.set(list, (g = newGroup(list)));
        } else if (t.kind === 'cap') {
          const list = index.providersOf(t);
          g = capGroups.get(list);
          if (!g) capGroups.set(list, (g = newGroup(list.map((e) => e.pkg))));
        } else continue;
        g.waiters.push(pkg);
        g.obligations.push(t);
        if (g.alive === 0) stack.push({ pkg, t, g });
      }
  const requestedSet = new Set(requested);
  const requestedDirty = new Set<string>(requested);
  const kill = (p: ModulePackage, kind: Reason['kind'], clause: string, because?: Reason) => {
    dead.set(p, { kind: because?.kind ?? kind, chain: because ? [clause, ...because.chain.slice(0, 4)] : [clause] });
    for (const g of groupsOf.get(p) ?? []) if (--g.alive === 0) for (let i = 0; i < g.waiters.length; i++) stack.push({ pkg: g.waiters[i]!, t: g.obligations[i]!, g });
    if (requestedSet.has(p.manifest.id)) requestedDirty.add(p.manifest.id);
  };
  /** `pkg`'s obligation `t` has nothing alive left to serve it (its group `g` counts none). */
  const starve = (pkg: ModulePackage, t: Template, g: Group) => {
    const first = g.members[0];
    if (t.kind === 'dep') {
      if (first === undefined) kill(pkg, index.versions(t.id).length === 0 ? 'missing' : 'conflict', `${label(pkg)} depends on ${t.id} ${t.range}, which no usable version of ${t.id} satisfies`);
      else kill(pkg, 'conflict', `${label(pkg)} depends on ${t.id} ${t.range}, and no version of ${t.id} in that range can be part of a plan`, dead.get(first));
    } else if (t.kind === 'cap') {
      if (first === undefined) kill(pkg, index.providers(t.name).length === 0 ? 'missing' : 'conflict', `${label(pkg)} requires ${t.name} ${t.range}, which no usable module provides`);
      else kill(pkg, 'conflict', `${label(pkg)} requires ${t.name} ${t.range}, and no provider in that range can be part of a plan`, dead.get(first));
    }
  };
  while (stack.length > 0 || requestedDirty.size > 0) {
    // The initial kills in catalog order (ids sorted, versions highest first, obligations in order), then what they starve.
    stack.reverse();
    while (stack.length > 0) {
      const { pkg, t, g } = stack.pop()!;
      if (alive(pkg)) starve(pkg, t, g);
    }
    // A requested id is in every plan: if each of its live versions depends on `dep`, the union of those ranges binds `dep`.
    const ids = [...requestedDirty].sort();
    requestedDirty.clear();
    for (const id of ids) {
      const usable = index.usable(id);
      let first: ModulePackage | undefined;
      for (const v of usable) if (alive(v)) (first ??= v);
      if (first === undefined) continue;
      for (const d of index.obligationsOf(first)) {
        if (d.kind !== 'dep') continue;
        const ranges: string[] = [];
        let all = true;
        for (const v of usable) {
          if (!alive(v)) continue;
          const t = index.obligationsOf(v).find((o) => o.kind === 'dep' && o.id === d.id);
          if (!t || t.kind !== 'dep') {
            all = false;
            break;
          }
          ranges.push(t.range);
        }
        if (!all) continue;
        for (const p of index.usable(d.id)) {
          if (!alive(p) || ranges.some((r) => index.satisfies(p.manifest.version, r))) continue;
          kill(p, 'conflict', `${id} is requested and every usable version of it depends on ${d.id} in ${[...new Set(ranges)].join(' or ')}, which ${label(p)} does not satisfy`);
        }
      }
    }
    stack.reverse();
  }
  const out: DeadPackage[] = [];
  for (const [pkg, reason] of dead) out.push({ members: [pkg], why: reason.chain[0]!, reason });
  return out;
}
