// The registry's public surface inside hotmod: other parts import from here only.
export * from './types.js';
export { createCatalogView, routesOfPlan, bindingsOf, type CatalogRoutes } from './catalogView.js';
export { clientClosure, type ClientClosure, type ImplicitPull, type UnboundRequirement } from './clientClosure.js';
export { clientModuleSetOf } from './clientModuleSet.js';
export { planSwap, type HeldModule, type SwapPlan } from './planSwap.js';
export { ManifestErrorCode, CatalogErrorCode, ResolveErrorCode } from './errors.js';
export { validateManifest, MODULE_ID_PATTERN, CAPABILITY_NAME_PATTERN, LIMIT_MAXIMA, DEFAULT_MAIN, normalizeOrigin } from './validateManifest.js';
export { formatDiagnostic, manifestInvalidError, sortDiagnostics } from './diagnostics.js';
export { loadModulePackage } from './loadModulePackage.js';
export { scanCatalog, comparePackages } from './scanCatalog.js';
export { Catalog, type CatalogDelta, type CatalogRefusal } from './catalog.js';
export { createCapabilityRegistry, type CapabilityRegistry, type CapabilityProvider, type CapabilityMatch } from './capabilityRegistry.js';
export { resolvePlan } from './resolvePlan.js';
export { satisfies, type SatisfiesOptions } from './resolveIndex.js';
