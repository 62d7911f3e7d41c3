/**
 * The router: `client.invoke` → the provider of the capability effective for the client
 * → its serving instance; and calls modules make through `call.capability`, checked on
 * every hop (declared? enabled for the calling client?). The hot path does no I/O, no
 * logging, and allocates only the call context: per-client module sets are cached
 * (dropped on ConfigSource.onChange), capability → provider is pre-resolved per catalog
 * generation, and the stats object of each (module, capability) is looked up once.
 */
import { HotmodError } from '../errors.js';
import type { CatalogView, ClientModuleSet, ConfigSource } from '../types.js';
import type { ModulePackage } from '../registry/index.js';
import type { CallContext, OutgoingCall } from '../sandbox/types.js';
import { invalidDuration, isDuration } from '../sandbox/index.js';
import type { ActivationEngine } from './activationEngine.js';
import type { CallMetrics, CapabilityStats } from './callMetrics.js';
import { toClientModuleSet } from './configSources.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import type { ModuleRecord } from './moduleRecord.js';
import type { InvokeOptions } from './types.js';

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const CALL_TIMEOUT_CODE = 'E_CALL_TIMEOUT';
const MODULE_THREW_CODE = 'E_MODULE_THREW';

export class Router {
  readonly #engine: ActivationEngine;
  readonly #source: ConfigSource;
  readonly #metrics: CallMetrics;
  /** capability -> provider ids, in a fixed order (by id). Rebuilt per catalog generation. */
  #providers = new Map<string, readonly string[]>();
  #catalog: CatalogView | undefined;
  readonly #clientSets = new Map<string, ClientModuleSet>();
  readonly #pendingSets = new Map<string, Promise<ClientModuleSet>>();
  /** Bumped on every invalidation so a load that started before it is not cached. */
  #setsEpoch = 0;
  /** (module id) -> (capability -> stats): found once per pair, then reused. */
  readonly #stats = new Map<string, Map<string, CapabilityStats>>();
  #requestSeq = 0;
  readonly #requestPrefix = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  /** client.invoke is refused unless the host is running; module-to-module hops are not (they drain at stop). */
  accepting = false;

  constructor(engine: ActivationEngine, source: ConfigSource, metrics: CallMetrics) {
    this.#engine = engine;
    this.#source = source;
    this.#metrics = metrics;
  }

  get catalog(): CatalogView | undefined {
    return this.#catalog;
  }

  /** A new catalog generation: re-derive the provider map and drop every cached client set. */
  setCatalog(catalog: CatalogView): void {
    this.#catalog = catalog;
    const providers = new Map<string, string[]>();
    const ids = [...this.#engine.records.keys()].sort();
    for (const id of ids) {
      const record = this.#engine.records.get(id)!;
      if (record.state.name === 'unresolved') continue;
      for (const cap of Object.keys(record.pkg.manifest.provides)) {
        const list = providers.get(cap);
        if (list) list.push(id);
        else providers.set(cap, [id]);
      }
    }
    this.#providers = providers;
    this.invalidate('all');
  }

  invalidate(clients: readonly string[] | 'all'): void {
    this.#setsEpoch++;
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
      const epoch = this.#setsEpoch;
      const catalog = this.#catalog!;
      pending = this.#source.clientModules(clientId, catalog).then(
        (configs) => {
          const set = toClientModuleSet(clientId, configs, catalog);
          if (epoch === this.#setsEpoch) {
            this.#clientSets.set(clientId, set);
            this.#pendingSets.delete(clientId);
          }
          return set;
        },
        (error: unknown) => {
          if (epoch === this.#setsEpoch) this.#pendingSets.delete(clientId);
          throw new HotmodError(
            RuntimeErrorCode.MODULE_FAILED,
            `the modules of client '${clientId}' could not be read from config source '${this.#source.name}': ${error instanceof Error ? error.message : String(error)}; check the store / config file`,
            { clientId, source: this.#source.name },
            { cause: error },
          );
        },
      );
      this.#pendingSets.set(clientId, pending);
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

  async #invokeLoading(clientId: string, capability: string, method: string, input: unknown, options: InvokeOptions | undefined): Promise<unknown> {
    return this.#route(await this.clientSet(clientId), capability, method, input, options);
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
    return this.#dispatch(this.#engine.records.get(providerId)!, capability, method, input, context, options?.timeoutMs);
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
    const callerRecord = this.#engine.records.get(m.id);
    const providerId =
      callerRecord?.bindings[capability] ?? callerRecord?.optionalBindings[capability] ?? this.#providers.get(capability)?.[0];
    const record = providerId === undefined ? undefined : this.#engine.records.get(providerId);
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
    return this.#dispatch(record, capability, call.method, call.input, context, undefined);
  }

  #pick(capability: string, set: ClientModuleSet): string {
    const providers = this.#providers.get(capability);
    if (providers === undefined) throw noProvider(capability, `client '${set.clientId}'`);
    for (let i = 0; i < providers.length; i++) if (set.enabled.has(providers[i]!)) return providers[i]!;
    throw new HotmodError(
      RuntimeErrorCode.NOT_ENABLED,
      `client '${set.clientId}' called capability '${capability}', but no module providing it (${providers.join(', ')}) is enabled for that client; enable one (hotmod clients enable ${set.clientId} ${providers[0]})`,
      { clientId: set.clientId, capability, providers },
    );
  }

  #statsFor(moduleId: string, capability: string): CapabilityStats {
    let caps = this.#stats.get(moduleId);
    if (caps === undefined) this.#stats.set(moduleId, (caps = new Map()));
    let s = caps.get(capability);
    if (s === undefined) caps.set(capability, (s = this.#metrics.stats(moduleId, capability)));
    return s;
  }

  #dispatch(record: ModuleRecord, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    const instance = record.serving;
    if (instance === undefined || record.gate !== undefined) return this.#dispatchWaiting(record, capability, method, input, context, timeoutMs);
    return this.#call(record, instance, capability, method, input, context, timeoutMs);
  }

  /** Slow path: a swap holds calls, or the module is not active (lazy, restarting, failed). */
  async #dispatchWaiting(record: ModuleRecord, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    let instance = record.serving;
    while (instance === undefined || record.gate !== undefined) {
      if (record.gate !== undefined) {
        record.held++;
        try {
          await record.gate;
        } finally {
          record.held--;
        }
      } else {
        await this.#engine.ensureActive(record);
      }
      instance = record.serving;
    }
    return this.#call(record, instance, capability, method, input, context, timeoutMs);
  }

  /**
   * Enters the instance. The in-flight count goes up synchronously, in the same tick as
   * `serving` was read, so a swap can never miss a call it must drain.
   */
  async #call(record: ModuleRecord, instance: ModuleInstance, capability: string, method: string, input: unknown, context: CallContext, timeoutMs: number | undefined): Promise<unknown> {
    const stats = this.#statsFor(record.id, capability);
    stats.calls++;
    const started = performance.now();
    instance.enter();
    try {
      return await instance.sandbox.call(capability, method, input, context, timeoutMs);
    } catch (error) {
      stats.errors++;
      if ((error as { code?: unknown }).code === CALL_TIMEOUT_CODE) stats.timeouts++;
      throw surfaceRefusal(error);
    } finally {
      instance.leave();
      stats.latency.record(performance.now() - started);
    }
  }
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
const HOP_REFUSALS = new Set<string>([RuntimeErrorCode.NOT_ENABLED, RuntimeErrorCode.UNDECLARED_CAPABILITY, RuntimeErrorCode.NO_PROVIDER]);

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
  if (typeof inner !== 'string' || !HOP_REFUSALS.has(inner)) return error;
  return new HotmodError(inner, error.message, { ...error.details, via: error.details.moduleId }, { cause: error });
}
