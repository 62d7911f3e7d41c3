/**
 * createHost: the composition root. A tsyringe child container per host holds every
 * part under a token (tokens.ts), so an embedding application can replace any of them;
 * the Host object wires the module table, the activation engine, the router, the swap
 * coordinator, the catalog reconciler, the config source and the watcher, and owns
 * start / stop as stored promises. Options live in hostOptions.ts, the catalog in
 * catalogReconciler.ts, the module graph in moduleGraph.ts, status and metrics in
 * hostStatus.ts.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { EventEmitter } from 'eventemitter3';
import { HotmodError } from '../errors.js';
import type { CatalogView, ConfigSource, UnifiedModuleConfig } from '../types.js';
import { createCatalogView, type ModulePackage, type ResolvePlan } from '../registry/index.js';
import type { SandboxFactory } from '../sandbox/index.js';
import { createIsolateSandboxFactory, createProcessSandboxFactory } from '../sandbox/index.js';
import { FleetErrorCode, readFleet, type FleetView, type RolloutApi } from '../fleet/index.js';
import { createLegacyBridge, DEFAULT_STORE_URL, LegacyBridgeErrorCode, normalizeClientId, type LegacyApi, type ModuleDataMigrator, type ModuleSystemUnifier } from '../legacy-bridge/index.js';
import { ActivationEngine } from './activationEngine.js';
import { CatalogReconciler, resolveCatalog } from './catalogReconciler.js';
import { CallMetrics, type HostMetricsSnapshot } from './callMetrics.js';
import { systemClock, type Clock } from './clock.js';
import { createAllEnabledConfigSource, createFileConfigSource, emptyModuleConfig } from './configSources.js';
import { RuntimeErrorCode } from './errors.js';
import { explainModule } from './explain/explainModule.js';
import type { Explanation } from './explain/facts.js';
import { FailureLog } from './explain/failureLog.js';
import { runtimeFactsOf } from './explain/runtimeFacts.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LIMITS, DEFAULT_RESTART, hostIdOf, makeLogger, normaliseHostOptions } from './hostOptions.js';
import { fleetOptionsOf, heldOutOf, HostFleet, servesOf } from './hostFleet.js';
import { hostMetrics, moduleStatuses, prometheusText } from './hostStatus.js';
import { ModuleTable } from './moduleTable.js';
import { Router } from './router.js';
import { SwapCoordinator } from './swapCoordinator.js';
import { RolloutAgent } from './rolloutAgent.js';
import {
  CLOCK,
  CONFIG_SOURCE,
  HOST_OPTIONS,
  ISOLATE_SANDBOX_FACTORY,
  LEGACY_BRIDGE_FACTORY,
  LOGGER,
  MODULE_CONFIG,
  PROCESS_SANDBOX_FACTORY,
  STORE,
  WATCHER_FACTORY,
} from './tokens.js';
import type {
  Host,
  HostClient,
  HostEvents,
  HostOptions,
  HostPhase,
  HostWatcher,
  InvokeOptions,
  LegacyBridgeFactory,
  LegacyBridgeParts,
  ModuleStatus,
  SwapResult,
} from './types.js';

const NO_CATALOG: CatalogView = createCatalogView([], 0);

/** Builds the host's child container with the default parts, then the caller's replacements. */
function composeContainer(options: HostOptions): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const o = options.overrides ?? {};
  c.register(HOST_OPTIONS, { useValue: options });
  c.register(LOGGER, { useValue: o.logger ?? makeLogger(options.logger) });
  c.register(CLOCK, { useValue: o.clock ?? systemClock });
  c.register(ISOLATE_SANDBOX_FACTORY, { useFactory: instanceCachingFactory(() => o.isolateSandboxFactory ?? createIsolateSandboxFactory()) });
  c.register(PROCESS_SANDBOX_FACTORY, {
    useFactory: instanceCachingFactory((cc) => {
      if (o.processSandboxFactory) return o.processSandboxFactory;
      const log = cc.resolve(LOGGER);
      return createProcessSandboxFactory({ logger: { log: (level, message, data) => log[level](data ?? {}, message) } });
    }),
  });
  if (o.configSource) c.register(CONFIG_SOURCE, { useValue: o.configSource });
  if (o.moduleConfig) c.register(MODULE_CONFIG, { useValue: o.moduleConfig });
  c.register(LEGACY_BRIDGE_FACTORY, { useValue: o.legacyBridge ?? defaultLegacyBridge });
  if (o.watcherFactory) c.register(WATCHER_FACTORY, { useValue: o.watcherFactory });
  options.register?.(c);
  return c;
}

export async function createHost(options: HostOptions): Promise<Host> {
  return new HotmodHost(normaliseHostOptions(options));
}

class HotmodHost implements Host {
  readonly #events = new EventEmitter<HostEvents>();
  readonly container: DependencyContainer;
  readonly #options: HostOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #metrics = new CallMetrics();
  readonly #failures = new FailureLog();
  #phase: HostPhase = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #table!: ModuleTable;
  #engine!: ActivationEngine;
  #router!: Router;
  #swaps!: SwapCoordinator;
  #reconciler: CatalogReconciler | undefined;
  #source!: ConfigSource;
  #unsubscribeSource: (() => void) | undefined;
  #bridge: LegacyBridgeParts | undefined;
  #watcher: HostWatcher | undefined;
  #fleet: HostFleet | undefined;
  #isolateFactory: SandboxFactory | undefined;
  #processFactory: SandboxFactory | undefined;
  #rollouts: RolloutAgent | undefined;

  constructor(options: HostOptions) {
    this.#options = options;
    this.container = composeContainer(options);
    this.#logger = this.container.resolve(LOGGER);
    this.#clock = this.container.resolve(CLOCK);
    // What host.explain says about a module's last failure, also after it recovered.
    const at = () => new Date(this.#clock.now()).toISOString();
    this.#events.on('module:failed', (e) => this.#failures.record({ moduleId: e.id, at: at(), code: e.code, message: e.reason, event: 'module:failed' }));
    this.#events.on('swap:failed', (e) => this.#failures.record({ moduleId: e.id, at: at(), code: e.code, message: e.reason, event: 'swap:failed' }));
  }

  on<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this {
    this.#events.on(event, listener as never);
    return this;
  }
  off<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this {
    this.#events.off(event, listener as never);
    return this;
  }
  once<E extends keyof HostEvents>(event: E, listener: HostEvents[E]): this {
    this.#events.once(event, listener as never);
    return this;
  }

  get phase(): HostPhase {
    return this.#phase;
  }

  get legacy(): LegacyApi | undefined {
    return this.#bridge?.legacy;
  }
  get unifier(): ModuleSystemUnifier | undefined {
    return this.#bridge?.unifier;
  }
  get migrator(): ModuleDataMigrator | undefined {
    return this.#bridge?.migrator;
  }

  start(): Promise<void> {
    if (this.#startPromise)
      return Promise.reject(
        new HotmodError(RuntimeErrorCode.HOST_ALREADY_STARTED, `host.start() was called twice for ${this.#options.modulesDir}; call start() once per host`, {
          modulesDir: this.#options.modulesDir,
        }),
      );
    this.#startPromise = this.#start();
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    this.#phase = 'starting';
    const o = this.#options;
    const c = this.container;
    this.#isolateFactory = c.resolve(ISOLATE_SANDBOX_FACTORY);
    // Sources: an explicit CONFIG_SOURCE, else the legacy bridge's, else hotmod.config.json, else everything enabled.
    // DESIGN.md's default store; 'none' opts out of the store and the legacy bridge.
    const store = o.store ?? DEFAULT_STORE_URL;
    if (store !== 'none') {
      // A store the embedding application registered under STORE replaces the URL (and stays theirs to close).
      const given = c.isRegistered(STORE) ? c.resolve(STORE) : undefined;
      this.#bridge = await c.resolve(LEGACY_BRIDGE_FACTORY)({
        store,
        ...(given !== undefined ? { openStore: given } : {}),
        logger: this.#logger,
        catalog: () => this.#catalog,
      });
      if (given === undefined) c.register(STORE, { useValue: this.#bridge.store });
    }
    const configFile = o.configFile === false ? undefined : (o.configFile ?? path.join(path.dirname(o.modulesDir), 'hotmod.config.json'));
    const fileSource = configFile !== undefined && (o.configFile !== undefined || existsSync(configFile)) ? createFileConfigSource(configFile, { watch: o.watch === true }) : undefined;
    this.#source = c.isRegistered(CONFIG_SOURCE) ? c.resolve(CONFIG_SOURCE) : (this.#bridge?.configSource ?? fileSource ?? createAllEnabledConfigSource());
    const moduleConfig = c.isRegistered(MODULE_CONFIG) ? c.resolve(MODULE_CONFIG) : (fileSource ?? emptyModuleConfig);
    if (fileSource && this.#source !== fileSource) void fileSource.close?.();

    const drainTimeoutMs = o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#table = new ModuleTable(this.#clock);
    this.#engine = new ActivationEngine(this.#table, {
      logger: this.#logger,
      clock: this.#clock,
      events: this.#events,
      isolateFactory: this.#isolateFactory,
      processFactory: () => (this.#processFactory ??= c.resolve(PROCESS_SANDBOX_FACTORY)),
      moduleConfig,
      defaultIsolation: o.isolation ?? 'isolate',
      defaultLimits: { ...DEFAULT_LIMITS, ...o.defaultLimits },
      fetch: o.fetch,
      restart: { ...DEFAULT_RESTART, ...o.restart },
      drainTimeoutMs,
      callCapability: (caller, call) => this.#router.callFromModule(caller, call),
      swapsSettled: (id) => this.#swaps.settled(id),
    });
    this.#router = new Router(this.#engine, this.#source, this.#metrics);
    this.#swaps = new SwapCoordinator({
      engine: this.#engine,
      events: this.#events,
      metrics: this.#metrics,
      clock: this.#clock,
      logger: this.#logger,
      drainTimeoutMs,
      onCatalogChanged: (changed) => reconciler.bumpCatalog([], [], changed),
    });
    if (o.rollouts) {
      // hostOptions.ts refuses rollouts with store 'none'; an application's own bridge may still lack one.
      const store = this.#bridge?.store;
      if (store === undefined)
        throw new HotmodError(FleetErrorCode.ROLLOUTS_DISABLED, `rollouts need a store: create the host with store 'postgres://…' (several hosts) or 'pglite://…', not 'none'`, {});
      const r = o.rollouts === true ? {} : o.rollouts;
      this.#rollouts = new RolloutAgent({
        store,
        hostId: hostIdOf(o),
        pollMs: r.pollIntervalMs ?? 1000,
        reportMs: r.reportIntervalMs ?? 1000,
        engine: this.#engine,
        swaps: this.#swaps,
        router: this.#router,
        metrics: this.#metrics,
        packages: (): ModulePackage[] => this.#reconciler?.packages() ?? [],
        events: this.#events,
        logger: this.#logger,
      });
      // Before the catalog loads: a host started mid-rollout must run the old version.
      await this.#rollouts.init();
    }
    const agent: RolloutAgent | undefined = this.#rollouts;
    const fleetOptions = fleetOptionsOf(o);
    const fleet = (this.#fleet = fleetOptions && new HostFleet(c.resolve(STORE), fleetOptions, this.#logger, this.#events));
    const reconciler = (this.#reconciler = new CatalogReconciler({
      modulesDir: o.modulesDir,
      engine: this.#engine,
      swaps: this.#swaps,
      router: this.#router,
      events: this.#events,
      logger: this.#logger,
      running: () => this.#phase === 'running',
      ...(agent || fleet ? { heldOut: () => heldOutOf(agent?.heldOut(), fleet?.staged(), agent?.released()) } : {}),
      ...(fleet ? { onShadowed: (folder, external) => fleet.onShadowed(folder, external) } : {}),
    }));
    this.#unsubscribeSource = this.#source.onChange((clients) => {
      this.#router.invalidate(clients);
      this.#events.emit('client:changed', { clients });
    });

    // A fleet member starts with the store's artifacts beside its directory (docs/fleet.md).
    const plan = await reconciler.load(fleet ? await fleet.loadArtifacts(() => reconciler, () => void agent?.tick()) : []);
    this.#router.accepting = this.#phase === 'starting';
    // Level by level: modules with no path between them activate concurrently.
    for (const level of plan.levels) {
      if (this.#phase !== 'starting') break;
      await Promise.allSettled(
        level
          .filter((id) => this.#table.get(id)?.pkg.manifest.activation === 'eager')
          .map((id) => this.#engine.ensureActive(id)),
      );
    }
    if (o.watch) {
      const factory = c.isRegistered(WATCHER_FACTORY) ? c.resolve(WATCHER_FACTORY) : await defaultWatcherFactory();
      this.#watcher = await factory({ modulesDir: o.modulesDir, logger: this.#logger, onEvent: (event) => reconciler.onWatchEvent(event) });
    }
    await fleet?.begin(() => servesOf(this.status(), agent?.lives()));
    if (this.#phase === 'starting') this.#phase = 'running';
    // Joins the rollouts at their current stage (candidates activate, routing follows).
    if (this.#rollouts && this.#phase === 'running') await this.#rollouts.begin();
  }

  get rollouts(): RolloutApi {
    if (this.#rollouts) return this.#rollouts.api;
    const refuse = () =>
      Promise.reject(
        new HotmodError(FleetErrorCode.ROLLOUTS_DISABLED, `this host runs without rollouts: create it with the option rollouts: true (and a store), or use hotmod rollout --store URL`, {}),
      );
    return { start: refuse, status: refuse, list: refuse, promote: refuse, pause: refuse, resume: refuse, abort: refuse };
  }

  get #catalog(): CatalogView {
    return this.#reconciler?.catalog ?? NO_CATALOG;
  }

  status(): ModuleStatus[] {
    if (!this.#table) return [];
    return moduleStatuses(this.#table, this.#metrics, this.#options.isolation ?? 'isolate');
  }

  async resolve(moduleIds?: readonly string[]): Promise<ResolvePlan> {
    return resolveCatalog(this.#options.modulesDir, this.#reconciler?.packages() ?? [], moduleIds);
  }

  client(clientId: string): HostClient {
    // One rule for client ids across hotmod: uuids (legacy clients, lower-cased) or plain ids.
    clientId = normalizeClientId(clientId, 'host.client');
    const host = this;
    return {
      clientId,
      invoke(capability: string, method: string, input?: unknown, options?: InvokeOptions) {
        if (host.#router === undefined) return Promise.reject(notStarted());
        return host.#router.invoke(clientId, capability, method, input, options);
      },
      async modules(): Promise<UnifiedModuleConfig[]> {
        if (host.#router === undefined) throw notStarted();
        return host.#source.clientModules(clientId, host.#catalog);
      },
    };
  }

  async explain(clientId: string, moduleId: string): Promise<Explanation> {
    if (this.#router === undefined) throw notStarted();
    clientId = normalizeClientId(clientId, 'host.explain');
    if (typeof moduleId !== 'string' || moduleId.length === 0 || moduleId.length > 214)
      throw new HotmodError(LegacyBridgeErrorCode.MODULE_ID_INVALID, `host.explain: module id '${String(moduleId).slice(0, 60)}' is not valid; use a module id (or legacy id) from host.status()`, { moduleId: String(moduleId).slice(0, 60) });
    const catalog = this.#catalog;
    // The bridge's rows when the bridge is the source (the view's rules can then be named); otherwise what the source answers.
    const bridge = this.#bridge;
    const config =
      bridge && this.#source === bridge.configSource
        ? { kind: 'bridge' as const, state: await bridge.unifier.getClientState(clientId) }
        : { kind: 'source' as const, name: this.#source.name, modules: await this.#source.clientModules(clientId, catalog) };
    const modules = new Map(this.#table.ids().map((id) => [id, runtimeFactsOf(this.#table.get(id)!)]));
    const rollout = this.#rollouts?.rolloutFact(catalog.resolveId(moduleId) ?? moduleId, clientId);
    return explainModule({ clientId, moduleId, catalog, config, runtime: { phase: this.#phase, modules, failures: this.#failures.list() }, ...(rollout ? { rollout } : {}) });
  }

  async swap(moduleId: string): Promise<SwapResult> {
    if (this.#phase !== 'running' && this.#phase !== 'starting') throw notStarted();
    if (!this.#table.has(moduleId))
      throw new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `swap: module '${moduleId}' is not in the running catalog; use an id from host.status()`, { moduleId });
    return this.#swaps.swap(moduleId);
  }

  async fleet(options: { staleAfter?: number } = {}): Promise<FleetView> {
    if (this.#fleet) return this.#fleet.view(options.staleAfter);
    const store = this.container.isRegistered(STORE) ? this.container.resolve(STORE) : undefined;
    if (!store)
      throw new HotmodError(FleetErrorCode.FLEET_NO_STORE, "host.fleet() needs the host's store: start the host first, with a store other than 'none' (and fleet: true to be in the view itself)", {});
    return readFleet(store, options);
  }

  metrics(): HostMetricsSnapshot {
    return hostMetrics(this.status(), this.#metrics);
  }

  prometheus(): Promise<string> {
    return prometheusText(this.status(), this.#metrics);
  }

  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<void> {
    const starting = this.#startPromise;
    this.#phase = 'stopping';
    // New client calls are refused from now on; calls in flight (and their nested hops) drain.
    if (this.#router) this.#router.accepting = false;
    if (starting) await starting.catch(() => {});
    if (this.#router) this.#router.accepting = false;
    // Reverse order of start: watcher, modules (deepest first), factories, sources, store.
    const steps: (() => Promise<unknown> | undefined)[] = [
      () => this.#rollouts?.stop(),
      () => this.#watcher?.close(),
      () => this.#fleet?.close(),
      () => this.#reconciler?.settled(),
      () => this.#engine?.stopAll(),
      () => this.#processFactory?.close?.(),
      () => this.#isolateFactory?.close?.(),
      () => (this.#unsubscribeSource?.(), this.#source?.close?.()),
      () => this.#bridge?.close(),
    ];
    for (const step of steps) {
      const [result] = await Promise.allSettled([Promise.resolve().then(step)]);
      if (result.status === 'rejected') this.#logger.error({ err: result.reason }, 'host stop: a step failed');
    }
    this.#phase = 'stopped';
  }
}

function notStarted(): HotmodError {
  return new HotmodError(RuntimeErrorCode.HOST_NOT_RUNNING, 'the host is not running: await host.start() first (and do not use it after stop())', {});
}

/** The default bridge: the store opens (and PGlite's WASM loads) only when a host starts with one. */
const defaultLegacyBridge: LegacyBridgeFactory = (context) =>
  createLegacyBridge({ store: context.openStore ?? context.store, catalog: context.catalog });

async function defaultWatcherFactory(): Promise<import('./types.js').WatcherFactory> {
  const { createHostWatcherFactory } = await import('./watcherAdapter.js');
  return createHostWatcherFactory();
}
