import type { ModuleManifest } from './types.js';
import { versionKey } from './semverMemo.js';

type Entries = readonly (readonly [string, string])[];

/** A manifest's maps as arrays, for the resolver's hot loops. */
export interface ManifestFacts {
  readonly provides: Entries;
  readonly requires: Entries;
  readonly optionalRequires: Entries;
  readonly dependsOn: Entries;
  /** The dependsOn ids, sorted (frozen: shared by every plan that has this manifest). */
  readonly dependsOnIds: readonly string[];
  // What the resolve index reads of every package on every resolve, as flat columns of
  // interned strings (see intern) and precomputed version keys (semverMemo.ts versionKey).
  readonly id: string;
  readonly version: string;
  readonly engines: string | undefined;
  readonly versionKey: number;
  readonly provideNames: readonly string[];
  readonly provideVersions: readonly string[];
  readonly provideKeys: readonly number[];
  readonly dependNames: readonly string[];
  readonly dependRanges: readonly string[];
  readonly requireNames: readonly string[];
  readonly requireRanges: readonly string[];
}

// Manifests are immutable, so their facts are computed once per manifest for the life of
// the process. Why arrays: each manifest map has keys no other object shares (capability
// names), so V8 gives every one its own hidden class, and for-in / Object.entries over
// thousands of them costs microseconds each; a resolve of a 10,000-module catalog paid
// that on every pass. Arrays iterate at memory speed.
const facts = new WeakMap<ModuleManifest, ManifestFacts>();

// One string object per distinct capability, range and dependsOn target: every manifest parsed
// from JSON has its own copies, scattered over the heap, and the index looks each one up in
// a map per resolve (a cache miss for the string, then a comparison of its characters).
// Interned, the few hundred capability names and ranges stay in cache and compare by
// identity. A module's own id and its capability versions are not interned: they are
// distinct per package, so the table would only grow (100,000 ids: a fifth of the facts' cost).
// Bounded: when full it starts again (interning is only ever a speed-up).
const MAX_INTERNED = 500_000;
const interned = new Map<string, string>();

function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(s, s);
  return s;
}

// Most manifests have no optional requirements and many no dependsOn: they share these (never mutated).
const NO_ENTRIES: Entries = Object.freeze([]) as Entries;
const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_NUMBERS: readonly number[] = Object.freeze([]);

// What columns() made: module-level slots instead of a result object per map.
let colNames: readonly string[] = NO_STRINGS;
let colValues: readonly string[] = NO_STRINGS;

/**
 * A map's two columns in one pass, into colNames and colValues. `internValues` false for
 * values that are nearly all distinct (capability versions): interning them only filled the
 * intern table.
 */
function columns(map: Readonly<Record<string, string>>, internValues: boolean): void {
  // (Object.keys, not for-in: each manifest map has a shape of its own, and for-in builds an enumeration cache for it.)
  const keys = Object.keys(map);
  if (keys.length === 0) {
    colNames = colValues = NO_STRINGS;
    return;
  }
  const names = new Array<string>(keys.length);
  const values = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    names[i] = intern(keys[i]!);
    const raw = map[keys[i]!]!;
    values[i] = internValues ? intern(raw) : raw;
  }
  colNames = names;
  colValues = values;
}

function pairs(names: readonly string[], values: readonly string[]): Entries {
  if (names.length === 0) return NO_ENTRIES;
  const out = new Array<readonly [string, string]>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = [names[i]!, values[i]!];
  return out;
}

/**
 * The facts of one manifest. The entry lists of provides, requires and dependsOn are made on
 * first use from the columns: the index reads only the columns, and at 100,000 ids those pairs
 * were a fifth of what a cold resolve allocated. (Private fields stay writable when frozen.)
 */
class Facts implements ManifestFacts {
  readonly optionalRequires: Entries;
  readonly dependsOnIds: readonly string[];
  readonly id: string;
  readonly version: string;
  readonly engines: string | undefined;
  readonly versionKey: number;
  readonly provideNames: readonly string[];
  readonly provideVersions: readonly string[];
  readonly provideKeys: readonly number[];
  readonly dependNames: readonly string[];
  readonly dependRanges: readonly string[];
  readonly requireNames: readonly string[];
  readonly requireRanges: readonly string[];
  #provides: Entries | undefined;
  #requires: Entries | undefined;
  #dependsOn: Entries | undefined;

  constructor(manifest: ModuleManifest) {
    columns(manifest.provides, false);
    this.provideNames = colNames;
    this.provideVersions = colValues;
    columns(manifest.requires, true);
    this.requireNames = colNames;
    this.requireRanges = colValues;
    columns(manifest.dependsOn, true);
    this.dependNames = colNames;
    this.dependRanges = colValues;
    columns(manifest.optionalRequires, true);
    this.optionalRequires = pairs(colNames, colValues);
    let provideKeys = NO_NUMBERS;
    if (this.provideVersions.length > 0) {
      const keys = new Array<number>(this.provideVersions.length);
      for (let i = 0; i < keys.length; i++) keys[i] = versionKey(this.provideVersions[i]!);
      provideKeys = keys;
    }
    this.provideKeys = provideKeys;
    this.dependsOnIds = this.dependNames.length === 0 ? NO_STRINGS : Object.freeze([...this.dependNames].sort());
    // Not interned: ids are distinct per module (up to 100,000 of them), not a few hot strings.
    this.id = manifest.id;
    this.version = manifest.version;
    this.engines = manifest.engines.hotmod === undefined ? undefined : intern(manifest.engines.hotmod);
    this.versionKey = versionKey(manifest.version);
  }

  get provides(): Entries {
    return (this.#provides ??= pairs(this.provideNames, this.provideVersions));
  }
  get requires(): Entries {
    return (this.#requires ??= pairs(this.requireNames, this.requireRanges));
  }
  get dependsOn(): Entries {
    return (this.#dependsOn ??= pairs(this.dependNames, this.dependRanges));
  }
}

export function manifestFacts(manifest: ModuleManifest): ManifestFacts {
  let f = facts.get(manifest);
  if (!f) facts.set(manifest, (f = Object.freeze(new Facts(manifest))));
  return f;
}
