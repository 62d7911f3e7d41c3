/**
 * A module's lifecycle as an explicit state machine (DESIGN.md "Lifecycle"). The state is
 * a tagged union (`activating` holds the shared activation promise, `active` its
 * instance, `swapping` the old instance that serves, the version coming in and the gate
 * holding calls, `failed` its error and any scheduled restart, `unresolved` the
 * resolver's explanation), and every change of state goes through `assertTransition`,
 * which refuses a move the table below does not list. Only the module table
 * (moduleTable.ts) changes a state.
 *
 *   discovered ──► resolved ──► activating ──► active ──► deactivating ──► inactive
 *                   │   ▲            │         ↕ swapping                           │
 *                   │   └────────────┼───────────────────────────────────(reload)──┘
 *                   └────────────────┴──► inactive   (stop / unload of a module that is not active)
 *   failed      from every state, with the reason ──► resolved (restart, swap) | inactive (stop)
 *               | active (a stateful swap in progress when the old instance crashed)
 *   unresolved  from every state (a requirement went missing) ──► resolved (it is back)
 *
 * `swapping` is a phase of `active` (the old instance serves, or the gate holds calls for
 * the new one): the lifecycle, host.status() and the table below see it as `active`, so
 * active -> swapping -> active is the lifecycle's active -> active. Which intent may enter
 * or leave it is the module table's own table (moduleTable.ts).
 */
import { HotmodError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import type { CallGate } from './callGate.js';
import type { ClockTimer } from './clock.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import type { ModuleStateName } from './types.js';

export type { ModuleStateName };

export type ModuleState =
  | { readonly name: 'discovered' }
  | { readonly name: 'resolved' }
  | { readonly name: 'activating'; readonly promise: Promise<ModuleInstance> }
  | { readonly name: 'active'; readonly instance: ModuleInstance }
  | {
      readonly name: 'swapping';
      /** The instance serving until the swap ends (while `gate` is open). */
      readonly old: ModuleInstance;
      /** The version being swapped in. */
      readonly next: ModulePackage;
      /** Set while a stateful swap holds new calls (drain, deactivate, activate). */
      readonly gate: CallGate | undefined;
    }
  | { readonly name: 'deactivating'; readonly done: Promise<void> }
  | { readonly name: 'inactive' }
  | {
      readonly name: 'failed';
      readonly error: HotmodError;
      /** The module id whose failure took this one down, when that is the reason. */
      readonly dependency?: string;
      readonly restartAt?: number;
      readonly timer?: ClockTimer;
      /** The crash budget is spent: no restart comes until a swap or a new host. */
      readonly quarantine?: { readonly crashes: number; readonly windowMs: number };
      /** The old instance crashed while a stateful swap held calls: they stay held until the swap installs an instance. */
      readonly gate?: CallGate;
    }
  | { readonly name: 'unresolved'; readonly error: HotmodError };

/** Every tag of the union: the lifecycle's names and `swapping`. */
export type ModuleStateTag = ModuleState['name'];

/** The lifecycle name of a state: `swapping` is a phase of `active`. */
export function lifecycleName(name: ModuleStateTag): ModuleStateName {
  return name === 'swapping' ? 'active' : name;
}

/** The transitions each state allows, besides `failed` and `unresolved`, which every state may enter. */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<ModuleStateName, readonly ModuleStateName[]>> = Object.freeze({
  discovered: ['resolved'],
  resolved: ['activating', 'inactive'],
  activating: ['active', 'inactive'],
  // active -> active: a swap (active -> swapping -> active) installs another instance, or the old one serves on.
  active: ['active', 'deactivating'],
  deactivating: ['inactive'],
  inactive: ['resolved'],
  // failed -> active: a stateful swap whose old instance crashed mid-way installs its new (or resumed) instance.
  failed: ['resolved', 'inactive', 'active'],
  unresolved: ['resolved'],
});

export function canTransition(from: ModuleStateTag, to: ModuleStateTag): boolean {
  const f = lifecycleName(from);
  const t = lifecycleName(to);
  return t === 'failed' || t === 'unresolved' || LIFECYCLE_TRANSITIONS[f].includes(t);
}

/** Throws E_STATE_TRANSITION for a move the lifecycle does not allow (a hotmod bug, never a module's fault). */
export function assertTransition(moduleId: string, from: ModuleStateTag, to: ModuleStateTag): void {
  if (canTransition(from, to)) return;
  throw new HotmodError(
    RuntimeErrorCode.STATE_TRANSITION,
    `module '${moduleId}': the lifecycle does not allow ${from} -> ${to}; this is a bug in hotmod, please report it with the host log`,
    { moduleId, from, to, allowed: [...LIFECYCLE_TRANSITIONS[lifecycleName(from)], 'failed', 'unresolved'] },
  );
}

/** The instance calls go to now: the active one, or the old one while a swap has not closed the gate. */
export function servingInstance(state: ModuleState): ModuleInstance | undefined {
  if (state.name === 'active') return state.instance;
  if (state.name === 'swapping') return state.old;
  return undefined;
}

/** The gate holding this module's calls, if a stateful swap holds them. */
export function gateOf(state: ModuleState): CallGate | undefined {
  return state.name === 'swapping' || state.name === 'failed' ? state.gate : undefined;
}

export function describeState(state: ModuleState): { reason?: string; code?: string } {
  switch (state.name) {
    case 'failed':
      if (state.quarantine)
        return {
          reason: `quarantined: crashed ${state.quarantine.crashes} times within ${Math.round(state.quarantine.windowMs / 1000)} s, which spends the crash budget, so it is not restarted; last error: ${state.error.message}. Fix the module, then swap it in (hotmod dev, host.swap) or restart the host`,
          code: state.error.code,
        };
      return { reason: state.error.message, code: state.error.code };
    case 'unresolved':
      return { reason: state.error.message, code: state.error.code };
    case 'discovered':
    case 'resolved':
    case 'activating':
    case 'active':
    case 'swapping':
    case 'deactivating':
    case 'inactive':
      return {};
    default: {
      const never: never = state;
      return never;
    }
  }
}
