import { HotmodError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import type { Queryable, Store } from './types.js';

/**
 * Versioned schema migrations for hotmod's own tables. Each part that owns tables (the
 * core here; the migrator with its backup/run tables) passes its own `component` name,
 * so parts add versions without touching each other's lists.
 *
 * Safe when several processes open one database at once: everything runs in one
 * transaction under a transaction-scoped advisory lock, so the second process waits and
 * then finds the work done.
 */
export interface SchemaMigration {
  /** 1, 2, 3… per component; never renumber or edit an applied one: add a new version. */
  readonly version: number;
  readonly name: string;
  /** Statements, one per entry, no parameters. */
  readonly up: readonly string[];
}

/** The advisory lock key every hotmod schema change takes (an arbitrary constant). */
export const SCHEMA_LOCK_KEY = 734_150_001;

/** The NOTIFY channel that carries client configuration changes: payload = client id, or '*'. */
export const CLIENT_CHANGES_CHANNEL = 'hotmod_client_changes';

export const LEGACY_TRIGGER_NAME = 'hotmod_client_app_overrides_notify';

const NOTIFY_FUNCTION = `
CREATE OR REPLACE FUNCTION hotmod_notify_client_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('${CLIENT_CHANGES_CHANNEL}', '*');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('${CLIENT_CHANGES_CHANNEL}', OLD.client_id::text);
  ELSE
    PERFORM pg_notify('${CLIENT_CHANGES_CHANNEL}', NEW.client_id::text);
    IF TG_OP = 'UPDATE' AND OLD.client_id IS DISTINCT FROM NEW.client_id THEN
      PERFORM pg_notify('${CLIENT_CHANGES_CHANNEL}', OLD.client_id::text);
    END IF;
  END IF;
  RETURN NULL;
END
$fn$`;

/** The core component: hotmod_module_configs and the change trigger on it. */
export const CORE_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'module configs and change notifications',
    up: [
      // client_id is text, not uuid: registry rows may name clients that the legacy
      // table (uuid) cannot hold; ids are validated before they reach SQL.
      `CREATE TABLE IF NOT EXISTS hotmod_module_configs (
        client_id text NOT NULL,
        module_id text NOT NULL,
        enabled boolean NOT NULL,
        custom_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        source text NOT NULL DEFAULT 'registry',
        migrated_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, module_id)
      )`,
      NOTIFY_FUNCTION,
      `CREATE TRIGGER hotmod_module_configs_notify AFTER INSERT OR UPDATE OR DELETE ON hotmod_module_configs
         FOR EACH ROW EXECUTE FUNCTION hotmod_notify_client_change()`,
      `CREATE TRIGGER hotmod_module_configs_notify_truncate AFTER TRUNCATE ON hotmod_module_configs
         FOR EACH STATEMENT EXECUTE FUNCTION hotmod_notify_client_change()`,
    ],
  },
];

export interface MigrationReport {
  component: string;
  applied: { version: number; name: string }[];
  current: number;
}

/** Applies the missing migrations of one component, in order, in one transaction. */
export async function applyMigrations(store: Store, component: string, migrations: readonly SchemaMigration[]): Promise<MigrationReport> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  let pending: SchemaMigration | undefined;
  try {
    return await store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      await ensureMigrationsTable(tx);
      const { rows } = await tx.query<{ version: number }>('SELECT version FROM hotmod_schema_migrations WHERE component = $1', [component]);
      const applied = new Set(rows.map((r) => Number(r.version)));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new HotmodError(
          LegacyBridgeErrorCode.STORE_SCHEMA_TOO_NEW,
          `store ${store.displayUrl}: the '${component}' schema is at version ${newest} but this hotmod knows up to ${known}; upgrade hotmod (a newer version migrated this database)`,
          { component, databaseVersion: newest, knownVersion: known },
        );
      }
      const report: MigrationReport = { component, applied: [], current: newest };
      for (const migration of sorted) {
        if (applied.has(migration.version)) continue;
        pending = migration;
        for (const statement of migration.up) await tx.query(statement);
        await tx.query('INSERT INTO hotmod_schema_migrations (component, version, name) VALUES ($1, $2, $3)', [component, migration.version, migration.name]);
        report.applied.push({ version: migration.version, name: migration.name });
        report.current = migration.version;
      }
      pending = undefined;
      if (component === 'core') await ensureLegacyTrigger(tx);
      return report;
    });
  } catch (error) {
    if (error instanceof HotmodError && error.code === LegacyBridgeErrorCode.STORE_SCHEMA_TOO_NEW) throw error;
    const failed = pending;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HotmodError(
      LegacyBridgeErrorCode.STORE_MIGRATION_FAILED,
      `store ${store.displayUrl}: schema migration '${component}' ${failed ? `v${failed.version} (${failed.name})` : 'setup'} failed and was rolled back: ${reason}; fix the database (see the cause) and open the store again`,
      { component, version: failed?.version },
      { cause: error },
    );
  }
}

async function ensureMigrationsTable(tx: Queryable): Promise<void> {
  await tx.query(`CREATE TABLE IF NOT EXISTS hotmod_schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
  )`);
}

/**
 * Puts the NOTIFY trigger on client_app_overrides when that table exists and lacks it,
 * so direct SQL updates reach running hosts. Runs on every open (the legacy table may
 * have been created after hotmod's first migration) and from initLegacySchema. Call it
 * inside a transaction holding SCHEMA_LOCK_KEY, or use ensureLegacyTriggerLocked.
 */
export async function ensureLegacyTrigger(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ has_table: boolean; has_trigger: boolean }>(
    `SELECT to_regclass('client_app_overrides') IS NOT NULL AS has_table,
            EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $1 AND tgrelid = to_regclass('client_app_overrides')) AS has_trigger`,
    [LEGACY_TRIGGER_NAME],
  );
  const state = rows[0];
  if (!state?.has_table || state.has_trigger) return false;
  await tx.query(NOTIFY_FUNCTION);
  await tx.query(`CREATE TRIGGER ${LEGACY_TRIGGER_NAME} AFTER INSERT OR UPDATE OR DELETE ON client_app_overrides
    FOR EACH ROW EXECUTE FUNCTION hotmod_notify_client_change()`);
  await tx.query(`CREATE TRIGGER ${LEGACY_TRIGGER_NAME}_truncate AFTER TRUNCATE ON client_app_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION hotmod_notify_client_change()`);
  return true;
}

export async function ensureLegacyTriggerLocked(store: Store): Promise<boolean> {
  return store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    return ensureLegacyTrigger(tx);
  });
}
