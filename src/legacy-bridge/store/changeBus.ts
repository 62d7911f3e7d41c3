/** The in-process half of change propagation: writers announce, config sources listen. */
export class ChangeBus {
  readonly #listeners = new Set<(clients: readonly string[] | 'all') => void>();

  announce(clients: readonly string[] | 'all'): void {
    if (clients !== 'all' && clients.length === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(clients);
      } catch {
        // A listener's failure must not stop the others nor the write that announced.
      }
    }
  }

  on(listener: (clients: readonly string[] | 'all') => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}
