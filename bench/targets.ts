/**
 * The goals, in one place: every benchmark reads its target from here, bench/summary.ts
 * prints them beside the measured figures, and docs/benchmarks.md quotes this table. A target
 * is the goal the project set (the issue that asked for it is named), not a figure loosened
 * to pass. A figure without `max` is reported for the reader and has no goal yet.
 */
export interface Target {
  readonly what: string;
  /** Upper bound, in `unit`; absent for a figure that is reported without a goal. */
  readonly max?: number;
  readonly unit: 'ms' | 's' | 'MB' | 'x baseline' | 'clients';
}

export const TARGETS = {
  // Resolver (issue 17).
  resolve10k: { what: 'resolvePlan, 10,000 ids with alternatives (strict, cold index)', max: 200, unit: 'ms' },
  resolve100k: { what: 'resolvePlan, 100,000 ids with alternatives (strict, cold index)', max: 2000, unit: 'ms' },
  reresolve10k: { what: 're-resolve after one module changes, 10,000 ids', max: 10, unit: 'ms' },
  // The same goal, for a change of the module's manifest: on one connected catalog, and on one of 50 independent parts.
  reresolve10kManifest: { what: "re-resolve after one module's manifest changes, 10,000 ids in one component", max: 10, unit: 'ms' },
  reresolve10kTeams: { what: "re-resolve after one module's manifest changes, 10,000 ids in 50 independent parts", max: 10, unit: 'ms' },
  // Startup (issue 15).
  createActivateVsRaw: { what: 'sandbox create + activate vs a raw isolate doing the same work', max: 1.3, unit: 'x baseline' },
  hostStartOneModule: { what: 'createHost + start with one module vs raw isolate floor', unit: 'x baseline' },
  coldStart500Eager: { what: 'cold start, 500 modules, eager, to running', max: 1500, unit: 'ms' },
  coldStart500WarmVsCold: { what: 'second start of 500 modules (code cache warm) vs the first', max: 1, unit: 'x baseline' },
  coldStart500Lazy: { what: 'cold start, 500 modules, activation: lazy, to running', max: 100, unit: 'ms' },
  lazyFirstCallOverWarm: { what: 'first call of a lazy module minus a warm call', max: 10, unit: 'ms' },
  idleRssPerModule: { what: 'idle RSS per module (fresh child process)', unit: 'MB' },
  // Invoke (issue 15).
  invokeVsRaw: { what: 'client.invoke vs raw applySync with copy (method settles in its own microtasks)', max: 1.25, unit: 'x baseline' },
  invokeAwaitingVsRawAsync: { what: 'client.invoke of an awaiting method vs raw async apply', max: 0.76, unit: 'x baseline' },
  // Web-standard runtime (issue 13).
  webGlobalsCreateCost: { what: 'create + activate with the web globals vs without', max: 1.1, unit: 'x baseline' },
  zodInvokeVsNode: { what: 'zod validation through invoke vs zod called directly in Node', unit: 'x baseline' },
  // Scale (issue 15).
  migrate100k: { what: 'migrate 100,000 clients (PostgreSQL, verification included)', max: 30, unit: 's' },
  migrate100kLost: { what: 'clients lost by that run (effective module set changed), counted apart from its verification', max: 0, unit: 'clients' },
  migrate100kVsCopy: { what: 'migrate 100,000 clients vs a plain INSERT … SELECT of the same rows', unit: 'x baseline' },
  unifiedView200: { what: 'unified view of one client with 200 enabled modules', unit: 'ms' },
  changeFeedP50: { what: 'SQL UPDATE → router cache invalidated on a second host, p50', unit: 'ms' },
  changeFeedVsNotify: { what: 'change feed p50 vs a bare LISTEN/NOTIFY round trip', unit: 'x baseline' },
  // Fleet (issue 12).
  publishToServingP50: { what: 'publish → serving on all hosts, p50 over 20 publishes', unit: 'ms' },
  publishVsNotify: { what: 'publish → serving p50 vs a NOTIFY round trip', unit: 'x baseline' },
  perClientRoutingVsPlain: { what: 'invoke with per-client version routing vs plain routing', unit: 'x baseline' },
} as const satisfies Record<string, Target>;

export type TargetKey = keyof typeof TARGETS;

export function verdict(value: number, target: Target): 'met' | 'NOT met' | 'reported' {
  if (target.max === undefined) return 'reported';
  return value <= target.max ? 'met' : 'NOT met';
}
