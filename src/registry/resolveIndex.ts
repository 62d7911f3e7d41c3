import semver from 'semver';
import type { ModulePackage } from './types.js';

// Shared across resolves: version strings and ranges repeat across catalogs and reloads,
// and semver parses its input on every call. Bounded so a long-lived host cannot grow them forever.
const MAX_MEMO = 200_000;
let memoSize = 0;
const parsedVersions = new Map<string, semver.SemVer>();
const parsedRanges = new Map<string, semver.Range | null>();
const satisfiesMemo = new Map<string, Map<string, boolean>>();

function clearIfFull(): void {
  if (++memoSize < MAX_MEMO) return;
  memoSize = 0;
  parsedVersions.clear();
  parsedRanges.clear();
  satisfiesMemo.clear();
}

/** semver.compare with each version string parsed once. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  let pa = parsedVersions.get(a);
  if (!pa) (clearIfFull(), parsedVersions.set(a, (pa = new semver.SemVer(a))));
  let pb = parsedVersions.get(b);
  if (!pb) (clearIfFull(), parsedVersions.set(b, (pb = new semver.SemVer(b))));
  return pa.compare(pb);
}

/** semver.satisfies (without prereleases), memoized per (range, version). Invalid ranges satisfy nothing. */
export function satisfies(version: string, range: string): boolean {
  let byVersion = satisfiesMemo.get(range);
  if (!byVersion) satisfiesMemo.set(range, (byVersion = new Map()));
  let ok = byVersion.get(version);
  if (ok === undefined) {
    let parsed = parsedRanges.get(range);
    if (parsed === undefined) {
      try {
        parsed = new semver.Range(range);
      } catch {
        parsed = null;
      }
      parsedRanges.set(range, parsed);
    }
    ok = parsed !== null && parsed.test(version);
    clearIfFull();
    byVersion.set(version, ok);
  }
  return ok;
}

export interface ProviderEntry {
  readonly pkg: ModulePackage;
  readonly capabilityVersion: string;
  /** engines.hotmod admits the host version. */
  readonly engineOk: boolean;
}

/**
 * Everything the resolver looks up, computed once per resolve: versions per id (highest
 * first), providers per capability, engine compatibility, and a memo of semver checks
 * (semver.satisfies parses its range on every call, which dominates big catalogs).
 */
export class ResolveIndex {
  readonly hostVersion: string;
  /** Every id, sorted. */
  readonly ids: readonly string[];
  readonly #versions = new Map<string, ModulePackage[]>();
  readonly #usable = new Map<string, ModulePackage[]>();
  readonly #providers = new Map<string, ProviderEntry[]>();
  readonly #engineOk = new Set<ModulePackage>();

  constructor(packages: readonly ModulePackage[], hostVersion: string) {
    this.hostVersion = hostVersion;
    for (const pkg of packages) {
      const engines = pkg.manifest.engines.hotmod;
      if (engines === undefined || this.satisfies(hostVersion, engines)) this.#engineOk.add(pkg);
      let list = this.#versions.get(pkg.manifest.id);
      if (!list) this.#versions.set(pkg.manifest.id, (list = []));
      list.push(pkg);
    }
    for (const [id, list] of this.#versions) {
      list.sort((a, b) => this.compareVersions(b.manifest.version, a.manifest.version));
      this.#usable.set(id, list.filter((p) => this.#engineOk.has(p)));
    }
    this.ids = [...this.#versions.keys()].sort();
    for (const id of this.ids) {
      for (const pkg of this.#versions.get(id)!) {
        const provides = pkg.manifest.provides;
        for (const name in provides) {
          let list = this.#providers.get(name);
          if (!list) this.#providers.set(name, (list = []));
          list.push({ pkg, capabilityVersion: provides[name]!, engineOk: this.#engineOk.has(pkg) });
        }
      }
    }
    // Highest capability version first, then module id, then module version: the order
    // in which providers are tried, so the plan prefers the newest implementation.
    for (const list of this.#providers.values())
      list.sort(
        (a, b) =>
          this.compareVersions(b.capabilityVersion, a.capabilityVersion) ||
          (a.pkg.manifest.id < b.pkg.manifest.id ? -1 : a.pkg.manifest.id > b.pkg.manifest.id ? 1 : 0) ||
          this.compareVersions(b.pkg.manifest.version, a.pkg.manifest.version),
      );
  }

  compareVersions(a: string, b: string): number {
    return compareVersions(a, b);
  }

  /** Every version of `id`, highest first (engine-incompatible ones included). */
  versions(id: string): readonly ModulePackage[] {
    return this.#versions.get(id) ?? [];
  }

  /** Versions of `id` whose engines.hotmod admits the host, highest first. */
  usable(id: string): readonly ModulePackage[] {
    return this.#usable.get(id) ?? [];
  }

  providers(capability: string): readonly ProviderEntry[] {
    return this.#providers.get(capability) ?? [];
  }

  engineOk(pkg: ModulePackage): boolean {
    return this.#engineOk.has(pkg);
  }

  satisfies(version: string, range: string): boolean {
    return satisfies(version, range);
  }
}
