import { HotmodError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import { applyMigrations, CORE_MIGRATIONS } from './migrations.js';
import { openPgliteStore } from './pgliteStore.js';
import { openPostgresStore } from './postgresStore.js';
import { redactUrl } from './storeErrors.js';
import type { OpenStoreOptions, Store } from './types.js';

/** The default store of a host and of the CLI, relative to the working directory. */
export const DEFAULT_STORE_URL = 'pglite://.hotmod/db';

/**
 * Opens a store and applies hotmod's schema migrations:
 * - `memory`: in-memory PGlite (tests, demos; gone when closed);
 * - `pglite://PATH`: PGlite data directory (relative to the working directory, or absolute);
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server through pg.
 */
export async function openStore(url: string = DEFAULT_STORE_URL, options: OpenStoreOptions = {}): Promise<Store> {
  const displayUrl = redactUrl(url);
  let store: Store;
  if (url === 'memory' || url === 'memory://' || url === 'pglite://memory') {
    store = await openPgliteStore(undefined, 'memory');
  } else if (url.startsWith('pglite://')) {
    const dir = url.slice('pglite://'.length);
    if (dir === '') throw invalidUrl(url, 'pglite:// needs a data directory path');
    store = await openPgliteStore(dir, displayUrl);
  } else if (/^postgres(ql)?:\/\//i.test(url)) {
    store = await openPostgresStore(url, displayUrl, options);
  } else {
    throw invalidUrl(displayUrl, 'unknown scheme');
  }
  if (options.migrate !== false) {
    try {
      await applyMigrations(store, 'core', CORE_MIGRATIONS);
    } catch (error) {
      await store.close().catch(() => {});
      throw error;
    }
  }
  return store;
}

function invalidUrl(url: string, reason: string): HotmodError {
  return new HotmodError(
    LegacyBridgeErrorCode.STORE_URL_INVALID,
    `store URL '${url}' is not usable: ${reason}; use 'memory', 'pglite://PATH' (default ${DEFAULT_STORE_URL}) or 'postgres://user@host:5432/db'`,
    { url },
  );
}
