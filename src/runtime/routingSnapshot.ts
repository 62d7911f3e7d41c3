/**
 * The router's immutable view of the routing table for one catalog generation
 * (docs/architecture.md "Routing table"): built once per CatalogView, read by every call
 * with a Map get or two. Holds module ids, not records: a record's state is live, its id
 * and bindings are fixed for the generation.
 */
import type { CatalogView } from '../types.js';
import { bindingsOf, type CatalogRoutes } from '../registry/index.js';
import type { ModuleSnapshot } from './moduleTable.js';

export interface RoutingSnapshot {
  readonly generation: number;
  /** capability -> provider ids in the resolver's order (a client call takes the first the client has). */
  readonly providers: ReadonlyMap<string, readonly string[]>;
  /** caller module id -> capability -> the provider the resolver bound (a module-to-module hop). */
  readonly hops: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** The host's routes for createCatalogView: every record in the plan, with its bindings (required and optional). */
export function routesOf(records: readonly ModuleSnapshot[]): CatalogRoutes {
  const routes = new Map<string, Readonly<Record<string, string>>>();
  for (const r of records) if (r.state.name !== 'unresolved') routes.set(r.id, bindingsOf(r.bindings, r.optionalBindings));
  return routes;
}

export function createRoutingSnapshot(catalog: CatalogView): RoutingSnapshot {
  const providers = new Map<string, readonly string[]>();
  const hops = new Map<string, ReadonlyMap<string, string>>();
  for (const m of catalog.modules()) {
    const bound = catalog.bindings(m.id);
    if (bound === undefined) continue;
    hops.set(m.id, new Map(Object.entries(bound)));
    for (const cap of Object.keys(m.provides)) if (!providers.has(cap)) providers.set(cap, catalog.providers(cap));
  }
  return Object.freeze({ generation: catalog.generation, providers, hops });
}
