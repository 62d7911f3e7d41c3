/**
 * The types the resolver's index and its search share. In a file of their own so that
 * neither imports the other for its types (issue 11: no import circles).
 */
import type { ModulePackage } from './types.js';

export type ReasonKind = 'missing' | 'conflict' | 'engine' | 'budget';

export interface Reason {
  readonly kind: ReasonKind;
  /** Clauses in order, each a sentence a module author understands. */
  readonly chain: readonly string[];
}

export interface ProviderEntry {
  readonly pkg: ModulePackage;
  /** The provider's module id as a slot number (see ResolveIndex.slotOf). */
  readonly slot: number;
  readonly capabilityVersion: string;
  /** engines.hotmod admits the host version. */
  readonly engineOk: boolean;
}

/** @internal an obligation of the search; ResolveIndex caches each package's own. */
export type Template =
  | { readonly kind: 'root'; readonly id: string }
  // `usable` / `slot` / `providers`: the index's lookups, done once per package instead of once per step
  // (`providers` is absent only on the optional-requirement pass's own obligation).
  | {
      readonly kind: 'dep';
      readonly id: string;
      readonly range: string;
      readonly from: ModulePackage;
      readonly usable: readonly ModulePackage[];
      readonly slot: number;
      /** The usable versions in range, highest first: ResolveIndex.candidatesOf fills it on first use. */
      inRange?: readonly ModulePackage[];
    }
  | {
      readonly kind: 'cap';
      readonly name: string;
      readonly range: string;
      readonly from: ModulePackage;
      readonly optional: boolean;
      readonly providers?: readonly ProviderEntry[];
      /** The providers in range, in the order they are tried: ResolveIndex.providersOf fills it on first use. */
      inRange?: readonly ProviderEntry[];
    }
  // A combination of package versions that may not all be chosen: a cycle of an earlier
  // attempt, or an incompatibility the search learned from a conflict (`reason`: its explanation).
  | { readonly kind: 'nogood'; readonly members: readonly ModulePackage[]; readonly why: string; readonly reason?: Reason };
