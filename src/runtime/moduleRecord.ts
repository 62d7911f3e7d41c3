/**
 * The module table's cell for one module id (moduleTable.ts is the only code that holds
 * one): the package version it runs, what the resolver bound its requirements to, its
 * lifecycle state and its crash-budget bookkeeping. Every write publishes a new frozen
 * `ModuleSnapshot`; readers only ever see snapshots, so what they hold never changes
 * under them, and a state write is checked against the lifecycle (moduleState.ts).
 */
import type { ModulePackage } from '../registry/index.js';
import { assertTransition, type ModuleState } from './moduleState.js';

/** What the resolver (or a swap's compatibility check) bound a module version to. */
export interface ModuleBinding {
  readonly pkg: ModulePackage;
  /** Required capability -> provider id. */
  readonly bindings: Readonly<Record<string, string>>;
  readonly optionalBindings: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
}

/** One module as the table holds it at one moment: immutable. */
export interface ModuleSnapshot extends ModuleBinding {
  /** The table key: the module id, or `id@version` for a rollout's candidate (the new version beside the serving one). */
  readonly id: string;
  /** Module ids that must be active before this one: required providers and dependsOn. */
  readonly requiredModules: readonly string[];
  readonly state: ModuleState;
  /**
   * Moves whenever the module is reloaded, unloaded or swapped: async work that captured
   * it stops when it changed. Unique across the table, so a record re-created under the
   * same id never matches work started for the one before.
   */
  readonly generation: number;
  readonly restarts: number;
  /** Timestamps of failures inside the crash-budget window. */
  readonly failures: readonly number[];
  readonly activationMs: number | undefined;
}

/** The fields a write may change (the id and what follows from the bindings may not). */
export type ModuleChanges = Partial<Omit<ModuleSnapshot, 'id' | 'requiredModules'>>;

function requiredModulesOf(id: string, b: ModuleBinding): readonly string[] {
  const ids = new Set<string>([...Object.values(b.bindings), ...b.dependsOn]);
  ids.delete(id);
  return Object.freeze([...ids]);
}

/** Builds a snapshot with every field in one fixed order: one hidden class for the router's reads. */
function freezeSnapshot(s: ModuleSnapshot): ModuleSnapshot {
  Object.freeze(s.state);
  return Object.freeze({
    id: s.id,
    pkg: s.pkg,
    bindings: s.bindings,
    optionalBindings: s.optionalBindings,
    dependsOn: s.dependsOn,
    requiredModules: s.requiredModules,
    state: s.state,
    generation: s.generation,
    restarts: s.restarts,
    failures: s.failures,
    activationMs: s.activationMs,
  });
}

export class ModuleRecord {
  #snapshot: ModuleSnapshot;

  constructor(
    pkg: ModulePackage,
    bindings: Readonly<Record<string, string>>,
    optionalBindings: Readonly<Record<string, string>>,
    dependsOn: readonly string[],
    generation = 0,
    /** The table key: the module id, or `id@version` for a rollout's candidate (moduleTable.ts). */
    id = pkg.manifest.id,
  ) {
    const binding = { pkg, bindings, optionalBindings, dependsOn };
    this.#snapshot = freezeSnapshot({
      id,
      ...binding,
      requiredModules: requiredModulesOf(id, binding),
      state: { name: 'discovered' },
      generation,
      restarts: 0,
      failures: [],
      activationMs: undefined,
    });
  }

  get id(): string {
    return this.#snapshot.id;
  }

  /** What readers get: immutable, replaced by every write. */
  get snapshot(): ModuleSnapshot {
    return this.#snapshot;
  }

  /** The lifecycle state. Every assignment is checked against the state machine (moduleState.ts). */
  get state(): ModuleState {
    return this.#snapshot.state;
  }

  set state(next: ModuleState) {
    this.update({ state: next });
  }

  /** Publishes the next snapshot; a state change the lifecycle does not allow throws E_STATE_TRANSITION and changes nothing. */
  update(changes: ModuleChanges): ModuleSnapshot {
    const prev = this.#snapshot;
    if (changes.state !== undefined && changes.state !== prev.state) assertTransition(prev.id, prev.state.name, changes.state.name);
    const next = { ...prev, ...changes };
    const rebound = changes.pkg !== undefined || changes.bindings !== undefined || changes.dependsOn !== undefined;
    this.#snapshot = freezeSnapshot({ ...next, requiredModules: rebound ? requiredModulesOf(prev.id, next) : prev.requiredModules });
    return this.#snapshot;
  }
}
