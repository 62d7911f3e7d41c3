/**
 * A host's membership of the fleet on its store (host option `fleet`, docs/fleet.md): the
 * artifact sync that feeds published artifacts to the catalog reconciler, and the
 * heartbeat of the fleet view. Composition only: the fleet part does the work.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { EventEmitter } from 'eventemitter3';
import type { HotmodError } from '../errors.js';
import { ArtifactSync, currentPercent, Heartbeat, readFleet, type RolloutRecord, shadowedArtifact, type FleetView, type HostServes, type StoredArtifact } from '../fleet/index.js';
import type { Store } from '../legacy-bridge/index.js';
import type { ModulePackage } from '../registry/index.js';
import type { CatalogReconciler } from './catalogReconciler.js';
import { hostIdOf } from './hostOptions.js';
import { candidateKey } from './moduleTable.js';
import type { FleetHostOptions, HostEvents, HostOptions, ModuleStatus } from './types.js';

export const DEFAULT_FLEET_POLL_MS = 5000;
export const DEFAULT_HEARTBEAT_MS = 2000;

/** The `fleet` option with its defaults, or undefined when the host is not in a fleet. */
export function fleetOptionsOf(options: HostOptions): Required<FleetHostOptions> | undefined {
  const f = options.fleet;
  if (f === undefined || f === false) return undefined;
  const given = f === true ? {} : f;
  return {
    artifacts: given.artifacts ?? true,
    cacheDir: path.resolve(given.cacheDir ?? path.join(path.dirname(options.modulesDir), '.hotmod', 'artifacts')),
    pollMs: given.pollMs ?? DEFAULT_FLEET_POLL_MS,
    heartbeatMs: given.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    hostId: hostIdOf(options),
  };
}

/**
 * What the heartbeat says this host serves: every module in the table that is not
 * unresolved, a rollout's candidate as a second version of its module, and the live
 * rollout of each module (its stage in percent) as this host applies it.
 */
export function servesOf(statuses: readonly ModuleStatus[], live: readonly RolloutRecord[] = []): HostServes {
  const out: HostServes = {};
  const rollouts = new Map(live.map((r) => [r.moduleId, r]));
  for (const s of [...statuses].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (s.state === 'unresolved' || s.candidateOf !== undefined) continue;
    const r = rollouts.get(s.id);
    const percent = r === undefined ? null : currentPercent(r.state, r.stages);
    out[s.id] = {
      versions: [s.version],
      rolloutStage: percent,
      state: s.state,
      ...(r === undefined ? {} : { rollout: { id: r.id, version: r.toVersion, state: r.state.name, percent: percent!, stage: r.state.name === 'running' || r.state.name === 'paused' ? r.state.stage + 1 : null } }),
    };
  }
  for (const s of statuses) {
    const main = s.candidateOf === undefined || s.state === 'unresolved' ? undefined : out[s.candidateOf];
    if (main && !main.versions.includes(s.version)) main.versions.push(s.version);
  }
  return out;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The versions the plan leaves out (CatalogReconciler heldOut): the rollouts' own (a live
 * or rolled-back rollout's new version) and every staged artifact no rollout has promoted.
 */
export function heldOutOf(held: ReadonlySet<string> | undefined, staged: ReadonlySet<string> | undefined, released: ReadonlySet<string> | undefined): ReadonlySet<string> {
  if (staged === undefined || staged.size === 0) return held ?? NONE;
  const out = new Set(held);
  for (const key of staged) if (!released?.has(key)) out.add(key);
  return out;
}

export class HostFleet {
  readonly hostId: string;
  readonly #store: Store;
  readonly #options: Required<FleetHostOptions>;
  readonly #logger: Logger;
  readonly #events: EventEmitter<HostEvents>;
  readonly #artifactOf = new Map<string, StoredArtifact>();
  /** `id@version` of the staged artifacts (hotmod publish --staged). */
  readonly #staged = new Set<string>();
  #sync: ArtifactSync | undefined;
  #heartbeat: Heartbeat | undefined;

  constructor(store: Store, options: Required<FleetHostOptions>, logger: Logger, events: EventEmitter<HostEvents>) {
    this.#store = store;
    this.#options = options;
    this.hostId = options.hostId;
    this.#logger = logger;
    this.#events = events;
  }

  /** `id@version` of every staged artifact this host has read. */
  staged(): ReadonlySet<string> {
    return this.#staged;
  }

  /**
   * LISTEN, then every stored artifact as a package: what the host starts with beside its
   * directory. `added` hears of each new artifact once the reconciler holds it (the rollout
   * agent looks at once for a candidate it was missing).
   */
  async loadArtifacts(reconciler: () => CatalogReconciler, added?: () => void): Promise<ModulePackage[]> {
    if (!this.#options.artifacts) return [];
    this.#sync = new ArtifactSync({
      store: this.#store,
      cacheDir: this.#options.cacheDir,
      pollMs: this.#options.pollMs,
      onArtifact: async ({ pkg, artifact }) => {
        this.#hold(pkg, artifact);
        this.#logger.info({ module: artifact.id, version: artifact.version, seq: artifact.seq, staged: artifact.staged }, 'fleet: new artifact from the store');
        await reconciler().addExternal(pkg);
        added?.();
      },
      onError: (error, artifact) => this.#report(error, artifact),
    });
    const served = await this.#sync.load();
    for (const { pkg, artifact } of served) this.#hold(pkg, artifact);
    return served.map((s) => s.pkg);
  }

  #hold(pkg: ModulePackage, artifact: StoredArtifact): void {
    this.#artifactOf.set(pkg.dir, artifact);
    if (artifact.staged) this.#staged.add(candidateKey(artifact.id, artifact.version));
  }

  /** The reconciler found a folder with the id@version of an artifact: different bytes are a diagnostic. */
  onShadowed(folder: ModulePackage, external: ModulePackage): void {
    const artifact = this.#artifactOf.get(external.dir);
    if (!artifact) return;
    void shadowedArtifact(folder, artifact).then((error) => {
      if (error) this.#report(error);
    });
  }

  /** After the start-up activation: new artifacts flow, the heartbeat beats. */
  async begin(serves: () => HostServes): Promise<void> {
    this.#sync?.begin();
    this.#heartbeat = new Heartbeat({
      store: this.#store,
      hostId: this.hostId,
      heartbeatMs: this.#options.heartbeatMs,
      serves,
      onError: (error) => this.#logger.warn({ err: error }, `fleet: heartbeat of ${this.hostId} failed; retrying every ${this.#options.heartbeatMs} ms`),
    });
    await this.#heartbeat.start();
    // A new version (a swap, a module added or removed) is in the view at once, not a beat later.
    this.#events.on('catalog:changed', this.#beatNow);
    this.#events.on('rollout:changed', this.#beatNow);
  }

  readonly #beatNow = () => void this.#heartbeat?.beat();

  /** The fleet as the store has it, this host's own row refreshed first. */
  async view(staleAfter?: number): Promise<FleetView> {
    await this.#heartbeat?.beat();
    return readFleet(this.#store, { selfId: this.hostId, ...(staleAfter === undefined ? {} : { staleAfter }) });
  }

  async close(): Promise<void> {
    this.#events.off('catalog:changed', this.#beatNow);
    this.#events.off('rollout:changed', this.#beatNow);
    await Promise.allSettled([this.#sync?.close(), this.#heartbeat?.stop()]);
  }

  #report(error: HotmodError | Error, artifact?: StoredArtifact): void {
    const code = (error as HotmodError).code ?? 'E_STORE_QUERY_FAILED';
    this.#logger.warn({ err: error, code, ...(artifact ? { module: artifact.id, version: artifact.version } : {}) }, `fleet: ${error.message}`);
    const details = (error as HotmodError).details ?? {};
    this.#events.emit('module:diagnostic', {
      ...(artifact ? { id: artifact.id } : typeof details.id === 'string' ? { id: details.id } : {}),
      dir: typeof details.dir === 'string' ? details.dir : this.#options.cacheDir,
      code,
      message: error.message,
      diagnostics: [],
    });
  }
}
