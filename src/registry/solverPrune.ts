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
 *
 * Counting instead of rounds over the catalog: obligations with the same target and range
 * share a group of the index (ResolveIndex: groups) that counts its live candidates; a
 * package dies when one of its groups reaches zero. Everything is numbers (packages,
 * groups, the index's typed arrays): one pass over the obligations to count, then work in
 * proportion to what dies (the groups a dead package was a candidate of, the waiters of a
 * group that reaches zero). No objects but the dead packages' reasons.
 */
import { DEP, type ResolveIndex } from './resolveIndex.js';
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
  const packages = index.packageCount;
  const slots = index.slotCount;
  const groups = index.groupCount;
  // A group takes part when a usable package has it as an obligation; its rank is the
  // order in which the scan below meets it (ids sorted, versions highest first,
  // obligations in order): a dead package's groups are visited in that order, so the
  // kills (and the reasons they carry) come in the same order every time.
  const rank = new Int32Array(groups).fill(-1);
  const alive = new Int32Array(groups);
  const waiterCount = new Int32Array(groups + 1);
  let ranked = 0;
  for (let i = 0; i < slots; i++) {
    const s = index.slotSorted(i);
    for (let u = index.usableFrom(s); u < index.usableFrom(s + 1); u++) {
      const p = index.usableAt(u);
      for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
        const g = index.obligationAt(k);
        if (rank[g] === -1) (rank[g] = ranked++), (alive[g] = index.groupSize(g));
        waiterCount[g + 1]!++;
      }
    }
  }
  // Each group's waiters (the packages that have it as an obligation), in scan order.
  for (let g = 0; g < groups; g++) waiterCount[g + 1]! += waiterCount[g]!;
  const waiters = new Int32Array(waiterCount[groups]!);
  const at = waiterCount.slice(0, groups);
  // Pairs (package, group) whose group counts no live candidate.
  const stackP: number[] = [];
  const stackG: number[] = [];
  for (let i = 0; i < slots; i++) {
    const s = index.slotSorted(i);
    for (let u = index.usableFrom(s); u < index.usableFrom(s + 1); u++) {
      const p = index.usableAt(u);
      for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
        const g = index.obligationAt(k);
        waiters[at[g]!++] = p;
        if (alive[g] === 0) stackP.push(p), stackG.push(g);
      }
    }
  }

  const reasons: (Reason | undefined)[] = new Array<Reason | undefined>(packages);
  const order: number[] = [];
  const isAlive = (p: number) => reasons[p] === undefined;
  const requestedSlot = new Uint8Array(slots);
  for (let i = 0; i < requested.length; i++) {
    const s = index.slotOf(requested[i]!);
    if (s >= 0) requestedSlot[s] = 1;
  }
  // Requested slots whose live versions changed, for the request rule below (flags and a list: no set of id strings).
  const dirty = new Uint8Array(slots);
  const dirtyList: number[] = [];
  for (let s = 0; s < slots; s++) if (requestedSlot[s]) (dirty[s] = 1), dirtyList.push(s);
  const near: number[] = [];
  const kill = (p: number, kind: Reason['kind'], clause: string, because?: Reason) => {
    reasons[p] = { kind: because?.kind ?? kind, chain: because ? [clause, ...because.chain.slice(0, 4)] : [clause] };
    order.push(p);
    // The groups it was a live candidate of, in rank order.
    near.length = 0;
    index.groupsNear(p, near);
    // (An insertion sort: there are a few, and Array.prototype.sort allocates its state on every call.)
    let mine = 0;
    for (let i = 0; i < near.length; i++) {
      const g = near[i]!;
      if (rank[g]! < 0 || !index.isCandidate(p, g)) continue;
      let j = mine++;
      while (j > 0 && rank[near[j - 1]!]! > rank[g]!) (near[j] = near[j - 1]!), j--;
      near[j] = g;
    }
    for (let i = 0; i < mine; i++) {
      const g = near[i]!;
      if (--alive[g]! === 0) for (let w = waiterCount[g]!; w < waiterCount[g + 1]!; w++) stackP.push(waiters[w]!), stackG.push(g);
    }
    const s = index.slotOfPackage(p);
    if (requestedSlot[s] && !dirty[s]) (dirty[s] = 1), dirtyList.push(s);
  };
  /** `p`'s obligation (group `g`) has nothing alive left to serve it. */
  const starve = (p: number, g: number) => {
    const pkg = index.packageAt(p);
    const first = index.groupFirst(g);
    const name = index.groupName(g);
    const range = index.groupRange(g);
    if (index.groupKind(g) === DEP) {
      if (first < 0) kill(p, index.groupTarget(g) < 0 ? 'missing' : 'conflict', `${label(pkg)} depends on ${name} ${range}, which no usable version of ${name} satisfies`);
      else kill(p, 'conflict', `${label(pkg)} depends on ${name} ${range}, and no version of ${name} in that range can be part of a plan`, reasons[first]);
    } else {
      if (first < 0) kill(p, index.capabilityHasProviders(index.groupTarget(g)) ? 'conflict' : 'missing', `${label(pkg)} requires ${name} ${range}, which no usable module provides`);
      else kill(p, 'conflict', `${label(pkg)} requires ${name} ${range}, and no provider in that range can be part of a plan`, reasons[first]);
    }
  };
  /** The group of `p`'s dependsOn on the id of group `d` (by name: the id may be in no package), or -1. */
  const depOn = (p: number, d: number) => {
    const name = index.groupName(d);
    for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
      const g = index.obligationAt(k);
      if (index.groupKind(g) === DEP && index.groupName(g) === name) return g;
    }
    return -1;
  };
  while (stackP.length > 0 || dirtyList.length > 0) {
    // The initial kills in catalog order, then what they starve (depth first).
    stackP.reverse();
    stackG.reverse();
    while (stackP.length > 0) {
      const p = stackP.pop()!;
      const g = stackG.pop()!;
      if (isAlive(p)) starve(p, g);
    }
    // A requested id is in every plan: if each of its live versions depends on `dep`, the union of those ranges binds `dep`.
    // In id order (a requested id no package has cannot be dirty: it has no versions).
    const round = dirtyList.splice(0, dirtyList.length).sort((a, b) => index.rankOfSlot(a) - index.rankOfSlot(b));
    for (let r = 0; r < round.length; r++) dirty[round[r]!] = 0;
    for (let r = 0; r < round.length; r++) {
      const s = round[r]!;
      const id = index.idOfSlot(s);
      const from = index.usableFrom(s);
      const to = index.usableFrom(s + 1);
      let first = -1;
      for (let u = from; u < to && first < 0; u++) if (isAlive(index.usableAt(u))) first = index.usableAt(u);
      if (first < 0) continue;
      for (let k = index.obligationsFrom(first); k < index.obligationsFrom(first + 1); k++) {
        const d = index.obligationAt(k);
        if (index.groupKind(d) !== DEP) continue;
        const ranges: number[] = [];
        let all = true;
        for (let u = from; u < to; u++) {
          const v = index.usableAt(u);
          if (!isAlive(v)) continue;
          const t = depOn(v, d);
          if (t < 0) {
            all = false;
            break;
          }
          ranges.push(t);
        }
        const target = index.groupTarget(d);
        if (!all || target < 0) continue;
        for (let u = index.usableFrom(target); u < index.usableFrom(target + 1); u++) {
          const p = index.usableAt(u);
          if (!isAlive(p) || ranges.some((r) => index.isCandidate(p, r))) continue;
          const words = [...new Set(ranges.map((r) => index.groupRange(r)))].join(' or ');
          kill(p, 'conflict', `${id} is requested and every usable version of it depends on ${index.groupName(d)} in ${words}, which ${label(index.packageAt(p))} does not satisfy`);
        }
      }
    }
    stackP.reverse();
    stackG.reverse();
  }
  const out: DeadPackage[] = [];
  for (const p of order) {
    const reason = reasons[p]!;
    out.push({ members: [index.packageAt(p)], why: reason.chain[0]!, reason });
  }
  return out;
}
