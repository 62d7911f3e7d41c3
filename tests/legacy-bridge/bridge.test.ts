import { describe, expect, it } from 'vitest';
import { createLegacyBridge, initLegacySchema } from '../../src/legacy-bridge/index.js';
import { demoCatalog } from './support/catalog.js';
import { ACME, seedClient } from './support/seed.js';

describe('createLegacyBridge (what a host composes)', () => {
  it('shares one store between the legacy API, the unifier and the config source, and closes it', async () => {
    const catalog = demoCatalog();
    const bridge = await createLegacyBridge({ store: 'memory', catalog: () => catalog });
    try {
      expect(bridge.store.kind).toBe('memory');
      await initLegacySchema(bridge.store);
      await seedClient(bridge.store, ACME, '["accounts"]');
      const changes: unknown[] = [];
      bridge.configSource.onChange((c) => changes.push(c));
      expect([...(await bridge.configSource.clientModuleSet(ACME, catalog)).enabled]).toEqual(['accounts']);
      await bridge.legacy.saveModuleOverrides(ACME, ['accounts', 'billing-v1']);
      expect(changes).toContainEqual([ACME]);
      expect([...(await bridge.configSource.clientModuleSet(ACME, catalog)).enabled].sort()).toEqual(['accounts', 'billing', 'payments']);
      expect((await bridge.unifier.unifyModuleSystems(ACME)).effective).toEqual(['accounts', 'billing', 'payments']);
      expect(typeof bridge.migrator.createModuleMigrationPlan).toBe('function');
    } finally {
      await bridge.close();
      await bridge.close();
    }
    expect(bridge.store.closed).toBe(true);
  }, 120_000);

  it('refuses a bad store URL with E_STORE_URL_INVALID', async () => {
    await expect(createLegacyBridge({ store: 'sqlite://x', catalog: () => demoCatalog() })).rejects.toMatchObject({ code: 'E_STORE_URL_INVALID' });
  });
});
