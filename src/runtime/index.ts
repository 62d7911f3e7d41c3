// The runtime's surface: createHost, its types, the DI tokens and the config-source seam.
export { createHost } from './createHost.js';
export type {
  Host,
  HostPhase,
  HostOptions,
  HostOverrides,
  HostLimits,
  HostFetchOptions,
  FleetHostOptions,
  HostRolloutOptions,
  RestartPolicy,
  HostClient,
  HostEvents,
  ModuleEvent,
  ModuleStatus,
  ModuleStateName,
  InvokeOptions,
  SwapResult,
  ModuleConfigProvider,
  LegacyBridgeParts,
  LegacyBridgeFactory,
  WatcherFactory,
  HostWatcher,
} from './types.js';
export type { HostMetricsSnapshot, ModuleMetricsSnapshot, CapabilityMetricsSnapshot, LatencySnapshot } from './callMetrics.js';
export type { Clock, ClockTimer } from './clock.js';
export { systemClock } from './clock.js';
export { RuntimeErrorCode } from './errors.js';
export type { Explanation, ExplainFact, ExplainFactKind, ExplainAction, ViewRule } from './explain/facts.js';
export { explainModule, type ExplainInput } from './explain/explainModule.js';
export { renderExplanation, describeFact, describeAction } from './explain/renderExplanation.js';
export {
  createAllEnabledConfigSource,
  createFileConfigSource,
  parseConfigFile,
  type HotmodConfigFile,
  type FileConfigSource,
} from './configSources.js';
export * as tokens from './tokens.js';
export type { CatalogPlan } from './planCatalog.js';
export { createHostWatcherFactory } from './watcherAdapter.js';
export { bundleModule, findSourceEntry, formatProblem, type BundleOptions, type BundleResult, type BuildProblem } from './bundleModule.js';
export { scaffoldModule } from './scaffold/scaffoldModule.js';
