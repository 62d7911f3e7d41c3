import { CatalogErrorCode } from './errors.js';
import { comparePackages } from './scanCatalog.js';
import type { CatalogSnapshot, ModulePackage } from './types.js';

export interface CatalogDelta {
  add?: readonly ModulePackage[];
  /** Keys `id@version`. */
  remove?: readonly string[];
}

export interface CatalogRefusal {
  readonly key: string;
  readonly code: string;
  readonly reason: string;
}

/**
 * The one writer of the module catalog. Every change goes through `applyDelta`
 * (removals first, then additions, so that `{ remove: [k], add: [newK] }` replaces);
 * readers take immutable snapshots numbered by `generation`.
 */
export class Catalog {
  readonly #byKey = new Map<string, ModulePackage>();
  #generation = 0;
  #snapshot: CatalogSnapshot | undefined;

  constructor(initial: readonly ModulePackage[] = []) {
    for (const pkg of [...initial].sort(comparePackages)) if (!this.#byKey.has(pkg.key)) this.#byKey.set(pkg.key, pkg);
  }

  get generation(): number {
    return this.#generation;
  }

  applyDelta(delta: CatalogDelta): { generation: number; refused: CatalogRefusal[] } {
    const refused: CatalogRefusal[] = [];
    let changed = false;
    for (const key of [...(delta.remove ?? [])].sort()) {
      if (this.#byKey.delete(key)) changed = true;
      else refused.push({ key, code: CatalogErrorCode.UNKNOWN_KEY, reason: `cannot remove ${key}: the catalog does not hold it` });
    }
    for (const pkg of [...(delta.add ?? [])].sort(comparePackages)) {
      const existing = this.#byKey.get(pkg.key);
      if (existing) {
        refused.push({
          key: pkg.key,
          code: CatalogErrorCode.DUPLICATE,
          reason: `cannot add ${pkg.key} from ${pkg.dir}: the catalog already holds it from ${existing.dir}; remove it in the same delta to replace it`,
        });
        continue;
      }
      this.#byKey.set(pkg.key, pkg);
      changed = true;
    }
    if (changed) {
      this.#generation++;
      this.#snapshot = undefined;
    }
    return { generation: this.#generation, refused };
  }

  snapshot(): CatalogSnapshot {
    this.#snapshot ??= makeSnapshot(this.#generation, [...this.#byKey.values()]);
    return this.#snapshot;
  }

  /** Every package (or every version of one id), sorted by id then version, highest first. */
  packages(id?: string): readonly ModulePackage[] {
    const snap = this.snapshot();
    return id === undefined ? snap.packages : snap.versions(id);
  }
}

function makeSnapshot(generation: number, packages: ModulePackage[]): CatalogSnapshot {
  const sorted = Object.freeze(packages.sort(comparePackages));
  const byKey = new Map(sorted.map((p) => [p.key, p]));
  const byId = new Map<string, ModulePackage[]>();
  for (const p of sorted) {
    let list = byId.get(p.manifest.id);
    if (!list) byId.set(p.manifest.id, (list = []));
    list.push(p);
  }
  for (const list of byId.values()) Object.freeze(list);
  const ids = Object.freeze([...byId.keys()]);
  const none: readonly ModulePackage[] = Object.freeze([]);
  return Object.freeze({
    generation,
    packages: sorted,
    ids,
    get: (key: string) => byKey.get(key),
    versions: (id: string) => byId.get(id) ?? none,
  });
}
