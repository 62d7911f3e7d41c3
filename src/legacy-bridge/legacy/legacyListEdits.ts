import type { CatalogView } from '../../types.js';

/**
 * Edits of a stored modules_enabled array that keep every other entry as it is (order,
 * duplicates, junk): hotmod only ever adds or removes the entries of the module it writes.
 * withModule / withoutModule / applyEdit compute the resulting list; what is written
 * is the LegacyListEdit of editFor, applied in SQL (legacyRepository.editLegacyModules), so
 * entries JavaScript cannot represent exactly (big or trailing-zero numbers) stay as stored.
 */
export function withModule(list: readonly unknown[], moduleId: string, catalog: CatalogView | undefined): unknown[] {
  if (list.some((e) => typeof e === 'string' && resolves(e, moduleId, catalog))) return [...list];
  return [...list, moduleId];
}

export function withoutModule(list: readonly unknown[], moduleId: string, catalog: CatalogView | undefined): unknown[] {
  return list.filter((e) => !(typeof e === 'string' && resolves(e, moduleId, catalog)));
}

export function resolves(entry: string, moduleId: string, catalog: CatalogView | undefined): boolean {
  return catalog ? catalog.resolveId(entry) === moduleId : entry === moduleId;
}

/** The module ids a stored list enables (exact ids and legacy ids; everything else ignored). */
export function resolvedIds(list: unknown, catalog: CatalogView | undefined): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(list)) return out;
  for (const e of list) {
    if (typeof e !== 'string') continue;
    const id = catalog ? catalog.resolveId(e) : e;
    if (id !== undefined) out.add(id);
  }
  return out;
}

/**
 * The list an edit leaves, as editedListSql computes it in the database: string entries
 * named in `remove` dropped wherever they occur, `append` added at the end. The migration
 * planner predicts with it, so its prediction and its write are the same edit.
 */
export function applyEdit(list: readonly unknown[], edit: { readonly remove: readonly string[]; readonly append: readonly string[] }): unknown[] {
  return [...list.filter((e) => !(typeof e === 'string' && edit.remove.includes(e))), ...edit.append];
}

/** The edit that makes a stored list say `enabled` for the module (empty when it already does). */
export function editFor(list: readonly unknown[], moduleId: string, enabled: boolean, catalog: CatalogView | undefined): { remove: string[]; append: string[] } {
  const naming = [...new Set(list.filter((e): e is string => typeof e === 'string' && resolves(e, moduleId, catalog)))];
  if (enabled) return { remove: [], append: naming.length > 0 ? [] : [moduleId] };
  return { remove: naming, append: [] };
}
