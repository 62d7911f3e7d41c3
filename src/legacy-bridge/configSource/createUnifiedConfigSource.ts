import type { CatalogView, ClientModuleSet, ConfigSource, UnifiedModuleConfig } from '../../types.js';
import { isUuid, normalizeClientId } from '../clientId.js';
import { loadClientState } from '../legacy/legacyRepository.js';
import { LegacyTablePresence } from '../legacy/legacyTablePresence.js';
import { CLIENT_CHANGES_CHANNEL } from '../store/migrations.js';
import type { Store } from '../store/types.js';
import { computeUnifiedView, type UnifiedClientView } from '../view/computeUnifiedView.js';
import { toClientModuleSet } from '../view/clientModuleSet.js';
import { UnreadChanges } from './unreadChanges.js';

type ChangeListener = (clients: readonly string[] | 'all') => void;

/**
 * The legacy + registry ConfigSource and the change feed the runtime needs. It caches
 * nothing: the router holds the one client-set cache (and shares loads in flight).
 */
export interface UnifiedConfigSource extends ConfigSource {
  /** The full view (findings included) of a client, read now. */
  clientView(clientId: string, catalog: CatalogView): Promise<UnifiedClientView>;
  /** What the router checks, read now. */
  clientModuleSet(clientId: string, catalog: CatalogView): Promise<ClientModuleSet>;
  close(): Promise<void>;
}

export interface UnifiedConfigSourceOptions {
  name?: string;
}

/**
 * The ConfigSource over client_app_overrides + hotmod_module_configs. Changes reach
 * onChange listeners:
 * - at once for writes through this process's APIs (the store's in-process bus);
 * - through LISTEN hotmod_client_changes for direct SQL updates (the triggers) and other
 *   processes' writes; after a lost LISTEN connection, as 'all'. A client reported changed
 *   is not reported again until it is read (a local write's announce and its echo).
 */
export async function createUnifiedConfigSource(store: Store, options: UnifiedConfigSourceOptions = {}): Promise<UnifiedConfigSource> {
  const listeners = new Set<ChangeListener>();
  const legacyTable = new LegacyTablePresence(store);

  // A local write arrives twice (announce and the trigger's NOTIFY): reported once (unreadChanges.ts).
  const unread = new UnreadChanges();
  const changed = (all: readonly string[] | 'all') => {
    const clients = unread.toReport(all);
    if (clients === 'all') legacyTable.forget();
    else if (clients.length === 0) return;
    for (const listener of [...listeners]) {
      try {
        listener(clients);
      } catch {
        // One listener's failure must not keep the change from the others.
      }
    }
  };

  const offBus = store.onAnnounce(changed);
  const unlisten = await store.listen(
    CLIENT_CHANGES_CHANNEL,
    (payload) => {
      if (payload === '*' || payload === '') return changed('all');
      changed([isUuid(payload) ? payload.toLowerCase() : payload]);
    },
    () => changed('all'),
  );

  async function clientView(rawClientId: string, catalog: CatalogView): Promise<UnifiedClientView> {
    const clientId = normalizeClientId(rawClientId, 'config source');
    unread.read(clientId);
    const present = await legacyTable.get(store);
    const state = await loadClientState(store, clientId, { legacyTable: present, legacyClient: isUuid(clientId) });
    return computeUnifiedView(state, catalog);
  }

  let closed: Promise<void> | undefined;
  return {
    name: options.name ?? 'legacy-bridge',
    clientView,
    async clientModules(clientId: string, catalog: CatalogView): Promise<UnifiedModuleConfig[]> {
      return (await clientView(clientId, catalog)).modules;
    },
    async clientModuleSet(clientId: string, catalog: CatalogView): Promise<ClientModuleSet> {
      return toClientModuleSet(await clientView(clientId, catalog));
    },
    onChange(listener: ChangeListener): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close(): Promise<void> {
      closed ??= (async () => {
        offBus();
        legacyTable.dispose();
        listeners.clear();
        if (!store.closed) await unlisten().catch(() => {});
      })();
      return closed;
    },
  };
}
