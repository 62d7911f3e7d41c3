/**
 * Clients reported changed that nobody has read through the config source since. A local
 * write reaches a source twice — the in-process announce and the trigger's NOTIFY, in
 * either order (PGlite delivers the NOTIFY during the commit) — and the second report of
 * an unread client is dropped: no load of it started since the first, so no cache fed by
 * this source holds an answer that could be stale, and the next read sees every commit.
 * Once the client is read, its next change is reported again (it then cannot be told from
 * another writer's change). Marks expire after COALESCE_WINDOW_MS, so a change long after
 * the last one is always reported.
 */
export const COALESCE_WINDOW_MS = 10_000;
const MAX_MARKS = 100_000;

export class UnreadChanges {
  /** client id -> when it was last reported. */
  readonly #marks = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The clients of a change that must be reported (and marks them); 'all' is always reported. */
  toReport(clients: readonly string[] | 'all'): readonly string[] | 'all' {
    if (clients === 'all') {
      this.#marks.clear();
      return clients;
    }
    const now = this.#now();
    const fresh: string[] = [];
    for (const id of clients) {
      const at = this.#marks.get(id);
      if (at !== undefined && now - at < COALESCE_WINDOW_MS) continue;
      this.#marks.delete(id); // re-inserted last: the Map stays in report order for pruning
      this.#marks.set(id, now);
      fresh.push(id);
    }
    for (const [id, at] of this.#marks) {
      if (this.#marks.size <= MAX_MARKS && now - at < COALESCE_WINDOW_MS) break;
      this.#marks.delete(id);
    }
    return fresh;
  }

  /** A read of the client started: its next change is reported. */
  read(clientId: string): void {
    this.#marks.delete(clientId);
  }
}
