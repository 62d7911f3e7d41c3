import path from 'node:path';
import semver from 'semver';
import { Ajv } from 'ajv';
import { nearest } from '../shared/nearest.js';
import { ManifestErrorCode as C } from './errors.js';
import {
  PERMISSIONS,
  type Activation,
  type Isolation,
  type ManifestDiagnostic,
  type ModuleLimits,
  type ModuleManifest,
  type Permission,
} from './types.js';

/** `[a-z0-9][a-z0-9._-]*`: the id legacy lists use. */
export const MODULE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** Dot-separated segments; `*` is kept for patterns (`payments.*`). */
export const CAPABILITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$/;
const MAX_ID_LENGTH = 214; // npm's limit for package names: ids often mirror them.

/** Upper bounds that catch unit mistakes (seconds written as ms, bytes as MB). */
export const LIMIT_MAXIMA: Readonly<Record<keyof ModuleLimits, number>> = {
  memoryMb: 4096,
  callTimeoutMs: 600_000,
  activateTimeoutMs: 600_000,
};

/** Used for `main` when package.json does not say. */
export const DEFAULT_MAIN = 'dist/index.js';

const MANIFEST_KEYS = [
  'id',
  'legacyIds',
  'provides',
  'requires',
  'optionalRequires',
  'dependsOn',
  'activation',
  'isolation',
  'permissions',
  'fetch',
  'limits',
  'configSchema',
  'defaultEnabled',
] as const;

/** `$.hotmod.provides["billing.invoices"]`: identifiers with a dot, everything else quoted. */
export function jsonPath(...segments: (string | number)[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The candidate nearest to `word`, case ignored, for "did you mean" on unknown fields and values. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const byLower = new Map(candidates.map((c) => [c.toLowerCase(), c]));
  const key = word.toLowerCase();
  const best = byLower.has(key) ? key : nearest(key, byLower.keys(), { maxDistance: Math.max(2, Math.floor(word.length / 3)), limit: 1 })[0];
  return best === undefined ? undefined : byLower.get(best);
}

let ajv: Ajv | undefined;
/** One Ajv for schema checks; strict off so that `format` and vendor keywords do not fail a module. */
function schemaCompiler(): Ajv {
  ajv ??= new Ajv({ allErrors: true, strict: false, validateFormats: false });
  return ajv;
}

/**
 * Checks a package.json against DESIGN.md's manifest. Every problem is one diagnostic
 * (code, file, JSON path, message, fix); the manifest is returned only when there are no
 * errors (warnings do not refuse a package). Never throws.
 */
export function validateManifest(
  packageJson: unknown,
  location: { dir: string; file: string },
): { manifest?: ModuleManifest; diagnostics: ManifestDiagnostic[] } {
  const diagnostics: ManifestDiagnostic[] = [];
  // A map entry's path is built only when the entry has a problem (`at` a thunk): most have none.
  const report = (code: string, at: At, message: string, fix: string, severity: 'error' | 'warning' = 'error') =>
    diagnostics.push({ code, dir: location.dir, file: location.file, jsonPath: typeof at === 'string' ? at : at(), message, fix, severity });
  const rel = path.basename(location.file);

  if (!isPlainObject(packageJson)) {
    report(C.PARSE, '$', `${rel} must hold a JSON object, found ${typeName(packageJson)}`, 'Write package.json as an object: { "name": …, "version": …, "hotmod": { "id": … } }.');
    return { diagnostics };
  }
  const pkg = packageJson;

  // --- package.json fields -------------------------------------------------------
  let packageName = '';
  if (pkg.name === undefined) report(C.REQUIRED, '$.name', 'package.json has no "name"', 'Add "name", e.g. "@acme/hotmod-billing".');
  else if (typeof pkg.name !== 'string' || pkg.name.trim() === '') report(C.TYPE, '$.name', `"name" must be a non-empty string, found ${typeName(pkg.name)}`, 'Set "name" to the package name, e.g. "@acme/hotmod-billing".');
  else packageName = pkg.name;

  let version = '';
  if (pkg.version === undefined) report(C.REQUIRED, '$.version', 'package.json has no "version"', 'Add "version" with an exact semver version, e.g. "1.0.0".');
  else if (typeof pkg.version !== 'string') report(C.TYPE, '$.version', `"version" must be a string, found ${typeName(pkg.version)}`, 'Write the version as a string, e.g. "1.0.0".');
  else if (!isExactVersion(pkg.version))
    report(C.VERSION, '$.version', `"version" '${pkg.version}' is not an exact semver version`, 'Use MAJOR.MINOR.PATCH, e.g. "1.4.0" (no range, no leading "v" or "=").');
  else version = pkg.version;

  let main = DEFAULT_MAIN;
  if (pkg.main !== undefined) {
    if (typeof pkg.main !== 'string' || pkg.main.trim() === '') report(C.TYPE, '$.main', `"main" must be a non-empty string, found ${typeName(pkg.main)}`, `Set "main" to the bundled entry, e.g. "${DEFAULT_MAIN}".`);
    else if (path.isAbsolute(pkg.main) || path.posix.normalize(pkg.main.replaceAll('\\', '/')).startsWith('../'))
      report(C.MAIN, '$.main', `"main" '${pkg.main}' points outside the package folder`, `Use a path inside the package, e.g. "${DEFAULT_MAIN}".`);
    else main = path.posix.normalize(pkg.main.replaceAll('\\', '/'));
  }

  let enginesHotmod: string | undefined;
  if (pkg.engines !== undefined && !isPlainObject(pkg.engines)) {
    report(C.TYPE, '$.engines', `"engines" must be an object, found ${typeName(pkg.engines)}`, 'Write "engines": { "hotmod": "^1.0.0" }.');
  } else if (isPlainObject(pkg.engines) && pkg.engines.hotmod !== undefined) {
    const r = pkg.engines.hotmod;
    if (typeof r !== 'string') report(C.TYPE, '$.engines.hotmod', `"engines.hotmod" must be a string, found ${typeName(r)}`, 'Write the host versions as a semver range, e.g. "^1.0.0".');
    else if (!isRange(r)) report(C.RANGE, '$.engines.hotmod', `"engines.hotmod" '${r}' is not a valid semver range`, 'Write the supported host versions as a semver range, e.g. "^1.0.0".');
    else enginesHotmod = r;
  }

  // --- the hotmod field ------------------------------------------------------------
  const h = pkg.hotmod;
  if (h === undefined) {
    report(C.NOT_HOTMOD, '$.hotmod', 'package.json has no "hotmod" field, so this folder is not a hotmod module', 'Add "hotmod": { "id": "<module-id>", "provides": { … } }, or move the folder out of the modules directory.');
    return { diagnostics };
  }
  if (!isPlainObject(h)) {
    report(C.TYPE, '$.hotmod', `"hotmod" must be an object, found ${typeName(h)}`, 'Write "hotmod": { "id": "<module-id>", … }.');
    return { diagnostics };
  }
  if (enginesHotmod === undefined && !(isPlainObject(pkg.engines) && pkg.engines.hotmod !== undefined))
    report(C.ENGINES_MISSING, '$.engines.hotmod', 'no "engines.hotmod": the module claims to work with every hotmod version', 'Add "engines": { "hotmod": "^1.0.0" } with the host versions you tested.', 'warning');

  for (const key of Object.keys(h)) {
    if ((MANIFEST_KEYS as readonly string[]).includes(key)) continue;
    const guess = closest(key, MANIFEST_KEYS);
    report(C.UNKNOWN_FIELD, jsonPath('hotmod', key), `unknown manifest field "${key}"`, guess ? `Did you mean "${guess}"? Rename it.` : `Remove it; manifest fields are ${MANIFEST_KEYS.join(', ')}.`);
  }

  let id = '';
  if (h.id === undefined) report(C.REQUIRED, '$.hotmod.id', 'the manifest has no "id"', 'Add "id", e.g. "billing" (lowercase letters, digits, ".", "_", "-").');
  else if (typeof h.id !== 'string') report(C.TYPE, '$.hotmod.id', `"id" must be a string, found ${typeName(h.id)}`, 'Write the id as a string, e.g. "billing".');
  else if (!MODULE_ID_PATTERN.test(h.id) || h.id.length > MAX_ID_LENGTH)
    report(C.ID, '$.hotmod.id', `"id" '${h.id}' is not a valid module id`, `Use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (${MODULE_ID_PATTERN.source}), at most ${MAX_ID_LENGTH} characters.`);
  else id = h.id;

  const legacyIds: string[] = [];
  if (h.legacyIds !== undefined) {
    if (!Array.isArray(h.legacyIds)) report(C.TYPE, '$.hotmod.legacyIds', `"legacyIds" must be an array of strings, found ${typeName(h.legacyIds)}`, 'Write "legacyIds": ["billing-v1"].');
    else
      h.legacyIds.forEach((legacy: unknown, i: number) => {
        const at = jsonPath('hotmod', 'legacyIds', i);
        if (typeof legacy !== 'string' || legacy.trim() === '' || legacy !== legacy.trim())
          report(C.ID, at, `legacy id ${JSON.stringify(legacy)} must be a non-empty string without surrounding spaces`, 'Write the id exactly as legacy modules_enabled lists spell it.');
        // The legacy-list reader skips longer entries as malformed, so such an id could never match.
        else if (legacy.length > MAX_ID_LENGTH)
          report(C.ID, at, `legacy id '${legacy.slice(0, 40)}...' is ${legacy.length} characters long; a legacy modules_enabled entry has at most ${MAX_ID_LENGTH}`, `Shorten it to at most ${MAX_ID_LENGTH} characters, as the legacy lists spell it.`);
        else if (legacy === id) report(C.SELF_REFERENCE, at, `legacy id '${legacy}' is the module's own id`, 'Remove it: the module id is always accepted in legacy lists.');
        else if (legacyIds.includes(legacy)) report(C.DUPLICATE, at, `legacy id '${legacy}' is listed twice`, 'Remove the duplicate.');
        else legacyIds.push(legacy);
      });
  }

  const provides = readMap(h, 'provides', (name, value, at) => {
    if (!CAPABILITY_NAME_PATTERN.test(name)) {
      report(C.CAPABILITY, at, `capability name '${name}' is malformed`, 'Use dot-separated segments of letters, digits, "_" and "-", e.g. "billing.invoices".');
      return undefined;
    }
    if (typeof value !== 'string') {
      report(C.TYPE, at, `the version of capability '${name}' must be a string, found ${typeName(value)}`, 'Write the exact version this module implements, e.g. "1.4.0".');
      return undefined;
    }
    if (!isExactVersion(value)) {
      report(C.CAPABILITY_VERSION, at, `capability '${name}' must name the exact version implemented, found '${value}'`, `Write an exact version such as "${semver.minVersion(value)?.version ?? '1.0.0'}"; ranges belong in "requires".`);
      return undefined;
    }
    return value;
  });

  const rangeMap = (field: 'requires' | 'optionalRequires') =>
    readMap(h, field, (name, value, at) => {
      if (!CAPABILITY_NAME_PATTERN.test(name)) {
        report(C.CAPABILITY, at, `capability name '${name}' is malformed`, 'Use dot-separated segments of letters, digits, "_" and "-", e.g. "payments.charge".');
        return undefined;
      }
      return readRange(name, value, at, `capability '${name}'`);
    });
  const readRange = (_name: string, value: unknown, at: At, subject: string): string | undefined => {
    if (typeof value !== 'string') {
      report(C.TYPE, at, `the range for ${subject} must be a string, found ${typeName(value)}`, 'Write a semver range, e.g. "^2.1.0".');
      return undefined;
    }
    if (!isRange(value)) {
      report(C.RANGE, at, `the range '${value}' for ${subject} is not a valid semver range`, 'Write a semver range, e.g. "^2.1.0", "~1.2.0" or ">=1.0.0 <3.0.0".');
      return undefined;
    }
    return value;
  };
  const requires = rangeMap('requires');
  const optionalRequires = rangeMap('optionalRequires');
  const dependsOn = readMap(h, 'dependsOn', (depId, value, at) => {
    if (!MODULE_ID_PATTERN.test(depId)) {
      report(C.ID, at, `dependsOn names '${depId}', which is not a valid module id`, `Use the other module's hotmod.id (${MODULE_ID_PATTERN.source}).`);
      return undefined;
    }
    if (depId === id) {
      report(C.SELF_REFERENCE, at, `module '${id}' depends on itself`, 'Remove the entry.');
      return undefined;
    }
    return readRange(depId, value, at, `module '${depId}'`);
  });

  for (const cap of Object.keys(requires)) {
    if (Object.hasOwn(optionalRequires, cap)) {
      report(C.DUPLICATE, jsonPath('hotmod', 'optionalRequires', cap), `capability '${cap}' is in both requires and optionalRequires`, 'Keep it in one of them: requires if the module cannot work without it.');
      delete optionalRequires[cap];
    }
  }
  for (const field of ['requires', 'optionalRequires'] as const) {
    const map = field === 'requires' ? requires : optionalRequires;
    for (const cap of Object.keys(map)) {
      if (Object.hasOwn(provides, cap)) {
        report(C.SELF_REFERENCE, jsonPath('hotmod', field, cap), `module requires capability '${cap}', which it provides itself`, 'Remove the requirement: a module calls its own code directly.');
        delete map[cap];
      }
    }
  }

  let activation: Activation = 'eager';
  if (h.activation !== undefined) {
    if (h.activation === 'eager' || h.activation === 'lazy') activation = h.activation;
    else report(C.ENUM, '$.hotmod.activation', `"activation" must be "eager" or "lazy", found ${JSON.stringify(h.activation)}`, 'Use "eager" (activate at start) or "lazy" (activate on first call).');
  }
  let isolation: Isolation | undefined;
  if (h.isolation !== undefined) {
    if (h.isolation === 'isolate' || h.isolation === 'process') isolation = h.isolation;
    else report(C.ENUM, '$.hotmod.isolation', `"isolation" must be "isolate" or "process", found ${JSON.stringify(h.isolation)}`, 'Use "isolate" (default) or "process" (a supervised child process), or leave it out.');
  }

  const permissions: Permission[] = [];
  if (h.permissions !== undefined) {
    if (!Array.isArray(h.permissions)) report(C.TYPE, '$.hotmod.permissions', `"permissions" must be an array, found ${typeName(h.permissions)}`, `Write e.g. "permissions": ["log"]; known: ${PERMISSIONS.join(', ')}.`);
    else
      h.permissions.forEach((p: unknown, i: number) => {
        const at = jsonPath('hotmod', 'permissions', i);
        if (typeof p !== 'string' || !(PERMISSIONS as readonly string[]).includes(p)) {
          const guess = typeof p === 'string' ? closest(p, PERMISSIONS) : undefined;
          report(C.PERMISSION, at, `unknown permission ${JSON.stringify(p)}`, `${guess ? `Did you mean "${guess}"? ` : ''}Known permissions: ${PERMISSIONS.join(', ')}.`);
        } else if (permissions.includes(p as Permission)) report(C.DUPLICATE, at, `permission '${p}' is listed twice`, 'Remove the duplicate.');
        else permissions.push(p as Permission);
      });
  }

  let fetchOrigins: string[] | undefined;
  if (h.fetch !== undefined) {
    const origins = isPlainObject(h.fetch) ? h.fetch.origins : undefined;
    if (!isPlainObject(h.fetch) || !Array.isArray(origins)) {
      report(C.TYPE, isPlainObject(h.fetch) ? '$.hotmod.fetch.origins' : '$.hotmod.fetch', `"fetch" must be an object with an "origins" array, found ${typeName(isPlainObject(h.fetch) ? origins : h.fetch)}`, 'Write e.g. "fetch": { "origins": ["https://api.example.com"] }.');
    } else {
      for (const key of Object.keys(h.fetch)) {
        if (key !== 'origins') report(C.UNKNOWN_FIELD, jsonPath('hotmod', 'fetch', key), `unknown field "${key}" in "fetch"`, 'The only field of "fetch" is "origins".');
      }
      const found = new Set<string>();
      origins.forEach((o: unknown, i: number) => {
        const at = jsonPath('hotmod', 'fetch', 'origins', i);
        const origin = normalizeOrigin(o);
        if (origin === undefined) report(C.FETCH_ORIGIN, at, `${JSON.stringify(o)} is not an http(s) origin`, 'Write the scheme, host and port only, e.g. "https://api.example.com" or "http://127.0.0.1:8080" (no path, query or credentials).');
        else if (found.has(origin)) report(C.DUPLICATE, at, `origin '${origin}' is listed twice`, 'Remove the duplicate.');
        else found.add(origin);
      });
      fetchOrigins = [...found].sort();
    }
  }
  if (permissions.includes('fetch') && fetchOrigins === undefined && h.fetch === undefined) {
    report(C.FETCH_ORIGIN, '$.hotmod.fetch', 'the "fetch" permission needs the origins it may reach', 'Add e.g. "fetch": { "origins": ["https://api.example.com"] }.');
  }
  if (h.fetch !== undefined && !permissions.includes('fetch') && diagnostics.every((d) => d.severity !== 'error')) {
    report(C.FETCH_ORIGIN, '$.hotmod.fetch', '"fetch" lists origins but "permissions" does not grant "fetch"', 'Add "fetch" to "permissions", or remove the "fetch" field.', 'warning');
  }

  const limits: ModuleLimits = {};
  if (h.limits !== undefined) {
    if (!isPlainObject(h.limits)) report(C.TYPE, '$.hotmod.limits', `"limits" must be an object, found ${typeName(h.limits)}`, 'Write e.g. "limits": { "memoryMb": 64, "callTimeoutMs": 1000 }.');
    else
      for (const [key, value] of Object.entries(h.limits)) {
        const at = jsonPath('hotmod', 'limits', key);
        // Own keys only: 'toString' or 'constructor' are not limits.
        if (!Object.hasOwn(LIMIT_MAXIMA, key)) {
          const guess = closest(key, Object.keys(LIMIT_MAXIMA));
          report(C.UNKNOWN_FIELD, at, `unknown limit "${key}"`, guess ? `Did you mean "${guess}"?` : `Known limits: ${Object.keys(LIMIT_MAXIMA).join(', ')}.`);
          continue;
        }
        const max = LIMIT_MAXIMA[key as keyof ModuleLimits];
        if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
          report(C.LIMIT, at, `limit "${key}" must be a positive integer, found ${JSON.stringify(value)}`, `Use a whole number between 1 and ${max}, or leave it out for the host default.`);
        else if (value > max) report(C.LIMIT, at, `limit "${key}" is ${value}, above the maximum ${max}`, `Use at most ${max} (check the unit: ${key.endsWith('Mb') ? 'megabytes' : 'milliseconds'}).`);
        else limits[key as keyof ModuleLimits] = value;
      }
  }

  let configSchema: Record<string, unknown> | undefined;
  if (h.configSchema !== undefined) {
    if (!isPlainObject(h.configSchema)) {
      report(C.CONFIG_SCHEMA, '$.hotmod.configSchema', `"configSchema" must be a JSON Schema object, found ${typeName(h.configSchema)}`, 'Write e.g. "configSchema": { "type": "object", "properties": { … } }.');
    } else {
      try {
        schemaCompiler().compile(h.configSchema);
        configSchema = h.configSchema;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        report(C.CONFIG_SCHEMA, '$.hotmod.configSchema', `"configSchema" is not a valid JSON Schema: ${reason}`, 'Fix the schema (see https://json-schema.org); check keyword spelling and types.');
      }
    }
  }

  let defaultEnabled = false;
  if (h.defaultEnabled !== undefined) {
    if (typeof h.defaultEnabled === 'boolean') defaultEnabled = h.defaultEnabled;
    else report(C.TYPE, '$.hotmod.defaultEnabled', `"defaultEnabled" must be true or false, found ${JSON.stringify(h.defaultEnabled)}`, 'Write true or false (no quotes).');
  }

  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const manifest: ModuleManifest = freezeManifest({
    id,
    packageName,
    version,
    main,
    engines: enginesHotmod === undefined ? {} : { hotmod: enginesHotmod },
    legacyIds,
    provides,
    requires,
    optionalRequires,
    dependsOn,
    activation,
    ...(isolation === undefined ? {} : { isolation }),
    permissions,
    ...(fetchOrigins === undefined ? {} : { fetch: { origins: fetchOrigins } }),
    limits,
    ...(configSchema === undefined ? {} : { configSchema: structuredClone(configSchema) }),
    defaultEnabled,
  });
  return { manifest, diagnostics };

  function readMap(
    obj: Record<string, unknown>,
    field: 'provides' | 'requires' | 'optionalRequires' | 'dependsOn',
    check: (key: string, value: unknown, at: () => string) => string | undefined,
  ): Record<string, string> {
    // Sorted keys: the manifest reads the same whatever order the author wrote.
    const out: Record<string, string> = {};
    const value = obj[field];
    if (value === undefined) return out;
    if (!isPlainObject(value)) {
      report(C.TYPE, jsonPath('hotmod', field), `"${field}" must be an object, found ${typeName(value)}`, field === 'provides' ? 'Write e.g. "provides": { "billing.invoices": "1.4.0" }.' : field === 'dependsOn' ? 'Write e.g. "dependsOn": { "accounts": "^3.0.0" }.' : `Write e.g. "${field}": { "payments.charge": "^2.1.0" }.`);
      return out;
    }
    for (const key of Object.keys(value).sort()) {
      const checked = check(key, value[key], () => jsonPath('hotmod', field, key));
      if (checked !== undefined) out[key] = checked;
    }
    return out;
  }
}

/** A JSON path for a diagnostic, built only when one is reported. */
type At = string | (() => string);

// The same few versions and ranges ('1.0.0', '^1.0.0') recur in every manifest of a catalog,
// and semver parses each afresh: the answers are remembered (a bounded memo; strings only).
const MEMO_LIMIT = 10_000;
const exactVersions = new Map<string, boolean>();
const ranges = new Map<string, boolean>();
function memo(cache: Map<string, boolean>, key: string, compute: (key: string) => boolean): boolean {
  let known = cache.get(key);
  if (known === undefined) {
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, (known = compute(key)));
  }
  return known;
}
/** An exact semver version written in its clean form ('1.4.0', not 'v1.4.0' or '=1.4.0'). */
function isExactVersion(text: string): boolean {
  return memo(exactVersions, text, (v) => semver.valid(v) !== null && semver.clean(v) === v);
}
/** A non-blank valid semver range. */
function isRange(text: string): boolean {
  return memo(ranges, text, (r) => r.trim() !== '' && semver.validRange(r) !== null);
}

/** The manifest's own objects are frozen one by one (their shape is known); only configSchema, the author's JSON, is walked. */
function freezeManifest(m: ModuleManifest): ModuleManifest {
  Object.freeze(m.engines);
  Object.freeze(m.legacyIds);
  Object.freeze(m.provides);
  Object.freeze(m.requires);
  Object.freeze(m.optionalRequires);
  Object.freeze(m.dependsOn);
  Object.freeze(m.permissions);
  if (m.fetch) Object.freeze(Object.freeze(m.fetch).origins);
  Object.freeze(m.limits);
  if (m.configSchema) deepFreeze(m.configSchema);
  return Object.freeze(m);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * An origin as manifests and fetch policies hold it (`new URL(x).origin`, e.g.
 * 'https://api.example.com'), or undefined when `text` is not an http(s) origin (a path,
 * query, fragment or credentials make it one that is not).
 */
export function normalizeOrigin(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || (url.pathname !== '/' && url.pathname !== '')) return undefined;
  return url.origin;
}
