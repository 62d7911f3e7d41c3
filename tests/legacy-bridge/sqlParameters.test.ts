/**
 * "SQL is always parameterized", checked on what actually reaches the database: every
 * statement the legacy API, the unifier, the config source and the migrator send is
 * recorded while they work on clients and entries chosen to be recognisable (and hostile),
 * and no statement text may contain any of them — they must travel as parameters.
 */
import { expect, it } from 'vitest';
import { createLegacyApi, createUnifiedConfigSource, initLegacySchema, ModuleDataMigrator, ModuleSystemUnifier, type Store } from '../../src/legacy-bridge/index.js';
import { type Queryable } from '../../src/legacy-bridge/store/types.js';
import { demoCatalog } from './support/catalog.js';
import { seedClient } from './support/seed.js';
import { describeStores } from './support/stores.js';

const catalog = demoCatalog();
const LEGACY_CLIENT = '5eed0000-dead-4bee-8f00-00000000c0de';
const OTHER_CLIENT = '5eed0000-dead-4bee-8f00-00000000beef';
const PLAIN_CLIENT = 'tenant.zz9-plural@z';
const HOSTILE_ENTRY = "x'); DROP TABLE clients; --";
const QUOTED_ENTRY = 'o\'brien"s $1 \\ module';

/** A store that records the text of every statement, inside transactions too. */
function recording(store: Store): { store: Store; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql);
      return q.query(sql, params);
    },
  });
  const recorded: Store = {
    kind: store.kind,
    displayUrl: store.displayUrl,
    get closed() {
      return store.closed;
    },
    query: (sql, params) => {
      statements.push(sql);
      return store.query(sql, params);
    },
    transaction: (fn) => store.transaction((tx) => fn(wrap(tx))),
    exec: (script) => {
      statements.push(script);
      return store.exec(script);
    },
    listen: (channel, handler, onGap) => store.listen(channel, handler, onGap),
    notify: (channel, payload) => store.notify(channel, payload),
    announce: (clients) => store.announce(clients),
    onAnnounce: (listener) => store.onAnnounce(listener),
    close: () => store.close(),
  };
  return { store: recorded, statements };
}

describeStores('SQL parameters', (ctx) => {
  it('no statement of the legacy API, unifier, config source or migrator carries a client id, module id or list entry in its text', { timeout: 120_000 }, async () => {
    const raw = await ctx.open();
    await initLegacySchema(raw);
    await seedClient(raw, LEGACY_CLIENT, JSON.stringify(['accounts', HOSTILE_ENTRY, 'billing-v1', QUOTED_ENTRY]));
    await seedClient(raw, OTHER_CLIENT);
    const { store, statements } = recording(raw);

    const legacy = createLegacyApi(store, { catalog: () => catalog });
    await legacy.getModuleOverrides(LEGACY_CLIENT);
    await legacy.saveModuleOverrides(OTHER_CLIENT, ['analytics', HOSTILE_ENTRY, QUOTED_ENTRY]);
    await legacy.resetToDefaults(OTHER_CLIENT);

    const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
    await unifier.unifyModuleSystems(LEGACY_CLIENT);
    await unifier.getModuleConfig(LEGACY_CLIENT, 'billing-v1');
    await unifier.enableModule(LEGACY_CLIENT, 'analytics');
    await unifier.disableModule(LEGACY_CLIENT, 'billing');
    await unifier.migrateToUnified(LEGACY_CLIENT, 'payments');
    await unifier.enableModule(PLAIN_CLIENT, 'payments', true, { createClient: true });
    // A typo of a known id is refused, naming the nearest known ids (those reads too are parameterized).
    await expect(unifier.enableModule(`${PLAIN_CLIENT}x`, 'payments', true)).rejects.toMatchObject({ code: 'E_CLIENT_UNKNOWN' });
    await unifier.disableModule(PLAIN_CLIENT, 'notifications');
    unifier.dispose();

    const source = await createUnifiedConfigSource(store);
    await source.clientModuleSet(LEGACY_CLIENT, catalog);
    await source.clientModules(PLAIN_CLIENT, catalog);
    await source.close();

    const migrator = new ModuleDataMigrator(store, { catalog: () => catalog });
    const plan = await migrator.createModuleMigrationPlan(LEGACY_CLIENT, { strategy: 'merge' });
    const single = await migrator.executeModuleMigration(LEGACY_CLIENT, plan);
    await migrator.validateModuleMigration(LEGACY_CLIENT);
    await migrator.getRunProgress(single.runId);
    await migrator.rollbackModuleMigration(single.backupId!);
    await migrator.runMigration({ clients: [LEGACY_CLIENT, OTHER_CLIENT, PLAIN_CLIENT], strategy: 'merge', dryRun: true });
    const run = await migrator.runMigration({ clients: 'all', strategy: 'replace', batchSize: 2 });
    expect(run.status).toBe('completed');
    await migrator.verifyRun(run.runId!);
    await migrator.rollbackRun(run.runId!);

    // The workflow did reach the database with these values (as parameters)…
    expect(statements.length).toBeGreaterThan(50);
    const { rows } = await raw.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_module_configs WHERE client_id = $1`, [PLAIN_CLIENT]);
    expect(rows[0]!.n).toBe(2);
    // …and never in a statement's text.
    const markers = [LEGACY_CLIENT, OTHER_CLIENT, PLAIN_CLIENT, HOSTILE_ENTRY, "o'brien", 'DROP TABLE', 'billing', 'analytics', 'payments', 'notifications', 'accounts'];
    const leaks = statements.flatMap((sql) => markers.filter((m) => sql.toLowerCase().includes(m.toLowerCase())).map((m) => `${m} in: ${sql.slice(0, 160)}`));
    expect(leaks).toEqual([]);
  });
});
