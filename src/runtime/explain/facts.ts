/**
 * The answer to "why does module X serve client C (or not), and which version?" as data:
 * a chain of facts, each a tagged record (docs/legacy-bridge.md "Explanations"). The
 * configuration facts carry the number of the unified view's rule that decides them
 * (computeUnifiedView.ts, rules 1–5); the runtime facts come from the module table, the
 * routing snapshot and the host's failure log. A chain for a module that does not serve
 * ends with the one action that would make it serve.
 */

/**
 * The lifecycle names (ExplainedState in ../types.ts, spelled out here because types.ts
 * imports this file; runtimeFacts.ts assigns one to the other, so they cannot drift apart).
 */
export type ExplainedState = 'discovered' | 'resolved' | 'activating' | 'active' | 'deactivating' | 'inactive' | 'failed' | 'unresolved';

/** The unified view's rule a configuration fact follows (docs/legacy-bridge.md "The unified view"). */
export type ViewRule = 1 | 2 | 3 | 4 | 5;

export type ExplainFact =
  /** Rule 3: the catalog has a package for the module (the version the host runs). */
  | { readonly kind: 'catalog'; readonly rule: 3; readonly moduleId: string; readonly version: string; readonly packageName: string; readonly defaultEnabled: boolean; readonly legacyIds: readonly string[] }
  /** Rule 3: no package in the catalog has this id or legacy id; `recordedBy` the rows that name it anyway. */
  | { readonly kind: 'no-package'; readonly rule: 3; readonly moduleId: string; readonly recordedBy: readonly ('legacy-list' | 'registry-row')[]; readonly nearest: readonly string[] }
  /** Rule 1: how the client's legacy list (client_app_overrides.modules_enabled) reads. */
  | { readonly kind: 'legacy-list'; readonly rule: 1; readonly state: 'absent' | 'null' | 'unreadable' | 'list'; readonly entries: number }
  /** Rule 1: the list entry that names the module (its id, or a legacy id: an alias). */
  | { readonly kind: 'legacy-entry'; readonly rule: 1; readonly entry: string; readonly index: number; readonly alias: boolean }
  /** Rule 1: an entry that only nearly names the module (case or stray whitespace): it does not enable it. */
  | { readonly kind: 'legacy-near-miss'; readonly rule: 1; readonly entry: string; readonly index: number; readonly problem: 'case' | 'whitespace' }
  /** Rule 1: a readable list that does not name the module: the module is not in the base set. */
  | { readonly kind: 'legacy-not-named'; readonly rule: 1 }
  /** Rule 1: no readable list, so the catalog default decides the base. */
  | { readonly kind: 'catalog-default'; readonly rule: 1; readonly defaultEnabled: boolean }
  /** Rule 2: a hotmod_module_configs row decides over the base; `conflict` when it disagrees with a readable list. */
  | {
      readonly kind: 'registry-row';
      readonly rule: 2;
      readonly enabled: boolean;
      readonly source: string;
      readonly migratedAt: string | null;
      readonly conflict?: 'C_LEGACY_REGISTRY_DISAGREE' | 'C_MIGRATED_OUT_OF_STEP';
    }
  /** Rule 4: pulled in because an effective module requires it; `chain` runs from the explicitly enabled module to this one. */
  | { readonly kind: 'implicit'; readonly rule: 4; readonly requiredBy: string; readonly need: string; readonly chain: readonly string[]; readonly overridesRow: boolean }
  /** Rule 4: a requirement of the module that the plan does not bind (no provider can serve it). */
  | { readonly kind: 'requirement-unbound'; readonly rule: 4; readonly need: string }
  /** Rule 5: what the view makes of it: enabled by configuration, effective (runnable) for the client. */
  | { readonly kind: 'configured'; readonly rule: 5; readonly enabled: boolean; readonly explicit: boolean; readonly effective: boolean; readonly source: 'legacy' | 'registry' | 'unified' }
  /** A configuration source other than the legacy bridge (hotmod.config.json, everything enabled, an application's). */
  | { readonly kind: 'config-source'; readonly source: string; readonly enabled: boolean; readonly implicit: boolean }
  /** A capability the module requires, the provider the resolver bound, and that provider's state when it cannot serve. */
  | { readonly kind: 'provider'; readonly capability: string; readonly providerId: string; readonly state: ExplainedState | 'absent' }
  /** The module's lifecycle state in the module table (ModuleRuntimeFacts below, without the id). */
  | ({ readonly kind: 'lifecycle' } & Omit<ModuleRuntimeFacts, 'id'>)
  /** The module's most recent failure the host saw (it may have recovered since). */
  | { readonly kind: 'last-failure'; readonly at: string; readonly code: string; readonly message: string; readonly event: 'module:failed' | 'swap:failed' }
  /** For a capability the module provides: which module this client's calls reach (the routing snapshot's first provider in the client's set). */
  | { readonly kind: 'routing'; readonly capability: string; readonly servedBy: string | null }
  /** A live rollout governs the module (docs/fleet.md): which version this client gets, and why (RolloutFact). */
  | RolloutFact
  /** No running host was asked (a tool reading the store and the catalog only): lifecycle facts are missing. */
  | { readonly kind: 'no-host' }
  /** The host is not running (starting, stopping, stopped). */
  | { readonly kind: 'host-phase'; readonly phase: string }
  /** The conclusion. */
  | { readonly kind: 'verdict'; readonly serves: boolean; readonly version?: string }
  /** The one action that would make the module serve this client (last, only when it does not). */
  | { readonly kind: 'action'; readonly action: ExplainAction };

/**
 * Why a client gets the version it gets while a live rollout governs the module:
 *   named               the rollout lists the client (it goes first, from stage 1 on)
 *   cohort              its bucket (stable hash of rollout id and client id, 0 … 9999) is under the stage's share
 *   not-yet             its bucket is not under the share yet (or the rollout is pending): the old version
 *   not-on-this-host    the rollout picks it, but the new version does not run on this host: the old version
 */
export interface RolloutFact {
  readonly kind: 'rollout';
  readonly rolloutId: string;
  readonly state: string;
  /** The share of clients on the new version now, in percent. */
  readonly percent: number;
  /** 1-based stage while running or paused. */
  readonly stage: number | null;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** The version this client's calls reach on this host. */
  readonly version: string;
  readonly why: 'named' | 'cohort' | 'not-yet' | 'not-on-this-host';
  readonly bucket: number;
}

export type ExplainFactKind = ExplainFact['kind'];

export type ExplainAction =
  /** Enable it for the client (the legacy list, or a registry row, as the unifier decides). */
  | { readonly type: 'enable'; readonly command: string; readonly api: string }
  /** Add a package with this id (or legacy id) to the modules directory. */
  | { readonly type: 'install-package'; readonly moduleId: string }
  /** Add a package that provides what the module requires (it does not resolve). */
  | { readonly type: 'add-provider'; readonly need: string }
  /** Fix a module (itself or a provider it needs) and swap it in. */
  | { readonly type: 'fix-and-swap'; readonly moduleId: string; readonly command: string }
  /** Nothing to do: a restart is scheduled. */
  | { readonly type: 'wait-for-restart'; readonly at: string }
  /** Edit the configuration source that is not the legacy bridge. */
  | { readonly type: 'edit-config'; readonly source: string }
  /** Start the host (or ask the running one). */
  | { readonly type: 'start-host' };

/** `host.explain(clientId, moduleId)`: the chain and its conclusion. */
export interface Explanation {
  readonly clientId: string;
  /** The module id asked about, resolved to its canonical id when it was a legacy id. */
  readonly moduleId: string;
  /** As asked (a legacy id stays visible here). */
  readonly asked: string;
  readonly serves: boolean;
  /** The version that serves (the one the table holds; during a swap the old one until it ends). */
  readonly version?: string;
  readonly facts: readonly ExplainFact[];
}

/** What explain reads of one module's table snapshot (runtimeFacts.ts makes it; plain data). */
export interface ModuleRuntimeFacts {
  readonly id: string;
  /** The version the table holds (during a swap: the one serving until it ends). */
  readonly version: string;
  readonly state: ExplainedState;
  readonly activation: 'eager' | 'lazy';
  readonly restarts: number;
  readonly reason?: string;
  readonly code?: string;
  /** The module whose failure took this one down. */
  readonly dependency?: string;
  readonly quarantined?: boolean;
  readonly nextRestartAt?: string;
  /** A swap in progress: the version coming in; holdingCalls while a stateful swap holds calls. */
  readonly swappingTo?: string;
  readonly holdingCalls?: boolean;
}

/** One failure the host saw (failureLog.ts). */
export interface FailureRecord {
  readonly moduleId: string;
  readonly at: string;
  readonly code: string;
  readonly message: string;
  readonly event: 'module:failed' | 'swap:failed';
}
