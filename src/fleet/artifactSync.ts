/**
 * Keeps a host's artifacts in step with the store (docs/fleet.md "How a host learns of a
 * publish"). Three ways in, one catch-up read:
 *
 *   NOTIFY hotmod_artifacts ──┐
 *   LISTEN reconnected (gap) ─┼─► catchUp(): SELECT … WHERE seq > lastSeq ORDER BY seq
 *   poll every pollMs ────────┘     each row: write to the cache, load, hand to onArtifact
 *                                   (in publish order, one at a time), lastSeq = row.seq
 *
 * Catch-ups never overlap: one asked for while one runs runs once more after it. NOTIFY is
 * the fast path; the poll is the fallback while the LISTEN connection is down (or a
 * notification was lost); the gap read closes the window of a reconnect at once.
 */
import type { Store } from '../legacy-bridge/index.js';
import type { ModulePackage } from '../registry/index.js';
import type { HotmodError } from '../errors.js';
import type { StoredArtifact } from './artifact.js';
import { materializeArtifact } from './artifactCache.js';
import { artifactsAfter } from './artifactQueries.js';
import { ARTIFACTS_CHANNEL } from './artifactSchema.js';
import { FailureStreak } from './failureStreak.js';

export interface ServedArtifact {
  pkg: ModulePackage;
  artifact: StoredArtifact;
}

export interface ArtifactSyncOptions {
  store: Store;
  cacheDir: string;
  /** The fallback poll. */
  pollMs: number;
  /** A new artifact, in publish order; the next waits for the returned promise. */
  onArtifact(served: ServedArtifact): Promise<void>;
  /** An artifact that could not be served (E_ARTIFACT_UNUSABLE), or a failed read of the store (once per streak of failures). */
  onError(error: HotmodError | Error, artifact?: StoredArtifact): void;
}

export class ArtifactSync {
  readonly #o: ArtifactSyncOptions;
  #lastSeq = 0;
  #live = false;
  #closed = false;
  #running: Promise<void> | undefined;
  #again = false;
  /** A store that is down is reported once, not at every poll. */
  readonly #reads: FailureStreak;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: ArtifactSyncOptions) {
    this.#o = options;
    this.#reads = new FailureStreak((error) => options.onError(error));
  }

  /**
   * LISTEN first (nothing published from now on is missed), then every artifact in the
   * store, written to the cache and loaded: the packages the host starts with.
   */
  async load(): Promise<ServedArtifact[]> {
    this.#unlisten = await this.#o.store.listen(ARTIFACTS_CHANNEL, () => this.catchUp(), () => this.catchUp());
    const found: ServedArtifact[] = [];
    for (;;) {
      const batch = await artifactsAfter(this.#o.store, this.#lastSeq);
      for (const artifact of batch) {
        const served = await this.#materialize(artifact);
        if (served) found.push(served);
        this.#lastSeq = artifact.seq;
      }
      if (batch.length < 100) break;
    }
    return found;
  }

  /** From now on new artifacts go to onArtifact; a catch-up asked for during load runs now. */
  begin(): void {
    if (this.#closed) return;
    this.#live = true;
    this.#timer = setInterval(() => this.catchUp(), this.#o.pollMs);
    this.#timer.unref();
    if (this.#again) this.catchUp();
  }

  /** Reads what was published since lastSeq. Never throws (failures go to onError). */
  catchUp(): void {
    if (this.#closed) return;
    if (!this.#live || this.#running) {
      this.#again = true;
      return;
    }
    this.#again = false;
    this.#running = this.#reads
      .run(() => this.#read())
      .finally(() => {
        this.#running = undefined;
        if (this.#again) this.catchUp();
      });
  }

  async #read(): Promise<void> {
    for (;;) {
      const batch = await artifactsAfter(this.#o.store, this.#lastSeq);
      for (const artifact of batch) {
        if (this.#closed) return;
        const served = await this.#materialize(artifact);
        this.#lastSeq = artifact.seq;
        if (served) await this.#o.onArtifact(served).catch((error: Error) => this.#o.onError(error, artifact));
      }
      if (batch.length < 100) return;
    }
  }

  async #materialize(artifact: StoredArtifact): Promise<ServedArtifact | undefined> {
    try {
      return { pkg: await materializeArtifact(this.#o.cacheDir, artifact), artifact };
    } catch (error) {
      this.#o.onError(error as HotmodError, artifact);
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
    await this.#unlisten?.().catch(() => {});
  }
}
