import semver from 'semver';
import type { ModulePackage } from './types.js';
import type { ProviderEntry, Template } from './solverTypes.js';
import { manifestFacts } from './manifestFacts.js';

// Shared across resolves: version strings and ranges repeat across catalogs and reloads,
// and semver parses its input on every call. Bounded so a long-lived host cannot grow them forever.
const MAX_MEMO = 200_000;
let memoSize = 0;
const parsedVersions = new Map<string, semver.SemVer>();
// Ranges parse differently with includePrerelease, so each setting has its own memo.
interface RangeMemo {
  readonly options: semver.RangeOptions | undefined;
  readonly parsed: Map<string, semver.Range | null>;
  readonly results: Map<string, Map<string, boolean>>;
}
const releasesOnly: RangeMemo = { options: undefined, parsed: new Map(), results: new Map() };
const withPrereleases: RangeMemo = { options: { includePrerelease: true }, parsed: new Map(), results: new Map() };

function clearIfFull(): void {
  if (++memoSize < MAX_MEMO) return;
  memoSize = 0;
  parsedVersions.clear();
  for (const memo of [releasesOnly, withPrereleases]) {
    memo.parsed.clear();
    memo.results.clear();
  }
}

/** A version string parsed once. */
function parsed(v: string): semver.SemVer {
  let p = parsedVersions.get(v);
  if (!p) (clearIfFull(), parsedVersions.set(v, (p = new semver.SemVer(v))));
  return p;
}

/** semver.compare with each version string parsed once. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return parsed(a).compare(parsed(b));
}

export interface SatisfiesOptions {
  /** semver's includePrerelease: prerelease versions can satisfy plain ranges (default false). */
  includePrerelease?: boolean;
}

/**
 * semver.satisfies, memoized per (range, version) with each range parsed once. Without
 * prereleases unless options.includePrerelease. Invalid ranges satisfy nothing.
 */
export function satisfies(version: string, range: string, options?: SatisfiesOptions): boolean {
  const memo = options?.includePrerelease ? withPrereleases : releasesOnly;
  let byVersion = memo.results.get(range);
  if (!byVersion) memo.results.set(range, (byVersion = new Map()));
  let ok = byVersion.get(version);
  if (ok === undefined) {
    let parsed = memo.parsed.get(range);
    if (parsed === undefined) {
      try {
        parsed = new semver.Range(range, memo.options);
      } catch {
        parsed = null;
      }
      memo.parsed.set(range, parsed);
    }
    ok = parsed !== null && parsed.test(version);
    clearIfFull();
    byVersion.set(version, ok);
  }
  return ok;
}

const indexCache = new WeakMap<readonly ModulePackage[], ResolveIndex>();

/**
 * The index of a package list, reused while the same frozen list is resolved again (a
 * catalog snapshot or a scan result: the host resolves one snapshot many times). Lists
 * that are not frozen could change under the cache, so they are indexed every time.
 */
export function resolveIndexFor(packages: readonly ModulePackage[], hostVersion: string): ResolveIndex {
  if (!Object.isFrozen(packages)) return new ResolveIndex(packages, hostVersion);
  const cached = indexCache.get(packages);
  if (cached?.hostVersion === hostVersion) return cached;
  const index = new ResolveIndex(packages, hostVersion);
  indexCache.set(packages, index);
  return index;
}

export type { ProviderEntry } from './solverTypes.js';

/**
 * Everything the resolver looks up, computed once per package list (see resolveIndexFor):
 * versions per id (highest first), the usable ones (engines.hotmod admits the host),
 * providers per capability in the order they are tried, and each package's obligations.
 */
export class ResolveIndex {
  readonly hostVersion: string;
  /** Every id, sorted. */
  readonly ids: readonly string[];
  readonly #versions = new Map<string, ModulePackage[]>();
  readonly #usable = new Map<string, ModulePackage[]>();
  readonly #providers = new Map<string, ProviderEntry[]>();
  /** Module id -> a small integer: the solver keeps its choices in an array, not a map. */
  readonly #slots = new Map<string, number>();
  /** Each package's dependsOn and requires as solver obligations, built on first use. */
  readonly #obligations = new Map<ModulePackage, readonly Template[]>();
  /** capability -> range -> the providers that can serve it (engine admits the host, version in range), in order. */
  readonly #inRange = new Map<string, Map<string, readonly ProviderEntry[]>>();
  /** id -> range -> its usable versions in range, highest first. */
  readonly #versionsInRange = new Map<string, Map<string, readonly ModulePackage[]>>();

  constructor(packages: readonly ModulePackage[], hostVersion: string) {
    this.hostVersion = hostVersion;
    // One pass over the packages: big catalogs are bound by memory traffic, not arithmetic.
    for (const pkg of packages) {
      const m = pkg.manifest;
      const engines = m.engines.hotmod;
      const engineOk = engines === undefined || satisfies(hostVersion, engines);
      let list = this.#versions.get(m.id);
      if (!list) {
        this.#versions.set(m.id, (list = []));
        this.#usable.set(m.id, []);
        this.#slots.set(m.id, this.#slots.size);
      }
      const slot = this.#slots.get(m.id)!;
      list.push(pkg);
      if (engineOk) this.#usable.get(m.id)!.push(pkg);
      for (const [name, capabilityVersion] of manifestFacts(m).provides) {
        let entries = this.#providers.get(name);
        if (!entries) this.#providers.set(name, (entries = []));
        entries.push({ pkg, slot, capabilityVersion, engineOk });
      }
    }
    const byVersionDesc = (a: ModulePackage, b: ModulePackage) => compareVersions(b.manifest.version, a.manifest.version);
    for (const list of this.#versions.values()) if (list.length > 1) list.sort(byVersionDesc);
    for (const list of this.#usable.values()) if (list.length > 1) list.sort(byVersionDesc);
    this.ids = [...this.#versions.keys()].sort();
    // Highest capability version first, then module id, then module version: the order
    // in which providers are tried, so the plan prefers the newest implementation.
    // Each version looked up once per list, not once per comparison (lists of dozens of providers).
    for (const [name, list] of this.#providers)
      if (list.length > 1) {
        const keyed = list.map((e) => ({ e, cap: parsed(e.capabilityVersion), version: parsed(e.pkg.manifest.version), id: e.pkg.manifest.id }));
        keyed.sort((a, b) => b.cap.compare(a.cap) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || b.version.compare(a.version));
        this.#providers.set(
          name,
          keyed.map((k) => k.e),
        );
      }
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

  /** A package's obligations never change (packages are immutable): built once per index. */
  obligationsOf(pkg: ModulePackage): readonly Template[] {
    let list = this.#obligations.get(pkg);
    if (list) return list;
    const built: Template[] = [];
    const f = manifestFacts(pkg.manifest);
    for (const [id, range] of f.dependsOn) built.push({ kind: 'dep', id, range, from: pkg, usable: this.usable(id), slot: this.slotOf(id) });
    for (const [name, range] of f.requires) built.push({ kind: 'cap', name, range, from: pkg, optional: false, providers: this.providers(name) });
    this.#obligations.set(pkg, (list = built));
    return list;
  }

  /** How many module ids the index knows (slots are 0 … slotCount - 1). */
  get slotCount(): number {
    return this.#slots.size;
  }

  /** The slot of a module id, or -1 for an id no package has. */
  slotOf(id: string): number {
    return this.#slots.get(id) ?? -1;
  }

  providers(capability: string): readonly ProviderEntry[] {
    return this.#providers.get(capability) ?? [];
  }

  satisfies(version: string, range: string): boolean {
    return satisfies(version, range);
  }

  /** A dependsOn obligation's candidates: the usable versions in its range, highest first (one list per id and range, kept on the obligation). */
  candidatesOf(t: Extract<Template, { kind: 'dep' }>): readonly ModulePackage[] {
    if (t.inRange !== undefined) return t.inRange;
    let byRange = this.#versionsInRange.get(t.id);
    if (!byRange) this.#versionsInRange.set(t.id, (byRange = new Map()));
    let list = byRange.get(t.range);
    if (!list) byRange.set(t.range, (list = t.usable.filter((p) => satisfies(p.manifest.version, t.range))));
    return (t.inRange = list);
  }

  /** A required capability's candidates: providersInRange, kept on the obligation. */
  providersOf(t: Extract<Template, { kind: 'cap' }>): readonly ProviderEntry[] {
    return (t.inRange ??= this.providersInRange(t.name, t.range));
  }

  /** The providers of `capability` that can serve `range` (usable, version in range), in the order they are tried. */
  providersInRange(capability: string, range: string): readonly ProviderEntry[] {
    let byRange = this.#inRange.get(capability);
    if (!byRange) this.#inRange.set(capability, (byRange = new Map()));
    let list = byRange.get(range);
    if (!list) byRange.set(range, (list = this.providers(capability).filter((e) => e.engineOk && satisfies(e.capabilityVersion, range))));
    return list;
  }
}
