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

// One string object per distinct id, capability, range and version: every manifest parsed
// from JSON has its own copies, scattered over the heap, and the index looks each one up in
// a map per resolve (a cache miss for the string, then a comparison of its characters).
// Interned, the few hundred capability names and ranges stay in cache and compare by
// identity. Bounded: when full it starts again (interning is only ever a speed-up).
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

/**
 * A map's entries and its two columns in one pass. `internValues` false for values that are
 * nearly all distinct (capability versions): interning them only filled the intern table.
 */
function columns(map: Readonly<Record<string, string>>, internValues: boolean): { entries: Entries; names: readonly string[]; values: readonly string[] } {
  const keys = Object.keys(map);
  if (keys.length === 0) return { entries: NO_ENTRIES, names: NO_STRINGS, values: NO_STRINGS };
  const entries = new Array<readonly [string, string]>(keys.length);
  const names = new Array<string>(keys.length);
  const values = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const name = intern(keys[i]!);
    const raw = map[keys[i]!]!;
    const value = internValues ? intern(raw) : raw;
    entries[i] = [name, value];
    names[i] = name;
    values[i] = value;
  }
  return { entries, names, values };
}

export function manifestFacts(manifest: ModuleManifest): ManifestFacts {
  let f = facts.get(manifest);
  if (!f) {
    const provides = columns(manifest.provides, false);
    const requires = columns(manifest.requires, true);
    const dependsOn = columns(manifest.dependsOn, true);
    const optionalRequires = Object.keys(manifest.optionalRequires).length === 0 ? NO_ENTRIES : columns(manifest.optionalRequires, true).entries;
    let provideKeys = NO_NUMBERS;
    if (provides.values.length > 0) {
      const keys = new Array<number>(provides.values.length);
      for (let i = 0; i < keys.length; i++) keys[i] = versionKey(provides.values[i]!);
      provideKeys = keys;
    }
    f = Object.freeze({
      provides: provides.entries,
      requires: requires.entries,
      optionalRequires,
      dependsOn: dependsOn.entries,
      dependsOnIds: dependsOn.names.length === 0 ? NO_STRINGS : Object.freeze([...dependsOn.names].sort()),
      id: intern(manifest.id),
      version: manifest.version,
      engines: manifest.engines.hotmod === undefined ? undefined : intern(manifest.engines.hotmod),
      versionKey: versionKey(manifest.version),
      provideNames: provides.names,
      provideVersions: provides.values,
      provideKeys,
      dependNames: dependsOn.names,
      dependRanges: dependsOn.values,
      requireNames: requires.names,
      requireRanges: requires.values,
    });
    facts.set(manifest, f);
  }
  return f;
}
