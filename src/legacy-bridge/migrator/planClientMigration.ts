import { createHash } from 'node:crypto';
import type { CatalogView } from '../../types.js';
import { ViewConflictCode, ViewWarningCode } from '../diagnostics.js';
import { applyEdit } from '../legacy/legacyListEdits.js';
import { computeUnifiedView, type UnifiedClientView } from '../view/computeUnifiedView.js';
import type { ClientConfigState, ModuleConfigRow } from '../view/rows.js';
import { MigrationErrorCode, MigrationSkipCode } from './errors.js';
import { listKey, memoReading, memoView } from './viewMemo.js';

/** What a migration does to a client's rows: docs/migration.md "Strategies". */
export type MigrationStrategy = 'merge' | 'replace' | 'preserve';
export const MIGRATION_STRATEGIES: readonly MigrationStrategy[] = ['merge', 'replace', 'preserve'];

export type ClientOutcome = 'migrate' | 'skip' | 'fail';

/** One module of a client's plan. */
export interface ModuleMigrationStep {
  moduleId: string;
  /** migrate: a migrated registry row is written; keep: already migrated, nothing to do; skip: left as it is. */
  action: 'migrate' | 'keep' | 'skip';
  /** The state the registry row records (the module's configured state now). */
  enabled: boolean;
  reason?: string;
}

/** A stored difference the strategy makes on purpose (the effective set never changes). */
export interface MigrationDifference {
  kind: 'legacy_entry_added' | 'legacy_entry_removed' | 'legacy_list_rewritten' | 'default_pinned';
  moduleId?: string;
  detail: string;
}

export interface ClientMigrationPlan {
  clientId: string;
  strategy: MigrationStrategy;
  outcome: ClientOutcome;
  /** E_MIGRATION_* for 'fail', S_* for 'skip'. */
  reason?: string;
  message?: string;
  modules: ModuleMigrationStep[];
  /** Registry rows to upsert as migrated (source 'migration', migrated_at now). */
  registryWrites: { moduleId: string; enabled: boolean }[];
  /** The new modules_enabled array, or undefined when the legacy row is left untouched. */
  legacyList?: unknown[];
  /**
   * merge: how legacyList is written — only these entries removed / appended, in SQL, so
   * every other entry stays exactly as stored. replace writes legacyList whole (it is only
   * made from lists of catalog ids).
   */
  legacyEdit?: { remove: string[]; append: string[] };
  /** Sorted module ids the client may call now; the migration keeps it. */
  effectiveBefore: string[];
  /** Predicted from the planned writes (equal to effectiveBefore, or the plan fails). */
  effectiveAfter: string[];
  differences: MigrationDifference[];
  /** Warnings of the client's current view (bad legacy data, …), codes only, for reports. */
  warnings: string[];
  /** Hash of the rows the plan was made from: a changed client makes an executed plan stale. */
  fingerprint: string;
}

const sorted = (set: ReadonlySet<string>) => [...set].sort();

/** Warnings that mean a canonical rewrite of the list would drop or reinterpret an entry. */
const LOSSY_ENTRY_WARNINGS = new Set<string>([
  ViewWarningCode.LEGACY_ENTRY_NOT_STRING,
  ViewWarningCode.LEGACY_ENTRY_EMPTY,
  ViewWarningCode.LEGACY_ENTRY_TOO_LONG,
  ViewWarningCode.LEGACY_ENTRY_CASE,
  ViewWarningCode.LEGACY_ENTRY_WHITESPACE,
  ViewWarningCode.LEGACY_NO_PACKAGE,
  ViewWarningCode.WARNINGS_TRUNCATED,
  ViewWarningCode.LEGACY_LIST_HUGE,
]);

export function fingerprintState(state: ClientConfigState): string {
  const hash = createHash('sha1');
  hash.update(JSON.stringify(state.legacy ?? null));
  hash.update(String(state.legacyRowCount ?? 0));
  for (const r of state.registry) hash.update(JSON.stringify([r.module_id, r.enabled, r.custom_settings, r.source, r.migrated_at]));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The plan for one client, from its rows and the catalog. Pure: no I/O, never throws on
 * bad data. Every strategy keeps the effective module set; the plan is checked by
 * recomputing the view over the planned rows (E_MIGRATION_EFFECTIVE_CHANGED otherwise).
 */
export function planClientMigration(state: ClientConfigState, catalog: CatalogView, strategy: MigrationStrategy, now = new Date()): ClientMigrationPlan {
  // Views and readings are shared by the clients of one configuration (viewMemo): read only.
  const list = listKey(state);
  const view = memoView(state, catalog, list);
  const effectiveBefore = sorted(view.effective);
  const plan: ClientMigrationPlan = {
    clientId: state.clientId,
    strategy,
    outcome: 'migrate',
    modules: [],
    registryWrites: [],
    effectiveBefore,
    effectiveAfter: effectiveBefore,
    differences: [],
    warnings: [...new Set(view.warnings.map((w) => w.code))],
    fingerprint: '',
  };
  // Hashed on first read: a batch plans thousands of clients and only a staleness check
  // (executeModuleMigration) reads it. Enumerable, so reports and JSON still carry it.
  let fingerprint: string | undefined;
  Object.defineProperty(plan, 'fingerprint', { enumerable: true, configurable: true, get: () => (fingerprint ??= fingerprintState(state)) });
  const fail = (reason: string, message: string) => Object.assign(plan, { outcome: 'fail' as const, reason, message, registryWrites: [], legacyList: undefined, legacyEdit: undefined, differences: [] });
  const skip = (reason: string, message: string) => Object.assign(plan, { outcome: 'skip' as const, reason, message, registryWrites: [], legacyList: undefined, legacyEdit: undefined, differences: [] });

  if ((state.legacyRowCount ?? 0) > 1) {
    return fail(MigrationErrorCode.DUPLICATE_ROWS, `client ${state.clientId} has ${state.legacyRowCount} client_app_overrides rows; which one old readers see depends on updated_at: delete the extra rows (keep one per client), then run the migration again`);
  }
  const outOfStep = view.conflicts.filter((c) => c.code === ViewConflictCode.MIGRATED_OUT_OF_STEP).map((c) => c.moduleId!);
  if (outOfStep.length > 0) {
    return fail(MigrationErrorCode.OUT_OF_STEP, `client ${state.clientId}: migrated module(s) ${outOfStep.join(', ')} disagree with modules_enabled (changed by direct SQL?); decide with enableModule/disableModule, then run the migration again`);
  }

  const legacy = state.legacy;
  const reading = memoReading(state, catalog, list);
  // A true JSON array that hotmod may edit entry by entry (a double-encoded string is not).
  const editableList = legacy !== null && Array.isArray(legacy.modules_enabled) ? (legacy.modules_enabled as unknown[]) : undefined;
  const rows = new Map<string, ModuleConfigRow>(state.registry.map((r) => [r.module_id, r]));

  // The catalog modules the client's rows name (merge, preserve), or every catalog module (replace).
  const configured: string[] = [];
  for (const m of catalog.modules()) {
    if (strategy === 'replace' || reading.resolved.has(m.id) || rows.has(m.id)) configured.push(m.id);
  }

  if (strategy === 'replace') {
    if (legacy !== null && (reading.state !== 'list' || editableList === undefined)) {
      return skip(MigrationSkipCode.LEGACY_UNREADABLE, `client ${state.clientId}: modules_enabled is ${reading.state === 'null' ? 'NULL' : editableList === undefined && reading.state === 'list' ? 'a double-encoded JSON string' : 'not a JSON array'}; replace would rewrite it, so the client is left as it is (use merge or preserve, or fix the row first)`);
    }
    const lossy = [...new Set(reading.warnings.filter((w) => LOSSY_ENTRY_WARNINGS.has(w.code)).map((w) => w.code))];
    const unknown = reading.unknown.length > 0;
    if (lossy.length > 0 || unknown) {
      return skip(MigrationSkipCode.LEGACY_MALFORMED, `client ${state.clientId}: modules_enabled has entries a canonical rewrite would drop (${[...lossy, ...(unknown ? [ViewWarningCode.LEGACY_NO_PACKAGE] : [])].filter((c, i, a) => a.indexOf(c) === i).join(', ')}); the row is left as it is (use merge or preserve, or fix the entries first)`);
    }
  }

  const enabledOf = (id: string) => view.explicit.has(id);
  for (const id of configured) {
    const row = rows.get(id);
    const enabled = enabledOf(id);
    if (row?.migrated_at && row.enabled === enabled) {
      plan.modules.push({ moduleId: id, action: 'keep', enabled });
      continue;
    }
    const named = reading.resolved.has(id);
    if (strategy === 'preserve' && reading.state === 'list' && named !== enabled) {
      // Migrating would need the list edited to stay in step; preserve never edits it.
      plan.modules.push({ moduleId: id, action: 'skip', enabled, reason: MigrationSkipCode.MODULE_CONFLICT });
      continue;
    }
    plan.modules.push({ moduleId: id, action: 'migrate', enabled });
    plan.registryWrites.push({ moduleId: id, enabled });
    if (strategy === 'replace' && row === undefined && reading.state !== 'list') {
      plan.differences.push({ kind: 'default_pinned', moduleId: id, detail: `'${id}' ${enabled ? 'enabled' : 'disabled'} by the catalog default is pinned in a registry row: later changes of defaultEnabled no longer apply to this client` });
    }
  }

  // The legacy list after the strategy (merge keeps it in step entry by entry; replace rewrites it canonically).
  if (editableList !== undefined && strategy !== 'preserve') {
    let next: unknown[];
    const edit = { remove: [] as string[], append: [] as string[] };
    if (strategy === 'merge') {
      for (const m of catalog.modules()) {
        const row = rows.get(m.id);
        const migratedAfter = plan.registryWrites.some((w) => w.moduleId === m.id) || row?.migrated_at;
        if (!migratedAfter) continue;
        const enabled = enabledOf(m.id);
        const named = reading.resolved.has(m.id);
        if (enabled && !named) {
          edit.append.push(m.id);
          plan.differences.push({ kind: 'legacy_entry_added', moduleId: m.id, detail: `'${m.id}' (enabled by a registry row) added to modules_enabled so old readers see it` });
        } else if (!enabled && named) {
          edit.remove.push(...reading.resolved.get(m.id)!.filter((name) => !edit.remove.includes(name)));
          plan.differences.push({ kind: 'legacy_entry_removed', moduleId: m.id, detail: `'${reading.resolved.get(m.id)!.join("', '")}' removed from modules_enabled: a registry row disables '${m.id}' and wins already` });
        }
      }
      next = applyEdit(editableList, edit);
    } else {
      next = catalog.modules().filter((m) => enabledOf(m.id)).map((m) => m.id);
      if (JSON.stringify(next) !== JSON.stringify(editableList)) {
        plan.differences.push({ kind: 'legacy_list_rewritten', detail: `modules_enabled ${JSON.stringify(editableList).slice(0, 200)} rewritten as ${JSON.stringify(next)} (canonical ids, sorted, no duplicates)` });
      }
    }
    // merge keeps the entries themselves (filtered, appended): comparing them is exact and
    // spares serialising long lists; replace builds a new list of ids, compared as JSON.
    const changed = strategy === 'merge' ? next.length !== editableList.length || next.some((e, i) => e !== editableList[i]) : JSON.stringify(next) !== JSON.stringify(editableList);
    if (changed) {
      plan.legacyList = next;
      if (strategy === 'merge') plan.legacyEdit = edit;
    }
  }

  if (plan.registryWrites.length === 0 && plan.legacyList === undefined) {
    const anyMigrated = state.registry.some((r) => r.migrated_at !== null);
    if (plan.modules.some((m) => m.action === 'skip')) {
      return Object.assign(plan, { outcome: 'skip' as const, reason: MigrationSkipCode.MODULE_CONFLICT, message: `client ${state.clientId}: every module left to migrate disagrees with modules_enabled; preserve never edits the list (use merge, or resolve the conflicts first)` });
    }
    if (!anyMigrated && legacy !== null && (reading.state === 'null' || reading.state === 'unreadable')) {
      return skip(MigrationSkipCode.LEGACY_UNREADABLE, `client ${state.clientId}: modules_enabled is ${reading.state === 'null' ? 'NULL' : 'not a JSON array'} and no registry row configures a module: the client follows the catalog defaults, nothing to migrate; the row is left as it is`);
    }
    return anyMigrated
      ? skip(MigrationSkipCode.ALREADY_MIGRATED, `client ${state.clientId}: every configured module is migrated already`)
      : skip(MigrationSkipCode.NOTHING_TO_MIGRATE, `client ${state.clientId}: no legacy list and no registry rows; the client follows the catalog defaults`);
  }

  // Check the plan the only way that counts: recompute the view over the planned rows.
  const after = applyPlanToState(state, plan, now);
  const afterView = memoView(after, catalog, after.legacy === state.legacy ? list : listKey(after));
  plan.effectiveAfter = sorted(afterView.effective);
  if (plan.effectiveAfter.join(',') !== effectiveBefore.join(',')) {
    return fail(MigrationErrorCode.EFFECTIVE_CHANGED, `client ${state.clientId}: the planned writes would change the effective modules from [${effectiveBefore.join(', ')}] to [${plan.effectiveAfter.join(', ')}]; nothing was written; report this with the client's rows`);
  }
  return plan;
}

/** The client's rows as they will be after the plan's writes (for the check above and for tests). */
export function applyPlanToState(state: ClientConfigState, plan: ClientMigrationPlan, now: Date): ClientConfigState {
  const registry = new Map(state.registry.map((r) => [r.module_id, r]));
  for (const w of plan.registryWrites) {
    const old = registry.get(w.moduleId);
    registry.set(w.moduleId, {
      client_id: state.clientId,
      module_id: w.moduleId,
      enabled: w.enabled,
      custom_settings: old?.custom_settings ?? {},
      source: 'migration',
      migrated_at: now,
      updated_at: now,
    });
  }
  const legacy = state.legacy && plan.legacyList !== undefined ? { ...state.legacy, modules_enabled: plan.legacyList } : state.legacy;
  return { ...state, legacy, registry: [...registry.values()].sort((a, b) => (a.module_id < b.module_id ? -1 : 1)) };
}

/** The effective set of a client from its rows. */
export function effectiveOf(state: ClientConfigState, catalog: CatalogView): string[] {
  return sorted(memoView(state, catalog).effective);
}

export type { UnifiedClientView };
