/**
 * What explain reads of the module table: each snapshot as plain data (facts.ts
 * ModuleRuntimeFacts), so the explanation itself stays a pure function over data.
 */
import { describeState, gateOf, lifecycleName } from '../moduleState.js';
import type { ModuleSnapshot } from '../moduleTable.js';
import type { ModuleRuntimeFacts } from './facts.js';

export function runtimeFactsOf(snapshot: ModuleSnapshot): ModuleRuntimeFacts {
  const state = snapshot.state;
  const m = snapshot.pkg.manifest;
  const { reason, code } = describeState(state);
  return {
    id: snapshot.id,
    version: m.version,
    state: lifecycleName(state.name),
    activation: m.activation,
    restarts: snapshot.restarts,
    ...(reason !== undefined ? { reason } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(state.name === 'failed' && state.dependency !== undefined ? { dependency: state.dependency } : {}),
    ...(state.name === 'failed' && state.quarantine ? { quarantined: true } : {}),
    ...(state.name === 'failed' && state.restartAt !== undefined ? { nextRestartAt: new Date(state.restartAt).toISOString() } : {}),
    ...(state.name === 'swapping' ? { swappingTo: state.next.manifest.version, holdingCalls: gateOf(state) !== undefined } : {}),
  };
}
