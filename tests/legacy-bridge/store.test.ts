import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { applyMigrations, initLegacySchema, openStore, type Store } from '../../src/legacy-bridge/index.js';
import { CLIENT_CHANGES_CHANNEL } from '../../src/legacy-bridge/store/migrations.js';
import { describeStores, waitFor } from './support/stores.js';

async function tables(store: Store): Promise<string[]> {
  const { rows } = await store.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
  );
  return rows.map((r) => r.name);
}

describe('openStore URLs', () => {
  it('refuses an unknown scheme with E_STORE_URL_INVALID', async () => {
    const error = await openStore('mysql://x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HotmodError);
    expect(error).toMatchObject({ code: 'E_STORE_URL_INVALID' });
    expect((error as Error).message).toContain("use 'memory', 'pglite://PATH'");
  });

  it('refuses pglite:// without a path', async () => {
    await expect(openStore('pglite://')).rejects.toMatchObject({ code: 'E_STORE_URL_INVALID' });
  });

  it('reports an unreachable server as E_STORE_OPEN_FAILED without leaking the password', async () => {
    const error = (await openStore('postgres://someone:s3cret@127.0.0.1:1/nowhere').catch((e: unknown) => e)) as HotmodError;
    expect(error.code).toBe('E_STORE_OPEN_FAILED');
    expect(error.message).toContain('cannot connect to PostgreSQL');
    expect(error.message).not.toContain('s3cret');
    expect(error.cause).toBeDefined();
  });

  it('keeps a pglite:// data directory across opens (the default kind of store)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hotmod-store-'));
    try {
      const url = `pglite://${path.join(dir, 'db')}`;
      const a = await openStore(url);
      expect(a.kind).toBe('pglite');
      await initLegacySchema(a);
      await a.query(`INSERT INTO clients (id, name) VALUES ('8c1f6a52-3c11-4b8e-9a6d-2f4b0c7d9e10', 'kept')`);
      await a.close();
      const b = await openStore(url);
      expect((await b.query<{ name: string }>('SELECT name FROM clients')).rows).toEqual([{ name: 'kept' }]);
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000); // two PGlite starts from disk: slow on a loaded machine
});

describeStores('store', (ctx) => {
  it('applies the core migration on open and records it', async () => {
    const store = await ctx.open();
    expect(store.kind).toBe(ctx.target === 'postgres' ? 'postgres' : 'memory');
    await store.exec('DROP TABLE hotmod_schema_migrations; DROP TABLE hotmod_module_configs;');
    await applyMigrations(store, 'core', (await import('../../src/legacy-bridge/store/migrations.js')).CORE_MIGRATIONS);
    expect(await tables(store)).toEqual(['hotmod_module_configs', 'hotmod_schema_migrations']);
    const { rows } = await store.query<{ component: string; version: number }>('SELECT component, version FROM hotmod_schema_migrations');
    expect(rows).toEqual([{ component: 'core', version: 1 }]);
  });

  it('is idempotent: applying again changes nothing', async () => {
    const store = await ctx.open();
    const { CORE_MIGRATIONS } = await import('../../src/legacy-bridge/store/migrations.js');
    const report = await applyMigrations(store, 'core', CORE_MIGRATIONS);
    expect(report).toEqual({ component: 'core', applied: [], current: 1 });
  });

  it('lets another component add its own versioned tables', async () => {
    const store = await ctx.open();
    const migrations = [
      { version: 1, name: 'one', up: ['CREATE TABLE hotmod_test_one (id int)'] },
      { version: 2, name: 'two', up: ['ALTER TABLE hotmod_test_one ADD COLUMN note text'] },
    ];
    expect((await applyMigrations(store, 'testpart', migrations.slice(0, 1))).applied).toEqual([{ version: 1, name: 'one' }]);
    expect((await applyMigrations(store, 'testpart', migrations)).applied).toEqual([{ version: 2, name: 'two' }]);
    await expect(applyMigrations(store, 'testpart', migrations.slice(0, 1))).rejects.toMatchObject({ code: 'E_STORE_SCHEMA_TOO_NEW' });
  });

  it('rolls back a failing migration whole, with E_STORE_MIGRATION_FAILED', async () => {
    const store = await ctx.open();
    const error = (await applyMigrations(store, 'broken', [{ version: 1, name: 'bad', up: ['CREATE TABLE hotmod_half (id int)', 'SELECT nonsense FROM nowhere'] }]).catch((e: unknown) => e)) as HotmodError;
    expect(error.code).toBe('E_STORE_MIGRATION_FAILED');
    expect(error.message).toContain("'broken' v1 (bad) failed and was rolled back");
    expect(await tables(store)).not.toContain('hotmod_half');
  });

  it('wraps a failing statement as E_STORE_QUERY_FAILED with the SQLSTATE', async () => {
    const store = await ctx.open();
    const error = (await store.query('SELECT * FROM no_such_table').catch((e: unknown) => e)) as HotmodError;
    expect(error.code).toBe('E_STORE_QUERY_FAILED');
    expect(error.details.sqlState).toBe('42P01');
    expect(error.message).toContain('no_such_table');
  });

  it('rolls a transaction back when its function throws', async () => {
    const store = await ctx.open();
    await expect(
      store.transaction(async (tx) => {
        await tx.query(`INSERT INTO hotmod_module_configs (client_id, module_id, enabled) VALUES ('c1', 'm', true)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.query('SELECT * FROM hotmod_module_configs')).rows).toEqual([]);
  });

  it('delivers NOTIFY to listeners and stops after unsubscribe', async () => {
    const store = await ctx.open();
    const got: string[] = [];
    const off = await store.listen('hotmod_test_channel', (p) => got.push(p));
    await store.notify('hotmod_test_channel', 'hello');
    await waitFor(() => got.length === 1, 5000, 'notification');
    await off();
    await store.notify('hotmod_test_channel', 'after');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['hello']);
  });

  it('notifies hotmod_client_changes on writes to hotmod_module_configs (the trigger)', async () => {
    const store = await ctx.open();
    const got: string[] = [];
    await store.listen(CLIENT_CHANGES_CHANNEL, (p) => got.push(p));
    await store.query(`INSERT INTO hotmod_module_configs (client_id, module_id, enabled) VALUES ('acme', 'billing', true)`);
    await store.query('TRUNCATE hotmod_module_configs');
    await waitFor(() => got.length >= 2, 5000, 'trigger notifications');
    expect(got).toEqual(['acme', '*']);
  });

  it('refuses a channel name that is not a plain identifier', async () => {
    const store = await ctx.open();
    await expect(store.listen('x; DROP TABLE clients', () => {})).rejects.toMatchObject({ code: 'E_STORE_QUERY_FAILED' });
  });

  it('throws E_STORE_CLOSED after close, and close is idempotent', async () => {
    const store = ctx.target === 'postgres' ? await ctx.open() : await openStore('memory');
    await store.close();
    await store.close();
    expect(store.closed).toBe(true);
    await expect(store.query('SELECT 1')).rejects.toMatchObject({ code: 'E_STORE_CLOSED' });
  });

  if (ctx.target === 'postgres') {
    it('migrates safely when several processes open one database at once', async () => {
      const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open(), ctx.open()]);
      const { rows } = await stores[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM hotmod_schema_migrations');
      expect(rows[0]!.n).toBe(1);
      await Promise.all(stores.map((s) => initLegacySchema(s, { demo: true })));
      const { rows: triggers } = await stores[0]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE 'hotmod_client_app_overrides_notify%'`);
      expect(triggers[0]!.n).toBe(2);
    });
  }
});
