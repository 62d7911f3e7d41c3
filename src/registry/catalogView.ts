import { HotmodError } from '../errors.js';
import type { CatalogView } from '../types.js';
import { HOTMOD_VERSION } from '../version.js';
import { CatalogErrorCode } from './errors.js';
import { compareVersions } from './resolveIndex.js';
import { resolvePlan } from './resolvePlan.js';
import type { ModuleManifest, ModulePackage, ResolvePlan } from './types.js';

/** Module id -> capability -> provider id: the resolved plan's bindings (docs/architecture.md "Routing table"). */
export type CatalogRoutes = ReadonlyMap<string, Readonly<Record<string, string>>>;

/**
 * An immutable view of the module versions a host runs: what the per-client config
 * sources see of the catalog, and the routing table. A new view is made on every catalog
 * change (generation + 1).
 *
 * `routes` are the plan's bindings (the host passes its records'); without them the view
 * resolves its own manifests once, on first use, so a view built by a tool routes exactly
 * as a host running those versions would.
 */
export function createCatalogView(manifests: readonly ModuleManifest[], generation: number, routes?: CatalogRoutes): CatalogView {
  const sorted = [...manifests].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map<string, ModuleManifest>();
  const aliases = new Map<string, string>();
  for (const m of sorted) {
    if (byId.has(m.id)) {
      throw new HotmodError(
        CatalogErrorCode.VIEW_DUPLICATE_ID,
        `cannot build a catalog view: module id '${m.id}' appears twice (versions ${byId.get(m.id)!.version} and ${m.version}); pass one version per id`,
        { moduleId: m.id, versions: [byId.get(m.id)!.version, m.version] },
      );
    }
    byId.set(m.id, m);
  }
  // A module's own id always wins over another module's legacy id.
  for (const m of sorted) for (const legacy of m.legacyIds) if (!byId.has(legacy) && !aliases.has(legacy)) aliases.set(legacy, m.id);
  Object.freeze(sorted);
  let table: RoutingTable | undefined;
  const routing = (): RoutingTable => (table ??= buildTable(sorted, routes ?? routesOfPlan(resolveManifests(sorted))));
  return Object.freeze({
    generation,
    modules: () => sorted,
    get: (id: string) => byId.get(id),
    resolveId: (id: string) => (byId.has(id) ? id : aliases.get(id)),
    bindings: (id: string) => routing().bindings.get(id),
    providers: (capability: string) => routing().providers.get(capability) ?? NONE,
  });
}

const NONE: readonly string[] = Object.freeze([]);

interface RoutingTable {
  readonly bindings: CatalogRoutes;
  readonly providers: ReadonlyMap<string, readonly string[]>;
}

/** Each plan module's required and (bound) optional bindings. */
export function routesOfPlan(plan: Pick<ResolvePlan, 'modules'>): CatalogRoutes {
  const routes = new Map<string, Readonly<Record<string, string>>>();
  for (const m of plan.modules) routes.set(m.id, bindingsOf(m.bindings, m.optionalBindings));
  return routes;
}

/** One frozen record of a module's bindings: required ones, then optional ones that have a provider. */
export function bindingsOf(required: Readonly<Record<string, string>>, optional: Readonly<Record<string, string | null>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = Object.create(null);
  for (const cap in required) out[cap] = required[cap]!;
  for (const cap in optional) if (optional[cap] !== null && optional[cap] !== undefined) out[cap] = optional[cap]!;
  return Object.freeze(out);
}

function buildTable(sorted: readonly ModuleManifest[], bindings: CatalogRoutes): RoutingTable {
  const entries = new Map<string, { id: string; version: string }[]>();
  for (const m of sorted) {
    if (!bindings.has(m.id)) continue; // outside the plan: serves nobody
    for (const [cap, version] of Object.entries(m.provides)) {
      let list = entries.get(cap);
      if (!list) entries.set(cap, (list = []));
      list.push({ id: m.id, version });
    }
  }
  // The resolver's order (ResolveIndex): highest capability version first, then module id.
  const providers = new Map<string, readonly string[]>();
  for (const [cap, list] of entries) {
    list.sort((a, b) => compareVersions(b.version, a.version) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    providers.set(cap, Object.freeze(list.map((e) => e.id)));
  }
  return { bindings, providers };
}

/**
 * The plan of exactly these versions (one per id), as a host running them would have it.
 * Partial mode reports what does not resolve instead of throwing; should the resolver fail
 * anyway, nothing routes (the view's readers never throw on a catalog).
 */
function resolveManifests(manifests: readonly ModuleManifest[]): Pick<ResolvePlan, 'modules'> {
  const packages: ModulePackage[] = manifests.map((manifest) => Object.freeze({ manifest, dir: '', packageJsonPath: '', entryPath: '', key: `${manifest.id}@${manifest.version}` }));
  try {
    return resolvePlan(Object.freeze(packages), { hostVersion: HOTMOD_VERSION, mode: 'partial', pullOptionalProviders: false });
  } catch {
    return { modules: [] };
  }
}
