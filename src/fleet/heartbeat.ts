/**
 * A host's heartbeat (docs/fleet.md "Fleet view"): its row in hotmod_fleet_hosts, written
 * at start, every heartbeatMs on a timer (never on the invoke path), and deleted at a
 * clean stop. A host that dies without stopping leaves its row; it turns stale when its
 * last_seen is older than staleAfter heartbeats.
 */
import os from 'node:os';
import type { Store } from '../legacy-bridge/index.js';
import { HOTMOD_VERSION } from '../version.js';
import { FailureStreak } from './failureStreak.js';
import { ensureHeartbeatSchema } from './heartbeatSchema.js';

/** What a host serves of one module: its versions and, while a rollout runs, the stage. */
export interface ModuleServing {
  versions: string[];
  /** The rollout's current stage in percent (null: no rollout governs the module). */
  rolloutStage: number | null;
  /** The live rollout that governs the module (its new version is in `versions` once it runs here). */
  rollout?: { id: string; version: string; state: string; percent: number; stage: number | null };
  /** The module's lifecycle state on the host (active, resolved for a lazy one not yet called, failed…). */
  state: string;
}

export type HostServes = Record<string, ModuleServing>;

export interface HeartbeatOptions {
  store: Store;
  hostId: string;
  heartbeatMs: number;
  /** What the host serves now (read at every beat). */
  serves(): HostServes;
  onError(error: Error): void;
}

export function defaultHostId(): string {
  return `${os.hostname()}:${process.pid}`;
}

export class Heartbeat {
  readonly #o: HeartbeatOptions;
  readonly #startedAt = new Date();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  /** A store that is down is logged once, not every beat. */
  readonly #writes: FailureStreak;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
    this.#writes = new FailureStreak((error) => options.onError(error));
  }

  /** Writes the first row (so the host is in the fleet once start() resolves), then beats on a timer. */
  async start(): Promise<void> {
    await ensureHeartbeatSchema(this.#o.store);
    await this.#write();
    this.#timer = setInterval(() => this.beat(), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /**
   * One beat now. A beat asked for while one is in flight runs once after it (what the host
   * serves may have changed since the first read it); any number of asks make one more beat.
   */
  beat(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#beating) {
      this.#next ??= this.#beating.then(() => {
        this.#next = undefined;
        return this.beat();
      });
      return this.#next;
    }
    this.#beating = this.#writes
      .run(() => this.#write())
      .finally(() => {
        this.#beating = undefined;
      });
    return this.#beating;
  }

  async #write(): Promise<void> {
    const o = this.#o;
    await o.store.query(
      `INSERT INTO hotmod_fleet_hosts (host_id, pid, hostname, hotmod_version, started_at, last_seen, heartbeat_ms, serves)
       VALUES ($1, $2, $3, $4, $5, now(), $6, $7::jsonb)
       ON CONFLICT (host_id) DO UPDATE SET pid = EXCLUDED.pid, hostname = EXCLUDED.hostname, hotmod_version = EXCLUDED.hotmod_version,
         started_at = EXCLUDED.started_at, last_seen = now(), heartbeat_ms = EXCLUDED.heartbeat_ms, serves = EXCLUDED.serves`,
      [o.hostId, process.pid, os.hostname(), HOTMOD_VERSION, this.#startedAt.toISOString(), o.heartbeatMs, JSON.stringify(o.serves())],
    );
  }

  /** Stops beating and removes the row: a host that stopped cleanly is not in the fleet. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#next;
    await this.#beating;
    await this.#o.store.query('DELETE FROM hotmod_fleet_hosts WHERE host_id = $1', [this.#o.hostId]);
  }
}
