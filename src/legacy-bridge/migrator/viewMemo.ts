import type { CatalogView } from '../../types.js';
import { computeUnifiedView, type UnifiedClientView } from '../view/computeUnifiedView.js';
import { readLegacyList, type LegacyListReading } from '../view/readLegacyList.js';
import type { ClientConfigState } from '../view/rows.js';

/**
 * The unified view and the list reading of a client's rows, computed once per distinct
 * configuration of a catalog. Both are pure functions of the rows' content, and a run plans
 * (twice per client: before and after its writes) and verifies 100,000s of clients whose
 * configurations repeat; the view code allocates a record and messages per catalog module,
 * so computing them again was most of a batch's time in JavaScript. A client whose
 * configuration is new costs the same as before plus its key.
 *
 * The views handed out are shared between clients with one configuration: callers read
 * `effective`, `explicit`, `conflicts`, `warnings` (codes) and `legacyState` only, never
 * `clientId` nor the per-module records, and never change them.
 */
const MEMO_ENTRIES_MAX = 4096;

interface Memo {
  generation: number;
  views: Map<string, UnifiedClientView>;
  readings: Map<string, LegacyListReading>;
}

const memos = new WeakMap<CatalogView, Memo>();

function memoOf(catalog: CatalogView): Memo {
  let memo = memos.get(catalog);
  // A catalog that changed in place (its generation moved) gets a fresh memo.
  if (!memo || memo.generation !== catalog.generation) memos.set(catalog, (memo = { generation: catalog.generation, views: new Map(), readings: new Map() }));
  return memo;
}

function remember<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= MEMO_ENTRIES_MAX) map.clear();
    map.set(key, (value = make()));
  }
  return value;
}

/** How a jsonb value reads for the view: a plain object, null/absent, or the kind of something else (its warning names it: "is an array", "is string"). */
function shape(value: unknown): string {
  if (value === null) return 'n';
  if (value === undefined) return 'u';
  if (Array.isArray(value)) return 'a';
  return typeof value === 'object' ? 'o' : typeof value;
}

/** The legacy list as the reading sees it: absent, or its exact JSON text. */
export function listKey(state: ClientConfigState): string {
  const legacy = state.legacy;
  if (legacy === null) return '-';
  const value = legacy.modules_enabled;
  return value === undefined ? 'u' : `=${JSON.stringify(value)}`;
}

/**
 * Everything computeUnifiedView reads of a state but the client id: the legacy list, the
 * number of legacy rows, the shape of the override columns, and per registry row its
 * module, state, whether (and how) it is migrated and the shape of its settings.
 */
function viewKey(state: ClientConfigState, list: string): string {
  let key = list;
  const legacy = state.legacy;
  if (legacy !== null) key += `\u0000${shape(legacy.theme_overrides)}${shape(legacy.consultation_config)}${shape(legacy.plan_catalog_overrides)}`;
  key += `\u0000${state.legacyRowCount ?? 0}`;
  for (const r of state.registry) {
    const migrated = r.migrated_at === null ? 'n' : r.migrated_at === undefined ? 'u' : r.migrated_at ? 'm' : 'f';
    key += `\u0000${r.module_id}\u0001${r.enabled === true ? 1 : r.enabled === false ? 0 : String(r.enabled)}${migrated}${shape(r.custom_settings)}`;
  }
  return key;
}

/**
 * computeUnifiedView(state, catalog), shared by every state of the same configuration
 * (read-only). `list`: listKey(state), when the caller has it already (a long list is
 * serialised once per plan, not once per use).
 */
export function memoView(state: ClientConfigState, catalog: CatalogView, list = listKey(state)): UnifiedClientView {
  return remember(memoOf(catalog).views, viewKey(state, list), () => computeUnifiedView(state, catalog));
}

/** readLegacyList of the state's legacy row, shared by every state with the same list (read-only); `list` as for memoView. */
export function memoReading(state: ClientConfigState, catalog: CatalogView, list = listKey(state)): LegacyListReading {
  const legacy = state.legacy;
  return remember(memoOf(catalog).readings, list, () => readLegacyList(legacy?.modules_enabled, catalog, legacy !== null));
}
