/**
 * Cross-part contracts: the per-client configuration seam between the runtime (which
 * routes calls) and the sources that say which modules serve a client (a file, the
 * legacy `client_app_overrides` table, the registry's `hotmod_module_configs`).
 * Kept here, below both, so neither part imports the other's internals.
 */
import type { ModuleManifest } from './manifest.js';

/** One module as one client sees it: DESIGN.md "Per-client enablement". */
export interface UnifiedModuleConfig {
  moduleId: string;
  enabled: boolean;
  /** Pulled in because an enabled module requires it. */
  implicit?: boolean;
  legacyConfig?: {
    modulesEnabled: string[];
    themeOverrides?: object;
    consultationConfig?: object;
    planCatalogOverrides?: object;
  };
  advancedConfig?: {
    registryEntry: object;
    capabilities: string[];
    dependencies: string[];
    customSettings: object;
  };
  source: 'legacy' | 'registry' | 'unified';
  migratedAt?: Date;
  /** Coded warnings about this module for this client (bad legacy data, not runnable, …). */
  warnings?: { code: string; message: string }[];
}

/** What the config sources see of the catalog: the module versions the host runs now. */
export interface CatalogView {
  /** Increases on every catalog change. */
  readonly generation: number;
  /** The selected version of every module id, sorted by id. */
  modules(): readonly ModuleManifest[];
  get(moduleId: string): ModuleManifest | undefined;
  /** Resolves an id or a legacy id to the module id, or undefined. */
  resolveId(idOrLegacyId: string): string | undefined;
  /**
   * The routing table (docs/architecture.md "Routing table"): what the resolver bound the
   * module's requirements to, capability -> provider id (required and optional ones that
   * have a provider). Undefined for a module outside the plan (unresolved).
   */
  bindings(moduleId: string): Readonly<Record<string, string>> | undefined;
  /** Modules in the plan that provide `capability`, in the resolver's order (highest capability version, then id). */
  providers(capability: string): readonly string[];
}

/** A client's effective configuration: what the router checks on every call. */
export interface ClientModuleSet {
  readonly clientId: string;
  /** Module ids this client may call, implicit requirements included. */
  readonly enabled: ReadonlySet<string>;
  /** Per-module `customSettings`, handed to methods as `call.settings`. */
  readonly settings: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/**
 * The per-client seam. The router asks a source for a client's module set, caches the
 * answer (the only cache of it), and drops the entry when the source reports a change.
 */
export interface ConfigSource {
  readonly name: string;
  /** The client's modules merged over the catalog (UnifiedModuleConfig per module). */
  clientModules(clientId: string, catalog: CatalogView): Promise<UnifiedModuleConfig[]>;
  /**
   * What the router checks: the client's effective set (the registry's clientClosure) and
   * settings. Not cached by the source: the router holds the one client-set cache.
   */
  clientModuleSet(clientId: string, catalog: CatalogView): Promise<ClientModuleSet>;
  /** Subscribe to changes: a list of client ids, or 'all'. Returns an unsubscribe function. */
  onChange(listener: (clients: readonly string[] | 'all') => void): () => void;
  close?(): Promise<void>;
}
