/**
 * The manifest and catalog types: the registry's contract with the rest of hotmod.
 * Other parts import these through `src/registry/index.ts`, never by file.
 */

export type { Activation, Isolation, ModuleFetch, ModuleLimits, ModuleManifest, Permission } from '../manifest.js';
import type { ModuleManifest, Permission } from '../manifest.js';

export const PERMISSIONS: readonly Permission[] = ['log', 'timers', 'fetch'];

/** A module package found on disk: one folder directly inside the modules directory. */
export interface ModulePackage {
  readonly manifest: ModuleManifest;
  /** Absolute path of the package folder. */
  readonly dir: string;
  /** Absolute path of package.json. */
  readonly packageJsonPath: string;
  /** Absolute path of the entry (`main`), a self-contained ES module. */
  readonly entryPath: string;
  /** Absolute path of src/index.ts (or .js) when the package has sources; dev mode bundles it. */
  readonly srcEntryPath?: string;
  /** `${id}@${version}`: unique in a catalog. */
  readonly key: string;
}

/** One problem found in a package, with where it is and what to do. */
export interface ManifestDiagnostic {
  readonly code: string;
  /** The package folder. */
  readonly dir: string;
  /** The file the problem is in (usually package.json). */
  readonly file: string;
  /** JSON path inside the file, e.g. `$.hotmod.provides["billing.invoices"]`. */
  readonly jsonPath: string;
  readonly message: string;
  /** What the author should do. */
  readonly fix: string;
  readonly severity: 'error' | 'warning';
}

export interface CatalogScan {
  /** Valid packages, sorted by id then version (highest first): deterministic. */
  readonly packages: readonly ModulePackage[];
  /** Problems of the packages that were refused (and warnings of accepted ones). */
  readonly diagnostics: readonly ManifestDiagnostic[];
}

/** An immutable, versioned view of every package the catalog holds (all versions of every id). */
export interface CatalogSnapshot {
  /** Increases by one on every change that applied something. */
  readonly generation: number;
  /** Every package, sorted by id then version (highest first). */
  readonly packages: readonly ModulePackage[];
  /** Module ids, sorted. */
  readonly ids: readonly string[];
  /** The package with this `id@version` key. */
  get(key: string): ModulePackage | undefined;
  /** Every version of one id, highest first. */
  versions(id: string): readonly ModulePackage[];
}

/** One module of a resolution plan. */
export interface ResolvedModule {
  readonly id: string;
  readonly version: string;
  readonly pkg: ModulePackage;
  /** requires: capability -> the id of the module in the plan that serves it. */
  readonly bindings: Readonly<Record<string, string>>;
  /** optionalRequires: capability -> provider id, or null when no provider fits. */
  readonly optionalBindings: Readonly<Record<string, string | null>>;
  /** The manifest's dependsOn module ids, sorted. */
  readonly dependsOn: readonly string[];
  /** Modules in the plan that need this one (dependsOn or a required binding), sorted. Optional consumers are not listed. */
  readonly dependents: readonly string[];
}

export interface ResolvePlan {
  /** Activation order: every module comes after what it needs. */
  readonly modules: readonly ResolvedModule[];
  /** Module ids that may activate concurrently, level by level (each level sorted). */
  readonly levels: readonly (readonly string[])[];
  /** partial mode: what could not be resolved, and what needs it, each with its explanation. */
  readonly unresolved: readonly { readonly id: string; readonly error: import('../errors.js').HotmodError }[];
}

export interface ResolveOptions {
  /** Module ids to resolve; default: every id in the packages. */
  readonly request?: readonly string[];
  /** The host version engines.hotmod ranges are checked against. */
  readonly hostVersion: string;
  /** strict (default): throw when a requested module cannot be resolved. partial: report it in `unresolved`. */
  readonly mode?: 'strict' | 'partial';
  /** Give up (E_RESOLVE_TOO_COMPLEX) after this many backtracks; default 200,000. */
  readonly maxBacktracks?: number;
  /**
   * Pull in providers of optional requirements that nothing requested (default true). False
   * keeps the plan to the request and what it requires: optional bindings then name only
   * modules in the plan (how `hotmod resolve --client` shows one client's modules).
   */
  readonly pullOptionalProviders?: boolean;
  /**
   * The plan an earlier resolvePlan call returned for almost the same packages (a watcher
   * change, a swap). Only the modules the change can reach are resolved again; the answer is
   * the one a resolve from scratch gives (docs/resolver.md "Incremental resolution"). A plan
   * of other options, or one already passed on, is ignored (a resolve from scratch).
   */
  readonly previous?: ResolvePlan;
}
