import type { CatalogView } from '../../types.js';

/** What the view needs from a catalog, computed once per CatalogView (they are immutable). */
export interface CatalogIndex {
  /** Frozen `advancedConfig` parts per module id (customSettings is added per client). */
  entries: ReadonlyMap<string, { registryEntry: object; capabilities: string[]; dependencies: string[] }>;
  defaults: readonly string[];
}

const cache = new WeakMap<CatalogView, CatalogIndex>();

export function indexCatalog(catalog: CatalogView): CatalogIndex {
  let index = cache.get(catalog);
  if (index) return index;
  const entries = new Map<string, { registryEntry: object; capabilities: string[]; dependencies: string[] }>();
  const defaults: string[] = [];
  for (const m of catalog.modules()) {
    entries.set(
      m.id,
      Object.freeze({
        registryEntry: Object.freeze({ id: m.id, version: m.version, packageName: m.packageName, defaultEnabled: m.defaultEnabled, activation: m.activation }),
        capabilities: Object.freeze(Object.keys(m.provides)) as string[],
        dependencies: Object.freeze([...Object.keys(m.requires), ...Object.keys(m.dependsOn)]) as string[],
      }),
    );
    if (m.defaultEnabled) defaults.push(m.id);
  }
  index = { entries, defaults: Object.freeze(defaults) };
  cache.set(catalog, index);
  return index;
}
