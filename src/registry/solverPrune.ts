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
 * Repeated until nothing changes. Only sound conclusions: the preferred plan is unchanged.
 */
import type { ResolveIndex } from './resolveIndex.js';
import type { Reason } from './solverTypes.js';
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

function computeDead(index: ResolveIndex, requested: readonly string[]): DeadPackage[] {
  const dead = new Map<ModulePackage, Reason>();
  const alive = (p: ModulePackage) => !dead.has(p);
  // After the first round, only obligations on what died in the round before can change.
  let touchedIds: Set<string> | null = null;
  let touchedCaps: Set<string> | null = null;
  let nextIds = new Set<string>();
  let nextCaps = new Set<string>();
  const kill = (p: ModulePackage, kind: Reason['kind'], clause: string, because?: Reason) => {
    dead.set(p, { kind: because?.kind ?? kind, chain: because ? [clause, ...because.chain.slice(0, 4)] : [clause] });
    nextIds.add(p.manifest.id);
    for (const name of Object.keys(p.manifest.provides)) nextCaps.add(name);
  };
  const requestedSet = new Set(requested);
  const requestedTouched = (ids: ReadonlySet<string>) => [...ids].filter((id) => requestedSet.has(id)).sort();
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of index.ids) {
      for (const pkg of index.usable(id)) {
        if (!alive(pkg)) continue;
        for (const t of index.obligationsOf(pkg)) {
          if (t.kind === 'dep') {
            if (touchedIds !== null && !touchedIds.has(t.id)) continue;
            let first: ModulePackage | undefined;
            let live = false;
            for (const p of t.usable) {
              if (!index.satisfies(p.manifest.version, t.range)) continue;
              first ??= p;
              if (alive(p)) {
                live = true;
                break;
              }
            }
            if (live) continue;
            if (first === undefined) kill(pkg, index.versions(t.id).length === 0 ? 'missing' : 'conflict', `${label(pkg)} depends on ${t.id} ${t.range}, which no usable version of ${t.id} satisfies`);
            else kill(pkg, 'conflict', `${label(pkg)} depends on ${t.id} ${t.range}, and no version of ${t.id} in that range can be part of a plan`, dead.get(first));
            changed = true;
            break;
          }
          if (t.kind === 'cap') {
            if (touchedCaps !== null && !touchedCaps.has(t.name)) continue;
            const providers = index.providersInRange(t.name, t.range);
            if (providers.some((e) => alive(e.pkg))) continue;
            const first = providers[0];
            if (first === undefined) kill(pkg, index.providers(t.name).length === 0 ? 'missing' : 'conflict', `${label(pkg)} requires ${t.name} ${t.range}, which no usable module provides`);
            else kill(pkg, 'conflict', `${label(pkg)} requires ${t.name} ${t.range}, and no provider in that range can be part of a plan`, dead.get(first.pkg));
            changed = true;
            break;
          }
        }
      }
    }
    // A requested id is in every plan: if each of its live versions depends on `dep`, the union of those ranges binds `dep`.
    for (const id of touchedIds === null ? requested : requestedTouched(touchedIds)) {
      const live = index.usable(id).filter(alive);
      if (live.length === 0) continue;
      const deps = index.obligationsOf(live[0]!).filter((t) => t.kind === 'dep');
      for (const d of deps) {
        const ranges: string[] = [];
        let all = true;
        for (const v of live) {
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
          changed = true;
        }
      }
    }
    touchedIds = nextIds;
    touchedCaps = nextCaps;
    nextIds = new Set();
    nextCaps = new Set();
  }
  const out: DeadPackage[] = [];
  for (const [pkg, reason] of dead) out.push({ members: [pkg], why: reason.chain[0]!, reason });
  return out;
}
