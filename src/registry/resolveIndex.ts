import type { ModulePackage } from './types.js';
import type { ProviderEntry, Template } from './solverTypes.js';
import { manifestFacts, type ManifestFacts } from './manifestFacts.js';
import { compareVersions, fits, rangeKeys, satisfies, versionKey } from './semverMemo.js';

export { compareVersions, satisfies, type SatisfiesOptions } from './semverMemo.js';

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

/** The two kinds of obligation group (see ResolveIndex: groups). */
export const DEP = 0;
export const CAP = 1;

// Never mutated by any caller: one empty list instead of one per miss.
const EMPTY: never[] = [];

/**
 * Everything the resolver looks up, computed once per package list (see resolveIndexFor):
 * versions per id (highest first), the usable ones (engines.hotmod admits the host),
 * providers per capability in the order they are tried, and each package's obligations.
 *
 * Built for catalogs of tens of thousands of packages resolved cold: packages, module ids
 * (slots) and capabilities are numbers, per-package facts live in typed arrays, versions
 * are compared by integer keys (semverMemo.ts), and the objects the search works with
 * (version lists, provider entries, obligations) are made on first use, so the parts of
 * the catalog the search never reaches cost one pass and no allocation.
 *
 * Groups: every (module id, range) of a dependsOn and every (capability, range) of a
 * requirement is one group, numbered once; packages name their obligations by group, and
 * a group's candidates (the usable versions or providers in range) are one shared list.
 * The dead-package pass (solverPrune.ts) counts live candidates per group.
 */
export class ResolveIndex {
  readonly hostVersion: string;
  /** Every id, sorted. */
  readonly ids: readonly string[];

  // Packages, by number (their position in the list).
  readonly #pkgs: readonly ModulePackage[];
  readonly #facts: ManifestFacts[];
  readonly #pkgSlot: Int32Array;
  readonly #versionKey: Float64Array;
  readonly #engineOk: Uint8Array;
  /** Each package's obligations (dependsOn, then requires, in manifest order) as group numbers: #obl[#oblStart[p] … #oblStart[p + 1]). */
  readonly #oblStart: Int32Array;
  readonly #obl: Int32Array;
  readonly #obligations: (readonly Template[] | undefined)[];
  /** How many packages have optional requirements. */
  #withOptional = 0;
  /** The last id looked up and its slot: the solver asks for a package's slot and then its obligations. */
  #lastId: string | undefined;
  #lastSlot = -1;

  // Module ids (slots): the solver keeps its choices in an array, not a map.
  readonly #slots = new Map<string, number>();
  readonly #slotIds: string[] = [];
  /** Rank of each slot's id in sorted order (providers are ordered by id). */
  readonly #idRank: Int32Array;
  /** Slots in sorted id order. */
  readonly #slotsSorted: Int32Array;
  /** Every version of a slot, highest first (package numbers): #ver[#verStart[s] … #verStart[s + 1]); the usable ones likewise. */
  readonly #verStart: Int32Array;
  readonly #ver: Int32Array;
  readonly #useStart: Int32Array;
  readonly #use: Int32Array;
  readonly #versionsOf: (ModulePackage[] | undefined)[];
  readonly #usableOf: (ModulePackage[] | undefined)[];

  // Capabilities: providers in the order they are tried, #prov*[#provStart[c] … #provStart[c + 1]).
  readonly #caps = new Map<string, number>();
  readonly #provStart: Int32Array;
  readonly #provPkg: Int32Array;
  readonly #provKey: Float64Array;
  readonly #provVersion: string[];
  readonly #providersOf: (ProviderEntry[] | undefined)[];

  // Groups, by number.
  readonly #gKind: number[] = [];
  /** The group's slot or capability number; -1 when no package has that id or provides that capability. */
  readonly #gTarget: number[] = [];
  readonly #gName: string[] = [];
  readonly #gRange: string[] = [];
  readonly #gKeys: (Float64Array | null)[] = [];
  readonly #gDeps: (readonly ModulePackage[] | undefined)[] = [];
  readonly #gProviders: (readonly ProviderEntry[] | undefined)[] = [];
  /** The groups of each slot (dependsOn on it) and of each capability; of unknown targets by kind and name. */
  readonly #slotGroups: (number[] | undefined)[];
  readonly #capGroups: (number[] | undefined)[];
  readonly #unknownGroups = new Map<string, number[]>();

  constructor(packages: readonly ModulePackage[], hostVersion: string) {
    this.hostVersion = hostVersion;
    const n = packages.length;
    this.#pkgs = packages;
    this.#facts = new Array<ManifestFacts>(n);
    this.#pkgSlot = new Int32Array(n);
    this.#versionKey = new Float64Array(n);
    this.#engineOk = new Uint8Array(n);
    this.#obligations = new Array<readonly Template[] | undefined>(n);
    // One pass over the packages: big catalogs are bound by memory traffic, not arithmetic.
    const provCap: number[] = [];
    const provPkg: number[] = [];
    const provVersion: string[] = [];
    const provKey: number[] = [];
    let lastId: string | undefined;
    let lastSlot = -1;
    let lastEngines: string | undefined;
    let lastEngineOk = true;
    let obligations = 0;
    for (let p = 0; p < n; p++) {
      // Only the facts are read (flat columns of interned strings, keys computed once per manifest), not the manifest itself.
      const f = manifestFacts(packages[p]!.manifest);
      this.#facts[p] = f;
      // Scans list an id's versions together: most lookups are the previous package's.
      if (f.id !== lastId) {
        lastId = f.id;
        let slot = this.#slots.get(f.id);
        if (slot === undefined) (this.#slots.set(f.id, (slot = this.#slotIds.length)), this.#slotIds.push(f.id));
        lastSlot = slot;
      }
      this.#pkgSlot[p] = lastSlot;
      const engines = f.engines;
      if (engines !== lastEngines) (lastEngines = engines), (lastEngineOk = engines === undefined || satisfies(hostVersion, engines));
      this.#engineOk[p] = lastEngineOk ? 1 : 0;
      this.#versionKey[p] = f.versionKey;
      // Indexed loops: this code runs once per resolve, mostly before the optimizing
      // compiler has seen it, where every for-of step allocates.
      const names = f.provideNames;
      for (let i = 0; i < names.length; i++) {
        let c = this.#caps.get(names[i]!);
        if (c === undefined) this.#caps.set(names[i]!, (c = this.#caps.size));
        provCap.push(c);
        provPkg.push(p);
        provVersion.push(f.provideVersions[i]!);
        provKey.push(f.provideKeys[i]!);
      }
      obligations += f.dependNames.length + f.requireNames.length;
      if (f.optionalRequires.length > 0) this.#withOptional++;
    }
    const slotCount = this.#slotIds.length;
    this.#versionsOf = new Array<ModulePackage[] | undefined>(slotCount);
    this.#usableOf = new Array<ModulePackage[] | undefined>(slotCount);
    this.#slotGroups = new Array<number[] | undefined>(slotCount);

    // Ids sorted; scans give them sorted already, so the sort is skipped then.
    let sorted = true;
    for (let s = 1; s < slotCount && sorted; s++) sorted = this.#slotIds[s - 1]! < this.#slotIds[s]!;
    this.ids = sorted ? this.#slotIds.slice() : this.#slotIds.slice().sort();
    this.#slotsSorted = new Int32Array(slotCount);
    this.#idRank = new Int32Array(slotCount);
    for (let i = 0; i < slotCount; i++) {
      const s = sorted ? i : this.#slots.get(this.ids[i]!)!;
      this.#slotsSorted[i] = s;
      this.#idRank[s] = i;
    }

    // Versions per slot, highest first (a stable sort: equal versions keep list order).
    this.#verStart = new Int32Array(slotCount + 1);
    for (let p = 0; p < n; p++) this.#verStart[this.#pkgSlot[p]! + 1]!++;
    for (let s = 0; s < slotCount; s++) this.#verStart[s + 1]! += this.#verStart[s]!;
    this.#ver = new Int32Array(n);
    const fill = this.#verStart.slice(0, slotCount);
    for (let p = 0; p < n; p++) this.#ver[fill[this.#pkgSlot[p]!]!++] = p;
    for (let s = 0; s < slotCount; s++) this.#sortDesc(this.#verStart[s]!, this.#verStart[s + 1]!);
    this.#useStart = new Int32Array(slotCount + 1);
    let usable = 0;
    for (let p = 0; p < n; p++) usable += this.#engineOk[p]!;
    this.#use = new Int32Array(usable);
    for (let s = 0, u = 0; s < slotCount; s++) {
      for (let i = this.#verStart[s]!; i < this.#verStart[s + 1]!; i++) if (this.#engineOk[this.#ver[i]!]) this.#use[u++] = this.#ver[i]!;
      this.#useStart[s + 1] = u;
    }

    // Providers per capability: highest capability version first, then module id, then
    // module version: the order in which they are tried, so the plan prefers the newest
    // implementation. Keys compared, each version looked up once.
    const capCount = this.#caps.size;
    const entries = provCap.length;
    const keyOfEntry = Float64Array.from(provKey);
    this.#provStart = new Int32Array(capCount + 1);
    for (let e = 0; e < entries; e++) this.#provStart[provCap[e]! + 1]!++;
    for (let c = 0; c < capCount; c++) this.#provStart[c + 1]! += this.#provStart[c]!;
    const order: number[] = new Array<number>(entries);
    const at = this.#provStart.slice(0, capCount);
    for (let e = 0; e < entries; e++) order[at[provCap[e]!]!++] = e;
    const byTryOrder = (a: number, b: number): number => {
      const ka = keyOfEntry[a]!;
      const kb = keyOfEntry[b]!;
      // Signs, not differences: a difference of keys is a double, boxed wherever this runs unoptimized.
      const byCap = ka === ka && kb === kb ? (kb < ka ? -1 : kb > ka ? 1 : 0) : compareVersions(provVersion[b]!, provVersion[a]!);
      if (byCap !== 0) return byCap;
      const pa = provPkg[a]!;
      const pb = provPkg[b]!;
      return this.#idRank[this.#pkgSlot[pa]!]! - this.#idRank[this.#pkgSlot[pb]!]! || this.#compareNo(pb, pa);
    };
    this.#provPkg = new Int32Array(entries);
    this.#provKey = new Float64Array(entries);
    this.#provVersion = new Array<string>(entries);
    for (let c = 0; c < capCount; c++) {
      const from = this.#provStart[c]!;
      const to = this.#provStart[c + 1]!;
      const part = to - from > 1 ? order.slice(from, to).sort(byTryOrder) : order.slice(from, to);
      for (let i = 0; i < part.length; i++) {
        const e = part[i]!;
        this.#provPkg[from + i] = provPkg[e]!;
        this.#provKey[from + i] = keyOfEntry[e]!;
        this.#provVersion[from + i] = provVersion[e]!;
      }
    }
    this.#providersOf = new Array<ProviderEntry[] | undefined>(capCount);
    this.#capGroups = new Array<number[] | undefined>(capCount);

    // Obligations as groups (a second pass: a dependsOn may name an id listed later).
    this.#oblStart = new Int32Array(n + 1);
    this.#obl = new Int32Array(obligations);
    for (let p = 0, k = 0; p < n; p++) {
      const f = this.#facts[p]!;
      const deps = f.dependNames;
      for (let i = 0; i < deps.length; i++) this.#obl[k++] = this.#group(DEP, this.#slots.get(deps[i]!) ?? -1, deps[i]!, f.dependRanges[i]!);
      const reqs = f.requireNames;
      for (let i = 0; i < reqs.length; i++) this.#obl[k++] = this.#group(CAP, this.#caps.get(reqs[i]!) ?? -1, reqs[i]!, f.requireRanges[i]!);
      this.#oblStart[p + 1] = k;
    }
  }

  /** Package `a`'s version minus `b`'s, in sign. */
  #compareNo(a: number, b: number): number {
    const ka = this.#versionKey[a]!;
    const kb = this.#versionKey[b]!;
    return ka === ka && kb === kb ? (ka < kb ? -1 : ka > kb ? 1 : 0) : compareVersions(this.#pkgs[a]!.manifest.version, this.#pkgs[b]!.manifest.version);
  }

  /** Insertion sort of #ver[from … to), highest version first, stable (an id has a handful of versions, usually listed in order already). */
  #sortDesc(from: number, to: number): void {
    const ver = this.#ver;
    for (let i = from + 1; i < to; i++) {
      const x = ver[i]!;
      let j = i - 1;
      while (j >= from && this.#compareNo(ver[j]!, x) < 0) (ver[j + 1] = ver[j]!), j--;
      ver[j + 1] = x;
    }
  }

  /** The number of the group (kind, target, range), made on first use. */
  #group(kind: number, target: number, name: string, range: string): number {
    let list: number[] | undefined;
    if (target < 0) {
      const key = `${kind}\0${name}`;
      list = this.#unknownGroups.get(key);
      if (!list) this.#unknownGroups.set(key, (list = []));
    } else {
      const byTarget = kind === DEP ? this.#slotGroups : this.#capGroups;
      list = byTarget[target];
      if (!list) byTarget[target] = list = [];
    }
    for (let i = 0; i < list.length; i++) if (this.#gRange[list[i]!] === range) return list[i]!;
    const g = this.#gKind.length;
    this.#gKind.push(kind);
    this.#gTarget.push(target);
    this.#gName.push(name);
    this.#gRange.push(range);
    this.#gKeys.push(rangeKeys(range));
    this.#gDeps.push(undefined);
    this.#gProviders.push(undefined);
    list.push(g);
    return g;
  }

  compareVersions(a: string, b: string): number {
    return compareVersions(a, b);
  }

  /** Every version of `id`, highest first (engine-incompatible ones included). */
  versions(id: string): readonly ModulePackage[] {
    const s = this.#slots.get(id);
    if (s === undefined) return EMPTY;
    return (this.#versionsOf[s] ??= this.#packagesOf(this.#ver, this.#verStart[s]!, this.#verStart[s + 1]!));
  }

  /** Versions of `id` whose engines.hotmod admits the host, highest first. */
  usable(id: string): readonly ModulePackage[] {
    const s = this.#slots.get(id);
    return s === undefined ? EMPTY : this.#usableOfSlot(s);
  }

  #usableOfSlot(s: number): ModulePackage[] {
    return (this.#usableOf[s] ??= this.#packagesOf(this.#use, this.#useStart[s]!, this.#useStart[s + 1]!));
  }

  #packagesOf(list: Int32Array, from: number, to: number): ModulePackage[] {
    const out = new Array<ModulePackage>(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.#pkgs[list[i]!]!;
    return out;
  }

  /** A package's obligations never change (packages are immutable): built once per index, on first use. */
  obligationsOf(pkg: ModulePackage): readonly Template[] {
    return this.#obligationsOfNumber(this.#numberOf(pkg), pkg);
  }

  /** obligationsOf for a package whose slot the caller knows (no lookup by id). */
  obligationsAt(slot: number, pkg: ModulePackage): readonly Template[] {
    return this.#obligationsOfNumber(this.#numberIn(slot, pkg), pkg);
  }

  /** A package's manifest facts, for a caller that knows its slot (no lookup by manifest). */
  factsAt(slot: number, pkg: ModulePackage): ManifestFacts {
    const p = this.#numberIn(slot, pkg);
    return p < 0 ? manifestFacts(pkg.manifest) : this.#facts[p]!;
  }

  /** Does any package of the list have optional requirements? (Most catalogs have none: the pass over the plan for them is skipped.) */
  get hasOptionalRequirements(): boolean {
    return this.#withOptional > 0;
  }

  #obligationsOfNumber(p: number, pkg: ModulePackage): readonly Template[] {
    if (p < 0) return this.#foreignObligations(pkg);
    let list = this.#obligations[p];
    if (list) return list;
    const from = this.#oblStart[p]!;
    const built = new Array<Template>(this.#oblStart[p + 1]! - from);
    for (let k = from; k < this.#oblStart[p + 1]!; k++) {
      const g = this.#obl[k]!;
      const target = this.#gTarget[g]!;
      if (this.#gKind[g] === DEP)
        built[k - from] = { kind: 'dep', id: this.#gName[g]!, range: this.#gRange[g]!, from: pkg, usable: target < 0 ? EMPTY : this.#usableOfSlot(target), slot: target, inRange: this.#depsOf(g) };
      else
        built[k - from] = { kind: 'cap', name: this.#gName[g]!, range: this.#gRange[g]!, from: pkg, optional: false, providers: target < 0 ? EMPTY : this.#providersOfCap(target), inRange: this.#providersOfGroup(g) };
    }
    this.#obligations[p] = list = built;
    return list;
  }

  /** The number of a package of `slot` (packageAt's inverse), or -1 when it is not in the list: found among the slot's versions. */
  packageNumber(slot: number, pkg: ModulePackage): number {
    return this.#numberIn(slot, pkg);
  }

  /** A package's number: found among its id's versions (a handful), so no map over every package is built. -1 if it is not in the list. */
  #numberOf(pkg: ModulePackage): number {
    return this.#numberIn(this.slotOf(pkg.manifest.id), pkg);
  }

  #numberIn(s: number, pkg: ModulePackage): number {
    if (s < 0) return -1;
    for (let i = this.#verStart[s]!; i < this.#verStart[s + 1]!; i++) if (this.#pkgs[this.#ver[i]!] === pkg) return this.#ver[i]!;
    return -1;
  }

  /** A package that is not in this list (no caller passes one today): its obligations looked up by name. */
  #foreignObligations(pkg: ModulePackage): readonly Template[] {
    const f = manifestFacts(pkg.manifest);
    const built: Template[] = [];
    for (const [id, range] of f.dependsOn) built.push({ kind: 'dep', id, range, from: pkg, usable: this.usable(id), slot: this.slotOf(id) });
    for (const [name, range] of f.requires) built.push({ kind: 'cap', name, range, from: pkg, optional: false, providers: this.providers(name) });
    return built;
  }

  /** How many module ids the index knows (slots are 0 … slotCount - 1). */
  get slotCount(): number {
    return this.#slotIds.length;
  }

  /** The module id of a slot. */
  idOfSlot(slot: number): string {
    return this.#slotIds[slot]!;
  }

  /** The slot of a module id, or -1 for an id no package has. */
  slotOf(id: string): number {
    if (id === this.#lastId) return this.#lastSlot;
    this.#lastId = id;
    return (this.#lastSlot = this.#slots.get(id) ?? -1);
  }

  providers(capability: string): readonly ProviderEntry[] {
    const c = this.#caps.get(capability);
    return c === undefined ? EMPTY : this.#providersOfCap(c);
  }

  #providersOfCap(c: number): ProviderEntry[] {
    let list = this.#providersOf[c];
    if (list) return list;
    const from = this.#provStart[c]!;
    list = new Array<ProviderEntry>(this.#provStart[c + 1]! - from);
    for (let i = 0; i < list.length; i++) {
      const p = this.#provPkg[from + i]!;
      list[i] = { pkg: this.#pkgs[p]!, slot: this.#pkgSlot[p]!, capabilityVersion: this.#provVersion[from + i]!, engineOk: this.#engineOk[p] === 1 };
    }
    return (this.#providersOf[c] = list);
  }

  satisfies(version: string, range: string): boolean {
    return satisfies(version, range);
  }

  /** A dependsOn obligation's candidates: the usable versions in its range, highest first (one list per id and range, kept on the obligation). */
  candidatesOf(t: Extract<Template, { kind: 'dep' }>): readonly ModulePackage[] {
    return (t.inRange ??= this.#depsOf(this.#group(DEP, t.slot, t.id, t.range)));
  }

  /** A required capability's candidates: providersInRange, kept on the obligation. */
  providersOf(t: Extract<Template, { kind: 'cap' }>): readonly ProviderEntry[] {
    return (t.inRange ??= this.providersInRange(t.name, t.range));
  }

  /** The providers of `capability` that can serve `range` (usable, version in range), in the order they are tried. */
  providersInRange(capability: string, range: string): readonly ProviderEntry[] {
    return this.#providersOfGroup(this.#group(CAP, this.#caps.get(capability) ?? -1, capability, range));
  }

  #depsOf(g: number): readonly ModulePackage[] {
    let list = this.#gDeps[g];
    if (list) return list;
    const s = this.#gTarget[g]!;
    const out: ModulePackage[] = [];
    if (s >= 0) for (let i = this.#useStart[s]!; i < this.#useStart[s + 1]!; i++) if (this.#packageFits(this.#use[i]!, g)) out.push(this.#pkgs[this.#use[i]!]!);
    return (this.#gDeps[g] = out);
  }

  #providersOfGroup(g: number): readonly ProviderEntry[] {
    let list = this.#gProviders[g];
    if (list) return list;
    const c = this.#gTarget[g]!;
    const out: ProviderEntry[] = [];
    if (c >= 0) {
      const all = this.#providersOfCap(c);
      const from = this.#provStart[c]!;
      for (let i = 0; i < all.length; i++) if (all[i]!.engineOk && this.#entryFits(from + i, g)) out.push(all[i]!);
    }
    return (this.#gProviders[g] = out);
  }

  #packageFits(p: number, g: number): boolean {
    return fits(this.#pkgs[p]!.manifest.version, this.#versionKey[p]!, this.#gRange[g]!, this.#gKeys[g]!);
  }

  #entryFits(e: number, g: number): boolean {
    return fits(this.#provVersion[e]!, this.#provKey[e]!, this.#gRange[g]!, this.#gKeys[g]!);
  }

  // ---- The integer view, for the dead-package pass (solverPrune.ts). @internal

  /** Packages by number. */
  get packageCount(): number {
    return this.#pkgs.length;
  }
  packageAt(p: number): ModulePackage {
    return this.#pkgs[p]!;
  }
  slotOfPackage(p: number): number {
    return this.#pkgSlot[p]!;
  }
  /** The position of a slot's id in sorted order. */
  rankOfSlot(s: number): number {
    return this.#idRank[s]!;
  }
  /** The slot of the i-th id in sorted order. */
  slotSorted(i: number): number {
    return this.#slotsSorted[i]!;
  }
  /** A slot's usable versions, highest first, as package numbers: usableAt(i) for i in usableFrom(s) … usableFrom(s + 1). */
  usableFrom(s: number): number {
    return this.#useStart[s]!;
  }
  usableAt(i: number): number {
    return this.#use[i]!;
  }
  /** A package's obligations as group numbers: obligationAt(k) for k in obligationsFrom(p) … obligationsFrom(p + 1). */
  obligationsFrom(p: number): number {
    return this.#oblStart[p]!;
  }
  obligationAt(k: number): number {
    return this.#obl[k]!;
  }
  get groupCount(): number {
    return this.#gKind.length;
  }
  groupKind(g: number): number {
    return this.#gKind[g]!;
  }
  /** The slot (DEP) or capability (CAP) of a group; -1 when the catalog has no such id, or nobody provides it. */
  groupTarget(g: number): number {
    return this.#gTarget[g]!;
  }
  groupName(g: number): string {
    return this.#gName[g]!;
  }
  groupRange(g: number): string {
    return this.#gRange[g]!;
  }
  /** Does the capability have any provider at all (engine-incompatible ones included)? */
  capabilityHasProviders(c: number): boolean {
    return c >= 0 && this.#provStart[c + 1]! > this.#provStart[c]!;
  }
  /** How many usable candidates a group has, counted without making its list. */
  groupSize(g: number): number {
    const t = this.#gTarget[g]!;
    if (t < 0) return 0;
    const cached = this.#gKind[g] === DEP ? this.#gDeps[g] : this.#gProviders[g];
    if (cached) return cached.length;
    let count = 0;
    if (this.#gKind[g] === DEP) {
      for (let i = this.#useStart[t]!; i < this.#useStart[t + 1]!; i++) if (this.#packageFits(this.#use[i]!, g)) count++;
    } else {
      for (let e = this.#provStart[t]!; e < this.#provStart[t + 1]!; e++) if (this.#engineOk[this.#provPkg[e]!] && this.#entryFits(e, g)) count++;
    }
    return count;
  }
  /** The first candidate of a group in the order they are tried, as a package number; -1 for none. */
  groupFirst(g: number): number {
    const t = this.#gTarget[g]!;
    if (t < 0) return -1;
    if (this.#gKind[g] === DEP) {
      for (let i = this.#useStart[t]!; i < this.#useStart[t + 1]!; i++) if (this.#packageFits(this.#use[i]!, g)) return this.#use[i]!;
    } else {
      for (let e = this.#provStart[t]!; e < this.#provStart[t + 1]!; e++) if (this.#engineOk[this.#provPkg[e]!] && this.#entryFits(e, g)) return this.#provPkg[e]!;
    }
    return -1;
  }
  /** Is usable package `p` a candidate of group `g`? */
  isCandidate(p: number, g: number): boolean {
    const t = this.#gTarget[g]!;
    if (t < 0 || !this.#engineOk[p]) return false;
    if (this.#gKind[g] === DEP) return this.#pkgSlot[p] === t && this.#packageFits(p, g);
    const f = this.#facts[p]!;
    for (let i = 0; i < f.provideNames.length; i++)
      if (this.#caps.get(f.provideNames[i]!) === t) return fits(f.provideVersions[i]!, f.provideKeys[i]!, this.#gRange[g]!, this.#gKeys[g]!);
    return false;
  }
  /** The groups a package can be a candidate of: the dependsOn groups of its id and the groups of what it provides (a superset; isCandidate decides). */
  groupsNear(p: number, out: number[]): void {
    const own = this.#slotGroups[this.#pkgSlot[p]!];
    if (own) for (let i = 0; i < own.length; i++) out.push(own[i]!);
    const names = this.#facts[p]!.provideNames;
    for (let i = 0; i < names.length; i++) {
      const c = this.#caps.get(names[i]!);
      const list = c === undefined ? undefined : this.#capGroups[c];
      if (list) for (let j = 0; j < list.length; j++) out.push(list[j]!);
    }
  }
}

