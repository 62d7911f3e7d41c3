/**
 * Zero-downtime swap (DESIGN.md "Zero-downtime swap"). One serial queue per module;
 * a queued swap superseded by a later one is skipped (the later one reads the newest
 * files). The new version is compiled and activated in a fresh sandbox while the old one
 * serves:
 *
 *   stateless:  activate new ──► switch `serving` (atomic) ──► old drains (every call it
 *               started finishes, however long), then disposed
 *   stateful:   gate calls ──► drain old (budget passed: give up, old serves on)
 *                 ──► state = old.deactivate() ──► activate new(state)
 *                 ├─ ok:   switch, open the gate (held calls go to new), dispose old
 *                 └─ fail: old version re-activated with its own state in a fresh sandbox,
 *                          open the gate (held calls go to it), swap:failed
 *
 * Refused before anything changes: an invalid package, a changed id, or capability
 * versions that no longer satisfy an active consumer's range (or the new version's own
 * requirements that the running providers do not satisfy).
 */
import type { Logger } from 'pino';
import type { EventEmitter } from 'eventemitter3';
import { HotmodError } from '../errors.js';
import { loadModulePackage, planSwap, type ModulePackage } from '../registry/index.js';
import { HOTMOD_VERSION } from '../version.js';
import type { ActivationEngine } from './activationEngine.js';
import type { CallMetrics } from './callMetrics.js';
import type { Clock } from './clock.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import type { ModuleRecord } from './moduleRecord.js';
import type { HostEvents, SwapResult } from './types.js';

export interface SwapDeps {
  engine: ActivationEngine;
  events: EventEmitter<HostEvents>;
  metrics: CallMetrics;
  clock: Clock;
  logger: Logger;
  drainTimeoutMs: number;
  /** The catalog changed (a version or provides changed): the host bumps its generation. */
  onCatalogChanged(changed: string[]): void;
}

interface NewBindings {
  readonly bindings: Readonly<Record<string, string>>;
  readonly optionalBindings: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
}

export class SwapCoordinator {
  readonly #d: SwapDeps;

  constructor(deps: SwapDeps) {
    this.#d = deps;
  }

  /** Queues a swap of `record` to `pkg` (or to what is on disk now when `pkg` is absent). */
  swap(record: ModuleRecord, pkg?: ModulePackage): Promise<SwapResult> {
    record.swapsPending++;
    const run = record.swapQueue.then(() => {
      record.swapsPending--;
      // A later swap of the same module is queued: it will read newer files; this one is stale.
      if (record.swapsPending > 0 && pkg === undefined) {
        const v = record.pkg.manifest.version;
        return { id: record.id, from: v, to: v, stateful: record.serving?.stateful ?? false, durationMs: 0, skipped: true };
      }
      return this.#run(record, pkg);
    });
    record.swapQueue = run.catch(() => {});
    return run;
  }

  #refuse(record: ModuleRecord, reason: string, details: Record<string, unknown>, to?: string): never {
    const error = new HotmodError(
      RuntimeErrorCode.SWAP_REFUSED,
      `swap of module '${record.id}' refused: ${reason}; version ${record.pkg.manifest.version} serves on`,
      { moduleId: record.id, from: record.pkg.manifest.version, ...(to ? { to } : {}), reason, ...details },
    );
    this.#d.metrics.swaps.refused++;
    this.#d.events.emit('swap:failed', { id: record.id, from: record.pkg.manifest.version, ...(to ? { to } : {}), code: error.code, reason, error });
    throw error;
  }

  async #load(record: ModuleRecord): Promise<ModulePackage> {
    const { pkg, diagnostics } = await loadModulePackage(record.pkg.dir);
    if (!pkg) {
      const errors = diagnostics.filter((d) => d.severity === 'error');
      this.#refuse(record, `the new version in ${record.pkg.dir} is invalid: ${errors.map((d) => `${d.jsonPath}: ${d.message}`).join('; ')}`, {
        diagnostics: errors,
      });
    }
    return pkg;
  }

  /** The compatibility check against the running graph. Returns the new version's bindings. */
  #check(record: ModuleRecord, pkg: ModulePackage): NewBindings {
    const m = pkg.manifest;
    const to = m.version;
    if (m.id !== record.id) this.#refuse(record, `the folder now declares id '${m.id}'; an id change is an unload plus an add`, {}, to);
    // The resolver again, with every other running module held (registry planSwap): the routing table's answer.
    const held = [...this.#d.engine.records.values()].filter((r) => r.state.name !== 'unresolved').map((r) => ({ pkg: r.pkg, bindings: { ...r.bindings, ...r.optionalBindings } }));
    const plan = planSwap(held, pkg, HOTMOD_VERSION);
    if (!plan.ok) this.#refuse(record, plan.reason, { ...plan.details }, to);
    return plan;
  }

  #failed(record: ModuleRecord, from: string, to: string, cause: unknown): never {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new HotmodError(
      RuntimeErrorCode.SWAP_FAILED,
      `swap of module '${record.id}' from ${from} to ${to} failed: ${reason}; version ${from} resumed and serves on`,
      { moduleId: record.id, from, to, reason },
      { cause },
    );
    this.#d.metrics.swaps.failed++;
    this.#d.events.emit('swap:failed', { id: record.id, from, to, code: error.code, reason, error });
    throw error;
  }

  #commit(record: ModuleRecord, pkg: ModulePackage, b: NewBindings, instance: ModuleInstance | undefined): void {
    const changed =
      pkg.manifest.version !== record.pkg.manifest.version ||
      JSON.stringify(pkg.manifest.provides) !== JSON.stringify(record.pkg.manifest.provides) ||
      // The routing table and client closures change with the bindings and dependsOn too.
      JSON.stringify({ ...b.bindings, ...b.optionalBindings }) !== JSON.stringify({ ...record.bindings, ...record.optionalBindings }) ||
      JSON.stringify(pkg.manifest.dependsOn) !== JSON.stringify(record.pkg.manifest.dependsOn);
    record.pkg = pkg;
    record.bindings = b.bindings;
    record.optionalBindings = b.optionalBindings;
    record.dependsOn = b.dependsOn;
    if (instance) this.#install(record, instance);
    if (changed) this.#d.onCatalogChanged([record.id]);
  }

  /**
   * Makes `instance` the serving one. During a stateful swap the old instance may have
   * crashed (the module is `failed`, a restart scheduled): the instance the swap brings
   * up replaces that restart.
   */
  #install(record: ModuleRecord, instance: ModuleInstance): void {
    const state = record.state;
    if (state.name === 'failed' && state.timer !== undefined) this.#d.clock.clearTimeout(state.timer);
    record.state = { name: 'active', instance };
    record.serving = instance;
  }

  async #run(record: ModuleRecord, given: ModulePackage | undefined): Promise<SwapResult> {
    const d = this.#d;
    const from = record.pkg.manifest.version;
    const started = performance.now();
    const pkg = given ?? (await this.#load(record));
    const to = pkg.manifest.version;
    const b = this.#check(record, pkg);
    // An activation in progress (a lazy module's first call, a restart) has callers waiting on
    // it: let it finish, then hand over from the instance it produced. Cancelling it would fail them.
    for (let s = record.state; s.name === 'activating'; s = record.state) await s.promise.catch(() => {});
    // Refused before the generation moves: a refusal changes nothing, so it cancels nothing
    // (deactivate() has already moved the generation past any activation or restart timer).
    const current = record.state;
    if (current.name === 'deactivating' || current.name === 'inactive')
      this.#refuse(record, `the module is ${current.name} (being unloaded, or the host is stopping)`, { state: current.name }, to);
    // From here the swap owns the record: a pending restart timer or activation of the old version is stale.
    const generation = ++record.generation;
    const old = record.serving;

    // Not serving (lazy and never called, failed, restarting): no instance to hand over from.
    if (old === undefined || record.state.name !== 'active') {
      const state = record.state;
      if (state.name === 'failed' && state.timer !== undefined) d.clock.clearTimeout(state.timer);
      this.#commit(record, pkg, b, undefined);
      record.failures = [];
      if (state.name !== 'resolved') record.state = { name: 'resolved' };
      if (pkg.manifest.activation === 'eager' || state.name === 'failed') {
        try {
          await d.engine.ensureActive(record);
        } catch (error) {
          this.#failed(record, from, to, error);
        }
      }
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id: record.id, from, to, stateful: false, durationMs, heldCalls: 0 });
      return { id: record.id, from, to, stateful: false, durationMs };
    }

    const onFatal = (i: ModuleInstance, e: Error) => d.engine.onFatal(record, i, e);
    if (!old.stateful) {
      let next: ModuleInstance;
      try {
        next = await d.engine.startInstance(pkg, undefined, onFatal);
      } catch (error) {
        this.#failed(record, from, to, error);
      }
      if (record.generation !== generation || record.serving !== old) {
        await next.sandbox.dispose();
        this.#failed(record, from, to, new Error('the module was unloaded or restarted during the swap'));
      }
      this.#commit(record, pkg, b, next);
      d.engine.retireInBackground(record, old, false);
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id: record.id, from, to, stateful: false, durationMs, heldCalls: 0 });
      d.logger.info({ module: record.id, from, to, durationMs }, 'module swapped');
      return { id: record.id, from, to, stateful: false, durationMs };
    }

    // Stateful: read and compile the new version while the old one serves; then hold new
    // calls, drain, hand the state over.
    let prepared: Awaited<ReturnType<typeof d.engine.prepareInstance>>;
    try {
      prepared = await d.engine.prepareInstance(pkg, onFatal);
    } catch (error) {
      this.#failed(record, from, to, error);
    }
    if (record.generation !== generation || record.serving !== old) {
      await prepared.dispose().catch(() => {});
      this.#failed(record, from, to, new Error('the module was unloaded or restarted during the swap'));
    }
    let release!: () => void;
    record.gate = new Promise<void>((resolve) => (release = resolve));
    let heldCalls = 0;
    try {
      // A call still running when the budget passes is never cut: the swap gives up instead,
      // and the old version (its state untouched) serves the held calls.
      if (!(await old.drain(d.clock, d.drainTimeoutMs))) {
        await prepared.dispose().catch(() => {});
        const inFlight = old.inFlight;
        this.#failed(record, from, to, new HotmodError(
          RuntimeErrorCode.SWAP_FAILED,
          `${inFlight} call(s) still in flight after the drain budget (${d.drainTimeoutMs} ms), so the state could not be handed over; swap again once they finish, or raise drainTimeoutMs`,
          { inFlight, drainTimeoutMs: d.drainTimeoutMs },
        ));
      }
      let state: unknown;
      try {
        state = await old.sandbox.deactivate();
      } catch (error) {
        // A deactivated sandbox serves no calls, and there is no state to hand over: the old
        // version resumes in a fresh sandbox without previousState, and serves the held calls.
        await prepared.dispose().catch(() => {});
        await this.#resume(record, old, undefined);
        this.#failed(record, from, to, new HotmodError(RuntimeErrorCode.SWAP_FAILED, `deactivate() of version ${from} threw: ${(error as Error).message} (it resumed without previousState)`, {}, { cause: error }));
      }
      let next: ModuleInstance;
      try {
        next = await prepared.activate(state);
      } catch (error) {
        await this.#resume(record, old, state);
        heldCalls = record.held;
        this.#failed(record, from, to, error);
      }
      heldCalls = record.held;
      if (record.generation !== generation) {
        // Unloaded meanwhile: the new instance is stale, and the old one already handed its state over.
        await next.sandbox.dispose();
        this.#failed(record, from, to, new Error('the module was unloaded during the swap'));
      }
      this.#commit(record, pkg, b, next);
      old.retired = true;
      void old.sandbox.dispose().catch(() => {});
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id: record.id, from, to, stateful: true, durationMs, heldCalls });
      d.logger.info({ module: record.id, from, to, durationMs, heldCalls }, 'module swapped (stateful)');
      return { id: record.id, from, to, stateful: true, durationMs };
    } finally {
      record.gate = undefined;
      release();
    }
  }

  /** Rollback of a stateful swap: the old version again, with its own state, in a fresh sandbox. */
  async #resume(record: ModuleRecord, old: ModuleInstance, state: unknown): Promise<void> {
    const d = this.#d;
    old.retired = true;
    void old.sandbox.dispose().catch(() => {});
    try {
      const again = await d.engine.startInstance(old.pkg, state, (i, e) => d.engine.onFatal(record, i, e), old.code);
      this.#install(record, again);
    } catch (error) {
      // Nothing can serve: the module fails (and restarts with backoff) like any crash.
      record.serving = undefined;
      d.engine.crash(record, error as Error, old.version);
    }
  }
}
