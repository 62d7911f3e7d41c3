/**
 * createHost: the composition root. A tsyringe child container per host holds every
 * part under a token (tokens.ts), so an embedding application can replace any of them;
 * the Host object wires the activation engine, the router, the swap coordinator, the
 * config source and the watcher, and owns start / stop as stored promises.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { pino, type Logger } from 'pino';
import { EventEmitter } from 'eventemitter3';
import { HotmodError } from '../errors.js';
import type { CatalogView, ConfigSource, UnifiedModuleConfig } from '../types.js';
import { createCatalogView, resolvePlan, scanCatalog, type ModulePackage, type ResolvePlan } from '../registry/index.js';
import type { SandboxFactory } from '../sandbox/types.js';
import { checkHostFetch } from './fetchPolicy.js';
import { createIsolateSandboxFactory, createProcessSandboxFactory, durationRule, isDuration } from '../sandbox/index.js';
import { createLegacyBridge, DEFAULT_STORE_URL, normalizeClientId, type LegacyApi, type ModuleDataMigrator, type ModuleSystemUnifier } from '../legacy-bridge/index.js';
import { HOTMOD_VERSION } from '../version.js';
import { ActivationEngine } from './activationEngine.js';
import { CallMetrics, type HostMetricsSnapshot } from './callMetrics.js';
import { systemClock, type Clock } from './clock.js';
import { createAllEnabledConfigSource, createFileConfigSource, emptyModuleConfig } from './configSources.js';
import { RuntimeErrorCode } from './errors.js';
import { ModuleRecord } from './moduleRecord.js';
import { describeState } from './moduleState.js';
import { planCatalog, type CatalogPlan } from './planCatalog.js';
import { Router } from './router.js';
import { SwapCoordinator } from './swapCoordinator.js';
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
  HostLimits,
  HostOptions,
  HostPhase,
  HostWatcher,
  InvokeOptions,
  LegacyBridgeFactory,
  LegacyBridgeParts,
  ModuleStatus,
  RestartPolicy,
  SwapResult,
} from './types.js';
import { assertNeverWatchEvent, type ModuleWatchEvent } from './watchEvents.js';

const DEFAULT_LIMITS: Required<HostLimits> = { memoryMb: 64, callTimeoutMs: 1000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 };
const DEFAULT_RESTART: Required<RestartPolicy> = { maxRestarts: 3, baseDelayMs: 200, maxDelayMs: 10_000, windowMs: 5 * 60_000 };


function invalid(reason: string, details: Record<string, unknown> = {}): HotmodError {
  return new HotmodError(RuntimeErrorCode.HOST_OPTIONS_INVALID, `createHost: ${reason}; see docs/runtime.md for the options`, details);
}

function normalise(options: HostOptions): HostOptions {
  if (!options || typeof options.modulesDir !== 'string' || options.modulesDir === '') throw invalid('option "modulesDir" (the modules directory) is required');
  if (options.isolation !== undefined && options.isolation !== 'isolate' && options.isolation !== 'process')
    throw invalid(`option "isolation" must be 'isolate' or 'process', got '${String(options.isolation)}'`);
  if (options.store !== undefined && (typeof options.store !== 'string' || options.store === ''))
    throw invalid(`option "store" must be a URL ('pglite://PATH', 'postgres://…'), 'memory' or 'none', got ${JSON.stringify(options.store)}`);
  for (const [k, v] of Object.entries(options.defaultLimits ?? {}))
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw invalid(`defaultLimits.${k} must be a positive number, got ${String(v)}`);
    // Durations beyond Node's timer range would fire at once.
    else if (k.endsWith('Ms') && !isDuration(v)) throw invalid(`defaultLimits.${k} ${durationRule(v)}`);
  if (options.drainTimeoutMs !== undefined && !isDuration(options.drainTimeoutMs)) throw invalid(`drainTimeoutMs ${durationRule(options.drainTimeoutMs)}`);
  const fetch = checkHostFetch(options.fetch, (reason) => invalid(reason));
  return { ...options, modulesDir: path.resolve(options.modulesDir), ...(fetch === undefined ? {} : { fetch }) };
}

function makeLogger(option: HostOptions['logger']): Logger {
  if (option !== undefined && typeof option === 'object') return option;
  return pino({ name: 'hotmod', level: option ?? process.env.HOTMOD_LOG_LEVEL ?? 'silent' });
}

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
  return new HotmodHost(normalise(options));
}

class HotmodHost implements Host {
  readonly #events = new EventEmitter<HostEvents>();
  readonly container: DependencyContainer;
  readonly #options: HostOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #metrics = new CallMetrics();
  #phase: HostPhase = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #engine!: ActivationEngine;
  #router!: Router;
  #swaps!: SwapCoordinator;
  #source!: ConfigSource;
  #unsubscribeSource: (() => void) | undefined;
  #bridge: LegacyBridgeParts | undefined;
  #watcher: HostWatcher | undefined;
  #isolateFactory: SandboxFactory | undefined;
  #processFactory: SandboxFactory | undefined;
  /** Every valid package found (any number of versions per id), by folder. */
  readonly #packages = new Map<string, ModulePackage>();
  #generation = 0;
  #catalog: CatalogView = createCatalogView([], 0);
  /** Reconciliations (watcher add / remove) run one at a time. */
  #catalogQueue: Promise<unknown> = Promise.resolve();

  constructor(options: HostOptions) {
    this.#options = options;
    this.container = composeContainer(options);
    this.#logger = this.container.resolve(LOGGER);
    this.#clock = this.container.resolve(CLOCK);
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

    this.#engine = new ActivationEngine({
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
      drainTimeoutMs: o.drainTimeoutMs ?? 5000,
      callCapability: (caller, call) => this.#router.callFromModule(caller, call),
    });
    this.#router = new Router(this.#engine, this.#source, this.#metrics);
    this.#swaps = new SwapCoordinator({
      engine: this.#engine,
      events: this.#events,
      metrics: this.#metrics,
      clock: this.#clock,
      logger: this.#logger,
      drainTimeoutMs: o.drainTimeoutMs ?? 5000,
      onCatalogChanged: (changed) => this.#bumpCatalog([], [], changed),
    });
    this.#unsubscribeSource = this.#source.onChange((clients) => {
      this.#router.invalidate(clients);
      this.#events.emit('client:changed', { clients });
    });

    const scan = await scanCatalog(o.modulesDir);
    for (const d of scan.diagnostics)
      if (d.severity === 'error') this.#logger.warn({ dir: d.dir, code: d.code, jsonPath: d.jsonPath }, `${d.message} (${d.fix})`);
    for (const pkg of scan.packages) {
      this.#packages.set(pkg.dir, pkg);
      this.#events.emit('module:discovered', { id: pkg.manifest.id, version: pkg.manifest.version, dir: pkg.dir });
    }
    const plan = await this.#applyPlan();
    this.#bumpCatalog([...this.#engine.records.keys()], [], []);
    this.#router.accepting = this.#phase === 'starting';
    // Level by level: modules with no path between them activate concurrently.
    for (const level of plan.levels) {
      if (this.#phase !== 'starting') break;
      await Promise.allSettled(
        level
          .map((id) => this.#engine.records.get(id))
          .filter((r): r is ModuleRecord => r !== undefined && r.pkg.manifest.activation === 'eager')
          .map((r) => this.#engine.ensureActive(r)),
      );
    }
    if (o.watch) {
      const factory = c.isRegistered(WATCHER_FACTORY) ? c.resolve(WATCHER_FACTORY) : await defaultWatcherFactory();
      this.#watcher = await factory({ modulesDir: o.modulesDir, logger: this.#logger, onEvent: (event) => this.#onWatchEvent(event) });
    }
    if (this.#phase === 'starting') this.#phase = 'running';
  }

  /**
   * Resolves the current packages and brings the records in line: new ids get records,
   * newly unresolved ones are unloaded with the reason, newly resolved ones activate
   * (eager). Active modules keep their bindings: a running graph is never rewired.
   */
  async #applyPlan(): Promise<CatalogPlan> {
    const packages = [...this.#packages.values()];
    const plan = planCatalog(packages, HOTMOD_VERSION);
    const records = this.#engine.records;
    for (const m of plan.modules) {
      const existing = records.get(m.id);
      if (existing === undefined) {
        records.set(m.id, Object.assign(new ModuleRecord(m.pkg, m.bindings, m.optionalBindings, m.dependsOn), { state: { name: 'resolved' } as const }));
      } else if (existing.state.name === 'unresolved' || existing.state.name === 'discovered' || existing.state.name === 'inactive') {
        // Unresolved until now, or unloaded with a provider that another folder replaces: bind afresh.
        existing.pkg = m.pkg;
        existing.bindings = m.bindings;
        existing.optionalBindings = m.optionalBindings;
        existing.dependsOn = m.dependsOn;
        existing.state = { name: 'resolved' };
      }
    }
    for (const u of plan.unresolved) {
      const error = u.error as HotmodError;
      const pkg = packages.find((p) => p.manifest.id === u.id);
      const existing = records.get(u.id);
      if (existing === undefined) {
        if (!pkg) continue;
        const r = new ModuleRecord(pkg, {}, {}, []);
        r.state = { name: 'unresolved', error };
        records.set(u.id, r);
      } else {
        // Newly unresolved (a provider went away): drain and unload it first, then record why.
        if (existing.serving !== undefined || existing.state.name === 'activating') await this.#engine.deactivate(existing, 'unload').catch(() => {});
        existing.generation++;
        existing.state = { name: 'unresolved', error };
        existing.serving = undefined;
      }
    }
    return plan;
  }

  #bumpCatalog(added: string[], removed: string[], changed: string[]): void {
    this.#generation++;
    this.#catalog = createCatalogView(
      [...this.#engine.records.values()].map((r) => r.pkg.manifest),
      this.#generation,
    );
    this.#router.setCatalog(this.#catalog);
    this.#events.emit('catalog:changed', { generation: this.#generation, added, removed, changed });
  }

  /** The watcher's typed protocol; one folder at a time (the watcher awaits us). */
  async #onWatchEvent(event: ModuleWatchEvent): Promise<void> {
    if (this.#phase !== 'running') return;
    switch (event.type) {
      case 'added':
        await this.#serial(() => this.#addPackage(event.pkg));
        return;
      case 'changed': {
        const record = this.#engine.records.get(event.pkg.manifest.id);
        // Not running from this folder, or unresolved: nothing to hand over from; resolve again.
        if (record === undefined || record.pkg.dir !== event.dir || record.state.name === 'unresolved') {
          this.#packages.set(event.dir, event.pkg);
          await this.#serial(async () => this.#reconcile([], [], [event.pkg.manifest.id]));
          return;
        }
        try {
          await this.#swaps.swap(record, event.pkg);
          this.#packages.set(event.dir, event.pkg);
        } catch {
          // swap:failed was emitted with the reason; the old version serves on.
        }
        return;
      }
      case 'removed':
        await this.#serial(() => this.#removeFolder(event.dir));
        return;
      case 'invalid':
      case 'build-failed':
        this.#events.emit('module:diagnostic', {
          ...(event.moduleId ? { id: event.moduleId } : {}),
          dir: event.dir,
          code: event.error.code,
          message: event.error.message,
          diagnostics: event.type === 'invalid' ? event.diagnostics : [],
        });
        return;
      default:
        assertNeverWatchEvent(event);
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#catalogQueue.then(work);
    this.#catalogQueue = run.catch(() => {});
    return run;
  }

  async #reconcile(added: string[], removed: string[], changed: string[]): Promise<void> {
    const plan = await this.#applyPlan();
    this.#bumpCatalog(added, removed, changed);
    const eager = plan.modules
      .map((m) => this.#engine.records.get(m.id)!)
      .filter((r) => r.state.name === 'resolved' && r.pkg.manifest.activation === 'eager');
    await Promise.allSettled(eager.map((r) => this.#engine.ensureActive(r)));
  }

  async #addPackage(pkg: ModulePackage): Promise<void> {
    this.#packages.set(pkg.dir, pkg);
    this.#events.emit('module:discovered', { id: pkg.manifest.id, version: pkg.manifest.version, dir: pkg.dir });
    await this.#reconcile([pkg.manifest.id], [], []);
  }

  async #removeFolder(dir: string): Promise<void> {
    const pkg = this.#packages.get(dir);
    this.#packages.delete(dir);
    if (!pkg) return;
    const id = pkg.manifest.id;
    const record = this.#engine.records.get(id);
    const stillHasId = [...this.#packages.values()].some((p) => p.manifest.id === id);
    if (record && record.pkg.dir === dir) {
      // Reverse order: what requires the module unloads first (deepest dependents first), so
      // no running dependent is left calling a provider that is gone; then the module itself.
      for (const dependent of this.#dependentsOf(id)) await this.#engine.deactivate(dependent, 'unload');
      await this.#engine.deactivate(record, 'unload');
      this.#engine.records.delete(id);
    }
    await this.#reconcile([], stillHasId ? [] : [id], []);
  }

  /** Records that require `id` (bindings or dependsOn), directly or transitively, deepest first. */
  #dependentsOf(id: string): ModuleRecord[] {
    const found = new Set<string>([id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of this.#engine.records.values()) {
        if (found.has(r.id) || r.state.name === 'unresolved') continue;
        if (r.requiredModules().some((dep) => found.has(dep))) {
          found.add(r.id);
          grew = true;
        }
      }
    }
    found.delete(id);
    return [...found].map((d) => this.#engine.records.get(d)!).sort((a, b) => this.#engine.depthOf(b) - this.#engine.depthOf(a));
  }

  status(): ModuleStatus[] {
    if (!this.#engine) return [];
    const out: ModuleStatus[] = [];
    for (const id of [...this.#engine.records.keys()].sort()) {
      const r = this.#engine.records.get(id)!;
      const m = r.pkg.manifest;
      const { reason, code } = describeState(r.state);
      const sm = r.serving?.sandbox.metrics();
      out.push({
        id,
        version: m.version,
        state: r.state.name,
        ...(reason !== undefined ? { reason } : {}),
        ...(code !== undefined ? { code } : {}),
        ...(r.state.name === 'failed' && r.state.quarantine ? { quarantined: true } : {}),
        activation: m.activation,
        isolation: m.isolation ?? this.#options.isolation ?? 'isolate',
        provides: { ...m.provides },
        requires: { ...m.requires },
        bindings: { ...r.bindings, ...r.optionalBindings },
        dir: r.pkg.dir,
        ...(r.serving ? { activatedAt: new Date(r.serving.activatedAt).toISOString() } : {}),
        ...(r.activationMs !== undefined ? { activationMs: r.activationMs } : {}),
        restarts: r.restarts,
        ...(r.state.name === 'failed' && r.state.restartAt !== undefined ? { nextRestartAt: new Date(r.state.restartAt).toISOString() } : {}),
        stateful: r.serving?.stateful ?? false,
        holdingCalls: r.gate !== undefined,
        metrics: this.#metrics.module(id, sm && { heapUsedBytes: sm.heapUsedBytes, heapLimitBytes: sm.heapLimitBytes, cpuTimeNs: sm.cpuTimeNs }),
      });
    }
    return out;
  }

  async resolve(moduleIds?: readonly string[]): Promise<ResolvePlan> {
    const packages = this.#packages.size ? [...this.#packages.values()] : (await scanCatalog(this.#options.modulesDir)).packages;
    return resolvePlan(packages, { ...(moduleIds ? { request: [...moduleIds] } : {}), hostVersion: HOTMOD_VERSION, mode: 'partial' });
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

  async swap(moduleId: string): Promise<SwapResult> {
    if (this.#phase !== 'running' && this.#phase !== 'starting') throw notStarted();
    const record = this.#engine.records.get(moduleId);
    if (record === undefined)
      throw new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `swap: module '${moduleId}' is not in the running catalog; use an id from host.status()`, { moduleId });
    return this.#swaps.swap(record);
  }

  metrics(): HostMetricsSnapshot {
    const modules: HostMetricsSnapshot['modules'] = {};
    for (const s of this.status()) {
      modules[s.id] = { ...s.metrics, state: s.state, version: s.version, restarts: s.restarts, ...(s.activationMs !== undefined ? { activationMs: s.activationMs } : {}) };
    }
    return { modules, swaps: { ...this.#metrics.swaps } };
  }

  prometheus(): Promise<string> {
    return this.#metrics.prometheus(
      this.status().map((s) => ({
        id: s.id,
        version: s.version,
        state: s.state,
        ...(s.metrics.heapUsedBytes !== undefined
          ? { sandbox: { heapUsedBytes: s.metrics.heapUsedBytes, heapLimitBytes: s.metrics.heapLimitBytes ?? 0, cpuTimeNs: s.metrics.cpuTimeNs ?? 0 } }
          : {}),
      })),
    );
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
      () => this.#watcher?.close(),
      () => this.#serial(async () => {}),
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


