import { performance } from 'node:perf_hooks';
import type { MigrationProgress } from './runTypes.js';
import type { RunPhase } from './runRepository.js';

export type Tally = { migrated: number; skipped: number; failed: number };

/**
 * Lets the event loop run between batches. PGlite answers from memory in this thread, so a
 * run is otherwise one unbroken chain of microtasks: the application server (calls, timers,
 * HTTP) would stand still until the whole run ended. Once per batch costs nothing.
 */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Elapsed time and rate of one phase (or of the whole run). */
export class Meter {
  readonly #start = performance.now();
  rate(done: number): number {
    const s = (performance.now() - this.#start) / 1000;
    return s > 0 ? done / s : 0;
  }
  ms(): number {
    return performance.now() - this.#start;
  }
}

export function progress(runId: string | null, phase: RunPhase, total: number, done: number, meter: Meter, counts: Tally, batch?: number): MigrationProgress {
  const rate = meter.rate(done);
  const left = Math.max(0, total - done);
  return { runId, phase, total, done, ...counts, rate, etaSeconds: rate > 0 ? left / rate : null, ...(batch !== undefined ? { batch } : {}) };
}
