/**
 * The module table: the one writer of module state (STYLE.md 4, 5). It holds a cell per
 * module id (moduleRecord.ts) and is the only code that changes one. The activation
 * engine, the swap coordinator and the catalog reconciler compute what should happen and
 * send it as an intent, `table.apply(id, intent)`; everything else reads snapshots
 * (`table.get(id)`): frozen, replaced by every change, so what a reader holds never
 * changes under it.
 *
 * Each intent is accepted only in the states `INTENT_SOURCES` lists for it, and the state
 * it produces is checked against the lifecycle (moduleState.ts); either refusal throws
 * E_STATE_TRANSITION (a bug in hotmod) and changes nothing. Leaving a state releases what
 * it held: a `failed` state's restart timer is cleared, a swap's gate is opened (the held
 * calls then read the state that replaced it).
 *
 *   intent        from                                   to
 *   resolve       discovered | unresolved | inactive     resolved (bound afresh)
 *   unresolve     any                                    unresolved (new generation)
 *   activate      resolved                               activating
 *   activated     activating                             active
 *   fail          activating | active | swapping | failed failed (a swap's gate stays held)
 *   restart       failed                                 resolved (restarts + 1)
 *   retry         failed                                 resolved (its dependency is back)
 *   claim         any                                    same state (new generation)
 *   deactivate    active                                 deactivating
 *   deactivated   resolved | activating | failed | deactivating   inactive
 *   beginSwap     active                                 swapping { old, next }
 *   holdCalls     swapping                               swapping { old, next, gate }
 *   install       swapping | failed                      active (the new or resumed instance)
 *   endSwap       swapping | failed                      active (old serves on) | failed (gate opened)
 *   replace       discovered | resolved | failed | unresolved   resolved (a swap of a module that does not serve)
 */
import { HotmodError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import type { CallGate } from './callGate.js';
import type { Clock, ClockTimer } from './clock.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import { ModuleRecord, type ModuleBinding, type ModuleChanges, type ModuleSnapshot } from './moduleRecord.js';
import { gateOf, type ModuleState, type ModuleStateTag } from './moduleState.js';

export type { ModuleBinding, ModuleSnapshot };

/** What the engine, the swap coordinator and the reconciler ask of a module's state. */
export type ModuleIntent =
  | { readonly type: 'resolve'; readonly binding: ModuleBinding }
  | { readonly type: 'unresolve'; readonly error: HotmodError }
  | { readonly type: 'activate'; readonly promise: Promise<ModuleInstance> }
  | { readonly type: 'activated'; readonly instance: ModuleInstance; readonly activationMs: number }
  | {
      readonly type: 'fail';
      readonly error: HotmodError;
      readonly dependency?: string;
      readonly restart?: { readonly at: number; readonly timer: ClockTimer };
      readonly quarantine?: { readonly crashes: number; readonly windowMs: number };
      /** The crash-budget window after this failure. */
      readonly failures: readonly number[];
    }
  | { readonly type: 'restart' }
  | { readonly type: 'retry' }
  | { readonly type: 'claim' }
  | { readonly type: 'deactivate'; readonly done: Promise<void> }
  | { readonly type: 'deactivated' }
  | { readonly type: 'beginSwap'; readonly next: ModulePackage }
  | { readonly type: 'holdCalls'; readonly gate: CallGate }
  | { readonly type: 'install'; readonly instance: ModuleInstance; readonly binding?: ModuleBinding }
  | { readonly type: 'endSwap' }
  | { readonly type: 'replace'; readonly binding: ModuleBinding };

export type ModuleIntentType = ModuleIntent['type'];

const ANY = 'any';

/** The states in which each intent is accepted. */
const SOURCES: Record<ModuleIntentType, readonly ModuleStateTag[] | typeof ANY> = {
  resolve: ['discovered', 'unresolved', 'inactive'],
  unresolve: ANY,
  activate: ['resolved'],
  activated: ['activating'],
  fail: ['activating', 'active', 'swapping', 'failed'],
  restart: ['failed'],
  retry: ['failed'],
  claim: ANY,
  deactivate: ['active'],
  deactivated: ['resolved', 'activating', 'failed', 'deactivating'],
  beginSwap: ['active'],
  holdCalls: ['swapping'],
  install: ['swapping', 'failed'],
  endSwap: ['swapping', 'failed'],
  replace: ['discovered', 'resolved', 'failed', 'unresolved'],
};
export const INTENT_SOURCES: Readonly<Record<ModuleIntentType, readonly ModuleStateTag[] | typeof ANY>> = Object.freeze(SOURCES);

const RESOLVED: ModuleState = Object.freeze({ name: 'resolved' });
const INACTIVE: ModuleState = Object.freeze({ name: 'inactive' });

/** The table key of a rollout's candidate: `id@version` (a module id never contains '@'). */
export function candidateKey(moduleId: string, version: string): string {
  return `${moduleId}@${version}`;
}

/** A rollout's candidate: its key is not its module id. */
export function isCandidate(record: ModuleSnapshot): boolean {
  return record.id !== record.pkg.manifest.id;
}

function bug(message: string, details: Record<string, unknown>): HotmodError {
  return new HotmodError(RuntimeErrorCode.STATE_TRANSITION, `${message}; this is a bug in hotmod, please report it with the host log`, details);
}

export class ModuleTable {
  readonly #clock: Clock;
  readonly #records = new Map<string, ModuleRecord>();
  /** The current snapshot of every record: what `get` hands out (one map read on the router's path). */
  readonly #snapshots = new Map<string, ModuleSnapshot>();
  /** Generations are unique across the table (a record re-created under an id starts past every old one). */
  #generation = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#snapshots.size;
  }

  /** The module's current snapshot. */
  get(id: string): ModuleSnapshot | undefined {
    return this.#snapshots.get(id);
  }

  has(id: string): boolean {
    return this.#snapshots.has(id);
  }

  /** Module ids in the order they were added. */
  ids(): string[] {
    return [...this.#snapshots.keys()];
  }

  /** Every module's current snapshot, in the order they were added (rollout candidates included). */
  values(): ModuleSnapshot[] {
    return [...this.#snapshots.values()];
  }

  /** The modules of the catalog: every snapshot but rollout candidates. */
  catalogValues(): ModuleSnapshot[] {
    return this.values().filter((r) => !isCandidate(r));
  }

  /**
   * A new module, `discovered`; then `resolve` or `unresolve` it. Under its id, or, for a
   * rollout's candidate (the new version running beside the serving one), under
   * `candidateKey(id, version)`: a cell of its own, with its own state, generation and
   * metrics, which the catalog and the routing table leave out (the router picks it per client).
   */
  add(pkg: ModulePackage, key = pkg.manifest.id): ModuleSnapshot {
    const id = key;
    if (this.#records.has(id)) throw bug(`module table: '${id}' is already in the table`, { moduleId: id });
    const record = new ModuleRecord(pkg, {}, {}, [], ++this.#generation, id);
    this.#records.set(id, record);
    this.#snapshots.set(id, record.snapshot);
    return record.snapshot;
  }

  /** Drops the module's record (its folder is gone); it should be inactive by now. */
  remove(id: string): void {
    this.#records.delete(id);
    this.#snapshots.delete(id);
  }

  /** Applies one intent: the only way a module's state changes. Returns the new snapshot. */
  apply(id: string, intent: ModuleIntent): ModuleSnapshot {
    const record = this.#records.get(id);
    if (record === undefined) throw bug(`module table: intent '${intent.type}' for '${id}', which is not in the table`, { moduleId: id, intent: intent.type });
    const prev = record.snapshot;
    const from = prev.state;
    const sources = INTENT_SOURCES[intent.type];
    if (sources !== ANY && !sources.includes(from.name))
      throw bug(`module '${id}': intent '${intent.type}' is not accepted in state ${from.name} (only in ${sources.join(', ')})`, {
        moduleId: id,
        intent: intent.type,
        from: from.name,
        allowed: [...sources],
      });
    const next = record.update(this.#changes(prev, intent));
    this.#snapshots.set(id, next);
    if (next.state !== from) this.#release(from, next.state);
    return next;
  }

  #changes(prev: ModuleSnapshot, intent: ModuleIntent): ModuleChanges {
    const from = prev.state;
    switch (intent.type) {
      case 'resolve':
        return { ...intent.binding, state: RESOLVED };
      case 'unresolve':
        return { state: { name: 'unresolved', error: intent.error }, generation: ++this.#generation };
      case 'activate':
        return { state: { name: 'activating', promise: intent.promise } };
      case 'activated':
        return { state: { name: 'active', instance: intent.instance }, activationMs: intent.activationMs };
      case 'fail': {
        const gate = gateOf(from);
        return {
          failures: intent.failures,
          state: {
            name: 'failed',
            error: intent.error,
            ...(intent.dependency !== undefined ? { dependency: intent.dependency } : {}),
            ...(intent.restart ? { restartAt: intent.restart.at, timer: intent.restart.timer } : {}),
            ...(intent.quarantine ? { quarantine: intent.quarantine } : {}),
            ...(gate ? { gate } : {}),
          },
        };
      }
      case 'restart':
        return { state: RESOLVED, restarts: prev.restarts + 1 };
      case 'retry':
        return { state: RESOLVED };
      case 'claim':
        return { generation: ++this.#generation };
      case 'deactivate':
        return { state: { name: 'deactivating', done: intent.done } };
      case 'deactivated':
        return { state: INACTIVE };
      case 'beginSwap':
        return { state: { name: 'swapping', old: (from as Extract<ModuleState, { name: 'active' }>).instance, next: intent.next, gate: undefined } };
      case 'holdCalls':
        return { state: { ...(from as Extract<ModuleState, { name: 'swapping' }>), gate: intent.gate } };
      case 'install':
        return { ...intent.binding, state: { name: 'active', instance: intent.instance } };
      case 'endSwap': {
        if (from.name === 'swapping') return { state: { name: 'active', instance: from.old } };
        const { gate: _opened, ...failed } = from as Extract<ModuleState, { name: 'failed' }>;
        return { state: failed };
      }
      case 'replace':
        return { ...intent.binding, failures: [], state: from.name === 'resolved' ? from : RESOLVED };
      default: {
        const never: never = intent;
        return never;
      }
    }
  }

  /** What the state left held: a restart timer is cleared, a gate is opened. */
  #release(from: ModuleState, to: ModuleState): void {
    // A failed state that stays failed with the same restart (endSwap) keeps its timer.
    if (from.name === 'failed' && from.timer !== undefined && !(to.name === 'failed' && to.timer === from.timer)) this.#clock.clearTimeout(from.timer);
    const gate = gateOf(from);
    if (gate !== undefined && gateOf(to) !== gate) gate.open();
  }
}
