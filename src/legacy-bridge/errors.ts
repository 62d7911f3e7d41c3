/**
 * Error codes of the legacy bridge (store, legacy API, unified view, unifier, config
 * source). Documented in docs/errors.md, section "Legacy bridge".
 * Warning / conflict / recommendation codes of the unified view are not errors: they live
 * in ./diagnostics.ts and are documented in docs/legacy-bridge.md.
 */
export const LegacyBridgeErrorCode = {
  /** The store URL is not `memory`, `pglite://PATH` or `postgres://…`. */
  STORE_URL_INVALID: 'E_STORE_URL_INVALID',
  /** The database could not be opened or reached. */
  STORE_OPEN_FAILED: 'E_STORE_OPEN_FAILED',
  /** A statement failed in the database. */
  STORE_QUERY_FAILED: 'E_STORE_QUERY_FAILED',
  /** The connection to the database was lost during the operation (backend terminated, reset, server restart). */
  STORE_CONNECTION_LOST: 'E_STORE_CONNECTION_LOST',
  /** The database did not answer within the store's timeout (connect, statement or query). */
  STORE_TIMEOUT: 'E_STORE_TIMEOUT',
  /** The store was used after close(). */
  STORE_CLOSED: 'E_STORE_CLOSED',
  /** A hotmod schema migration failed (rolled back). */
  STORE_MIGRATION_FAILED: 'E_STORE_MIGRATION_FAILED',
  /** The database holds a newer hotmod schema than this version knows. */
  STORE_SCHEMA_TOO_NEW: 'E_STORE_SCHEMA_TOO_NEW',
  /** A client id is malformed (not a uuid for the legacy table, or not a valid id at all). */
  CLIENT_ID_INVALID: 'E_CLIENT_ID_INVALID',
  /** A legacy write names a client that is not in `clients` (foreign key). */
  CLIENT_NOT_FOUND: 'E_CLIENT_NOT_FOUND',
  /** A unifier write names a client neither the legacy tables nor hotmod_module_configs know (and the caller did not say it creates it). */
  CLIENT_UNKNOWN: 'E_CLIENT_UNKNOWN',
  /** A module id is malformed. */
  MODULE_ID_INVALID: 'E_MODULE_ID_INVALID',
  /** A write names a module the catalog does not have. */
  MODULE_UNKNOWN: 'E_MODULE_UNKNOWN',
  /** `client_app_overrides` does not exist in this database. */
  LEGACY_TABLE_MISSING: 'E_LEGACY_TABLE_MISSING',
  /** saveModuleOverrides was given something other than an array of strings. */
  LEGACY_MODULES_INVALID: 'E_LEGACY_MODULES_INVALID',
  /** A seed-API function (seedApi) was called while its part (legacy API, unifier, migrator) is absent: host not started, or store 'none'. */
  BRIDGE_UNAVAILABLE: 'E_BRIDGE_UNAVAILABLE',
  /** A write would have to rewrite a stored modules_enabled value that is not a JSON array. */
  LEGACY_LIST_UNREADABLE: 'E_LEGACY_LIST_UNREADABLE',
} as const;

export type LegacyBridgeErrorCode = (typeof LegacyBridgeErrorCode)[keyof typeof LegacyBridgeErrorCode];

declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<LegacyBridgeErrorCode, true> {}
}
