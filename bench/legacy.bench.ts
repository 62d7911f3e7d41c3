/**
 * The legacy bridge: (1) a client-set load (what the router's cache pays on a miss), against
 * the bare legacy read in the same run; (2) unifyModuleSystems over 10,000 clients (with legacy
 * rows of every kind, bad ones included, and registry rows for a third of them) on PGlite
 * and on PostgreSQL (when HOTMOD_TEST_PG_URL is set: a fresh database, dropped after),
 * against the bare legacy read (SELECT * … WHERE client_id = $1) in the same run.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createUnifiedConfigSource, initLegacySchema, loadCatalogView, ModuleSystemUnifier, openStore, type Store } from '../src/legacy-bridge/index.js';
import type { CatalogView } from '../src/types.js';
import { nsPerOp, round, timeMs, type Benchmark, type BenchReport, type BenchRow } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_URL = process.env.HOTMOD_TEST_PG_URL;

const LISTS = [
  '["accounts", "billing"]',
  '["accounts-legacy", "billing-v1", "notify"]',
  '["payments", "analytics"]',
  '{"billing": true}',
  '["Billing", 42, "crm-classic", "accounts", "accounts"]',
  'null',
];

async function seed(store: Store, clients: number): Promise<string[]> {
  await initLegacySchema(store);
  await store.query(`INSERT INTO clients (id, name) SELECT gen_random_uuid(), 'bench ' || g FROM generate_series(1, $1::int) g`, [clients]);
  await store.query(
    `INSERT INTO client_app_overrides (client_id, modules_enabled)
       SELECT id, ($1::jsonb[])[1 + (abs(hashtext(id::text)) % $2::int)] FROM clients`,
    [LISTS, LISTS.length],
  );
  await store.query(
    `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings)
       SELECT id::text, 'analytics', true, '{"sampling": 0.5}'::jsonb FROM clients WHERE abs(hashtext(id::text)) % 3 = 0`,
  );
  const { rows } = await store.query<{ id: string }>('SELECT id FROM clients ORDER BY id');
  return rows.map((r) => r.id);
}

async function unifyRows(name: string, store: Store, catalog: CatalogView, ids: string[], log: (line: string) => void): Promise<BenchRow[]> {
  const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
  let warnings = 0;
  const baselineMs = await timeMs(async () => {
    for (const id of ids) await store.query('SELECT * FROM client_app_overrides WHERE client_id = $1', [id]);
  });
  const unifyMs = await timeMs(async () => {
    for (const id of ids) warnings += (await unifier.unifyModuleSystems(id)).warnings.length;
  });
  // Eight callers at once: what several requests for different clients do.
  const concurrentMs = await timeMs(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) await unifier.unifyModuleSystems(ids[next++]!);
      }),
    );
  });
  unifier.dispose();
  log(`${name}: ${ids.length} clients, ${warnings} warnings in total`);
  const perSec = (ms: number) => round((ids.length / ms) * 1000, 0);
  return [
    { store: name, operation: 'baseline: SELECT * legacy row', clients: ids.length, 'clients/s': perSec(baselineMs), 'vs baseline': 1 },
    { store: name, operation: 'unifyModuleSystems, serial', clients: ids.length, 'clients/s': perSec(unifyMs), 'vs baseline': round(baselineMs / unifyMs, 2) },
    { store: name, operation: 'unifyModuleSystems, 8 concurrent', clients: ids.length, 'clients/s': perSec(concurrentMs), 'vs baseline': round(baselineMs / concurrentMs, 2) },
  ];
}

async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new URL(PG_URL!);
  admin.pathname = '/postgres';
  const name = `hotmod_bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin.toString() });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

const bench: Benchmark = {
  name: 'legacy',
  description: 'client-set load vs the bare legacy read; unifyModuleSystems over 10,000 clients on PGlite and PostgreSQL',
  async run(ctx) {
    const clients = ctx.quick ? 500 : 10_000;
    const { catalog } = await loadCatalogView(path.join(root, 'modules'));
    const reports: BenchReport[] = [];

    // (1) A client-set load: what the router's cache (the only one) pays after an invalidation or for a new client.
    const store = await openStore('memory');
    const ids = await seed(store, ctx.quick ? 200 : 1000);
    const source = await createUnifiedConfigSource(store);
    let i = 0;
    const readNs = await nsPerOp(() => store.query('SELECT * FROM client_app_overrides WHERE client_id = $1', [ids[i++ % ids.length]!]));
    i = 0;
    const loadNs = await nsPerOp(() => source.clientModuleSet(ids[i++ % ids.length]!, catalog));
    reports.push({
      title: 'Client-set load (the router caches the result)',
      rows: [
        { lookup: 'baseline: bare legacy read', ns: round(readNs, 1), 'vs baseline': 1 },
        { lookup: 'clientModuleSet (both tables + unified view)', ns: round(loadNs, 1), 'vs baseline': round(loadNs / readNs, 2) },
      ],
      notes: [
        `${ids.length} clients; ratios: lower is better.`,
        "The router keeps each client's set in its own Map once loaded (a warm invoke pays one Map.get, see the runtime bench); the config source caches nothing.",
      ],
    });
    await source.close();
    await store.close();

    // (2) unifyModuleSystems over many clients.
    const rows: BenchRow[] = [];
    const pglite = await openStore('memory');
    rows.push(...(await unifyRows('pglite (memory)', pglite, catalog, await seed(pglite, clients), ctx.log)));
    await pglite.close();
    const notes = ['vs baseline: the bare legacy read is 1; unifying reads both tables and computes the view.'];
    if (PG_URL) {
      const db = await freshPgDatabase();
      try {
        const server = await openStore(db.url);
        rows.push(...(await unifyRows('postgres', server, catalog, await seed(server, clients), ctx.log)));
        await server.close();
      } finally {
        await db.drop();
      }
    } else {
      notes.push('PostgreSQL: SKIPPED (set HOTMOD_TEST_PG_URL to measure it).');
    }
    reports.push({ title: `unifyModuleSystems over ${clients} clients`, rows, notes });
    return reports;
  },
};

export default bench;
