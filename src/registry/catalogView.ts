import type { CatalogView } from '../types.js';
import type { ModuleManifest } from './types.js';

/**
 * An immutable view of the module versions a host runs: what the per-client config
 * sources see of the catalog. A new view is made on every catalog change (generation + 1).
 */
export function createCatalogView(manifests: readonly ModuleManifest[], generation: number): CatalogView {
  const sorted = [...manifests].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map<string, ModuleManifest>();
  const aliases = new Map<string, string>();
  for (const m of sorted) {
    if (byId.has(m.id)) throw new Error(`createCatalogView: module id '${m.id}' appears twice; pass one version per id`);
    byId.set(m.id, m);
  }
  // A module's own id always wins over another module's legacy id.
  for (const m of sorted) for (const legacy of m.legacyIds) if (!byId.has(legacy) && !aliases.has(legacy)) aliases.set(legacy, m.id);
  Object.freeze(sorted);
  return Object.freeze({
    generation,
    modules: () => sorted,
    get: (id: string) => byId.get(id),
    resolveId: (id: string) => (byId.has(id) ? id : aliases.get(id)),
  });
}
