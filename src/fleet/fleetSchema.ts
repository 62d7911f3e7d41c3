/** The fleet's tables are versioned components of hotmod's schema migrations (legacy-bridge/store/migrations.ts). */
import { applyMigrations, type SchemaMigration, type Store } from '../legacy-bridge/index.js';

/**
 * An `ensure(store)` that applies `component`'s migrations once per open store (safe with
 * several processes: applyMigrations takes the schema lock) and is free after that.
 */
export function schemaEnsurer(component: string, migrations: readonly SchemaMigration[]): (store: Store) => Promise<void> {
  const ready = new WeakSet<Store>();
  return async (store) => {
    if (ready.has(store)) return;
    await applyMigrations(store, component, migrations);
    ready.add(store);
  };
}
