import type { CatalogView } from '../types.js';
import { createUnifiedConfigSource, type UnifiedConfigSource } from './configSource/createUnifiedConfigSource.js';
import { createLegacyApi, type LegacyApi } from './legacy/legacyApi.js';
import { createModuleDataMigrator, type ModuleDataMigrator } from './migrator/index.js';
import { DEFAULT_STORE_URL, openStore } from './store/openStore.js';
import type { OpenStoreOptions, Store } from './store/types.js';
import { ModuleSystemUnifier } from './unifier/ModuleSystemUnifier.js';

/** Everything a host exposes of the bridge: host.legacy, host.unifier, host.migrator, its ConfigSource. */
export interface LegacyBridge {
  store: Store;
  legacy: LegacyApi;
  unifier: ModuleSystemUnifier;
  migrator: ModuleDataMigrator;
  configSource: UnifiedConfigSource;
  /** Closes the config source, then the store when the bridge opened it. */
  close(): Promise<void>;
}

export interface LegacyBridgeContext {
  /** A store URL ('memory', 'pglite://PATH', 'postgres://…'; default pglite://.hotmod/db) or an open store (not closed by the bridge). */
  store?: string | Store;
  /** The catalog the host runs now. */
  catalog: () => CatalogView;
  storeOptions?: OpenStoreOptions;
}

/**
 * The composition of the bridge, in the shape of the runtime's LegacyBridgeFactory:
 * `createHost({ legacyBridge: createLegacyBridge })` (or the lead's default wiring).
 */
export async function createLegacyBridge(context: LegacyBridgeContext): Promise<LegacyBridge> {
  const owned = typeof context.store !== 'object';
  const store = typeof context.store === 'object' ? context.store : await openStore(context.store ?? DEFAULT_STORE_URL, context.storeOptions);
  try {
    const configSource = await createUnifiedConfigSource(store);
    const unifier = new ModuleSystemUnifier(store, { catalog: context.catalog });
    let closing: Promise<void> | undefined;
    return {
      store,
      legacy: createLegacyApi(store, { catalog: context.catalog }),
      unifier,
      migrator: createModuleDataMigrator(store, { catalog: context.catalog }),
      configSource,
      close() {
        closing ??= (async () => {
          unifier.dispose();
          await configSource.close();
          if (owned) await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    if (owned) await store.close().catch(() => {});
    throw error;
  }
}
