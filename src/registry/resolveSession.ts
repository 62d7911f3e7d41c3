/**
 * Incremental resolution: `resolvePlan(packages, { previous })` after one module changed.
 *
 * The catalog splits into components: module ids and capabilities linked by every package's
 * dependsOn, requires, optionalRequires and provides (all versions, whatever the host).
 * Nothing the resolver decides, learns or explains crosses a component: a conflict's culprits
 * are decisions its obligation links, a binding is to a provider of the same capability, an
 * explanation names the ids and capabilities of its obligations. So a component's part of
 * the plan is the plan of the component alone, and after a change only the components the
 * change touches are resolved again; the rest of the previous plan is kept as it was.
 *
 * A change touches: the ids whose packages were added, removed or changed, and (through the
 * new packages' own links) the components they now reach. The union of those components
 * before the change is closed under the links after it (an unchanged package links what it
 * linked before; a changed one is in the set), so resolving it alone is exact.
 *
 * Three couplings between components remain in resolveFull, and each sends the resolve back
 * to a full one: whether the joint search succeeded at all (it decides between the joint and
 * the greedy partial answer for every component), the search for another choice when the
 * preferred plan closes a cycle (it looks at the whole plan), and the backtrack budget
 * (counted over the whole search; unreachable on the catalogs docs/resolver.md documents).
 *
 * A package replaced by another object with the same resolver facts (id, version, engines,
 * provides, requires, optionalRequires, dependsOn, in order: a code change) changes nothing
 * but the plan's `pkg`: the previous plan with the new package objects.
 *
 * One package whose requirements gained or lost entries is tried first inside its component
 * (resolveTrace.ts: from the search's replayed path, whatever the size of the component);
 * when that does not decide, the components as above.
 */
import { manifestFacts } from './manifestFacts.js';
import { resolveIndexFor } from './resolveIndex.js';
import { applyRequirementsChange, buildTrace, deadLosingRequirements, followSubstitution, requirementsOnly, substituteByTrace, type Trace } from './resolveTrace.js';
import type { ModulePackage, ResolveOptions, ResolvePlan, ResolvedModule } from './types.js';

/** How a plan was found, as far as an incremental resolve needs to know. */
export interface PlanFacts {
  /** The joint search (every requested id at once) succeeded. */
  readonly jointOk: boolean;
  /** Components can be resolved apart (no cycle search, no request-wide explanation). */
  readonly decomposable: boolean;
  /** How many of `unresolved` (the first ones) came from the search; the rest from cycles in the plan. */
  readonly solved: number;
}

/** resolveFull: `asPartOfFailure` gives the packages the greedy partial answer of a catalog whose joint search fails elsewhere. */
type FullResolve = (packages: readonly ModulePackage[], options: ResolveOptions, asPartOfFailure?: boolean) => { plan: ResolvePlan; facts: PlanFacts };

interface Session {
  /** The packages resolved (a copy: the caller's list may change). */
  readonly packages: readonly ModulePackage[];
  readonly hostVersion: string;
  readonly mode: 'strict' | 'partial';
  /** Sorted, unique; undefined: every id. */
  readonly request: readonly string[] | undefined;
  readonly pullOptional: boolean;
  readonly maxBacktracks: number | undefined;
  readonly facts: PlanFacts;
  /** Built on the first incremental resolve from this plan, then handed on to the next plan. */
  graph: Graph | undefined;
  /** The search's path to this plan (resolveTrace.ts): built like the graph, handed on while the shortcut applies. */
  trace: Trace | undefined;
  /** The plan was resolved from scratch from `packages`, a frozen list: its index is kept (resolveIndexFor). */
  readonly indexed: boolean;
}

const sessions = new WeakMap<ResolvePlan, Session>();

/** @internal How incremental resolves went (tests check that the incremental path is taken). */
export const incrementalStats = { derived: 0, substituted: 0, full: 0, shortcut: 0 };

/** Records how `plan` was found, for a later `resolvePlan(…, { previous: plan })`. */
export function rememberPlan(plan: ResolvePlan, packages: readonly ModulePackage[], options: ResolveOptions, facts: PlanFacts, graph?: Graph, positioned = true): void {
  if (graph !== undefined && !positioned) placeModules(graph, plan, facts);
  sessions.set(plan, {
    packages: Object.isFrozen(packages) ? packages : [...packages],
    hostVersion: options.hostVersion,
    mode: options.mode ?? 'strict',
    request: options.request ? [...new Set(options.request)].sort() : undefined,
    pullOptional: options.pullOptionalProviders !== false,
    maxBacktracks: options.maxBacktracks,
    facts,
    graph,
    trace: undefined,
    // Only resolvePlan's resolve from scratch passes positioned = false.
    indexed: !positioned && Object.isFrozen(packages),
  });
}

/** Components of a catalog, kept up to date from plan to plan. */
interface Graph {
  /** Module id -> its packages now. */
  readonly packagesOf: Map<string, ModulePackage[]>;
  /** Node (a module id, or a capability) -> its component. */
  readonly idComp: Map<string, number>;
  readonly capComp: Map<string, number>;
  /** Component -> its module ids and capabilities. */
  readonly members: Map<number, { ids: string[]; caps: string[] }>;
  nextComp: number;
  /** Module id in the plan -> its level. */
  readonly levelOf: Map<string, number>;
  /** Unresolved id -> it is among the search's ones (true) or the cycles' (false). */
  readonly unresolvedOf: Map<string, boolean>;
  /** Components known to fail the joint search (see restFails). */
  readonly failing: Set<number>;
}

/** Above this share of the catalog's ids, a change is resolved from scratch (the component is most of it). */
const MAX_SHARE = 0.5;
/** Differences between the two package lists that are paired by key; more: a resolve from scratch. */
const MAX_DIFF = 256;

/**
 * The plan of `packages` derived from `options.previous`; no plan when only a resolve from
 * scratch gives the same answer (the caller resolves then, see the file comment), with the
 * components when they already follow `packages` (the caller hands them to its plan).
 */
export function resolveIncrementally(packages: readonly ModulePackage[], options: ResolveOptions, full: FullResolve): { plan?: ResolvePlan; graph?: Graph } {
  const out = derive(packages, options, full);
  if (out.plan === undefined) incrementalStats.full++;
  else incrementalStats.derived++;
  return out;
}

/** The derived plan; or, when a full resolve must give the answer, the graph if it already follows the new packages. */
function derive(packages: readonly ModulePackage[], options: ResolveOptions, full: FullResolve): { plan?: ResolvePlan; graph?: Graph } {
  const previous = options.previous!;
  const s = sessions.get(previous);
  if (s === undefined || !sameOptions(s, options)) return {};
  const diff = diffPackages(s.packages, packages);
  // A changed package needs its components resolved again, which only a decomposable plan allows.
  if (diff === undefined || (diff.changedIds.size > 0 && !s.facts.decomposable)) return {};
  const shortcut = requirementsShortcut(s, previous, diff);
  if (shortcut !== undefined) {
    incrementalStats.shortcut++;
    rememberPlan(shortcut.plan, packages, options, s.facts);
    sessions.get(shortcut.plan)!.trace = shortcut.trace;
    return { plan: shortcut.plan };
  }
  // A code change after the shortcut: by the trace (building the components would cost more than the change).
  if (diff.changedIds.size === 0 && s.graph === undefined && s.trace !== undefined) {
    const trace = s.trace;
    s.trace = undefined;
    const plan = substituteByTrace(trace, previous, diff.substituted);
    if (plan !== undefined) {
      incrementalStats.substituted++;
      rememberPlan(plan, packages, options, s.facts);
      sessions.get(plan)!.trace = trace;
      return { plan };
    }
  }
  const graph = s.graph ?? buildGraph(s.packages, previous);
  s.graph = undefined; // handed on: the graph now describes the new catalog
  // A version added next to one that stays would be a catalog with duplicate keys: not ours to derive.
  for (const pkg of diff.added) {
    const key = pkg.key;
    if ((graph.packagesOf.get(pkg.manifest.id) ?? []).some((p) => p.key === key && !diff.removed.includes(p))) return {};
  }

  // The previous plan with the replaced package objects.
  let plan = diff.substituted.length === 0 ? previous : substitute(previous, diff.substituted, graph);
  for (const [from, to] of diff.substituted) replaceIn(graph.packagesOf, from, to);

  let jointOk = s.facts.jointOk;
  if (diff.changedIds.size === 0) incrementalStats.substituted++;
  else {
    const next = resolveComponents(plan, options, full, s, graph, diff);
    if (next === 'gave-up') return { graph };
    ({ plan, jointOk } = next);
  }
  if (plan === previous) plan = { modules: previous.modules, levels: previous.levels, unresolved: previous.unresolved };
  rememberPlan(plan, packages, options, { ...s.facts, jointOk, solved: countSolved(plan, graph) }, graph);
  // A code change keeps the search's path: the trace goes on with the new objects.
  const trace = s.trace;
  s.trace = undefined;
  if (trace !== undefined && diff.changedIds.size === 0 && followSubstitution(trace, plan, diff.substituted)) sessions.get(plan)!.trace = trace;
  return { plan };
}

/**
 * One package's requirements changed inside a component (resolveTrace.ts): the plan from the
 * search's path to the previous one, when its rules decide. Only for a whole-catalog request
 * whose joint search succeeded with no cycle (then every id is in the plan and nothing was
 * pulled in for an optional requirement), and a package list the index is kept for (frozen).
 */
function requirementsShortcut(s: Session, previous: ResolvePlan, diff: Diff): { plan: ResolvePlan; trace: Trace } | undefined {
  if (diff.removed.length !== 1 || diff.added.length !== 1 || diff.substituted.length !== 0) return undefined;
  const [from] = diff.removed;
  const [to] = diff.added;
  if (s.request !== undefined || !s.facts.jointOk || !s.facts.decomposable || previous.unresolved.length > 0 || !requirementsOnly(from!, to!)) return undefined;
  let trace = s.trace;
  s.trace = undefined; // handed on, or dropped
  if (trace === undefined) {
    if (!s.indexed) return undefined; // no index is kept for these packages: building one costs a resolve
    const index = resolveIndexFor(s.packages, s.hostVersion);
    if (deadLosingRequirements(index, from!, to!)) return undefined;
    trace = buildTrace(index, previous);
    if (trace === undefined) return undefined;
  }
  const plan = applyRequirementsChange(trace, previous, from!, to!);
  if (plan === undefined) return undefined;
  // The components (if built) describe the old links; the next resolve by components builds them again.
  s.graph = undefined;
  return { plan, trace };
}

function countSolved(plan: ResolvePlan, graph: Graph): number {
  let n = 0;
  for (const u of plan.unresolved) if (graph.unresolvedOf.get(u.id) === true) n++;
  return n;
}

function sameOptions(s: Session, o: ResolveOptions): boolean {
  if (s.hostVersion !== o.hostVersion || s.mode !== (o.mode ?? 'strict') || s.pullOptional !== (o.pullOptionalProviders !== false) || s.maxBacktracks !== o.maxBacktracks) return false;
  if (o.request === undefined || s.request === undefined) return o.request === undefined && s.request === undefined;
  const r = [...new Set(o.request)].sort();
  return r.length === s.request.length && r.every((id, i) => id === s.request![i]);
}

interface Diff {
  readonly removed: ModulePackage[];
  readonly added: ModulePackage[];
  /** Same key and facts, another object: [previous, next]. */
  readonly substituted: [ModulePackage, ModulePackage][];
  /** Ids with a package added, removed or changed. */
  readonly changedIds: Set<string>;
}

/** The two lists compared by reference outside the part where they differ, paired by key inside it. */
function diffPackages(before: readonly ModulePackage[], after: readonly ModulePackage[]): Diff | undefined {
  let head = 0;
  const shorter = Math.min(before.length, after.length);
  while (head < shorter && before[head] === after[head]) head++;
  let tailB = before.length;
  let tailA = after.length;
  while (tailB > head && tailA > head && before[tailB - 1] === after[tailA - 1]) (tailB--, tailA--);
  if (tailB - head > MAX_DIFF || tailA - head > MAX_DIFF) return undefined;
  const removedByKey = new Map<string, ModulePackage>();
  for (let i = head; i < tailB; i++) {
    if (removedByKey.has(before[i]!.key)) return undefined; // two folders with one id@version: pairing by key would lose one
    removedByKey.set(before[i]!.key, before[i]!);
  }
  const addedKeys = new Set<string>();
  for (let i = head; i < tailA; i++) {
    if (addedKeys.has(after[i]!.key)) return undefined;
    addedKeys.add(after[i]!.key);
  }
  const diff: Diff = { removed: [], added: [], substituted: [], changedIds: new Set() };
  for (let i = head; i < tailA; i++) {
    const pkg = after[i]!;
    const old = removedByKey.get(pkg.key);
    if (old === undefined) {
      diff.added.push(pkg);
      diff.changedIds.add(pkg.manifest.id);
      continue;
    }
    removedByKey.delete(pkg.key);
    if (old === pkg) continue; // moved, not changed
    if (sameFacts(old, pkg)) diff.substituted.push([old, pkg]);
    else {
      diff.removed.push(old);
      diff.added.push(pkg);
      diff.changedIds.add(pkg.manifest.id);
    }
  }
  for (const old of removedByKey.values()) {
    diff.removed.push(old);
    diff.changedIds.add(old.manifest.id);
  }
  return diff;
}

/** Everything the resolver reads of a package, in the order it reads it. */
function sameFacts(a: ModulePackage, b: ModulePackage): boolean {
  const ma = a.manifest;
  const mb = b.manifest;
  if (ma === mb) return true;
  if (ma.id !== mb.id || ma.version !== mb.version || ma.engines.hotmod !== mb.engines.hotmod) return false;
  const fa = manifestFacts(ma);
  const fb = manifestFacts(mb);
  return sameEntries(fa.provides, fb.provides) && sameEntries(fa.requires, fb.requires) && sameEntries(fa.optionalRequires, fb.optionalRequires) && sameEntries(fa.dependsOn, fb.dependsOn);
}

function sameEntries(a: readonly (readonly [string, string])[], b: readonly (readonly [string, string])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

function replaceIn(packagesOf: Map<string, ModulePackage[]>, from: ModulePackage, to: ModulePackage): void {
  const list = packagesOf.get(from.manifest.id);
  const i = list?.indexOf(from) ?? -1;
  if (i >= 0) list![i] = to;
}

/** Where a module id sits in plan.modules: its level's slice, found by binary search (a level is sorted). */
function positionOf(plan: ResolvePlan, graph: Graph, id: string, starts: readonly number[]): number {
  const level = graph.levelOf.get(id);
  if (level === undefined) return -1;
  const ids = plan.levels[level]!;
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ids[mid]!;
    if (v === id) return starts[level]! + mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function levelStarts(plan: ResolvePlan): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const level of plan.levels) (starts.push(at), (at += level.length));
  return starts;
}

function substitute(plan: ResolvePlan, pairs: readonly [ModulePackage, ModulePackage][], graph: Graph): ResolvePlan {
  const starts = levelStarts(plan);
  let modules: ResolvedModule[] | undefined;
  for (const [from, to] of pairs) {
    const i = positionOf(plan, graph, from.manifest.id, starts);
    if (i < 0 || plan.modules[i]!.pkg !== from) continue; // another version is in the plan
    modules ??= [...plan.modules];
    modules[i] = Object.freeze({ ...plan.modules[i]!, pkg: to });
  }
  return modules === undefined ? plan : { modules, levels: plan.levels, unresolved: plan.unresolved };
}

/** Components of `packages` (union-find over ids and capabilities), and where the plan's modules sit. */
function buildGraph(packages: readonly ModulePackage[], plan: ResolvePlan): Graph {
  const graph: Graph = { packagesOf: new Map(), idComp: new Map(), capComp: new Map(), members: new Map(), nextComp: 0, levelOf: new Map(), unresolvedOf: new Map(), failing: new Set() };
  for (const pkg of packages) {
    const list = graph.packagesOf.get(pkg.manifest.id);
    if (list) list.push(pkg);
    else graph.packagesOf.set(pkg.manifest.id, [pkg]);
  }
  label(graph, [...graph.packagesOf.keys()], [], plan.unresolved.map((u) => u.id));
  placeModules(graph, plan, sessions.get(plan)?.facts);
  return graph;
}

/** Where each module of `plan` sits (its level), and which unresolved ids the search reported. */
function placeModules(graph: Graph, plan: ResolvePlan, facts: PlanFacts | undefined): void {
  graph.levelOf.clear();
  graph.unresolvedOf.clear();
  plan.levels.forEach((level, k) => {
    for (const id of level) graph.levelOf.set(id, k);
  });
  plan.unresolved.forEach((u, i) => graph.unresolvedOf.set(u.id, i < (facts?.solved ?? plan.unresolved.length)));
}

/**
 * (Re)labels the components of the given ids and capabilities (and of everything their
 * packages link) from the packages they have now. The nodes given must be a union of whole
 * components: their old labels are dropped.
 */
function label(graph: Graph, ids: readonly string[], caps: readonly string[], extraIds: readonly string[]): void {
  const node = new Map<string, number>(); // "i" + id or "c" + capability -> union-find index
  const parent: number[] = [];
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  const nodeOf = (key: string): number => {
    let n = node.get(key);
    if (n === undefined) (node.set(key, (n = parent.length)), parent.push(n));
    return n;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[ra] = rb;
  };
  for (const id of [...ids, ...extraIds]) nodeOf(`i${id}`);
  for (const cap of caps) nodeOf(`c${cap}`);
  for (const id of ids)
    for (const pkg of graph.packagesOf.get(id) ?? []) {
      const u = nodeOf(`i${id}`);
      const f = manifestFacts(pkg.manifest);
      for (const [dep] of f.dependsOn) union(u, nodeOf(`i${dep}`));
      for (const [cap] of f.requires) union(u, nodeOf(`c${cap}`));
      for (const [cap] of f.optionalRequires) union(u, nodeOf(`c${cap}`));
      for (const [cap] of f.provides) union(u, nodeOf(`c${cap}`));
    }
  const compOfRoot = new Map<number, number>();
  for (const [key, n] of node) {
    const root = find(n);
    let comp = compOfRoot.get(root);
    if (comp === undefined) {
      compOfRoot.set(root, (comp = graph.nextComp++));
      graph.members.set(comp, { ids: [], caps: [] });
    }
    const m = graph.members.get(comp)!;
    const name = key.slice(1);
    if (key[0] === 'i') (graph.idComp.set(name, comp), m.ids.push(name));
    else (graph.capComp.set(name, comp), m.caps.push(name));
  }
}

/**
 * Does the joint search fail in some component outside `ids`? Only a component whose greedy
 * answer left something out can fail; each such one is resolved alone until one fails (a
 * failing component is remembered: it fails as long as it is not changed, and merged into a
 * bigger one it still does).
 */
function restFails(graph: Graph, ids: ReadonlySet<string>, options: ResolveOptions, full: FullResolve): boolean {
  const suspects = new Set<number>();
  for (const [id, bySearch] of graph.unresolvedOf) {
    if (!bySearch || ids.has(id)) continue;
    const c = graph.idComp.get(id);
    if (c === undefined) return false;
    if (graph.failing.has(c)) return true;
    suspects.add(c);
  }
  for (const c of suspects) {
    const m = graph.members.get(c)!;
    const packages = m.ids.flatMap((id) => graph.packagesOf.get(id) ?? []);
    const inComp = new Set(m.ids);
    const request = options.request ? [...new Set(options.request)].filter((id) => inComp.has(id)) : undefined;
    let jointOk: boolean;
    try {
      jointOk = full(packages, { ...options, previous: undefined, ...(request ? { request } : {}) }).facts.jointOk;
    } catch {
      return false;
    }
    if (!jointOk) {
      graph.failing.add(c);
      return true;
    }
  }
  return false;
}

/** The components `comps` and the new nodes (`ids`, `caps` not labelled yet) as one component: the largest one's. */
function mergeInto(graph: Graph, comps: ReadonlySet<number>, ids: ReadonlySet<string>, caps: ReadonlySet<string>): void {
  let target: number | undefined;
  for (const c of comps) if (target === undefined || graph.members.get(c)!.ids.length > graph.members.get(target)!.ids.length) target = c;
  if (target === undefined) graph.members.set((target = graph.nextComp++), { ids: [], caps: [] });
  const into = graph.members.get(target)!;
  graph.failing.delete(target); // it holds the change now
  for (const c of comps) {
    if (c === target) continue;
    const m = graph.members.get(c)!;
    for (const id of m.ids) (graph.idComp.set(id, target), into.ids.push(id));
    for (const cap of m.caps) (graph.capComp.set(cap, target), into.caps.push(cap));
    graph.members.delete(c);
    graph.failing.delete(c);
  }
  for (const id of ids) if (!graph.idComp.has(id)) (graph.idComp.set(id, target), into.ids.push(id));
  for (const cap of caps) if (!graph.capComp.has(cap)) (graph.capComp.set(cap, target), into.caps.push(cap));
}

/** Resolves the components the change touches on their own and puts their plan in place of theirs in `plan`. */
function resolveComponents(plan: ResolvePlan, options: ResolveOptions, full: FullResolve, s: Session, graph: Graph, diff: Diff): { plan: ResolvePlan; jointOk: boolean } | 'gave-up' {
  // Seeds: the changed ids, and everything the new packages link.
  const comps = new Set<number>();
  const ids = new Set<string>();
  const caps = new Set<string>();
  const touchId = (id: string) => {
    const c = graph.idComp.get(id);
    if (c === undefined) ids.add(id);
    else comps.add(c);
  };
  const touchCap = (cap: string) => {
    const c = graph.capComp.get(cap);
    if (c === undefined) caps.add(cap);
    else comps.add(c);
  };
  for (const id of diff.changedIds) touchId(id);
  for (const pkg of diff.added) {
    const f = manifestFacts(pkg.manifest);
    for (const [dep] of f.dependsOn) touchId(dep);
    for (const [cap] of f.requires) touchCap(cap);
    for (const [cap] of f.optionalRequires) touchCap(cap);
    for (const [cap] of f.provides) touchCap(cap);
  }
  for (const c of comps) {
    const m = graph.members.get(c)!;
    for (const id of m.ids) ids.add(id);
    for (const cap of m.caps) caps.add(cap);
  }
  // The graph follows the new catalog whatever happens next (it is handed on with the plan).
  const tooBig = ids.size > MAX_SHARE * Math.max(1, graph.idComp.size);
  for (const pkg of diff.removed) {
    const list = graph.packagesOf.get(pkg.manifest.id)!;
    list.splice(list.indexOf(pkg), 1);
    if (list.length === 0) graph.packagesOf.delete(pkg.manifest.id);
  }
  for (const pkg of diff.added) {
    const list = graph.packagesOf.get(pkg.manifest.id);
    if (list) list.push(pkg);
    else graph.packagesOf.set(pkg.manifest.id, [pkg]);
  }
  if (tooBig) {
    // Most of the catalog: resolved from scratch. Relabelling it would cost as much as the
    // resolve, so the touched components are merged into one instead (still a union of whole
    // components, which is all the next incremental resolve needs).
    mergeInto(graph, comps, ids, caps);
    return 'gave-up';
  }
  for (const c of comps) (graph.members.delete(c), graph.failing.delete(c));
  for (const id of ids) graph.idComp.delete(id);
  for (const cap of caps) graph.capComp.delete(cap);
  const inPlan = (id: string) => graph.levelOf.has(id) || graph.unresolvedOf.has(id);
  label(graph, [...ids].filter((id) => graph.packagesOf.has(id)), [...caps], [...ids].filter((id) => !graph.packagesOf.has(id) && inPlan(id)));
  // Requested ids that no package has stay nodes of their own (their "no module" explanation).
  if (s.request) for (const id of s.request) if (!graph.idComp.has(id)) label(graph, [], [], [id]);

  const subPackages: ModulePackage[] = [];
  for (const id of ids) for (const pkg of graph.packagesOf.get(id) ?? []) subPackages.push(pkg);
  const request = s.request?.filter((id) => ids.has(id));
  const subOptions: ResolveOptions = { ...options, previous: undefined, ...(request ? { request } : {}) };
  // When the joint search failed before, which part failed? A part whose greedy partial
  // answer left nothing out has a joint plan (that answer is the joint search's first plan),
  // so: if the changed part left nothing out before, the failure is in the rest and stays
  // (this part gets its share of the greedy answer); if the rest has nothing unresolved at
  // all, its answer is its joint one, and this part decides alone. Otherwise, a full resolve.
  let partExcluded = false;
  let restClean = true;
  for (const [id, bySearch] of graph.unresolvedOf) {
    if (ids.has(id)) partExcluded ||= bySearch;
    else restClean = false;
  }
  const failsElsewhere = !s.facts.jointOk && (!partExcluded || (!restClean && restFails(graph, ids, options, full)));
  if (!s.facts.jointOk && !failsElsewhere && !restClean) return 'gave-up';
  let sub: { plan: ResolvePlan; facts: PlanFacts };
  try {
    sub = full(subPackages, subOptions, failsElsewhere);
  } catch {
    return 'gave-up'; // strict mode: the error of a full resolve names the whole request
  }
  if (!sub.facts.decomposable) return 'gave-up';
  // Before: the joint search succeeded everywhere, so it now succeeds exactly when this part's does;
  // a part that fails now would need the rest's greedy answer, which the plan does not have.
  if (s.facts.jointOk && !sub.facts.jointOk) return 'gave-up';
  const jointOk = failsElsewhere ? false : sub.facts.jointOk;
  return { plan: merge(plan, sub, ids, graph), jointOk };
}

function merge(plan: ResolvePlan, sub: { plan: ResolvePlan; facts: PlanFacts }, ids: ReadonlySet<string>, graph: Graph): ResolvePlan {
  // Levels: a module's level is the longest chain below it, inside its component: level k of
  // the new plan is level k of the kept part and level k of the component's plan, merged.
  // Only the component's ids are looked up (binary search in the sorted levels); the kept
  // part is copied in slices.
  const dropped = new Map<number, number[]>(); // level -> positions of the component's old modules in it
  for (const id of ids) {
    const k = graph.levelOf.get(id);
    if (k === undefined) continue;
    graph.levelOf.delete(id);
    const at = lowerBound(plan.levels[k]!, id);
    const list = dropped.get(k);
    if (list) list.push(at);
    else dropped.set(k, [at]);
  }
  const starts = levelStarts(plan);
  const subStarts = levelStarts(sub.plan);
  const depth = Math.max(plan.levels.length, sub.plan.levels.length);
  const levels: (readonly string[])[] = [];
  const modules: ResolvedModule[] = [];
  for (let k = 0; k < depth; k++) {
    const kept = plan.levels[k] ?? [];
    const added = sub.plan.levels[k] ?? [];
    const drop = dropped.get(k);
    const from = starts[k] ?? 0;
    if (drop === undefined && added.length === 0) {
      levels.push(kept);
      pushSlice(modules, plan.modules, from, from + kept.length);
      continue;
    }
    drop?.sort((x, y) => x - y);
    const level: string[] = [];
    let i = 0; // next kept position to copy
    let d = 0; // next dropped position
    const copyKeptUpTo = (end: number) => {
      // kept[i, end) without the dropped positions
      while (i < end) {
        const stop = drop !== undefined && d < drop.length && drop[d]! < end ? drop[d]! : end;
        pushSlice(level, kept, i, stop);
        pushSlice(modules, plan.modules, from + i, from + stop);
        i = stop;
        if (drop !== undefined && d < drop.length && drop[d] === i) (i++, d++);
      }
    };
    for (let j = 0; j < added.length; j++) {
      copyKeptUpTo(lowerBound(kept, added[j]!, i));
      level.push(added[j]!);
      modules.push(sub.plan.modules[subStarts[k]! + j]!);
      graph.levelOf.set(added[j]!, k);
    }
    copyKeptUpTo(kept.length);
    levels.push(level);
  }
  // A level left empty at the top is dropped (the kept part was shallower).
  while (levels.length > 0 && levels[levels.length - 1]!.length === 0) levels.pop();
  // Unresolved: the search's ones (sorted by id), then the cycles' (sorted by id), each merged.
  for (const id of ids) graph.unresolvedOf.delete(id);
  const solvedKept = plan.unresolved.filter((u) => graph.unresolvedOf.get(u.id) === true);
  const cyclesKept = plan.unresolved.filter((u) => graph.unresolvedOf.get(u.id) === false);
  const solvedNew = sub.plan.unresolved.slice(0, sub.facts.solved);
  const cyclesNew = sub.plan.unresolved.slice(sub.facts.solved);
  for (const u of solvedNew) graph.unresolvedOf.set(u.id, true);
  for (const u of cyclesNew) graph.unresolvedOf.set(u.id, false);
  const unresolved = [...mergeById(solvedKept, solvedNew), ...mergeById(cyclesKept, cyclesNew)];
  return { modules, levels, unresolved };
}

/** The first position in sorted `ids` (from `lo`) whose id is not below `id`. */
function lowerBound(ids: readonly string[], id: string, lo = 0): number {
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pushSlice<T>(into: T[], from: readonly T[], start: number, end: number): void {
  for (let i = start; i < end; i++) into.push(from[i]!);
}

function mergeById<T extends { readonly id: string }>(a: readonly T[], b: readonly T[]): T[] {
  if (b.length === 0) return [...a];
  if (a.length === 0) return [...b];
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.id < b[j]!.id)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
