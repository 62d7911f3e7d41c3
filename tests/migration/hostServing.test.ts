/**
 * Migration while a real host serves the clients: calls run without pause during the run
 * and none fails; clients keep exactly their modules; the change notifications of the
 * migrated clients reach the host's config source.
 */
import { afterEach, expect, it } from 'vitest';
import { createLegacyBridge, ModuleDataMigrator, type Store } from '../../src/legacy-bridge/index.js';
import { createHost, type Host } from '../../src/runtime/index.js';
import { generateClients } from '../fixtures/migration/generateClients.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

let host: Host | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describeStores('migrating clients while a host serves them', (ctx) => {
  it('drops no call and keeps every client on its modules', { timeout: 180_000 }, async () => {
    const store: Store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, 560);
    const changed = new Set<string>();
    // The legacy bridge as a host composes it (host.migrator included), over this test's store.
    host = await createHost({
      modulesDir: MODULES_DIR,
      store: 'given',
      overrides: {
        legacyBridge: async ({ catalog }) => {
          const bridge = await createLegacyBridge({ store, catalog });
          bridge.configSource.onChange((clients) => {
            if (clients !== 'all') for (const c of clients) changed.add(c);
          });
          return bridge;
        },
      },
    });
    await host.start();
    const migrator = host.migrator as ModuleDataMigrator;
    expect(migrator).toBeInstanceOf(ModuleDataMigrator);

    // Clients served during the run: (client, capability, method, expected to be enabled).
    const pick = (kind: string) => ids.filter((id) => kindOf.get(id)!.name === kind).slice(0, 4);
    const calls: { clientId: string; capability: string; method: string; enabled: boolean }[] = [
      ...pick('aliases').map((clientId) => ({ clientId, capability: 'accounts.users', method: 'list', enabled: true })),
      ...pick('registry-only-enable').map((clientId) => ({ clientId, capability: 'notifications.send', method: 'outbox', enabled: true })),
      ...pick('registry-disables-named').map((clientId) => ({ clientId, capability: 'analytics.track', method: 'summary', enabled: false })),
      ...pick('plain-implicit').map((clientId) => ({ clientId, capability: 'payments.charge', method: 'ledger', enabled: true })),
      ...pick('non-strings').map((clientId) => ({ clientId, capability: 'accounts.users', method: 'list', enabled: true })),
    ];
    expect(calls.length).toBe(20);

    let running = true;
    const outcomes = { ok: 0, refused: 0, wrong: [] as string[] };
    const loops = calls.map(async (c) => {
      while (running) {
        try {
          await host!.client(c.clientId).invoke(c.capability, c.method, undefined, { timeoutMs: 5000 });
          if (c.enabled) outcomes.ok++;
          else outcomes.wrong.push(`${c.clientId} reached ${c.capability}, which is disabled for it`);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (!c.enabled && code === 'E_NOT_ENABLED') outcomes.refused++;
          else outcomes.wrong.push(`${c.clientId} ${c.capability}.${c.method}: ${code} ${(error as Error).message}`);
        }
        await new Promise((r) => setImmediate(r));
      }
    });

    const okBefore = () => outcomes.ok;
    while (okBefore() < 40) await new Promise((r) => setTimeout(r, 10));
    const okAtStart = outcomes.ok;
    let batchesDone = 0;
    let okDuringBatches = 0;
    const report = await migrator.runMigration({
      strategy: 'merge',
      batchSize: 40,
      onProgress: (p) => {
        if (p.phase !== 'migration') return;
        batchesDone++;
        okDuringBatches = outcomes.ok;
      },
    });
    const okAtEnd = outcomes.ok;
    // Calls were served between the migration's batches, not only before and after it.
    expect(batchesDone).toBe(Math.ceil(560 / 40));
    expect(okDuringBatches).toBeGreaterThan(okAtStart);
    // Keep serving a little after the run, so the views reloaded from the new rows are exercised.
    while (outcomes.ok < okAtEnd + 40) await new Promise((r) => setTimeout(r, 10));
    running = false;
    await Promise.all(loops);

    expect(report.status).toBe('completed');
    expect(report.verification!.mismatches).toEqual([]);
    expect(outcomes.wrong).toEqual([]);
    expect(outcomes.refused).toBeGreaterThan(0);
    // The served clients were migrated and their views were invalidated by the change feed.
    for (const c of calls) {
      const v = await migrator.validateModuleMigration(c.clientId);
      expect(v.migrated.length).toBeGreaterThan(0);
      expect(changed.has(c.clientId)).toBe(true);
    }
  });
});
