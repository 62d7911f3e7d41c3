/**
 * Error codes of the fleet part (artifacts in the store, the fleet view; rollouts add
 * theirs below). Documented in docs/errors.md.
 */
export const FleetErrorCode = {
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
