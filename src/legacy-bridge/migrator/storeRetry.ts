import { isStoreFault } from '../store/storeErrors.js';
import { delegateStore } from '../store/delegateStore.js';
import type { Store } from '../store/types.js';

/** Attempts after the first when the store loses its connection or times out, and the pause before each. */
export const STORE_RETRY_DELAYS_MS = [100, 500, 1000, 2000] as const;

/**
 * Retries an operation that failed because of the store (a terminated backend, a failover,
 * a timeout). Only for what is safe to run again: the migrator's statements are reads or
 * idempotent updates of its run records, and its batch transactions keep nothing when they
 * fail (a lost COMMIT leaves its clients no longer pending, so a retry cannot take them twice).
 */
export async function retryStoreFaults<T>(attempt: () => Promise<T>, faultOf: (error: unknown) => unknown = (e) => e): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isStoreFault(faultOf(error)) || i >= STORE_RETRY_DELAYS_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_DELAYS_MS[i]));
    }
  }
}

/** The store as the run uses it: single statements retried on store faults (transactions retry where they run). */
export function withQueryRetries(store: Store): Store {
  return delegateStore(store, { query: (sql, params) => retryStoreFaults(() => store.query(sql, params)) });
}
