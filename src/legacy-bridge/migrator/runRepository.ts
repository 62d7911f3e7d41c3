import type { Queryable } from '../store/types.js';
import type { MigrationStrategy } from './planClientMigration.js';

/** A run's life: docs/migration.md "Runs". */
export type RunStatus = 'running' | 'rolling_back' | 'completed' | 'rolled_back' | 'verify_failed' | 'refused';
export type RunPhase = 'analysis' | 'validation' | 'backup' | 'migration' | 'verification' | 'rollback' | 'done';
export type ClientStatus = 'pending' | 'migrated' | 'skipped' | 'failed' | 'rolled_back';

export interface RunRow {
  run_id: string;
  kind: 'batch' | 'single';
  strategy: MigrationStrategy;
  status: RunStatus;
  phase: RunPhase;
  batch_size: number;
  max_failure_rate: number;
  total: number;
  options: Record<string, unknown>;
  report: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface ClientResultWrite {
  clientId: string;
  status: ClientStatus;
  backupId?: string | null;
  reason?: string | null;
  message?: string | null;
  effectiveBefore?: readonly string[] | null;
  changes?: unknown;
}

export async function insertRun(
  tx: Queryable,
  run: { runId: string; kind: 'batch' | 'single'; strategy: MigrationStrategy; batchSize: number; maxFailureRate: number; options: Record<string, unknown> },
): Promise<void> {
  await tx.query(
    `INSERT INTO hotmod_migration_runs (run_id, kind, strategy, status, phase, batch_size, max_failure_rate, options)
     VALUES ($1, $2, $3, 'running', 'analysis', $4, $5, $6::jsonb)`,
    [run.runId, run.kind, run.strategy, run.batchSize, run.maxFailureRate, JSON.stringify(run.options)],
  );
}

/** Adds the run's clients as pending: the given ids, or every client the database knows. */
export async function insertRunClients(tx: Queryable, runId: string, clients: readonly string[] | 'all', tables: { clients: boolean; overrides: boolean }): Promise<number> {
  let result;
  if (clients === 'all') {
    const sources = [
      tables.clients ? 'SELECT id::text AS id FROM clients' : undefined,
      tables.overrides ? 'SELECT client_id::text AS id FROM client_app_overrides' : undefined,
      'SELECT client_id AS id FROM hotmod_module_configs',
    ].filter(Boolean);
    result = await tx.query(
      `INSERT INTO hotmod_migration_run_clients (run_id, client_id) SELECT $1, ids.id FROM (${sources.join(' UNION ')}) AS ids ON CONFLICT DO NOTHING`,
      [runId],
    );
  } else {
    result = await tx.query(
      `INSERT INTO hotmod_migration_run_clients (run_id, client_id) SELECT $1, id FROM unnest($2::text[]) AS t(id) ON CONFLICT DO NOTHING`,
      [runId, clients],
    );
  }
  await tx.query(`UPDATE hotmod_migration_runs SET total = (SELECT count(*) FROM hotmod_migration_run_clients WHERE run_id = $1), updated_at = now() WHERE run_id = $1`, [runId]);
  return result.rowCount;
}

export async function getRun(q: Queryable, runId: string): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>('SELECT * FROM hotmod_migration_runs WHERE run_id = $1', [runId]);
  return rows[0];
}

/** The newest run that has not finished (a crash left it running or rolling back). */
export async function findUnfinishedRun(q: Queryable): Promise<RunRow | undefined> {
  const { rows } = await q.query<RunRow>(`SELECT * FROM hotmod_migration_runs WHERE status IN ('running', 'rolling_back') AND kind = 'batch' ORDER BY created_at DESC LIMIT 1`);
  return rows[0];
}

export async function setRunState(q: Queryable, runId: string, fields: { status?: RunStatus; phase?: RunPhase; report?: unknown; error?: unknown; finished?: boolean }): Promise<void> {
  await q.query(
    `UPDATE hotmod_migration_runs SET
       status = COALESCE($2, status), phase = COALESCE($3, phase),
       report = CASE WHEN $4::text IS NULL THEN report ELSE $4::jsonb END,
       error = CASE WHEN $5::text IS NULL THEN error ELSE $5::jsonb END,
       finished_at = CASE WHEN $6 THEN now() ELSE finished_at END,
       updated_at = now()
     WHERE run_id = $1`,
    [
      runId,
      fields.status ?? null,
      fields.phase ?? null,
      fields.report === undefined ? null : JSON.stringify(fields.report),
      fields.error === undefined ? null : JSON.stringify(fields.error),
      fields.finished === true,
    ],
  );
}

/**
 * Claims the next pending clients of a run, in id order. FOR UPDATE SKIP LOCKED: two
 * runners on one run never take the same client; a crashed runner's claim ends with its
 * transaction, so its clients are pending again.
 */
export async function claimPending(tx: Queryable, runId: string, limit: number, status: ClientStatus = 'pending'): Promise<string[]> {
  const { rows } = await tx.query<{ client_id: string }>(
    `SELECT client_id FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = $3
      ORDER BY client_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [runId, limit, status],
  );
  return rows.map((r) => r.client_id);
}

export async function writeClientResults(tx: Queryable, runId: string, batch: number | null, results: readonly ClientResultWrite[]): Promise<void> {
  if (results.length === 0) return;
  await tx.query(
    `UPDATE hotmod_migration_run_clients r SET status = v.status, batch = COALESCE($2, r.batch),
       backup_id = COALESCE(v.backup_id, r.backup_id), reason = v.reason, message = v.message,
       effective_before = COALESCE(v.effective::jsonb, r.effective_before), changes = COALESCE(v.changes::jsonb, r.changes), updated_at = now()
       FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[]) AS v(client_id, status, backup_id, reason, message, effective, changes)
      WHERE r.run_id = $1 AND r.client_id = ANY($3::text[]) AND r.client_id = v.client_id`,
    [
      runId,
      batch,
      results.map((r) => r.clientId),
      results.map((r) => r.status),
      results.map((r) => r.backupId ?? null),
      results.map((r) => r.reason ?? null),
      results.map((r) => r.message ?? null),
      results.map((r) => (r.effectiveBefore ? JSON.stringify(r.effectiveBefore) : null)),
      results.map((r) => (r.changes === undefined || r.changes === null ? null : JSON.stringify(r.changes))),
    ],
  );
}

export interface RunCounts {
  total: number;
  pending: number;
  migrated: number;
  skipped: number;
  failed: number;
  rolledBack: number;
}

export async function countClients(q: Queryable, runId: string): Promise<RunCounts> {
  const { rows } = await q.query<{ status: ClientStatus; n: number }>(
    'SELECT status, count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 GROUP BY status',
    [runId],
  );
  const by = new Map(rows.map((r) => [r.status, Number(r.n)]));
  const counts: RunCounts = {
    total: 0,
    pending: by.get('pending') ?? 0,
    migrated: by.get('migrated') ?? 0,
    skipped: by.get('skipped') ?? 0,
    failed: by.get('failed') ?? 0,
    rolledBack: by.get('rolled_back') ?? 0,
  };
  counts.total = counts.pending + counts.migrated + counts.skipped + counts.failed + counts.rolledBack;
  return counts;
}

export async function lastBatchNumber(q: Queryable, runId: string): Promise<number> {
  const { rows } = await q.query<{ n: number | null }>('SELECT max(batch) AS n FROM hotmod_migration_run_clients WHERE run_id = $1', [runId]);
  return Number(rows[0]?.n ?? 0);
}
