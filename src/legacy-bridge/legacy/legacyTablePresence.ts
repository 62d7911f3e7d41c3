import type { Queryable, Store } from '../store/types.js';
import { legacyTableExists } from './legacyRepository.js';

/**
 * Whether client_app_overrides exists, asked once and remembered: the read path would
 * otherwise pay a round trip per client. Forgotten on every 'all' change (db init
 * announces one) so a table created later is seen.
 */
export class LegacyTablePresence {
  #known: boolean | undefined;
  readonly #unsubscribe: () => void;

  constructor(store: Store) {
    this.#unsubscribe = store.onAnnounce((clients) => {
      if (clients === 'all') this.#known = undefined;
    });
  }

  async get(q: Queryable): Promise<boolean> {
    if (this.#known === undefined) this.#known = await legacyTableExists(q);
    return this.#known;
  }

  forget(): void {
    this.#known = undefined;
  }

  dispose(): void {
    this.#unsubscribe();
  }
}
