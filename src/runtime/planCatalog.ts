/**
 * The runtime's view of the registry's resolver: the packages found on disk resolved in
 * 'partial' mode (what can run does; the rest is unresolved with the resolver's
 * explanation), reduced to the fields the engine reads.
 *
 * Each resolve hands the resolver the previous plan (`previous`): after a watcher change
 * only the modules the change can reach are resolved again, with the answer of a resolve
 * from scratch (docs/resolver.md "Incremental resolution"). The modules the resolver kept
 * keep their PlannedModule too.
 */
import { resolvePlan, type ModulePackage, type ResolvePlan, type ResolvedModule } from '../registry/index.js';
import type { PlannedModule, UnresolvedModule } from './plan.js';

export interface CatalogPlan {
  /** Activation order. */
  readonly modules: readonly PlannedModule[];
  /** Modules with no path between them share a level; level n needs only levels < n. */
  readonly levels: readonly (readonly string[])[];
  readonly unresolved: readonly UnresolvedModule[];
}

/** The last plan per host version: a hint only (a plan of other packages makes the resolver start from scratch). */
const lastPlan = new Map<string, ResolvePlan>();
const planned = new WeakMap<ResolvedModule, PlannedModule>();

export function planCatalog(packages: readonly ModulePackage[], hostVersion: string): CatalogPlan {
  const previous = lastPlan.get(hostVersion);
  const plan = resolvePlan(packages, { hostVersion, mode: 'partial', ...(previous ? { previous } : {}) });
  lastPlan.set(hostVersion, plan);
  return {
    modules: plan.modules.map((m) => {
      let p = planned.get(m);
      if (p === undefined)
        planned.set(
          m,
          (p = {
            id: m.id,
            pkg: m.pkg,
            bindings: { ...m.bindings },
            optionalBindings: Object.fromEntries(Object.entries(m.optionalBindings).filter((e): e is [string, string] => e[1] !== null)),
            dependsOn: [...m.dependsOn],
          }),
        );
      return p;
    }),
    levels: plan.levels,
    unresolved: plan.unresolved.map((u) => ({ id: u.id, error: u.error })),
  };
}
