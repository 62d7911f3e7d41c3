/**
 * The PostgreSQL server the benches measure against: HOTMOD_BENCH_PG_URL, else
 * HOTMOD_TEST_PG_URL, else the local server. Each bench works in a database of its own,
 * created here and dropped after, so benches and test runs never share tables.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.HOTMOD_BENCH_PG_URL ?? process.env.HOTMOD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The server's URL with any password hidden, for notes. */
export function shownUrl(): string {
  return PG_URL.replace(/:[^:@/]*@/, ':***@');
}

/** Why the server cannot be used, or undefined when it answers. */
export async function pgUnreachable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: withDatabase(PG_URL, 'postgres') });
  try {
    await c.connect();
    return undefined;
  } catch (error) {
    return `${shownUrl()} not reachable (${(error as Error).message}); set HOTMOD_BENCH_PG_URL`;
  } finally {
    await c.end().catch(() => {});
  }
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
