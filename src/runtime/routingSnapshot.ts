/**
 * The router's immutable view of the routing table for one catalog generation
 * (docs/architecture.md "Routing table"): built once per CatalogView, read by every call
 * with a Map get or two. Holds module ids, not records: a record's state is live, its id
 * and bindings are fixed for the generation.
 */
import type { CatalogView } from '../types.js';
import { bindingsOf, type CatalogRoutes, type ModulePackage } from '../registry/index.js';
import { getsNewVersion, stageThreshold } from '../fleet/index.js';
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

/**
 * Per-client version routing while rollouts run (docs/rollouts.md): for each module with a
 * candidate, which clients the candidate serves. The router asks it on every hop, so a
 * client sees one version of each module from its first hop to its last; `undefined` in
 * the router when no rollout runs, so the plain path pays one field read.
 */
export interface VersionRoute {
  readonly moduleId: string;
  /** The candidate's table key (candidateKey). */
  readonly key: string;
  readonly rolloutId: string;
  /** Bucket threshold of the stage (rolloutPlan.ts): clients below it get the candidate. */
  readonly threshold: number;
  readonly named: ReadonlySet<string>;
  /** The answer per client, computed once per route (a new stage is a new route). */
  readonly decided: Map<string, boolean>;
}

export interface VersionRouting {
  readonly byModule: ReadonlyMap<string, VersionRoute>;
  /** A candidate's package -> its own bindings (its hops go where its version's requirements are bound). */
  readonly hopsByPackage: ReadonlyMap<ModulePackage, ReadonlyMap<string, string>>;
}

/** Bounded memory of per-client answers: past this many clients a route forgets and recomputes. */
const DECIDED_LIMIT = 100_000;

/** The table key serving `moduleId` for `clientId`: the candidate's, or the module id. */
export function versionKeyFor(routing: VersionRouting, moduleId: string, clientId: string): string {
  const route = routing.byModule.get(moduleId);
  if (route === undefined) return moduleId;
  let yes = route.decided.get(clientId);
  if (yes === undefined) {
    yes = getsNewVersion(route.rolloutId, clientId, route.threshold, route.named);
    if (route.decided.size >= DECIDED_LIMIT) route.decided.clear();
    route.decided.set(clientId, yes);
  }
  return yes ? route.key : moduleId;
}

/** The routing for a set of candidates (each a table snapshot and its rollout's cohort). */
export function createVersionRouting(
  routes: readonly { candidate: ModuleSnapshot; moduleId: string; rolloutId: string; percent: number; named: readonly string[] }[],
): VersionRouting | undefined {
  if (routes.length === 0) return undefined;
  const byModule = new Map<string, VersionRoute>();
  const hopsByPackage = new Map<ModulePackage, ReadonlyMap<string, string>>();
  for (const r of routes) {
    byModule.set(r.moduleId, {
      moduleId: r.moduleId,
      key: r.candidate.id,
      rolloutId: r.rolloutId,
      threshold: stageThreshold(r.percent),
      named: new Set(r.named),
      decided: new Map(),
    });
    hopsByPackage.set(r.candidate.pkg, new Map(Object.entries(bindingsOf(r.candidate.bindings, r.candidate.optionalBindings))));
  }
  return Object.freeze({ byModule, hopsByPackage });
}
