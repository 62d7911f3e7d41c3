/**
 * A module's lifecycle state as a tagged union (DESIGN.md "Lifecycle"): `activating`
 * holds the shared activation promise, `active` its instance, `failed` its error and any
 * scheduled restart, `unresolved` the resolver's explanation.
 */
import type { HotmodError } from '../errors.js';
import type { ModuleInstance } from './moduleInstance.js';
import type { ClockTimer } from './clock.js';

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
    }
  | { readonly name: 'unresolved'; readonly error: HotmodError };

export function describeState(state: ModuleState): { reason?: string; code?: string } {
  switch (state.name) {
    case 'failed':
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
