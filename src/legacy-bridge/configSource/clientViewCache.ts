import type { ClientModuleSet } from '../../types.js';
import type { UnifiedClientView } from '../view/computeUnifiedView.js';

interface Entry {
  generation: number;
  view: UnifiedClientView;
  set: ClientModuleSet;
}

/**
 * Computed client views, keyed by client id and valid for one catalog generation.
 * Invalidation bumps a per-client (or global) epoch so a load that started before a
 * change never stores its stale answer.
 */
export class ClientViewCache {
  readonly #entries = new Map<string, Entry>();
  readonly #epochs = new Map<string, number>();
  readonly #max: number;
  #globalEpoch = 0;

  constructor(maxEntries = 100_000) {
    this.#max = maxEntries;
  }

  /** The cached set for this generation, or undefined. Synchronous: the invoke path may use it. */
  peek(clientId: string, generation: number): ClientModuleSet | undefined {
    const entry = this.#entries.get(clientId);
    return entry !== undefined && entry.generation === generation ? entry.set : undefined;
  }

  peekView(clientId: string, generation: number): UnifiedClientView | undefined {
    const entry = this.#entries.get(clientId);
    return entry !== undefined && entry.generation === generation ? entry.view : undefined;
  }

  /** A token to hand back to store(): the state of invalidation when a load started. */
  epoch(clientId: string): number {
    return this.#globalEpoch * 1_000_000_007 + (this.#epochs.get(clientId) ?? 0);
  }

  store(clientId: string, epoch: number, generation: number, view: UnifiedClientView, set: ClientModuleSet): void {
    if (this.epoch(clientId) !== epoch) return; // changed while loading: do not cache
    if (this.#entries.size >= this.#max && !this.#entries.has(clientId)) {
      // Oldest first (Map keeps insertion order): drop one.
      const first = this.#entries.keys().next().value;
      if (first !== undefined) this.#entries.delete(first);
    }
    this.#entries.set(clientId, { generation, view, set });
  }

  invalidate(clients: readonly string[] | 'all'): void {
    if (clients === 'all') {
      this.#globalEpoch++;
      this.#epochs.clear();
      this.#entries.clear();
      return;
    }
    for (const id of clients) {
      this.#epochs.set(id, (this.#epochs.get(id) ?? 0) + 1);
      this.#entries.delete(id);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
