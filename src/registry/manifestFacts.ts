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

function entries(map: Readonly<Record<string, string>>): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(map)) out.push([intern(key), intern(map[key]!)]);
  return out;
}

export function manifestFacts(manifest: ModuleManifest): ManifestFacts {
  let f = facts.get(manifest);
  if (!f) {
    const provides = entries(manifest.provides);
    const requires = entries(manifest.requires);
    const dependsOn = entries(manifest.dependsOn);
    f = Object.freeze({
      provides,
      requires,
      optionalRequires: entries(manifest.optionalRequires),
      dependsOn,
      dependsOnIds: Object.freeze(dependsOn.map((e) => e[0]).sort()),
      id: intern(manifest.id),
      version: manifest.version,
      engines: manifest.engines.hotmod === undefined ? undefined : intern(manifest.engines.hotmod),
      versionKey: versionKey(manifest.version),
      provideNames: provides.map((e) => e[0]),
      provideVersions: provides.map((e) => e[1]),
      provideKeys: provides.map((e) => versionKey(e[1])),
      dependNames: dependsOn.map((e) => e[0]),
      dependRanges: dependsOn.map((e) => e[1]),
      requireNames: requires.map((e) => e[0]),
      requireRanges: requires.map((e) => e[1]),
    });
    facts.set(manifest, f);
  }
  return f;
}
