/**
 * A module's lifecycle as an explicit state machine (DESIGN.md "Lifecycle"). The state is
 * a tagged union (`activating` holds the shared activation promise, `active` its
 * instance, `failed` its error and any scheduled restart, `unresolved` the resolver's
 * explanation), and every change of state goes through `assertTransition`, which refuses
 * a move the table below does not list.
 *
 *   discovered ──► resolved ──► activating ──► active ──► deactivating ──► inactive
 *                   │   ▲            │           ↺ (a swap installs a new instance)  │
 *                   │   └────────────┼───────────────────────────────────(reload)──┘
 *                   └────────────────┴──► inactive   (stop / unload of a module that is not active)
 *   failed      from every state, with the reason ──► resolved (restart, swap) | inactive (stop)
 *               | active (a stateful swap in progress when the old instance crashed)
 *   unresolved  from every state (a requirement went missing) ──► resolved (it is back)
 */
import { HotmodError } from '../errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import type { ClockTimer } from './clock.js';
import { RuntimeErrorCode } from './errors.js';

export type ModuleState =
  | { readonly name: 'discovered' }
  | { readonly name: 'resolved' }
  | { readonly name: 'activating'; readonly promise: Promise<ModuleInstance> }
  | { readonly name: 'active'; readonly instance: ModuleInstance }
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
    }
  | { readonly name: 'unresolved'; readonly error: HotmodError };

export type ModuleStateName = ModuleState['name'];

/** The transitions each state allows, besides `failed` and `unresolved`, which every state may enter. */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<ModuleStateName, readonly ModuleStateName[]>> = Object.freeze({
  discovered: ['resolved'],
  resolved: ['activating', 'inactive'],
  activating: ['active', 'inactive'],
  // active -> active: a swap (or a rollback) installs another instance of the module.
  active: ['active', 'deactivating'],
  deactivating: ['inactive'],
  inactive: ['resolved'],
  // failed -> active: a stateful swap whose old instance crashed mid-way installs its new (or resumed) instance.
  failed: ['resolved', 'inactive', 'active'],
  unresolved: ['resolved'],
});

export function canTransition(from: ModuleStateName, to: ModuleStateName): boolean {
  return to === 'failed' || to === 'unresolved' || LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** Throws E_STATE_TRANSITION for a move the lifecycle does not allow (a hotmod bug, never a module's fault). */
export function assertTransition(moduleId: string, from: ModuleStateName, to: ModuleStateName): void {
  if (canTransition(from, to)) return;
  throw new HotmodError(
    RuntimeErrorCode.STATE_TRANSITION,
    `module '${moduleId}': the lifecycle does not allow ${from} -> ${to}; this is a bug in hotmod, please report it with the host log`,
    { moduleId, from, to, allowed: [...LIFECYCLE_TRANSITIONS[from], 'failed', 'unresolved'] },
  );
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
    case 'deactivating':
    case 'inactive':
      return {};
    default: {
      const never: never = state;
      return never;
    }
  }
}
