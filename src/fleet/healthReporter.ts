/**
 * Each host's share of the fleet-wide health: every `intervalMs` it samples its counters
 * for the versions of the live rollouts (the runtime's call metrics: calls, errors,
 * timeouts and the latency histogram read at HEALTH_BOUNDS_MS) and writes them in one
 * upsert. The invoke path is not touched: it only bumps the counters it always bumps; the
 * reporter reads them on its timer. Rows are absolute (since the host joined the rollout),
 * so a lost or repeated write changes nothing, and a dead host's last row keeps counting.
 */
import type { Store } from '../legacy-bridge/index.js';
import type { HealthCounts } from './healthDecision.js';
import { writeHealth, type HealthRow } from './rolloutStore.js';

export interface VersionSample extends HealthCounts {
  rolloutId: string;
  version: string;
}

export interface HealthReporterOptions {
  store: Store;
  hostId: string;
  intervalMs: number;
  /** This host's counters now, one sample per (live rollout, version) it serves. */
  sample(): readonly VersionSample[];
  /** A write failed (the store is down): reported, and the next tick writes again. */
  onError(error: unknown): void;
}

export class HealthReporter {
  readonly #o: HealthReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  /** What was last written per (rollout, version): an unchanged sample is not written again. */
  readonly #written = new Map<string, string>();
  #tail: Promise<void> = Promise.resolve();
  #writing = 0;

  constructor(options: HealthReporterOptions) {
    this.#o = options;
  }

  start(): void {
    // A tick while a write is still out is skipped: a slow store never piles writes up.
    this.#timer ??= setInterval(() => {
      if (this.#writing === 0) void this.flush();
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /**
   * Writes what changed, after any write already out: what the caller counted before the
   * call is in the write (a final flush after a drain sees every call). One at a time.
   */
  flush(): Promise<void> {
    this.#writing++;
    const run = this.#tail.then(() => this.#write()).finally(() => this.#writing--);
    this.#tail = run;
    return run;
  }

  async #write(): Promise<void> {
    const rows: HealthRow[] = [];
    const marks: [string, string][] = [];
    for (const s of this.#o.sample()) {
      const key = `${s.rolloutId}\0${s.version}`;
      const mark = `${s.calls}/${s.errors}/${s.timeouts}/${s.le.join(',')}`;
      if (this.#written.get(key) === mark) continue;
      rows.push({ rolloutId: s.rolloutId, hostId: this.#o.hostId, version: s.version, calls: s.calls, errors: s.errors, timeouts: s.timeouts, le: s.le });
      marks.push([key, mark]);
    }
    if (rows.length === 0) return;
    try {
      await writeHealth(this.#o.store, rows);
      for (const [key, mark] of marks) this.#written.set(key, mark);
    } catch (error) {
      this.#o.onError(error);
    }
  }

  /** Stops the timer after a last write. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
