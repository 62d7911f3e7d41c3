/**
 * Every legacy behaviour hotmod keeps for compatibility, with why and where it is
 * documented. When code relies on one of these, it names the entry, so removing a
 * behaviour later is a search, not an archaeology dig.
 */
export interface LegacyBehaviour {
  readonly id: string;
  readonly behaviour: string;
  readonly reason: string;
  readonly docs: string;
}

const DOC = 'docs/legacy-bridge.md';

export const LEGACY_BEHAVIOURS = {
  rowShape: {
    id: 'rowShape',
    behaviour: 'getModuleOverrides returns the client_app_overrides row as stored (SELECT *: snake_case columns, jsonb parsed, timestamps as Date), or null.',
    reason: 'Existing callers read row.modules_enabled and the other columns directly.',
    docs: `${DOC}#legacy-api`,
  },
  saveUpsert: {
    id: 'saveUpsert',
    behaviour: 'saveModuleOverrides replaces modules_enabled (as given: order, duplicates and unknown ids kept) and updated_at; other columns untouched; inserts a row when none exists.',
    reason: 'The seed API upserts; other screens own the theme/consultation/plan columns.',
    docs: `${DOC}#legacy-api`,
  },
  resetDefaults: {
    id: 'resetDefaults',
    behaviour: "resetToDefaults writes the catalog's defaultEnabled ids as modules_enabled and '{}' into theme_overrides, consultation_config and plan_catalog_overrides.",
    reason: 'The seed resets to the default configuration; old readers expect an array and objects, not NULL.',
    docs: `${DOC}#legacy-api`,
  },
  legacyIds: {
    id: 'legacyIds',
    behaviour: 'A modules_enabled entry equal to a manifest legacyIds entry enables that module.',
    reason: 'Legacy lists predate the package ids.',
    docs: `${DOC}#unified-view`,
  },
  exactMatch: {
    id: 'exactMatch',
    behaviour: "Entries match ids exactly: 'Billing' or ' billing ' do not enable billing (a warning suggests the fix).",
    reason: 'The legacy system compared strings exactly, so these never enabled anything; enabling them now would change what clients get.',
    docs: `${DOC}#bad-legacy-data`,
  },
  listIsComplete: {
    id: 'listIsComplete',
    behaviour: 'A readable modules_enabled array is the complete legacy set: catalog defaults do not add to it.',
    reason: 'Legacy clients get exactly what their list names.',
    docs: `${DOC}#unified-view`,
  },
  nullMeansDefaults: {
    id: 'nullMeansDefaults',
    behaviour: 'No row, a NULL list, or an unreadable list: the catalog defaults are the base set.',
    reason: "The legacy reader fell back to the default modules when it found no list.",
    docs: `${DOC}#unified-view`,
  },
  doubleEncoded: {
    id: 'doubleEncoded',
    behaviour: 'A JSON string holding a JSON array (double-encoded) is read as that array, with a warning.',
    reason: 'Legacy readers of such rows had to JSON.parse them to work at all.',
    docs: `${DOC}#bad-legacy-data`,
  },
} as const satisfies Record<string, LegacyBehaviour>;
