/**
 * Test stores: in-memory PGlite always; the PostgreSQL server when HOTMOD_TEST_PG_URL is
 * set, with a fresh database per test (created through the server's `postgres` database,
 * dropped after). Without the variable the server tests are skipped — and say so.
 */
import { createDatabase } from '../../support/pgDatabase.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { applyMigrations, openStore, type Store } from '../../../src/legacy-bridge/index.js';
import { CORE_MIGRATIONS } from '../../../src/legacy-bridge/store/migrations.js';
import { delegateStore } from '../../../src/legacy-bridge/store/delegateStore.js';
import { type OpenStoreOptions } from '../../../src/legacy-bridge/store/types.js';

export const PG_URL = process.env.HOTMOD_TEST_PG_URL;

export type TargetName = 'pglite' | 'postgres';
export const TARGETS: TargetName[] = PG_URL ? ['pglite', 'postgres'] : ['pglite'];

let announced = false;
function announceSkip(): void {
  if (PG_URL || announced) return;
  announced = true;
  console.warn('[legacy-bridge] HOTMOD_TEST_PG_URL is not set: the PostgreSQL server tests are SKIPPED (PGlite tests still run).');
}

/** Creates a fresh database on the test server; returns its URL and a drop function. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('HOTMOD_TEST_PG_URL is not set');
  return createDatabase(PG_URL, 'hotmod_test');
}

export interface StoreContext {
  target: TargetName;
  /**
   * Opens a store on this test's database. postgres: a new store (own pool) on the test's
   * own database each call. pglite: the file's shared in-memory database, reset before each
   * test (PGlite takes seconds to start on a loaded machine); its close() is a no-op.
   */
  open(options?: OpenStoreOptions): Promise<Store>;
  /** The URL of this test's database (postgres only). */
  url(): string;
}

/** A view of the shared PGlite store whose close() does nothing (the file closes it). */
function unclosable(store: Store): Store {
  return delegateStore(store, { close: async () => {} });
}

/**
 * describe() once per target. Stores opened through ctx.open are closed after each test;
 * on postgres each test gets its own database, on pglite the schema is reset.
 */
export function describeStores(title: string, body: (ctx: StoreContext) => void): void {
  for (const target of TARGETS) {
    describe(`${title} [${target}]`, () => {
      let opened: Store[] = [];
      let db: { url: string; drop(): Promise<void> } | undefined;
      let shared: Store | undefined;
      beforeAll(async () => {
        if (target === 'pglite') shared = await openStore('memory', { migrate: false });
      }, 120_000);
      afterAll(async () => {
        await shared?.close();
      });
      beforeEach(async () => {
        if (target === 'postgres') db = await createTestDatabase();
        else {
          await shared!.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
          await applyMigrations(shared!, 'core', CORE_MIGRATIONS);
        }
      });
      afterEach(async () => {
        await Promise.allSettled(opened.map((s) => s.close()));
        opened = [];
        await db?.drop();
        db = undefined;
      });
      body({
        target,
        async open(options) {
          if (target === 'pglite') return unclosable(shared!);
          const store = await openStore(db!.url, options);
          opened.push(store);
          return store;
        },
        url() {
          if (!db) throw new Error('url() is for the postgres target');
          return db.url;
        },
      });
    });
  }
  if (!PG_URL) {
    announceSkip();
    describe(`${title} [postgres]`, () => {
      it.skip('SKIPPED: PostgreSQL server tests — set HOTMOD_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them', () => {});
    });
  }
}

/** Polls until `check` returns true (generous: the machine is noisy). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
