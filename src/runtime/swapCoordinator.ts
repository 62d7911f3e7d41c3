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
import { candidateKey, type ModuleSnapshot } from './moduleTable.js';
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

  /** The resolver again, with every other running module held (registry planSwap): the routing table's answer. */
  #plan(pkg: ModulePackage): ReturnType<typeof planSwap> {
    const held = this.#d.engine.table
      .catalogValues()
      .filter((r) => r.state.name !== 'unresolved')
      .map((r) => ({ pkg: r.pkg, bindings: { ...r.bindings, ...r.optionalBindings } }));
    return planSwap(held, pkg, HOTMOD_VERSION);
  }

  /** The compatibility check against the running graph. Returns the new version's bindings. */
  #check(record: ModuleSnapshot, pkg: ModulePackage): NewBindings {
    const m = pkg.manifest;
    const to = m.version;
    if (m.id !== record.id) this.#refuse(record, `the folder now declares id '${m.id}'; an id change is an unload plus an add`, {}, to);
    const plan = this.#plan(pkg);
    if (!plan.ok) this.#refuse(record, plan.reason, { ...plan.details }, to);
    return { bindings: plan.bindings, optionalBindings: plan.optionalBindings, dependsOn: plan.dependsOn };
  }

  /** Runs `work` in module `id`'s serial queue (after its swaps; later swaps wait for it). */
  #queued<T>(id: string, work: () => Promise<T>): Promise<T> {
    let queue = this.#queues.get(id);
    if (queue === undefined) this.#queues.set(id, (queue = { tail: Promise.resolve(), pending: 0 }));
    const q = queue;
    const run = q.tail.then(work);
    q.tail = run.catch(() => {});
    return run;
  }

  /**
   * Rollouts (docs/rollouts.md): the new version `pkg` of module `id` as a candidate beside
   * the serving version, under its own table key (candidateKey), checked against the running
   * graph like a swap (consumers of `id` must accept it), and activated. Until the router is
   * told (setVersionRouting) no call reaches it. A candidate that does not activate is
   * removed again and the error thrown.
   */
  startCandidate(id: string, pkg: ModulePackage): Promise<ModuleSnapshot> {
    return this.#queued(id, async () => {
      const table = this.#d.engine.table;
      const key = candidateKey(id, pkg.manifest.version);
      const main = table.get(id);
      if (main === undefined || main.state.name === 'unresolved')
        throw new HotmodError(RuntimeErrorCode.UNKNOWN_MODULE, `rollout of '${key}': module '${id}' is not running on this host`, { moduleId: id });
      if (!table.has(key)) {
        const plan = this.#plan(pkg);
        if (!plan.ok)
          throw new HotmodError(RuntimeErrorCode.SWAP_REFUSED, `rollout of '${key}' refused: ${plan.reason}; version ${main.pkg.manifest.version} serves on`, {
            moduleId: id,
            to: pkg.manifest.version,
            reason: plan.reason,
            ...plan.details,
          });
        table.add(pkg, key);
        table.apply(key, { type: 'resolve', binding: { pkg, bindings: plan.bindings, optionalBindings: plan.optionalBindings, dependsOn: plan.dependsOn } });
      }
      try {
        await this.#d.engine.ensureActive(key);
      } catch (error) {
        await this.#removeCandidate(key);
        throw error;
      }
      return table.get(key)!;
    });
  }

  /**
   * The candidate becomes the module (a rollout reached 100 % and baked): its running instance
   * is installed in the module's cell, `routed()` takes the per-client routing away in the same
   * tick (so no call ever looks up the candidate's key once it is gone), the candidate's cell is
   * dropped without touching its instance, and the old version drains every call it started and
   * unloads (as a swapped-out instance). With no serving candidate, a plain swap to `pkg`.
   */
  promoteCandidate(id: string, pkg: ModulePackage, routed: () => void): Promise<void> {
    return this.#queued(id, async () => {
      const d = this.#d;
      const table = d.engine.table;
      const key = candidateKey(id, pkg.manifest.version);
      const candidate = table.get(key);
      const main = table.get(id);
      const next = candidate?.state.name === 'active' ? candidate.state.instance : undefined;
      if (candidate === undefined || next === undefined || main?.state.name !== 'active') {
        routed();
        if (candidate !== undefined) await this.#removeCandidate(key);
        if (main !== undefined && main.pkg.manifest.version !== pkg.manifest.version) await this.#run(id, pkg);
        return;
      }
      const started = performance.now();
      const from = main.pkg.manifest.version;
      const old = main.state.instance;
      const claimed = table.apply(id, { type: 'claim' });
      table.apply(id, { type: 'beginSwap', next: pkg });
      try {
        this.#commit(claimed, pkg, { bindings: candidate.bindings, optionalBindings: candidate.optionalBindings, dependsOn: candidate.dependsOn }, next);
        routed();
        table.remove(key);
      } finally {
        this.#endSwap(id);
      }
      d.engine.retireInBackground(id, old, true);
      d.metrics.swaps.succeeded++;
      const durationMs = performance.now() - started;
      d.events.emit('module:swapped', { id, from, to: pkg.manifest.version, stateful: old.stateful, durationMs, heldCalls: 0 });
      d.logger.info({ module: id, from, to: pkg.manifest.version }, 'rollout promoted: the new version serves every client, the old one drains');
    });
  }

  /** A rollout ended without its version (rolled back, aborted): `routed()` first, then the candidate drains and unloads. */
  dropCandidate(id: string, version: string, routed: () => void): Promise<void> {
    return this.#queued(id, async () => {
      routed();
      await this.#removeCandidate(candidateKey(id, version));
    });
  }

  async #removeCandidate(key: string): Promise<void> {
    const table = this.#d.engine.table;
    const record = table.get(key);
    if (record === undefined) return;
    // No route leads to it any more: every call it started finishes (each bounded by its own
    // timeout), as a swapped-out instance's do; the unload's drain budget never cuts one.
    await servingInstance(record.state)?.drain(this.#d.clock, Infinity);
    await this.#d.engine.deactivate(key, 'unload').catch(() => {});
    table.remove(key);
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
