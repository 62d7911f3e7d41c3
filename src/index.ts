// hotmod's public API: what embedding applications, operators' scripts and module tooling
// use. Everything else is internal and may change. `hotmod/fastify` is the Fastify plugin.
export { HotmodError, isHotmodError } from './errors.js';
export { HOTMOD_VERSION } from './version.js';
export type { UnifiedModuleConfig, ConfigSource, CatalogView, ClientModuleSet } from './types.js';

// The host (docs/runtime.md).
export {
  createHost,
  createFileConfigSource,
  createAllEnabledConfigSource,
  createHostWatcherFactory,
  RuntimeErrorCode,
  tokens,
  type Host,
  type HostPhase,
  type HostOptions,
  type HostOverrides,
  type HostLimits,
  type HostFetchOptions,
  type HostRolloutOptions,
  type RestartPolicy,
  type HostClient,
  type HostEvents,
  type ModuleEvent,
  type ModuleStatus,
  type ModuleStateName,
  type InvokeOptions,
  type SwapResult,
  type HostMetricsSnapshot,
  type ModuleMetricsSnapshot,
  type Clock,
  type HotmodConfigFile,
  // host.explain (docs/legacy-bridge.md "Explanations").
  renderExplanation,
  describeFact,
  type Explanation,
  type ExplainFact,
  type ExplainFactKind,
  type ExplainAction,
} from './runtime/index.js';

// Staged rollouts across hosts on one PostgreSQL (docs/rollouts.md): host.rollouts' types, and the same
// operations over a store without a host (what `hotmod rollout` runs).
export {
  FleetErrorCode,
  createRolloutApi,
  type RolloutApi,
  type RolloutStatus,
  type RolloutStartOptions,
  type RolloutStateName,
} from './fleet/index.js';

// The catalog and the resolver (docs/manifest.md): for tooling that checks or plans modules without a host.
export {
  scanCatalog,
  createCatalogView,
  loadModulePackage,
  validateManifest,
  resolvePlan,
  // The routing table's client closure and set builder, for custom ConfigSource implementations.
  clientClosure,
  clientModuleSetOf,
  type ClientClosure,
  ManifestErrorCode,
  CatalogErrorCode,
  ResolveErrorCode,
  type ModuleManifest,
  type ModulePackage,
  type ManifestDiagnostic,
  type Permission,
  type ResolvePlan,
  type ResolvedModule,
} from './registry/index.js';

// Sandboxes (docs/sandbox.md, docs/process-isolation.md): the error codes a caller can meet, and
// the process pool's factory, for sizing it (`overrides: { processSandboxFactory }`).
export {
  SandboxErrorCode,
  ProcessSandboxErrorCode,
  createProcessSandboxFactory,
  type ProcessSandboxFactory,
  type ProcessSandboxFactoryOptions,
} from './sandbox/index.js';

// Module authoring (docs/module-authoring.md): what `hotmod build` runs.
export { bundleModule, type BundleOptions, type BundleResult } from './runtime/index.js';

// The legacy bridge and the migrator (docs/legacy-bridge.md, docs/migration.md).
export {
  openStore,
  initLegacySchema,
  createLegacyApi,
  createLegacyBridge,
  ModuleSystemUnifier,
  LegacyBridgeErrorCode,
  DEFAULT_STORE_URL,
  type Store,
  type LegacyApi,
  type LegacyBridge,
  type ModuleUnificationResult,
  type UnifierWriteOptions,
  seedApi,
  SEED_API,
  type SeedApi,
  type SeedApiParts,
  type ClientMigrationProgress,
  ModuleDataMigrator,
  createModuleDataMigrator,
  loadCatalogView,
  MigrationErrorCode,
  type MigrationStrategy,
  type ClientMigrationPlan,
  type ModuleMigrationResult,
  type ModuleMigrationValidation,
  type ModuleMigrationProgress,
  type MigrationRunOptions,
  type MigrationRunReport,
} from './legacy-bridge/index.js';

// The fleet (docs/fleet.md): artifacts published to the store, and the fleet view.
export {
  publishArtifact,
  readArtifactDir,
  listArtifacts,
  type ArtifactInput,
  type ArtifactSummary,
  type PublishResult,
  type FleetView,
  type FleetHost,
  type HostServes,
  type ModuleServing,
} from './fleet/index.js';
export type { FleetHostOptions } from './runtime/index.js';
