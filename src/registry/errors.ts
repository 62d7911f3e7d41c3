/**
 * Error codes of the registry: manifest validation, the catalog, the resolver.
 * Each code has a row in docs/errors.md (tests/errors-doc.test.ts keeps them in step).
 */
export const ManifestErrorCode = {
  /** Thrown when a caller needs a valid package and it has error diagnostics (they are in details). */
  INVALID: 'E_MANIFEST_INVALID',
  /** The folder has no package.json. */
  NOT_FOUND: 'E_MANIFEST_NOT_FOUND',
  /** package.json is not valid JSON or not a JSON object. */
  PARSE: 'E_MANIFEST_PARSE',
  /** package.json has no `hotmod` field: not a hotmod module. */
  NOT_HOTMOD: 'E_MANIFEST_NOT_HOTMOD',
  /** A required field (name, version, hotmod.id) is absent. */
  REQUIRED: 'E_MANIFEST_REQUIRED',
  /** A field has the wrong JSON type. */
  TYPE: 'E_MANIFEST_TYPE',
  /** A module id (hotmod.id, legacyIds, dependsOn key) does not match the id pattern. */
  ID: 'E_MANIFEST_ID',
  /** package.json `version` is not an exact semver version. */
  VERSION: 'E_MANIFEST_VERSION',
  /** A semver range (requires, optionalRequires, dependsOn, engines.hotmod) does not parse. */
  RANGE: 'E_MANIFEST_RANGE',
  /** A capability name is malformed. */
  CAPABILITY: 'E_MANIFEST_CAPABILITY',
  /** A `provides` value is not an exact semver version. */
  CAPABILITY_VERSION: 'E_MANIFEST_CAPABILITY_VERSION',
  /** activation / isolation is not one of the allowed values. */
  ENUM: 'E_MANIFEST_ENUM',
  /** An unknown permission. */
  PERMISSION: 'E_MANIFEST_PERMISSION',
  /** `fetch.origins` holds something that is not an http(s) origin, or the `fetch` permission has no `fetch` field. */
  FETCH_ORIGIN: 'E_MANIFEST_FETCH',
  /** A limit is not a positive integer or is above its maximum. */
  LIMIT: 'E_MANIFEST_LIMIT',
  /** configSchema is not an object or is not a valid JSON Schema. */
  CONFIG_SCHEMA: 'E_MANIFEST_CONFIG_SCHEMA',
  /** An unknown key in the manifest (usually a typo). */
  UNKNOWN_FIELD: 'E_MANIFEST_UNKNOWN_FIELD',
  /** The module depends on itself or requires a capability it provides. */
  SELF_REFERENCE: 'E_MANIFEST_SELF_REFERENCE',
  /** The same entry twice (legacy id, permission, a capability both required and optional). */
  DUPLICATE: 'E_MANIFEST_DUPLICATE',
  /** `main` is absolute or points outside the package folder. */
  MAIN: 'E_MANIFEST_MAIN',
  /** The entry file named by `main` does not exist. */
  ENTRY_MISSING: 'E_MANIFEST_ENTRY_MISSING',
  /** Warning: no engines.hotmod, so the module claims to work with every host version. */
  ENGINES_MISSING: 'E_MANIFEST_ENGINES_MISSING',
} as const;

export const CatalogErrorCode = {
  /** Two packages with the same id@version. */
  DUPLICATE: 'E_CATALOG_DUPLICATE',
  /** applyDelta was asked to remove a key the catalog does not hold. */
  UNKNOWN_KEY: 'E_CATALOG_UNKNOWN_KEY',
  /** The modules directory does not exist or is not a directory. */
  DIR_MISSING: 'E_CATALOG_DIR_MISSING',
  /** Warning: a legacy id is another module's id, or two modules claim the same legacy id. */
  LEGACY_ID_CLASH: 'E_CATALOG_LEGACY_ID_CLASH',
  /** A capability registry query has a malformed pattern or an invalid semver range. */
  QUERY_INVALID: 'E_CATALOG_QUERY',
  /** A catalog view was given two versions of one module id (a view holds one version per id). */
  VIEW_DUPLICATE_ID: 'E_CATALOG_VIEW_DUPLICATE_ID',
} as const;

export const ResolveErrorCode = {
  /** A requested module, a dependsOn module or a required capability exists nowhere in the catalog. */
  MISSING: 'E_RESOLVE_MISSING',
  /** Versions exist, but no choice satisfies every range. */
  CONFLICT: 'E_RESOLVE_CONFLICT',
  /** Modules need each other in a cycle. */
  CYCLE: 'E_RESOLVE_CYCLE',
  /** Every candidate version needs another hotmod version (engines.hotmod). */
  ENGINE: 'E_RESOLVE_ENGINE',
  /** The search gave up after its step budget (pathological catalogs). */
  TOO_COMPLEX: 'E_RESOLVE_TOO_COMPLEX',
} as const;

export type ResolveErrorCodeValue = (typeof ResolveErrorCode)[keyof typeof ResolveErrorCode];

export type ManifestErrorCodeValue = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode];
export type CatalogErrorCodeValue = (typeof CatalogErrorCode)[keyof typeof CatalogErrorCode];

declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<ManifestErrorCodeValue | CatalogErrorCodeValue | ResolveErrorCodeValue, true> {}
}
