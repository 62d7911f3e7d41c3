/**
 * explainModule: the chain of facts that decides whether a module serves a client and
 * which version (facts.ts). Pure: no I/O, never throws on bad data. It reads the unified
 * view the same way every reader does (computeUnifiedView over the client's rows, the
 * registry's clientClosure for implicit pulls, the routing snapshot for who answers a
 * capability) and adds what the module table says; the order of the facts follows the
 * view's rules (docs/legacy-bridge.md), then the runtime, then the verdict and, when the
 * module does not serve, the one action that would make it serve.
 */
import type { CatalogView, UnifiedModuleConfig } from '../../types.js';
import { clientClosure } from '../../registry/index.js';
import { computeUnifiedView, readLegacyList, ViewConflictCode, ViewWarningCode, type ClientConfigState, type UnifiedClientView } from '../../legacy-bridge/index.js';
import { nearest } from '../../shared/nearest.js';
import { createRoutingSnapshot } from '../routingSnapshot.js';
import type { HostPhase } from '../types.js';
import type { ExplainAction, ExplainFact, Explanation, FailureRecord, ModuleRuntimeFacts, RolloutFact } from './facts.js';

export interface ExplainInput {
  readonly clientId: string;
  /** As asked: an id or a legacy id. */
  readonly moduleId: string;
  /** The catalog the host routes with. */
  readonly catalog: CatalogView;
  /** The client's rows when the legacy bridge is the host's source; otherwise what the source answered. */
  readonly config: { readonly kind: 'bridge'; readonly state: ClientConfigState } | { readonly kind: 'source'; readonly name: string; readonly modules: readonly UnifiedModuleConfig[] };
  /** The running host's module table and failure log; absent for a tool without a host. */
  readonly runtime?: { readonly phase: HostPhase; readonly modules: ReadonlyMap<string, ModuleRuntimeFacts>; readonly failures: readonly FailureRecord[] };
  /** The live rollout of the module as this host routes it, for this client (rolloutAgent.ts rolloutFact). */
  readonly rollout?: RolloutFact;
}

/** States in which the router reaches a module: it serves, or activates on the call (lazy, after a stop of its own, a restart). */
const REACHABLE = new Set(['discovered', 'resolved', 'activating', 'active', 'inactive']);

export function explainModule(input: ExplainInput): Explanation {
  const { catalog, clientId } = input;
  const asked = input.moduleId;
  const moduleId = catalog.resolveId(asked) ?? asked;
  const m = catalog.get(moduleId);
  const facts: ExplainFact[] = [];

  // What configuration says (rules 1–5), and the client's effective set for routing.
  const config = input.config.kind === 'bridge' ? bridgeFacts(input.config.state, catalog, moduleId, asked, facts) : sourceFacts(input.config, catalog, moduleId, facts);
  const { effective, effectiveSet } = config;

  // Requirements: what the resolver bound, and who answers what the module provides.
  const bound = m ? catalog.bindings(moduleId) : undefined;
  const unbound: string[] = [];
  if (m) {
    for (const [capability, range] of Object.entries(m.requires)) {
      const providerId = bound?.[capability];
      if (providerId === undefined) {
        // Unresolved modules have no bindings: name the requirements nothing in the plan provides.
        if (bound !== undefined || catalog.providers(capability).length === 0) unbound.push(`capability '${capability}' ${range}`);
        continue;
      }
      if (providerId === moduleId) continue;
      const state = input.runtime ? (input.runtime.modules.get(providerId)?.state ?? 'absent') : catalog.get(providerId) ? 'resolved' : 'absent';
      facts.push({ kind: 'provider', capability, providerId, state });
    }
    for (const [depId, range] of Object.entries(m.dependsOn)) {
      if (catalog.get(depId) === undefined || catalog.bindings(depId) === undefined) unbound.push(`module '${depId}' ${range}`);
    }
    for (const need of unbound) facts.push({ kind: 'requirement-unbound', rule: 4, need });
    if (bound !== undefined) {
      const routing = createRoutingSnapshot(catalog);
      for (const capability of Object.keys(m.provides)) {
        const providers = routing.providers.get(capability) ?? [];
        facts.push({ kind: 'routing', capability, servedBy: providers.find((p) => effectiveSet.has(p)) ?? null });
      }
    }
  }

  // The module table.
  const runtime = input.runtime;
  const table = runtime?.modules.get(moduleId);
  if (!runtime) facts.push({ kind: 'no-host' });
  else {
    if (runtime.phase !== 'running') facts.push({ kind: 'host-phase', phase: runtime.phase });
    if (table) facts.push(lifecycleFact(table));
    const last = lastFailure(runtime.failures, moduleId);
    if (last) facts.push({ kind: 'last-failure', at: last.at, code: last.code, message: last.message, event: last.event });
  }
  if (input.rollout) facts.push(input.rollout);

  const runnable = m !== undefined && (runtime ? runtime.phase === 'running' && table !== undefined && REACHABLE.has(table.state) : bound !== undefined);
  const serves = effective && runnable;
  const version = input.rollout?.version ?? table?.version ?? m?.version;
  facts.push({ kind: 'verdict', serves, ...(serves && version !== undefined ? { version } : {}) });
  if (!serves) facts.push({ kind: 'action', action: actionFor(input, moduleId, m !== undefined, effective, table, bound !== undefined, unbound) });
  return { clientId, moduleId, asked, serves, ...(serves && version !== undefined ? { version } : {}), facts };
}

interface ConfigOutcome {
  effective: boolean;
  effectiveSet: ReadonlySet<string>;
}

/** Rules 1–5 of the unified view, for one module. */
function bridgeFacts(state: ClientConfigState, catalog: CatalogView, moduleId: string, asked: string, facts: ExplainFact[]): ConfigOutcome {
  const view: UnifiedClientView = computeUnifiedView(state, catalog);
  const reading = readLegacyList(state.legacy?.modules_enabled, catalog, state.legacy !== null);
  const m = catalog.get(moduleId);
  const row = state.registry.find((r) => r.module_id === moduleId);

  // Rule 3 first: is there a package at all?
  if (m) {
    facts.push({ kind: 'catalog', rule: 3, moduleId, version: m.version, packageName: m.packageName, defaultEnabled: m.defaultEnabled, legacyIds: m.legacyIds });
  } else {
    const recordedBy: ('legacy-list' | 'registry-row')[] = [];
    if (reading.unknown.includes(asked)) recordedBy.push('legacy-list');
    if (row) recordedBy.push('registry-row');
    facts.push({ kind: 'no-package', rule: 3, moduleId, recordedBy, nearest: nearest(moduleId, catalog.modules().map((x) => x.id)) });
  }

  // Rule 1: the base set.
  facts.push({ kind: 'legacy-list', rule: 1, state: reading.state, entries: reading.entries.length });
  if (reading.state === 'list') {
    const names = reading.resolved.get(moduleId) ?? (reading.unknown.includes(moduleId) ? [moduleId] : []);
    let from = 0;
    for (const entry of names) {
      const index = reading.entries.indexOf(entry, from);
      from = index + 1;
      facts.push({ kind: 'legacy-entry', rule: 1, entry, index, alias: entry !== moduleId });
    }
    if (names.length === 0) {
      for (const w of reading.warnings) {
        const problem = w.code === ViewWarningCode.LEGACY_ENTRY_CASE ? 'case' : w.code === ViewWarningCode.LEGACY_ENTRY_WHITESPACE ? 'whitespace' : undefined;
        if (problem === undefined || w.index === undefined) continue;
        const entry = reading.entries[w.index];
        if (typeof entry !== 'string') continue;
        const trimmed = entry.trim();
        const meant = catalog.resolveId(trimmed) ?? catalog.resolveId(trimmed.toLowerCase());
        if (meant === moduleId) facts.push({ kind: 'legacy-near-miss', rule: 1, entry, index: w.index, problem });
      }
      facts.push({ kind: 'legacy-not-named', rule: 1 });
    }
  } else if (m) {
    facts.push({ kind: 'catalog-default', rule: 1, defaultEnabled: m.defaultEnabled });
  }

  // Rule 2: a registry row decides.
  if (row) {
    const conflict = view.conflicts.find((c) => c.moduleId === moduleId && (c.code === ViewConflictCode.LEGACY_REGISTRY_DISAGREE || c.code === ViewConflictCode.MIGRATED_OUT_OF_STEP))?.code as
      | 'C_LEGACY_REGISTRY_DISAGREE'
      | 'C_MIGRATED_OUT_OF_STEP'
      | undefined;
    facts.push({
      kind: 'registry-row',
      rule: 2,
      enabled: row.enabled,
      source: row.source,
      migratedAt: row.migrated_at ? new Date(row.migrated_at).toISOString() : null,
      ...(conflict ? { conflict } : {}),
    });
  }

  // Rule 4: implicit pulls (the same closure the view computed).
  const closure = clientClosure(catalog, view.explicit);
  const pulls = new Map(closure.implicit.map((p) => [p.moduleId, p]));
  const pull = pulls.get(moduleId);
  if (pull) {
    // Back along requiredBy to the module configuration enabled (pulls form a tree: each module is pulled once).
    const chain = [moduleId];
    const seen = new Set(chain);
    for (let at = pulls.get(moduleId); at && !seen.has(at.requiredBy); at = pulls.get(at.requiredBy)) {
      chain.unshift(at.requiredBy);
      seen.add(at.requiredBy);
    }
    const overridesRow = view.conflicts.some((c) => c.moduleId === moduleId && c.code === ViewConflictCode.REQUIRED_BUT_DISABLED);
    facts.push({ kind: 'implicit', rule: 4, requiredBy: pull.requiredBy, need: pull.need, chain, overridesRow });
  }

  // Rule 5: what the view concludes.
  const entry = view.modules.find((x) => x.moduleId === moduleId);
  const effective = view.effective.has(moduleId);
  facts.push({ kind: 'configured', rule: 5, enabled: entry?.enabled ?? false, explicit: view.explicit.has(moduleId), effective, source: entry?.source ?? 'registry' });
  return { effective, effectiveSet: view.effective };
}

/** A source other than the bridge: what it answered, and the closure over its enabled modules. */
function sourceFacts(config: { name: string; modules: readonly UnifiedModuleConfig[] }, catalog: CatalogView, moduleId: string, facts: ExplainFact[]): ConfigOutcome {
  const m = catalog.get(moduleId);
  if (m) facts.push({ kind: 'catalog', rule: 3, moduleId, version: m.version, packageName: m.packageName, defaultEnabled: m.defaultEnabled, legacyIds: m.legacyIds });
  else facts.push({ kind: 'no-package', rule: 3, moduleId, recordedBy: [], nearest: nearest(moduleId, catalog.modules().map((x) => x.id)) });
  const entry = config.modules.find((x) => x.moduleId === moduleId);
  facts.push({ kind: 'config-source', source: config.name, enabled: entry?.enabled ?? false, implicit: entry?.implicit === true });
  const closure = clientClosure(
    catalog,
    config.modules.filter((x) => x.enabled).map((x) => x.moduleId),
  );
  return { effective: closure.effective.has(moduleId), effectiveSet: closure.effective };
}

function lifecycleFact(t: ModuleRuntimeFacts): ExplainFact {
  const { id: _id, ...rest } = t;
  return { kind: 'lifecycle', ...rest };
}

function lastFailure(failures: readonly FailureRecord[], moduleId: string): FailureRecord | undefined {
  for (let i = failures.length - 1; i >= 0; i--) if (failures[i]!.moduleId === moduleId) return failures[i];
  return undefined;
}

/** The one action that would make the module serve: the first thing in the way, in the order the facts are checked. */
function actionFor(input: ExplainInput, moduleId: string, inCatalog: boolean, effective: boolean, table: ModuleRuntimeFacts | undefined, resolved: boolean, unbound: readonly string[]): ExplainAction {
  if (!inCatalog) return { type: 'install-package', moduleId };
  if (!effective) {
    if (input.config.kind === 'source') return { type: 'edit-config', source: input.config.name };
    return {
      type: 'enable',
      command: `hotmod clients enable ${input.clientId} ${moduleId}`,
      api: `host.unifier.enableModule('${input.clientId}', '${moduleId}')`,
    };
  }
  const runtime = input.runtime;
  if (runtime && runtime.phase !== 'running') return { type: 'start-host' };
  const state = table?.state ?? (resolved ? 'resolved' : 'unresolved');
  if (state === 'unresolved' || (!runtime && !resolved)) return { type: 'add-provider', need: unbound[0] ?? table?.reason ?? 'a requirement the resolver could not bind (hotmod resolve explains)' };
  if (state === 'failed') {
    if (table?.dependency !== undefined) return { type: 'fix-and-swap', moduleId: table.dependency, command: `host.swap('${table.dependency}')` };
    if (table?.nextRestartAt !== undefined && !table.quarantined) return { type: 'wait-for-restart', at: table.nextRestartAt };
    return { type: 'fix-and-swap', moduleId, command: `host.swap('${moduleId}')` };
  }
  // deactivating, or a module the table does not hold: a host stopping or reloading it.
  return { type: 'start-host' };
}
