import type { CatalogView } from '../../types.js';
import { LEGACY_BEHAVIOURS } from '../compatibility.js';
import { ViewRecommendationCode, ViewWarningCode, type ViewDiagnostic } from '../diagnostics.js';

/** Beyond this many entries a list is reported as suspicious (it is still read whole). */
export const LEGACY_LIST_HUGE = 1000;
/** Longer strings cannot be module ids (npm's name limit): reported and skipped. */
export const LEGACY_ENTRY_MAX_LENGTH = 214;
/** Unknown entries recorded as legacy-only modules, at most. */
export const LEGACY_UNKNOWN_RECORDED_MAX = 100;

export type LegacyListState =
  /** No legacy row. */
  | 'absent'
  /** SQL NULL or JSON null. */
  | 'null'
  /** Not an array (object, number, boolean, a string that is not a JSON array). */
  | 'unreadable'
  /** A JSON array (or a double-encoded one). */
  | 'list';

/** How a stored modules_enabled value reads: never throws, never changes the value. */
export interface LegacyListReading {
  state: LegacyListState;
  /** The array read (the parsed one when double-encoded); [] otherwise. */
  entries: readonly unknown[];
  /** The string entries, as stored: what legacyConfig.modulesEnabled shows. */
  strings: readonly string[];
  /** Canonical module id -> the entries (ids or legacy ids) that named it. */
  resolved: ReadonlyMap<string, readonly string[]>;
  /** Entries naming no module in the catalog (unique, in list order, capped). */
  unknown: readonly string[];
  warnings: ViewDiagnostic[];
  recommendations: ViewDiagnostic[];
}

function show(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Reads a modules_enabled value against the catalog. Exact matches of ids and legacy ids
 * only (LEGACY_BEHAVIOURS.exactMatch); near misses are reported with the fix.
 */
export function readLegacyList(value: unknown, catalog: CatalogView, present = true): LegacyListReading {
  const warnings: ViewDiagnostic[] = [];
  const recommendations: ViewDiagnostic[] = [];
  const empty = (state: LegacyListState): LegacyListReading => ({ state, entries: [], strings: [], resolved: new Map(), unknown: [], warnings, recommendations });
  if (!present) return empty('absent');
  if (value === null || value === undefined) {
    warnings.push({ code: ViewWarningCode.LEGACY_LIST_NULL, message: 'client_app_overrides.modules_enabled is null: the catalog defaults apply (the legacy fallback)' });
    return empty('null');
  }
  let list: readonly unknown[];
  if (Array.isArray(value)) {
    list = value;
  } else if (typeof value === 'string' && parsesAsArray(value)) {
    list = JSON.parse(value) as unknown[];
    warnings.push({
      code: ViewWarningCode.LEGACY_LIST_DOUBLE_ENCODED,
      message: `modules_enabled is a JSON string holding an array (double-encoded); read as that array (${LEGACY_BEHAVIOURS.doubleEncoded.docs}). Store a JSON array instead`,
    });
  } else {
    warnings.push({
      code: ViewWarningCode.LEGACY_LIST_NOT_ARRAY,
      message: `modules_enabled is ${typeName(value)} ${show(value)}, not a JSON array of module ids: ignored, the catalog defaults apply; save a JSON array (saveModuleOverrides) to fix it`,
    });
    return empty('unreadable');
  }
  if (list.length > LEGACY_LIST_HUGE) {
    warnings.push({ code: ViewWarningCode.LEGACY_LIST_HUGE, message: `modules_enabled has ${list.length} entries (more than ${LEGACY_LIST_HUGE}): read whole, but it is almost certainly corrupt; check the writer` });
  }

  const resolved = new Map<string, string[]>();
  const unknown: string[] = [];
  const unknownSeen = new Set<string>();
  const strings: string[] = [];
  let unknownDropped = 0;
  for (let index = 0; index < list.length; index++) {
    const entry = list[index];
    if (typeof entry !== 'string') {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_NOT_STRING, index, message: `modules_enabled[${index}] is ${typeName(entry)} ${show(entry)}, not a module id string: skipped` });
      continue;
    }
    strings.push(entry);
    if (entry.length === 0) {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_EMPTY, index, message: `modules_enabled[${index}] is an empty string: skipped` });
      continue;
    }
    if (entry.length > LEGACY_ENTRY_MAX_LENGTH) {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_TOO_LONG, index, message: `modules_enabled[${index}] is ${entry.length} characters long (module ids have at most ${LEGACY_ENTRY_MAX_LENGTH}): '${show(entry, 40)}' skipped` });
      continue;
    }
    const id = catalog.resolveId(entry);
    if (id !== undefined) {
      const names = resolved.get(id);
      if (names) {
        names.push(entry);
        warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_DUPLICATE, index, moduleId: id, message: `modules_enabled[${index}] '${entry}' names module '${id}' again (already named as '${names[0]}'): counted once` });
      } else {
        resolved.set(id, [entry]);
      }
      if (id !== entry) {
        warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_ALIAS, index, moduleId: id, message: `modules_enabled[${index}] '${entry}' is a legacy id of module '${id}'` });
        recommendations.push({ code: ViewRecommendationCode.REPLACE_ALIAS, moduleId: id, message: `replace the legacy id '${entry}' with '${id}' in modules_enabled (or migrate '${id}': dual write then keeps the list in step)` });
      }
      continue;
    }
    // Not a module: look for the near miss the writer probably meant.
    const trimmed = entry.trim();
    const near = trimmed !== entry ? catalog.resolveId(trimmed) : undefined;
    const nearCase = near === undefined ? catalog.resolveId(trimmed.toLowerCase()) : undefined;
    if (near !== undefined) {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_WHITESPACE, index, moduleId: entry, message: `modules_enabled[${index}] '${show(entry)}' has stray whitespace: it does not enable '${near}' (ids match exactly)` });
      recommendations.push({ code: ViewRecommendationCode.FIX_LEGACY_ENTRY, moduleId: near, message: `replace '${show(entry)}' with '${near}' in modules_enabled if '${near}' was meant` });
    } else if (nearCase !== undefined) {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_CASE, index, moduleId: entry, message: `modules_enabled[${index}] '${show(entry)}' differs from module '${nearCase}' only in case: it does not enable it (ids match exactly)` });
      recommendations.push({ code: ViewRecommendationCode.FIX_LEGACY_ENTRY, moduleId: nearCase, message: `replace '${show(entry)}' with '${nearCase}' in modules_enabled if '${nearCase}' was meant` });
    }
    if (unknownSeen.has(entry)) {
      warnings.push({ code: ViewWarningCode.LEGACY_ENTRY_DUPLICATE, index, moduleId: entry, message: `modules_enabled[${index}] '${show(entry)}' appears more than once: counted once` });
      continue;
    }
    unknownSeen.add(entry);
    if (unknown.length < LEGACY_UNKNOWN_RECORDED_MAX) unknown.push(entry);
    else unknownDropped++;
  }
  if (unknownDropped > 0) {
    warnings.push({ code: ViewWarningCode.WARNINGS_TRUNCATED, message: `${unknownDropped} more unknown entries in modules_enabled are not listed as legacy-only modules (the first ${LEGACY_UNKNOWN_RECORDED_MAX} are)` });
  }
  return { state: 'list', entries: list, strings, resolved, unknown, warnings, recommendations };
}

function parsesAsArray(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith('[')) return false;
  try {
    return Array.isArray(JSON.parse(t));
  } catch {
    return false;
  }
}
