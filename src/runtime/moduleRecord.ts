/**
 * Everything the host holds about one module id: the package version it runs, what the
 * resolver bound its requirements to, its lifecycle state, the instance serving calls,
 * and the gate that holds calls during a stateful swap.
 */
import type { ModulePackage } from '../registry/index.js';
import type { ModuleInstance } from './moduleInstance.js';
import { assertTransition, type ModuleState } from './moduleState.js';

export class ModuleRecord {
  #state: ModuleState = { name: 'discovered' };
  /** The instance calls go to; undefined unless active. Read by the router's hot path. */
  serving: ModuleInstance | undefined;
  /** Set while a stateful swap holds new calls; the router awaits it then re-reads `serving`. */
  gate: Promise<void> | undefined;
  /** Calls waiting at `gate` right now (reported by module:swapped). */
  held = 0;
  /** Bumped when the module is reloaded, unloaded or swapped: stale async work checks it. */
  generation = 0;
  /** Swaps run one at a time per module. */
  swapQueue: Promise<unknown> = Promise.resolve();
  /** Swaps requested and not yet started: a queued swap that is superseded is skipped. */
  swapsPending = 0;
  /** Timestamps of failures inside the crash-budget window. */
  failures: number[] = [];
  restarts = 0;
  activationMs: number | undefined;
  /** Instances swapped out and still draining; stop waits for them. */
  readonly retiring = new Set<Promise<void>>();

  constructor(
    public pkg: ModulePackage,
    /** Required capability -> provider id. */
    public bindings: Readonly<Record<string, string>>,
    public optionalBindings: Readonly<Record<string, string>>,
    public dependsOn: readonly string[],
  ) {}

  get id(): string {
    return this.pkg.manifest.id;
  }

  /** The lifecycle state. Every assignment is checked against the state machine (moduleState.ts). */
  get state(): ModuleState {
    return this.#state;
  }

  set state(next: ModuleState) {
    assertTransition(this.id, this.#state.name, next.name);
    this.#state = next;
  }

  /** Module ids that must be active before this one: required providers and dependsOn. */
  requiredModules(): string[] {
    const ids = new Set<string>([...Object.values(this.bindings), ...this.dependsOn]);
    ids.delete(this.id);
    return [...ids];
  }
}
