import { applyMigrations, type MigrationReport, type SchemaMigration } from '../store/migrations.js';
import type { Store } from '../store/types.js';

/**
 * The migrator's own tables, versioned under the component 'migrator' of the legacy
 * bridge's applyMigrations (so the core list is never touched):
 * - hotmod_migration_runs: one row per run (strategy, status, phase, options, report);
 * - hotmod_migration_run_clients: one row per client of a run; its status changes in the
 *   same transaction as the client's data, which is what makes a re-run resume exactly;
 * - hotmod_migration_backups: the client's rows as read before any change, as text
 *   (row_to_json(row)::text), one backup per client and run.
 */
export const MIGRATOR_COMPONENT = 'migrator';

export const MIGRATOR_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'migration runs, run clients and backups',
    up: [
      `CREATE TABLE IF NOT EXISTS hotmod_migration_runs (
        run_id text PRIMARY KEY,
        kind text NOT NULL,
        strategy text NOT NULL,
        status text NOT NULL,
        phase text NOT NULL,
        batch_size integer NOT NULL,
        max_failure_rate double precision NOT NULL,
        total integer NOT NULL DEFAULT 0,
        options jsonb NOT NULL DEFAULT '{}'::jsonb,
        report jsonb,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`,
      `CREATE TABLE IF NOT EXISTS hotmod_migration_run_clients (
        run_id text NOT NULL REFERENCES hotmod_migration_runs(run_id) ON DELETE CASCADE,
        client_id text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        batch integer,
        backup_id uuid,
        reason text,
        message text,
        effective_before jsonb,
        changes jsonb,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, client_id)
      )`,
      `CREATE INDEX IF NOT EXISTS hotmod_migration_run_clients_status ON hotmod_migration_run_clients (run_id, status, client_id)`,
      `CREATE TABLE IF NOT EXISTS hotmod_migration_backups (
        backup_id uuid PRIMARY KEY,
        run_id text NOT NULL,
        client_id text NOT NULL,
        strategy text NOT NULL,
        legacy_rows text[] NOT NULL,
        module_configs text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        restored_at timestamptz,
        UNIQUE (run_id, client_id)
      )`,
      `CREATE INDEX IF NOT EXISTS hotmod_migration_backups_client ON hotmod_migration_backups (client_id)`,
    ],
  },
  {
    version: 2,
    name: 'per-client fingerprint of the rows a batch left (later writes)',
    up: [
      // md5 of the client's legacy rows and registry rows as its batch committed them: a
      // client whose rows differ from it now was written after the migration (any path).
      `ALTER TABLE hotmod_migration_run_clients ADD COLUMN IF NOT EXISTS rows_after text`,
    ],
  },
  {
    version: 3,
    name: 'index of the pending clients of a run (the batch claim)',
    up: [
      // A batch claims the lowest pending ids. The (run_id, status, client_id) index would
      // serve it, but statistics taken while every client was pending make the planner walk
      // the primary key and filter, past every client done so far: quadratic over a run
      // (66 ms per claim half-way through 100,000 clients). Only pending rows are in this one.
      `CREATE INDEX IF NOT EXISTS hotmod_migration_run_clients_pending ON hotmod_migration_run_clients (run_id, client_id) WHERE status = 'pending'`,
    ],
  },
];

export function applyMigratorSchema(store: Store): Promise<MigrationReport> {
  return applyMigrations(store, MIGRATOR_COMPONENT, MIGRATOR_MIGRATIONS);
}
