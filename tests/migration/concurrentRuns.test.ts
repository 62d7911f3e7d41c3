import { beforeAll, expect, it } from 'vitest';
import { loadCatalogView, MigrationErrorCode, ModuleDataMigrator, type MigrationRunReport } from '../../src/legacy-bridge/index.js';
import type { CatalogView } from '../../src/types.js';
import { generateClients } from '../fixtures/migration/generateClients.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

describeStores('two migration runs started together', (ctx) => {
  it('exactly one runs; the other refuses with E_MIGRATION_RUN_IN_PROGRESS naming it; a rollback meanwhile is refused too; afterwards the next run proceeds', { timeout: 120_000 }, async () => {
    const a = await ctx.open();
    await generateClients(a, 800);
    // Two processes on PostgreSQL (two stores, two pools); PGlite is one process: two calls on one store.
    const b = ctx.target === 'postgres' ? await ctx.open() : a;
    const ma = new ModuleDataMigrator(a, { catalog: () => catalog });
    const mb = new ModuleDataMigrator(b, { catalog: () => catalog });
    let rollbackRefusal: unknown;
    let tried = false;
    const onProgress = (p: { phase: string; runId: string | null }) => {
      if (p.phase !== 'migration' || tried || !p.runId) return;
      tried = true;
      rollbackRefusal = mb.rollbackRun(p.runId).catch((e: unknown) => e);
    };
    const results = await Promise.allSettled([ma.runMigration({ batchSize: 40, onProgress }), mb.runMigration({ batchSize: 40, onProgress })]);
    const done = results.filter((r): r is PromiseFulfilledResult<MigrationRunReport> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(done.length).toBe(1);
    expect(refused.length).toBe(1);
    const runId = done[0]!.value.runId!;
    expect(done[0]!.value.status).toBe('completed');
    expect(refused[0]!.reason).toMatchObject({ code: MigrationErrorCode.RUN_IN_PROGRESS, details: expect.objectContaining({ runId }) });
    expect((refused[0]!.reason as Error).message).toContain(`run '${runId}'`);
    expect(await rollbackRefusal).toMatchObject({ code: MigrationErrorCode.RUN_IN_PROGRESS });
    const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM hotmod_migration_runs');
    expect(Number(rows[0]!.n)).toBe(1);
    // The lock went with the run: a new run starts, and finds nothing left to migrate.
    const again = await mb.runMigration({ batchSize: 40 });
    expect(again.status).toBe('completed');
    expect(again.runId).not.toBe(runId);
    expect(again.counts.migrated).toBe(0);
  });
});
