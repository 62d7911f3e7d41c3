/**
 * The seed's API-reference names (seed "API Reference" and "Compatibility Layer"): code
 * ported from the seed destructures them and calls them as free functions. Each name is
 * called unbound on the objects the application already has (a unifier, or seedApi over a
 * bridge / host), and each must do what the hotmod call SEED_API names does.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost, seedApi, SEED_API, type SeedApi } from '../../src/index.js';
import { createLegacyBridge, initLegacySchema, ModuleSystemUnifier, type LegacyBridge } from '../../src/legacy-bridge/index.js';
import { demoCatalog } from './support/catalog.js';
import { ACME, GLOBEX, registryRows, seedClient } from './support/seed.js';
import { describeStores } from './support/stores.js';

const catalog = demoCatalog();
const seedNameOf = (row: (typeof SEED_API)[number]) => row.seed.slice(0, row.seed.indexOf('('));

describe('SEED_API', () => {
  it('names every function of the seed API reference and compatibility layer once, with the seed signature', () => {
    expect(SEED_API.map(seedNameOf)).toEqual([
      'getModuleOverrides',
      'saveModuleOverrides',
      'resetToDefaults',
      'unifyModuleSystems',
      'getUnifiedModuleConfig',
      'enableUnifiedModule',
      'disableUnifiedModule',
      'migrateModuleToUnified',
      'getUnifiedModuleList',
      'createModuleMigrationPlan',
      'executeModuleMigration',
      'rollbackModuleMigration',
      'validateModuleMigration',
      'getModuleMigrationProgress',
    ]);
    const api = seedApi({});
    expect(Object.keys(api).sort()).toEqual(SEED_API.map(seedNameOf).sort());
    expect(SEED_API.find((r) => r.seed.startsWith('getModuleMigrationProgress'))!.seed).toBe('getModuleMigrationProgress(clientId)');
  });

  it('refuses a call whose part is absent with E_BRIDGE_UNAVAILABLE, and reads the parts at each call (a host before start, started, stopped)', async () => {
    const { getUnifiedModuleConfig, getModuleOverrides, validateModuleMigration } = seedApi({});
    await expect(getUnifiedModuleConfig(ACME, 'accounts')).rejects.toMatchObject({ code: 'E_BRIDGE_UNAVAILABLE', details: { part: 'unifier' } });
    await expect(getModuleOverrides(ACME)).rejects.toMatchObject({ code: 'E_BRIDGE_UNAVAILABLE', details: { part: 'legacy' } });
    await expect(validateModuleMigration(ACME)).rejects.toMatchObject({ code: 'E_BRIDGE_UNAVAILABLE', details: { part: 'migrator' } });

    const host = await createHost({ modulesDir: path.resolve(import.meta.dirname, '../fixtures/legacy-bridge/modules'), store: 'memory' });
    const api = seedApi(host); // taken before start, as an application module would at import time
    const { unifyModuleSystems, getUnifiedModuleList } = api;
    await expect(unifyModuleSystems(ACME)).rejects.toMatchObject({ code: 'E_BRIDGE_UNAVAILABLE' });
    await host.start();
    try {
      const result = await unifyModuleSystems(ACME);
      expect(result.clientId).toBe(ACME);
      expect(result.effective).toEqual((await host.unifier!.unifyModuleSystems(ACME)).effective);
      expect(await getUnifiedModuleList(ACME)).toEqual(result.modules);
      // The unifier's own bound names work off host.unifier as well.
      const { getUnifiedModuleConfig: fromUnifier } = host.unifier!;
      expect(await fromUnifier(ACME, result.modules[0]!.moduleId)).toEqual(result.modules[0]);
    } finally {
      await host.stop();
    }
    // After stop the parts remain, over a closed store.
    await expect(unifyModuleSystems(ACME)).rejects.toMatchObject({ code: 'E_STORE_CLOSED' });
  }, 120_000);
});

describeStores('the seed names, destructured', (ctx) => {
  it('the unifier carries the seed names as bound own properties beside its class methods', async () => {
    const store = await ctx.open();
    await initLegacySchema(store);
    await seedClient(store, ACME, '["accounts", "billing-v1"]');
    const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
    try {
      const { unifyModuleSystems, getUnifiedModuleConfig, enableUnifiedModule, disableUnifiedModule, migrateModuleToUnified, getUnifiedModuleList } = unifier;
      expect((await unifyModuleSystems(ACME)).effective).toEqual(['accounts', 'billing', 'payments']);
      // By a legacy id, as getModuleConfig.
      expect(await getUnifiedModuleConfig(ACME, 'billing-v1')).toEqual(await unifier.getModuleConfig(ACME, 'billing'));
      expect(await getUnifiedModuleConfig(ACME, 'nothing-here')).toBeNull();
      // enableUnifiedModule(clientId, moduleId, true): "with advanced features" → a registry row.
      expect(await enableUnifiedModule(ACME, 'analytics', true)).toBe(true);
      expect(await registryRows(store, ACME)).toEqual([{ module_id: 'analytics', enabled: true, source: 'registry', migrated: false }]);
      // Without it: the legacy list.
      expect(await enableUnifiedModule(ACME, 'notifications')).toBe(true);
      expect((await store.query<{ m: unknown }>('SELECT modules_enabled AS m FROM client_app_overrides WHERE client_id = $1', [ACME])).rows[0]!.m).toEqual(['accounts', 'billing-v1', 'notifications']);
      expect(await disableUnifiedModule(ACME, 'billing')).toBe(true);
      expect(await disableUnifiedModule(ACME, 'billing')).toBe(false);
      expect(await migrateModuleToUnified(ACME, 'accounts')).toBe(true);
      expect(await migrateModuleToUnified(ACME, 'accounts')).toBe(false);
      expect((await getUnifiedModuleList(ACME)).find((m) => m.moduleId === 'accounts')?.migratedAt).toBeInstanceOf(Date);
      expect((await unifyModuleSystems(ACME)).effective).toEqual(['accounts', 'analytics', 'notifications']);
      // The class-method names stay.
      expect(typeof unifier.getModuleConfig).toBe('function');
      expect(typeof unifier.enableModule).toBe('function');
      expect(typeof unifier.disableModule).toBe('function');
      expect(typeof unifier.migrateToUnified).toBe('function');
      // The seed names refuse what the methods refuse: a client neither system knows.
      await expect(enableUnifiedModule('tenant-typo', 'analytics', true)).rejects.toMatchObject({ code: 'E_CLIENT_UNKNOWN' });
      expect(await enableUnifiedModule('tenant-new', 'analytics', true, { createClient: true })).toBe(true);
    } finally {
      unifier.dispose();
    }
  }, 120_000);

  it('seedApi over a bridge: legacy, unifier and migrator names, with per-client migration progress', async () => {
    const store = await ctx.open();
    let bridge: LegacyBridge | undefined;
    try {
      bridge = await createLegacyBridge({ store, catalog: () => catalog });
      await initLegacySchema(store);
      await seedClient(store, ACME, '["accounts", "billing-v1"]');
      await seedClient(store, GLOBEX);
      const api: SeedApi = seedApi(bridge);
      const {
        getModuleOverrides,
        saveModuleOverrides,
        resetToDefaults,
        createModuleMigrationPlan,
        executeModuleMigration,
        rollbackModuleMigration,
        validateModuleMigration,
        getModuleMigrationProgress,
        getUnifiedModuleConfig,
        enableUnifiedModule,
        disableUnifiedModule,
        migrateModuleToUnified,
        getUnifiedModuleList,
      } = api;

      // The compatibility layer's three lines.
      expect((await getModuleOverrides(ACME))?.modules_enabled).toEqual(['accounts', 'billing-v1']);
      expect(await getUnifiedModuleConfig(ACME, 'billing')).toMatchObject({ moduleId: 'billing', source: 'unified', enabled: true });
      expect((await saveModuleOverrides(GLOBEX, ['notify'])).modules_enabled).toEqual(['notify']);
      expect((await resetToDefaults(GLOBEX)).modules_enabled).toEqual(['accounts', 'notifications']);
      // The unifier's seed names through seedApi write what the class methods write.
      expect(await enableUnifiedModule(GLOBEX, 'analytics', true)).toBe(true);
      expect(await disableUnifiedModule(GLOBEX, 'notifications')).toBe(true);
      expect(await migrateModuleToUnified(GLOBEX, 'accounts')).toBe(true);
      expect(await registryRows(store, GLOBEX)).toEqual([
        { module_id: 'accounts', enabled: true, source: 'migration', migrated: true },
        { module_id: 'analytics', enabled: true, source: 'registry', migrated: false },
      ]);
      expect((await getModuleOverrides(GLOBEX))?.modules_enabled).toEqual(['accounts']);
      expect((await getUnifiedModuleList(GLOBEX)).filter((m) => m.enabled).map((m) => m.moduleId)).toEqual(['accounts', 'analytics']);
      await expect(enableUnifiedModule('tenant-nobody', 'analytics', true)).rejects.toMatchObject({ code: 'E_CLIENT_UNKNOWN' });

      // Per client, before any migration: nothing migrated, two configured modules pending.
      const before = await getModuleMigrationProgress(ACME);
      expect(before).toMatchObject({ clientId: ACME, migrated: 0, complete: false, lastRun: null });
      expect(before.pending).toBeGreaterThan(0);
      expect(before.total).toBe(before.pending);
      expect(before.percent).toBe(0);

      const plan = await createModuleMigrationPlan(ACME);
      expect(plan).toMatchObject({ clientId: ACME, outcome: 'migrate', strategy: 'merge' });
      const result = await executeModuleMigration(ACME, plan);
      expect(result.migrated.sort()).toEqual(plan.registryWrites.map((w) => w.moduleId).sort());
      expect(result.backupId).toEqual(expect.any(String));
      expect((await validateModuleMigration(ACME)).valid).toBe(true);

      const after = await getModuleMigrationProgress(ACME);
      expect(after).toMatchObject({ clientId: ACME, pending: 0, percent: 100, complete: true });
      expect(after.migrated).toBe(before.total);
      expect(after.lastRun).toMatchObject({ runId: result.runId, kind: 'single', status: 'completed' });

      // The migrator's own seed names, destructured straight off the object the bridge made.
      const own = bridge.migrator;
      const { getModuleMigrationProgress: ownProgress, validateModuleMigration: ownValidate, createModuleMigrationPlan: ownPlan } = own;
      expect(await ownProgress(ACME)).toEqual(after);
      expect((await ownValidate(ACME)).valid).toBe(true);
      expect(await ownPlan(ACME)).toMatchObject({ clientId: ACME });
      expect(await own.getRunProgress(result.runId)).toEqual(after.lastRun);

      await rollbackModuleMigration(result.backupId!);
      const rolledBack = await getModuleMigrationProgress(ACME);
      expect(rolledBack).toMatchObject({ migrated: 0, pending: before.pending, complete: false, lastRun: { runId: result.runId } });
      expect((await getModuleOverrides(ACME))?.modules_enabled).toEqual(['accounts', 'billing-v1']);
    } finally {
      await bridge?.close();
      await store.close();
    }
  }, 120_000);
});
