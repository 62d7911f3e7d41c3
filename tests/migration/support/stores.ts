/**
 * Stores for the migration tests: in-memory PGlite always; the PostgreSQL server when
 * HOTMOD_TEST_PG_URL is set, with a fresh database per test (created through the server's
 * `postgres` database, dropped after). Without the variable the server tests are skipped,
 * and a skipped test says so in the report.
 */
import { createDatabase } from '../../support/pgDatabase.js';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { openStore, type Store } from '../../../src/legacy-bridge/index.js';

export const PG_URL = process.env.HOTMOD_TEST_PG_URL;
export type TargetName = 'pglite' | 'postgres';
export const TARGETS: TargetName[] = PG_URL ? ['pglite', 'postgres'] : ['pglite'];

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('HOTMOD_TEST_PG_URL is not set');
  return createDatabase(PG_URL, 'hotmod_mig');
}

export interface StoreContext {
  target: TargetName;
  open(): Promise<Store>;
}

export function describeStores(title: string, body: (ctx: StoreContext) => void): void {
  for (const target of TARGETS) {
    describe(`${title} [${target}]`, () => {
      let opened: Store[] = [];
      let db: { url: string; drop(): Promise<void> } | undefined;
      beforeEach(async () => {
        if (target === 'postgres') db = await createTestDatabase();
      });
      afterEach(async () => {
        await Promise.allSettled(opened.map((s) => s.close()));
        opened = [];
        await db?.drop();
        db = undefined;
      });
      body({
        target,
        async open() {
          const store = await openStore(target === 'postgres' ? db!.url : 'memory');
          opened.push(store);
          return store;
        },
      });
    });
  }
  if (!PG_URL) {
    describe(`${title} [postgres]`, () => {
      it.skip('SKIPPED: PostgreSQL server tests need HOTMOD_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
    });
  }
}

export const MODULES_DIR = new URL('../../fixtures/migration/modules', import.meta.url).pathname;
