import { isUuid } from '../clientId.js';
// The batch takes the same per-client advisory locks as every other writer (lockClient), all in one statement.
import { CLIENT_LOCK_NAMESPACE, editedListSql } from '../legacy/legacyRepository.js';
import { isStoreFault } from '../store/storeErrors.js';
import type { Queryable } from '../store/types.js';
import type { ClientConfigState, LegacyOverridesRow, ModuleConfigRow } from '../view/rows.js';

/**
 * The migrator's set-based statements: one round trip per batch, never one per client
 * (unnest arrays). Callers validate ids and hold the batch's transaction.
 */


/** The text format settings pinRowTextFormat sets, as a select list. */
const PIN_ROW_TEXT_FORMAT = `set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true),
            set_config('extra_float_digits', '3', true), set_config('bytea_output', 'hex', true)`;

/**
 * A batch's statements each touch the rows of its ~1,000 clients in tables of 100,000s of
 * rows, by key. Planned on their own, the reads (`client_id = ANY($1)`) are often given a
 * sequential scan of the whole table (the planner overrates 1,000 index probes), which
 * costs 5-10× the index lookups and grows with the table: index scans only, for the rest
 * of the transaction.
 */
const KEYED_PLANS = `set_config('enable_seqscan', 'off', true)`;

/**
 * A batch's first statement: claims the run's next pending clients (or the listed ones
 * still pending) in id order with FOR UPDATE SKIP LOCKED (two runners never take the same
 * client), takes their advisory locks in id order (as lockClients), and pins the row text
 * format for the rest of the transaction (as pinRowTextFormat): one round trip for what
 * were three.
 */
export async function claimAndLock(tx: Queryable, runId: string, claim: { next: number } | { ids: readonly string[] }): Promise<string[]> {
  const [where, params] = 'next' in claim ? ['', [runId, CLIENT_LOCK_NAMESPACE, claim.next]] : ['AND client_id = ANY($3::text[])', [runId, CLIENT_LOCK_NAMESPACE, claim.ids]];
  const { rows } = await tx.query<{ client_id: string }>(
    `WITH claimed AS (
       SELECT client_id FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'pending' ${where}
        ORDER BY client_id ${'next' in claim ? 'LIMIT $3' : ''} FOR UPDATE SKIP LOCKED
     ), locked AS (
       SELECT count(pg_advisory_xact_lock($2, hashtext(o.client_id))) AS n FROM (SELECT client_id FROM claimed ORDER BY client_id) AS o
     ), pinned AS (SELECT ${PIN_ROW_TEXT_FORMAT}, ${KEYED_PLANS})
     SELECT c.client_id FROM claimed c, locked, pinned ORDER BY c.client_id`,
    params,
  );
  return rows.map((r) => r.client_id);
}

/** Locks the clients of a batch, in id order (every batch runner locks in the same order). */
export async function lockClients(tx: Queryable, clientIds: readonly string[]): Promise<void> {
  if (clientIds.length === 0) return;
  await tx.query(
    `SELECT count(pg_advisory_xact_lock($1, hashtext(id))) FROM (SELECT id FROM unnest($2::text[]) AS t(id) ORDER BY id) AS ordered`,
    [CLIENT_LOCK_NAMESPACE, [...clientIds].sort()],
  );
}

/** Legacy (uuid) client ids of a list: only they can have client_app_overrides rows. */
export function legacyIds(clientIds: readonly string[]): string[] {
  return clientIds.filter(isUuid);
}

/**
 * Every client's rows, as loadClientState reads one client's (the newest legacy row wins,
 * the count of legacy rows kept), for a whole batch in two statements.
 */
export async function loadClientStates(q: Queryable, clientIds: readonly string[], legacyTable: boolean): Promise<Map<string, ClientConfigState>> {
  const states = new Map<string, ClientConfigState>();
  for (const id of clientIds) states.set(id, { clientId: id, legacy: null, legacyRowCount: 0, registry: [] });
  // One index probe per id (a LATERAL subquery the planner keeps as it is): planning
  // `client_id = ANY($1)` estimates every one of 1,000 elements, which cost more than the
  // lookups. The ids are made unique first, as a join would repeat a repeated id's rows.
  const ids = [...states.keys()];
  const uuids = legacyIds(ids);
  const [legacy, registry] = await Promise.all([
    legacyTable && uuids.length > 0
      ? q.query<LegacyOverridesRow>(
          `SELECT o.* FROM unnest($1::uuid[]) AS t(id)
             CROSS JOIN LATERAL (SELECT * FROM client_app_overrides o WHERE o.client_id = t.id OFFSET 0) AS o
            ORDER BY o.client_id, o.updated_at DESC NULLS LAST, o.id`,
          [uuids],
        )
      : Promise.resolve({ rows: [] as LegacyOverridesRow[] }),
    q.query<ModuleConfigRow>(
      `SELECT c.client_id, c.module_id, c.enabled, c.custom_settings, c.source, c.migrated_at, c.updated_at
         FROM unnest($1::text[]) AS t(id)
         CROSS JOIN LATERAL (SELECT * FROM hotmod_module_configs c WHERE c.client_id = t.id OFFSET 0) AS c
        ORDER BY c.client_id, c.module_id`,
      [ids],
    ),
  ]);
  for (const row of legacy.rows) {
    const state = states.get(String(row.client_id).toLowerCase());
    if (!state) continue;
    if (state.legacy === null) state.legacy = row;
    state.legacyRowCount = (state.legacyRowCount ?? 0) + 1;
  }
  for (const row of registry.rows) {
    const state = states.get(row.client_id);
    if (state) (state.registry as ModuleConfigRow[]).push(row);
  }
  return states;
}

/**
 * Pins, for the rest of the transaction, the settings the text form of a row depends on
 * (dates, intervals, floats, bytea), so a backup taken in one session and restored in
 * another reads back to the same values and compares equal as text. `keyed`: index scans
 * only (KEYED_PLANS), for a transaction of batch statements.
 */
export async function pinRowTextFormat(tx: Queryable, keyed = false): Promise<void> {
  await tx.query(`SELECT ${PIN_ROW_TEXT_FORMAT}${keyed ? `, ${KEYED_PLANS}` : ''}`);
}

/**
 * Backs up the clients' rows as they are now, inside the batch's transaction and before
 * any change: every client_app_overrides row and every hotmod_module_configs row in
 * PostgreSQL's own text form of the row (`row::text`: every column through its type's
 * output function, SQL NULL distinct from a JSON null, numbers and timestamps exact), so
 * rollback can put back exactly these values. (row_to_json would not do: it writes SQL NULL
 * and a jsonb 'null' alike.) The transaction's row text format is pinned already
 * (claimAndLock, or pinRowTextFormat).
 */
export async function writeBackups(
  tx: Queryable,
  runId: string,
  strategy: string,
  backups: readonly { backupId: string; clientId: string }[],
  legacyTable: boolean,
): Promise<void> {
  if (backups.length === 0) return;
  const legacyRows = legacyTable
    ? `CASE WHEN b.legacy THEN COALESCE((SELECT array_agg(o::text ORDER BY o.id) FROM client_app_overrides o WHERE o.client_id = b.client_id::uuid), '{}'::text[]) ELSE '{}'::text[] END`
    : `'{}'::text[]`;
  await tx.query(
    `INSERT INTO hotmod_migration_backups (backup_id, run_id, client_id, strategy, legacy_rows, module_configs)
     SELECT b.backup_id, $1, b.client_id, $2, ${legacyRows},
            COALESCE((SELECT array_agg(c::text ORDER BY c.module_id) FROM hotmod_module_configs c WHERE c.client_id = b.client_id), '{}'::text[])
       FROM unnest($3::uuid[], $4::text[], $5::boolean[]) AS b(backup_id, client_id, legacy)`,
    [runId, strategy, backups.map((b) => b.backupId), backups.map((b) => b.clientId), backups.map((b) => isUuid(b.clientId))],
  );
}

/**
 * A fingerprint per client of its rows now: md5 over the text of its client_app_overrides
 * rows and its hotmod_module_configs rows (call pinRowTextFormat first in the transaction).
 * Taken when a batch commits; a different fingerprint later means the client was written
 * after the migration, by any path (legacy API, unifier, direct SQL, another host).
 */
export async function clientFingerprints(q: Queryable, clientIds: readonly string[], legacyTable: boolean): Promise<Map<string, string>> {
  if (clientIds.length === 0) return new Map();
  const { rows } = await q.query<{ client_id: string; fp: string }>(
    `SELECT t.id AS client_id, ${fingerprintSql('t.id', 't.legacy', legacyTable)} AS fp
       FROM unnest($1::text[], $2::boolean[]) AS t(id, legacy)`,
    [clientIds, clientIds.map(isUuid)],
  );
  return new Map(rows.map((r) => [r.client_id, r.fp]));
}

/**
 * The SQL of a client's fingerprint (clientFingerprints), for the client id in `id` (text)
 * whose legacy rows are read when `legacy` (a boolean expression: the id is a uuid) holds;
 * so a statement can compute or compare fingerprints where the rows are.
 */
export function fingerprintSql(id: string, legacy: string, legacyTable: boolean): string {
  const legacyText = legacyTable
    ? `CASE WHEN ${legacy} THEN COALESCE((SELECT string_agg(o::text, chr(10) ORDER BY o.id) FROM client_app_overrides o WHERE o.client_id = (${id})::uuid), '') ELSE '' END`
    : `''`;
  return `md5(${legacyText} || chr(30) || COALESCE((SELECT string_agg(c::text, chr(10) ORDER BY c.module_id) FROM hotmod_module_configs c WHERE c.client_id = ${id}), ''))`;
}

/** Row locks on the clients' rows, so writers that take no advisory lock (direct SQL) wait until the transaction ends. */
export async function lockClientRows(tx: Queryable, clientIds: readonly string[], legacyTable: boolean): Promise<void> {
  if (clientIds.length === 0) return;
  const uuids = legacyIds(clientIds);
  if (legacyTable && uuids.length > 0) await tx.query('SELECT 1 FROM client_app_overrides WHERE client_id = ANY($1::uuid[]) FOR UPDATE', [uuids]);
  await tx.query('SELECT 1 FROM hotmod_module_configs WHERE client_id = ANY($1::text[]) FOR UPDATE', [clientIds]);
}

/** Upserts migrated registry rows (source 'migration', migrated_at now); custom_settings kept. */
export async function writeMigratedRows(tx: Queryable, writes: readonly { clientId: string; moduleId: string; enabled: boolean }[]): Promise<void> {
  if (writes.length === 0) return;
  await tx.query(
    `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings, source, migrated_at, updated_at)
     SELECT w.client_id, w.module_id, w.enabled, '{}'::jsonb, 'migration', now(), now()
       FROM unnest($1::text[], $2::text[], $3::boolean[]) AS w(client_id, module_id, enabled)
     ON CONFLICT (client_id, module_id) DO UPDATE SET
       enabled = EXCLUDED.enabled, source = 'migration', migrated_at = EXCLUDED.migrated_at, updated_at = now()`,
    [writes.map((w) => w.clientId), writes.map((w) => w.moduleId), writes.map((w) => w.enabled)],
  );
}

/**
 * Applies merge edits to the clients' lists in SQL (legacyRepository.editedListSql): only
 * the named entries are removed / appended, every other element stays exactly as stored;
 * lists that are not JSON arrays are never touched. updated_at := now(); other columns untouched.
 */
export async function editLegacyLists(tx: Queryable, edits: readonly { clientId: string; remove: readonly string[]; append: readonly string[] }[]): Promise<void> {
  if (edits.length === 0) return;
  await tx.query(
    `UPDATE client_app_overrides o SET modules_enabled = ${editedListSql('v.remove', 'v.append')}, updated_at = now()
       FROM (SELECT t.client_id, ARRAY(SELECT jsonb_array_elements_text(t.remove::jsonb)) AS remove, t.append::jsonb AS append
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(client_id, remove, append)) AS v
      WHERE o.client_id = ANY($1::uuid[]) AND o.client_id = v.client_id AND jsonb_typeof(o.modules_enabled) = 'array'`,
    [edits.map((e) => e.clientId), edits.map((e) => JSON.stringify(e.remove)), edits.map((e) => JSON.stringify(e.append))],
  );
}

/** Writes new modules_enabled arrays whole (and updated_at); every other column untouched. */
export async function writeLegacyLists(tx: Queryable, lists: readonly { clientId: string; list: unknown[] }[]): Promise<void> {
  if (lists.length === 0) return;
  await tx.query(
    `UPDATE client_app_overrides o SET modules_enabled = v.list::jsonb, updated_at = now()
       FROM unnest($1::uuid[], $2::text[]) AS v(client_id, list)
      -- The ANY lets the planner use the client_id index instead of hashing the whole table.
      WHERE o.client_id = ANY($1::uuid[]) AND o.client_id = v.client_id`,
    [lists.map((l) => l.clientId), lists.map((l) => JSON.stringify(l.list))],
  );
}

export interface BackupRecord {
  backup_id: string;
  run_id: string;
  client_id: string;
  strategy: string;
  legacy_rows: string[];
  module_configs: string[];
  created_at: Date;
  restored_at: Date | null;
}

export async function getBackup(q: Queryable, backupId: string): Promise<BackupRecord | undefined> {
  const { rows } = await q.query<BackupRecord>('SELECT * FROM hotmod_migration_backups WHERE backup_id::text = $1', [backupId]);
  return rows[0];
}

/** The backups of a run's clients. */
export async function loadBackups(q: Queryable, runId: string, clientIds: readonly string[]): Promise<BackupRecord[]> {
  const { rows } = await q.query<BackupRecord>('SELECT * FROM hotmod_migration_backups WHERE run_id = $1 AND client_id = ANY($2::text[])', [runId, clientIds]);
  return rows;
}

/** The columns a restore writes: every live column except generated ones, in table order. */
async function legacyColumns(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ column_name: string }>(
    `SELECT a.attname AS column_name FROM pg_attribute a
      WHERE a.attrelid = to_regclass('client_app_overrides') AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
  );
  return rows.map((r) => r.column_name);
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Backups taken before the row-text format (row_to_json, a JSON object) are converted to it
 * here, so one restore path serves both; a JSON backup cannot tell SQL NULL from a jsonb
 * null, which is why new backups are row texts.
 */
async function asRowTexts(tx: Queryable, table: 'client_app_overrides' | 'hotmod_module_configs', texts: readonly string[]): Promise<string[]> {
  if (!texts.some((t) => t.startsWith('{'))) return [...texts];
  const { rows } = await tx.query<{ t: string }>(
    `SELECT CASE WHEN left(t.j, 1) = '{' THEN json_populate_record(NULL::${table}, t.j::json)::text ELSE t.j END AS t
       FROM unnest($1::text[]) WITH ORDINALITY AS t(j, n) ORDER BY t.n`,
    [texts],
  );
  return rows.map((r) => r.t);
}

/**
 * Puts the clients' rows back exactly as the backups hold them: legacy rows whose text
 * differs are set column by column from the backed-up row, missing ones re-inserted, rows
 * the backup did not have deleted; registry rows likewise. Afterwards `row::text` of every
 * row of these clients equals the backup, byte for byte.
 */
export async function restoreBackups(tx: Queryable, backups: readonly BackupRecord[], legacyTable: boolean): Promise<void> {
  if (backups.length === 0) return;
  await pinRowTextFormat(tx);
  const clientIds = backups.map((b) => b.client_id);
  const uuids = legacyIds(clientIds);
  if (legacyTable && uuids.length > 0) {
    const rowTexts = await asRowTexts(tx, 'client_app_overrides', backups.flatMap((b) => b.legacy_rows));
    const columns = await legacyColumns(tx);
    const set = columns.filter((c) => c !== 'id').map((c) => `${ident(c)} = b.${ident(c)}`).join(', ');
    // Rows the client did not have when it was backed up.
    await tx.query(
      `DELETE FROM client_app_overrides o WHERE o.client_id = ANY($1::uuid[])
         AND o.id NOT IN (SELECT (t.j::client_app_overrides).id FROM unnest($2::text[]) AS t(j))`,
      [uuids, rowTexts],
    );
    if (rowTexts.length > 0) {
      await tx.query(
        `UPDATE client_app_overrides o SET ${set}
           FROM (SELECT t.j AS hotmod_backup_text, (t.j::client_app_overrides).* FROM unnest($1::text[]) AS t(j)) AS b
          WHERE o.client_id = ANY($2::uuid[]) AND o.id = b.id AND o::text IS DISTINCT FROM b.hotmod_backup_text`,
        [rowTexts, uuids],
      );
      await tx.query(
        `INSERT INTO client_app_overrides (${columns.map(ident).join(', ')}) OVERRIDING SYSTEM VALUE
         SELECT ${columns.map((c) => `r.${ident(c)}`).join(', ')}
           FROM (SELECT (t.j::client_app_overrides).* FROM unnest($1::text[]) AS t(j)) AS r
          WHERE NOT EXISTS (SELECT 1 FROM client_app_overrides o WHERE o.id = r.id)`,
        [rowTexts],
      );
    }
  }
  const configTexts = await asRowTexts(tx, 'hotmod_module_configs', backups.flatMap((b) => b.module_configs));
  // Replace the registry rows only where they differ, so unchanged clients get no write (and no NOTIFY).
  await tx.query(
    `DELETE FROM hotmod_module_configs c WHERE c.client_id = ANY($1::text[])
       AND c::text <> ALL($2::text[])`,
    [clientIds, configTexts],
  );
  if (configTexts.length > 0) {
    await tx.query(
      `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings, source, migrated_at, updated_at)
       SELECT r.client_id, r.module_id, r.enabled, r.custom_settings, r.source, r.migrated_at, r.updated_at
         FROM (SELECT (t.j::hotmod_module_configs).* FROM unnest($1::text[]) AS t(j)) AS r
        WHERE NOT EXISTS (SELECT 1 FROM hotmod_module_configs c WHERE c.client_id = r.client_id AND c.module_id = r.module_id)`,
      [configTexts],
    );
  }
  await tx.query(`UPDATE hotmod_migration_backups SET restored_at = now() WHERE backup_id = ANY($1::uuid[])`, [backups.map((b) => b.backup_id)]);
}

/**
 * Runs `fn` under a savepoint: its value, or the error it threw with its writes undone and
 * the transaction usable again. A store fault (the connection lost) is thrown on: no
 * savepoint survives it.
 */
export async function underSavepoint<T>(tx: Queryable, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await tx.query('SAVEPOINT hotmod_isolate');
  try {
    const value = await fn();
    await tx.query('RELEASE SAVEPOINT hotmod_isolate');
    return { ok: true, value };
  } catch (error) {
    if (isStoreFault(error)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT hotmod_isolate');
    await tx.query('RELEASE SAVEPOINT hotmod_isolate');
    return { ok: false, error };
  }
}
