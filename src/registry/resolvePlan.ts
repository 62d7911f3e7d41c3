import { HotmodError } from '../errors.js';
import { ResolveErrorCode, type ResolveErrorCodeValue } from './errors.js';
import { resolveIndexFor, satisfies, type ProviderEntry, type ResolveIndex } from './resolveIndex.js';
import { manifestFacts } from './manifestFacts.js';
import { solve, type Obligation, type Reason, type ReasonKind, type SolveResult } from './solver.js';
import { cycleCheck, wouldRedirect } from './solverCycles.js';
import { deadPackages } from './solverPrune.js';
import type { ModulePackage, ResolveOptions, ResolvePlan, ResolvedModule } from './types.js';
import { rememberPlan, resolveIncrementally, type PlanFacts } from './resolveSession.js';

const CODE_OF: Record<ReasonKind, ResolveErrorCodeValue> = {
  missing: ResolveErrorCode.MISSING,
  conflict: ResolveErrorCode.CONFLICT,
  engine: ResolveErrorCode.ENGINE,
  budget: ResolveErrorCode.TOO_COMPLEX,
};

function fixFor(kind: ReasonKind, hostVersion: string): string {
  switch (kind) {
    case 'missing':
      return 'add the missing module to the modules directory, or remove the requirement from the manifest';
    case 'conflict':
      return 'align the version ranges with the versions in the catalog (hotmod ls lists them)';
    case 'engine':
      return `use a module version built for hotmod ${hostVersion}, or widen its engines.hotmod range if it works with this host`;
    case 'budget':
      return 'narrow the version ranges or remove old versions from the modules directory';
  }
}

function unresolvedError(id: string, reason: Reason, hostVersion: string): HotmodError {
  const code = CODE_OF[reason.kind];
  return new HotmodError(code, `cannot resolve module '${id}': ${reason.chain.join('; ')}; to fix: ${fixFor(reason.kind, hostVersion)}`, {
    moduleId: id,
    chain: [...reason.chain],
  });
}

/** One error for a strict resolve that left requested modules out: the first one's code, every explanation. */
function strictError(unresolved: readonly { id: string; error: HotmodError }[]): HotmodError {
  const first = unresolved[0]!;
  if (unresolved.length === 1) return first.error;
  return new HotmodError(
    first.error.code,
    `cannot resolve ${unresolved.length} modules: ${unresolved.map((u) => u.error.message).join(' | ')}`,
    {
      moduleId: first.id,
      chain: first.error.details.chain,
      unresolved: unresolved.map((u) => ({ id: u.id, code: u.error.code, message: u.error.message, chain: u.error.details.chain })),
    },
  );
}

/**
 * Chooses one version per module id for the requested ids (default: all), pulls in the
 * providers of required capabilities, binds optional requirements where a provider fits,
 * and orders the result in activation levels. See docs/manifest.md "Resolution".
 *
 * strict (default): throws a HotmodError (E_RESOLVE_*) whose message explains the chain.
 * partial: never throws for resolution problems; what cannot be resolved, and what needs
 * it, is listed in `unresolved` with its explanation.
 *
 * `options.previous`: the plan of an earlier resolve of almost the same packages (the
 * watcher's and the swap's case). Only what the change can reach is resolved again
 * (resolveSession.ts); the answer is the one a resolve from scratch gives.
 */
export function resolvePlan(packages: readonly ModulePackage[], options: ResolveOptions): ResolvePlan {
  const derived = options.previous === undefined ? undefined : resolveIncrementally(packages, options, resolveFull);
  if (derived?.plan !== undefined) return derived.plan;
  const { plan, facts } = resolveFull(packages, options);
  // The components of the packages, when the incremental attempt already brought them up to date.
  rememberPlan(plan, packages, options, facts, derived?.graph, false);
  return plan;
}

/** A resolve from scratch: the plan, and what an incremental resolve needs to know about how it was found. */
/**
 * `asPartOfFailure` (incremental resolution only): these packages are part of a catalog whose
 * joint search fails elsewhere, so they get the greedy partial answer that the whole
 * catalog's resolve gives them (no joint search, no request-wide explanation).
 */
function resolveFull(packages: readonly ModulePackage[], options: ResolveOptions, asPartOfFailure = false): { plan: ResolvePlan; facts: PlanFacts } {
  const index = resolveIndexFor(packages, options.hostVersion);
  const mode = options.mode ?? 'strict';
  const requested = options.request ? [...new Set(options.request)].sort() : [...index.ids];
  const roots: Obligation[] = requested.map((id) => ({ kind: 'root', id }));
  const unresolved: { id: string; error: HotmodError }[] = [];
  let decomposable = true;

  let selected: Map<string, ModulePackage>;
  const budget = options.maxBacktracks;
  // Most small catalogs resolve in a few backtracks. When the first try runs past FIRST_TRY,
  // the search starts again with the versions that can be in no plan of this request turned
  // down when tried (solverPrune.ts): the same answer, found without the long detours. Big
  // catalogs start with them at once (the first try would nearly always be wasted there).
  const deadFirst = index.slotCount >= DEAD_FIRST_IDS;
  const firstBudget = deadFirst ? (budget ?? Infinity) : Math.min(budget ?? Infinity, FIRST_TRY);
  let joint: SolveResult = asPartOfFailure
    ? { ok: false, reason: { kind: 'conflict', chain: [] }, backtracks: 0 }
    : solve(index, roots, {
        excludable: false,
        ...(deadFirst ? { nogoods: deadPackages(index, requested) } : {}),
        ...(firstBudget === Infinity ? {} : { budget: firstBudget }),
      });
  if (!asPartOfFailure && !deadFirst && !joint.ok && joint.reason.kind === 'budget' && (budget ?? Infinity) > firstBudget)
    joint = solve(index, roots, { excludable: false, nogoods: deadPackages(index, requested), ...(budget === undefined ? {} : { budget }) });
  if (joint.ok) {
    selected = joint.selected;
  } else if (joint.reason.kind === 'budget' && mode === 'strict') {
    // A greedy second pass would blame some module for a conflict that more search might solve.
    throw unresolvedError(requested.join(', '), joint.reason, index.hostVersion);
  } else {
    // Some requested module cannot be had: find out which (greedily, in id order), each with its reason.
    const partial = solve(index, roots, { excludable: true, ...(budget === undefined ? {} : { budget }) });
    if (!partial.ok) {
      const error = unresolvedError(requested.join(', '), partial.reason, index.hostVersion);
      if (mode === 'strict') throw error;
      const plan = { modules: [], levels: [], unresolved: requested.map((id) => ({ id, error })) };
      return { plan, facts: { jointOk: false, decomposable: false, solved: plan.unresolved.length } };
    }
    selected = partial.selected;
    for (const id of requested) {
      const reason = partial.excluded.get(id);
      if (reason) unresolved.push({ id, error: unresolvedError(id, reason, index.hostVersion) });
    }
    if (unresolved.length === 0 && !asPartOfFailure) {
      decomposable = false; // the joint search's reason names the whole request
      unresolved.push({ id: requested[0]!, error: unresolvedError(requested[0]!, joint.reason, index.hostVersion) });
    }
    if (mode === 'strict') throw strictError(unresolved);
  }

  const pullOptional = options.pullOptionalProviders !== false;
  const optionalOnly = pullOptional ? addOptionalProviders(index, selected) : new Set<string>();
  let plan = buildPlan(index, selected, mode, optionalOnly, joint.ok);
  if (plan.cycles !== undefined) {
    // The versions chosen close a cycle. Other versions may not: search again, checking every
    // complete assignment for cycles (cycleCheck), which finds the first acyclic one in
    // preference order or proves there is none. The retries with each cycle forbidden remain
    // for cycles that optional providers close. When no complete plan is found, the first
    // choice stands and its cycle is reported (or left out, in partial mode).
    decomposable = false; // the search for another choice looks at the whole plan at once
    const nogoods: { members: readonly ModulePackage[]; why: string }[] = [...deadPackages(index, requested)];
    let cycles: readonly Cycle[] = plan.cycles;
    let current = selected;
    for (let attempt = 0; attempt < MAX_CYCLE_RETRIES && plan.cycles !== undefined; attempt++) {
      // The first retry forbids nothing: cycleCheck sees the cycles, and whether another
      // provider's version would take a binding away from them (a nogood of their versions could not).
      if (attempt > 0)
        for (const c of cycles) {
          const members = c.members.map((id) => current.get(id)!);
          nogoods.push({ members, why: `${list(members.map((m) => `${m.manifest.id} ${m.manifest.version}`))} together would close a cycle: ${c.text}` });
        }
      const retry = solve(index, roots, { excludable: false, nogoods, complete: cycleCheck(index), ...(budget === undefined ? {} : { budget }) });
      if (!retry.ok) break;
      current = retry.selected;
      const retryPlan = buildPlan(index, current, mode, pullOptional ? addOptionalProviders(index, current) : new Set<string>(), true);
      if (retryPlan.cycles === undefined) plan = retryPlan;
      else cycles = retryPlan.cycles;
    }
    if (plan.cycles !== undefined) plan = buildPlan(index, selected, mode, optionalOnly, false);
  }
  return {
    plan: { modules: plan.modules, levels: plan.levels, unresolved: [...unresolved, ...plan.unresolved] },
    facts: { jointOk: joint.ok, decomposable, solved: unresolved.length },
  };
}

/** From this many module ids on, the dead-package pass runs before the first search (see resolveFull). */
const DEAD_FIRST_IDS = 1_000;

const NONE: readonly string[] = Object.freeze([]);

/** A node's edge lists before it has any (replaced, never pushed to: see buildPlan). */
const NO_NODES: Node[] = [];
const NO_NEEDS: string[] = [];

/** Is `slot` among list[from …]? */
function hasSlot(list: readonly number[], from: number, slot: number): boolean {
  for (let i = from; i < list.length; i++) if (list[i] === slot) return true;
  return false;
}

/** The optional bindings of a module without optional requirements (null prototype, like the others). */
const NO_BINDINGS: Record<string, string | null> = Object.freeze(Object.create(null) as Record<string, string | null>);

/** Backtracks of the first joint search before the dead-package pass (see resolvePlan). */
const FIRST_TRY = 2_000;

/** How many times resolvePlan searches again for versions that avoid a cycle. */
const MAX_CYCLE_RETRIES = 8;

/** "a", "a and b", "a, b and c". */
function list(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Pulls in a provider for each optional requirement no module in the plan serves, when one
 * resolves without changing the plan. Returns the ids it added: modules that are in the
 * plan only because something optionally wants them.
 */
function addOptionalProviders(index: ResolveIndex, selected: Map<string, ModulePackage>): Set<string> {
  const added = new Set<string>();
  // Only modules with optional requirements matter; most catalogs have few.
  const queue: ModulePackage[] = [];
  if (index.hasOptionalRequirements) for (const pkg of selected.values()) if (manifestFacts(pkg.manifest).optionalRequires.length > 0) queue.push(pkg);
  queue.sort(byId);
  for (let i = 0; i < queue.length; i++) {
    const pkg = queue[i]!;
    for (const [name, range] of manifestFacts(pkg.manifest).optionalRequires) {
      if (index.providers(name).length === 0 || findProvider(index, selected, name, range)) continue;
      const extra = solve(index, [{ kind: 'cap', name, range, from: pkg, optional: true }], { excludable: false, locked: selected, budget: 10_000 });
      if (!extra.ok || wouldRedirect(index, selected, extra.selected)) continue;
      for (const [id, pkg] of [...extra.selected].sort((a, b) => cmp(a[0], b[0]))) {
        selected.set(id, pkg);
        added.add(id);
        queue.push(pkg);
      }
    }
  }
  return added;
}

/** Is some module in the plan a provider of `name` in `range`? */
function findProvider(index: ResolveIndex, selected: ReadonlyMap<string, ModulePackage>, name: string, range: string): string | undefined {
  for (const e of index.providers(name)) if (satisfies(e.capabilityVersion, range) && selected.get(e.pkg.manifest.id) === e.pkg) return e.pkg.manifest.id;
  return undefined;
}

/** The provider a consumer binds to, among the providers in its range: highest capability version, then module id (the entries' order). */
function pickProvider(inRange: readonly ProviderEntry[], chosen: readonly (ModulePackage | undefined)[]): ProviderEntry | undefined {
  for (let i = 0; i < inRange.length; i++) if (chosen[inRange[i]!.slot] === inRange[i]!.pkg) return inRange[i];
  return undefined;
}

interface Node {
  readonly id: string;
  readonly pkg: ModulePackage;
  /** From the index's facts (read when the node is made, not through the manifest again). */
  readonly version: string;
  readonly dependsOnIds: readonly string[];
  readonly bindings: Record<string, string>;
  readonly optionalBindings: Record<string, string | null>;
  /** Ids this module needs (dependsOn + required providers), sorted, unique. */
  needs: string[];
  /** What must activate after this one (mandatory and ordered optional edges). */
  after: Node[];
  /** What needs this one (mandatory). */
  dependents: Node[];
  /** Incoming order edges. */
  inDegree: number;
  /** Scratch counter of orderLevels. */
  waiting: number;
  /** The slots of what it needs (first pass only): neededSlots[slotsFrom … slotsTo). */
  slotsFrom: number;
  slotsTo: number;
}

function buildPlan(
  index: ResolveIndex,
  selected: Map<string, ModulePackage>,
  mode: 'strict' | 'partial',
  optionalOnly: ReadonlySet<string>,
  /** Return the cycles (instead of throwing or leaving them out) when the plan's own modules form one. */
  probe: boolean,
): { modules: ResolvedModule[]; levels: string[][]; unresolved: { id: string; error: HotmodError }[]; cycles?: readonly Cycle[] } {
  // Slots (ResolveIndex.slotOf) instead of id lookups: on big catalogs every map probe is a cache miss.
  const chosen: (ModulePackage | undefined)[] = new Array<ModulePackage | undefined>(index.slotCount);
  // Values, not entries: an entry is an array per module (selected is keyed by the package's own id).
  // Each slot looked up once; ids read from the index's own list, not through each package's manifest.
  const slotOfEach = new Int32Array(selected.size);
  let each = 0;
  for (const pkg of selected.values()) chosen[(slotOfEach[each++] = index.slotOf(pkg.manifest.id))] = pkg;
  // The nodes by id, made only when cycles or optional bindings need lookups by id (a map of
  // 100,000 ids cost more than ordering them); nodeList is the same nodes in the same order.
  let nodesById: Map<string, Node> | undefined;
  const byId = (): Map<string, Node> => {
    if (nodesById === undefined) {
      nodesById = new Map();
      for (let i = 0; i < nodeList.length; i++) nodesById.set(nodeList[i]!.id, nodeList[i]!);
    }
    return nodesById;
  };
  const nodeBySlot: (Node | undefined)[] = new Array<Node | undefined>(index.slotCount);
  const nodeList: Node[] = [];
  // What each node needs, as slots in one flat list, and how many need each slot: the edge
  // arrays are then made at their size (an array per node grown by push cost more than the plan's own work at 100,000 ids).
  const neededSlots: number[] = [];
  const neededBy = new Int32Array(index.slotCount);
  // The solver fills `selected` in a deterministic order (sorted requests, ordered candidates): no sort needed.
  each = 0;
  for (const pkg of selected.values()) {
    const slot = slotOfEach[each++]!;
    const id = index.idOfSlot(slot);
    // Null-prototype records: V8 keeps them as dictionaries instead of minting a hidden
    // class per distinct capability name, which dominated resolves of big catalogs.
    const bindings: Record<string, string> = Object.create(null);
    const slotsFrom = neededSlots.length;
    // Indexed loops here and below: buildPlan runs once per resolve, mostly unoptimized, where each for-of step allocates.
    const ts = index.obligationsAt(slot, pkg);
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t.kind === 'cap') {
        const entry = pickProvider(index.providersOf(t), chosen)!;
        bindings[t.name] = index.idOfSlot(entry.slot);
        if (!hasSlot(neededSlots, slotsFrom, entry.slot)) neededSlots.push(entry.slot);
      } else if (t.kind === 'dep' && !hasSlot(neededSlots, slotsFrom, t.slot!)) neededSlots.push(t.slot!);
    }
    const facts = index.factsAt(slot, pkg);
    const optional = facts.optionalRequires;
    // Most modules have no optional requirement: they share one empty record.
    const optionalBindings: Record<string, string | null> = optional.length === 0 ? NO_BINDINGS : Object.create(null);
    for (const [name, range] of optional)
      optionalBindings[name] = pickProvider(index.providersInRange(name, range), chosen)?.pkg.manifest.id ?? null;
    const slotsTo = neededSlots.length;
    for (let i = slotsFrom; i < slotsTo; i++) neededBy[neededSlots[i]!]!++;
    const node: Node = { id, pkg, version: facts.version, dependsOnIds: facts.dependsOnIds, bindings, optionalBindings, needs: NO_NEEDS, after: NO_NODES, dependents: NO_NODES, inDegree: 0, waiting: 0, slotsFrom, slotsTo };
    nodeBySlot[slot] = node;
    nodeList.push(node);
  }
  for (let n = 0; n < nodeList.length; n++) {
    const node = nodeList[n]!;
    const count = neededBy[slotOfEach[n]!]!; // nodeList is in the order of selected, as slotOfEach
    if (count > 0) (node.after = new Array<Node>(count)), (node.dependents = new Array<Node>(count)), (node.waiting = 0);
    if (node.slotsTo > node.slotsFrom) node.needs = new Array<string>(node.slotsTo - node.slotsFrom);
  }
  // (waiting counts the edge arrays' fill here; orderLevels resets it.)
  for (let n = 0; n < nodeList.length; n++) {
    const node = nodeList[n]!;
    for (let i = node.slotsFrom; i < node.slotsTo; i++) {
      const provider = nodeBySlot[neededSlots[i]!]!;
      provider.after[provider.waiting] = node;
      provider.dependents[provider.waiting++] = node;
      node.needs[i - node.slotsFrom] = provider.id;
      node.inDegree++;
    }
    sortStrings(node.needs);
  }

  const unresolved: { id: string; error: HotmodError }[] = [];
  // A cycle leaves nodes that Kahn's algorithm never reaches: only then look for the cycles themselves.
  let order: readonly Node[] = nodeList;
  const firstOrder = orderLevels(order, true);
  const cyclic = firstOrder.placed < order.length ? findCycles(byId()) : [];
  if (cyclic.length > 0) {
    const nodes = byId();
    // A module in the plan for its own sake needs only such modules, so a cycle is either all
    // wanted or all optional extras. Optional extras in a cycle are dropped quietly (their
    // consumers' optional bindings become null): an optional requirement never fails a plan.
    const wanted = cyclic.filter((c) => !c.members.every((id) => optionalOnly.has(id)));
    if (probe && wanted.length > 0) return { modules: [], levels: [], unresolved: [], cycles: wanted };
    const fix = 'to fix: remove one of these requirements (move shared code into a module both can depend on, or make one requirement optional)';
    if (mode === 'strict' && wanted.length > 0)
      throw new HotmodError(
        ResolveErrorCode.CYCLE,
        `cannot resolve ${wanted.length === 1 ? 'a cycle' : `${wanted.length} cycles`}: modules need each other in a cycle: ${wanted.map((c) => c.text).join('; ')}; ${fix}`,
        { cycles: wanted.map((c) => c.path), chain: wanted.map((c) => c.text) },
      );
    // partial (or only optional extras): the cycle's members, and everything that needs them, are left out.
    const removed = new Map<string, string>();
    for (const c of cyclic) for (const id of c.members) removed.set(id, `it is in a cycle`);
    const stack = [...removed.keys()];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const { id: dep } of nodes.get(id)!.dependents)
        if (!removed.has(dep)) {
          removed.set(dep, `it needs '${id}'`);
          stack.push(dep);
        }
    }
    // Each module's explanation names the cycles it is in or needs, not every cycle of the plan.
    const concerns = new Map<string, Cycle[]>();
    for (const c of cyclic) {
      const seen = new Set(c.members);
      const queue = [...c.members];
      for (let qi = 0; qi < queue.length; qi++) {
        const id = queue[qi]!;
        const list = concerns.get(id);
        if (list) list.push(c);
        else concerns.set(id, [c]);
        for (const { id: dep } of nodes.get(id)!.dependents) if (!seen.has(dep)) (seen.add(dep), queue.push(dep));
      }
    }
    for (const id of [...removed.keys()].sort()) {
      if (optionalOnly.has(id)) continue;
      const mine = concerns.get(id)!.filter((c) => wanted.includes(c));
      const own = mine.length > 0 ? mine : concerns.get(id)!;
      const details = { cycles: own.map((c) => c.path), chain: own.map((c) => c.text) };
      unresolved.push({
        id,
        error: new HotmodError(ResolveErrorCode.CYCLE, `cannot resolve module '${id}': ${removed.get(id)}: modules need each other in a cycle: ${own.map((c) => c.text).join('; ')}; ${fix}`, { ...details, moduleId: id }),
      });
    }
    for (const id of removed.keys()) {
      const node = nodes.get(id)!;
      for (const need of node.needs) {
        const provider = nodes.get(need);
        if (!provider) continue;
        provider.after = provider.after.filter((n) => n !== node);
        provider.dependents = provider.dependents.filter((n) => n !== node);
      }
      nodes.delete(id);
    }
    for (const node of nodes.values()) node.inDegree = node.needs.length;
    order = [...nodes.values()];
  }

  // Optional requirements order the plan too, unless that would close a cycle (then the binding stays, unordered).
  let reordered = cyclic.length > 0;
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    if (node.optionalBindings === NO_BINDINGS) continue;
    for (const [name, provider] of Object.entries(node.optionalBindings)) {
      if (provider === null) continue;
      const p = byId().get(provider);
      if (!p) {
        node.optionalBindings[name] = null;
        continue;
      }
      if (p.after.includes(node) || reaches(node, p)) continue;
      if (p.after === NO_NODES) p.after = [];
      p.after.push(node);
      node.inDegree++;
      reordered = true;
    }
  }

  const { levels: nodeLevels } = reordered ? orderLevels(order, true) : firstOrder;
  const levels = nodeLevels.map((level) => level.map((n) => n.id));
  const modules: ResolvedModule[] = [];
  for (let l = 0; l < nodeLevels.length; l++)
    for (let i = 0; i < nodeLevels[l]!.length; i++) {
      const n = nodeLevels[l]![i]!;
      const id = n.id;
      modules.push(
        Object.freeze({
          id,
          version: n.version,
          pkg: n.pkg,
          // bindings stay unfrozen dictionaries: freezing 10,000 of them cost more than the search.
          bindings: n.bindings,
          optionalBindings: n.optionalBindings,
          dependsOn: n.dependsOnIds,
          dependents: n.dependents.length === 0 ? NONE : Object.freeze(sortStrings(n.dependents.map((d) => d.id))),
        }),
      );
    }
  return { modules, levels, unresolved };
}

/**
 * Kahn's algorithm, level by level: a level is what has nothing left to wait for.
 * Works on a copy of the in-degrees, so it can run twice (cycle check, then final order).
 */
function orderLevels(nodes: readonly Node[], collect: boolean): { levels: Node[][]; placed: number } {
  let current: Node[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    node.waiting = node.inDegree;
    if (node.inDegree === 0) current.push(node);
  }
  const levels: Node[][] = [];
  let placed = 0;
  while (current.length > 0) {
    placed += current.length;
    if (collect) levels.push(current.sort(byNodeId));
    const next: Node[] = [];
    for (let i = 0; i < current.length; i++) {
      const after = current[i]!.after;
      for (let j = 0; j < after.length; j++) if (--after[j]!.waiting === 0) next.push(after[j]!);
    }
    current = next;
  }
  return { levels, placed };
}

/** Is `target` reachable from `from` along order edges (from -> what activates after it)? */
function reaches(from: Node, target: Node): boolean {
  const seen = new Set<Node>([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const next of stack.pop()!.after) {
      if (next === target) return true;
      if (!seen.has(next)) (seen.add(next), stack.push(next));
    }
  }
  return false;
}

interface Cycle {
  members: string[];
  /** The cycle as a path that returns to its start. */
  path: string[];
  text: string;
}

/**
 * Strongly connected components (iterative Tarjan, so long chains do not overflow the
 * stack) over "needs" edges; each component with more than one module is a cycle, printed
 * as `a -> b -> a` with the requirement behind each arrow.
 */
function findCycles(nodes: Map<string, Node>): Cycle[] {
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of nodes.keys()) {
    if (indexOf.has(start)) continue;
    const work: { id: string; i: number }[] = [{ id: start, i: 0 }];
    indexOf.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const needs = nodes.get(frame.id)!.needs;
      if (frame.i < needs.length) {
        const next = needs[frame.i++]!;
        if (!indexOf.has(next)) {
          indexOf.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ id: next, i: 0 });
        } else if (onStack.has(next)) low.set(frame.id, Math.min(low.get(frame.id)!, indexOf.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === indexOf.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component.sort());
      }
    }
  }
  return components.sort((a, b) => cmp(a[0]!, b[0]!)).map((members) => describeCycle(nodes, members));
}

function describeCycle(nodes: Map<string, Node>, members: string[]): Cycle {
  const inside = new Set(members);
  const start = members[0]!;
  // Shortest way from start back to start inside the component (breadth-first, sorted: deterministic).
  const parent = new Map<string, string>();
  const queue = [start];
  let closing: string | undefined;
  for (let qi = 0; qi < queue.length && closing === undefined; qi++) {
    const id = queue[qi]!;
    for (const next of nodes.get(id)!.needs) {
      if (!inside.has(next)) continue;
      if (next === start) {
        closing = id;
        break;
      }
      if (!parent.has(next)) (parent.set(next, id), queue.push(next));
    }
  }
  const path = [start];
  for (let id = closing!; id !== start; id = parent.get(id)!) path.splice(1, 0, id);
  path.push(start);
  const why: string[] = [];
  for (let i = 0; i + 1 < path.length; i++) why.push(edgeReason(nodes.get(path[i]!)!, path[i + 1]!));
  const others = members.filter((m) => !path.includes(m));
  const text = `${path.join(' -> ')} (${why.join('; ')})${others.length ? ` with ${others.join(', ')} in the same cycle` : ''}`;
  return { members, path, text };
}

function edgeReason(node: Node, need: string): string {
  const m = node.pkg.manifest;
  const range = Object.hasOwn(m.dependsOn, need) ? m.dependsOn[need] : undefined;
  if (range !== undefined) return `${m.id} ${m.version} depends on ${need} ${range}`;
  const cap = Object.keys(node.bindings).find((c) => node.bindings[c] === need)!;
  return `${m.id} ${m.version} requires ${cap} ${m.requires[cap]}, provided by ${need}`;
}

/**
 * Sorts in place, as sort() does; short lists by insertion: Array.prototype.sort allocates
 * its merge state (about a kilobyte) on every call, and buildPlan sorts two lists per module.
 */
function sortStrings(list: string[]): string[] {
  if (list.length > 16) return list.sort();
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && list[j]! > x) (list[j + 1] = list[j]!), j--;
    list[j + 1] = x;
  }
  return list;
}

function byNodeId(a: Node, b: Node): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byId(a: ModulePackage, b: ModulePackage): number {
  return cmp(a.manifest.id, b.manifest.id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
