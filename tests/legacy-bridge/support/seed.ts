import type { Store } from '../../../src/legacy-bridge/index.js';

/** Inserts a client and (unless modulesEnabledJson is undefined) a legacy row with raw JSON. */
export async function seedClient(store: Store, clientId: string, modulesEnabledJson?: string | null, extra: { themeOverridesJson?: string } = {}): Promise<void> {
  await store.query('INSERT INTO clients (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [clientId, `client ${clientId.slice(0, 8)}`]);
  if (modulesEnabledJson === undefined) return;
  await store.query(
    `INSERT INTO client_app_overrides (client_id, modules_enabled, theme_overrides) VALUES ($1, $2::jsonb, COALESCE($3::jsonb, '{}'::jsonb))`,
    [clientId, modulesEnabledJson, extra.themeOverridesJson ?? null],
  );
}

/**
 * The stored row(s) as PostgreSQL prints them (`row::text`: every column through its type's
 * output function, SQL NULL distinct from a jsonb null): compares byte for byte, independent
 * of JS parsing (which would turn 12345678901234567890 into 12345678901234567000).
 */
export async function rawRow(store: Store, clientId: string): Promise<string | undefined> {
  const { rows } = await store.query<{ t: string }>(`SELECT o::text AS t FROM client_app_overrides o WHERE o.client_id = $1 ORDER BY o.id`, [clientId]);
  return rows.map((r) => r.t).join('\n') || undefined;
}

export async function registryRows(store: Store, clientId: string) {
  const { rows } = await store.query<{ module_id: string; enabled: boolean; source: string; migrated: boolean }>(
    'SELECT module_id, enabled, source, migrated_at IS NOT NULL AS migrated FROM hotmod_module_configs WHERE client_id = $1 ORDER BY module_id',
    [clientId],
  );
  return rows;
}

export const ACME = '0a1b2c3d-0000-4000-8000-0000000000a1';
export const GLOBEX = '0a1b2c3d-0000-4000-8000-0000000000b2';
export const NOBODY = '0a1b2c3d-0000-4000-8000-0000000000ff';
