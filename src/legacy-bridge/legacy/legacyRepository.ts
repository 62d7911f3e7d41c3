import { randomUUID } from 'node:crypto';
import type { Queryable } from '../store/types.js';
import type { ClientConfigState, LegacyOverridesRow, ModuleConfigRow } from '../view/rows.js';

/**
 * Statements on client_app_overrides and hotmod_module_configs, shared by the legacy API,
 * the unifier, the config source and the migrator. All parameterized; callers validate ids.
 */

/** Namespace of the per-client advisory locks (pg_advisory_xact_lock(namespace, hashtext(id))). */
export const CLIENT_LOCK_NAMESPACE = 734_150_002;

/** Serializes writers of one client across processes; held until the transaction ends. */
export async function lockClient(tx: Queryable, clientId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CLIENT_LOCK_NAMESPACE, clientId]);
}

export async function legacyTableExists(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ present: boolean }>(`SELECT to_regclass('client_app_overrides') IS NOT NULL AS present`);
  return rows[0]?.present === true;
}

/** The client's newest legacy row, and how many it has (tables without UNIQUE(client_id) may hold several). */
export async function readLegacyRow(q: Queryable, clientId: string): Promise<{ row: LegacyOverridesRow | null; count: number }> {
  const { rows } = await q.query<LegacyOverridesRow & { hotmod_row_count: number }>(
    `SELECT o.*, (count(*) OVER ())::int AS hotmod_row_count FROM client_app_overrides o
      WHERE o.client_id = $1 ORDER BY o.updated_at DESC NULLS LAST, o.id LIMIT 1`,
    [clientId],
  );
  const first = rows[0];
  if (!first) return { row: null, count: 0 };
  const { hotmod_row_count: count, ...row } = first;
  return { row: row as LegacyOverridesRow, count };
}

export async function readModuleConfigRows(q: Queryable, clientId: string): Promise<ModuleConfigRow[]> {
  const { rows } = await q.query<ModuleConfigRow>(
    `SELECT client_id, module_id, enabled, custom_settings, source, migrated_at, updated_at
       FROM hotmod_module_configs WHERE client_id = $1 ORDER BY module_id`,
    [clientId],
  );
  return rows;
}

/**
 * Everything the unified view of one client is computed from. `legacyTable: false` skips
 * the legacy read (no table in this database); non-uuid client ids never have a legacy row.
 */
export async function loadClientState(q: Queryable, clientId: string, options: { legacyTable: boolean; legacyClient: boolean }): Promise<ClientConfigState> {
  if (!options.legacyTable || !options.legacyClient) {
    return { clientId, legacy: null, legacyRowCount: 0, registry: await readModuleConfigRows(q, clientId) };
  }
  // One round trip for both tables: the registry rows ride along as a JSON column.
  const { rows } = await q.query<LegacyOverridesRow & { hotmod_row_count: number; hotmod_registry: RegistryJson[] }>(
    `SELECT o.*, (count(o.client_id) OVER ())::int AS hotmod_row_count,
            (SELECT coalesce(json_agg(json_build_object('module_id', r.module_id, 'enabled', r.enabled, 'custom_settings', r.custom_settings,
                      'source', r.source, 'migrated_at', r.migrated_at, 'updated_at', r.updated_at) ORDER BY r.module_id), '[]'::json)
               FROM hotmod_module_configs r WHERE r.client_id = $2) AS hotmod_registry
       FROM (SELECT 1) AS one LEFT JOIN client_app_overrides o ON o.client_id = $1::uuid
      ORDER BY o.updated_at DESC NULLS LAST, o.id LIMIT 1`,
    [clientId, clientId],
  );
  const first = rows[0]!;
  const { hotmod_row_count: count, hotmod_registry: registryJson, ...row } = first;
  const registry: ModuleConfigRow[] = (registryJson ?? []).map((r) => ({
    client_id: clientId,
    module_id: r.module_id,
    enabled: r.enabled,
    custom_settings: r.custom_settings,
    source: r.source,
    migrated_at: r.migrated_at === null ? null : new Date(r.migrated_at),
    updated_at: r.updated_at === null ? null : new Date(r.updated_at),
  }));
  return { clientId, legacy: count > 0 ? (row as LegacyOverridesRow) : null, legacyRowCount: count, registry };
}

interface RegistryJson {
  module_id: string;
  enabled: boolean;
  custom_settings: unknown;
  source: string;
  migrated_at: string | null;
  updated_at: string | null;
}

/**
 * Writes modules_enabled (and updated_at) of a client's legacy row(s), inserting a row
 * when there is none. Other columns untouched. Call inside a transaction holding lockClient.
 * Works without UNIQUE(client_id) (no ON CONFLICT): the lock serializes inserts.
 */
export async function writeLegacyModules(tx: Queryable, clientId: string, modulesEnabled: unknown, extra: { clearOverrides?: boolean } = {}): Promise<LegacyOverridesRow> {
  const json = JSON.stringify(modulesEnabled);
  const clear = extra.clearOverrides === true;
  const updated = await tx.query<LegacyOverridesRow>(
    clear
      ? `UPDATE client_app_overrides SET modules_enabled = $2::jsonb, theme_overrides = '{}'::jsonb, consultation_config = '{}'::jsonb,
           plan_catalog_overrides = '{}'::jsonb, updated_at = now() WHERE client_id = $1 RETURNING *`
      : `UPDATE client_app_overrides SET modules_enabled = $2::jsonb, updated_at = now() WHERE client_id = $1 RETURNING *`,
    [clientId, json],
  );
  if (updated.rows.length > 0) return newest(updated.rows);
  const inserted = await tx.query<LegacyOverridesRow>(
    clear
      ? `INSERT INTO client_app_overrides (id, client_id, modules_enabled, theme_overrides, consultation_config, plan_catalog_overrides, created_at, updated_at)
         VALUES ($1, $2, $3::jsonb, '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, now(), now()) RETURNING *`
      : `INSERT INTO client_app_overrides (id, client_id, modules_enabled, created_at, updated_at)
         VALUES ($1, $2, $3::jsonb, now(), now()) RETURNING *`,
    [randomUUID(), clientId, json],
  );
  return inserted.rows[0]!;
}

/** An edit of a stored modules_enabled array: string entries to drop, ids to append. */
export interface LegacyListEdit {
  /** String entries (module ids or legacy ids) removed wherever they occur. */
  remove: readonly string[];
  /** Ids appended at the end, in this order. */
  append: readonly string[];
}

/**
 * The edited list, computed in SQL from the stored jsonb: every element that is not removed
 * is kept exactly as stored (numbers like 12345678901234567890 or 1.10, objects, nulls never
 * pass through JavaScript, which would change them). `o` is the client_app_overrides row;
 * `remove` a text[] expression, `append` a jsonb array expression.
 */
export function editedListSql(remove: string, append: string): string {
  return `((SELECT coalesce(jsonb_agg(x.e ORDER BY x.n), '[]'::jsonb)
              FROM jsonb_array_elements(o.modules_enabled) WITH ORDINALITY AS x(e, n)
             WHERE NOT (jsonb_typeof(x.e) = 'string' AND (x.e #>> '{}') = ANY (${remove}))) || ${append})`;
}

/**
 * Applies an edit to the client's legacy list(s) when they hold a JSON array (anything else
 * is never touched); updated_at := now(), other columns untouched. Call inside a
 * transaction holding lockClient. Returns the rows changed.
 */
export async function editLegacyModules(tx: Queryable, clientId: string, edit: LegacyListEdit): Promise<number> {
  if (edit.remove.length === 0 && edit.append.length === 0) return 0;
  const { rowCount } = await tx.query(
    `UPDATE client_app_overrides o SET modules_enabled = ${editedListSql('$2::text[]', '$3::jsonb')}, updated_at = now()
      WHERE o.client_id = $1 AND jsonb_typeof(o.modules_enabled) = 'array'`,
    [clientId, [...edit.remove], JSON.stringify(edit.append)],
  );
  return rowCount;
}

function newest(rows: LegacyOverridesRow[]): LegacyOverridesRow {
  return rows.reduce((a, b) => ((b.updated_at?.getTime() ?? 0) > (a.updated_at?.getTime() ?? 0) ? b : a));
}

export interface ModuleConfigWrite {
  clientId: string;
  moduleId: string;
  enabled: boolean;
  /** Replaces custom_settings; undefined keeps the stored value ({} for a new row). */
  customSettings?: Record<string, unknown>;
  /** Replaces source; undefined keeps the stored value ('registry' for a new row). */
  source?: string;
  /** 'now' marks the module migrated; null un-migrates; undefined keeps the stored value. */
  migratedAt?: 'now' | Date | null;
}

/** Upserts one hotmod_module_configs row. */
export async function upsertModuleConfig(q: Queryable, write: ModuleConfigWrite): Promise<ModuleConfigRow> {
  const migrated = write.migratedAt === undefined ? null : write.migratedAt === 'now' ? new Date() : write.migratedAt;
  const { rows } = await q.query<ModuleConfigRow>(
    `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings, source, migrated_at, updated_at)
     VALUES ($1, $2, $3, COALESCE($4::jsonb, '{}'::jsonb), COALESCE($5, 'registry'), $6, now())
     ON CONFLICT (client_id, module_id) DO UPDATE SET
       enabled = EXCLUDED.enabled,
       custom_settings = COALESCE($4::jsonb, hotmod_module_configs.custom_settings),
       source = COALESCE($5, hotmod_module_configs.source),
       migrated_at = CASE WHEN $7 THEN EXCLUDED.migrated_at ELSE hotmod_module_configs.migrated_at END,
       updated_at = now()
     RETURNING client_id, module_id, enabled, custom_settings, source, migrated_at, updated_at`,
    [
      write.clientId,
      write.moduleId,
      write.enabled,
      write.customSettings === undefined ? null : JSON.stringify(write.customSettings),
      write.source ?? null,
      migrated,
      write.migratedAt !== undefined,
    ],
  );
  return rows[0]!;
}
