/**
 * A run with failing clients against a clean run, in the same process run (issue 19):
 * 20,000 generated clients on PostgreSQL (PGlite in --quick or when the server cannot be
 * reached), merge, batch 500, verification included; in the failing run the database
 * refuses the writes of 5% of the clients (a trigger, as a constraint of another team
 * would). Target: the failing run within 2x the clean one. The figure is the ratio.
 *
 * HOTMOD_BENCH_PG_URL or HOTMOD_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadCatalogView, ModuleDataMigrator, openStore, type Store } from '../src/legacy-bridge/index.js';
import type { CatalogView } from '../src/types.js';
import { generateClients } from '../tests/fixtures/migration/generateClients.js';
import { round, type Benchmark, type BenchReport, type BenchRow } from './harness.js';

const MODULES = new URL('../tests/fixtures/migration/modules', import.meta.url).pathname;
const PG_URL = process.env.HOTMOD_BENCH_PG_URL ?? process.env.HOTMOD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh store: a database of its own on the server, or in-memory PGlite. */
async function freshStore(target: 'postgres' | 'pglite'): Promise<{ store: Store; close(): Promise<void> }> {
  if (target === 'pglite') {
    const store = await openStore('memory');
    return { store, close: () => store.close() };
  }
  const name = `hotmod_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const store = await openStore(withDatabase(PG_URL, name), { poolSize: 4 });
  return {
    store,
    async close() {
      await store.close();
      const c = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Refuses the registry writes of every client whose generated index is a multiple of 20 (5%). */
const REFUSE_FIVE_PERCENT = `
  CREATE FUNCTION bench_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF ('x' || right(NEW.client_id, 8))::bit(32)::int % 20 = 0 THEN RAISE EXCEPTION 'client % is under legal hold', NEW.client_id; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER bench_refuse BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION bench_refuse();`;

async function oneRun(target: 'postgres' | 'pglite', size: number, failing: boolean, catalog: CatalogView): Promise<{ ms: number; failed: number; migrated: number; status: string }> {
  const { store, close } = await freshStore(target);
  try {
    await generateClients(store, size);
    if (failing) await store.exec(REFUSE_FIVE_PERCENT);
    await store.query('ANALYZE');
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const start = performance.now();
    const report = await m.runMigration({ strategy: 'merge', batchSize: 500, maxFailureRate: 0.2 });
    return { ms: performance.now() - start, failed: report.counts.failed, migrated: report.counts.migrated, status: report.status };
  } finally {
    await close();
  }
}

const bench: Benchmark = {
  name: 'failingClients',
  description: 'hotmod migrate run with 5% of the clients refused by the database, against a clean run (ratio; target within 2x)',
  async run(ctx): Promise<BenchReport[]> {
    const size = ctx.quick ? 4_000 : 20_000;
    const { catalog } = await loadCatalogView(MODULES);
    const notes: string[] = [];
    let target: 'postgres' | 'pglite' = ctx.quick ? 'pglite' : 'postgres';
    if (target === 'postgres') {
      try {
        const c = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
        await c.connect();
        await c.end();
      } catch (error) {
        target = 'pglite';
        notes.push(`PostgreSQL not reachable (${(error as Error).message}): measured on PGlite`);
      }
    }
    ctx.log(`${target} ${size}: clean run`);
    const clean = await oneRun(target, size, false, catalog);
    ctx.log(`${target} ${size}: clean ${round(clean.ms / 1000)} s; run with 5% refused`);
    const failing = await oneRun(target, size, true, catalog);
    ctx.log(`${target} ${size}: failing ${round(failing.ms / 1000)} s`);
    const ratio = failing.ms / clean.ms;
    const rows: BenchRow[] = [
      { store: target, clients: size, run: 'clean', status: clean.status, migrated: clean.migrated, failed: clean.failed, 's': round(clean.ms / 1000), 'x clean': 1 },
      { store: target, clients: size, run: '5% refused', status: failing.status, migrated: failing.migrated, failed: failing.failed, 's': round(failing.ms / 1000), 'x clean': round(ratio) },
    ];
    notes.push(`target: the failing run within 2x the clean run — measured ${round(ratio)}x (${ratio <= 2 ? 'met' : 'NOT met'})`);
    return [{ title: 'batch migration with failing clients (merge, batch 500)', rows, notes }];
  },
};

export default bench;
