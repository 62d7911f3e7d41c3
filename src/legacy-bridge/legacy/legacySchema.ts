import type { Store } from '../store/types.js';
import { CLIENT_CHANGES_CHANNEL, ensureLegacyTrigger, SCHEMA_LOCK_KEY } from '../store/migrations.js';

/**
 * The legacy tables as the seed gives them, for a fresh setup (`hotmod db init`). On a
 * database that has them, nothing is changed: hotmod uses client_app_overrides as it
 * finds it. `clients` is minimal (the seed does not describe it): id uuid + name.
 * UNIQUE(client_id) is hotmod's addition (one row per client is what the legacy API
 * reads and writes); tables without it still work (docs/legacy-bridge.md).
 */
const CREATE_CLIENTS = `CREATE TABLE IF NOT EXISTS clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

const CREATE_OVERRIDES = `CREATE TABLE IF NOT EXISTS client_app_overrides (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  modules_enabled jsonb DEFAULT '[]'::jsonb,
  theme_overrides jsonb DEFAULT '{}'::jsonb,
  consultation_config jsonb DEFAULT '{}'::jsonb,
  plan_catalog_overrides jsonb DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT client_app_overrides_client_id_key UNIQUE (client_id)
)`;

/** A demo client: a name, and the raw modules_enabled JSON (undefined: no legacy row). */
export interface DemoClient {
  id: string;
  name: string;
  /** Raw JSON text stored as modules_enabled, so bad data can be shown as it is. */
  modulesEnabledJson?: string;
  themeOverridesJson?: string;
  note: string;
}

/**
 * Demo clients over the demo modules (accounts, payments, billing, notifications,
 * analytics). Some name modules by legacy ids, some hold the bad data real tables hold.
 */
export const DEMO_CLIENTS: readonly DemoClient[] = [
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000001', name: 'Acme Corp', modulesEnabledJson: '["accounts", "billing", "notifications"]', themeOverridesJson: '{"primaryColor": "#0a7"}', note: 'plain legacy list; billing pulls in payments implicitly' },
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000002', name: 'Globex', modulesEnabledJson: '["accounts", "payments", "analytics"]', note: 'plain legacy list' },
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000003', name: 'Initech', modulesEnabledJson: '["accounts-legacy", "billing-v1", "notify"]', note: 'legacy ids (aliases) of accounts, billing and notifications' },
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000004', name: 'Umbrella', modulesEnabledJson: '["accounts", "Billing", " payments ", "accounts", 42, "crm-classic"]', note: 'bad data: wrong case, stray whitespace, duplicate, a number, a module with no package' },
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000005', name: 'Hooli', modulesEnabledJson: '{"billing": true}', note: 'bad data: an object instead of an array (catalog defaults apply)' },
  { id: '0d7c9f3e-1a2b-4c5d-8e6f-000000000006', name: 'Stark Industries', note: 'no legacy row: catalog defaults' },
];

export interface LegacySchemaReport {
  /** Tables created now (empty when both existed). */
  created: string[];
  /** Whether the NOTIFY trigger was added to client_app_overrides now. */
  triggerAdded: boolean;
  /** Demo clients inserted now (existing ones are left as they are). */
  demoClients: string[];
}

/**
 * Creates `clients` and `client_app_overrides` when absent (existing tables are used as
 * they are), puts the change trigger on client_app_overrides, and with `demo` inserts the
 * demo clients that do not exist yet. Idempotent; safe from several processes at once.
 */
export async function initLegacySchema(store: Store, options: { demo?: boolean } = {}): Promise<LegacySchemaReport> {
  const report = await store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    const { rows } = await tx.query<{ clients: boolean; overrides: boolean }>(
      `SELECT to_regclass('clients') IS NOT NULL AS clients, to_regclass('client_app_overrides') IS NOT NULL AS overrides`,
    );
    const created: string[] = [];
    if (!rows[0]?.clients) {
      await tx.query(CREATE_CLIENTS);
      created.push('clients');
    }
    if (!rows[0]?.overrides) {
      await tx.query(CREATE_OVERRIDES);
      created.push('client_app_overrides');
    }
    const triggerAdded = await ensureLegacyTrigger(tx);
    const demoClients: string[] = [];
    if (options.demo) {
      for (const client of DEMO_CLIENTS) {
        const inserted = await tx.query('INSERT INTO clients (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [client.id, client.name]);
        if (inserted.rowCount === 0) continue;
        demoClients.push(client.id);
        if (client.modulesEnabledJson === undefined) continue;
        await tx.query(
          `INSERT INTO client_app_overrides (id, client_id, modules_enabled, theme_overrides, consultation_config, plan_catalog_overrides, created_at, updated_at)
           VALUES (gen_random_uuid(), $1, $2::jsonb, COALESCE($3::jsonb, '{}'::jsonb), '{}'::jsonb, '{}'::jsonb, now(), now())`,
          [client.id, client.modulesEnabledJson, client.themeOverridesJson ?? null],
        );
      }
    }
    return { created, triggerAdded, demoClients };
  });
  // Views that saw "no legacy table" must look again; other processes hear it through NOTIFY.
  if (report.created.length > 0 || report.demoClients.length > 0) {
    store.announce('all');
    await store.notify(CLIENT_CHANGES_CHANNEL, '*');
  }
  return report;
}
