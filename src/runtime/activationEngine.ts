/**
 * The activation engine: brings modules from `resolved` to `active` in dependency order,
 * isolates failures to the failing module and what needs it, restarts crashed modules
 * with exponential backoff inside a crash budget, activates `lazy` modules on their first
 * call, and deactivates in reverse dependency order at stop / unload. It decides; the
 * module table (moduleTable.ts) records: every change of a module's state is an intent
 * sent to the table, and what the engine reads back is a snapshot.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EventEmitter } from 'eventemitter3';
import { HotmodError, wrapError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import type { OutgoingCall, Sandbox, SandboxFactory, SandboxLimits, ActivatedModule } from '../sandbox/index.js';
import type { Clock, ClockTimer } from './clock.js';
import { RuntimeErrorCode } from './errors.js';
import { SandboxErrorCode } from '../sandbox/index.js';
import { ModuleInstance } from './moduleInstance.js';
import { levelsDeepestFirst } from './moduleGraph.js';
import { servingInstance } from './moduleState.js';
import type { ModuleSnapshot, ModuleTable } from './moduleTable.js';
import type { HostEvents, HostFetchOptions, HostLimits, ModuleConfigProvider, RestartPolicy } from './types.js';
import { fetchPolicyFor } from './fetchPolicy.js';
import { codeCacheStore, codeCacheWritten } from './bundleModule.js';

export interface EngineDeps {
  logger: Logger;
  clock: Clock;
  events: EventEmitter<HostEvents>;
  isolateFactory: SandboxFactory;
  processFactory: () => SandboxFactory;
  moduleConfig: ModuleConfigProvider;
  defaultIsolation: 'isolate' | 'process';
  defaultLimits: Required<HostLimits>;
  /** The host's fetch options (fetchPolicy.ts). */
  fetch?: HostFetchOptions;
  restart: Required<RestartPolicy>;
  drainTimeoutMs: number;
  /** The router's entry for calls a module makes through `call.capability`. */
  callCapability(caller: ModulePackage, call: OutgoingCall): Promise<unknown>;
  /** False: bundles' compiled code is not kept on disk (bundleModule.ts codeCacheStore). Default true. */
  codeCache?: boolean;
  /** Settles once no swap of the module is queued or running (stop and unload never cut one in half). */
  swapsSettled(moduleId: string): Promise<unknown>;
}

export function limitsFor(pkg: ModulePackage, defaults: Required<HostLimits>): SandboxLimits {
  const l = pkg.manifest.limits;
  return {
    memoryMb: l.memoryMb ?? defaults.memoryMb,
    callTimeoutMs: l.callTimeoutMs ?? defaults.callTimeoutMs,
    activateTimeoutMs: l.activateTimeoutMs ?? defaults.activateTimeoutMs,
    deactivateTimeoutMs: defaults.deactivateTimeoutMs,
  };
}

/** Checks `activate`'s capabilities against `provides`: one missing or one extra is an activation error. */
export function checkProvides(pkg: ModulePackage, activated: ActivatedModule): void {
  const declared = Object.keys(pkg.manifest.provides);
  const returned = Object.keys(activated.capabilities);
  const missing = declared.filter((c) => !returned.includes(c));
  const extra = returned.filter((c) => !declared.includes(c));
  if (missing.length || extra.length) {
    const parts = [
      missing.length ? `missing ${missing.map((c) => `'${c}'`).join(', ')}` : '',
      extra.length ? `not declared ${extra.map((c) => `'${c}'`).join(', ')}` : '',
    ].filter(Boolean);
    throw new HotmodError(
      RuntimeErrorCode.CAPABILITY_MISMATCH,
      `module '${pkg.manifest.id}' failed to activate: activate() returned capabilities that do not match provides (${parts.join('; ')}); return one object per capability in "provides" of ${pkg.packageJsonPath}`,
      { moduleId: pkg.manifest.id, version: pkg.manifest.version, missing, extra },
    );
  }
}

export class ActivationEngine {
  readonly table: ModuleTable;
  readonly #deps: EngineDeps;
  /** Instances swapped out and still draining, by module id; stop and unload wait for them. */
  readonly #retiring = new Map<string, Set<Promise<void>>>();
  /** Ids of modules that failed because a dependency did (a superset: #retryDependents checks each). */
  readonly #failedForDependency = new Set<string>();
  #stopping = false;

  constructor(table: ModuleTable, deps: EngineDeps) {
    this.table = table;
    this.#deps = deps;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Compiles `pkg` in a fresh sandbox. `onFatal` reaches `fatal` only while the sandbox is current. */
  async createSandbox(pkg: ModulePackage, fatal: (error: Error) => void, knownCode?: string): Promise<{ sandbox: Sandbox; code: string }> {
    const d = this.#deps;
    const isolation = pkg.manifest.isolation ?? d.defaultIsolation;
    const factory = isolation === 'process' ? d.processFactory() : d.isolateFactory;
    let code: string;
    try {
      code = knownCode ?? (await readFile(pkg.entryPath, 'utf8'));
    } catch (error) {
      throw wrapError(
        error,
        RuntimeErrorCode.MODULE_FAILED,
        (reason) => `module '${pkg.manifest.id}' could not be loaded: reading ${pkg.entryPath} failed (${reason}); run hotmod build ${pkg.dir}`,
        { moduleId: pkg.manifest.id, file: pkg.entryPath },
      );
    }
    const log = d.logger.child({ module: pkg.manifest.id, version: pkg.manifest.version });
    const sandbox = await factory.create({
      moduleId: pkg.manifest.id,
      version: pkg.manifest.version,
      code,
      filename: pkg.entryPath,
      permissions: pkg.manifest.permissions,
      limits: limitsFor(pkg, d.defaultLimits),
      ...(pkg.manifest.permissions.includes('fetch') ? { fetch: fetchPolicyFor(pkg.manifest, d.fetch) } : {}),
      ...(d.codeCache === false ? {} : { codeCache: codeCacheStore(pkg.dir) }),
      log: (level, message, data) => log[level](data === undefined ? {} : { data }, message),
      callCapability: (call) => d.callCapability(pkg, call),
      onFatal: fatal,
    });
    return { sandbox, code };
  }

  /**
   * Creates and activates one instance of `pkg`. On any failure the sandbox is disposed
   * and the error (coded) is thrown; nothing about the module's state changes here.
   */
  async startInstance(
    pkg: ModulePackage,
    previousState: unknown,
    onFatal: (i: ModuleInstance, e: Error) => void,
    /** The bundle text, when it must not be re-read from disk (a rollback: disk holds the new version). */
    knownCode?: string,
  ): Promise<ModuleInstance> {
    return (await this.prepareInstance(pkg, onFatal, knownCode)).activate(previousState);
  }

  /**
   * Reads and compiles `pkg` in a fresh sandbox, to be activated later: a stateful swap
   * prepares the new version while the old one still serves, so holding calls covers only
   * drain, deactivate and activate. `activate` disposes the sandbox when it fails;
   * `dispose` is for a preparation that is not used.
   */
  async prepareInstance(
    pkg: ModulePackage,
    onFatal: (i: ModuleInstance, e: Error) => void,
    knownCode?: string,
  ): Promise<{ activate(previousState: unknown): Promise<ModuleInstance>; dispose(): Promise<void> }> {
    const holder: { instance?: ModuleInstance; early?: Error } = {};
    const { sandbox, code } = await this.createSandbox(
      pkg,
      (error) => {
        if (holder.instance) onFatal(holder.instance, error);
        else holder.early = error;
      },
      knownCode,
    );
    return {
      activate: async (previousState) => {
        try {
          if (holder.early) throw holder.early;
          const activated = await sandbox.activate({ config: this.#deps.moduleConfig.get(pkg.manifest.id), previousState });
          checkProvides(pkg, activated);
          if (holder.early) throw holder.early;
          const instance = new ModuleInstance(pkg, sandbox, activated, this.#deps.clock.now(), code);
          holder.instance = instance;
          return instance;
        } catch (error) {
          await sandbox.dispose().catch(() => {});
          throw wrapError(
            error,
            RuntimeErrorCode.MODULE_FAILED,
            (reason) => `module '${pkg.manifest.id}' failed to activate: ${reason}; run hotmod check ${pkg.dir}`,
            { moduleId: pkg.manifest.id, version: pkg.manifest.version },
          );
        }
      },
      dispose: () => sandbox.dispose(),
    };
  }

  /** The `onFatal` of instances of module `id`: only the one serving it restarts the module. */
  fatalHandler(id: string): (instance: ModuleInstance, error: Error) => void {
    return (instance, error) => this.onFatal(id, instance, error);
  }

  /** Active instance of module `id`, activating it (and what it requires) first; concurrent callers share one activation. */
  ensureActive(id: string): Promise<ModuleInstance> {
    const record = this.table.get(id);
    if (record === undefined)
      return Promise.reject(new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `module '${id}' is not in the catalog`, { moduleId: id }));
    const state = record.state;
    switch (state.name) {
      case 'active':
        return Promise.resolve(state.instance);
      case 'swapping':
        return Promise.resolve(state.old);
      case 'activating':
        return state.promise;
      case 'failed':
      case 'unresolved':
        return Promise.reject(this.#unavailable(id, state.error));
      case 'deactivating':
      case 'inactive':
        return Promise.reject(
          new HotmodError(
            RuntimeErrorCode.HOST_NOT_RUNNING,
            `module '${id}' cannot serve: it is ${state.name} because the host is stopping or the module was unloaded`,
            { moduleId: id, state: state.name },
          ),
        );
      case 'discovered':
        // Not resolved yet (the reconciler resolves or unresolves every module it adds at once).
        return Promise.reject(new HotmodError(RuntimeErrorCode.MODULE_FAILED, `module '${id}' cannot serve: it is not resolved yet`, { moduleId: id, state: state.name }));
      case 'resolved': {
        const promise = this.#activate(record);
        this.table.apply(id, { type: 'activate', promise });
        // The shared promise may have no other listener (eager start handles it); never unhandled.
        promise.catch(() => {});
        return promise;
      }
      default: {
        const never: never = state;
        return never;
      }
    }
  }

  #unavailable(id: string, cause: HotmodError): HotmodError {
    return new HotmodError(
      RuntimeErrorCode.MODULE_FAILED,
      `module '${id}' cannot serve: ${cause.message}`,
      { moduleId: id, reason: cause.message, causeCode: cause.code },
      { cause },
    );
  }

  /** True while nothing superseded the work that captured `generation` (a reload, an unload, a swap). */
  #current(id: string, generation: number): boolean {
    return this.table.get(id)?.generation === generation;
  }

  async #activate(record: ModuleSnapshot): Promise<ModuleInstance> {
    const { id, generation } = record;
    // The module's own sandbox is created and its bundle compiled while its dependencies
    // activate (isolated-vm compiles on the isolate's own thread); its activate runs once
    // they are active. A dependency's failure still wins: the prepared sandbox is dropped.
    const preparing = this.prepareInstance(record.pkg, this.fatalHandler(id));
    preparing.catch(() => {});
    const drop = () => void preparing.then((p) => p.dispose().catch(() => {}), () => {});
    for (const depId of record.requiredModules) {
      try {
        await this.ensureActive(depId);
      } catch (error) {
        drop();
        // The dependency's own failure reads better than our "cannot serve" wrapper around it.
        const depState = this.table.get(depId)?.state;
        const reason =
          depState && (depState.name === 'failed' || depState.name === 'unresolved') ? depState.error.message : error instanceof Error ? error.message : String(error);
        const err = new HotmodError(
          RuntimeErrorCode.MODULE_FAILED,
          `module '${id}' was not activated because its dependency '${depId}' failed to activate: ${reason}`,
          { moduleId: id, dependency: depId, reason },
          { cause: error },
        );
        if (this.#current(id, generation)) this.#fail(id, err, { dependency: depId, restart: false });
        throw err;
      }
    }
    // From here: the activation proper (a module with dependencies compiled meanwhile).
    const started = performance.now();
    try {
      const instance = await (await preparing).activate(undefined);
      if (!this.#current(id, generation) || this.#stopping) {
        // Unloaded or stopping while we activated: this instance is stale.
        await this.#retire(instance, 'stop');
        throw new HotmodError(RuntimeErrorCode.HOST_NOT_RUNNING, `module '${id}' activation was cancelled: the module was unloaded or the host is stopping`, {
          moduleId: id,
        });
      }
      const activationMs = performance.now() - started;
      const active = this.table.apply(id, { type: 'activated', instance, activationMs });
      this.#retryDependents(id);
      this.#deps.events.emit('module:activated', { id, version: instance.version, durationMs: activationMs, restart: active.restarts });
      return instance;
    } catch (error) {
      const err = error as HotmodError;
      if (this.#current(id, generation) && !this.#stopping && this.table.get(id)!.state.name === 'activating') this.#fail(id, err, { restart: true });
      throw err;
    }
  }

  /**
   * Dependents that failed only because `id` failed get another chance once it is back.
   * Only modules that failed for a dependency are looked at (#failedForDependency), so an
   * activation costs nothing here when none did: a start of N modules is not N × N.
   */
  #retryDependents(id: string): void {
    if (this.#failedForDependency.size === 0) return;
    for (const otherId of [...this.#failedForDependency]) {
      const other = this.table.get(otherId);
      if (other === undefined || other.state.name !== 'failed' || other.state.dependency === undefined) {
        this.#failedForDependency.delete(otherId);
        continue;
      }
      if (other.state.dependency === id && other.state.timer === undefined) {
        this.#failedForDependency.delete(otherId);
        this.table.apply(other.id, { type: 'retry' });
        if (other.pkg.manifest.activation === 'eager') this.ensureActive(other.id).catch(() => {});
      }
    }
  }

  /** Fails the module; schedules a restart while the crash budget allows. */
  #fail(id: string, error: HotmodError, opts: { dependency?: string; restart: boolean }): void {
    const d = this.#deps;
    const record = this.table.get(id)!;
    const now = d.clock.now();
    let failures = record.failures;
    let willRestart = false;
    let quarantined = false;
    let delayMs: number | undefined;
    if (opts.restart && !this.#stopping) {
      failures = [...failures.filter((t) => now - t < d.restart.windowMs), now];
      const attempt = failures.length;
      // A module over its CPU budget would spend a fresh one the same way (a re-arming timer): quarantine at once.
      if (error.code === SandboxErrorCode.CPU_BUDGET) {
        quarantined = true;
      } else if (attempt <= d.restart.maxRestarts) {
        willRestart = true;
        delayMs = Math.min(d.restart.maxDelayMs, d.restart.baseDelayMs * 2 ** (attempt - 1));
      } else {
        quarantined = true;
      }
    }
    const generation = record.generation;
    const timer: ClockTimer | undefined = willRestart
      ? d.clock.setTimeout(() => {
          // A swap that owns the module (it crashed while the swap held its calls) brings an
          // instance up itself: let it finish, then restart only if it left this failure standing.
          void d.swapsSettled(id).then(() => {
            const now = this.table.get(id)?.state;
            if (!this.#current(id, generation) || this.#stopping || now?.name !== 'failed' || now.timer !== timer) return;
            this.table.apply(id, { type: 'restart' });
            this.ensureActive(id).catch(() => {});
          });
        }, delayMs!)
      : undefined;
    this.table.apply(id, {
      type: 'fail',
      error,
      failures,
      ...(opts.dependency ? { dependency: opts.dependency } : {}),
      ...(timer !== undefined ? { restart: { at: now + delayMs!, timer } } : {}),
      ...(quarantined ? { quarantine: { crashes: failures.length, windowMs: d.restart.windowMs } } : {}),
    });
    if (opts.dependency !== undefined) this.#failedForDependency.add(id);
    d.logger.warn({ module: id, code: error.code, willRestart, delayMs }, error.message);
    d.events.emit('module:failed', {
      id,
      version: record.pkg.manifest.version,
      code: error.code,
      reason: error.message,
      error,
      willRestart,
      quarantined,
      attempt: failures.length,
      ...(delayMs !== undefined ? { delayMs } : {}),
    });
  }

  /** The sandbox of `instance` died (out of memory, child crash). Only the serving instance restarts the module. */
  onFatal(id: string, instance: ModuleInstance, error: Error): void {
    if (instance.retired) return;
    instance.retired = true;
    void instance.sandbox.dispose().catch(() => {});
    const record = this.table.get(id);
    if (record === undefined || servingInstance(record.state) !== instance) return;
    this.crash(id, error, instance.version);
  }

  /** The serving instance is gone: the module fails and restarts with backoff, inside the crash budget. */
  crash(id: string, error: Error, version = this.table.get(id)!.pkg.manifest.version): void {
    const err = wrapError(
      error,
      RuntimeErrorCode.MODULE_FAILED,
      (reason) => `module '${id}' crashed: ${reason}; it is restarted with backoff (see host.status())`,
      { moduleId: id, version },
    );
    this.#fail(id, err, { restart: true });
  }

  /** Drains, deactivates and disposes an instance that no longer serves. Never throws. */
  async #retire(instance: ModuleInstance, reason: 'stop' | 'unload' | 'swap', deactivate = true): Promise<unknown> {
    instance.retired = true;
    // Swapped out: nothing waits on this instance, so every call it started finishes (each is
    // bounded by its own timeout); a swap never cuts a call. Stop and unload keep the budget.
    const drained = await instance.drain(this.#deps.clock, reason === 'swap' ? Infinity : this.#deps.drainTimeoutMs);
    if (!drained) this.#deps.logger.warn({ module: instance.pkg.manifest.id, inFlight: instance.inFlight }, `module '${instance.pkg.manifest.id}' still had calls in flight after the drain budget (${reason})`);
    let state: unknown;
    if (deactivate && instance.stateful) {
      try {
        state = await instance.sandbox.deactivate();
      } catch (error) {
        this.#deps.logger.warn({ module: instance.pkg.manifest.id, err: error }, `module '${instance.pkg.manifest.id}' deactivate failed during ${reason}`);
      }
    }
    await instance.sandbox.dispose().catch(() => {});
    return state;
  }

  /** Retires a swapped-out instance in the background; stop waits for it. */
  retireInBackground(id: string, instance: ModuleInstance, deactivate: boolean): void {
    let retiring = this.#retiring.get(id);
    if (retiring === undefined) this.#retiring.set(id, (retiring = new Set()));
    const set = retiring;
    const p = this.#retire(instance, 'swap', deactivate).then(() => {
      set.delete(p);
    });
    set.add(p);
  }

  #retired(id: string): Promise<unknown> {
    return Promise.allSettled(this.#retiring.get(id) ?? []);
  }

  /** Takes one module down: cancels a restart, waits out an activation, drains, deactivates, disposes. */
  async deactivate(id: string, reason: 'stop' | 'unload'): Promise<void> {
    // A swap in progress finishes (or rolls back) first: stop and unload never cut one in half.
    // Until no swap was queued while we waited: from here to the claim nothing awaits.
    for (let tail = this.#deps.swapsSettled(id); ; ) {
      await tail;
      const now = this.#deps.swapsSettled(id);
      if (now === tail) break;
      tail = now;
    }
    if (!this.table.has(id)) return;
    // From here whatever started before (a restart timer, an activation) is stale.
    const state = this.table.apply(id, { type: 'claim' }).state;
    if (state.name === 'inactive') return;
    if (state.name === 'deactivating') return state.done;
    let instance: ModuleInstance | undefined;
    if (state.name === 'activating') instance = await state.promise.catch(() => undefined);
    else if (state.name === 'active') instance = state.instance;
    if (instance === undefined || instance.retired) {
      await this.#retired(id);
      const now = this.table.get(id)?.state.name;
      if (now !== undefined && now !== 'unresolved' && now !== 'inactive' && now !== 'discovered') this.table.apply(id, { type: 'deactivated' });
      return;
    }
    const serving = instance;
    const done = (async () => {
      await this.#retire(serving, reason);
      await this.#retired(id);
    })();
    this.table.apply(id, { type: 'deactivate', done });
    await done;
    this.table.apply(id, { type: 'deactivated' });
    this.#deps.events.emit('module:deactivated', { id, version: serving.version, reason });
  }

  /** Stops everything in reverse dependency order: dependents drain while their providers still serve. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    for (const level of levelsDeepestFirst(this.table)) {
      const results = await Promise.allSettled(level.map((r) => this.deactivate(r.id, 'stop')));
      for (const r of results) if (r.status === 'rejected') this.#deps.logger.error({ err: r.reason }, 'deactivate failed during stop');
    }
    // The next start finds the compiled code of this one.
    await codeCacheWritten();
  }
}
