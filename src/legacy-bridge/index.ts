// The legacy bridge's public door: what other parts (src/runtime, src/cli, src/fastify,
// src/index.ts) use and what docs/legacy-bridge.md and docs/migration.md document. Other
// parts import from here only; tests may import the inner files directly
// (tests/cli/importCycles.test.ts keeps the door to that).
export { LegacyBridgeErrorCode } from './errors.js';
export type { ViewDiagnostic } from './diagnostics.js';
export { normalizeClientId } from './clientId.js';

export type { Store } from './store/types.js';
export { openStore, DEFAULT_STORE_URL } from './store/openStore.js';
export { applyMigrations, type SchemaMigration } from './store/migrations.js';

export { initLegacySchema } from './legacy/legacySchema.js';
export { createLegacyApi, type LegacyApi } from './legacy/legacyApi.js';
export { computeUnifiedView, type UnifiedClientView } from './view/computeUnifiedView.js';
// What host.explain reads the view's rules from (docs/legacy-bridge.md "Explanations").
export { readLegacyList } from './view/readLegacyList.js';
export type { ClientConfigState } from './view/rows.js';
export { ViewConflictCode, ViewWarningCode } from './diagnostics.js';

export { ModuleSystemUnifier, type ModuleUnificationResult, type UnifierWriteOptions } from './unifier/ModuleSystemUnifier.js';
export { seedApi, SEED_API, type SeedApi, type SeedApiParts } from './unifier/seedApi.js';
export { createUnifiedConfigSource } from './configSource/createUnifiedConfigSource.js';

// The migrator (docs/migration.md).
export { MigrationErrorCode } from './migrator/errors.js';
export {
  ModuleDataMigrator,
  createModuleDataMigrator,
  type ModuleMigrationResult,
  type ModuleMigrationValidation,
  type ModuleMigrationProgress,
  type ClientMigrationProgress,
} from './migrator/ModuleDataMigrator.js';
export { MIGRATION_STRATEGIES, type MigrationStrategy, type ClientMigrationPlan } from './migrator/planClientMigration.js';
export { DEFAULT_BATCH_SIZE, DEFAULT_MAX_FAILURE_RATE, type MigrationRunOptions, type MigrationRunReport, type MigrationProgress } from './migrator/runMigration.js';
export { loadCatalogView, catalogViewOfScan } from './migrator/loadCatalogView.js';

// The composition a host uses (the runtime's LegacyBridgeFactory seam).
export { createLegacyBridge, type LegacyBridge } from './createLegacyBridge.js';
