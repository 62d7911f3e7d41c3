import pg from 'pg';
import { expect, it } from 'vitest';
import { createLegacyApi, initLegacySchema, ModuleSystemUnifier, type Store } from '../../src/legacy-bridge/index.js';
import { demoCatalog } from './support/catalog.js';
import { ACME, GLOBEX, NOBODY, rawRow, registryRows, seedClient } from './support/seed.js';
import { describeStores } from './support/stores.js';

const catalog = demoCatalog();
const LEGACY_COLUMNS = ['id', 'client_id', 'modules_enabled', 'theme_overrides', 'consultation_config', 'plan_catalog_overrides', 'created_at', 'updated_at'];

async function setup(open: () => Promise<Store>) {
  const store = await open();
  await initLegacySchema(store);
  return { store, api: createLegacyApi(store, { catalog: () => catalog }), unifier: new ModuleSystemUnifier(store, { catalog: () => catalog }) };
}

describeStores('legacy API', (ctx) => {
  it('getModuleOverrides returns null for a client without a row, and the row in its legacy shape otherwise', async () => {
    const { store, api } = await setup(ctx.open);
    await seedClient(store, GLOBEX);
    expect(await api.getModuleOverrides(GLOBEX)).toBeNull();
    await seedClient(store, ACME, '["accounts", "billing-v1"]', { themeOverridesJson: '{"primaryColor": "#0a7"}' });
    const row = await api.getModuleOverrides(ACME.toUpperCase());
    expect(Object.keys(row!).sort()).toEqual([...LEGACY_COLUMNS].sort());
    expect(row).toMatchObject({ client_id: ACME, modules_enabled: ['accounts', 'billing-v1'], theme_overrides: { primaryColor: '#0a7' }, consultation_config: {}, plan_catalog_overrides: {} });
    expect(row!.created_at).toBeInstanceOf(Date);
    expect(row!.updated_at).toBeInstanceOf(Date);
  });

  it('saveModuleOverrides inserts a row when there is none and updates it in place otherwise, other columns untouched', async () => {
    const { store, api } = await setup(ctx.open);
    await seedClient(store, ACME);
    const inserted = await api.saveModuleOverrides(ACME, ['accounts']);
    expect(inserted).toMatchObject({ client_id: ACME, modules_enabled: ['accounts'] });
    await store.query(`UPDATE client_app_overrides SET theme_overrides = '{"dark": true}', consultation_config = '{"slots": 3}', updated_at = now() - interval '1 hour' WHERE client_id = $1`, [ACME]);
    const before = (await api.getModuleOverrides(ACME))!;
    const saved = await api.saveModuleOverrides(ACME, ['billing', 'unknown-thing', 'billing']);
    expect(saved.id).toBe(before.id);
    expect(saved.modules_enabled).toEqual(['billing', 'unknown-thing', 'billing']); // as given: never normalized
    expect(saved.theme_overrides).toEqual({ dark: true });
    expect(saved.consultation_config).toEqual({ slots: 3 });
    expect(saved.created_at).toEqual(before.created_at);
    expect(saved.updated_at!.getTime()).toBeGreaterThan(before.updated_at!.getTime());
    const { rows } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM client_app_overrides WHERE client_id = $1', [ACME]);
    expect(rows[0]!.n).toBe(1);
  });

  it('saveModuleOverrides refuses anything but an array of strings, writing nothing', async () => {
    const { store, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts"]');
    const before = await rawRow(store, ACME);
    for (const bad of [null, 'billing', { billing: true }, ['billing', 42], [['billing']]]) {
      const error = await api.saveModuleOverrides(ACME, bad as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_LEGACY_MODULES_INVALID' });
      expect((error as Error).message).toContain('nothing was written');
    }
    expect(await rawRow(store, ACME)).toBe(before);
  });

  it('refuses a client missing from clients with E_CLIENT_NOT_FOUND, naming the nearest known ids', async () => {
    const { store, api } = await setup(ctx.open);
    const error = await api.saveModuleOverrides(NOBODY, ['accounts']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_CLIENT_NOT_FOUND' });
    expect((error as Error).message).toContain('create the client first');
    expect((error as Error).message).not.toContain('nearest known ids');
    // One character off a real client: the message names it.
    await seedClient(store, ACME);
    const typo = await api.saveModuleOverrides(`${ACME.slice(0, -1)}9`, ['accounts']).catch((e: unknown) => e);
    expect(typo).toMatchObject({ code: 'E_CLIENT_NOT_FOUND', details: { nearest: [ACME] } });
    expect((typo as Error).message).toContain(`nearest known ids: ${ACME}`);
    expect(await rawRow(store, `${ACME.slice(0, -1)}9`)).toBeUndefined();
  });

  it('resetToDefaults writes the catalog defaults and clears the three override columns', async () => {
    const { store, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["billing"]', { themeOverridesJson: '{"dark": true}' });
    const row = await api.resetToDefaults(ACME);
    expect(row).toMatchObject({ modules_enabled: ['accounts', 'notifications'], theme_overrides: {}, consultation_config: {}, plan_catalog_overrides: {} });
    await seedClient(store, GLOBEX);
    expect(await api.resetToDefaults(GLOBEX)).toMatchObject({ client_id: GLOBEX, modules_enabled: ['accounts', 'notifications'] });
  });

  it('works standalone, without a catalog (exact ids, given defaults)', async () => {
    const { store } = await setup(ctx.open);
    const api = createLegacyApi(store, { defaultModules: ['core'] });
    await seedClient(store, ACME);
    expect((await api.resetToDefaults(ACME)).modules_enabled).toEqual(['core']);
    expect((await api.saveModuleOverrides(ACME, ['x'])).modules_enabled).toEqual(['x']);
  });

  it('validates client ids before any SQL: an injection attempt is refused and the tables are intact', async () => {
    const { store, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts"]');
    for (const id of ["'; DROP TABLE client_app_overrides; --", `${ACME}' OR '1'='1`, 'acme', '', 42]) {
      await expect(api.getModuleOverrides(id as string)).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
      await expect(api.saveModuleOverrides(id as string, ['x'])).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
      await expect(api.resetToDefaults(id as string)).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
    }
    // Module ids are data: parameterized, stored verbatim, harmless.
    const evil = "x'); DROP TABLE clients; --";
    expect((await api.saveModuleOverrides(ACME, [evil])).modules_enabled).toEqual([evil]);
    const { rows } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM clients');
    expect(rows[0]!.n).toBe(1);
  });

  it('reports a missing legacy table as E_LEGACY_TABLE_MISSING', async () => {
    const store = await ctx.open();
    const api = createLegacyApi(store, { catalog: () => catalog });
    const error = await api.getModuleOverrides(ACME).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_LEGACY_TABLE_MISSING' });
    expect((error as Error).message).toContain('hotmod db init');
  });

  it('uses an existing table as it is: extra columns kept, no UNIQUE(client_id) needed', async () => {
    const store = await ctx.open();
    await store.exec(`
      CREATE TABLE clients (id uuid PRIMARY KEY, name text);
      CREATE TABLE client_app_overrides (
        id uuid PRIMARY KEY, client_id uuid REFERENCES clients(id), modules_enabled jsonb, theme_overrides jsonb,
        consultation_config jsonb, plan_catalog_overrides jsonb, created_at timestamptz, updated_at timestamptz, tenant_note text);
      INSERT INTO clients VALUES ('${ACME}', 'acme');
      INSERT INTO client_app_overrides VALUES ('9d3e0c1a-5b7f-4c2d-8e9a-0b1c2d3e4f50', '${ACME}', '["accounts"]', null, null, null, now(), now(), 'keep me');`);
    const report = await initLegacySchema(store);
    expect(report.created).toEqual([]);
    const api = createLegacyApi(store, { catalog: () => catalog });
    const saved = await api.saveModuleOverrides(ACME, ['billing']);
    expect(saved).toMatchObject({ modules_enabled: ['billing'], tenant_note: 'keep me', theme_overrides: null });
    await store.query(`INSERT INTO clients VALUES ('${GLOBEX}', 'globex')`);
    expect((await api.saveModuleOverrides(GLOBEX, ['accounts'])).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('dual-writes migrated modules: legacy saves keep hotmod_module_configs in step', async () => {
    const { store, api, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", "billing-v1", "analytics"]');
    expect(await unifier.migrateToUnified(ACME, 'analytics')).toBe(true);
    expect(await unifier.migrateToUnified(ACME, 'billing')).toBe(true);
    expect(await registryRows(store, ACME)).toEqual([
      { module_id: 'analytics', enabled: true, source: 'migration', migrated: true },
      { module_id: 'billing', enabled: true, source: 'migration', migrated: true },
    ]);
    await api.saveModuleOverrides(ACME, ['accounts', 'billing-v1']);
    expect((await registryRows(store, ACME)).map((r) => [r.module_id, r.enabled])).toEqual([['analytics', false], ['billing', true]]);
    let result = await unifier.unifyModuleSystems(ACME);
    expect(result.effective).toEqual(['accounts', 'billing', 'payments']);
    expect(result.conflicts).toEqual([]);

    await api.saveModuleOverrides(ACME, ['analytics']);
    expect((await registryRows(store, ACME)).map((r) => [r.module_id, r.enabled])).toEqual([['analytics', true], ['billing', false]]);
    await api.resetToDefaults(ACME);
    expect((await registryRows(store, ACME)).map((r) => [r.module_id, r.enabled])).toEqual([['analytics', false], ['billing', false]]);
    result = await unifier.unifyModuleSystems(ACME);
    expect(result.effective).toEqual(['accounts', 'notifications']);
    expect(result.conflicts).toEqual([]);
  });

  if (ctx.target === 'postgres') {
    it("works over the application's own pg.Pool, leaving the pool open", async () => {
      const store = await ctx.open();
      await initLegacySchema(store);
      await seedClient(store, ACME, '["accounts"]');
      const pool = new pg.Pool({ connectionString: ctx.url(), max: 2 });
      try {
        const api = createLegacyApi(pool, { catalog: () => catalog });
        expect((await api.getModuleOverrides(ACME))?.modules_enabled).toEqual(['accounts']);
        expect((await api.saveModuleOverrides(ACME, ['billing'])).modules_enabled).toEqual(['billing']);
        expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await pool.end();
      }
    });
  }
});
