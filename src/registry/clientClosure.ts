import type { CatalogView } from '../types.js';

/** One module pulled into a client's set because a module in the set needs it. */
export interface ImplicitPull {
  readonly moduleId: string;
  /** The module whose requirement pulled it in. */
  readonly requiredBy: string;
  /** What was needed: "capability 'x' ^1.0.0" or "module 'y' ^2.0.0". */
  readonly need: string;
}

/** A requirement of a module in the set that the plan does not bind (the module is not in the plan). */
export interface UnboundRequirement {
  readonly moduleId: string;
  readonly need: string;
}

/** A client's effective module set: docs/architecture.md "Routing table". */
export interface ClientClosure {
  /** The enabled modules and every implicit pull, module ids of the catalog only. */
  readonly effective: ReadonlySet<string>;
  /** In the order they were pulled (breadth first from the enabled modules, sorted). */
  readonly implicit: readonly ImplicitPull[];
  readonly unbound: readonly UnboundRequirement[];
}

/**
 * The requirement closure of a client's enabled modules: each module in the set pulls in
 * the providers the resolver bound its required capabilities to (the routing table,
 * CatalogView.bindings) and its dependsOn modules, transitively. Optional requirements
 * pull nothing. The one function the router's sources, the unified view, `hotmod resolve
 * --client` and the tests use, so a call, a view and a plan never disagree on who serves.
 *
 * Enabled ids not in the catalog are left out (they are not runnable). Pure.
 */
export function clientClosure(catalog: CatalogView, enabled: Iterable<string>): ClientClosure {
  const effective = new Set<string>();
  const queue: string[] = [];
  for (const id of [...enabled].sort()) {
    if (catalog.get(id) === undefined || effective.has(id)) continue;
    effective.add(id);
    queue.push(id);
  }
  const implicit: ImplicitPull[] = [];
  const unbound: UnboundRequirement[] = [];
  const pull = (moduleId: string, requiredBy: string, need: string) => {
    if (effective.has(moduleId)) return;
    effective.add(moduleId);
    queue.push(moduleId);
    implicit.push({ moduleId, requiredBy, need });
  };
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const m = catalog.get(id)!;
    const bound = catalog.bindings(id);
    for (const [capability, range] of Object.entries(m.requires)) {
      const need = `capability '${capability}' ${range}`;
      const provider = bound?.[capability];
      if (provider === undefined) unbound.push({ moduleId: id, need });
      else if (provider !== id) pull(provider, id, need);
    }
    for (const [depId, range] of Object.entries(m.dependsOn)) {
      const need = `module '${depId}' ${range}`;
      // In the plan, a dependsOn is satisfied by the one version of that id the catalog holds.
      if (bound === undefined || catalog.bindings(depId) === undefined) unbound.push({ moduleId: id, need });
      else pull(depId, id, need);
    }
  }
  return { effective, implicit, unbound };
}
