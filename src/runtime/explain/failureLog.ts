/**
 * The host's memory of recent failures (module:failed, swap:failed), so an explanation can
 * say what went wrong last even after the module recovered. Bounded: the newest
 * FAILURES_KEPT entries, oldest dropped first. Off the invoke path (fed by events).
 */
import type { FailureRecord } from './facts.js';

export const FAILURES_KEPT = 200;

export class FailureLog {
  readonly #entries: FailureRecord[] = [];

  record(entry: FailureRecord): void {
    this.#entries.push(Object.freeze(entry));
    if (this.#entries.length > FAILURES_KEPT) this.#entries.splice(0, this.#entries.length - FAILURES_KEPT);
  }

  /** Oldest first; only `moduleId`'s when given. */
  list(moduleId?: string): readonly FailureRecord[] {
    return moduleId === undefined ? [...this.#entries] : this.#entries.filter((e) => e.moduleId === moduleId);
  }
}
