import { satisfies } from './resolveIndex.js';
import { resolvePlan } from './resolvePlan.js';
import type { ModulePackage } from './types.js';

/** A module of the running graph, with what it is bound to now (a running graph is never rewired). */
export interface HeldModule {
  readonly pkg: ModulePackage;
  /** Required and optional capability -> provider id. */
  readonly bindings: Readonly<Record<string, string>>;
}

export type SwapPlan =
  | {
      readonly ok: true;
      /** The new version's required bindings, from the resolver. */
      readonly bindings: Readonly<Record<string, string>>;
      /** Its optional bindings that have a provider. */
      readonly optionalBindings: Readonly<Record<string, string>>;
      readonly dependsOn: readonly string[];
    }
  | { readonly ok: false; readonly reason: string; readonly details: Readonly<Record<string, unknown>> };

/**
 * Whether `next` can replace the running version of its id, and what it binds to: the
 * resolver runs again over the running graph with every other module held at its version,
 * so the new version's bindings are the resolver's answer (the routing table's), not a
 * second provider choice. Consumers keep their bindings, so each one bound to this module
 * must still be served in its range by `next`.
 */
export function planSwap(held: readonly HeldModule[], next: ModulePackage, hostVersion: string): SwapPlan {
  const m = next.manifest;
  const to = m.version;
  const refuse = (reason: string, details: Record<string, unknown> = {}): SwapPlan => ({ ok: false, reason, details });
  for (const consumer of held) {
    const cm = consumer.pkg.manifest;
    if (cm.id === m.id) continue;
    for (const [cap, provider] of Object.entries(consumer.bindings)) {
      if (provider !== m.id) continue;
      const range = cm.requires[cap] ?? cm.optionalRequires[cap]!;
      const version = m.provides[cap];
      if (version === undefined) return refuse(`module '${cm.id}' requires '${cap}' ${range}, which version ${to} no longer provides`, { consumer: cm.id, capability: cap, range });
      if (!satisfies(version, range, { includePrerelease: true }))
        return refuse(`version ${to} provides '${cap}' ${version}, which does not satisfy '${cm.id}' (requires ${range})`, { consumer: cm.id, capability: cap, range, provided: version });
    }
    const range = cm.dependsOn[m.id];
    if (range !== undefined && !satisfies(to, range, { includePrerelease: true }))
      return refuse(`module '${cm.id}' depends on '${m.id}' ${range}, which version ${to} does not satisfy`, { consumer: cm.id, range });
  }
  const packages = [...held.filter((h) => h.pkg.manifest.id !== m.id).map((h) => h.pkg), next];
  const plan = resolvePlan(packages, { hostVersion, mode: 'partial', pullOptionalProviders: false });
  const mine = plan.modules.find((p) => p.id === m.id);
  if (mine === undefined || mine.pkg !== next) {
    const why = plan.unresolved.find((u) => u.id === m.id)?.error;
    return refuse(`version ${to} does not resolve against the running modules: ${why?.message ?? 'the resolver left it out'}`, {
      ...(why ? { code: why.code, chain: why.details.chain } : {}),
    });
  }
  const optionalBindings: Record<string, string> = {};
  for (const [cap, provider] of Object.entries(mine.optionalBindings)) if (provider !== null) optionalBindings[cap] = provider;
  return { ok: true, bindings: { ...mine.bindings }, optionalBindings, dependsOn: Object.keys(m.dependsOn) };
}
