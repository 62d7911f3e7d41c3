/**
 * The PostgreSQL server the benches measure against: HOTMOD_BENCH_PG_URL, else
 * HOTMOD_TEST_PG_URL, else the local server. Each bench works in a database of its own,
 * created here and dropped after, so benches and test runs never share tables.
 */
import pg from 'pg';
import { createDatabase, withDatabase } from '../tests/support/pgDatabase.js';

export const PG_URL = process.env.HOTMOD_BENCH_PG_URL ?? process.env.HOTMOD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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

export function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createDatabase(PG_URL, 'hotmod_bench');
}
