/**
 * The activation engine: brings modules from `resolved` to `active` in dependency order,
 * isolates failures to the failing module and what needs it, restarts crashed modules
 * with exponential backoff inside a crash budget, activates `lazy` modules on their first
 * call, and deactivates in reverse dependency order at stop / unload.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EventEmitter } from 'eventemitter3';
import { HotmodError, wrapError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import type { OutgoingCall, Sandbox, SandboxFactory, SandboxLimits, ActivatedModule } from '../sandbox/types.js';
import type { Clock } from './clock.js';
import { RuntimeErrorCode } from './errors.js';
import { ModuleInstance } from './moduleInstance.js';
import type { ModuleRecord } from './moduleRecord.js';
import type { HostEvents, HostFetchOptions, HostLimits, ModuleConfigProvider, RestartPolicy } from './types.js';
import { fetchPolicyFor } from './fetchPolicy.js';

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
  readonly records = new Map<string, ModuleRecord>();
  readonly #deps: EngineDeps;
  #stopping = false;

  constructor(deps: EngineDeps) {
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
      log: (level, message, data) => log[level](data === undefined ? {} : { data }, message),
      callCapability: (call) => d.callCapability(pkg, call),
      onFatal: fatal,
    });
    return { sandbox, code };
  }

  /**
   * Creates and activates one instance of `pkg`. On any failure the sandbox is disposed
   * and the error (coded) is thrown; nothing about the record changes here.
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

  /** Active instance of `record`, activating it (and what it requires) first; concurrent callers share one activation. */
  ensureActive(record: ModuleRecord): Promise<ModuleInstance> {
    const state = record.state;
    switch (state.name) {
      case 'active':
        return Promise.resolve(state.instance);
      case 'activating':
        return state.promise;
      case 'failed':
      case 'unresolved':
        return Promise.reject(this.#unavailable(record, state.error));
      case 'deactivating':
      case 'inactive':
        return Promise.reject(
          new HotmodError(
            RuntimeErrorCode.HOST_NOT_RUNNING,
            `module '${record.id}' cannot serve: it is ${state.name} because the host is stopping or the module was unloaded`,
            { moduleId: record.id, state: state.name },
          ),
        );
      case 'discovered':
      case 'resolved': {
        const promise = this.#activate(record);
        record.state = { name: 'activating', promise };
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

  #unavailable(record: ModuleRecord, cause: HotmodError): HotmodError {
    return new HotmodError(
      RuntimeErrorCode.MODULE_FAILED,
      `module '${record.id}' cannot serve: ${cause.message}`,
      { moduleId: record.id, reason: cause.message, causeCode: cause.code },
      { cause },
    );
  }

  async #activate(record: ModuleRecord): Promise<ModuleInstance> {
    const generation = record.generation;
    for (const depId of record.requiredModules()) {
      const dep = this.records.get(depId);
      try {
        if (!dep) throw new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `module '${depId}' is not in the catalog`, { moduleId: depId });
        await this.ensureActive(dep);
      } catch (error) {
        // The dependency's own failure reads better than our "cannot serve" wrapper around it.
        const depState = dep?.state;
        const reason =
          depState && (depState.name === 'failed' || depState.name === 'unresolved') ? depState.error.message : error instanceof Error ? error.message : String(error);
        const err = new HotmodError(
          RuntimeErrorCode.MODULE_FAILED,
          `module '${record.id}' was not activated because its dependency '${depId}' failed to activate: ${reason}`,
          { moduleId: record.id, dependency: depId, reason },
          { cause: error },
        );
        if (record.generation === generation) this.#fail(record, err, { dependency: depId, restart: false });
        throw err;
      }
    }
    const started = performance.now();
    try {
      const instance = await this.startInstance(record.pkg, undefined, (i, e) => this.onFatal(record, i, e));
      if (record.generation !== generation || this.#stopping) {
        // Unloaded or stopping while we activated: this instance is stale.
        await this.#retire(instance, 'stop');
        throw new HotmodError(RuntimeErrorCode.HOST_NOT_RUNNING, `module '${record.id}' activation was cancelled: the module was unloaded or the host is stopping`, {
          moduleId: record.id,
        });
      }
      record.activationMs = performance.now() - started;
      this.#setActive(record, instance);
      this.#deps.events.emit('module:activated', { id: record.id, version: instance.version, durationMs: record.activationMs, restart: record.restarts });
      return instance;
    } catch (error) {
      const err = error as HotmodError;
      if (record.generation === generation && !this.#stopping && record.state.name === 'activating') this.#fail(record, err, { restart: true });
      throw err;
    }
  }

  #setActive(record: ModuleRecord, instance: ModuleInstance): void {
    record.state = { name: 'active', instance };
    record.serving = instance;
    this.#retryDependents(record.id);
  }

  /** Dependents that failed only because `id` failed get another chance once it is back. */
  #retryDependents(id: string): void {
    for (const other of this.records.values()) {
      if (other.state.name === 'failed' && other.state.dependency === id && other.state.timer === undefined) {
        other.state = { name: 'resolved' };
        if (other.pkg.manifest.activation === 'eager') this.ensureActive(other).catch(() => {});
      }
    }
  }

  /** Marks the record failed; schedules a restart while the crash budget allows. */
  #fail(record: ModuleRecord, error: HotmodError, opts: { dependency?: string; restart: boolean }): void {
    const d = this.#deps;
    const now = d.clock.now();
    record.serving = undefined;
    let willRestart = false;
    let quarantined = false;
    let delayMs: number | undefined;
    if (opts.restart && !this.#stopping) {
      record.failures = record.failures.filter((t) => now - t < d.restart.windowMs);
      record.failures.push(now);
      const attempt = record.failures.length;
      if (attempt <= d.restart.maxRestarts) {
        willRestart = true;
        delayMs = Math.min(d.restart.maxDelayMs, d.restart.baseDelayMs * 2 ** (attempt - 1));
      } else {
        quarantined = true;
      }
    }
    const generation = record.generation;
    const timer = willRestart
      ? d.clock.setTimeout(() => {
          if (record.generation !== generation || this.#stopping || record.state.name !== 'failed') return;
          record.restarts++;
          record.state = { name: 'resolved' };
          this.ensureActive(record).catch(() => {});
        }, delayMs!)
      : undefined;
    record.state = {
      name: 'failed',
      error,
      ...(opts.dependency ? { dependency: opts.dependency } : {}),
      ...(willRestart ? { restartAt: now + delayMs!, timer } : {}),
      ...(quarantined ? { quarantine: { crashes: record.failures.length, windowMs: d.restart.windowMs } } : {}),
    };
    d.logger.warn({ module: record.id, code: error.code, willRestart, delayMs }, error.message);
    d.events.emit('module:failed', {
      id: record.id,
      version: record.pkg.manifest.version,
      code: error.code,
      reason: error.message,
      error,
      willRestart,
      quarantined,
      attempt: record.failures.length,
      ...(delayMs !== undefined ? { delayMs } : {}),
    });
  }

  /** The sandbox of `instance` died (out of memory, child crash). Only the serving instance restarts the module. */
  onFatal(record: ModuleRecord, instance: ModuleInstance, error: Error): void {
    if (instance.retired) return;
    instance.retired = true;
    void instance.sandbox.dispose().catch(() => {});
    if (record.serving !== instance) return;
    this.crash(record, error, instance.version);
  }

  /** The serving instance is gone: the module fails and restarts with backoff, inside the crash budget. */
  crash(record: ModuleRecord, error: Error, version = record.pkg.manifest.version): void {
    const err = wrapError(
      error,
      RuntimeErrorCode.MODULE_FAILED,
      (reason) => `module '${record.id}' crashed: ${reason}; it is restarted with backoff (see host.status())`,
      { moduleId: record.id, version },
    );
    this.#fail(record, err, { restart: true });
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
  retireInBackground(record: ModuleRecord, instance: ModuleInstance, deactivate: boolean): void {
    const p = this.#retire(instance, 'swap', deactivate).then(() => {
      record.retiring.delete(p);
    });
    record.retiring.add(p);
  }

  /** Takes one module down: cancels a restart, waits out an activation, drains, deactivates, disposes. */
  async deactivate(record: ModuleRecord, reason: 'stop' | 'unload'): Promise<void> {
    // A swap in progress finishes (or rolls back) first: stop and unload never cut one in half.
    await record.swapQueue;
    record.generation++;
    const state = record.state;
    if (state.name === 'inactive') return;
    if (state.name === 'failed' && state.timer !== undefined) this.#deps.clock.clearTimeout(state.timer);
    if (state.name === 'deactivating') return state.done;
    let instance: ModuleInstance | undefined;
    if (state.name === 'activating') instance = await state.promise.catch(() => undefined);
    else if (state.name === 'active') instance = state.instance;
    if (instance === undefined || instance.retired) {
      await Promise.allSettled(record.retiring);
      if (record.state.name !== 'unresolved') record.state = { name: 'inactive' };
      record.serving = undefined;
      return;
    }
    const done = (async () => {
      record.serving = undefined;
      await this.#retire(instance, reason);
      await Promise.allSettled(record.retiring);
    })();
    record.state = { name: 'deactivating', done };
    await done;
    record.state = { name: 'inactive' };
    this.#deps.events.emit('module:deactivated', { id: record.id, version: instance.version, reason });
  }

  /** Depth in the dependency graph (0: needs nothing): stop goes deepest first. */
  depthOf(record: ModuleRecord, seen = new Set<string>()): number {
    if (seen.has(record.id)) return 0;
    seen.add(record.id);
    let depth = 0;
    for (const id of record.requiredModules()) {
      const dep = this.records.get(id);
      if (dep) depth = Math.max(depth, this.depthOf(dep, seen) + 1);
    }
    seen.delete(record.id);
    return depth;
  }

  /** Stops everything in reverse dependency order: dependents drain while their providers still serve. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    const byDepth = new Map<number, ModuleRecord[]>();
    for (const r of this.records.values()) {
      const depth = this.depthOf(r);
      byDepth.set(depth, [...(byDepth.get(depth) ?? []), r]);
    }
    for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
      const results = await Promise.allSettled(byDepth.get(depth)!.map((r) => this.deactivate(r, 'stop')));
      for (const r of results) if (r.status === 'rejected') this.#deps.logger.error({ err: r.reason }, 'deactivate failed during stop');
    }
  }
}
