import type { ModuleManifest } from './types.js';

type Entries = readonly (readonly [string, string])[];

/** A manifest's maps as arrays, for the resolver's hot loops. */
export interface ManifestFacts {
  readonly provides: Entries;
  readonly requires: Entries;
  readonly optionalRequires: Entries;
  readonly dependsOn: Entries;
  /** The dependsOn ids, sorted (frozen: shared by every plan that has this manifest). */
  readonly dependsOnIds: readonly string[];
}

// Manifests are immutable, so their facts are computed once per manifest for the life of
// the process. Why arrays: each manifest map has keys no other object shares (capability
// names), so V8 gives every one its own hidden class, and for-in / Object.entries over
// thousands of them costs microseconds each; a resolve of a 10,000-module catalog paid
// that on every pass. Arrays iterate at memory speed.
const facts = new WeakMap<ModuleManifest, ManifestFacts>();

export function manifestFacts(manifest: ModuleManifest): ManifestFacts {
  let f = facts.get(manifest);
  if (!f) {
    f = Object.freeze({
      provides: Object.entries(manifest.provides),
      requires: Object.entries(manifest.requires),
      optionalRequires: Object.entries(manifest.optionalRequires),
      dependsOn: Object.entries(manifest.dependsOn),
      dependsOnIds: Object.freeze(Object.keys(manifest.dependsOn).sort()),
    });
    facts.set(manifest, f);
  }
  return f;
}
