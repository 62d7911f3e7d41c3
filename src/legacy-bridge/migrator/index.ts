// The migrator's surface inside the legacy bridge (re-exported by ../index.ts).
export { MigrationErrorCode, MigrationSkipCode } from './errors.js';
export {
  ModuleDataMigrator,
  createModuleDataMigrator,
  type ModuleDataMigratorOptions,
  type ModuleMigrationResult,
  type ModuleMigrationValidation,
  type ModuleMigrationProgress,
  type ClientMigrationProgress,
} from './ModuleDataMigrator.js';
export {
  planClientMigration,
  MIGRATION_STRATEGIES,
  type MigrationStrategy,
  type ClientMigrationPlan,
  type ModuleMigrationStep,
  type MigrationDifference,
} from './planClientMigration.js';
export {
  runModuleMigration,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_FAILURE_RATE,
  type MigrationRunOptions,
  type MigrationRunReport,
  type MigrationProgress,
  type VerificationReport,
  type ValidationReport,
  VALIDATION_SAMPLE_MAX,
  type ClientFailure,
} from './runMigration.js';
export { MIGRATOR_MIGRATIONS, MIGRATOR_COMPONENT, applyMigratorSchema } from './schema.js';
export { loadCatalogView, catalogViewOfScan } from './loadCatalogView.js';
export type { RunStatus, RunPhase, RunCounts } from './runRepository.js';
