/**
 * Forward checking of the requested ids, for the search in solver.ts. A requested id is in
 * every plan, so when the choices made so far rule out every usable version of one that is
 * not chosen yet, the search is already in a dead end: it would otherwise find out only when
 * it reaches that id, thousands of unrelated decisions later, jump back over all of them and
 * make them again (what made 100,000 ids take 161,382 backtracks).
 *
 * A usable version of a requested id is *ruled out* while it is dead (a nogood of that one
 * package: solverPrune.ts) or one of its dependsOn entries cannot hold: its target is chosen
 * at a version out of range, or the target is a requested id not chosen yet whose versions
 * in range are all ruled out. Counters keep this up to date as choices are made (each change
 * on a trail, undone when the choice is taken back: choices are taken back in reverse order).
 *
 * It only finds conflicts earlier. Each conflict names the choices that rule the versions
 * out (found by following, for each ruled-out version, the dependsOn entry that ruled it out
 * first), so the search jumps back exactly as it would have when it got there: the first plan
 * in preference order is the same.
 */
import { DEP, type ResolveIndex } from './resolveIndex.js';
import type { Reason, ReasonKind, Template } from './solverTypes.js';
import type { ModulePackage } from './types.js';

type DepTemplate = Extract<Template, { kind: 'dep' }>;

export interface WatchConflict {
  /** Levels of the choices that caused it (the choice just made among them). */
  readonly culprits: number[];
  readonly reason: Reason;
}

export interface RequestedWatch {
  /** `pkg` was chosen for `slot` at `level`: a conflict when that leaves a requested id (or a chosen package) without a way. */
  chosen(slot: number, pkg: ModulePackage, level: number): WatchConflict | null;
  /** The latest choice still in effect, `slot`, is taken back. */
  unchosen(slot: number): void;
}

export interface WatchContext {
  /** The level and package chosen for a slot, if any. */
  readonly chosenAt: (slot: number) => { readonly pkg: ModulePackage | null; readonly level: number } | undefined;
  /** Why the decision at a level was made, in words. */
  readonly why: (level: number) => string;
  readonly describe: (t: Template) => string;
  readonly maxClauses: number;
}

// Trail entry kinds: which array a change was made to.
const STATE = 0;
const BLOCKED = 1;
const CAUSE = 2;
const LIVE = 3;
const ALIVE = 4;

/** Edge states: the dependsOn entry can hold, its target is chosen out of range, or its target's versions in range are all ruled out. */
const OK = 0;
const CHOSEN_OUT = 1;
const STARVED = 2;

export function watchRequested(
  index: ResolveIndex,
  requestedIds: readonly string[],
  nogoods: readonly { readonly members: readonly ModulePackage[]; readonly why: string; readonly reason?: Reason }[] | undefined,
  ctx: WatchContext,
): RequestedWatch | null {
  if (requestedIds.length === 0) return null;
  const dead = new Map<ModulePackage, Reason>();
  for (const ng of nogoods ?? []) if (ng.members.length === 1) dead.set(ng.members[0]!, ng.reason ?? { kind: 'conflict', chain: [ng.why] });
  // Built on the index's numbers (packages, groups, usable versions as offsets), not on its
  // objects: at 100,000 ids, maps keyed by package objects and every watched version's
  // obligations made as objects cost more here than the whole search.
  const slots = index.slotCount;
  const requested = new Uint8Array(slots);
  /** How many usable versions each requested slot has (its g numbers are firstG … firstG + count). */
  const versionCount = new Int32Array(slots);
  /** Watched version number (g) of each package number, -1 when not watched; and back. */
  const gOfNumber = new Int32Array(index.packageCount).fill(-1);
  const pkgOf: ModulePackage[] = [];
  const numberOfG: number[] = [];
  const rootOf: number[] = [];
  const firstG = new Int32Array(slots);
  for (let r = 0; r < requestedIds.length; r++) {
    const k = index.slotOf(requestedIds[r]!);
    if (k < 0 || requested[k]) continue;
    requested[k] = 1;
    firstG[k] = pkgOf.length;
    const to = index.usableFrom(k + 1);
    versionCount[k] = to - index.usableFrom(k);
    for (let u = index.usableFrom(k); u < to; u++) {
      const p = index.usableAt(u);
      gOfNumber[p] = pkgOf.length;
      pkgOf.push(index.packageAt(p));
      numberOfG.push(p);
      rootOf.push(k);
    }
  }
  const G = pkgOf.length;
  // Edges: the dependsOn entries of watched versions. Groups: the in-range versions of a requested target (one per index group).
  // Lists per slot, group and version are offsets into flat typed arrays (counted, then filled in the
  // order the edges and groups are met): an array per entry cost more than the search at 100,000 ids.
  const edgeFrom: number[] = [];
  /** The edge's position among its package's obligations (its Template is made only to explain a conflict). */
  const edgeK: number[] = [];
  /** The index's group of the edge (its target slot and range). */
  const edgeIndexGroup: number[] = [];
  const edgeGroup: number[] = [];
  const edgeTarget: number[] = [];
  const groupOfIndexGroup = new Int32Array(index.groupCount).fill(-1);
  /** Members of group i: memberList[memberStart[i] … memberStart[i + 1]). */
  const memberStart: number[] = [0];
  const memberList: number[] = [];
  const groupSlot: number[] = [];
  for (let g = 0; g < G; g++) {
    const p = numberOfG[g]!;
    const from = index.obligationsFrom(p);
    const to = index.obligationsFrom(p + 1);
    for (let k = from; k < to; k++) {
      const ig = index.obligationAt(k);
      if (index.groupKind(ig) !== DEP) continue;
      const target = index.groupTarget(ig);
      if (target < 0) continue;
      edgeFrom.push(g);
      edgeK.push(k - from);
      edgeIndexGroup.push(ig);
      edgeTarget.push(target);
      let group = -1;
      if (requested[target]) {
        group = groupOfIndexGroup[ig]!;
        if (group < 0) {
          group = groupSlot.length;
          groupOfIndexGroup[ig] = group;
          // The usable versions in range, highest first: the obligation's candidate list, as watched numbers.
          for (let u = index.usableFrom(target); u < index.usableFrom(target + 1); u++) {
            const q = index.usableAt(u);
            if (index.isCandidate(q, ig)) memberList.push(gOfNumber[q]!);
          }
          memberStart.push(memberList.length);
          groupSlot.push(target);
        }
      }
      edgeGroup.push(group);
    }
  }
  const E = edgeFrom.length;
  const groupCount = groupSlot.length;
  // Edges on each slot (in edge order), edges of each group (in edge order), groups of each version (in group order).
  const onStart = new Int32Array(slots + 1);
  for (let e = 0; e < E; e++) onStart[edgeTarget[e]! + 1]!++;
  for (let k = 0; k < slots; k++) onStart[k + 1]! += onStart[k]!;
  const onList = new Int32Array(E);
  const groupEdgeStart = new Int32Array(groupCount + 1);
  for (let e = 0; e < E; e++) if (edgeGroup[e]! >= 0) groupEdgeStart[edgeGroup[e]! + 1]!++;
  for (let i = 0; i < groupCount; i++) groupEdgeStart[i + 1]! += groupEdgeStart[i]!;
  const groupEdgeList = new Int32Array(groupEdgeStart[groupCount]!);
  {
    const onAt = onStart.slice(0, slots);
    const groupAt = groupEdgeStart.slice(0, groupCount);
    for (let e = 0; e < E; e++) {
      onList[onAt[edgeTarget[e]!]!++] = e;
      if (edgeGroup[e]! >= 0) groupEdgeList[groupAt[edgeGroup[e]!]!++] = e;
    }
  }
  const gGroupStart = new Int32Array(G + 1);
  for (let i = 0; i < memberList.length; i++) gGroupStart[memberList[i]! + 1]!++;
  for (let g = 0; g < G; g++) gGroupStart[g + 1]! += gGroupStart[g]!;
  const gGroupList = new Int32Array(memberList.length);
  {
    const gAt = gGroupStart.slice(0, G);
    for (let group = 0; group < groupCount; group++)
      for (let i = memberStart[group]!; i < memberStart[group + 1]!; i++) gGroupList[gAt[memberList[i]!]!++] = group;
  }
  /** The dependsOn obligation of an edge, as the search knows it (made on demand: only conflicts need its words). */
  const edgeT = (e: number): DepTemplate => index.obligationsOf(pkgOf[edgeFrom[e]!]!)[edgeK[e]!] as DepTemplate;
  const state = new Uint8Array(E);
  const blocked = new Int32Array(G);
  /** The edge that ruled a version out first (-1: dead, or not ruled out). */
  const cause = new Int32Array(G).fill(-1);
  const live = new Int32Array(groupCount);
  for (let i = 0; i < groupCount; i++) live[i] = memberStart[i + 1]! - memberStart[i]!;
  const alive = new Int32Array(slots);
  for (let k = 0; k < slots; k++) if (requested[k]) alive[k] = versionCount[k]!;
  const chosenG = new Int32Array(slots).fill(-2); // -2: not chosen; -1: chosen, not watched; else its g
  const trail: number[] = [];
  const marks: number[] = [];
  /** The first conflict a propagation found: a slot whose requested id lost its last version, or a chosen package ruled out. */
  let starvedRoot = -1;
  let blockedChosen = -1;

  const set = (kind: number, arr: Uint8Array | Int32Array, i: number, value: number) => {
    trail.push(kind, i, arr[i]!);
    arr[i] = value;
  };
  const arrays: (Uint8Array | Int32Array)[] = [state, blocked, cause, live, alive];

  const setEdge = (e: number, s: number) => {
    const prev = state[e]!;
    if (prev === s) return;
    set(STATE, state, e, s);
    if (prev === OK) block(edgeFrom[e]!, e);
    // Forward, an edge only goes from OK to not OK or between the two kinds of not OK (see chosen).
  };
  const block = (g: number, e: number) => {
    const b = blocked[g]!;
    set(BLOCKED, blocked, g, b + 1);
    if (b !== 0) return;
    set(CAUSE, cause, g, e);
    const k = rootOf[g]!;
    set(ALIVE, alive, k, alive[k]! - 1);
    if (chosenG[k] === g) {
      if (blockedChosen < 0) blockedChosen = g;
    } else if (alive[k] === 0 && chosenG[k] === -2 && starvedRoot < 0) starvedRoot = k;
    for (let i = gGroupStart[g]!; i < gGroupStart[g + 1]!; i++) {
      const group = gGroupList[i]!;
      set(LIVE, live, group, live[group]! - 1);
      if (live[group] === 0 && chosenG[groupSlot[group]!] === -2)
        for (let j = groupEdgeStart[group]!; j < groupEdgeStart[group + 1]!; j++) setEdge(groupEdgeList[j]!, STARVED);
    }
  };

  // What the catalog alone rules out (dead versions, and what they starve): never undone.
  for (const [pkg] of dead) {
    const p = index.packageNumber(index.slotOf(pkg.manifest.id), pkg);
    const g = p < 0 ? -1 : gOfNumber[p]!;
    if (g < 0 || blocked[g] !== 0) continue;
    blocked[g] = 1; // cause stays -1: dead
    alive[rootOf[g]!]!--;
    for (let i = gGroupStart[g]!; i < gGroupStart[g + 1]!; i++) {
      const group = gGroupList[i]!;
      if (--live[group]! === 0) for (let j = groupEdgeStart[group]!; j < groupEdgeStart[group + 1]!; j++) setEdge(groupEdgeList[j]!, STARVED);
    }
  }
  trail.length = 0;
  starvedRoot = -1;
  blockedChosen = -1;

  /** The choices that rule version g out, and the words: follows first causes down to choices or dead versions. */
  const explain = (start: number, culprits: Set<number>, chain: string[], kinds: Set<ReasonKind>, seen: Set<number>) => {
    const stack = [start];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      const e = cause[g]!;
      if (e < 0) {
        const reason = dead.get(pkgOf[g]!);
        if (reason === undefined) continue; // cannot happen: a ruled-out version has a cause or is dead
        kinds.add(reason.kind);
        for (const clause of reason.chain) if (!chain.includes(clause)) chain.push(clause);
        continue;
      }
      const t = edgeT(e);
      // (An edge that ruled a version out is older than the version's ruling-out, so this walk goes back in time and ends.)
      if (state[e] === CHOSEN_OUT) {
        const at = ctx.chosenAt(t.slot)!;
        culprits.add(at.level);
        kinds.add('conflict');
        const clause = `${ctx.describe(t)}, but ${t.id} ${at.pkg!.manifest.version} is already chosen because ${ctx.why(at.level)}`;
        if (!chain.includes(clause)) chain.push(clause);
        continue;
      }
      const group = edgeGroup[e]!;
      const members = memberList.slice(memberStart[group]!, memberStart[group + 1]!);
      const names = members.map((m) => `${pkgOf[m]!.manifest.id} ${pkgOf[m]!.manifest.version}`);
      const clause =
        names.length === 1 ? ctx.describe(t) : names.length === 2 ? `${ctx.describe(t)}, but neither ${names[0]} nor ${names[1]} can be used` : `${ctx.describe(t)}, but none of ${names.join(', ')} can be used`;
      if (!chain.includes(clause)) chain.push(clause);
      for (let i = members.length - 1; i >= 0; i--) stack.push(members[i]!);
    }
  };

  const conflictOf = (versions: readonly number[], level: number): WatchConflict => {
    const culprits = new Set<number>([level]);
    const chain: string[] = [];
    const kinds = new Set<ReasonKind>();
    const seen = new Set<number>();
    for (const g of versions) explain(g, culprits, chain, kinds, seen);
    if (chain.length > ctx.maxClauses) chain.splice(ctx.maxClauses, chain.length - ctx.maxClauses, `… (${chain.length - ctx.maxClauses} more)`);
    return { culprits: [...culprits], reason: { kind: kinds.size === 1 ? [...kinds][0]! : 'conflict', chain } };
  };

  return {
    chosen(slot, pkg, level) {
      marks.push(trail.length);
      const p = index.packageNumber(slot, pkg);
      const g = requested[slot] && p >= 0 ? gOfNumber[p]! : -1;
      trail.push(-1, slot, chosenG[slot]!);
      chosenG[slot] = g;
      // A version already ruled out cannot be part of a plan with the choices before it.
      if (g >= 0 && blocked[g] !== 0) return conflictOf([g], level);
      starvedRoot = -1;
      blockedChosen = -1;
      for (let i = onStart[slot]!; i < onStart[slot + 1]!; i++) {
        const e = onList[i]!;
        // Among the obligation's candidates (the usable versions in range), tested on numbers.
        const inRange = p >= 0 ? index.isCandidate(p, edgeIndexGroup[e]!) : index.candidatesOf(edgeT(e)).includes(pkg);
        // pkg is not ruled out, so a group of versions in range holding it was never starved: STARVED edges here are out of range.
        if (!inRange) setEdge(e, CHOSEN_OUT);
        if (starvedRoot >= 0 || blockedChosen >= 0) break;
      }
      if (blockedChosen >= 0) return conflictOf([blockedChosen], level);
      if (starvedRoot >= 0) {
        const k = starvedRoot;
        const first = firstG[k]!;
        const versions: number[] = [];
        for (let i = 0; i < versionCount[k]!; i++) versions.push(first + i);
        return conflictOf(versions, level);
      }
      return null;
    },
    unchosen(slot) {
      const mark = marks.pop()!;
      for (let i = trail.length - 3; i >= mark; i -= 3) {
        const kind = trail[i]!;
        if (kind === -1) chosenG[trail[i + 1]!] = trail[i + 2]!;
        else arrays[kind]![trail[i + 1]!] = trail[i + 2]!;
      }
      trail.length = mark;
      void slot;
    },
  };
}
