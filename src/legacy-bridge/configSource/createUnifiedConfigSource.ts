import type { CatalogView, ClientModuleSet, ConfigSource, UnifiedModuleConfig } from '../../types.js';
import { isUuid, normalizeClientId } from '../clientId.js';
import { loadClientState } from '../legacy/legacyRepository.js';
import { LegacyTablePresence } from '../legacy/legacyTablePresence.js';
import { CLIENT_CHANGES_CHANNEL } from '../store/migrations.js';
import type { Store } from '../store/types.js';
import { computeUnifiedView, type UnifiedClientView } from '../view/computeUnifiedView.js';
import { toClientModuleSet } from '../view/clientModuleSet.js';
import { ClientViewCache } from './clientViewCache.js';

type ChangeListener = (clients: readonly string[] | 'all') => void;

/** The legacy + registry ConfigSource, with the cache and the change feed the runtime needs. */
export interface UnifiedConfigSource extends ConfigSource {
  /** The full view (findings included) of a client, cached per catalog generation. */
  clientView(clientId: string, catalog: CatalogView): Promise<UnifiedClientView>;
  /** What the router checks, cached per catalog generation. */
  clientModuleSet(clientId: string, catalog: CatalogView): Promise<ClientModuleSet>;
  /** The cached set, synchronously, or undefined (then call clientModuleSet). */
  peekClientModuleSet(clientId: string, generation: number): ClientModuleSet | undefined;
  close(): Promise<void>;
}

export interface UnifiedConfigSourceOptions {
  name?: string;
  /** Cached clients at most (default 100,000). */
  cacheSize?: number;
}

/**
 * The ConfigSource over client_app_overrides + hotmod_module_configs. Changes reach
 * onChange listeners:
 * - at once for writes through this process's APIs (the store's in-process bus);
 * - through LISTEN hotmod_client_changes for direct SQL updates (the triggers) and other
 *   processes' writes; after a lost LISTEN connection, as 'all'.
 */
export async function createUnifiedConfigSource(store: Store, options: UnifiedConfigSourceOptions = {}): Promise<UnifiedConfigSource> {
  const cache = new ClientViewCache(options.cacheSize);
  const listeners = new Set<ChangeListener>();
  const legacyTable = new LegacyTablePresence(store);
  const inflight = new Map<string, { generation: number; promise: Promise<UnifiedClientView> }>();

  const changed = (clients: readonly string[] | 'all') => {
    if (clients === 'all') legacyTable.forget();
    cache.invalidate(clients);
    if (clients === 'all') inflight.clear();
    else for (const id of clients) inflight.delete(id);
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

  async function load(clientId: string, catalog: CatalogView): Promise<UnifiedClientView> {
    const epoch = cache.epoch(clientId);
    const present = await legacyTable.get(store);
    const state = await loadClientState(store, clientId, { legacyTable: present, legacyClient: isUuid(clientId) });
    const view = computeUnifiedView(state, catalog);
    cache.store(clientId, epoch, catalog.generation, view, toClientModuleSet(view));
    return view;
  }

  async function clientView(rawClientId: string, catalog: CatalogView): Promise<UnifiedClientView> {
    const clientId = normalizeClientId(rawClientId, 'config source');
    const cached = cache.peekView(clientId, catalog.generation);
    if (cached) return cached;
    const current = inflight.get(clientId);
    if (current && current.generation === catalog.generation) return current.promise;
    // Concurrent first calls for one client share one load.
    const pending = load(clientId, catalog).finally(() => {
      if (inflight.get(clientId)?.promise === pending) inflight.delete(clientId);
    });
    inflight.set(clientId, { generation: catalog.generation, promise: pending });
    return pending;
  }

  let closed: Promise<void> | undefined;
  return {
    name: options.name ?? 'legacy-bridge',
    clientView,
    async clientModules(clientId: string, catalog: CatalogView): Promise<UnifiedModuleConfig[]> {
      return (await clientView(clientId, catalog)).modules;
    },
    async clientModuleSet(clientId: string, catalog: CatalogView): Promise<ClientModuleSet> {
      // The hot path: a cached id as given skips validation (only valid ids are cached).
      const hit = cache.peek(clientId, catalog.generation);
      if (hit) return hit;
      const id = normalizeClientId(clientId, 'config source');
      const cached = cache.peek(id, catalog.generation);
      if (cached) return cached;
      const view = await clientView(id, catalog);
      return cache.peek(id, catalog.generation) ?? toClientModuleSet(view);
    },
    peekClientModuleSet(clientId: string, generation: number): ClientModuleSet | undefined {
      return cache.peek(clientId, generation);
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
