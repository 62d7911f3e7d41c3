/**
 * The race of two batches in flight (commit 418c51b), forced on PostgreSQL: batch 1 is
 * refused by the database (a real trigger) and rolled back, its clients pending again;
 * batch 2's claim is held until then, so it claims batch 1's clients (the lowest pending);
 * batch 1's second attempt is held until batch 2 holds them, so it claims none. That empty
 * batch must not count as "nothing left": the run goes on and ends with no client pending,
 * each migrated once. The holds order real statements on the real server (a store
 * wrapper that delays two claim statements); nothing is mocked. PGlite runs one batch at a
 * time: the race cannot happen there.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogView, MigrationErrorCode, ModuleDataMigrator, openStore, type Store } from '../../src/legacy-bridge/index.js';
import { delegateStore } from '../../src/legacy-bridge/store/delegateStore.js';
import type { Queryable } from '../../src/legacy-bridge/store/types.js';
import type { CatalogView } from '../../src/types.js';
import { CLIENT_KINDS, generateClients } from '../fixtures/migration/generateClients.js';
import { refuseRegistryWrites } from './support/refuse.js';
import { createTestDatabase, MODULES_DIR, PG_URL } from './support/stores.js';

const BATCH = 40;
const PLAIN = CLIENT_KINDS.filter((k) => k.name === 'plain');

let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

/** A promise with its resolve function. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const isClaim = (sql: string) => sql.trimStart().startsWith('WITH claimed AS');

/**
 * The store, with batch 2's claim held until batch 1's first transaction failed, and batch
 * 1's second claim (by its ids) held until batch 2's claim returned.
 */
function orderedStore(store: Store): { store: Store; seen: { heldNext: boolean; heldIds: boolean } } {
  const firstFailed = signal();
  const secondClaimed = signal();
  const seen = { heldNext: false, heldIds: false };
  let nextClaims = 0;
  let idClaims = 0;
  const wrapped = delegateStore(store, {
    transaction: async (fn) => {
      const role = { first: false };
      try {
        return await store.transaction((tx) => {
          const held: Queryable = {
            query: async <T,>(sql: string, params: readonly unknown[] = []) => {
              if (!isClaim(sql)) return tx.query<T>(sql, params);
              const byIds = Array.isArray(params[2]);
              if (!byIds) {
                const n = ++nextClaims;
                if (n === 1) role.first = true;
                if (n === 2) {
                  seen.heldNext = true;
                  await firstFailed.promise;
                  const result = await tx.query<T>(sql, params);
                  secondClaimed.resolve();
                  return result;
                }
              } else if (++idClaims === 1) {
                seen.heldIds = true;
                await secondClaimed.promise;
              }
              return tx.query<T>(sql, params);
            },
          };
          return fn(held);
        });
      } catch (error) {
        if (role.first) firstFailed.resolve();
        throw error;
      }
    },
  });
  return { store: wrapped, seen };
}

describe('two batches in flight, forced into the claim race [postgres]', () => {
  if (!PG_URL) {
    it.skip('SKIPPED: needs HOTMOD_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
    return;
  }
  let db: { url: string; drop(): Promise<void> } | undefined;
  let store: Store | undefined;
  beforeEach(async () => {
    db = await createTestDatabase();
    store = await openStore(db.url);
  });
  afterEach(async () => {
    await store?.close();
    await db?.drop();
  });

  it('a refused batch whose clients the batch beside it claimed first does not end the run: every client done, each once', { timeout: 120_000 }, async () => {
    const { ids } = await generateClients(store!, 4 * BATCH, { kinds: PLAIN });
    const sorted = [...ids].sort();
    // In batch 1's slice: its first attempt is refused, and so is the attempt of whichever batch takes it.
    const bad = sorted[7]!;
    await refuseRegistryWrites(store!, bad);
    const { store: ordered, seen } = orderedStore(store!);
    const m = new ModuleDataMigrator(ordered, { catalog: () => catalog });
    const report = await m.runMigration({ strategy: 'merge', batchSize: BATCH });

    expect(seen).toEqual({ heldNext: true, heldIds: true });
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ total: 4 * BATCH, pending: 0, failed: 1, migrated: 4 * BATCH - 1 });
    expect(report.failures).toEqual([expect.objectContaining({ clientId: bad, reason: MigrationErrorCode.CLIENT_WRITE_FAILED })]);
    expect(report.verification).toMatchObject({ checked: 4 * BATCH - 1, unchanged: 4 * BATCH - 1, mismatches: [] });
    const { rows } = await store!.query<{ client_id: string; status: string; batch: number }>(
      'SELECT client_id, status, batch FROM hotmod_migration_run_clients WHERE run_id = $1 ORDER BY client_id',
      [report.runId],
    );
    // The race happened as forced: batch 1 kept nothing, its slice went to a later batch.
    expect(rows.filter((r) => r.batch === 1)).toEqual([]);
    expect(rows.slice(0, BATCH).every((r) => r.batch >= 2)).toBe(true);
    expect(rows.every((r) => r.status !== 'pending')).toBe(true);
    // Exactly once: one backup per migrated client.
    const { rows: backups } = await store!.query<{ client_id: string; n: number }>(
      'SELECT client_id, count(*)::int AS n FROM hotmod_migration_backups WHERE run_id = $1 GROUP BY client_id',
      [report.runId],
    );
    expect(backups.length).toBe(4 * BATCH - 1);
    expect(backups.every((b) => Number(b.n) === 1)).toBe(true);
  });
});
