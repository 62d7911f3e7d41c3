/**
 * The version search behind resolvePlan: one version per module id such that every
 * dependsOn range, every requires range (through some provider) and engines.hotmod hold.
 *
 * Depth-first over "obligations" (a requested id, a dependsOn entry, a required
 * capability), trying the highest version first, with conflict-directed backjumping:
 * each conflict names the decisions that caused it, and the search jumps straight back
 * to the latest of them instead of retrying unrelated choices. Pending work is an
 * immutable linked list, so going back to a decision restores it in O(1).
 *
 *   decision 0: billing 1.4.0 (requested)
 *     decision 1: payments 2.0.0 (billing requires payments.charge ^2.0.0)
 *       conflict: payments 2.0.0 depends on accounts ^3.0.0, none exists  -> culprits {1}
 *     decision 1': payments 1.9.0 ...                                     (retry level 1)
 *
 * Every conflict carries a reason in words; when all candidates of a decision fail,
 * their reasons become the reason of the decision's own obligation, which is how the
 * PubGrub-style chain ("billing 1.4.0 requires …; payments 2.0.0 provides …") is built.
 *
 * Each choice is also checked forward (solverWatch.ts): one that leaves a requested id with
 * no usable version conflicts at once, not thousands of decisions later.
 */
import semver from 'semver';
import type { ModulePackage } from './types.js';
import type { ResolveIndex } from './resolveIndex.js';
import type { Reason, ReasonKind, Template } from './solverTypes.js';
import { watchRequested } from './solverWatch.js';

export type { Reason, ReasonKind, Template } from './solverTypes.js';

interface Pending {
  readonly t: Template;
  /** The decision level that created this obligation (-1: requested or locked). */
  readonly level: number;
  readonly next: Pending | null;
}

interface Decision {
  readonly cell: Pending;
  readonly candidates: (ModulePackage | null)[];
  next: number;
  /** Earlier decisions that share the blame for failed candidates (allocated on first conflict). */
  conflictSet: Set<number> | null;
  /** Reasons of failed candidates (allocated on first conflict: most decisions never fail). */
  failures: Reason[] | null;
  /** The slot (module id) this decision currently fills; -1 for a requested id no package has. */
  slot: number;
  /** What it chose: the current candidate, or the exclusion of a requested id. */
  selection: Selection | null;
  /** For a requested id with no usable version at all: why (it is excluded at once). */
  preReason: Reason | null;
}

interface Selection {
  readonly pkg: ModulePackage | null;
  readonly level: number;
  readonly excludedReason?: Reason;
}

export type SolveResult =
  /** selected: what this search chose (locked modules are not repeated). */
  | { ok: true; selected: Map<string, ModulePackage>; excluded: Map<string, Reason>; backtracks: number }
  | { ok: false; reason: Reason; backtracks: number };

export interface SolveOptions {
  /** partial mode: a requested id may be left out (last resort) instead of failing the search. */
  readonly excludable: boolean;
  /** Already decided and fixed (the optional-requirement pass). */
  readonly locked?: ReadonlyMap<string, ModulePackage>;
  /** Give up after this many backtracks. */
  readonly budget?: number;
  /**
   * Combinations of package versions that may not all be in the plan (resolvePlan passes
   * the cycles of a previous attempt, to look for versions that avoid them).
   */
  readonly nogoods?: readonly { readonly members: readonly ModulePackage[]; readonly why: string; readonly reason?: Reason }[];
  /**
   * A last check of a complete assignment (resolvePlan: does it close a cycle?). A conflict
   * names the chosen packages it depends on; the search treats it like any other conflict
   * (backjumps to the latest of them and learns it), so it finds the first assignment in
   * preference order that passes, or proves there is none.
   */
  readonly complete?: (chosen: readonly (ModulePackage | undefined)[]) => (CompleteConflict & { readonly more?: readonly CompleteConflict[] }) | null;
  /** @internal false: no forward checking of the requested ids (solverWatch.ts; tests compare the plans with and without it). */
  readonly forwardCheck?: boolean;
}

/** A conflict of a complete assignment: the chosen packages it depends on, and why. */
export interface CompleteConflict {
  readonly members: readonly ModulePackage[];
  readonly reason: Reason;
}

const MAX_CLAUSES = 24;
const DEFAULT_BUDGET = 200_000;
/** Above the most backtracks measured on the bench's catalogs with alternatives at 100,000 ids (docs/resolver.md "The budget"). */
const BUDGET_NEEDED_100K = 20_000;

/** @internal what the searches of this process did (bench/solverScale.ts reads it; a few counters per search). */
export interface SearchStats {
  backtracks: number;
  decisions: number;
  /** Levels discarded by jumps back, in all. */
  discarded: number;
  longJumps: number;
  learned: number;
}
const statsLog: SearchStats[] = [];
/** @internal the searches since the last call (at most the last 64). */
export function lastSearchStats(): SearchStats[] {
  return statsLog.splice(0, statsLog.length);
}

export type Obligation = { kind: 'root'; id: string } | { kind: 'cap'; name: string; range: string; from: ModulePackage; optional: boolean };

export function solve(index: ResolveIndex, initial: readonly Obligation[], options: SolveOptions): SolveResult {
  // Choices by slot (ResolveIndex.slotOf): an array read is the hot path's one lookup.
  const selected: (Selection | undefined)[] = new Array<Selection | undefined>(index.slotCount);
  const locked = options.locked;
  // Locked modules are looked up, never copied: the optional pass calls solve once per requirement.
  const lookup = (slot: number, id: string): Selection | undefined => {
    const s = slot >= 0 ? selected[slot] : undefined;
    if (s !== undefined || locked === undefined) return s;
    const pkg = locked.get(id);
    return pkg === undefined ? undefined : { pkg, level: -1 };
  };
  const levels: Decision[] = [];
  const budget = options.budget ?? DEFAULT_BUDGET;
  // Each package of a nogood checks the nogood right after it is chosen.
  let nogoodsOf: Map<ModulePackage, Template[]> | undefined;
  for (const ng of options.nogoods ?? []) {
    const t: Template = ng.reason ? { kind: 'nogood', members: ng.members, why: ng.why, reason: ng.reason } : { kind: 'nogood', members: ng.members, why: ng.why };
    for (const pkg of ng.members) {
      nogoodsOf ??= new Map();
      let list = nogoodsOf.get(pkg);
      if (!list) nogoodsOf.set(pkg, (list = []));
      list.push(t);
    }
  }
  let backtracks = 0;
  // Only a search with a complete check considers redirecting bindings (see keepOrRedirect).
  const redirecting = options.complete !== undefined;
  const requestedSlots = redirecting ? new Set(initial.filter((o) => o.kind === 'root').map((o) => index.slotOf(o.id))) : undefined;
  let learned = 0;
  const stats: SearchStats = { backtracks: 0, decisions: 0, discarded: 0, longJumps: 0, learned: 0 };
  if (statsLog.length >= 64) statsLog.shift();
  statsLog.push(stats);

  // Forward checking of the requested ids (solverWatch.ts); the greedy partial search and the optional pass do without.
  const watch =
    !options.excludable && locked === undefined && options.forwardCheck !== false
      ? watchRequested(
          index,
          initial.flatMap((o) => (o.kind === 'root' ? [o.id] : [])),
          options.nogoods,
          { chosenAt: (slot) => selected[slot], why, describe, maxClauses: MAX_CLAUSES },
        )
      : null;
  /** A conflict found when a choice was made (watchRequested), taken by the caller of assign. */
  let early: { culprits: number[]; reason: Reason } | null = null;

  let pending: Pending | null = null;
  for (let i = initial.length - 1; i >= 0; i--) pending = { t: initial[i]!, level: -1, next: pending };

  for (;;) {
    while (pending !== null) {
      const cell: Pending = pending;
      pending = cell.next;
      let conflict = step(cell);
      if (conflict === null && early !== null) (conflict = early), (early = null);
      if (conflict !== null) {
        const failure = backjump(conflict.culprits, conflict.reason);
        if (failure !== null) return { ok: false, reason: failure, backtracks };
      }
    }
    if (options.complete === undefined) break;
    const chosen: (ModulePackage | undefined)[] = new Array<ModulePackage | undefined>(index.slotCount);
    if (locked) for (const pkg of locked.values()) chosen[index.slotOf(pkg.manifest.id)] = pkg;
    for (const d of levels) if (d.selection?.pkg && d.slot >= 0) chosen[d.slot] = d.selection.pkg;
    const verdict = options.complete(chosen);
    if (verdict === null) break;
    const levelsOf = (members: readonly ModulePackage[]) => members.map((m) => lookup(index.slotOf(m.manifest.id), m.manifest.id)?.level ?? -1);
    // Further conflicts of the same assignment are learned at once: each would cost a complete assignment to find.
    for (const more of verdict.more ?? []) learn(levelsOf(more.members), more.reason);
    const culprits = levelsOf(verdict.members);
    // A requirement that kept its binding could have taken a better-ranked provider instead.
    if (redirecting) levels.forEach((d, level) => d.selection?.pkg === null && d.cell.t.kind === 'cap' && culprits.push(level));
    const failure = backjump(culprits, verdict.reason);
    if (failure !== null) return { ok: false, reason: failure, backtracks };
  }
  // Decisions in order: the same order every run.
  const out = new Map<string, ModulePackage>();
  const excluded = new Map<string, Reason>();
  for (const d of levels) {
    const s = d.selection!;
    if (s.pkg !== null) out.set(s.pkg.manifest.id, s.pkg);
    else if (d.cell.t.kind === 'root') excluded.set((d.cell.t as { id: string }).id, s.excludedReason!);
  }
  return { ok: true, selected: out, excluded, backtracks };

  function step(cell: Pending): { culprits: number[]; reason: Reason } | null {
    const t = cell.t;
    if (t.kind === 'cap') return stepCapability(cell, t);
    if (t.kind === 'nogood') return stepNogood(t);
    const range = t.kind === 'dep' ? t.range : undefined;
    const slot = t.kind === 'dep' ? t.slot : index.slotOf(t.id);
    const current = lookup(slot, t.id);
    if (current) {
      if (current.pkg === null)
        return {
          culprits: [cell.level, current.level],
          reason: { kind: current.excludedReason!.kind, chain: [`${describe(t)}, but ${t.id} cannot be resolved`, ...current.excludedReason!.chain] },
        };
      // A chosen package is usable, so "in range" is "among the obligation's candidates" (a short list, compared by identity).
      if (t.kind !== 'dep' || index.candidatesOf(t).includes(current.pkg)) return null;
      return {
        culprits: [cell.level, current.level],
        reason: { kind: 'conflict', chain: [`${describe(t)}, but ${t.id} ${current.pkg.manifest.version} is already chosen because ${why(current.level)}`] },
      };
    }
    // A dependsOn's candidates are one shared list (never changed); a requested id's list may take a null (excludable).
    // A requested id's usable versions are shared too unless a null is added (decisions never change their list).
    const candidates: (ModulePackage | null)[] =
      t.kind === 'dep' ? (index.candidatesOf(t) as (ModulePackage | null)[]) : options.excludable ? [...index.usable(t.id)] : (index.usable(t.id) as (ModulePackage | null)[]);
    if (candidates.length === 0) {
      const reason = noVersionReason(t);
      if (t.kind === 'root' && options.excludable) {
        decide(cell, [null], null, reason);
        return null;
      }
      return { culprits: [cell.level], reason };
    }
    if (t.kind === 'root' && options.excludable) candidates.push(null);
    decide(cell, candidates, null);
    return null;
  }

  function stepCapability(cell: Pending, t: Extract<Template, { kind: 'cap' }>): { culprits: number[]; reason: Reason } | null {
    // Most requirements are served by a provider already chosen: the lists are made only once one is needed
    // (blockers as an array in first-seen order, the order the set below iterates in).
    let candidates: ModulePackage[] | null = null;
    let blockers: number[] | null = null;
    const providers = index.providersOf(t);
    for (let i = 0; i < providers.length; i++) {
      const entry = providers[i]!;
      const current = lookup(entry.slot, locked === undefined ? '' : entry.pkg.manifest.id);
      if (current === undefined) (candidates ??= []).push(entry.pkg);
      else if (current.pkg === entry.pkg) return candidates !== null && redirecting ? keepOrRedirect(cell, candidates) : null;
      else if (current.level >= 0 && (blockers === null || !blockers.includes(current.level))) (blockers ??= []).push(current.level);
    }
    if (candidates === null) return { culprits: blockers === null ? [cell.level] : [cell.level, ...blockers], reason: noProviderReason(t) };
    // The candidate list depended on the blockers' choices: if they all fail, the blockers share the blame.
    decide(cell, candidates, blockers === null ? null : new Set(blockers));
    return null;
  }

  /**
   * With a complete check (cycles), a requirement already served in the plan may still want
   * a better-ranked provider nothing else pulls in: it would take the binding, and so may
   * break a cycle. First choice: keep the plan as it is (null); then each such provider.
   * Providers of requested ids are left out: their own request decides them.
   */
  function keepOrRedirect(cell: Pending, better: ModulePackage[]): null {
    const offered: (ModulePackage | null)[] = [null];
    for (const pkg of better) if (!requestedSlots!.has(index.slotOf(pkg.manifest.id))) offered.push(pkg);
    if (offered.length > 1) decide(cell, offered, null);
    return null;
  }

  function stepNogood(t: Extract<Template, { kind: 'nogood' }>): { culprits: number[]; reason: Reason } | null {
    const culprits: number[] = [];
    for (const member of t.members) {
      const current = lookup(index.slotOf(member.manifest.id), member.manifest.id);
      if (current?.pkg !== member) return null;
      culprits.push(current.level);
    }
    return { culprits, reason: t.reason ?? { kind: 'conflict', chain: [t.why] } };
  }

  function decide(cell: Pending, candidates: (ModulePackage | null)[], conflictSet: Set<number> | null, preReason: Reason | null = null): void {
    const d: Decision = { cell, candidates, next: 0, conflictSet, failures: null, slot: -1, selection: null, preReason };
    stats.decisions++;
    levels.push(d);
    assign(d, levels.length - 1);
  }

  function assign(d: Decision, level: number): void {
    const candidate = d.candidates[d.next]!;
    if (candidate === null && d.cell.t.kind === 'cap') {
      // keepOrRedirect's first choice: nothing is added.
      d.slot = -1;
      d.selection = { pkg: null, level };
      pending = d.cell.next;
      return;
    }
    if (candidate === null) {
      d.slot = index.slotOf((d.cell.t as { id: string }).id);
      d.selection = { pkg: null, level, excludedReason: exhaustedReason(d) };
      if (d.slot >= 0) selected[d.slot] = d.selection;
      pending = d.cell.next;
      return;
    }
    // A dependsOn's candidates are versions of its target: the slot is known (no map lookup by id).
    d.slot = d.cell.t.kind === 'dep' ? d.cell.t.slot : index.slotOf(candidate.manifest.id);
    d.selection = { pkg: candidate, level };
    selected[d.slot] = d.selection;
    if (watch !== null) early = watch.chosen(d.slot, candidate, level);
    let list = d.cell.next;
    const ts = index.obligationsOf(candidate) as readonly Template[];
    for (let i = ts.length - 1; i >= 0; i--) list = { t: ts[i]!, level, next: list };
    const ngs = nogoodsOf?.get(candidate);
    if (ngs) for (const t of ngs) list = { t, level, next: list };
    pending = list;
  }

  /** Returns null when the search continues, or the reason the whole search failed. */
  function backjump(culprits: number[], reason: Reason): Reason | null {
    for (;;) {
      let h = -1;
      for (const c of culprits) if (c > h) h = c;
      if (h < 0) return reason;
      const jump = levels.length - 1 - h;
      stats.discarded += jump;
      if (jump > 100) stats.longJumps++;
      while (levels.length - 1 > h) unselect(levels.pop()!);
      const d = levels[h]!;
      unselect(d);
      (d.failures ??= []).push(reason);
      d.conflictSet ??= new Set();
      for (const c of culprits) if (c >= 0 && c < h) d.conflictSet.add(c);
      d.next++;
      stats.backtracks = backtracks + 1;
      if (++backtracks > budget)
        return {
          kind: 'budget',
          chain: [
            `the search gave up after ${budget} backtracks; the catalog has too many conflicting versions to explore (catalogs of up to 100,000 modules with alternatives need less than ${Math.round(BUDGET_NEEDED_100K / 1000)},000: docs/resolver.md "The budget")`,
          ],
        };
      if (d.next < d.candidates.length) {
        assign(d, h);
        if (early === null) return null;
        // The new choice is ruled out, or rules out a requested id's last version (solverWatch.ts): another conflict at once.
        ({ culprits, reason } = early);
        early = null;
        continue;
      }
      levels.pop();
      reason = exhaustedReason(d);
      culprits = [...(d.conflictSet ?? []), d.cell.level];
      learn(culprits, reason);
    }
  }

  /**
   * Conflict-driven learning: every candidate of a decision failed, and the culprits' choices
   * alone caused it, so those packages together can never be part of a plan. Recording that
   * as a nogood stops the search from rediscovering the same failure after it jumps back
   * over them and comes forward again along another path (what made the search without
   * learning explode on catalogs with alternatives). The nogood keeps the explanation, so a
   * later failure through it still reads as the chain of reasons that proved it.
   */
  function learn(culprits: readonly number[], reason: Reason): void {
    const members: ModulePackage[] = [];
    for (const c of new Set(culprits)) {
      if (c < 0) continue; // requested or locked: always there
      const pkg = levels[c]?.selection?.pkg;
      if (!pkg) return; // an excluded requested id is no package to forbid
      members.push(pkg);
    }
    if (members.length === 0) return; // nothing left to retry: the search ends with this reason
    learned++;
    stats.learned = learned;
    const t: Template = { kind: 'nogood', members, why: reason.chain[0] ?? '', reason };
    nogoodsOf ??= new Map();
    for (const pkg of members) {
      let list = nogoodsOf.get(pkg);
      if (!list) nogoodsOf.set(pkg, (list = []));
      list.push(t);
    }
  }

  function exhaustedReason(d: Decision): Reason {
    if (d.preReason) return d.preReason;
    const t = d.cell.t;
    const failures = d.failures ?? [];
    const kinds = new Set(failures.map((f) => f.kind));
    const kind: ReasonKind = kinds.has('budget') ? 'budget' : kinds.size === 1 ? [...kinds][0]! : 'conflict';
    const chain: string[] = [];
    if (t.kind !== 'root') {
      const tried = d.candidates.filter((c): c is ModulePackage => c !== null).map((c) => `${c.manifest.id} ${c.manifest.version}`);
      chain.push(
        tried.length === 1
          ? describe(t)
          : tried.length === 2
            ? `${describe(t)}, but neither ${tried[0]} nor ${tried[1]} can be used`
            : `${describe(t)}, but none of ${list(tried)} can be used`,
      );
    }
    const seen = new Set(chain);
    for (const f of failures) for (const clause of f.chain) if (!seen.has(clause)) (seen.add(clause), chain.push(clause));
    if (chain.length > MAX_CLAUSES) chain.splice(MAX_CLAUSES, chain.length - MAX_CLAUSES, `… (${chain.length - MAX_CLAUSES} more)`);
    return { kind, chain };
  }

  function unselect(d: Decision): void {
    if (d.slot >= 0) {
      if (watch !== null && d.selection?.pkg) watch.unchosen(d.slot);
      selected[d.slot] = undefined;
    }
    d.selection = null;
  }

  function why(level: number): string {
    if (level < 0) return 'it is already in the plan';
    return describe(levels[level]!.cell.t);
  }

  function noVersionReason(t: Extract<Template, { kind: 'root' | 'dep' }>): Reason {
    const all = index.versions(t.id);
    const head = describe(t);
    if (all.length === 0)
      return { kind: 'missing', chain: [t.kind === 'root' ? `no module '${t.id}' is in the catalog` : `${head}, but no module '${t.id}' is in the catalog`] };
    const inRange = t.kind === 'dep' ? all.filter((p) => index.satisfies(p.manifest.version, t.range)) : all;
    if (inRange.length > 0) {
      const needs = inRange.map((p) => `${p.manifest.id} ${p.manifest.version} needs hotmod ${p.manifest.engines.hotmod}`);
      return { kind: 'engine', chain: [`${t.kind === 'root' ? `${t.id} was requested` : head}, but ${list(needs)}, and this host is hotmod ${index.hostVersion}`] };
    }
    const versions = all.map((p) => p.manifest.version).reverse(); // ascending reads naturally
    return {
      kind: 'conflict',
      chain: [`${head}, but the catalog has ${t.id} ${list(versions)}, ${versions.length === 1 ? 'which does not satisfy' : 'none satisfies'} ${(t as { range: string }).range}`],
    };
  }

  function noProviderReason(t: Extract<Template, { kind: 'cap' }>): Reason {
    const all = index.providers(t.name);
    const head = describe(t);
    if (all.length === 0) return { kind: 'missing', chain: [`${head}, but no module in the catalog provides ${t.name}`] };
    const inRange = all.filter((e) => index.satisfies(e.capabilityVersion, t.range));
    if (inRange.length === 0) {
      const ascending = [...all].sort((a, b) => (a.pkg.manifest.id < b.pkg.manifest.id ? -1 : a.pkg.manifest.id > b.pkg.manifest.id ? 1 : 0) || semver.compare(a.pkg.manifest.version, b.pkg.manifest.version));
      const described = ascending.map((e, i) => `${e.pkg.manifest.id} ${e.pkg.manifest.version} provides ${i === 0 ? `${t.name} ` : ''}${e.capabilityVersion}`);
      return { kind: 'conflict', chain: [`${head}; ${list(described)}, ${all.length === 1 ? 'which does not satisfy' : all.length === 2 ? 'neither satisfies' : 'none satisfies'} ${t.range}`] };
    }
    const clauses: string[] = [];
    let blocked = false;
    for (const e of inRange) {
      const p = e.pkg.manifest;
      if (!e.engineOk) {
        clauses.push(`${p.id} ${p.version} provides ${t.name} ${e.capabilityVersion} but needs hotmod ${p.engines.hotmod} (this host is hotmod ${index.hostVersion})`);
        continue;
      }
      const current = lookup(e.slot, p.id);
      blocked = true;
      if (current?.pkg === null) clauses.push(`${p.id} ${p.version} would provide ${t.name} ${e.capabilityVersion}, but ${p.id} cannot be resolved`);
      else if (current?.pkg)
        clauses.push(`${p.id} ${p.version} would provide ${t.name} ${e.capabilityVersion}, but ${p.id} ${current.pkg.manifest.version} is already chosen because ${why(current.level)}`);
    }
    return { kind: blocked ? 'conflict' : 'engine', chain: [`${head}; ${clauses.join('; ')}`] };
  }
}

/** An obligation in words: who asked for what. */
function describe(t: Template): string {
  switch (t.kind) {
    case 'root':
      return `${t.id} was requested`;
    case 'dep':
      return `${t.from.manifest.id} ${t.from.manifest.version} depends on ${t.id} ${t.range}`;
    case 'cap':
      return `${t.from.manifest.id} ${t.from.manifest.version} ${t.optional ? 'optionally requires' : 'requires'} ${t.name} ${t.range}`;
    case 'nogood':
      return t.why;
  }
}

/** "a", "a and b", "a, b and c"; long lists are cut. */
function list(items: readonly string[], max = 6): string {
  const shown = items.length > max ? [...items.slice(0, max), `${items.length - max} more`] : items;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}
