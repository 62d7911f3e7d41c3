/**
 * Error codes of the fleet part: artifacts in the store, the fleet view, rollouts.
 * Documented in docs/errors.md.
 */
export const FleetErrorCode = {
  // Rollouts (rolloutPlan.ts, rolloutController.ts, rolloutStore.ts, the host's rollouts API).
  /** Rollout options are invalid: stages, bake time, budgets, the `<id>@<version>` target. */
  ROLLOUT_INVALID: 'E_ROLLOUT_INVALID',
  /** No rollout with that id (or no live rollout of that module). */
  ROLLOUT_UNKNOWN: 'E_ROLLOUT_UNKNOWN',
  /** A rollout of the module is already live: finish, abort or wait for it first. */
  ROLLOUT_CONFLICT: 'E_ROLLOUT_CONFLICT',
  /** The operation is not allowed in the rollout's state (pause a completed rollout, promote an aborted one). */
  ROLLOUT_STATE: 'E_ROLLOUT_STATE',
  /** The version to roll out is not in the host's catalog, or it is the version already serving. */
  ROLLOUT_VERSION_UNKNOWN: 'E_ROLLOUT_VERSION_UNKNOWN',
  /** The module is stateful: two versions side by side keep two states; refused unless `allowStateful`. */
  ROLLOUT_STATEFUL: 'E_ROLLOUT_STATEFUL',
  /** The host runs without rollouts (option `rollouts`, or no store). */
  ROLLOUTS_DISABLED: 'E_ROLLOUTS_DISABLED',
  // Artifacts and the fleet view (docs/fleet.md "Artifacts", "Fleet view").
  /** A different artifact is already published under this id@version: artifacts are immutable, bump the version. */
  ARTIFACT_VERSION_EXISTS: 'E_ARTIFACT_VERSION_EXISTS',
  /** `hotmod publish` was given something that is not a publishable module package (invalid manifest, no bundle). */
  ARTIFACT_INVALID: 'E_ARTIFACT_INVALID',
  /** A stored artifact could not be written to the host's artifact cache or did not load as a package. */
  ARTIFACT_UNUSABLE: 'E_ARTIFACT_UNUSABLE',
  /** The modules directory and the store both hold id@version with different bytes: the directory's copy serves. */
  ARTIFACT_SHADOWED: 'E_ARTIFACT_SHADOWED',
  /** The fleet needs a store (host option `fleet` with store 'none', or host.fleet() without a store). */
  FLEET_NO_STORE: 'E_FLEET_NO_STORE',
} as const;

export type FleetErrorCode = (typeof FleetErrorCode)[keyof typeof FleetErrorCode];

// This part's codes join HotmodError's code union (src/errors.ts).
declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<FleetErrorCode, true> {}
}
