/**
 * The router: `client.invoke` → the provider of the capability effective for the client
 * → its serving instance; and calls modules make through `call.capability`, checked on
 * every hop (declared? enabled for the calling client?). The hot path does no I/O, no
 * logging, and allocates only the call context: per-client module sets are cached here
 * (the one cache of them, dropped on ConfigSource.onChange), who serves what is read from
 * the routing snapshot of the catalog generation (routingSnapshot.ts), and the stats
 * object of each (module, capability) is looked up once.
 */
import { HotmodError, type HotmodErrorCode } from '../errors.js';
import type { CatalogView, ClientModuleSet, ConfigSource } from '../types.js';
import type { ModulePackage } from '../registry/index.js';
import { invalidDuration, isDuration, type CallContext, type OutgoingCall } from '../sandbox/index.js';
import type { ActivationEngine } from './activationEngine.js';
import type { CallMetrics, CapabilityStats } from './callMetrics.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import { gateOf, servingInstance } from './moduleState.js';
import type { ModuleSnapshot, ModuleTable } from './moduleTable.js';
import { createRoutingSnapshot, versionKeyFor, type RoutingSnapshot, type VersionRouting } from './routingSnapshot.js';
import type { InvokeOptions } from './types.js';

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const CALL_TIMEOUT_CODE: HotmodErrorCode = 'E_CALL_TIMEOUT';
const MODULE_THREW_CODE: HotmodErrorCode = 'E_MODULE_THREW';

export class Router {
  readonly #engine: ActivationEngine;
  /** The module table's snapshots: the state says which instance serves. */
  readonly #table: ModuleTable;
  readonly #source: ConfigSource;
  readonly #metrics: CallMetrics;
  /** Who serves what, for the current catalog generation. Replaced whole, never changed. */
  #routes: RoutingSnapshot = { generation: -1, providers: new Map(), hops: new Map() };
  #catalog: CatalogView | undefined;
  /** Per-client version routing of the rollouts running on this host; undefined (the plain path) when none runs. */
  #versions: VersionRouting | undefined;
  readonly #clientSets = new Map<string, ClientModuleSet>();
  /** Loads in flight; an invalidation removes the entry, so a load that started before it is not cached. */
  readonly #pendingSets = new Map<string, Promise<ClientModuleSet>>();
  /** (module id) -> (capability -> stats): found once per pair, then reused. */
  readonly #stats = new Map<string, Map<string, CapabilityStats>>();
  #lastStats: CapabilityStats | undefined;
  #requestSeq = 0;
  readonly #requestPrefix = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  /** client.invoke is refused unless the host is running; module-to-module hops are not (they drain at stop). */
  accepting = false;

  constructor(engine: ActivationEngine, source: ConfigSource, metrics: CallMetrics) {
    this.#engine = engine;
    this.#table = engine.table;
    this.#source = source;
    this.#metrics = metrics;
  }

  get catalog(): CatalogView | undefined {
    return this.#catalog;
  }

  /** A new catalog generation: a new routing snapshot, and every cached client set dropped (closures depend on it). */
  setCatalog(catalog: CatalogView): void {
    this.#catalog = catalog;
    this.#routes = createRoutingSnapshot(catalog);
    this.invalidate('all');
  }

  /**
   * The rollouts' candidates and cohorts (rolloutAgent.ts), replaced whole: from the next
   * hop on, each client reaches the version its cohort says. `undefined`: no rollout.
   */
  setVersionRouting(routing: VersionRouting | undefined): void {
    this.#versions = routing;
  }

  get versionRouting(): VersionRouting | undefined {
    return this.#versions;
  }

  /** Drops cached sets, and forgets loads in flight so their answers are not cached. */
  invalidate(clients: readonly string[] | 'all'): void {
    if (clients === 'all') {
      this.#clientSets.clear();
      this.#pendingSets.clear();
    } else {
      for (const c of clients) {
        this.#clientSets.delete(c);
        this.#pendingSets.delete(c);
      }
    }
  }

  /** The client's module set: cached, or loaded once from the config source (concurrent loads share). */
  clientSet(clientId: string): ClientModuleSet | Promise<ClientModuleSet> {
    const cached = this.#clientSets.get(clientId);
    if (cached !== undefined) return cached;
    let pending = this.#pendingSets.get(clientId);
    if (pending === undefined) {
      const catalog = this.#catalog!;
      const load: Promise<ClientModuleSet> = this.#source.clientModuleSet(clientId, catalog).then(
        (set) => {
          // Still the current load (no invalidation since it started): cache it.
          if (this.#pendingSets.get(clientId) === load) {
            this.#clientSets.set(clientId, set);
            this.#pendingSets.delete(clientId);
          }
          return set;
        },
        (error: unknown) => {
          if (this.#pendingSets.get(clientId) === load) this.#pendingSets.delete(clientId);
          throw new HotmodError(
            RuntimeErrorCode.MODULE_FAILED,
            `the modules of client '${clientId}' could not be read from config source '${this.#source.name}': ${error instanceof Error ? error.message : String(error)}; check the store / config file`,
            { clientId, source: this.#source.name },
            { cause: error },
          );
        },
      );
      this.#pendingSets.set(clientId, (pending = load));
    }
    return pending;
  }

  /**
   * The hot path: one async frame in all (#call). With the client's set cached and the
   * provider serving, nothing here awaits before the sandbox is entered.
   */
  invoke(clientId: string, capability: string, method: string, input: unknown, options: InvokeOptions | undefined): Promise<unknown> {
    if (!this.accepting) return Promise.reject(notRunning(capability));
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !isDuration(timeoutMs)) return Promise.reject(invalidDuration(`client.invoke('${capability}', '${method}'): options.timeoutMs`, timeoutMs, { capability, method }));
    const set = this.#clientSets.get(clientId);
    if (set === undefined) return this.#invokeLoading(clientId, capability, method, input, options);
    return this.#route(set, capability, method, input, options);
  }

  /** The client's set is not cached: load it, within the call's deadline (what is left of it goes to the call). */
  async #invokeLoading(clientId: string, capability: string, method: string, input: unknown, options: InvokeOptions | undefined): Promise<unknown> {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs === undefined) return this.#route(await this.clientSet(clientId), capability, method, input, options);
    const loading = this.clientSet(clientId);
    if (!(loading instanceof Promise)) return this.#route(loading, capability, method, input, options);
    const started = performance.now();
    const set = await withinDeadline(loading, timeoutMs, () => configLoadTimeout(clientId, capability, this.#source.name, timeoutMs));
    const left = Math.max(1, Math.floor(timeoutMs - (performance.now() - started)));
    return this.#route(set, capability, method, input, { ...options, timeoutMs: left });
  }

  #route(set: ClientModuleSet, capability: string, method: string, input: unknown, options: InvokeOptions | undefined): Promise<unknown> {
    let providerId: string;
    try {
      providerId = this.#pick(capability, set);
    } catch (error) {
      return Promise.reject(error);
    }
    const context: CallContext = {
      clientId: set.clientId,
      requestId: options?.requestId ?? `${this.#requestPrefix}-${++this.#requestSeq}`,
      settings: set.settings.get(providerId) ?? EMPTY,
    };
    const versions = this.#versions;
    const key = versions === undefined ? providerId : versionKeyFor(versions, providerId, set.clientId);
    return this.#dispatch(this.#table.get(key)!, capability, method, input, context, options?.timeoutMs);
  }

  /** The sandbox's `callCapability` hook: one module calling another, checked on this hop too. */
  async callFromModule(caller: ModulePackage, call: OutgoingCall): Promise<unknown> {
    const m = caller.manifest;
    const capability = call.capability;
    if (!Object.hasOwn(m.requires, capability) && !Object.hasOwn(m.optionalRequires, capability)) {
      throw new HotmodError(
        RuntimeErrorCode.UNDECLARED_CAPABILITY,
        `module '${m.id}' called capability '${capability}' (method '${call.method}') without declaring it; add "${capability}" with a semver range to "requires" or "optionalRequires" in ${caller.packageJsonPath}`,
        { moduleId: m.id, capability, method: call.method },
      );
    }
    // The resolver's binding for this caller, and nothing else (an optional requirement it left unbound has no provider).
    // A rollout's candidate calls where its own version's requirements are bound.
    const versions = this.#versions;
    const hops = (versions === undefined ? undefined : versions.hopsByPackage.get(caller)) ?? this.#routes.hops.get(m.id);
    const providerId = hops?.get(capability);
    const record = providerId === undefined ? undefined : this.#table.get(providerId);
    if (record === undefined || record.state.name === 'unresolved') throw noProvider(capability, `module '${m.id}'`);
    const clientId = call.caller.clientId;
    const maybeSet = this.clientSet(clientId);
    const set = maybeSet instanceof Promise ? await maybeSet : maybeSet;
    if (!set.enabled.has(record.id)) {
      throw new HotmodError(
        RuntimeErrorCode.NOT_ENABLED,
        `module '${m.id}' called '${capability}.${call.method}' for client '${clientId}', but its provider '${record.id}' is not enabled for that client; enable '${record.id}' for the client (hotmod clients enable ${clientId} ${record.id})`,
        { moduleId: m.id, capability, provider: record.id, clientId },
      );
    }
    const context: CallContext = { clientId, requestId: call.caller.requestId, settings: set.settings.get(record.id) ?? EMPTY };
    // The same client's version of the provider as on every other hop of the call.
    const serving = versions === undefined ? record : (this.#table.get(versionKeyFor(versions, record.id, clientId)) ?? record);
    return this.#dispatch(serving, capability, call.method, call.input, context, undefined);
  }

  #pick(capability: string, set: ClientModuleSet): string {
    const providers = this.#routes.providers.get(capability);
    if (providers === undefined) throw noProvider(capability, `client '${set.clientId}'`);
    for (let i = 0; i < providers.length; i++) if (set.enabled.has(providers[i]!)) return providers[i]!;
    throw new HotmodError(
      RuntimeErrorCode.NOT_ENABLED,
      `client '${set.clientId}' called capability '${capability}', but no module providing it (${providers.join(', ')}) is enabled for that client; enable one (hotmod clients enable ${set.clientId} ${providers[0]})`,
      { clientId: set.clientId, capability, providers },
    );
  }

  #statsFor(moduleId: string, capability: string): CapabilityStats {
    // The pair of the previous call first: a run of calls to one method pays no lookup.
    const last = this.#lastStats;
    if (last !== undefined && last.moduleId === moduleId && last.capability === capability) return last;
    let caps = this.#stats.get(moduleId);
    if (caps === undefined) this.#stats.set(moduleId, (caps = new Map()));
    let s = caps.get(capability);
    if (s === undefined) caps.set(capability, (s = this.#metrics.stats(moduleId, capability)));
    return (this.#lastStats = s);
  }

  #dispatch(record: ModuleSnapshot, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    const state = record.state;
    if (state.name === 'active') return this.#call(record, state.instance, capability, method, input, context, timeoutMs);
    // A swap in progress with the gate open: the old instance serves on.
    if (state.name === 'swapping' && state.gate === undefined) return this.#call(record, state.old, capability, method, input, context, timeoutMs);
    return this.#dispatchWaiting(record.id, capability, method, input, context, timeoutMs);
  }

  /** Slow path: a swap holds calls, or the module is not active (lazy, restarting, failed). */
  async #dispatchWaiting(id: string, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    for (;;) {
      // Read afresh after every wait: the snapshot from before it is stale.
      const record = this.#table.get(id);
      const state = record?.state;
      const gate = state && gateOf(state);
      if (gate !== undefined) {
        await gate.wait();
        continue;
      }
      const instance = state && servingInstance(state);
      if (instance !== undefined) return this.#call(record!, instance, capability, method, input, context, timeoutMs);
      await this.#engine.ensureActive(id);
    }
  }

  /**
   * Enters the instance. The in-flight count goes up synchronously, in the same tick as
   * the state was read, so a swap can never miss a call it must drain. A call that settled
   * within its entry (Sandbox.callNow) is counted and left here, and answered with a
   * settled promise: no async frame, one clock read at each end.
   */
  #call(record: ModuleSnapshot, instance: ModuleInstance, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    const stats = this.#statsFor(record.id, capability);
    stats.calls++;
    const started = performance.now();
    instance.enter();
    const sandbox = instance.sandbox;
    let value: unknown;
    try {
      value = sandbox.callNow === undefined ? sandbox.call(capability, method, input, context, timeoutMs) : sandbox.callNow(capability, method, input, context, timeoutMs, started);
    } catch (error) {
      const surfaced = failed(stats, error);
      instance.leave();
      stats.latency.record(performance.now() - started);
      return Promise.reject(surfaced);
    }
    if (value instanceof Promise) return this.#settled(value, stats, instance, started);
    instance.leave();
    stats.latency.record(performance.now() - started);
    return Promise.resolve(value);
  }

  /** A call still waiting after its entry: counted and left when it settles. */
  async #settled(pending: Promise<unknown>, stats: CapabilityStats, instance: ModuleInstance, started: number): Promise<unknown> {
    try {
      return await pending;
    } catch (error) {
      throw failed(stats, error);
    } finally {
      instance.leave();
      stats.latency.record(performance.now() - started);
    }
  }
}

/** Counts a failed call and gives the error its caller sees. */
function failed(stats: CapabilityStats, error: unknown): unknown {
  stats.errors++;
  if ((error as { code?: unknown }).code === CALL_TIMEOUT_CODE) stats.timeouts++;
  return surfaceRefusal(error);
}

/** `work`, or a `timeout()` error once `ms` have passed (the work itself goes on, shared with other callers). */
function withinDeadline<T>(work: Promise<T>, ms: number, timeout: () => HotmodError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

function configLoadTimeout(clientId: string, capability: string, source: string, timeoutMs: number): HotmodError {
  return new HotmodError(
    RuntimeErrorCode.CONFIG_LOAD_TIMEOUT,
    `call to '${capability}' for client '${clientId}' gave up after ${timeoutMs} ms: the client's configuration could not be loaded from config source '${source}' in time; check that the store is reachable (later calls retry the load)`,
    { clientId, capability, source, timeoutMs },
  );
}

function notRunning(capability: string): HotmodError {
  return new HotmodError(
    RuntimeErrorCode.HOST_NOT_RUNNING,
    `call to '${capability}' refused: the host is not running (not started yet, or stopping); await host.start() first`,
    { capability },
  );
}

function noProvider(capability: string, who: string): HotmodError {
  return new HotmodError(
    RuntimeErrorCode.NO_PROVIDER,
    `${who} called capability '${capability}', but no module in the running catalog provides it; add a module that provides '${capability}' or check host.status() for why its provider is unresolved`,
    { capability },
  );
}

/** Refusals the router makes on a module-to-module hop: when a module lets one escape, its caller sees this code. */
const HOP_REFUSALS = new Set<HotmodErrorCode>([RuntimeErrorCode.NOT_ENABLED, RuntimeErrorCode.UNDECLARED_CAPABILITY, RuntimeErrorCode.NO_PROVIDER]);

/**
 * A module that does not catch a refused hop rethrows it; the sandbox reports that as
 * "the module threw". The caller asked for the capability, so it gets the refusal's own
 * code (the message keeps the path), but only when the sandbox vouches that the host
 * handed that refusal to this call (`details.hostRefusal`): `details.moduleCode` is
 * whatever the module threw, and a module must not forge the host's refusals.
 */
function surfaceRefusal(error: unknown): unknown {
  if (!(error instanceof HotmodError) || error.code !== MODULE_THREW_CODE) return error;
  const inner = error.details.hostRefusal;
  if (typeof inner !== 'string' || !HOP_REFUSALS.has(inner as HotmodErrorCode)) return error;
  return new HotmodError(inner as HotmodErrorCode, error.message, { ...error.details, via: error.details.moduleId }, { cause: error });
}
