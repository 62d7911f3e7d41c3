/**
 * The rollout records in PostgreSQL / PGlite (tables: rolloutSchema.ts). Every state change
 * is a compare-and-set on the row's `revision`: a host (or the CLI) reads the record,
 * computes the next state (rolloutController.ts) and writes it only if nobody wrote in
 * between. Decisions are leader-less: every host may decide, exactly one write lands, and a
 * host that dies mid-decision leaves the row as it was. Time is the database's (`now()`), so
 * hosts with skewed clocks agree on bake times.
 */
import { randomBytes } from 'node:crypto';
import { HotmodError } from '../errors.js';
import type { Store } from '../legacy-bridge/index.js';
import { FleetErrorCode } from './errors.js';
import { emptyHealth, sumHealth, type HealthCounts, type RolloutBudget } from './healthDecision.js';
import { transition, type RolloutEvent, type RolloutState } from './rolloutController.js';
import { LIVE_STATES_SQL } from './rolloutSchema.js';

export interface RolloutRecord {
  readonly id: string;
  readonly moduleId: string;
  /** The version serving when the rollout started (informational: each host keeps what it runs). */
  readonly fromVersion: string | undefined;
  readonly toVersion: string;
  readonly stages: readonly number[];
  readonly bakeMs: number;
  readonly budget: RolloutBudget;
  /** Named clients: they get the new version from the first stage on. */
  readonly clients: readonly string[];
  readonly allowStateful: boolean;
  readonly state: RolloutState;
  /** Moves with every write: the compare-and-set key. */
  readonly revision: number;
  readonly createdBy: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewRollout {
  moduleId: string;
  fromVersion?: string;
  toVersion: string;
  stages: readonly number[];
  bakeMs: number;
  budget: RolloutBudget;
  clients?: readonly string[];
  allowStateful?: boolean;
  createdBy?: string;
}

export interface RolloutHistoryEntry {
  at: string;
  hostId: string | undefined;
  event: string;
  from: string | undefined;
  to: string;
  reason: string | undefined;
}

interface RolloutRow {
  id: string;
  module_id: string;
  from_version: string | null;
  to_version: string;
  stages: number[] | string;
  bake_ms: string | number;
  max_error_rate: number;
  max_p99_ms: number | null;
  min_calls: number;
  clients: string[] | string;
  allow_stateful: boolean;
  state: string;
  stage: number | null;
  since_ms: string | number | null;
  reason: string | null;
  revision: number;
  created_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = `id, module_id, from_version, to_version, stages, bake_ms, max_error_rate, max_p99_ms, min_calls, clients, allow_stateful,
  state, stage, (extract(epoch from stage_started_at) * 1000)::float8 AS since_ms, reason, revision, created_by, created_at, updated_at`;

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function stateOf(row: RolloutRow): RolloutState {
  switch (row.state) {
    case 'pending':
    case 'promoting':
    case 'completed':
      return { name: row.state };
    case 'running':
      return { name: 'running', stage: row.stage ?? 0, since: Number(row.since_ms ?? 0) };
    case 'paused':
      return { name: 'paused', stage: row.stage ?? 0 };
    case 'aborted':
    case 'rolled-back':
      return { name: row.state, reason: row.reason ?? '' };
    default:
      throw new HotmodError(FleetErrorCode.ROLLOUT_STATE, `rollout '${row.id}' has an unknown state '${row.state}' in hotmod_rollouts; a newer hotmod wrote it, upgrade this host`, {
        rolloutId: row.id,
        state: row.state,
      });
  }
}

function recordOf(row: RolloutRow): RolloutRecord {
  return Object.freeze({
    id: row.id,
    moduleId: row.module_id,
    fromVersion: row.from_version ?? undefined,
    toVersion: row.to_version,
    stages: Object.freeze(json<number[]>(row.stages)),
    bakeMs: Number(row.bake_ms),
    budget: Object.freeze({ maxErrorRate: row.max_error_rate, maxP99Ms: row.max_p99_ms ?? undefined, minCalls: row.min_calls }),
    clients: Object.freeze(json<string[]>(row.clients)),
    allowStateful: row.allow_stateful,
    state: Object.freeze(stateOf(row)),
    revision: row.revision,
    createdBy: row.created_by ?? undefined,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  });
}

function unknown(id: string): HotmodError {
  return new HotmodError(FleetErrorCode.ROLLOUT_UNKNOWN, `no rollout '${id}' in the store; list them with hotmod rollout status`, { rolloutId: id });
}

/** Inserts a pending rollout; E_ROLLOUT_CONFLICT while another rollout of the module is live. */
export async function createRollout(store: Store, input: NewRollout): Promise<RolloutRecord> {
  const id = `ro_${input.moduleId}_${randomBytes(4).toString('hex')}`;
  const { rows } = await store.query<RolloutRow>(
    `INSERT INTO hotmod_rollouts (id, module_id, from_version, to_version, stages, bake_ms, max_error_rate, max_p99_ms, min_calls, clients, allow_stateful, state, created_by)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11, 'pending', $12)
     ON CONFLICT (module_id) WHERE state IN ${LIVE_STATES_SQL} DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      id,
      input.moduleId,
      input.fromVersion ?? null,
      input.toVersion,
      JSON.stringify(input.stages),
      input.bakeMs,
      input.budget.maxErrorRate,
      input.budget.maxP99Ms ?? null,
      input.budget.minCalls,
      JSON.stringify(input.clients ?? []),
      input.allowStateful === true,
      input.createdBy ?? null,
    ],
  );
  if (rows[0] === undefined) {
    const live = (await listRollouts(store, { live: true })).records.find((r) => r.moduleId === input.moduleId);
    throw new HotmodError(
      FleetErrorCode.ROLLOUT_CONFLICT,
      `a rollout of module '${input.moduleId}' is already live (${live?.id ?? '?'}: ${live?.toVersion ?? '?'}, ${live?.state.name ?? '?'}); wait for it to finish or abort it (hotmod rollout abort ${live?.id ?? '<id>'})`,
      { moduleId: input.moduleId, ...(live ? { rolloutId: live.id } : {}) },
    );
  }
  await history(store, rows[0].id, input.createdBy, 'start', undefined, 'pending', undefined);
  return recordOf(rows[0]);
}

export async function getRollout(store: Store, id: string): Promise<RolloutRecord> {
  const { rows } = await store.query<RolloutRow>(`SELECT ${COLUMNS} FROM hotmod_rollouts WHERE id = $1`, [id]);
  if (rows[0] === undefined) throw unknown(id);
  return recordOf(rows[0]);
}

/**
 * Rollouts, newest first, with the database's clock: all, only live ones, or the newest of
 * each module (what a host applies: a live rollout, or how the last one ended).
 */
export async function listRollouts(store: Store, filter: { live?: boolean; newestPerModule?: boolean } = {}): Promise<{ records: RolloutRecord[]; nowMs: number }> {
  const where = filter.live ? `WHERE state IN ${LIVE_STATES_SQL}` : '';
  const sql = filter.newestPerModule
    ? `SELECT DISTINCT ON (module_id) ${COLUMNS} FROM hotmod_rollouts ORDER BY module_id, created_at DESC, id`
    : `SELECT ${COLUMNS} FROM hotmod_rollouts ${where} ORDER BY created_at DESC, id`;
  const [{ rows }, nowMs] = await Promise.all([store.query<RolloutRow>(sql), databaseNow(store)]);
  return { records: rows.map(recordOf), nowMs };
}

/**
 * `id@version` of every version a rollout promoted (promoting or completed): a staged
 * artifact of one of these is released, served as any other (docs/fleet.md "Staged publish").
 */
export async function releasedVersions(store: Store): Promise<Set<string>> {
  const { rows } = await store.query<{ module_id: string; to_version: string }>(
    `SELECT DISTINCT module_id, to_version FROM hotmod_rollouts WHERE state IN ('promoting', 'completed')`,
  );
  return new Set(rows.map((r) => `${r.module_id}@${r.to_version}`));
}

/** The database's clock in epoch ms: every host decides bake times by it. */
export async function databaseNow(store: Store): Promise<number> {
  const { rows } = await store.query<{ now_ms: number }>('SELECT (extract(epoch from now()) * 1000)::float8 AS now_ms');
  return Number(rows[0]!.now_ms);
}

/** A rollout given by id, or by module id: its live rollout, else its newest. */
export async function findRollout(store: Store, idOrModule: string): Promise<RolloutRecord> {
  const { rows } = await store.query<RolloutRow>(
    `SELECT ${COLUMNS} FROM hotmod_rollouts WHERE id = $1 OR module_id = $1 ORDER BY (id = $1) DESC, (state IN ${LIVE_STATES_SQL}) DESC, created_at DESC LIMIT 1`,
    [idOrModule],
  );
  if (rows[0] === undefined) throw unknown(idOrModule);
  return recordOf(rows[0]);
}

/**
 * The compare-and-set: applies `event` to `record` if its revision is still current. Returns
 * the new record, or undefined when another writer got there first (re-read and decide again).
 * An event the state machine refuses throws E_ROLLOUT_STATE and writes nothing.
 */
export async function applyRolloutEvent(store: Store, record: RolloutRecord, event: RolloutEvent, by: string | undefined): Promise<RolloutRecord | undefined> {
  const next = transition(record.state, event, record.stages);
  const stage = next.name === 'running' || next.name === 'paused' ? next.stage : null;
  const since = next.name === 'running' ? next.since : null;
  const reason = next.name === 'aborted' || next.name === 'rolled-back' ? next.reason : null;
  const { rows } = await store.query<RolloutRow>(
    `UPDATE hotmod_rollouts SET state = $3, stage = $4, stage_started_at = CASE WHEN $5::float8 IS NULL THEN NULL ELSE to_timestamp($5::float8 / 1000) END,
       reason = $6, revision = revision + 1, updated_at = now()
     WHERE id = $1 AND revision = $2 RETURNING ${COLUMNS}`,
    [record.id, record.revision, next.name, stage, since, reason],
  );
  if (rows[0] === undefined) return undefined;
  await history(store, record.id, by, event.type, record.state.name, next.name, reason ?? undefined);
  return recordOf(rows[0]);
}

/** Applies an operator's event, re-reading the record when a host wrote in between (a few tries). */
export async function operateRollout(store: Store, idOrModule: string, make: (record: RolloutRecord, nowMs: number) => RolloutEvent, by: string | undefined): Promise<RolloutRecord> {
  for (let attempt = 0; ; attempt++) {
    const record = await findRollout(store, idOrModule);
    const done = await applyRolloutEvent(store, record, make(record, await databaseNow(store)), by);
    if (done) return done;
    if (attempt >= 20)
      throw new HotmodError(FleetErrorCode.ROLLOUT_CONFLICT, `rollout '${record.id}' kept changing under this operation; try again`, { rolloutId: record.id });
  }
}

async function history(store: Store, id: string, by: string | undefined, event: string, from: string | undefined, to: string, reason: string | undefined): Promise<void> {
  await store.query('INSERT INTO hotmod_rollout_events (rollout_id, host_id, event, from_state, to_state, reason) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    by ?? null,
    event,
    from ?? null,
    to,
    reason ?? null,
  ]);
}

export async function rolloutHistory(store: Store, id: string): Promise<RolloutHistoryEntry[]> {
  const { rows } = await store.query<{ at: Date | string; host_id: string | null; event: string; from_state: string | null; to_state: string; reason: string | null }>(
    'SELECT at, host_id, event, from_state, to_state, reason FROM hotmod_rollout_events WHERE rollout_id = $1 ORDER BY seq',
    [id],
  );
  return rows.map((r) => ({ at: iso(r.at), hostId: r.host_id ?? undefined, event: r.event, from: r.from_state ?? undefined, to: r.to_state, reason: r.reason ?? undefined }));
}

/** One host's counts for one version of a rollout (absolute since the host joined: rewriting a row is idempotent). */
export interface HealthRow extends HealthCounts {
  rolloutId: string;
  hostId: string;
  version: string;
}

/** Upserts the rows of one host in one statement (the reporter's batch). */
export async function writeHealth(store: Store, rows: readonly HealthRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((r, i) => {
    values.push(r.rolloutId, r.hostId, r.version, r.calls, r.errors, r.timeouts, JSON.stringify(r.le));
    const b = i * 7;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::jsonb, now())`;
  });
  await store.query(
    `INSERT INTO hotmod_rollout_health (rollout_id, host_id, version, calls, errors, timeouts, le, updated_at) VALUES ${tuples.join(', ')}
     ON CONFLICT (rollout_id, host_id, version) DO UPDATE SET calls = EXCLUDED.calls, errors = EXCLUDED.errors, timeouts = EXCLUDED.timeouts, le = EXCLUDED.le, updated_at = now()`,
    values,
  );
}

/** The fleet's health of the rollout: per version, the sum over every host's row; and the rows themselves. */
export async function readHealth(store: Store, rolloutId: string): Promise<{ byVersion: Map<string, HealthCounts>; hosts: HealthRow[] }> {
  const { rows } = await store.query<{ host_id: string; version: string; calls: string; errors: string; timeouts: string; le: number[] | string }>(
    'SELECT host_id, version, calls, errors, timeouts, le FROM hotmod_rollout_health WHERE rollout_id = $1 ORDER BY host_id, version',
    [rolloutId],
  );
  const hosts: HealthRow[] = rows.map((r) => ({
    rolloutId,
    hostId: r.host_id,
    version: r.version,
    calls: Number(r.calls),
    errors: Number(r.errors),
    timeouts: Number(r.timeouts),
    le: json<number[]>(r.le),
  }));
  const byVersion = new Map<string, HealthCounts>();
  for (const version of new Set(hosts.map((h) => h.version))) byVersion.set(version, sumHealth(hosts.filter((h) => h.version === version)));
  return { byVersion, hosts };
}

/** The new version's fleet sum (empty until some host reported). */
export function healthOf(byVersion: ReadonlyMap<string, HealthCounts>, version: string): HealthCounts {
  return byVersion.get(version) ?? emptyHealth();
}

