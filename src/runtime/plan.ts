/**
 * What the runtime needs of a resolved plan (src/registry resolvePlan). Kept as a narrow
 * interface so the engine depends on the fields it reads, not on the resolver's internals.
 */
import type { ModulePackage } from '../registry/index.js';

export interface PlannedModule {
  readonly id: string;
  readonly pkg: ModulePackage;
  /** Required capability -> providing module id. */
  readonly bindings: Readonly<Record<string, string>>;
  /** Optional capability -> providing module id (absent when nobody provides it). */
  readonly optionalBindings: Readonly<Record<string, string>>;
  /** Module ids this one depends on through `dependsOn`. */
  readonly dependsOn: readonly string[];
}

export interface UnresolvedModule {
  readonly id: string;
  readonly error: Error;
}
