// The fleet's door (docs/fleet.md): artifacts in the store, the artifact sync a host runs,
// its heartbeat and the fleet view. Other parts import from here only.
export { FleetErrorCode } from './errors.js';

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
