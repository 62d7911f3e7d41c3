/**
 * Re-resolution after one package's *requirements* change, inside a component: the shortcut
 * of docs/resolver.md "Incremental resolution" (the rule and its proof are there; in short):
 *
 * For a whole-catalog request whose joint search succeeded without a cycle, the plan S is
 * the first solution of the search tree, and the path of the search to S can be replayed
 * from S alone (at every decision the candidate taken is the first one in S: an earlier one
 * in S would have led to a solution first). The replay records, per decision, its time (how
 * many decisions came before), the candidates turned down before the one taken, and for
 * each chosen package when each of its obligations was read and whether it was already
 * served then. A turned-down candidate is *refuted* when no plan can hold it with the
 * choices made before its decision: it is dead (solverPrune.ts), an obligation of it has no
 * option left (each one dead, held by another choice, or refuted one level deeper), or an id
 * whose versions depend on its id has no version left with it. A refutation holds while the
 * packages whose obligations it read (its support) do not change.
 *
 * The search reads a package's requirements only when it chooses it, so a change of P's
 * requirements leaves the search tree as it was except below the nodes that choose P:
 *
 *   - requirements added, P not in S: every solution of the new catalog was one of the old;
 *     the old search found S first, so does the new one. The plan stays.
 *   - requirements added, P in S: if S serves them and each added one is already served
 *     when it is read, the path to S is the same path, and nothing before it can have gained
 *     a solution (it would be an old solution before S). The plan is S with P replaced.
 *   - requirements removed: a new solution before S must contain P. The subtrees that can
 *     choose P are those of decisions before P's id was decided (P not in S) or before the
 *     last removed requirement was read (P in S; each removed one must have been served
 *     already, so the path stays the same). If every candidate turned down there is refuted,
 *     none of those subtrees holds a solution, and S (with P replaced) is still the first.
 *
 * Requirements removed and others added (a range changed) are the two changes in turn.
 * Anything else (another kind of change, an unrefuted candidate in the way, a new cycle,
 * optional bindings whose ordering could move) is not decided here: a resolve as before.
 */
import { manifestFacts } from './manifestFacts.js';
import type { ResolveIndex } from './resolveIndex.js';
import { deadPackages } from './solverPrune.js';
import type { ProviderEntry, Template } from './solverTypes.js';
import type { ModulePackage, ResolvePlan, ResolvedModule } from './types.js';

type Cap = Extract<Template, { kind: 'cap' }>;
type Dep = Extract<Template, { kind: 'dep' }>;

/** The search's path to a plan, replayed (see the file comment); handed from plan to plan while the shortcut applies. */
export interface Trace {
  readonly index: ResolveIndex;
  /** Slot -> the index's package chosen there (the index's objects; `current` maps a changed one to the catalog's). */
  readonly chosen: (ModulePackage | undefined)[];
  /** Slot -> the time of the decision that filled it. */
  readonly pos: Int32Array;
  /** Slot -> for each obligation of its package, the time it was read, then the time its last one was done. */
  readonly times: number[][];
  /** Slot -> for each obligation of its package, whether it was already served when read (no decision). */
  readonly served: boolean[][];
  /** Turned-down candidates: the decision's time, the package, refuted or not. */
  readonly rejTime: number[];
  readonly rejPkg: ModulePackage[];
  readonly rejRefuted: boolean[];
  /** The index's package -> the turned-down entries whose refutation read its obligations. */
  readonly rejOf: Map<ModulePackage, Set<number>>;
  /** Dead packages (solverPrune.ts): in no plan of the catalog (kept valid by the rules above). */
  readonly dead: ReadonlySet<ModulePackage>;
  /** The index's package -> the package the catalog has now, and its obligations (packages whose requirements changed). */
  readonly current: Map<ModulePackage, { readonly pkg: ModulePackage; readonly obligations: readonly Template[] }>;
  /** Module id -> the packages with a dependsOn on it (dependsOn never changes while the trace is handed on). */
  readonly dependedOnBy: ReadonlyMap<string, readonly ModulePackage[]>;
  /** Module id -> its entry and level in the plan the trace describes. */
  readonly modOf: Map<string, ResolvedModule>;
  readonly levelOf: Map<string, number>;
  /** Components of the catalog (union-find over ids and capabilities, all versions), built the first time a candidate elsewhere is in the way. */
  components: Components | undefined;
}

/**
 * Union-find over "i" + id and "c" + capability. A union of true components: links removed
 * since it was built leave it coarser (still sound), links added are merged in.
 */
interface Components {
  readonly node: Map<string, number>;
  readonly parent: number[];
}

const NONE: readonly string[] = Object.freeze([]);

/** @internal Which rule decided each shortcut (tests check that each one is taken). */
export const shortcutCases = { addedOutside: 0, addedInPlan: 0, removedOutside: 0, removedInPlan: 0 };
/** @internal Code changes substituted by the trace (after a shortcut, no components built). */
export const traceSubstitutions = { count: 0 };
/** @internal Unrefuted candidates passed over because they are in another component than the change. */
export const otherComponentSkips = { count: 0 };

function obligationsOf(trace: Pick<Trace, 'index' | 'current'>, pkg: ModulePackage): readonly Template[] {
  return trace.current.get(pkg)?.obligations ?? trace.index.obligationsOf(pkg);
}

/** A package's obligations in the index's terms (what ResolveIndex.obligationsOf builds), without caching them there. */
function buildObligations(index: ResolveIndex, pkg: ModulePackage): Template[] {
  const built: Template[] = [];
  const f = manifestFacts(pkg.manifest);
  for (const [id, range] of f.dependsOn) built.push({ kind: 'dep', id, range, from: pkg, usable: index.usable(id), slot: index.slotOf(id) });
  for (const [name, range] of f.requires) built.push({ kind: 'cap', name, range, from: pkg, optional: false, providers: index.providers(name) });
  return built;
}

/**
 * Replays the search's path to `plan` (a whole-catalog request, joint search succeeded, no
 * cycle, built from `index`'s packages). Undefined when the plan has optional bindings (their
 * ordering edges depend on reachability in the whole plan) or the replay does not match.
 */
export function buildTrace(index: ResolveIndex, plan: ResolvePlan): Trace | undefined {
  const n = index.slotCount;
  const chosen: (ModulePackage | undefined)[] = new Array<ModulePackage | undefined>(n);
  const modOf = new Map<string, ResolvedModule>();
  const levelOf = new Map<string, number>();
  plan.levels.forEach((level, k) => {
    for (const id of level) levelOf.set(id, k);
  });
  for (const m of plan.modules) {
    const slot = index.slotOf(m.id);
    if (slot < 0 || !index.usable(m.id).includes(m.pkg)) return undefined;
    if (manifestFacts(m.pkg.manifest).optionalRequires.length > 0) for (const name in m.optionalBindings) if (m.optionalBindings[name] !== null) return undefined;
    chosen[slot] = m.pkg;
    modOf.set(m.id, m);
  }
  if (modOf.size !== n) return undefined; // every id is requested
  // Two folders with one id@version: a key would not name one package.
  for (const id of index.ids) {
    const versions = index.versions(id);
    for (let i = 1; i < versions.length; i++) if (versions[i]!.manifest.version === versions[i - 1]!.manifest.version) return undefined;
  }
  const pos = new Int32Array(n).fill(-1);
  const times: number[][] = new Array<number[]>(n);
  const served: boolean[][] = new Array<boolean[]>(n);
  const rejTime: number[] = [];
  const rejPkg: ModulePackage[] = [];
  let time = 0;
  // Depth-first like the search: a chosen package's obligations before what was pending.
  const frames: { owner: number; list: readonly Template[] | null; at: number }[] = [{ owner: -1, list: null, at: 0 }];
  const ids = index.ids;
  const choose = (slot: number, candidates: readonly ModulePackage[], pkg: ModulePackage): boolean => {
    const j = candidates.indexOf(pkg);
    if (j < 0) return false;
    for (let i = 0; i < j; i++) (rejTime.push(time), rejPkg.push(candidates[i]!));
    pos[slot] = time++;
    const list = index.obligationsOf(pkg);
    times[slot] = [];
    served[slot] = [];
    frames.push({ owner: slot, list, at: 0 });
    return true;
  };
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    if (f.list === null) {
      // The requested ids, in sorted order.
      if (f.at >= ids.length) {
        frames.pop();
        continue;
      }
      const id = ids[f.at++]!;
      const slot = index.slotOf(id);
      if (pos[slot]! >= 0) continue;
      if (!choose(slot, index.usable(id), chosen[slot]!)) return undefined;
      continue;
    }
    if (f.at >= f.list.length) {
      times[f.owner]!.push(time);
      frames.pop();
      continue;
    }
    const t = f.list[f.at++]!;
    times[f.owner]!.push(time);
    if (t.kind === 'dep') {
      const slot = t.slot;
      if (slot < 0) return undefined;
      const inRange = index.candidatesOf(t);
      if (pos[slot]! >= 0) {
        if (!inRange.includes(chosen[slot]!)) return undefined;
        served[f.owner]!.push(true);
        continue;
      }
      served[f.owner]!.push(false);
      if (!choose(slot, inRange, chosen[slot]!)) return undefined;
    } else if (t.kind === 'cap') {
      const providers = index.providersOf(t);
      let isServed = false;
      for (let i = 0; i < providers.length; i++) {
        const e = providers[i]!;
        if (chosen[e.slot] === e.pkg && pos[e.slot]! >= 0) {
          isServed = true;
          break;
        }
      }
      served[f.owner]!.push(isServed);
      if (isServed) continue;
      const candidates: ModulePackage[] = [];
      let pick: ProviderEntry | undefined;
      for (const e of providers) {
        if (pos[e.slot]! >= 0) continue;
        candidates.push(e.pkg);
        if (chosen[e.slot] === e.pkg) {
          pick = e;
          break;
        }
      }
      if (pick === undefined || !choose(pick.slot, candidates, pick.pkg)) return undefined;
    } else return undefined;
  }
  const dead = new Set<ModulePackage>();
  for (const d of deadPackages(index, ids)) dead.add(d.members[0]!);
  const dependedOnBy = new Map<string, ModulePackage[]>();
  for (const id of ids)
    for (const p of index.usable(id))
      for (const [dep] of manifestFacts(p.manifest).dependsOn) {
        const list = dependedOnBy.get(dep);
        if (list) list.push(p);
        else dependedOnBy.set(dep, [p]);
      }
  const trace: Trace = { index, chosen, pos, times, served, rejTime, rejPkg, rejRefuted: [], rejOf: new Map(), dead, current: new Map(), dependedOnBy, modOf, levelOf, components: undefined };
  const oblOf = (p: ModulePackage) => index.obligationsOf(p);
  for (let r = 0; r < rejPkg.length; r++) {
    const support: ModulePackage[] = [];
    trace.rejRefuted.push(refuted(trace, rejTime[r]!, rejPkg[r]!, oblOf, support));
    addSupport(trace, r, support);
  }
  return trace;
}

/** How deep a refutation looks: a candidate's obligation, and each option that could serve it. */
const DEPTH = 2;

/**
 * Can no plan hold `pkg` together with the choices made before time `k` (and `extra`)? Yes
 * when it is dead, or one of its obligations has no option left: every provider (or version)
 * in range is dead, held by another choice, or itself refuted one level deeper with `pkg`
 * added. `support` collects the packages whose obligations the answer read (a change to one
 * of them asks again).
 */
function refuted(trace: Trace, k: number, pkg: ModulePackage, oblOf: (p: ModulePackage) => readonly Template[], support: ModulePackage[], depth = DEPTH, extra: readonly (readonly [number, ModulePackage])[] = []): boolean {
  const { index, chosen, pos, dead } = trace;
  if (dead.has(pkg)) return true;
  support.push(pkg);
  const own = index.slotOf(pkg.manifest.id);
  const held = (slot: number): ModulePackage | undefined => {
    if (slot === own) return pkg;
    for (const [s, p] of extra) if (s === slot) return p;
    return pos[slot]! >= 0 && pos[slot]! < k ? chosen[slot] : undefined;
  };
  let deeper: (readonly [number, ModulePackage])[] | undefined;
  const refutedWith = (slot: number, option: ModulePackage) => {
    if (depth <= 1) return false;
    deeper ??= [...extra, [own, pkg]];
    return refuted(trace, k, option, oblOf, support, depth - 1, deeper);
  };
  for (const t of oblOf(pkg)) {
    if (t.kind === 'dep') {
      if (t.slot < 0) return true;
      const inRange = index.candidatesOf(t as Dep);
      const h = held(t.slot);
      if (h !== undefined ? !inRange.includes(h) : inRange.every((p) => dead.has(p) || refutedWith(t.slot, p))) return true;
    } else if (t.kind === 'cap') {
      let open = false;
      for (const e of index.providersOf(t as Cap)) {
        const h = held(e.slot);
        if (h === undefined ? !dead.has(e.pkg) && !refutedWith(e.slot, e.pkg) : h === e.pkg) {
          open = true;
          break;
        }
      }
      if (!open) return true;
    }
  }
  // Every id is requested: an id whose versions depend on this one's may have no version left with `pkg` chosen.
  if (depth < DEPTH) return false;
  const seen = new Set<string>();
  for (const p of trace.dependedOnBy.get(pkg.manifest.id) ?? []) {
    const id = p.manifest.id;
    if (seen.has(id) || id === pkg.manifest.id) continue;
    seen.add(id);
    const slot = index.slotOf(id);
    const h = held(slot);
    if (h !== undefined) {
      support.push(h);
      for (const t of oblOf(h)) if (t.kind === 'dep' && t.slot === own && !index.candidatesOf(t as Dep).includes(pkg)) return true;
      continue;
    }
    if (index.usable(id).every((v) => dead.has(v) || refutedWith(slot, v))) return true;
  }
  return false;
}

function addSupport(trace: Trace, r: number, support: readonly ModulePackage[]): void {
  for (const p of support) {
    const set = trace.rejOf.get(p);
    if (set) set.add(r);
    else trace.rejOf.set(p, new Set([r]));
  }
}

interface Recheck {
  readonly ok: boolean;
  readonly support: readonly ModulePackage[];
}

/** The turned-down entries whose refutation read `base`'s obligations, refuted again with `obligations` in their place. */
function recheckFor(trace: Trace, base: ModulePackage, obligations: readonly Template[]): Map<number, Recheck> {
  const oblOf = (p: ModulePackage) => (p === base ? obligations : obligationsOf(trace, p));
  const out = new Map<number, Recheck>();
  for (const r of trace.rejOf.get(base) ?? []) {
    const support: ModulePackage[] = [];
    out.set(r, { ok: refuted(trace, trace.rejTime[r]!, trace.rejPkg[r]!, oblOf, support), support });
  }
  return out;
}

function find(c: Components, key: string): number {
  let x = c.node.get(key);
  if (x === undefined) (c.node.set(key, (x = c.parent.length)), c.parent.push(x));
  while (c.parent[x] !== x) x = c.parent[x] = c.parent[c.parent[x]!]!;
  return x;
}

function union(c: Components, a: string, b: string): void {
  const ra = find(c, a);
  const rb = find(c, b);
  if (ra !== rb) c.parent[ra] = rb;
}

/** The components of the trace's catalog (as resolveSession's: every package's dependsOn, requires, optionalRequires, provides). */
function componentsOf(trace: Trace): Components {
  if (trace.components) return trace.components;
  const c: Components = { node: new Map(), parent: [] };
  for (const id of trace.index.ids)
    for (const base of trace.index.versions(id)) {
      const f = manifestFacts((trace.current.get(base)?.pkg ?? base).manifest);
      const self = `i${id}`;
      find(c, self);
      for (const [dep] of f.dependsOn) union(c, self, `i${dep}`);
      for (const [cap] of f.requires) union(c, self, `c${cap}`);
      for (const [cap] of f.optionalRequires) union(c, self, `c${cap}`);
      for (const [cap] of f.provides) union(c, self, `c${cap}`);
    }
  return (trace.components = c);
}

/**
 * The time of the first turned-down candidate that is not refuted (Infinity: none), with the
 * rechecked entries' answers. A candidate of another component than `id`'s does not count:
 * a plan below it would be one of its component's (which the change does not touch) with
 * the previous plan elsewhere, a plan of the old catalog in the same subtree.
 */
function firstUnrefuted(trace: Trace, recheck: ReadonlyMap<number, Recheck>, id: string): number {
  let first = Infinity;
  for (const [r, { ok }] of recheck) if (!ok) first = Math.min(first, trace.rejTime[r]!);
  let own: number | undefined;
  // Entries are in time order.
  for (let r = 0; r < trace.rejPkg.length && trace.rejTime[r]! < first; r++)
    if (!trace.rejRefuted[r] && !recheck.has(r)) {
      const c = componentsOf(trace);
      own ??= find(c, `i${id}`);
      if (find(c, `i${trace.rejPkg[r]!.manifest.id}`) !== own) {
        otherComponentSkips.count++;
        continue;
      }
      first = trace.rejTime[r]!;
      break;
    }
  return first;
}

/** Is `sub` (name, range pairs) a subsequence of `all`? */
function subsequence(sub: readonly (readonly [string, string])[], all: readonly (readonly [string, string])[]): boolean {
  let i = 0;
  for (const e of all) if (i < sub.length && sub[i]![0] === e[0] && sub[i]![1] === e[1]) i++;
  return i === sub.length;
}

function sameEntries(a: readonly (readonly [string, string])[], b: readonly (readonly [string, string])[]): boolean {
  return a.length === b.length && a.every((e, i) => e[0] === b[i]![0] && e[1] === b[i]![1]);
}

/**
 * The plan after `from` (a package of the previous catalog) was replaced by `to` (same
 * id@version, other requirements), or undefined when the rules of the file comment do not
 * decide. With a plan, `trace` describes the new catalog; without one it must be dropped.
 */
/** Does `to` differ from `from` (same id@version) only in its requirements? (Checked before a trace is built.) */
export function requirementsOnly(from: ModulePackage, to: ModulePackage): boolean {
  const fa = manifestFacts(from.manifest);
  const fb = manifestFacts(to.manifest);
  if (from.key !== to.key || from.manifest.engines.hotmod !== to.manifest.engines.hotmod) return false;
  return sameEntries(fa.provides, fb.provides) && sameEntries(fa.optionalRequires, fb.optionalRequires) && sameEntries(fa.dependsOn, fb.dependsOn);
}

/**
 * The requirements both have, in the order of both (undefined when the common ones are in
 * another order): a change that removes some and adds others is these two changes in turn,
 * through a package with only the common ones (each step a catalog of its own, decided by
 * the rules above).
 */
function commonRequirements(from: ModulePackage, to: ModulePackage): Record<string, string> | undefined {
  const fa = manifestFacts(from.manifest).requires;
  const fb = manifestFacts(to.manifest).requires;
  const inB = new Map(fb.map(([name, range]) => [name, range]));
  const common = fa.filter(([name, range]) => inB.get(name) === range);
  return subsequence(common, fb) ? Object.fromEntries(common) : undefined;
}

/** A dead package losing requirements is never shortcut (it could come back): known before a trace is built (the dead are kept per index). */
export function deadLosingRequirements(index: ResolveIndex, from: ModulePackage, to: ModulePackage): boolean {
  const fb = new Map(manifestFacts(to.manifest).requires);
  if (manifestFacts(from.manifest).requires.every(([name, range]) => fb.get(name) === range)) return false;
  return deadPackages(index, index.ids).some((d) => d.members[0]!.key === from.key);
}

export function applyRequirementsChange(trace: Trace, plan: ResolvePlan, from: ModulePackage, to: ModulePackage): ResolvePlan | undefined {
  if (!requirementsOnly(from, to)) return undefined;
  const fa = manifestFacts(from.manifest).requires;
  const fb = manifestFacts(to.manifest).requires;
  if (subsequence(fa, fb) || subsequence(fb, fa)) return applyOne(trace, plan, from, to);
  // Some removed and some added (a range changed): removed first, then added. A step that
  // does not decide leaves the trace half-way: the caller drops it then.
  const common = commonRequirements(from, to);
  if (common === undefined) return undefined;
  const between: ModulePackage = { ...from, manifest: { ...from.manifest, requires: common } };
  const half = applyOne(trace, plan, from, between);
  return half === undefined ? undefined : applyOne(trace, half, between, to);
}

function applyOne(trace: Trace, plan: ResolvePlan, from: ModulePackage, to: ModulePackage): ResolvePlan | undefined {
  const { index } = trace;
  const id = to.manifest.id;
  const slot = index.slotOf(id);
  if (slot < 0) return undefined;
  // The index's object for this id@version (after earlier changes `from` is the catalog's, not the index's).
  const base = index.versions(id).find((p) => p.key === to.key);
  if (base === undefined || (trace.current.get(base)?.pkg ?? base) !== from) return undefined;
  const fa = manifestFacts(from.manifest);
  const fb = manifestFacts(to.manifest);
  const tighter = subsequence(fa.requires, fb.requires);
  const looser = subsequence(fb.requires, fa.requires);
  const newObligations = buildObligations(index, to);
  const inPlan = trace.chosen[slot] === base;
  const deps = fa.dependsOn.length;
  const recheck = recheckFor(trace, base, newObligations);

  if (!tighter) {
    // Requirements removed: a revived dead package could change everything.
    if (trace.dead.has(base)) return undefined;
    let until: number; // subtrees of decisions before this time may choose `to`
    if (inPlan) {
      // Each removed one was served when read (the path stays the same); the last one read bounds the subtrees.
      until = trace.pos[slot]! + 1;
      let j = 0;
      for (let i = 0; i < fa.requires.length; i++) {
        const kept = j < fb.requires.length && fb.requires[j]![0] === fa.requires[i]![0] && fb.requires[j]![1] === fa.requires[i]![1];
        if (kept) {
          j++;
          continue;
        }
        if (!trace.served[slot]![deps + i]) return undefined;
        until = Math.max(until, trace.times[slot]![deps + i]!);
      }
    } else until = trace.pos[slot]! + 1;
    if (firstUnrefuted(trace, recheck, id) < until) return undefined;
  } else if (inPlan && !looser) {
    // Requirements added to a chosen package: each already served when read, by the choices before.
    const oldTimes = trace.times[slot]!;
    const oldAt = new Map(fa.requires.map(([name], i) => [name, i]));
    let j = 0; // the next old requirement: an added one is read when it is (or when the last one was done)
    for (let i = 0; i < fb.requires.length; i++) {
      const kept = oldAt.get(fb.requires[i]![0]);
      if (kept !== undefined) {
        j = kept + 1;
        continue;
      }
      const at = oldTimes[deps + j]!;
      let ok = false;
      for (const e of index.providersOf(newObligations[deps + i] as Cap))
        if (trace.chosen[e.slot] === e.pkg && trace.pos[e.slot]! < at) {
          ok = true;
          break;
        }
      if (!ok) return undefined;
    }
  }

  // Decided. The new plan (the chosen package's entry, its providers' dependents, levels).
  let next: ResolvePlan = { modules: plan.modules, levels: plan.levels, unresolved: plan.unresolved };
  if (inPlan && !(tighter && looser)) {
    const patched = patchPlan(trace, plan, id, to, newObligations);
    if (patched === undefined) return undefined;
    next = patched;
  }
  shortcutCases[`${tighter ? 'added' : 'removed'}${inPlan ? 'InPlan' : 'Outside'}`]++;
  // Links added: merged into the components (removed ones leave them coarser, still sound).
  if (trace.components && tighter) for (const [cap] of fb.requires) union(trace.components, `i${id}`, `c${cap}`);
  // The trace follows the new catalog.
  for (const [r, { ok, support }] of recheck) (trace.rejRefuted[r] = ok, addSupport(trace, r, support));
  if (to === base) trace.current.delete(base);
  else trace.current.set(base, { pkg: to, obligations: newObligations });
  if (inPlan) {
    // The obligations' times: removed ones dropped, added ones read when the next old one was (all served).
    const oldTimes = trace.times[slot]!;
    const oldServed = trace.served[slot]!;
    const times: number[] = oldTimes.slice(0, deps);
    const served: boolean[] = oldServed.slice(0, deps);
    const oldAt = new Map(fa.requires.map(([name], i) => [name, i]));
    let j = 0; // the next old requirement (added ones are read when it is)
    for (const [name] of fb.requires) {
      const i = oldAt.get(name);
      if (i !== undefined) {
        times.push(oldTimes[deps + i]!);
        served.push(oldServed[deps + i]!);
        j = i + 1;
      } else {
        times.push(oldTimes[deps + j]!);
        served.push(true);
      }
    }
    times.push(oldTimes[oldTimes.length - 1]!);
    trace.times[slot] = times;
    trace.served[slot] = served;
  }
  return next;
}

/** Ids a plan module needs: dependsOn and required bindings (no optional edges: the trace has none). */
function needsOf(m: ResolvedModule): Set<string> {
  const out = new Set<string>(m.dependsOn);
  for (const name in m.bindings) out.add(m.bindings[name]!);
  return out;
}

function patchPlan(trace: Trace, plan: ResolvePlan, id: string, to: ModulePackage, obligations: readonly Template[]): ResolvePlan | undefined {
  const { index, chosen, modOf, levelOf } = trace;
  const old = modOf.get(id)!;
  // Bindings by the binding rule: the first provider in range that is in the plan.
  const bindings: Record<string, string> = Object.create(null);
  for (const t of obligations) {
    if (t.kind !== 'cap') continue;
    let to_: string | undefined;
    for (const e of index.providersOf(t)) if (chosen[e.slot] === e.pkg) {
      to_ = e.pkg.manifest.id;
      break;
    }
    if (to_ === undefined || to_ === id) return undefined;
    bindings[t.name] = to_;
  }
  const entry: ResolvedModule = Object.freeze({ ...old, version: to.manifest.version, pkg: to, bindings, dependsOn: manifestFacts(to.manifest).dependsOnIds });
  const before = needsOf(old);
  const after = needsOf(entry);
  const level = levelOf.get(id)!;
  // A new edge closes a cycle when its target reaches this module: only through higher levels.
  for (const need of after) {
    if (before.has(need) || levelOf.get(need)! <= level) continue;
    const seen = new Set<string>([need]);
    const stack = [need];
    while (stack.length > 0) {
      for (const x of needsOf(modOf.get(stack.pop()!)!)) {
        if (x === id) return undefined;
        if (!seen.has(x) && levelOf.get(x)! > level) (seen.add(x), stack.push(x));
      }
    }
  }
  const changed = new Map<string, ResolvedModule>([[id, entry]]);
  for (const need of before)
    if (!after.has(need)) {
      const m = modOf.get(need)!;
      const dependents = m.dependents.filter((d) => d !== id);
      changed.set(need, Object.freeze({ ...m, dependents: dependents.length === 0 ? NONE : Object.freeze(dependents) }));
    }
  for (const need of after)
    if (!before.has(need)) {
      const m = modOf.get(need)!;
      changed.set(need, Object.freeze({ ...m, dependents: Object.freeze([...m.dependents, id].sort()) }));
    }
  // Levels: the longest chain below each module. Only this module and what needs it (transitively) can move, in the order of their old levels.
  const moved = new Map<string, number>();
  const levelNow = (x: string) => moved.get(x) ?? levelOf.get(x)!;
  const levelFrom = (m: ResolvedModule) => {
    let l = 0;
    for (const x of needsOf(m)) l = Math.max(l, levelNow(x) + 1);
    return l;
  };
  const own = levelFrom(entry);
  const buckets: string[][] = [];
  const queued = new Set<string>();
  const queueDependents = (m: ResolvedModule) => {
    for (const d of m.dependents)
      if (!queued.has(d)) {
        queued.add(d);
        (buckets[levelOf.get(d)!] ??= []).push(d);
      }
  };
  if (own !== level) {
    moved.set(id, own);
    queueDependents(entry);
  }
  for (let k = level + 1; k < buckets.length; k++) {
    const bucket = buckets[k];
    if (bucket === undefined) continue;
    for (const d of bucket) {
      const m = changed.get(d) ?? modOf.get(d)!;
      const l = levelFrom(m);
      if (l !== levelNow(d)) (moved.set(d, l), queueDependents(m));
    }
  }
  // The new levels: unchanged ones shared, the others rebuilt.
  const levels: (readonly string[])[] = [...plan.levels];
  const touched = new Map<number, { remove: Set<string>; add: string[] }>();
  const touch = (k: number) => {
    let t = touched.get(k);
    if (!t) touched.set(k, (t = { remove: new Set(), add: [] }));
    return t;
  };
  for (const [x, l] of moved) {
    touch(levelOf.get(x)!).remove.add(x);
    touch(l).add.push(x);
  }
  for (const [k, t] of touched) {
    // A level is sorted: the moved ids go in where they belong (no sort of the whole level).
    const list = t.remove.size === 0 ? [...(levels[k] ?? [])] : (levels[k] ?? []).filter((x) => !t.remove.has(x));
    for (const x of t.add) {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, x);
    }
    levels[k] = list;
  }
  while (levels.length > 0 && levels[levels.length - 1]!.length === 0) levels.pop();
  // Commit to the trace, then the modules in level order: a level with nothing moved or
  // changed is copied from the previous plan (no lookups), the others are looked up.
  const redo = new Set<number>(touched.keys());
  for (const x of changed.keys()) redo.add(levelOf.get(x)!);
  for (const [x, m] of changed) modOf.set(x, m);
  for (const [x, l] of moved) levelOf.set(x, l);
  const modules: ResolvedModule[] = [];
  let at = 0;
  for (let k = 0; k < levels.length; k++) {
    const old = plan.levels[k];
    if (!redo.has(k) && old !== undefined) for (let i = 0; i < old.length; i++) modules.push(plan.modules[at + i]!);
    else for (const x of levels[k]!) modules.push(modOf.get(x)!);
    at += old?.length ?? 0;
  }
  return { modules, levels, unresolved: plan.unresolved };
}

/**
 * A code change (same resolver facts, another package object): the trace follows `plan`,
 * the previous plan with the new objects. False when it cannot (the trace is dropped then).
 */
export function followSubstitution(trace: Trace, plan: ResolvePlan, pairs: readonly (readonly [ModulePackage, ModulePackage])[]): boolean {
  const starts = levelStarts(plan);
  for (const [from, to] of pairs) {
    if (!retarget(trace, from, to)) return false;
    if (trace.modOf.get(to.manifest.id)?.pkg !== from) continue;
    const m = plan.modules[moduleAt(trace, plan, starts, to.manifest.id)];
    if (m?.pkg !== to) return false;
    trace.modOf.set(to.manifest.id, m);
  }
  return true;
}

/**
 * A code change when the plan has a trace but no components built (the plan came from the
 * shortcut): the previous plan with the new objects, found by the trace's levels; the trace
 * follows it. Undefined when it cannot (the caller drops the trace and goes on as before).
 */
export function substituteByTrace(trace: Trace, plan: ResolvePlan, pairs: readonly (readonly [ModulePackage, ModulePackage])[]): ResolvePlan | undefined {
  const starts = levelStarts(plan);
  let modules: ResolvedModule[] | undefined;
  for (const [from, to] of pairs) {
    if (!retarget(trace, from, to)) return undefined;
    const id = to.manifest.id;
    const m = trace.modOf.get(id);
    if (m?.pkg !== from) continue; // another version is in the plan
    const i = moduleAt(trace, plan, starts, id);
    if (plan.modules[i] !== m) return undefined;
    const next = Object.freeze({ ...m, pkg: to });
    (modules ??= [...plan.modules])[i] = next;
    trace.modOf.set(id, next);
  }
  traceSubstitutions.count++;
  return { modules: modules ?? plan.modules, levels: plan.levels, unresolved: plan.unresolved };
}

/** Where each level of the plan starts in plan.modules (the modules are listed level by level). */
function levelStarts(plan: ResolvePlan): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const level of plan.levels) (starts.push(at), (at += level.length));
  return starts;
}

/** The trace's package of `to`'s id@version now stands for `to`; false when the trace did not hold `from` there. */
function retarget(trace: Trace, from: ModulePackage, to: ModulePackage): boolean {
  const base = trace.index.versions(to.manifest.id).find((p) => p.key === to.key);
  if (base === undefined || (trace.current.get(base)?.pkg ?? base) !== from) return false;
  const obligations = obligationsOf(trace, base);
  if (to === base) trace.current.delete(base);
  else trace.current.set(base, { pkg: to, obligations });
  return true;
}

/** The position in plan.modules of a planned id, by the trace's level of it. */
function moduleAt(trace: Trace, plan: ResolvePlan, starts: readonly number[], id: string): number {
  const k = trace.levelOf.get(id)!;
  return starts[k]! + plan.levels[k]!.indexOf(id);
}
