// The fleet part's door: rollouts across hosts sharing one PostgreSQL (docs/rollouts.md).
// It sits below the runtime (it imports the kernel and the legacy bridge's store only);
// the runtime applies its records to the routing table.
export { FleetErrorCode } from './errors.js';
export { cohortBucket, stageThreshold, getsNewVersion, parseStages, parseDurationMs, parseRate, parseTarget, BUCKETS } from './rolloutPlan.js';
export {
  transition,
  nextStep,
  isLive,
  hostRole,
  currentPercent,
  ROLLOUT_TRANSITIONS,
  type RolloutState,
  type RolloutStateName,
  type RolloutEvent,
} from './rolloutController.js';
export { HEALTH_BOUNDS_MS, judgeHealth, sumHealth, p99Of, emptyHealth, type HealthCounts, type RolloutBudget, type HealthVerdict } from './healthDecision.js';
export { ensureRolloutSchema, ROLLOUT_CHANNEL } from './rolloutSchema.js';
export {
  createRollout,
  getRollout,
  findRollout,
  listRollouts,
  releasedVersions,
  applyRolloutEvent,
  operateRollout,
  rolloutHistory,
  readHealth,
  healthOf,
  type RolloutRecord,
  type NewRollout,
  type RolloutHistoryEntry,
  type HealthRow,
} from './rolloutStore.js';
export { HealthReporter, type VersionSample } from './healthReporter.js';
export { normalizeRolloutOptions, DEFAULT_STAGES, DEFAULT_MIN_CALLS, type RolloutStartOptions, type NormalizedRolloutOptions } from './rolloutPlan.js';
export { describeRollout, formatRolloutStatus, type RolloutStatus, type VersionHealth } from './rolloutStatus.js';
export { createRolloutApi, type RolloutApi } from './rolloutApi.js';
// Also (docs/fleet.md): artifacts in the store, the artifact sync a host runs, its
// heartbeat and the fleet view. Other parts import from here only.

// Artifacts.
export type { ArtifactInput, StoredArtifact } from './artifact.js';
export { publishArtifact, type PublishResult } from './artifactPublish.js';
export { readArtifactDir } from './artifactRead.js';
export { listArtifacts, type ArtifactSummary } from './artifactQueries.js';
export { ArtifactSync } from './artifactSync.js';
export { shadowedArtifact } from './artifactShadow.js';

// Heartbeat and fleet view.
export { Heartbeat, defaultHostId, type HostServes, type ModuleServing } from './heartbeat.js';
export { readFleet, pruneStaleHosts, DEFAULT_STALE_AFTER, type FleetView, type FleetHost } from './fleetView.js';
