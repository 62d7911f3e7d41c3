/**
 * Batch migration throughput: clients per second for 10,000 and 100,000 generated clients
 * (the malformed kinds included) on PGlite (in memory) and on PostgreSQL, verification
 * included. Baseline, measured in the same run: one read-only pass over the same clients
 * (their rows read in batches and the unified view computed), the floor of any migration.
 * Target: 100,000 clients in under 60 s on PostgreSQL on this machine.
 *
 * HOTMOD_BENCH_MIGRATION_TARGETS=postgres|pglite limits the run to one store.
 * PostgreSQL: HOTMOD_BENCH_PG_URL or HOTMOD_TEST_PG_URL (a fresh database is created and
 * dropped per size), default postgres://postgres@127.0.0.1:5432/test; skipped, with a
 * note, when the server cannot be reached.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { computeUnifiedView, loadCatalogView, ModuleDataMigrator, openStore, type Store } from '../src/legacy-bridge/index.js';
import { loadClientStates } from '../src/legacy-bridge/migrator/batchRepository.js';
import type { CatalogView } from '../src/types.js';
import { generateClients } from '../tests/fixtures/migration/generateClients.js';
import { round, type Benchmark, type BenchReport, type BenchRow } from './harness.js';
import { freshDatabase, PG_URL, withDatabase } from './pgDatabase.js';

const MODULES = new URL('../tests/fixtures/migration/modules', import.meta.url).pathname;
const BATCH = 1000;

/** The baseline: read every client's rows in batches and compute its view; nothing written. */
async function readPass(store: Store, catalog: CatalogView): Promise<number> {
  const { rows } = await store.query<{ id: string }>('SELECT client_id::text AS id FROM client_app_overrides UNION SELECT id::text FROM clients ORDER BY 1');
  const ids = rows.map((r) => r.id);
  const start = performance.now();
  for (let i = 0; i < ids.length; i += BATCH) {
    const states = await loadClientStates(store, ids.slice(i, i + BATCH), true);
    for (const s of states.values()) computeUnifiedView(s, catalog);
  }
  return performance.now() - start;
}

async function measure(target: string, open: () => Promise<{ store: Store; close(): Promise<void> }>, size: number, catalog: CatalogView, log: (l: string) => void): Promise<BenchRow> {
  const { store, close } = await open();
  try {
    log(`${target} ${size}: generating clients`);
    await generateClients(store, size);
    await store.query('ANALYZE');
    const baselineMs = await readPass(store, catalog);
    log(`${target} ${size}: read pass ${round(baselineMs / 1000)} s; migrating`);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const start = performance.now();
    const report = await m.runMigration({ strategy: 'merge', batchSize: BATCH });
    const totalMs = performance.now() - start;
    if (report.status !== 'completed' || report.verification!.mismatches.length > 0) throw new Error(`${target} ${size}: run ended ${report.status}`);
    const phase = (name: string) => report.phases.find((p) => p.name === name)?.ms ?? 0;
    log(`${target} ${size}: ${round(totalMs / 1000)} s`);
    return {
      store: target,
      clients: size,
      migrated: report.counts.migrated,
      'total s': round(totalMs / 1000),
      'migration s': round(phase('migration') / 1000),
      'verification s': round(phase('verification') / 1000),
      'clients/s': Math.round((size * 1000) / totalMs),
      'read pass s (baseline)': round(baselineMs / 1000),
      'x baseline': round(totalMs / baselineMs),
    };
  } finally {
    await close();
  }
}

const bench: Benchmark = {
  name: 'migration',
  description: 'hotmod migrate run (merge, batch 1000, verification included): clients per second on PGlite and PostgreSQL',
  async run(ctx): Promise<BenchReport[]> {
    const sizes = ctx.quick ? [1_000, 5_000] : [10_000, 100_000];
    const { catalog } = await loadCatalogView(MODULES);
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    // HOTMOD_BENCH_MIGRATION_TARGETS=postgres (or pglite) measures one store only.
    const only = process.env.HOTMOD_BENCH_MIGRATION_TARGETS;
    for (const size of only === 'postgres' ? [] : sizes) {
      rows.push(
        await measure('pglite (memory)', async () => {
          const store = await openStore('memory');
          return { store, close: () => store.close() };
        }, size, catalog, ctx.log),
      );
    }
    let pgReachable = only !== 'pglite';
    if (!pgReachable) notes.push('PostgreSQL not measured (HOTMOD_BENCH_MIGRATION_TARGETS=pglite)');
    try {
      if (pgReachable) {
        const c = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
        await c.connect();
        await c.end();
      }
    } catch (error) {
      pgReachable = false;
      notes.push(`PostgreSQL SKIPPED: ${PG_URL.replace(/:[^:@/]*@/, ':***@')} not reachable (${(error as Error).message}); set HOTMOD_BENCH_PG_URL`);
    }
    if (pgReachable) {
      for (const size of sizes) {
        rows.push(
          await measure('postgres', async () => {
            const db = await freshDatabase();
            const store = await openStore(db.url, { poolSize: 4 });
            return { store, close: async () => { await store.close(); await db.drop(); } };
          }, size, catalog, ctx.log),
        );
      }
      const big = rows.find((r) => r.store === 'postgres' && r.clients === 100_000);
      if (big) notes.push(`target: 100,000 clients in under 60 s on PostgreSQL, verification included — measured ${big['total s']} s (${Number(big['total s']) < 60 ? 'met' : 'NOT met'})`);
    }
    notes.push('x baseline = total time / one read-only pass over the same clients (rows read in batches of 1000 and the unified view computed), measured in the same run');
    return [{ title: 'batch migration throughput (merge)', rows, notes }];
  },
};

export default bench;
