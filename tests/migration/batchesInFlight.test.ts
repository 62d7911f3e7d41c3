/**
 * Large batches, several in flight (PostgreSQL runs BATCHES_IN_FLIGHT batches at once on
 * separate connections; PGlite one at a time): one refused client among a thousand costs
 * only itself, the batches are accounted in order (progress events with batch numbers
 * and counts rising), every client ends claimed and done once, a stop rolls back the batch
 * still in flight, and the fingerprint recorded in SQL with the results is the one
 * clientFingerprints computes.
 */
import { beforeAll, expect, it } from 'vitest';
import { loadCatalogView, MigrationErrorCode, ModuleDataMigrator, type MigrationProgress } from '../../src/legacy-bridge/index.js';
import { clientFingerprints, pinRowTextFormat } from '../../src/legacy-bridge/migrator/batchRepository.js';
import type { CatalogView } from '../../src/types.js';
import { CLIENT_KINDS, generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { refuseRegistryWrites } from './support/refuse.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

const N = 2600;
let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

describeStores('large batches in flight together', (ctx) => {
  it('batch 1000 with one refused client among them: only it fails, the others migrate once, in order, with their fingerprints', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, N);
    // One 'plain' client in the middle of the second batch is refused by a real trigger.
    const sorted = [...ids].sort();
    const bad = sorted.find((id, i) => i > 1400 && kindOf.get(id)!.name === 'plain')!;
    await refuseRegistryWrites(store, bad);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const events: MigrationProgress[] = [];
    const report = await m.runMigration({ strategy: 'merge', batchSize: 1000, onProgress: (p) => p.phase === 'migration' && events.push(p) });

    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ total: N, pending: 0, failed: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ clientId: bad, reason: MigrationErrorCode.CLIENT_WRITE_FAILED, message: expect.stringMatching(/frozen by policy/) })]);
    expect(report.verification).toMatchObject({ checked: report.counts.migrated, unchanged: report.counts.migrated, mismatches: [], laterWrites: [] });
    // Accounted in batch order: batch numbers and done rising, done reaching N. (The batch
    // with the refused client is rolled back and written again in groups; a batch in flight
    // beside it may claim its clients first: then that batch migrates them, and the run
    // still ends with none pending.)
    const batches = events.map((e) => e.batch!);
    expect(batches).toEqual([...batches].sort((a, b) => a - b));
    expect(new Set(batches).size).toBe(batches.length);
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((a, b) => a - b));
    expect(events.at(-1)!.done).toBe(N);
    expect(events.length).toBeGreaterThanOrEqual(3);
    const { rows } = await store.query<{ client_id: string; status: string; batch: number | null; rows_after: string | null }>(
      'SELECT client_id, status, batch, rows_after FROM hotmod_migration_run_clients WHERE run_id = $1 ORDER BY client_id',
      [report.runId],
    );
    expect(rows.length).toBe(N);
    expect(rows.every((r) => r.status !== 'pending' && r.batch !== null)).toBe(true);
    // Batches without a refusal took their slice in id order: the first 1000 are batch 1.
    expect(rows.slice(0, 1000).every((r) => r.batch === 1)).toBe(true);
    // Exactly once: one backup per migrated client, none for the refused one.
    const { rows: backups } = await store.query<{ client_id: string }>('SELECT client_id FROM hotmod_migration_backups WHERE run_id = $1', [report.runId]);
    expect(backups.length).toBe(report.counts.migrated);
    expect(backups.some((b) => b.client_id === bad)).toBe(false);
    // The refused client's rows are as they were.
    const after = await snapshotRows(store);
    for (const [key, text] of before.registry) if (key.startsWith(`${bad}/`)) expect(after.registry.get(key)).toBe(text);
    // rows_after, computed in SQL with the results, is the fingerprint of the rows now.
    const migrated = rows.filter((r) => r.status === 'migrated');
    expect(migrated.every((r) => typeof r.rows_after === 'string' && r.rows_after.length === 32)).toBe(true);
    const now = await store.transaction(async (tx) => {
      await pinRowTextFormat(tx);
      return clientFingerprints(tx, migrated.map((r) => r.client_id), true);
    });
    expect(migrated.filter((r) => now.get(r.client_id) !== r.rows_after)).toEqual([]);
    expect(rows.filter((r) => r.status !== 'migrated').every((r) => r.rows_after === null)).toBe(true);
  });

  it('a stop while batches are in flight keeps only the batches accounted: the one in flight rolls back, its clients stay pending, the resumed run completes', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, 30 * CLIENT_KINDS.length);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const abort = new AbortController();
    const events: MigrationProgress[] = [];
    const first = await m.runMigration({
      batchSize: 100,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase !== 'migration') return;
        events.push(p);
        if (p.batch === 2) abort.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(events.map((e) => e.batch)).toEqual([1, 2]);
    expect(first.counts.pending).toBe(30 * CLIENT_KINDS.length - 200);
    const { rows } = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 AND status <> 'pending' AND batch > 2", [first.runId]);
    expect(Number(rows[0]!.n)).toBe(0);
    const resumed = await m.runMigration({ batchSize: 100 });
    expect(resumed).toMatchObject({ runId: first.runId, resumed: true, status: 'completed' });
    expect(resumed.counts.pending).toBe(0);
    expect(resumed.verification!.mismatches).toEqual([]);
    const { rows: backups } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM hotmod_migration_backups WHERE run_id = $1', [first.runId]);
    expect(Number(backups[0]!.n)).toBe(resumed.counts.migrated);
  });
});
