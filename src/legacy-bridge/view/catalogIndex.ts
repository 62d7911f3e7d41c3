import type { CatalogView } from '../../types.js';
import { satisfies as satisfiesRange, type ModuleManifest, type SatisfiesOptions } from '../../registry/index.js';

/** What the view needs from a catalog, computed once per CatalogView (they are immutable). */
export interface CatalogIndex {
  /** capability -> manifests providing it, sorted by id. */
  providers: ReadonlyMap<string, readonly ModuleManifest[]>;
  /** Frozen `advancedConfig` parts per module id (customSettings is added per client). */
  entries: ReadonlyMap<string, { registryEntry: object; capabilities: string[]; dependencies: string[] }>;
  defaults: readonly string[];
}

const cache = new WeakMap<CatalogView, CatalogIndex>();

export function indexCatalog(catalog: CatalogView): CatalogIndex {
  let index = cache.get(catalog);
  if (index) return index;
  const providers = new Map<string, ModuleManifest[]>();
  const entries = new Map<string, { registryEntry: object; capabilities: string[]; dependencies: string[] }>();
  const defaults: string[] = [];
  for (const m of catalog.modules()) {
    for (const capability of Object.keys(m.provides)) {
      let list = providers.get(capability);
      if (!list) providers.set(capability, (list = []));
      list.push(m);
    }
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
  index = { providers, entries, defaults: Object.freeze(defaults) };
  cache.set(catalog, index);
  return index;
}

const WITH_PRERELEASES: SatisfiesOptions = Object.freeze({ includePrerelease: true });

/**
 * Whether `version` satisfies `range`, prerelease versions included; a malformed range
 * satisfies nothing. The registry's memoized satisfies (each range parsed once, bounded).
 */
export function satisfies(version: string, range: string): boolean {
  return satisfiesRange(version, range, WITH_PRERELEASES);
}
