import { isUuid } from '../clientId.js';
import type { Queryable } from '../store/types.js';
import { fingerprintSql } from './batchRepository.js';
import type { MigrationStrategy } from './planClientMigration.js';

/** A run's life: docs/migration.md "Runs". */
export type RunStatus = 'running' | 'rolling_back' | 'completed' | 'rolled_back' | 'verify_failed' | 'refused';
export type RunPhase = 'analysis' | 'validation' | 'backup' | 'migration' | 'verification' | 'rollback' | 'done';
export type ClientStatus = 'pending' | 'migrated' | 'skipped' | 'failed' | 'rolled_back' | 'needs_attention';

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
  /** The fingerprint of the client's rows as its batch committed them (clientFingerprints). */
  rowsAfter?: string | null;
  /** Record as rowsAfter the fingerprint of the client's rows now, computed in the same statement (writeClientResults' legacyTable). */
  fingerprintNow?: boolean;
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

export interface TablePresence {
  clients: boolean;
  overrides: boolean;
}

/** Which legacy tables the database has (a registry-only database has neither). */
export async function legacyTablesPresent(q: Queryable): Promise<TablePresence> {
  const { rows } = await q.query<{ clients: boolean; overrides: boolean }>(
    `SELECT to_regclass('clients') IS NOT NULL AS clients, to_regclass('client_app_overrides') IS NOT NULL AS overrides`,
  );
  return { clients: rows[0]?.clients === true, overrides: rows[0]?.overrides === true };
}

/** Every client id the database knows: clients, client_app_overrides and hotmod_module_configs. */
function clientIdSources(tables: TablePresence): string {
  return [
    tables.clients ? 'SELECT id::text AS id FROM clients' : undefined,
    tables.overrides ? 'SELECT client_id::text AS id FROM client_app_overrides' : undefined,
    'SELECT client_id AS id FROM hotmod_module_configs',
  ]
    .filter(Boolean)
    .join(' UNION ');
}

export async function allClientIds(q: Queryable, tables: TablePresence): Promise<string[]> {
  return (await q.query<{ id: string }>(`SELECT id FROM (${clientIdSources(tables)}) AS ids ORDER BY id`)).rows.map((r) => r.id);
}

/** Fresh statistics for the table every batch claims from (PGlite has no autovacuum). */
export async function analyzeRunClients(q: Queryable): Promise<void> {
  await q.query('ANALYZE hotmod_migration_run_clients');
}

/** Adds the run's clients as pending: the given ids, or every client the database knows. */
export async function insertRunClients(tx: Queryable, runId: string, clients: readonly string[] | 'all', tables: TablePresence): Promise<number> {
  let result;
  if (clients === 'all') {
    result = await tx.query(
      // UNION yields each id once and the run is new: no conflict to check per row (it cost
      // about a quarter of inserting 100,000 clients).
      `INSERT INTO hotmod_migration_run_clients (run_id, client_id) SELECT $1, ids.id FROM (${clientIdSources(tables)}) AS ids`,
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

export async function deleteRun(q: Queryable, runId: string): Promise<void> {
  await q.query('DELETE FROM hotmod_migration_runs WHERE run_id = $1', [runId]);
}

/** Run ids, newest first. */
export async function listRunIds(q: Queryable, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ run_id: string }>('SELECT run_id FROM hotmod_migration_runs ORDER BY created_at DESC LIMIT $1', [limit]);
  return rows.map((r) => r.run_id);
}

/** The client's latest migration (migrated or rolled back) of any run. */
export async function lastClientMigration(q: Queryable, clientId: string): Promise<{ run_id: string; backup_id: string | null; status: string; effective_before: string[] | null; rows_after: string | null } | undefined> {
  const { rows } = await q.query<{ run_id: string; backup_id: string | null; status: string; effective_before: string[] | null; rows_after: string | null }>(
    `SELECT c.run_id, c.backup_id, c.status, c.effective_before, c.rows_after FROM hotmod_migration_run_clients c JOIN hotmod_migration_runs r USING (run_id)
      WHERE c.client_id = $1 AND c.status IN ('migrated', 'rolled_back') ORDER BY c.updated_at DESC LIMIT 1`,
    [clientId],
  );
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
 * Claims the next clients a rollback looks at (migrated, or left for attention by an
 * earlier rollback), after `after` in id order: a keyset walk, so clients left as they are
 * are not claimed again by the same rollback.
 */
export async function claimForRollback(tx: Queryable, runId: string, after: string, limit: number): Promise<{ client_id: string; rows_after: string | null }[]> {
  const { rows } = await tx.query<{ client_id: string; rows_after: string | null }>(
    `SELECT client_id, rows_after FROM hotmod_migration_run_clients WHERE run_id = $1 AND status IN ('migrated', 'needs_attention') AND client_id > $2
      ORDER BY client_id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [runId, after, limit],
  );
  return rows;
}

/** The fingerprint a run's batch left for a client (null: none recorded, a run of an earlier hotmod). */
export async function clientRowsAfter(q: Queryable, runId: string, clientId: string): Promise<string | null> {
  const { rows } = await q.query<{ rows_after: string | null }>('SELECT rows_after FROM hotmod_migration_run_clients WHERE run_id = $1 AND client_id = $2', [runId, clientId]);
  return rows[0]?.rows_after ?? null;
}

/** The clients a rollback left as they are, with why (at most `limit`; null: all). */
export async function attentionClients(q: Queryable, runId: string, limit: number | null): Promise<{ client_id: string; reason: string; message: string }[]> {
  const { rows } = await q.query<{ client_id: string; reason: string; message: string }>(
    `SELECT client_id, reason, message FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'needs_attention' ORDER BY client_id LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

/** A spread sample of a run's clients (by md5 of the id), in id order. */
export async function sampleRunClients(q: Queryable, runId: string, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ client_id: string }>('SELECT client_id FROM hotmod_migration_run_clients WHERE run_id = $1 ORDER BY md5(client_id) LIMIT $2', [runId, limit]);
  return rows.map((r) => r.client_id).sort();
}

/** The next page of a run's migrated clients after `after`, in id order, with the effective set recorded before their batch and the fingerprint it left. */
export async function migratedPage(q: Queryable, runId: string, after: string, limit: number): Promise<{ client_id: string; effective_before: string[] | null; rows_after: string | null }[]> {
  const { rows } = await q.query<{ client_id: string; effective_before: string[] | null; rows_after: string | null }>(
    `SELECT client_id, effective_before, rows_after FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'migrated' AND client_id > $2 ORDER BY client_id LIMIT $3`,
    [runId, after, limit],
  );
  return rows;
}

/**
 * Records the clients' results in one statement. Results with fingerprintNow get the
 * fingerprint of their rows as they are now (the batch's last statement: what it leaves),
 * computed where the rows are; `legacyTable` says whether client_app_overrides is read for it.
 */
export async function writeClientResults(tx: Queryable, runId: string, batch: number | null, results: readonly ClientResultWrite[], legacyTable = false): Promise<void> {
  if (results.length === 0) return;
  const fingerprints = results.some((r) => r.fingerprintNow === true);
  // The results travel as one JSON document (json_to_recordset), not ten text arrays: the
  // driver escapes every element of an array parameter in JavaScript (a regular expression
  // per element, 10,000 per batch), where JSON.stringify is native. Joined by key alone
  // (no `client_id = ANY(…)`, whose planning estimates every element): batch transactions
  // plan index scans only (batchRepository KEYED_PLANS), so each row is one index probe.
  const values = results.map((r) => ({
    client_id: r.clientId,
    status: r.status,
    backup_id: r.backupId ?? null,
    reason: r.reason ?? null,
    message: r.message ?? null,
    effective: r.effectiveBefore ?? null,
    changes: r.changes ?? null,
    rows_after: r.rowsAfter ?? null,
    fp: r.fingerprintNow === true,
    legacy: r.fingerprintNow === true && isUuid(r.clientId),
  }));
  await tx.query(
    `UPDATE hotmod_migration_run_clients r SET status = v.status, batch = COALESCE($2, r.batch),
       backup_id = COALESCE(v.backup_id, r.backup_id), reason = v.reason, message = v.message,
       effective_before = COALESCE(v.effective, r.effective_before), changes = COALESCE(v.changes, r.changes),
       rows_after = ${fingerprints ? `CASE WHEN v.fp THEN ${fingerprintSql('v.client_id', 'v.legacy', legacyTable)} ELSE COALESCE(v.rows_after, r.rows_after) END` : 'COALESCE(v.rows_after, r.rows_after)'}, updated_at = now()
       FROM json_to_recordset($3::json) AS v(client_id text, status text, backup_id uuid, reason text, message text, effective jsonb, changes jsonb, rows_after text, fp boolean, legacy boolean)
      WHERE r.run_id = $1 AND r.client_id = v.client_id`,
    [runId, batch, JSON.stringify(values)],
  );
}

export interface RunCounts {
  total: number;
  pending: number;
  migrated: number;
  skipped: number;
  failed: number;
  rolledBack: number;
  /** Rollback left these clients as they are: written after their backup, or their restore refused (listed with the reason). */
  needsAttention: number;
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
    needsAttention: by.get('needs_attention') ?? 0,
  };
  counts.total = counts.pending + counts.migrated + counts.skipped + counts.failed + counts.rolledBack + counts.needsAttention;
  return counts;
}

export async function lastBatchNumber(q: Queryable, runId: string): Promise<number> {
  const { rows } = await q.query<{ n: number | null }>('SELECT max(batch) AS n FROM hotmod_migration_run_clients WHERE run_id = $1', [runId]);
  return Number(rows[0]?.n ?? 0);
}

/** Clients per skip / failure reason code. */
export async function reasonCounts(q: Queryable, runId: string): Promise<Record<string, number>> {
  const { rows } = await q.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 AND reason IS NOT NULL GROUP BY reason ORDER BY reason`,
    [runId],
  );
  const reasons: Record<string, number> = {};
  for (const r of rows) reasons[r.reason] = Number(r.n);
  return reasons;
}

/** The failed clients of a run in id order (at most `limit`; null: all of them). */
export async function failedClients(q: Queryable, runId: string, limit: number | null): Promise<{ client_id: string; reason: string; message: string }[]> {
  const { rows } = await q.query<{ client_id: string; reason: string; message: string }>(
    `SELECT client_id, reason, message FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'failed' ORDER BY client_id LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

const HAS_DIFFERENCES = `status IN ('migrated', 'rolled_back') AND jsonb_array_length(COALESCE(changes -> 'differences', '[]'::jsonb)) > 0`;

/** Migrated (or rolled back) clients whose migration made intended differences, in id order. */
export async function clientsWithDifferences<D>(q: Queryable, runId: string, limit: number): Promise<{ client_id: string; changes: { differences: D[] } }[]> {
  const { rows } = await q.query<{ client_id: string; changes: { differences: D[] } }>(
    `SELECT client_id, changes FROM hotmod_migration_run_clients WHERE run_id = $1 AND ${HAS_DIFFERENCES} ORDER BY client_id LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

export async function countFailed(q: Queryable, runId: string): Promise<number> {
  return countWhere(q, runId, `status = 'failed'`);
}

export async function countWithDifferences(q: Queryable, runId: string): Promise<number> {
  return countWhere(q, runId, HAS_DIFFERENCES);
}

async function countWhere(q: Queryable, runId: string, where: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 AND ${where}`, [runId]);
  return Number(rows[0]?.n ?? 0);
}
