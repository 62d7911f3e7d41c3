/**
 * The legacy bridge: (1) a client-set load (what the router's cache pays on a miss), against
 * the bare legacy read in the same run; (2) unifyModuleSystems over 10,000 clients (with legacy
 * rows of every kind, bad ones included, and registry rows for a third of them) on PGlite
 * and on PostgreSQL (when HOTMOD_TEST_PG_URL is set: a fresh database, dropped after),
 * against the bare legacy read (SELECT * … WHERE client_id = $1) in the same run; (3) the
 * unified view of one client with 200 enabled modules (100 from its legacy list, 100 from
 * registry rows, in a 200-module catalog) through unifyModuleSystems, interleaved with the
 * two bare reads it needs (legacy row + registry rows), on PostgreSQL (PGlite when the
 * server is not reachable), and the pure computeUnifiedView of that state.
 * PostgreSQL: bench/pgDatabase.ts (a fresh database, dropped after).
 * Figure: unifiedView200 (ms per view).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { computeUnifiedView, createUnifiedConfigSource, initLegacySchema, loadCatalogView, ModuleSystemUnifier, openStore, type Store } from '../src/legacy-bridge/index.js';
import { loadClientState } from '../src/legacy-bridge/legacy/legacyRepository.js';
import { createCatalogView, validateManifest, type ModuleManifest } from '../src/registry/index.js';
import type { CatalogView } from '../src/types.js';
import { formatSpread, interleave, nsPerOp, round, spreadOf, timeMs, type Benchmark, type BenchFigure, type BenchReport, type BenchRow } from './harness.js';
import { freshDatabase, pgUnreachable } from './pgDatabase.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

const WIDE_CLIENT = '0d7c9f3e-1a2b-4c5d-8e6f-000000000200';
const WIDE = 200;

/** A catalog of `n` modules (every fifth requires the one before it), built from real manifests. */
function wideCatalog(n: number): CatalogView {
  const manifests: ModuleManifest[] = [];
  for (let i = 0; i < n; i++) {
    const id = `mod-${String(i).padStart(3, '0')}`;
    const json = {
      name: `@bench/${id}`,
      version: '1.0.0',
      main: 'dist/index.js',
      engines: { hotmod: '^1.0.0' },
      hotmod: { id, legacyIds: [`legacy-${i}`], provides: { [`cap.m${i}`]: '1.0.0' }, ...(i % 5 === 4 ? { requires: { [`cap.m${i - 1}`]: '^1.0.0' } } : {}) },
    };
    const { manifest, diagnostics } = validateManifest(json, { dir: `/bench/${id}`, file: `/bench/${id}/package.json` });
    if (!manifest) throw new Error(`legacy bench: synthetic manifest refused: ${diagnostics.map((d) => d.message).join('; ')}`);
    manifests.push(manifest);
  }
  return createCatalogView(manifests, 1);
}

/** One client with 200 enabled modules: the first half by legacy id in its list, the second half by registry rows. */
async function seedWide(store: Store): Promise<void> {
  await initLegacySchema(store);
  const half = WIDE / 2;
  const list = JSON.stringify(Array.from({ length: half }, (_, i) => `legacy-${i}`));
  await store.query(`INSERT INTO clients (id, name) VALUES ($1, 'wide client')`, [WIDE_CLIENT]);
  await store.query(`INSERT INTO client_app_overrides (client_id, modules_enabled, theme_overrides) VALUES ($1, $2::jsonb, '{"primaryColor": "#0a7"}')`, [WIDE_CLIENT, list]);
  await store.query(
    `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings)
       SELECT $1, 'mod-' || lpad(g::text, 3, '0'), true, jsonb_build_object('n', g) FROM generate_series($2::int, $3::int) g`,
    [WIDE_CLIENT, half, WIDE - 1],
  );
}

async function unifiedViewWide(store: Store, storeName: string, quick: boolean): Promise<BenchReport> {
  const catalog = wideCatalog(WIDE);
  await seedWide(store);
  const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
  const first = await unifier.unifyModuleSystems(WIDE_CLIENT);
  const enabled = first.modules.filter((m) => m.enabled).length;
  if (enabled !== WIDE) throw new Error(`legacy bench: the wide client has ${enabled} enabled modules, expected ${WIDE}`);
  const calls = quick ? 10 : 40;
  const perCall = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    return (performance.now() - t0) / calls;
  };
  const bareReads = async () => {
    await store.query('SELECT * FROM client_app_overrides WHERE client_id = $1', [WIDE_CLIENT]);
    await store.query('SELECT * FROM hotmod_module_configs WHERE client_id = $1', [WIDE_CLIENT]);
  };
  const rounds = quick ? 8 : 30;
  const state = await loadClientState(store, WIDE_CLIENT, { legacyTable: true, legacyClient: true });
  // The pure view is timed in the same rounds, right after each subject sample.
  const pure: number[] = [];
  const subject = async () => {
    const ms = await perCall(() => unifier.unifyModuleSystems(WIDE_CLIENT));
    pure.push(await perCall(async () => computeUnifiedView(state, catalog)));
    return ms;
  };
  const ab = await interleave({ a: subject, b: () => perCall(bareReads), rounds, warmup: 2 });
  const pureNs = spreadOf(pure.slice(-rounds)).median * 1e6;
  unifier.dispose();
  const figure: BenchFigure = {
    target: 'unifiedView200',
    value: ab.a.median,
    baseline: `${storeName}; the two bare reads it needs ${formatSpread(ab.b, 3)} ms, ratio ${formatSpread(ab.ratio, 2)}; pure computeUnifiedView ${round(pureNs / 1e6, 3)} ms; ${rounds} interleaved rounds`,
  };
  return {
    title: `Unified view of one client with ${WIDE} enabled modules (${storeName}, ${rounds} interleaved rounds of ${calls} calls)`,
    rows: [
      { operation: 'baseline: bare reads (legacy row + registry rows)', 'ms (median)': round(ab.b.median, 3), 'p25–p75': `${round(ab.b.p25, 3)}–${round(ab.b.p75, 3)}`, 'x baseline': 1 },
      { operation: 'unifyModuleSystems (reads + view)', 'ms (median)': round(ab.a.median, 3), 'p25–p75': `${round(ab.a.p25, 3)}–${round(ab.a.p75, 3)}`, 'x baseline': round(ab.ratio.median, 2) },
      { operation: 'computeUnifiedView alone (state in memory)', 'ms (median)': round(pureNs / 1e6, 3), 'p25–p75': '', 'x baseline': round(pureNs / 1e6 / ab.b.median, 2) },
    ],
    notes: [`${WIDE} modules enabled: ${WIDE / 2} by legacy id in the list, ${WIDE / 2} by registry rows (with custom settings); every fifth module requires the one before.`],
    figures: [figure],
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
    const unreachable = await pgUnreachable();
    if (!unreachable) {
      const db = await freshDatabase();
      try {
        const server = await openStore(db.url);
        rows.push(...(await unifyRows('postgres', server, catalog, await seed(server, clients), ctx.log)));
        await server.close();
      } finally {
        await db.drop();
      }
    } else {
      notes.push(`PostgreSQL: SKIPPED: ${unreachable}`);
    }
    reports.push({ title: `unifyModuleSystems over ${clients} clients`, rows, notes });

    // (3) One client with 200 enabled modules.
    ctx.log(`unified view of one client with ${WIDE} enabled modules`);
    if (!unreachable) {
      const db = await freshDatabase();
      try {
        const server = await openStore(db.url);
        reports.push(await unifiedViewWide(server, 'PostgreSQL', ctx.quick));
        await server.close();
      } finally {
        await db.drop();
      }
    } else {
      const memory = await openStore('memory');
      reports.push(await unifiedViewWide(memory, 'PGlite (PostgreSQL not reachable)', ctx.quick));
      await memory.close();
    }
    return reports;
  },
};

export default bench;
