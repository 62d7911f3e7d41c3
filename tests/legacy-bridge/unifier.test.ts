import { expect, it } from 'vitest';
import { createLegacyApi, initLegacySchema, ModuleSystemUnifier, type Store } from '../../src/legacy-bridge/index.js';
import { demoCatalog } from './support/catalog.js';
import { ACME, GLOBEX, NOBODY, rawRow, registryRows, seedClient } from './support/seed.js';
import { describeStores } from './support/stores.js';

const catalog = demoCatalog();

async function setup(open: () => Promise<Store>) {
  const store = await open();
  await initLegacySchema(store);
  return { store, unifier: new ModuleSystemUnifier(store, { catalog: () => catalog }), api: createLegacyApi(store, { catalog: () => catalog }) };
}

const list = async (api: ReturnType<typeof createLegacyApi>, id: string) => (await api.getModuleOverrides(id))?.modules_enabled;

describeStores('ModuleSystemUnifier', (ctx) => {
  it('unifyModuleSystems returns modules, conflicts, warnings and recommendations, each finding with a code', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", "billing-v1", "crm-classic"]');
    await store.query(`INSERT INTO hotmod_module_configs (client_id, module_id, enabled) VALUES ($1, 'accounts', false)`, [ACME]);
    const result = await unifier.unifyModuleSystems(ACME);
    expect(Object.keys(result).sort()).toEqual(['clientId', 'conflicts', 'effective', 'modules', 'recommendations', 'warnings']);
    expect(result.clientId).toBe(ACME);
    expect(result.effective).toEqual(['billing', 'payments']);
    expect(result.conflicts.map((c) => c.code)).toEqual(['C_LEGACY_REGISTRY_DISAGREE']);
    expect(result.warnings.map((w) => w.code).sort()).toEqual(['W_LEGACY_ENTRY_ALIAS', 'W_LEGACY_NO_PACKAGE']);
    expect(new Set(result.recommendations.map((r) => r.code))).toEqual(new Set(['R_REPLACE_ALIAS', 'R_RESOLVE_CONFLICT', 'R_MIGRATE_MODULE', 'R_ENABLE_IMPLICIT', 'R_REMOVE_UNKNOWN_ENTRY']));
    expect(result.modules.find((m) => m.moduleId === 'crm-classic')).toMatchObject({ source: 'legacy', enabled: true });
    expect(await unifier.getUnifiedModuleList(ACME)).toEqual(result.modules);
  });

  it('getModuleConfig finds a module by id or legacy id, and returns null for one neither system knows', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["billing-v1"]');
    expect(await unifier.getModuleConfig(ACME, 'billing-v1')).toMatchObject({ moduleId: 'billing', enabled: true, source: 'unified' });
    expect(await unifier.getModuleConfig(ACME, 'payments')).toMatchObject({ moduleId: 'payments', implicit: true });
    expect(await unifier.getModuleConfig(ACME, 'nothing-here')).toBeNull();
  });

  it('enableModule (legacy) appends to the list, keeping every other entry as it is', async () => {
    const { store, unifier, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", 42, "Billing", "crm-classic", "accounts"]');
    expect(await unifier.enableModule(ACME, 'analytics', false)).toBe(true);
    expect(await list(api, ACME)).toEqual(['accounts', 42, 'Billing', 'crm-classic', 'accounts', 'analytics']);
    expect(await unifier.enableModule(ACME, 'analytics')).toBe(false);
    expect(await registryRows(store, ACME)).toEqual([]);
  });

  it('edits a list entry by entry in the database: junk JavaScript cannot represent stays byte for byte (enable, disable, migrate)', async () => {
    const { store, unifier } = await setup(ctx.open);
    const junk = '12345678901234567890, 1.10, {"n": 2.50}, null, "Billing"';
    await seedClient(store, ACME, `["accounts", ${junk}, "billing-v1"]`);
    const stored = async () => (await store.query<{ t: string }>('SELECT modules_enabled::text AS t FROM client_app_overrides WHERE client_id = $1', [ACME])).rows[0]!.t;
    expect(await stored()).toBe(`["accounts", ${junk}, "billing-v1"]`);
    expect(await unifier.enableModule(ACME, 'analytics')).toBe(true);
    expect(await stored()).toBe(`["accounts", ${junk}, "billing-v1", "analytics"]`);
    expect(await unifier.disableModule(ACME, 'billing')).toBe(true);
    expect(await stored()).toBe(`["accounts", ${junk}, "analytics"]`);
    // Dual write of a migrated module goes through the same edit.
    expect(await unifier.migrateToUnified(ACME, 'payments')).toBe(true);
    expect(await unifier.enableModule(ACME, 'payments', true)).toBe(true);
    expect(await stored()).toBe(`["accounts", ${junk}, "analytics", "payments"]`);
    expect(await unifier.disableModule(ACME, 'accounts')).toBe(true);
    expect(await stored()).toBe(`[${junk}, "analytics", "payments"]`);
  });

  it('enableModule (legacy) for a client without a row writes its current set plus the module', async () => {
    const { store, unifier, api } = await setup(ctx.open);
    await seedClient(store, ACME);
    expect(await unifier.enableModule(ACME, 'billing')).toBe(true);
    expect(await list(api, ACME)).toEqual(['accounts', 'notifications', 'billing']);
    expect((await unifier.unifyModuleSystems(ACME)).effective).toEqual(['accounts', 'billing', 'notifications', 'payments']);
  });

  it('enableModule (advanced) writes a registry row and leaves the legacy row alone', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts"]');
    const before = await rawRow(store, ACME);
    expect(await unifier.enableModule(ACME, 'analytics', true)).toBe(true);
    expect(await rawRow(store, ACME)).toBe(before);
    expect(await registryRows(store, ACME)).toEqual([{ module_id: 'analytics', enabled: true, source: 'registry', migrated: false }]);
    const result = await unifier.unifyModuleSystems(ACME);
    expect(result.modules.find((m) => m.moduleId === 'analytics')).toMatchObject({ enabled: true, source: 'registry' });
    expect(result.conflicts).toEqual([]);
  });

  it('enableModule for a non-uuid client writes a registry row (no legacy row is possible)', async () => {
    const { store, unifier } = await setup(ctx.open);
    expect(await unifier.enableModule('tenant-42', 'payments', false, { createClient: true })).toBe(true);
    expect(await registryRows(store, 'tenant-42')).toEqual([{ module_id: 'payments', enabled: true, source: 'registry', migrated: false }]);
    expect((await unifier.unifyModuleSystems('tenant-42')).effective).toEqual(['accounts', 'notifications', 'payments']);
  });

  it('disableModule removes the id and its legacy ids from the list, keeping the rest', async () => {
    const { store, unifier, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["billing-v1", "accounts", null, "billing", "crm"]');
    expect(await unifier.disableModule(ACME, 'billing')).toBe(true);
    expect(await list(api, ACME)).toEqual(['accounts', null, 'crm']);
    expect(await unifier.disableModule(ACME, 'billing')).toBe(false);
  });

  it('disableModule of a module enabled by the catalog default records a registry row enabled: false', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME);
    expect(await unifier.disableModule(ACME, 'notifications')).toBe(true);
    expect(await registryRows(store, ACME)).toEqual([{ module_id: 'notifications', enabled: false, source: 'registry', migrated: false }]);
    expect((await unifier.unifyModuleSystems(ACME)).effective).toEqual(['accounts']);
    expect(await rawRow(store, ACME)).toBeUndefined();
  });

  it('disableModule turns a registry row off, and the module stays effective while something requires it', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["billing"]');
    await unifier.enableModule(ACME, 'payments', true);
    expect(await unifier.disableModule(ACME, 'payments')).toBe(true);
    const result = await unifier.unifyModuleSystems(ACME);
    expect(result.modules.find((m) => m.moduleId === 'payments')).toMatchObject({ enabled: true, implicit: true });
    expect(result.conflicts.map((c) => c.code)).toEqual(['C_REQUIRED_BUT_DISABLED']);
  });

  it('migrateToUnified records the current state, marks the row migrated, and is a no-op the second time', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", "billing-v1"]');
    expect(await unifier.migrateToUnified(ACME, 'billing')).toBe(true);
    expect(await unifier.migrateToUnified(ACME, 'analytics')).toBe(true);
    expect(await unifier.migrateToUnified(ACME, 'billing')).toBe(false);
    expect(await registryRows(store, ACME)).toEqual([
      { module_id: 'analytics', enabled: false, source: 'migration', migrated: true },
      { module_id: 'billing', enabled: true, source: 'migration', migrated: true },
    ]);
    const config = await unifier.getModuleConfig(ACME, 'billing');
    expect(config?.migratedAt).toBeInstanceOf(Date);
    expect(config?.source).toBe('unified');
  });

  it('after migration, unifier writes go to both tables (dual write), so old readers see the same set', async () => {
    const { store, unifier, api } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", "billing-v1"]');
    await unifier.migrateToUnified(ACME, 'billing');
    await unifier.migrateToUnified(ACME, 'analytics');
    expect(await unifier.disableModule(ACME, 'billing')).toBe(true);
    expect(await list(api, ACME)).toEqual(['accounts']);
    expect(await unifier.enableModule(ACME, 'analytics', true)).toBe(true);
    expect(await list(api, ACME)).toEqual(['accounts', 'analytics']);
    expect((await registryRows(store, ACME)).map((r) => [r.module_id, r.enabled])).toEqual([['analytics', true], ['billing', false]]);
    const result = await unifier.unifyModuleSystems(ACME);
    expect(result.conflicts).toEqual([]);
    expect(result.effective).toEqual(['accounts', 'analytics']);
  });

  it('reports a migrated module edited by direct SQL as out of step; the registry row wins', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts", "billing"]');
    await unifier.migrateToUnified(ACME, 'billing');
    await store.query(`UPDATE client_app_overrides SET modules_enabled = '["accounts"]' WHERE client_id = $1`, [ACME]);
    const result = await unifier.unifyModuleSystems(ACME);
    expect(result.effective).toContain('billing');
    expect(result.conflicts).toEqual([expect.objectContaining({ code: 'C_MIGRATED_OUT_OF_STEP', moduleId: 'billing' })]);
  });

  it('serializes concurrent writes to one client (advisory lock): no update is lost', async () => {
    const { store, unifier, api } = await setup(ctx.open);
    await seedClient(store, ACME, '[]');
    await Promise.all(['accounts', 'payments', 'billing', 'notifications', 'analytics'].map((m) => unifier.enableModule(ACME, m)));
    expect(((await list(api, ACME)) as string[]).sort()).toEqual(['accounts', 'analytics', 'billing', 'notifications', 'payments']);
  });

  it('refuses unknown modules, malformed ids and injection attempts with coded errors, touching nothing', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts"]');
    await seedClient(store, GLOBEX, '["accounts"]');
    const before = [await rawRow(store, ACME), await rawRow(store, GLOBEX)];
    const unknown = await unifier.enableModule(ACME, 'crm').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'E_MODULE_UNKNOWN' });
    expect((unknown as Error).message).toContain("no module 'crm' in the catalog");
    for (const evil of ["billing'; DROP TABLE hotmod_module_configs; --", "x' OR '1'='1", 'Billing', '', ' billing']) {
      await expect(unifier.enableModule(ACME, evil)).rejects.toMatchObject({ code: 'E_MODULE_ID_INVALID' });
      await expect(unifier.disableModule(ACME, evil)).rejects.toMatchObject({ code: 'E_MODULE_ID_INVALID' });
    }
    for (const evil of ["'; DELETE FROM client_app_overrides; --", `${ACME}'--`, 'a b', '']) {
      await expect(unifier.unifyModuleSystems(evil)).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
      await expect(unifier.enableModule(evil, 'billing')).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
    }
    expect([await rawRow(store, ACME), await rawRow(store, GLOBEX)]).toEqual(before);
    expect(await registryRows(store, ACME)).toEqual([]);
  });

  it('refuses writes for a client neither system knows (E_CLIENT_UNKNOWN, nearest known ids named), unless the caller creates it', async () => {
    const { store, unifier } = await setup(ctx.open);
    await seedClient(store, ACME, '["accounts"]');
    await seedClient(store, GLOBEX); // in clients, no legacy row: known
    expect(await unifier.enableModule('tenant-42', 'payments', true, { createClient: true })).toBe(true);

    // One character off a real id: refused, nothing written, the real ids suggested.
    const acmeTypo = `${ACME.slice(0, -1)}2`;
    // Nearest first: ACME is one edit away, GLOBEX (…b2) two.
    for (const [id, near] of [
      [acmeTypo, [ACME, GLOBEX]],
      ['tenant-43', ['tenant-42']],
      ['tenant42', ['tenant-42']],
    ] as const) {
      for (const write of [
        () => unifier.enableModule(id, 'analytics'),
        () => unifier.enableModule(id, 'analytics', true),
        () => unifier.disableModule(id, 'notifications'),
        () => unifier.migrateToUnified(id, 'accounts'),
        () => unifier.enableUnifiedModule(id, 'analytics', true),
      ]) {
        const error = await write().catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'E_CLIENT_UNKNOWN', details: { clientId: id, nearest: near } });
        expect((error as Error).message).toContain(`nearest known ids: ${near.join(', ')}`);
        expect((error as Error).message).toContain('createClient: true');
      }
      expect(await registryRows(store, id)).toEqual([]);
    }
    expect(await rawRow(store, acmeTypo)).toBeUndefined();
    const far = await unifier.enableModule('zzzzzzzzzzzzzzzz', 'analytics', true).catch((e: unknown) => e);
    expect(far).toMatchObject({ code: 'E_CLIENT_UNKNOWN', details: { nearest: [] } });
    expect((far as Error).message).toContain('no known id is close to it');

    // Known clients write as before: a legacy row, a clients row without a legacy row, a registry-only client.
    expect(await unifier.enableModule(ACME, 'analytics')).toBe(true);
    expect(await unifier.enableModule(GLOBEX, 'analytics', true)).toBe(true);
    expect(await unifier.disableModule('tenant-42', 'payments')).toBe(true);
    // Reads of unknown clients are not refused: they get the catalog defaults.
    expect((await unifier.unifyModuleSystems(NOBODY)).effective).toEqual(['accounts', 'notifications']);
    // The caller says it creates the client: the write goes through.
    expect(await unifier.enableModule(NOBODY, 'analytics', true, { createClient: true })).toBe(true);
    expect(await registryRows(store, NOBODY)).toEqual([{ module_id: 'analytics', enabled: true, source: 'registry', migrated: false }]);
  });
});
