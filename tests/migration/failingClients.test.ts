import { beforeAll, expect, it } from 'vitest';
import { loadCatalogView, MigrationErrorCode, ModuleDataMigrator } from '../../src/legacy-bridge/index.js';
import type { CatalogView } from '../../src/types.js';
import { generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

describeStores('many clients refused by the database', (ctx) => {
  it('each refused client fails alone with its reason, every other client migrates once, the refused ones keep their rows', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, 900);
    // Every 10th generated client's registry writes are refused (a real trigger).
    await store.exec(`
      CREATE FUNCTION refuse_tenth() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ('x' || right(NEW.client_id, 8))::bit(32)::int % 10 = 0 THEN RAISE EXCEPTION 'client % is under legal hold', NEW.client_id; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_tenth BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION refuse_tenth();`);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const plans = new Map<string, string>();
    const { rows: all } = await store.query<{ id: string }>('SELECT id::text AS id FROM clients ORDER BY id');
    for (const { id } of all) plans.set(id, (await m.createModuleMigrationPlan(id)).outcome);
    const refusable = all.map((r) => r.id).filter((id) => parseInt(id.slice(-8), 16) % 10 === 0 && plans.get(id) === 'migrate');
    expect(refusable.length).toBeGreaterThan(20);

    const report = await m.runMigration({ batchSize: 100, maxFailureRate: 0.5, listAll: true });
    expect(report.status).toBe('completed');
    expect(report.failures.map((f) => f.clientId).sort()).toEqual([...refusable].sort());
    expect(report.failures.every((f) => f.reason === MigrationErrorCode.CLIENT_WRITE_FAILED && /under legal hold/.test(f.message))).toBe(true);
    expect(report.counts.migrated).toBe([...plans.values()].filter((o) => o === 'migrate').length - refusable.length);
    const { rows: backups } = await store.query<{ client_id: string }>('SELECT client_id FROM hotmod_migration_backups WHERE run_id = $1', [report.runId]);
    expect(backups.length).toBe(report.counts.migrated);
    expect(backups.some((b) => refusable.includes(b.client_id))).toBe(false);
    // A refused client's rows are exactly as before.
    const after = await snapshotRows(store);
    for (const [key, text] of before.registry) if (refusable.includes(key.split('/')[0]!)) expect(after.registry.get(key)).toBe(text);
    expect(report.verification!.mismatches).toEqual([]);
  });
});
