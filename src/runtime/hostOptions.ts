/**
 * The host's options: validation (createHost throws E_HOST_OPTIONS_INVALID before
 * anything starts), the defaults of docs/architecture.md "Host defaults", and the logger.
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { HotmodError } from '../errors.js';
import { durationRule, isDuration } from '../sandbox/index.js';
import { RuntimeErrorCode } from './errors.js';
import { checkHostFetch } from './fetchPolicy.js';
import { defaultHostId } from '../fleet/index.js';
import type { HostLimits, HostOptions, RestartPolicy } from './types.js';

export const DEFAULT_LIMITS: Required<HostLimits> = { memoryMb: 64, callTimeoutMs: 1000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 };
export const DEFAULT_RESTART: Required<RestartPolicy> = { maxRestarts: 3, baseDelayMs: 200, maxDelayMs: 10_000, windowMs: 5 * 60_000 };
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

function invalid(reason: string, details: Record<string, unknown> = {}): HotmodError {
  return new HotmodError(RuntimeErrorCode.HOST_OPTIONS_INVALID, `createHost: ${reason}; see docs/runtime.md for the options`, details);
}

/** Checks the options and makes `modulesDir` absolute. */
export function normaliseHostOptions(options: HostOptions): HostOptions {
  if (!options || typeof options.modulesDir !== 'string' || options.modulesDir === '') throw invalid('option "modulesDir" (the modules directory) is required');
  if (options.isolation !== undefined && options.isolation !== 'isolate' && options.isolation !== 'process')
    throw invalid(`option "isolation" must be 'isolate' or 'process', got '${String(options.isolation)}'`);
  if (options.store !== undefined && (typeof options.store !== 'string' || options.store === ''))
    throw invalid(`option "store" must be a URL ('pglite://PATH', 'postgres://…'), 'memory' or 'none', got ${JSON.stringify(options.store)}`);
  for (const [k, v] of Object.entries(options.defaultLimits ?? {}))
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw invalid(`defaultLimits.${k} must be a positive number, got ${String(v)}`);
    // Durations beyond Node's timer range would fire at once.
    else if (k.endsWith('Ms') && !isDuration(v)) throw invalid(`defaultLimits.${k} ${durationRule(v)}`);
  if (options.drainTimeoutMs !== undefined && !isDuration(options.drainTimeoutMs)) throw invalid(`drainTimeoutMs ${durationRule(options.drainTimeoutMs)}`);
  checkFleet(options);
  checkHostId(options);
  const r = options.rollouts;
  if (r !== undefined && r !== false) {
    if (options.store === 'none') throw invalid(`option "rollouts" needs a store ('postgres://…' for several hosts, 'pglite://…' for one), but "store" is 'none'`);
    if (r !== true && (typeof r !== 'object' || r === null)) throw invalid(`option "rollouts" must be true, false or { hostId?, pollIntervalMs?, reportIntervalMs? }, got ${JSON.stringify(r)}`);
    if (typeof r === 'object') {
      for (const k of ['pollIntervalMs', 'reportIntervalMs'] as const) if (r[k] !== undefined && !(isDuration(r[k]) && r[k] > 0)) throw invalid(`rollouts.${k} ${durationRule(r[k])}`);
      if (r.hostId !== undefined && (typeof r.hostId !== 'string' || r.hostId === '' || r.hostId.length > 200)) throw invalid(`rollouts.hostId must be a non-empty string of at most 200 characters`);
    }
  }
  const fetch = checkHostFetch(options.fetch, (reason) => invalid(reason));
  return { ...options, modulesDir: path.resolve(options.modulesDir), ...(fetch === undefined ? {} : { fetch }) };
}

const fleetHostId = (o: HostOptions) => (typeof o.fleet === 'object' && o.fleet !== null ? o.fleet.hostId : undefined);
const rolloutsHostId = (o: HostOptions) => (typeof o.rollouts === 'object' && o.rollouts !== null ? o.rollouts.hostId : undefined);

/** The host's one id in the fleet: its heartbeat row and its rollout health rows (docs/fleet.md "One host id"). */
export function hostIdOf(options: HostOptions): string {
  return fleetHostId(options) ?? rolloutsHostId(options) ?? defaultHostId();
}

/** fleet.hostId and rollouts.hostId name one host: either may set it, both only alike. */
function checkHostId(options: HostOptions): void {
  const fleet = fleetHostId(options);
  const rollouts = rolloutsHostId(options);
  if (fleet !== undefined && rollouts !== undefined && fleet !== rollouts)
    throw invalid(`fleet.hostId ('${fleet}') and rollouts.hostId ('${rollouts}') differ, but a host has one id in heartbeats and health rows: set one of them (or both alike)`, {
      fleetHostId: fleet,
      rolloutsHostId: rollouts,
    });
}

function checkFleet(options: HostOptions): void {
  const fleet = options.fleet;
  if (fleet === undefined || fleet === false) return;
  if (fleet !== true && (typeof fleet !== 'object' || fleet === null)) throw invalid(`option "fleet" must be true or an object ({ artifacts, cacheDir, pollMs, heartbeatMs, hostId }), got ${JSON.stringify(fleet)}`);
  if (options.store === 'none') throw invalid('option "fleet" needs a store (artifacts and heartbeats live there); give "store" a URL (postgres://… for several hosts) or drop "fleet"');
  if (fleet === true) return;
  if (fleet.artifacts !== undefined && typeof fleet.artifacts !== 'boolean') throw invalid(`fleet.artifacts must be true or false, got ${JSON.stringify(fleet.artifacts)}`);
  for (const key of ['pollMs', 'heartbeatMs'] as const) {
    const v = fleet[key];
    if (v !== undefined && !isDuration(v)) throw invalid(`fleet.${key} ${durationRule(v)}`);
  }
  for (const key of ['cacheDir', 'hostId'] as const) {
    const v = fleet[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw invalid(`fleet.${key} must be a non-empty string, got ${JSON.stringify(v)}`);
  }
}

export function makeLogger(option: HostOptions['logger']): Logger {
  if (option !== undefined && typeof option === 'object') return option;
  return pino({ name: 'hotmod', level: option ?? process.env.HOTMOD_LOG_LEVEL ?? 'silent' });
}
