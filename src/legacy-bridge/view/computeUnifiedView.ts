import type { CatalogView, UnifiedModuleConfig } from '../../types.js';
import { clientClosure } from '../../registry/index.js';
import { ViewConflictCode, ViewRecommendationCode, ViewWarningCode, type ViewDiagnostic } from '../diagnostics.js';
import { indexCatalog } from './catalogIndex.js';
import { readLegacyList, type LegacyListReading } from './readLegacyList.js';
import type { ClientConfigState, ModuleConfigRow } from './rows.js';

/** At most this many findings of one code are listed; the rest are counted in W_WARNINGS_TRUNCATED. */
export const FINDINGS_PER_CODE_MAX = 20;

/** One client's merged configuration: DESIGN.md "Per-client enablement: the unified view". */
export interface UnifiedClientView {
  clientId: string;
  /** Every catalog module (enabled or not), then legacy-only and registry-only records; sorted by id. */
  modules: UnifiedModuleConfig[];
  /** Module ids the client may call: enabled, runnable (in the catalog), implicit requirements included. */
  effective: ReadonlySet<string>;
  /** Module ids enabled by configuration (not implicitly), runnable or not: what a migration must preserve. */
  explicit: ReadonlySet<string>;
  /** How the legacy list read. */
  legacyState: LegacyListReading['state'];
  warnings: ViewDiagnostic[];
  conflicts: ViewDiagnostic[];
  recommendations: ViewDiagnostic[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The unified view of one client, from its legacy row, its registry rows and the catalog.
 * Pure: no I/O, never throws on bad data, never changes its input. The rules:
 *
 * 1. Base set: a readable legacy list (ids or legacyIds, exact match) is the complete base;
 *    with no row, a NULL list or an unreadable one, the catalog's `defaultEnabled` modules.
 * 2. A registry row (hotmod_module_configs) decides its module's `enabled` over the base;
 *    when it disagrees with a readable legacy list, that is a conflict (the row wins). A
 *    migrated row is the source of truth by definition (dual write keeps the list in step).
 * 3. Source: named by the legacy list and in the catalog → 'unified'; in the catalog only →
 *    'registry'; named by the legacy list without a package → 'legacy' (recorded, not
 *    runnable, warning); a registry row without a package → 'registry', not runnable, warning.
 * 4. What enabled modules require is pulled in transitively (the registry's clientClosure:
 *    the provider the resolver bound each required capability to, and dependsOn modules;
 *    not optionalRequires): enabled, implicit: true, with a recommendation to enable it
 *    explicitly. A requirement the plan does not bind is a warning.
 */
export function computeUnifiedView(state: ClientConfigState, catalog: CatalogView): UnifiedClientView {
  const index = indexCatalog(catalog);
  const warnings: ViewDiagnostic[] = [];
  const conflicts: ViewDiagnostic[] = [];
  const recommendations: ViewDiagnostic[] = [];
  const moduleWarnings = new Map<string, { code: string; message: string }[]>();
  const warnModule = (d: ViewDiagnostic) => {
    warnings.push(d);
    if (d.moduleId === undefined) return;
    let list = moduleWarnings.get(d.moduleId);
    if (!list) moduleWarnings.set(d.moduleId, (list = []));
    if (list.length < FINDINGS_PER_CODE_MAX) list.push({ code: d.code, message: d.message });
  };

  const legacy = state.legacy;
  const reading = readLegacyList(legacy?.modules_enabled, catalog, legacy !== null);
  for (const w of reading.warnings) warnModule(w);
  recommendations.push(...reading.recommendations);
  if ((state.legacyRowCount ?? 0) > 1) {
    warnings.push({ code: ViewWarningCode.LEGACY_DUPLICATE_ROWS, message: `client has ${state.legacyRowCount} client_app_overrides rows: the newest (updated_at) is read; delete the others or add UNIQUE(client_id)` });
  }

  let legacyConfig: UnifiedModuleConfig['legacyConfig'];
  if (legacy) {
    legacyConfig = { modulesEnabled: reading.strings as string[] };
    const columns = [
      ['theme_overrides', 'themeOverrides'],
      ['consultation_config', 'consultationConfig'],
      ['plan_catalog_overrides', 'planCatalogOverrides'],
    ] as const;
    for (const [column, key] of columns) {
      const value = legacy[column];
      if (value === null || value === undefined) continue;
      if (isPlainObject(value)) legacyConfig[key] = value;
      else warnings.push({ code: ViewWarningCode.LEGACY_OVERRIDES_NOT_OBJECT, message: `client_app_overrides.${column} is ${Array.isArray(value) ? 'an array' : typeof value}, not a JSON object: left out of legacyConfig` });
    }
  }

  const rows = new Map<string, ModuleConfigRow>();
  for (const row of state.registry) rows.set(row.module_id, row);
  const listReadable = reading.state === 'list';

  const byId = new Map<string, UnifiedModuleConfig>();
  const explicit = new Set<string>();
  const disabledByRow = new Set<string>();
  for (const m of catalog.modules()) {
    const named = reading.resolved.has(m.id);
    const row = rows.get(m.id);
    const base = listReadable ? named : m.defaultEnabled;
    let enabled = base;
    if (row) {
      enabled = row.enabled;
      const migrated = row.migrated_at !== null;
      // A row enabling a module the list does not name is the 'registry only' case (an
      // advanced-only module), not a conflict — unless dual write should have mirrored it.
      if (listReadable && row.enabled !== named && (migrated || named)) {
        conflicts.push({
          code: migrated ? ViewConflictCode.MIGRATED_OUT_OF_STEP : ViewConflictCode.LEGACY_REGISTRY_DISAGREE,
          moduleId: m.id,
          message: migrated
            ? `module '${m.id}' is migrated and ${row.enabled ? 'enabled' : 'disabled'} in hotmod_module_configs, but modules_enabled ${named ? 'names' : 'does not name'} it (changed by direct SQL?): the registry row wins`
            : `module '${m.id}' is ${row.enabled ? 'enabled' : 'disabled'} by a hotmod_module_configs row but modules_enabled ${named ? 'names' : 'does not name'} it: the registry row wins`,
        });
        recommendations.push({ code: ViewRecommendationCode.RESOLVE_CONFLICT, moduleId: m.id, message: `run enableModule/disableModule for '${m.id}' to write one state to both sources${migrated ? '' : ', or migrate it (migrateToUnified) so dual write keeps them in step'}` });
      }
      if (!row.enabled) disabledByRow.add(m.id);
      if (row.custom_settings !== null && row.custom_settings !== undefined && !isPlainObject(row.custom_settings)) {
        warnModule({ code: ViewWarningCode.REGISTRY_SETTINGS_NOT_OBJECT, moduleId: m.id, message: `hotmod_module_configs.custom_settings of '${m.id}' is not a JSON object: {} is used` });
      }
    }
    if (enabled) explicit.add(m.id);
    const entry = index.entries.get(m.id)!;
    const config: UnifiedModuleConfig = {
      moduleId: m.id,
      enabled,
      source: named ? 'unified' : 'registry',
      advancedConfig: {
        registryEntry: entry.registryEntry,
        capabilities: entry.capabilities,
        dependencies: entry.dependencies,
        customSettings: row && isPlainObject(row.custom_settings) ? row.custom_settings : {},
      },
    };
    if (named && legacyConfig) config.legacyConfig = legacyConfig;
    if (row?.migrated_at) config.migratedAt = row.migrated_at;
    else if (named && enabled) {
      recommendations.push({ code: ViewRecommendationCode.MIGRATE_MODULE, moduleId: m.id, message: `module '${m.id}' is configured through the legacy list only: migrate it (migrateToUnified) to give it per-client settings; dual write keeps old readers working` });
    }
    byId.set(m.id, config);
  }

  // Implicit requirements, transitively: the registry's closure over the routing table.
  const closure = clientClosure(catalog, explicit);
  const effective = new Set<string>(closure.effective);
  for (const u of closure.unbound) {
    warnModule({ code: ViewWarningCode.REQUIREMENT_UNAVAILABLE, moduleId: u.moduleId, message: `module '${u.moduleId}' requires ${u.need}, which no module in the catalog provides in a version the resolver can bind: it will not resolve; add a package that provides it (hotmod resolve explains)` });
  }
  for (const pull of closure.implicit) {
    const config = byId.get(pull.moduleId)!;
    config.enabled = true;
    config.implicit = true;
    recommendations.push({ code: ViewRecommendationCode.ENABLE_IMPLICIT, moduleId: pull.moduleId, message: `module '${pull.moduleId}' is enabled implicitly because '${pull.requiredBy}' requires ${pull.need}: enable '${pull.moduleId}' explicitly so the set does not depend on '${pull.requiredBy}'` });
    if (disabledByRow.has(pull.moduleId)) {
      conflicts.push({ code: ViewConflictCode.REQUIRED_BUT_DISABLED, moduleId: pull.moduleId, message: `module '${pull.moduleId}' is disabled for this client but enabled module '${pull.requiredBy}' requires ${pull.need}: pulled in anyway` });
    }
  }

  // Legacy-only entries: recorded, not runnable.
  for (const raw of reading.unknown) {
    if (byId.has(raw)) continue;
    warnModule({ code: ViewWarningCode.LEGACY_NO_PACKAGE, moduleId: raw, message: `modules_enabled names '${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}', which no package in the catalog provides: recorded as legacy-only, not runnable` });
    recommendations.push({ code: ViewRecommendationCode.REMOVE_UNKNOWN_ENTRY, moduleId: raw, message: `install a package with id or legacyIds '${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}', or remove the entry from modules_enabled` });
    explicit.add(raw);
    const config: UnifiedModuleConfig = { moduleId: raw, enabled: true, source: 'legacy' };
    if (legacyConfig) config.legacyConfig = legacyConfig;
    byId.set(raw, config);
  }
  // Registry rows for modules the catalog does not have.
  for (const row of state.registry) {
    if (byId.has(row.module_id)) continue;
    warnModule({ code: ViewWarningCode.REGISTRY_NO_PACKAGE, moduleId: row.module_id, message: `hotmod_module_configs has a row for '${row.module_id}', which is not in the catalog: recorded, not runnable; add its package or delete the row` });
    if (row.enabled) explicit.add(row.module_id);
    const config: UnifiedModuleConfig = {
      moduleId: row.module_id,
      enabled: row.enabled,
      source: 'registry',
      advancedConfig: { registryEntry: {}, capabilities: [], dependencies: [], customSettings: isPlainObject(row.custom_settings) ? row.custom_settings : {} },
    };
    if (row.migrated_at) config.migratedAt = row.migrated_at;
    byId.set(row.module_id, config);
  }

  for (const [moduleId, list] of moduleWarnings) {
    const config = byId.get(moduleId);
    if (config) config.warnings = list;
  }
  const modules = [...byId.values()].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
  return {
    clientId: state.clientId,
    modules,
    effective,
    explicit,
    legacyState: reading.state,
    warnings: capPerCode(warnings),
    conflicts,
    recommendations: capPerCode(recommendations),
  };
}

/** Keeps at most FINDINGS_PER_CODE_MAX per code and says how many were left out. */
function capPerCode(list: ViewDiagnostic[]): ViewDiagnostic[] {
  const counts = new Map<string, number>();
  const out: ViewDiagnostic[] = [];
  let dropped = 0;
  for (const d of list) {
    const n = (counts.get(d.code) ?? 0) + 1;
    counts.set(d.code, n);
    if (n <= FINDINGS_PER_CODE_MAX) out.push(d);
    else dropped++;
  }
  if (dropped > 0) {
    const over = [...counts].filter(([, n]) => n > FINDINGS_PER_CODE_MAX).map(([code, n]) => `${code} ×${n}`);
    out.push({ code: ViewWarningCode.WARNINGS_TRUNCATED, message: `${dropped} more findings not listed (at most ${FINDINGS_PER_CODE_MAX} per code): ${over.join(', ')}` });
  }
  return out;
}
