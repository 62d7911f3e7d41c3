// hotmod's public API. Only what embedding applications and module tooling use.
export { HotmodError, isHotmodError } from './errors.js';
export type { UnifiedModuleConfig, ConfigSource, CatalogView, ClientModuleSet } from './types.js';
export type { ModuleManifest, ModulePackage, ManifestDiagnostic, Permission } from './registry/index.js';
export { HOTMOD_VERSION } from './version.js';
