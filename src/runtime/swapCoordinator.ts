/**
 * Zero-downtime swap (DESIGN.md "Zero-downtime swap"). One serial queue per module;
 * a queued swap superseded by a later one is skipped (the later one reads the newest
 * files). The new version is compiled and activated in a fresh sandbox while the old one
 * serves:
 *
 *   stateless:  swapping { old } ──► activate new ──► install new (atomic) ──► old drains
 *               (every call it started finishes, however long), then disposed
 *   stateful:   swapping { old } ──► compile new ──► swapping { old, gate } (calls held)
 *                 ──► drain old (budget passed: give up, old serves on)
 *                 ──► state = old.deactivate() ──► activate new(state)
 *                 ├─ ok:   switch, open the gate (held calls go to new), dispose old
 *                 └─ fail: old version re-activated with its own state in a fresh sandbox,
 *                          open the gate (held calls go to it), swap:failed
 *
 * Refused before anything changes: an invalid package, a changed id, or capability
 * versions that no longer satisfy an active consumer's range (or the new version's own
 * requirements that the running providers do not satisfy).
 *
 * The coordinator decides; the module table records: `beginSwap`, `holdCalls`, `install`
 * and `endSwap` are intents (moduleTable.ts), and the table opens the gate when the
 * swapping state is left, whichever way it is left.
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
import { CallGate } from './callGate.js';
import type { ModuleInstance } from './moduleInstance.js';
import { servingInstance } from './moduleState.js';
import type { ModuleSnapshot } from './moduleTable.js';
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

const NO_SWAPS: Promise<unknown> = Promise.resolve();

/** One module's swaps: run one at a time; `pending` counts those queued and not yet started. */
interface SwapQueue {
  tail: Promise<unknown>;
  pending: number;
}

export class SwapCoordinator {
  readonly #d: SwapDeps;
  readonly #queues = new Map<string, SwapQueue>();

  constructor(deps: SwapDeps) {
    this.#d = deps;
  }

  /** Settles once no swap of `id` is queued or running. The same promise until another swap is queued. */
  settled(id: string): Promise<unknown> {
    return this.#queues.get(id)?.tail ?? NO_SWAPS;
  }

  /** Queues a swap of module `id` to `pkg` (or to what is on disk now when `pkg` is absent). */
  swap(id: string, pkg?: ModulePackage): Promise<SwapResult> {
    let queue = this.#queues.get(id);
    if (queue === undefined) this.#queues.set(id, (queue = { tail: Promise.resolve(), pending: 0 }));
    const q = queue;
    q.pending++;
    const run = q.tail.then(() => {
      q.pending--;
      const record = this.#d.engine.table.get(id);
      if (record === undefined)
        throw new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `swap: module '${id}' left the running catalog before its swap started`, { moduleId: id });
      // A later swap of the same module is queued: it will read newer files; this one is stale.
      if (q.pending > 0 && pkg === undefined) {
        const v = record.pkg.manifest.version;
        return { id, from: v, to: v, stateful: servingInstance(record.state)?.stateful ?? false, durationMs: 0, skipped: true };
      }
      return this.#run(id, pkg);
    });
    q.tail = run.catch(() => {});
    return run;
  }

  #refuse(record: ModuleSnapshot, reason: string, details: Record<string, unknown>, to?: string): never {
    const error = new HotmodError(
      RuntimeErrorCode.SWAP_REFUSED,
      `swap of module '${record.id}' refused: ${reason}; version ${record.pkg.manifest.version} serves on`,
      { moduleId: record.id, from: record.pkg.manifest.version, ...(to ? { to } : {}), reason, ...details },
    );
    this.#d.metrics.swaps.refused++;
    this.#d.events.emit('swap:failed', { id: record.id, from: record.pkg.manifest.version, ...(to ? { to } : {}), code: error.code, reason, error });
    throw error;
  }

  async #load(record: ModuleSnapshot): Promise<ModulePackage> {
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
  #check(record: ModuleSnapshot, pkg: ModulePackage): NewBindings {
    const m = pkg.manifest;
    const to = m.version;
    if (m.id !== record.id) this.#refuse(record, `the folder now declares id '${m.id}'; an id change is an unload plus an add`, {}, to);
    // The resolver again, with every other running module held (registry planSwap): the routing table's answer.
    const held = this.#d.engine.table
      .values()
      .filter((r) => r.state.name !== 'unresolved')
      .map((r) => ({ pkg: r.pkg, bindings: { ...r.bindings, ...r.optionalBindings } }));
    const plan = planSwap(held, pkg, HOTMOD_VERSION);
    if (!plan.ok) this.#refuse(record, plan.reason, { ...plan.details }, to);
    return { bindings: plan.bindings, optionalBindings: plan.optionalBindings, dependsOn: plan.dependsOn };
  }

  #failed(id: string, from: string, to: string, cause: unknown): never {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const error = new HotmodError(
      RuntimeErrorCode.SWAP_FAILED,
      `swap of module '${id}' from ${from} to ${to} failed: ${reason}; version ${from} resumed and serves on`,
      { moduleId: id, from, to, reason },
      { cause },
    );
    this.#d.metrics.swaps.failed++;
    this.#d.events.emit('swap:failed', { id, from, to, code: error.code, reason, error });
    throw error;
  }

  /**
   * The new version's package and bindings become the module's, with `instance` serving
   * (`install`), or, when nothing served, resolved afresh (`replace`). A changed version,
   * `provides`, bindings or `dependsOn` bumps the catalog generation.
   */
  #commit(before: ModuleSnapshot, pkg: ModulePackage, b: NewBindings, instance: ModuleInstance | undefined): void {
    const changed =
      pkg.manifest.version !== before.pkg.manifest.version ||
      JSON.stringify(pkg.manifest.provides) !== JSON.stringify(before.pkg.manifest.provides) ||
      // The routing table and client closures change with the bindings and dependsOn too.
      JSON.stringify({ ...b.bindings, ...b.optionalBindings }) !== JSON.stringify({ ...before.bindings, ...before.optionalBindings }) ||
      JSON.stringify(pkg.manifest.dependsOn) !== JSON.stringify(before.pkg.manifest.dependsOn);
    const binding = { pkg, ...b };
    this.#d.engine.table.apply(before.id, instance ? { type: 'install', instance, binding } : { type: 'replace', binding });
    if (changed) this.#d.onCatalogChanged([before.id]);
  }

  /** The swap is over without an install: the old instance serves on (or, crashed, the module stays failed), and the gate opens. */
  #endSwap(id: string): void {
    const state = this.#d.engine.table.get(id)?.state;
    if (state?.name === 'swapping' || (state?.name === 'failed' && state.gate !== undefined)) this.#d.engine.table.apply(id, { type: 'endSwap' });
  }

  async #run(id: string, given: ModulePackage | undefined): Promise<SwapResult> {
    const d = this.#d;
    const table = d.engine.table;
    // Stop and unload wait for this swap (engine.deactivate awaits `settled`), so the record stays in the table.
    const initial = table.get(id)!;
    const from = initial.pkg.manifest.version;
    const started = performance.now();
    const pkg = given ?? (await this.#load(initial));
    const to = pkg.manifest.version;
    const b = this.#check(table.get(id)!, pkg);
    // An activation in progress (a lazy module's first call, a restart) has callers waiting on
    // it: let it finish, then hand over from the instance it produced. Cancelling it would fail them.
    for (let s = table.get(id)!.state; s.name === 'activating'; s = table.get(id)!.state) await s.promise.catch(() => {});
    // Refused before the generation moves: a refusal changes nothing, so it cancels nothing
    // (deactivate() has already moved the generation past any activation or restart timer).
    const current = table.get(id)!;
    if (current.state.name === 'deactivating' || current.state.name === 'inactive')
      this.#refuse(current, `the module is ${current.state.name} (being unloaded, or the host is stopping)`, { state: current.state.name }, to);
    // From here the swap owns the record: a pending restart timer or activation of the old version is stale.
    const claimed = table.apply(id, { type: 'claim' });
    const generation = claimed.generation;
    const isCurrent = () => table.get(id)?.generation === generation;

    // Not serving (lazy and never called, failed, restarting): no instance to hand over from.
    if (claimed.state.name !== 'active') {
      const wasFailed = claimed.state.name === 'failed';
      this.#commit(claimed, pkg, b, undefined);
      if (pkg.manifest.activation === 'eager' || wasFailed) {
        try {
          await d.engine.ensureActive(id);
        } catch (error) {
          this.#failed(id, from, to, error);
        }
      }
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id, from, to, stateful: false, durationMs, heldCalls: 0 });
      return { id, from, to, stateful: false, durationMs };
    }

    const old = claimed.state.instance;
    const stillServing = () => isCurrent() && servingInstance(table.get(id)!.state) === old;
    const onFatal = d.engine.fatalHandler(id);
    table.apply(id, { type: 'beginSwap', next: pkg });
    try {
      if (!old.stateful) {
        let next: ModuleInstance;
        try {
          next = await d.engine.startInstance(pkg, undefined, onFatal);
        } catch (error) {
          this.#failed(id, from, to, error);
        }
        if (!stillServing()) {
          await next.sandbox.dispose();
          this.#failed(id, from, to, new Error('the module was unloaded or restarted during the swap'));
        }
        this.#commit(claimed, pkg, b, next);
        d.engine.retireInBackground(id, old, false);
        d.metrics.swaps.succeeded++;
        const durationMs = performance.now() - started;
        d.events.emit('module:swapped', { id, from, to, stateful: false, durationMs, heldCalls: 0 });
        d.logger.info({ module: id, from, to, durationMs }, 'module swapped');
        return { id, from, to, stateful: false, durationMs };
      }

      // Stateful: read and compile the new version while the old one serves; then hold new
      // calls, drain, hand the state over.
      let prepared: Awaited<ReturnType<typeof d.engine.prepareInstance>>;
      try {
        prepared = await d.engine.prepareInstance(pkg, onFatal);
      } catch (error) {
        this.#failed(id, from, to, error);
      }
      if (!stillServing()) {
        await prepared.dispose().catch(() => {});
        this.#failed(id, from, to, new Error('the module was unloaded or restarted during the swap'));
      }
      const gate = new CallGate();
      table.apply(id, { type: 'holdCalls', gate });
      let heldCalls = 0;
      // A call still running when the budget passes is never cut: the swap gives up instead,
      // and the old version (its state untouched) serves the held calls.
      if (!(await old.drain(d.clock, d.drainTimeoutMs))) {
        await prepared.dispose().catch(() => {});
        const inFlight = old.inFlight;
        this.#failed(id, from, to, new HotmodError(
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
        await this.#resume(id, old, undefined);
        this.#failed(id, from, to, new HotmodError(RuntimeErrorCode.SWAP_FAILED, `deactivate() of version ${from} threw: ${(error as Error).message} (it resumed without previousState)`, {}, { cause: error }));
      }
      let next: ModuleInstance;
      try {
        next = await prepared.activate(state);
      } catch (error) {
        await this.#resume(id, old, state);
        heldCalls = gate.held;
        this.#failed(id, from, to, error);
      }
      heldCalls = gate.held;
      if (!isCurrent()) {
        // Unloaded meanwhile: the new instance is stale, and the old one already handed its state over.
        await next.sandbox.dispose();
        this.#failed(id, from, to, new Error('the module was unloaded during the swap'));
      }
      // Installing leaves the swapping state: the table opens the gate and the held calls go to `next`.
      this.#commit(claimed, pkg, b, next);
      old.retired = true;
      void old.sandbox.dispose().catch(() => {});
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id, from, to, stateful: true, durationMs, heldCalls });
      d.logger.info({ module: id, from, to, durationMs, heldCalls }, 'module swapped (stateful)');
      return { id, from, to, stateful: true, durationMs };
    } finally {
      this.#endSwap(id);
    }
  }

  /** Rollback of a stateful swap: the old version again, with its own state, in a fresh sandbox. */
  async #resume(id: string, old: ModuleInstance, state: unknown): Promise<void> {
    const d = this.#d;
    old.retired = true;
    void old.sandbox.dispose().catch(() => {});
    try {
      const again = await d.engine.startInstance(old.pkg, state, d.engine.fatalHandler(id), old.code);
      d.engine.table.apply(id, { type: 'install', instance: again });
    } catch (error) {
      // Nothing can serve: the module fails (and restarts with backoff) like any crash.
      d.engine.crash(id, error as Error, old.version);
    }
  }
}
