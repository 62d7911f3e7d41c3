/**
 * Error codes of the migrator (plan, backup, batch run, verification, rollback).
 * Documented in docs/errors.md, section "Migration". The per-client failure codes
 * (E_MIGRATION_OUT_OF_STEP, …) also appear as `reason` of failed clients in run reports;
 * skip reasons (S_*) are not errors and are documented in docs/migration.md.
 */
export const MigrationErrorCode = {
  /** --strategy / { strategy } is not merge, replace or preserve. */
  STRATEGY_INVALID: 'E_MIGRATION_STRATEGY_INVALID',
  /** A run option is out of range (batch size, failure rate, client list). */
  OPTIONS_INVALID: 'E_MIGRATION_OPTIONS_INVALID',
  /** The modules directory holds no usable module: every legacy entry would look unknown. */
  CATALOG_EMPTY: 'E_MIGRATION_CATALOG_EMPTY',
  /** No run with this id in hotmod_migration_runs. */
  RUN_NOT_FOUND: 'E_MIGRATION_RUN_NOT_FOUND',
  /** Another unfinished run exists and this call would start a different one. */
  RUN_IN_PROGRESS: 'E_MIGRATION_RUN_IN_PROGRESS',
  /** The run is in a state that does not allow this operation (resume a completed run, …). */
  RUN_STATE: 'E_MIGRATION_RUN_STATE',
  /** No backup with this id in hotmod_migration_backups. */
  BACKUP_NOT_FOUND: 'E_MIGRATION_BACKUP_NOT_FOUND',
  /** The client's rows changed between createModuleMigrationPlan and executeModuleMigration. */
  PLAN_STALE: 'E_MIGRATION_PLAN_STALE',
  /** Client failure: a migrated module and the legacy list disagree (a direct SQL edit). */
  OUT_OF_STEP: 'E_MIGRATION_OUT_OF_STEP',
  /** Client failure: the client has several client_app_overrides rows. */
  DUPLICATE_ROWS: 'E_MIGRATION_DUPLICATE_ROWS',
  /** Client failure: the planned writes would change the client's effective module set. */
  EFFECTIVE_CHANGED: 'E_MIGRATION_EFFECTIVE_CHANGED',
  /** Client failure: the database refused this client's writes (isolated by splitting its batch). */
  CLIENT_WRITE_FAILED: 'E_MIGRATION_CLIENT_WRITE_FAILED',
  /** More clients failed than --max-failure-rate allows: the run was rolled back. */
  FAILURE_RATE: 'E_MIGRATION_FAILURE_RATE',
  /** Rollback: the client was written after its backup (any path); kept as it is, not restored, unless overwriting is asked for. */
  LATER_WRITE: 'E_MIGRATION_LATER_WRITE',
  /** Rollback: the database refused to put this client's backup back (a client deleted from clients, a constraint); the client was left as it is. */
  RESTORE_FAILED: 'E_MIGRATION_RESTORE_FAILED',
  /** Verification found clients whose effective module set changed. */
  VERIFY_FAILED: 'E_MIGRATION_VERIFY_FAILED',
} as const;

export type MigrationErrorCode = (typeof MigrationErrorCode)[keyof typeof MigrationErrorCode];

/** Why a client was left alone: not errors, documented in docs/migration.md "Skip reasons". */
export const MigrationSkipCode = {
  /** No legacy row and no registry rows: the client follows the catalog defaults; nothing to migrate. */
  NOTHING_TO_MIGRATE: 'S_NOTHING_TO_MIGRATE',
  /** Every configured module is migrated already and both tables agree. */
  ALREADY_MIGRATED: 'S_ALREADY_MIGRATED',
  /** modules_enabled is NULL, not an array, or (replace) a double-encoded string: left as it is. */
  LEGACY_UNREADABLE: 'S_LEGACY_UNREADABLE',
  /** replace: modules_enabled has entries a canonical rewrite would drop (junk, near misses, unknown ids). */
  LEGACY_MALFORMED: 'S_LEGACY_MALFORMED',
  /** preserve: a module is not migrated because its legacy entry and its registry state disagree. */
  MODULE_CONFLICT: 'S_MODULE_CONFLICT',
} as const;

export type MigrationSkipCode = (typeof MigrationSkipCode)[keyof typeof MigrationSkipCode];

declare module '../../errors.js' {
  interface HotmodErrorCodes extends Record<MigrationErrorCode, true> {}
}
