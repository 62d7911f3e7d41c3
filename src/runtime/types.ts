/**
 * The host's public types: options, the Host API (DESIGN.md "The host API"), module
 * status and the events. Internal collaborator interfaces are marked @internal.
 */
import type { LegacyApi, ModuleDataMigrator, ModuleSystemUnifier, Store } from '../legacy-bridge/index.js';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { ConfigSource, UnifiedModuleConfig } from '../types.js';
import type { Activation, Isolation, ManifestDiagnostic, ResolvePlan } from '../registry/index.js';
import type { SandboxFactory } from '../sandbox/index.js';
import type { FleetView } from '../fleet/index.js';
import type { Clock } from './clock.js';
import type { ModuleMetricsSnapshot, HostMetricsSnapshot } from './callMetrics.js';
import type { ModuleWatchEvent } from './watchEvents.js';
import type { Explanation } from './explain/facts.js';
import type { RolloutApi, RolloutStateName } from '../fleet/index.js';

/** The host's part in rollouts across hosts sharing one PostgreSQL (docs/rollouts.md). */
export interface HostRolloutOptions {
  /** This host's name in health rows and the rollout history. Default: `<hostname>:<pid>`. */
  hostId?: string;
  /** How often the host reads the rollout records and decides (besides NOTIFY). Default 1000 ms. */
  pollIntervalMs?: number;
  /** How often the host writes its health counts. Default 1000 ms. */
  reportIntervalMs?: number;
}

export interface HostLimits {
  memoryMb?: number;
  callTimeoutMs?: number;
  activateTimeoutMs?: number;
  deactivateTimeoutMs?: number;
}

/** The host's word on modules' `fetch` (permission "fetch"); docs/runtime.md. */
export interface HostFetchOptions {
  /** The operator's allow-list: a module reaches the origins of its manifest that are also here. Absent: the manifest's list as is. */
  allowOrigins?: string[];
  /** Budget of one fetch, redirects and body included. Default 10000 ms. */
  timeoutMs?: number;
  /** Largest response body in bytes. Default 4 MiB. */
  maxResponseBytes?: number;
  /** Most redirects followed (each to an allowed origin). Default 5. */
  maxRedirects?: number;
}

export interface RestartPolicy {
  /** Restarts allowed within `windowMs` before the module stays failed. Default 3. */
  maxRestarts?: number;
  /** First delay; doubled on each further failure in the window. Default 200 ms. */
  baseDelayMs?: number;
  /** Upper bound of one delay. Default 10 s. */
  maxDelayMs?: number;
  /** The crash budget window. Default 5 minutes. */
  windowMs?: number;
}

/** Typed replacements for the host's parts (the same as registering under the tokens). */
export interface HostOverrides {
  logger?: Logger;
  clock?: Clock;
  configSource?: ConfigSource;
  moduleConfig?: ModuleConfigProvider;
  isolateSandboxFactory?: SandboxFactory;
  processSandboxFactory?: SandboxFactory;
  legacyBridge?: LegacyBridgeFactory;
  watcherFactory?: WatcherFactory;
}

/** A host's part in the fleet on its store (docs/fleet.md). */
export interface FleetHostOptions {
  /** Serve the artifacts published to the store (`hotmod publish`) beside modulesDir. Default true. */
  artifacts?: boolean;
  /** Where stored artifacts are written out as package folders. Default `<modulesDir>/../.hotmod/artifacts`. */
  cacheDir?: string;
  /** The fallback poll of the artifact table (NOTIFY is the fast path). Default 5000 ms. */
  pollMs?: number;
  /** Heartbeat interval of the fleet view. Default 2000 ms. */
  heartbeatMs?: number;
  /** This host's id in the fleet view. Default `<hostname>:<pid>`. */
  hostId?: string;
}

export interface HostOptions {
  /** The modules directory: one package folder per module. */
  modulesDir: string;
  /**
   * Where per-client configuration lives (the legacy bridge's store): 'pglite://PATH'
   * (default 'pglite://.hotmod/db', relative to the working directory), 'postgres://…',
   * 'memory' (in-memory PGlite, for tests and demos), or 'none': no store and no legacy
   * bridge; clients then come from hotmod.config.json, else every module is enabled.
   */
  store?: string;
  /**
   * Join the fleet on the store (docs/fleet.md): serve the union of modulesDir and the
   * store's published artifacts (new ones arrive by LISTEN/NOTIFY), and heartbeat into the
   * fleet view. `true` takes the defaults. Needs a store (not 'none'). Default off.
   */
  fleet?: boolean | FleetHostOptions;
  /** Hot reload (chokidar); `hotmod dev` turns it on. Default false. */
  watch?: boolean;
  /** hotmod.config.json (per-client lists and module-level config). Default: `<modulesDir>/../hotmod.config.json` when it exists. */
  configFile?: string | false;
  /** Default isolation of modules whose manifest does not say. Default 'isolate'. */
  isolation?: Isolation;
  /** Host defaults for module limits (architecture.md "Host defaults"). */
  defaultLimits?: HostLimits;
  /** Modules' `fetch`: the operator's allow-list of origins, timeout, response-size cap. */
  fetch?: HostFetchOptions;
  restart?: RestartPolicy;
  /**
   * Staged rollouts across the hosts sharing this store (docs/rollouts.md): `true` or options.
   * Needs a store ('postgres://…' for several hosts; PGlite for one). Default off.
   */
  rollouts?: boolean | HostRolloutOptions;
  /** Budget for draining in-flight calls at stop / unload. Default 5000 ms. */
  drainTimeoutMs?: number;
  /** A pino logger, or a level for the host's own logger. Default: silent. */
  logger?: Logger | 'silent' | 'error' | 'warn' | 'info' | 'debug';
  overrides?: HostOverrides;
  /** Last word on the container: register anything under the tokens of src/runtime/tokens.ts. */
  register?(container: DependencyContainer): void;
}

/**
 * A module's lifecycle state as data (DESIGN.md "Lifecycle"). `failed` and `unresolved`
 * carry their reason; `failed` may carry a scheduled restart.
 */
export type ModuleStateName =
  | 'discovered'
  | 'resolved'
  | 'activating'
  | 'active'
  | 'deactivating'
  | 'inactive'
  | 'failed'
  | 'unresolved';

export interface ModuleStatus {
  /** The module id; for a rollout's new version running beside the module, `id@version` (docs/rollouts.md). */
  id: string;
  version: string;
  /** Set on a rollout's candidate: the module whose new version this is (it serves the clients its rollout picks). */
  candidateOf?: string;
  state: ModuleStateName;
  /** Why the module is failed or unresolved. */
  reason?: string;
  /** Error code of the failure, when there is one. */
  code?: string;
  activation: Activation;
  isolation: Isolation;
  provides: Record<string, string>;
  requires: Record<string, string>;
  /** capability -> providing module id, as resolved. */
  bindings: Record<string, string>;
  dir: string;
  activatedAt?: string;
  activationMs?: number;
  restarts: number;
  /** When a restart is scheduled (failed with backoff). */
  nextRestartAt?: string;
  /** Failed and not restarted: it crashed more often than the restart policy allows within its window. */
  quarantined?: boolean;
  stateful: boolean;
  /** True while a stateful swap holds this module's new calls. */
  holdingCalls: boolean;
  metrics: ModuleMetricsSnapshot;
}

export interface ModuleEvent {
  id: string;
  version: string;
}

export interface HostEvents {
  'module:discovered': (e: ModuleEvent & { dir: string }) => void;
  'module:activated': (e: ModuleEvent & { durationMs: number; restart: number }) => void;
  'module:deactivated': (e: ModuleEvent & { reason: 'stop' | 'unload' | 'swap' }) => void;
  'module:failed': (e: ModuleEvent & { code: string; reason: string; error: Error; willRestart: boolean; quarantined: boolean; attempt: number; delayMs?: number }) => void;
  'module:swapped': (e: { id: string; from: string; to: string; stateful: boolean; durationMs: number; heldCalls: number }) => void;
  'swap:failed': (e: { id: string; from: string; to?: string; code: string; reason: string; error: Error }) => void;
  'catalog:changed': (e: { generation: number; added: string[]; removed: string[]; changed: string[] }) => void;
  'client:changed': (e: { clients: readonly string[] | 'all' }) => void;
  /** A rollout's record moved on (a stage, a pause, promotion, completion, abort or automatic rollback with its reason), as this host applied it. */
  'rollout:changed': (e: { rolloutId: string; moduleId: string; version: string; state: RolloutStateName; percent: number; stage?: number; reason?: string }) => void;
  /** A watcher diagnostic: a broken edit (the old version serves on), a rebuild error. */
  'module:diagnostic': (e: { id?: string; dir: string; code: string; message: string; diagnostics: readonly ManifestDiagnostic[] }) => void;
}

export interface InvokeOptions {
  /** Per-call timeout; default the provider's callTimeoutMs. */
  timeoutMs?: number;
  /** Correlates logs and nested calls; generated when absent. */
  requestId?: string;
}

export interface HostClient {
  readonly clientId: string;
  invoke(capability: string, method: string, input?: unknown, options?: InvokeOptions): Promise<unknown>;
  /** UnifiedModuleConfig[] for this client, from the config source. */
  modules(): Promise<UnifiedModuleConfig[]>;
}

export interface SwapResult {
  id: string;
  from: string;
  to: string;
  stateful: boolean;
  durationMs: number;
  /** True when nothing changed on disk and the swap was skipped as superseded. */
  skipped?: boolean;
}

/** Where the host is in its lifecycle: idle -> starting -> running -> stopping -> stopped. */
export type HostPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface Host {
  /** The host's lifecycle phase (our addition to DESIGN's API: health checks read it). */
  readonly phase: HostPhase;
  start(): Promise<void>;
  status(): ModuleStatus[];
  /**
   * A plan in activation order over the catalog on disk (partial: what cannot be resolved
   * is listed in `unresolved`, each with the resolver's explanation).
   */
  resolve(moduleIds?: readonly string[]): Promise<ResolvePlan>;
  client(clientId: string): HostClient;
  swap(moduleId: string): Promise<SwapResult>;
  /**
   * Why module `moduleId` (an id or a legacy id) serves client `clientId` or not, and which
   * version: the chain of facts (docs/legacy-bridge.md "Explanations"). Reads the client's
   * rows now; never throws for an unknown module (the chain says there is no package).
   */
  explain(clientId: string, moduleId: string): Promise<Explanation>;
  /** Staged rollouts (start, status, list, promote, pause, resume, abort); E_ROLLOUTS_DISABLED without the `rollouts` option. */
  readonly rollouts: RolloutApi;
  on<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this;
  off<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this;
  once<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this;
  metrics(): HostMetricsSnapshot;
  prometheus(): Promise<string>;
  /** The legacy API over client_app_overrides (undefined with store 'none', or before start()). */
  readonly legacy: LegacyApi | undefined;
  /** The unifier of the two configuration systems (undefined with store 'none', or before start()). */
  readonly unifier: ModuleSystemUnifier | undefined;
  /** The migrator from legacy lists to registry rows (undefined with store 'none', or before start()). */
  readonly migrator: ModuleDataMigrator | undefined;
  /**
   * Every host with a heartbeat in this host's store (docs/fleet.md "Fleet view"): what each
   * serves, stale ones marked (no heartbeat for `staleAfter` intervals, default 3).
   * E_FLEET_NO_STORE with store 'none'.
   */
  fleet(options?: { staleAfter?: number }): Promise<FleetView>;
  /** The host's container (advanced: resolve a part by its token). */
  readonly container: DependencyContainer;
  stop(): Promise<void>;
}

/** @internal Module-level configuration (ctx.config) by module id. */
export interface ModuleConfigProvider {
  get(moduleId: string): unknown;
}

/**
 * @internal What the legacy bridge hands the host once wired (createLegacyBridge's
 * `LegacyBridge` fits): host.legacy / unifier / migrator, the store registered under
 * STORE, the ConfigSource the host serves from, and `close` (called at stop).
 */
export interface LegacyBridgeParts {
  store: Store;
  legacy: LegacyApi;
  unifier: ModuleSystemUnifier;
  migrator: ModuleDataMigrator;
  configSource: ConfigSource;
  close(): Promise<void>;
}

/** @internal */
export interface HostWatcher {
  close(): Promise<void>;
  /** Resolves when no change is pending (tests, `hotmod dev`). */
  idle?(): Promise<void>;
}

/**
 * @internal Creates the module-folder watcher for `watch: true` (src/runtime/watcher.ts):
 * it reports typed events (watchEvents.ts) to `onEvent`, one folder at a time, waiting
 * for the returned promise before the next event of that folder.
 */
export type WatcherFactory = (options: {
  modulesDir: string;
  logger: Logger;
  onEvent(event: ModuleWatchEvent): Promise<void>;
}) => Promise<HostWatcher>;

/** @internal Builds the legacy bridge (store, legacy API, unifier, migrator, its ConfigSource). */
export type LegacyBridgeFactory = (context: {
  /** The `store` option (a URL or 'memory'). */
  store: string;
  /** A store the embedding application registered under the STORE token: use it instead of opening `store`, and do not close it. */
  openStore?: Store;
  logger: Logger;
  /** The running catalog as config sources see it. */
  catalog(): import('../types.js').CatalogView;
}) => Promise<LegacyBridgeParts>;
