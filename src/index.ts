// hotmod's public API. Only what embedding applications and module tooling use.
export { HotmodError, isHotmodError } from './errors.js';
export type { UnifiedModuleConfig, ConfigSource, CatalogView, ClientModuleSet } from './types.js';
export type { ModuleManifest, ModulePackage, ManifestDiagnostic, Permission } from './registry/index.js';
export { HOTMOD_VERSION } from './version.js';
export {
  ModuleDataMigrator,
  createModuleDataMigrator,
  MigrationErrorCode,
  type MigrationStrategy,
  type ClientMigrationPlan,
  type ModuleMigrationResult,
  type ModuleMigrationValidation,
  type ModuleMigrationProgress,
  type MigrationRunOptions,
  type MigrationRunReport,
} from './legacy-bridge/index.js';
export {
  createHost,
  createFileConfigSource,
  createAllEnabledConfigSource,
  RuntimeErrorCode,
  tokens,
  type Host,
  type HostOptions,
  type HostOverrides,
  type HostClient,
  type HostEvents,
  type ModuleStatus,
  type ModuleStateName,
  type InvokeOptions,
  type SwapResult,
  type HostMetricsSnapshot,
  type ModuleMetricsSnapshot,
  type Clock,
  type HotmodConfigFile,
} from './runtime/index.js';
