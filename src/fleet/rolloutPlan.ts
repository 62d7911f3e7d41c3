/**
 * Which clients a rollout gives the new version (pure: no I/O, no clock). Every host
 * answers the same for the same client, with nothing shared but the rollout record:
 *
 *   1. A client named in the record's explicit list (`clients`, groups flattened into it) gets
 *      the new version from the first stage on: named clients go first.
 *   2. Otherwise the client's bucket, FNV-1a of `rolloutId:clientId` mod 10000, is compared
 *      with the stage's percentage × 100: bucket < threshold gets the new version.
 *   3. Stages only grow (validated), so a client that got the new version keeps it at every
 *      later stage (sticky); the rollout id salts the hash, so another rollout draws anew.
 *
 * Also here: the parsers of the rollout options (stages, durations, percentages), shared by
 * the CLI, the Fastify routes and the host API.
 */
import { HotmodError } from '../errors.js';
import { FleetErrorCode } from './errors.js';

/** Buckets per rollout: a stage's percentage is compared at 0.01 % resolution. */
export const BUCKETS = 10_000;

/** FNV-1a, 32 bit, over the UTF-16 code units: cheap and identical on every host. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The client's bucket in this rollout, 0 … 9999. */
export function cohortBucket(rolloutId: string, clientId: string): number {
  return fnv1a(`${rolloutId}:${clientId}`) % BUCKETS;
}

/** The bucket threshold of a stage percentage: clients with a bucket below it get the new version. */
export function stageThreshold(percent: number): number {
  return Math.round(percent * (BUCKETS / 100));
}

/** Rule 1 then rule 2 for one client at a threshold (0 = nobody by hash). */
export function getsNewVersion(rolloutId: string, clientId: string, threshold: number, named: ReadonlySet<string>): boolean {
  return named.has(clientId) || cohortBucket(rolloutId, clientId) < threshold;
}

function invalid(message: string, details: Record<string, unknown>): HotmodError {
  return new HotmodError(FleetErrorCode.ROLLOUT_INVALID, message, details);
}

/** `1,10,50,100` or an array: strictly growing percentages in (0, 100], the last one 100. */
export function parseStages(input: string | readonly number[]): number[] {
  const list = typeof input === 'string' ? input.split(',').map((s) => Number(s.trim().replace(/%$/, ''))) : [...input];
  const ok = list.length > 0 && list.every((p, i) => Number.isFinite(p) && p > 0 && p <= 100 && (i === 0 || p > list[i - 1]!)) && list.at(-1) === 100;
  if (!ok)
    throw invalid(`rollout stages ${JSON.stringify(input)} are invalid: give growing percentages above 0 that end at 100, e.g. 1,10,50,100`, { stages: input });
  return list;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `200ms`, `30s`, `5m`, `1h`, or a number of milliseconds. */
export function parseDurationMs(input: string | number, what: string): number {
  const m = typeof input === 'number' ? [String(input), String(input), 'ms'] : /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN;
  if (!Number.isFinite(ms) || ms < 0) throw invalid(`${what} ${JSON.stringify(input)} is not a duration: write e.g. 500ms, 30s, 5m or 1h`, { [what]: input });
  return Math.round(ms);
}

/** `1%`, `0.5%` or a fraction (0.01): a fraction in [0, 1]. */
export function parseRate(input: string | number, what: string): number {
  const text = String(input).trim();
  const rate = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw invalid(`${what} ${JSON.stringify(input)} is not a rate: write a percentage like 1% or a fraction like 0.01`, { [what]: input });
  return rate;
}

/** `billing@2.0.0` → its id and version. */
export function parseTarget(input: string): { moduleId: string; version: string } {
  const at = input.lastIndexOf('@');
  const moduleId = input.slice(0, at);
  const version = input.slice(at + 1);
  if (at <= 0 || version === '' || !/^[a-z0-9][a-z0-9._-]*$/.test(moduleId))
    throw invalid(`rollout target '${input}' is not <module id>@<version>, e.g. billing@2.0.0`, { target: input });
  return { moduleId, version };
}

/** What a caller gives to start a rollout: strings as the CLI takes them, or numbers. */
export interface RolloutStartOptions {
  moduleId: string;
  version: string;
  /** Percentages, `1,10,50,100` or [1, 10, 50, 100] (the default). */
  stages?: string | readonly number[];
  /** Bake time per stage: `5m`, `30s`, `500ms` or ms (default 5m). */
  bake?: string | number;
  /** Largest error rate of the new version: `1%` or 0.01 (the default). */
  maxErrorRate?: string | number;
  /** Largest p99 latency: `200ms` or ms; absent: latency is not judged. */
  maxP99?: string | number;
  /** Calls the new version must have served fleet-wide before it is judged (default 20). */
  minCalls?: number;
  /** Clients that get the new version first (from stage 1 on). */
  clients?: readonly string[];
  /** Roll out a stateful module anyway (each version keeps its own state; docs/rollouts.md). */
  allowStateful?: boolean;
}

export const DEFAULT_STAGES: readonly number[] = Object.freeze([1, 10, 50, 100]);
export const DEFAULT_BAKE = '5m';
export const DEFAULT_MAX_ERROR_RATE = 0.01;
export const DEFAULT_MIN_CALLS = 20;

export interface NormalizedRolloutOptions {
  moduleId: string;
  toVersion: string;
  stages: number[];
  bakeMs: number;
  budget: { maxErrorRate: number; maxP99Ms: number | undefined; minCalls: number };
  clients: string[];
  allowStateful: boolean;
}

/** Checks and fills in the defaults (E_ROLLOUT_INVALID with what to write instead). */
export function normalizeRolloutOptions(o: RolloutStartOptions): NormalizedRolloutOptions {
  parseTarget(`${o.moduleId}@${o.version}`);
  const minCalls = o.minCalls ?? DEFAULT_MIN_CALLS;
  if (!Number.isInteger(minCalls) || minCalls < 0) throw invalid(`minCalls ${JSON.stringify(o.minCalls)} must be a whole number ≥ 0`, { minCalls: o.minCalls });
  const clients = [...(o.clients ?? [])];
  if (clients.some((c) => typeof c !== 'string' || c === '')) throw invalid('clients must be a list of client ids', { clients: o.clients });
  return {
    moduleId: o.moduleId,
    toVersion: o.version,
    stages: parseStages(o.stages ?? DEFAULT_STAGES),
    bakeMs: parseDurationMs(o.bake ?? DEFAULT_BAKE, 'bake'),
    budget: {
      maxErrorRate: parseRate(o.maxErrorRate ?? DEFAULT_MAX_ERROR_RATE, 'maxErrorRate'),
      maxP99Ms: o.maxP99 === undefined ? undefined : parseDurationMs(o.maxP99, 'maxP99'),
      minCalls,
    },
    clients,
    allowStateful: o.allowStateful === true,
  };
}
