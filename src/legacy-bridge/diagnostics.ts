/**
 * The codes of the unified view's findings. Not errors (nothing throws): every
 * `unifyModuleSystems` result and every UnifiedModuleConfig carries them, and
 * docs/legacy-bridge.md explains each one. Keep both in step.
 */
export const ViewWarningCode = {
  LEGACY_LIST_NULL: 'W_LEGACY_LIST_NULL',
  LEGACY_LIST_NOT_ARRAY: 'W_LEGACY_LIST_NOT_ARRAY',
  LEGACY_LIST_DOUBLE_ENCODED: 'W_LEGACY_LIST_DOUBLE_ENCODED',
  LEGACY_LIST_HUGE: 'W_LEGACY_LIST_HUGE',
  LEGACY_ENTRY_NOT_STRING: 'W_LEGACY_ENTRY_NOT_STRING',
  LEGACY_ENTRY_EMPTY: 'W_LEGACY_ENTRY_EMPTY',
  LEGACY_ENTRY_TOO_LONG: 'W_LEGACY_ENTRY_TOO_LONG',
  LEGACY_ENTRY_CASE: 'W_LEGACY_ENTRY_CASE',
  LEGACY_ENTRY_WHITESPACE: 'W_LEGACY_ENTRY_WHITESPACE',
  LEGACY_ENTRY_DUPLICATE: 'W_LEGACY_ENTRY_DUPLICATE',
  LEGACY_ENTRY_ALIAS: 'W_LEGACY_ENTRY_ALIAS',
  LEGACY_NO_PACKAGE: 'W_LEGACY_NO_PACKAGE',
  LEGACY_OVERRIDES_NOT_OBJECT: 'W_LEGACY_OVERRIDES_NOT_OBJECT',
  LEGACY_DUPLICATE_ROWS: 'W_LEGACY_DUPLICATE_ROWS',
  REGISTRY_NO_PACKAGE: 'W_REGISTRY_NO_PACKAGE',
  REGISTRY_SETTINGS_NOT_OBJECT: 'W_REGISTRY_SETTINGS_NOT_OBJECT',
  REQUIREMENT_UNAVAILABLE: 'W_REQUIREMENT_UNAVAILABLE',
  WARNINGS_TRUNCATED: 'W_WARNINGS_TRUNCATED',
} as const;

export const ViewConflictCode = {
  /** A registry row (not migrated) and the legacy list disagree; the registry row wins. */
  LEGACY_REGISTRY_DISAGREE: 'C_LEGACY_REGISTRY_DISAGREE',
  /** A migrated module's legacy list entry is out of step (a direct SQL edit); the registry row wins. */
  MIGRATED_OUT_OF_STEP: 'C_MIGRATED_OUT_OF_STEP',
  /** A module disabled by a registry row is required by an enabled module: pulled in anyway. */
  REQUIRED_BUT_DISABLED: 'C_REQUIRED_BUT_DISABLED',
} as const;

export const ViewRecommendationCode = {
  ENABLE_IMPLICIT: 'R_ENABLE_IMPLICIT',
  MIGRATE_MODULE: 'R_MIGRATE_MODULE',
  REPLACE_ALIAS: 'R_REPLACE_ALIAS',
  FIX_LEGACY_ENTRY: 'R_FIX_LEGACY_ENTRY',
  REMOVE_UNKNOWN_ENTRY: 'R_REMOVE_UNKNOWN_ENTRY',
  RESOLVE_CONFLICT: 'R_RESOLVE_CONFLICT',
} as const;

export type ViewWarningCode = (typeof ViewWarningCode)[keyof typeof ViewWarningCode];
export type ViewConflictCode = (typeof ViewConflictCode)[keyof typeof ViewConflictCode];
export type ViewRecommendationCode = (typeof ViewRecommendationCode)[keyof typeof ViewRecommendationCode];

/** One finding of the unified view. */
export interface ViewDiagnostic {
  code: string;
  message: string;
  /** The module the finding is about (canonical id, or the raw legacy entry when unknown). */
  moduleId?: string;
  /** Index in modules_enabled, for findings about one legacy entry. */
  index?: number;
}
