/**
 * The PostgreSQL server of the benchmarks: HOTMOD_BENCH_PG_URL or HOTMOD_TEST_PG_URL
 * (default the local test server); each run gets a fresh database, dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.HOTMOD_BENCH_PG_URL ?? process.env.HOTMOD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hotmod_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(PG_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
