/**
 * The runtime's view of the registry's resolver: the packages found on disk resolved in
 * 'partial' mode (what can run does; the rest is unresolved with the resolver's
 * explanation), reduced to the fields the engine reads.
 */
import { resolvePlan, type ModulePackage } from '../registry/index.js';
import type { PlannedModule, UnresolvedModule } from './plan.js';

export interface CatalogPlan {
  /** Activation order. */
  readonly modules: readonly PlannedModule[];
  /** Modules with no path between them share a level; level n needs only levels < n. */
  readonly levels: readonly (readonly string[])[];
  readonly unresolved: readonly UnresolvedModule[];
}

export function planCatalog(packages: readonly ModulePackage[], hostVersion: string): CatalogPlan {
  const plan = resolvePlan(packages, { hostVersion, mode: 'partial' });
  return {
    modules: plan.modules.map((m) => ({
      id: m.id,
      pkg: m.pkg,
      bindings: { ...m.bindings },
      optionalBindings: Object.fromEntries(Object.entries(m.optionalBindings).filter((e): e is [string, string] => e[1] !== null)),
      dependsOn: [...m.dependsOn],
    })),
    levels: plan.levels,
    unresolved: plan.unresolved.map((u) => ({ id: u.id, error: u.error })),
  };
}
