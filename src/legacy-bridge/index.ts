// The legacy bridge's public surface inside hotmod: other parts import from here only.
export { LegacyBridgeErrorCode } from './errors.js';
export { ViewWarningCode, ViewConflictCode, ViewRecommendationCode, type ViewDiagnostic } from './diagnostics.js';
export { LEGACY_BEHAVIOURS, type LegacyBehaviour } from './compatibility.js';
export { isUuid, normalizeClientId, normalizeLegacyClientId, assertModuleId } from './clientId.js';

export type { Store, StoreKind, Queryable, QueryResult, OpenStoreOptions, GapHandler } from './store/types.js';
export { openStore, DEFAULT_STORE_URL } from './store/openStore.js';
export { storeFromPgPool } from './store/postgresStore.js';
export {
  applyMigrations,
  CORE_MIGRATIONS,
  CLIENT_CHANGES_CHANNEL,
  SCHEMA_LOCK_KEY,
  ensureLegacyTriggerLocked,
  type SchemaMigration,
  type MigrationReport,
} from './store/migrations.js';

export { initLegacySchema, DEMO_CLIENTS, type DemoClient, type LegacySchemaReport } from './legacy/legacySchema.js';
export { createLegacyApi, type LegacyApi, type LegacyApiOptions } from './legacy/legacyApi.js';
export {
  lockClient,
  legacyTableExists,
  readLegacyRow,
  readModuleConfigRows,
  loadClientState,
  writeLegacyModules,
  upsertModuleConfig,
  type ModuleConfigWrite,
} from './legacy/legacyRepository.js';
export { withModule, withoutModule, resolvedIds } from './legacy/legacyListEdits.js';

export type { LegacyOverridesRow, ModuleConfigRow, ClientConfigState } from './view/rows.js';
export { readLegacyList, type LegacyListReading, type LegacyListState } from './view/readLegacyList.js';
export { computeUnifiedView, type UnifiedClientView } from './view/computeUnifiedView.js';
export { toClientModuleSet } from './view/clientModuleSet.js';

export { ModuleSystemUnifier, type ModuleUnificationResult, type ModuleSystemUnifierOptions, type UnifierWriteOptions } from './unifier/ModuleSystemUnifier.js';
export { seedApi, SEED_API, type SeedApi, type SeedApiParts } from './unifier/seedApi.js';
export { createUnifiedConfigSource, type UnifiedConfigSource, type UnifiedConfigSourceOptions } from './configSource/createUnifiedConfigSource.js';

// The migrator (docs/migration.md).
export * from './migrator/index.js';

// The composition a host uses (the runtime's LegacyBridgeFactory seam).
export { createLegacyBridge, type LegacyBridge, type LegacyBridgeContext } from './createLegacyBridge.js';
