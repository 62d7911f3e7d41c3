/**
 * The module manifest types: part of the shared kernel, as the cross-part contracts in
 * src/types.ts name them. The registry validates manifests and re-exports these types
 * (src/registry/types.ts), so other parts keep importing them from src/registry/index.ts.
 */

/** Host APIs a module may be granted; anything not granted is absent inside its sandbox. */
export type Permission = 'log' | 'timers' | 'fetch';

/** `hotmod.fetch`: what the `fetch` permission may reach. */
export interface ModuleFetch {
  /** Allowed origins, normalized (`https://api.example.com`), sorted, without duplicates. */
  readonly origins: readonly string[];
}

export type Activation = 'eager' | 'lazy';
export type Isolation = 'isolate' | 'process';

export interface ModuleLimits {
  memoryMb?: number;
  callTimeoutMs?: number;
  activateTimeoutMs?: number;
}

/** A validated `hotmod` manifest with every optional field filled with its default. */
export interface ModuleManifest {
  /** `[a-z0-9][a-z0-9._-]*`, unique in a catalog; the id legacy lists use. */
  readonly id: string;
  /** package.json `name`. */
  readonly packageName: string;
  /** package.json `version` (exact semver). */
  readonly version: string;
  /** package.json `main`, relative to the package folder. */
  readonly main: string;
  /** `engines.hotmod` range, or undefined when the package does not say. */
  readonly engines: { readonly hotmod?: string };
  readonly legacyIds: readonly string[];
  /** capability name -> exact version implemented. */
  readonly provides: Readonly<Record<string, string>>;
  /** capability name -> semver range. */
  readonly requires: Readonly<Record<string, string>>;
  readonly optionalRequires: Readonly<Record<string, string>>;
  /** module id -> semver range of that module's version. */
  readonly dependsOn: Readonly<Record<string, string>>;
  readonly activation: Activation;
  /** undefined: the host's default isolation applies. */
  readonly isolation?: Isolation;
  readonly permissions: readonly Permission[];
  /** Present when the manifest has a `fetch` field (required with the `fetch` permission). */
  readonly fetch?: ModuleFetch;
  readonly limits: Readonly<ModuleLimits>;
  readonly configSchema?: Readonly<Record<string, unknown>>;
  readonly defaultEnabled: boolean;
}
