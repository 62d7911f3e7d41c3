/**
 * A host's part in the fleet's rollouts (docs/rollouts.md). It reads the rollout records
 * (NOTIFY on `hotmod_rollouts`, and a poll every `pollMs` as the fallback and the decision
 * clock) and applies the newest record of each module here:
 *
 *   pending | running | paused  the new version runs beside the old as a candidate
 *                               (swapCoordinator.startCandidate); the router sends each client
 *                               the version its cohort says (routingSnapshot.ts VersionRouting)
 *   promoting | completed       the candidate becomes the module, the old version drains and
 *                               unloads (promoteCandidate); the host then marks it completed
 *   aborted | rolled-back       routing goes back to the old version for everyone, the
 *                               candidate drains and unloads (dropCandidate)
 *
 * The new version of a live or rolled-back rollout is held out of the plain catalog, so a
 * host started mid-rollout runs the old version and joins at the current stage. Every host
 * also decides: it writes its health (healthReporter), sums the fleet's, and applies the
 * controller's next step with a compare-and-set on the record: leader-less, exactly one
 * write lands, and a host that dies changes nothing for the others.
 */
import type { Logger } from 'pino';
import type { EventEmitter } from 'eventemitter3';
import { HotmodError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import type { Store } from '../legacy-bridge/index.js';
import {
  applyRolloutEvent,
  cohortBucket,
  stageThreshold,
  createRolloutApi,
  currentPercent,
  ensureRolloutSchema,
  FleetErrorCode,
  HEALTH_BOUNDS_MS,
  healthOf,
  HealthReporter,
  hostRole,
  isLive,
  judgeHealth,
  listRollouts,
  nextStep,
  normalizeRolloutOptions,
  readHealth,
  releasedVersions,
  ROLLOUT_CHANNEL,
  type HealthCounts,
  type RolloutApi,
  type RolloutEvent,
  type RolloutRecord,
  type RolloutStatus,
  type VersionSample,
} from '../fleet/index.js';
import type { ActivationEngine } from './activationEngine.js';
import type { CallMetrics } from './callMetrics.js';
import { servingInstance } from './moduleState.js';
import { candidateKey } from './moduleTable.js';
import type { Router } from './router.js';
import { createVersionRouting, versionKeyFor } from './routingSnapshot.js';
import type { RolloutFact } from './explain/facts.js';
import type { SwapCoordinator } from './swapCoordinator.js';
import type { HostEvents } from './types.js';

export interface RolloutAgentDeps {
  store: Store;
  hostId: string;
  pollMs: number;
  reportMs: number;
  engine: ActivationEngine;
  swaps: SwapCoordinator;
  router: Router;
  metrics: CallMetrics;
  /** Every package the host has (every version of every id): a candidate comes from here. */
  packages(): readonly ModulePackage[];
  events: EventEmitter<HostEvents>;
  logger: Logger;
}

/** A rollout whose candidate runs on this host. */
interface LocalRollout {
  record: RolloutRecord;
  pkg: ModulePackage;
  /** The counters of both versions when this host joined: the health rows count from here. */
  baseline: { next: HealthCounts; old: HealthCounts };
  oldVersion: string;
  /** The rollout ended here (promoted or dropped): no route any more, one last health write, then forgotten. */
  ended: boolean;
  /** The old version's counters when the rollout ended here (after a promotion the module id counts the new version). */
  oldAtEnd?: HealthCounts;
}

export class RolloutAgent {
  readonly #d: RolloutAgentDeps;
  readonly #reporter: HealthReporter;
  readonly api: RolloutApi;
  /** The newest record of each module, as last applied. */
  #newest = new Map<string, RolloutRecord>();
  readonly #local = new Map<string, LocalRollout>();
  /** Rollouts whose candidate could not start here (the reason was logged): not retried every tick. */
  readonly #unavailable = new Set<string>();
  /** Rollouts whose new version this host does not have (yet): logged once. */
  readonly #missing = new Set<string>();
  /** The revision of each rollout this host last applied: a newer one is announced (event, log). */
  readonly #seen = new Map<string, number>();
  #held: ReadonlySet<string> = new Set();
  /** `id@version` of every version a rollout promoted: a staged artifact of one is released. */
  #released: ReadonlySet<string> = new Set();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(deps: RolloutAgentDeps) {
    this.#d = deps;
    this.#reporter = new HealthReporter({
      store: deps.store,
      hostId: deps.hostId,
      intervalMs: deps.reportMs,
      sample: () => this.#sample(),
      onError: (error) => deps.logger.warn({ err: error }, 'rollout health: writing this host\'s counts failed; the next interval writes again'),
    });
    const base = createRolloutApi(deps.store, deps.hostId, () => this.tick());
    this.api = { ...base, start: (options) => this.#start(base, options) };
  }

  /** Before the catalog loads: the schema, and which versions the rollouts hold out of it. */
  async init(): Promise<void> {
    await ensureRolloutSchema(this.#d.store);
    const [{ records }, released] = await Promise.all([listRollouts(this.#d.store, { newestPerModule: true }), releasedVersions(this.#d.store)]);
    this.#setNewest(records);
    this.#released = released;
  }

  /** `id@version` of every version a rollout promoted (promoting or completed), as of the last pass. */
  released(): ReadonlySet<string> {
    return this.#released;
  }

  /** The live rollout of each module, as of the last pass (fleet view, explain). */
  live(moduleId: string): RolloutRecord | undefined {
    const r = this.#newest.get(moduleId);
    return r !== undefined && isLive(r.state) ? r : undefined;
  }

  /** host.explain's rollout fact: the version `clientId` gets of `moduleId` here and why, while a live rollout governs it. */
  rolloutFact(moduleId: string, clientId: string): RolloutFact | undefined {
    const r = this.live(moduleId);
    if (r === undefined) return undefined;
    const percent = currentPercent(r.state, r.stages);
    const fromVersion = this.#d.engine.table.get(moduleId)?.pkg.manifest.version ?? r.fromVersion ?? '?';
    const bucket = cohortBucket(r.id, clientId);
    const named = r.state.name !== 'pending' && r.clients.includes(clientId);
    const picked = named || bucket < stageThreshold(percent);
    const routing = this.#d.router.versionRouting;
    const route = routing?.byModule.get(moduleId);
    const here = routing !== undefined && route !== undefined && versionKeyFor(routing, moduleId, clientId) === route.key;
    return {
      kind: 'rollout',
      rolloutId: r.id,
      state: r.state.name,
      percent,
      stage: r.state.name === 'running' || r.state.name === 'paused' ? r.state.stage + 1 : null,
      fromVersion,
      toVersion: r.toVersion,
      version: here ? r.toVersion : fromVersion,
      why: !picked ? 'not-yet' : !here ? 'not-on-this-host' : named ? 'named' : 'cohort',
      bucket,
    };
  }

  /** Every live rollout, as of the last pass. */
  lives(): RolloutRecord[] {
    return [...this.#newest.values()].filter((r) => isLive(r.state));
  }

  /** `id@version` of every version held out of the plain catalog (CatalogReconciler heldOut). */
  heldOut(): ReadonlySet<string> {
    return this.#held;
  }

  /** Once the host runs: apply the rollouts, then follow them (NOTIFY, poll) and report health. */
  async begin(): Promise<void> {
    const d = this.#d;
    this.#unlisten = await d.store.listen(ROLLOUT_CHANNEL, () => void this.tick(), () => void this.tick());
    this.#timer = setInterval(() => void this.tick(), d.pollMs);
    this.#timer.unref();
    this.#reporter.start();
    await this.tick();
  }

  /** One pass (read, apply, decide); calls during a pass coalesce into one more pass. */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = (async () => {
      do {
        this.#again = false;
        try {
          await this.#pass();
        } catch (error) {
          if (!this.#stopped) this.#d.logger.warn({ err: error }, `rollouts: a pass failed (${(error as Error).message}); the next poll tries again`);
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
      // A NOTIFY that came after the loop's last check and before this line is not lost.
      if (this.#again && !this.#stopped) void this.tick();
    });
    this.#running = run;
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
    await this.#unlisten?.().catch(() => {});
    await this.#reporter.stop().catch(() => {});
  }

  #setNewest(records: readonly RolloutRecord[]): void {
    this.#newest = new Map(records.map((r) => [r.moduleId, r]));
    this.#held = new Set(records.filter((r) => hostRole(r.state) !== 'promoted').map((r) => candidateKey(r.moduleId, r.toVersion)));
  }

  async #pass(): Promise<void> {
    const [{ records, nowMs }, released] = await Promise.all([listRollouts(this.#d.store, { newestPerModule: true }), releasedVersions(this.#d.store)]);
    this.#setNewest(records);
    this.#released = released;
    for (const r of records) {
      if (this.#stopped) return;
      await this.#apply(r);
    }
    this.#route();
    await this.#reporter.flush();
    for (const r of records) if (!this.#stopped && isLive(r.state)) await this.#decide(r, nowMs);
  }

  /** Brings this host in line with one record. */
  async #apply(r: RolloutRecord): Promise<void> {
    const d = this.#d;
    const table = d.engine.table;
    this.#announce(r);
    const local = this.#local.get(r.id);
    switch (hostRole(r.state)) {
      case 'candidate': {
        if (local) {
          if (!local.ended) local.record = r;
          return;
        }
        if (this.#unavailable.has(r.id) || !table.has(r.moduleId)) return;
        const pkg = d.packages().find((p) => p.manifest.id === r.moduleId && p.manifest.version === r.toVersion);
        if (pkg === undefined) {
          // Looked for again at every pass: the folder may yet arrive (watch) or be published.
          if (this.#missing.has(r.id)) return;
          this.#missing.add(r.id);
          d.logger.warn({ rollout: r.id, module: r.moduleId, version: r.toVersion }, `rollout ${r.id}: this host has no package of ${r.moduleId}@${r.toVersion}; its clients stay on the version it runs`);
          return;
        }
        const main = table.get(r.moduleId)!;
        const oldVersion = main.pkg.manifest.version;
        try {
          const candidate = await d.swaps.startCandidate(r.moduleId, pkg);
          const instance = servingInstance(candidate.state);
          const mainInstance = servingInstance(table.get(r.moduleId)!.state);
          if (!r.allowStateful && (instance?.stateful || mainInstance?.stateful)) {
            await d.swaps.dropCandidate(r.moduleId, r.toVersion, () => {});
            this.#unavailable.add(r.id);
            await this.#write(r, { type: 'abort', reason: statefulReason(r.moduleId, d.hostId) });
            return;
          }
          if (instance?.stateful || mainInstance?.stateful)
            d.logger.warn(
              { rollout: r.id, module: r.moduleId },
              `rollout ${r.id}: module '${r.moduleId}' is stateful and the rollout allows it: versions ${oldVersion} and ${r.toVersion} each keep their own state on this host, and the state of the one that ends is dropped`,
            );
        } catch (error) {
          this.#unavailable.add(r.id);
          const reason = `version ${r.toVersion} could not run on host ${d.hostId}: ${(error as Error).message}`;
          d.logger.warn({ rollout: r.id, err: error }, `rollout ${r.id}: ${reason}`);
          await this.#write(r, { type: 'rollback', reason });
          return;
        }
        this.#local.set(r.id, {
          record: r,
          pkg,
          oldVersion,
          baseline: { next: this.#counts(candidateKey(r.moduleId, r.toVersion)), old: this.#counts(r.moduleId) },
          ended: false,
        });
        return;
      }
      case 'promoted': {
        const main = table.get(r.moduleId);
        const pkg = local?.pkg ?? d.packages().find((p) => p.manifest.id === r.moduleId && p.manifest.version === r.toVersion);
        if (main !== undefined && pkg !== undefined && (local !== undefined || main.pkg.manifest.version !== r.toVersion)) {
          await d.swaps.promoteCandidate(r.moduleId, pkg, () => this.#end(local));
          await this.#forget(r.id);
        }
        if (r.state.name === 'promoting') await this.#write(r, { type: 'finish' });
        return;
      }
      case 'dropped':
        if (local) {
          await d.swaps.dropCandidate(r.moduleId, r.toVersion, () => this.#end(local));
          await this.#forget(r.id);
        }
        return;
    }
  }

  /** Takes the rollout's route away (called in the same tick as the table change). */
  #end(local: LocalRollout | undefined): void {
    if (local) {
      local.ended = true;
      local.oldAtEnd = this.#counts(local.record.moduleId);
    }
    this.#route();
  }

  /** After the candidate drained: its last counts are written (every call it served is counted), then it is forgotten. */
  async #forget(rolloutId: string): Promise<void> {
    if (!this.#local.has(rolloutId)) return;
    await this.#reporter.flush();
    this.#local.delete(rolloutId);
  }

  /** The automatic decision: this host's view of the fleet's health against the budget, applied by compare-and-set. */
  async #decide(r: RolloutRecord, nowMs: number): Promise<void> {
    if (r.state.name === 'promoting') return;
    const { byVersion } = await readHealth(this.#d.store, r.id);
    const verdict = judgeHealth(healthOf(byVersion, r.toVersion), r.budget);
    const event = nextStep(r.state, r.bakeMs, verdict, nowMs);
    if (event) await this.#write(r, event);
  }

  /** A compare-and-set of `event`; a lost race is fine (another host decided) and a pass follows the NOTIFY. */
  async #write(r: RolloutRecord, event: RolloutEvent): Promise<void> {
    try {
      const next = await applyRolloutEvent(this.#d.store, r, event, this.#d.hostId);
      if (next) this.#again = true;
    } catch (error) {
      if (!(error instanceof HotmodError && error.code === FleetErrorCode.ROLLOUT_STATE)) throw error;
    }
  }

  /** A newer revision of a rollout reached this host: an event and a log line. */
  #announce(r: RolloutRecord): void {
    const seen = this.#seen.get(r.id);
    if (seen !== undefined && seen >= r.revision) return;
    this.#seen.set(r.id, r.revision);
    if (seen === undefined && !isLive(r.state)) return;
    const s = r.state;
    const reason = s.name === 'aborted' || s.name === 'rolled-back' ? s.reason : undefined;
    const percent = currentPercent(s, r.stages);
    const e = { rolloutId: r.id, moduleId: r.moduleId, version: r.toVersion, state: s.name, percent, ...(s.name === 'running' || s.name === 'paused' ? { stage: s.stage + 1 } : {}), ...(reason ? { reason } : {}) };
    this.#d.events.emit('rollout:changed', e);
    if (s.name === 'rolled-back') this.#d.logger.warn(e, `rollout ${r.id} of ${r.moduleId}@${r.toVersion} rolled back: ${reason}`);
    else this.#d.logger.info(e, `rollout ${r.id} of ${r.moduleId}@${r.toVersion}: ${s.name}${e.stage ? ` stage ${e.stage} (${percent}%)` : ''}`);
  }

  /** The router's per-client version routing from the candidates running here. */
  #route(): void {
    const table = this.#d.engine.table;
    const routes = [];
    for (const l of this.#local.values()) {
      if (l.ended) continue;
      const r = l.record;
      const percent = currentPercent(r.state, r.stages);
      const named = r.state.name === 'pending' ? [] : r.clients;
      const candidate = table.get(candidateKey(r.moduleId, r.toVersion));
      if (candidate === undefined || (percent === 0 && named.length === 0)) continue;
      routes.push({ candidate, moduleId: r.moduleId, rolloutId: r.id, percent, named });
    }
    const before = this.#d.router.versionRouting;
    const next = createVersionRouting(routes);
    // Unchanged routes keep their per-client answers.
    if (before !== undefined && next !== undefined && sameRoutes(before.byModule, next.byModule)) return;
    this.#d.router.setVersionRouting(next);
  }

  #counts(key: string): HealthCounts {
    const t = this.#d.metrics.totals(key);
    return { calls: t.calls, errors: t.errors, timeouts: t.timeouts, le: t.latency.cumulative(HEALTH_BOUNDS_MS) };
  }

  #sample(): VersionSample[] {
    const out: VersionSample[] = [];
    for (const l of this.#local.values()) {
      const r = l.record;
      out.push({ rolloutId: r.id, version: r.toVersion, ...minus(this.#counts(candidateKey(r.moduleId, r.toVersion)), l.baseline.next) });
      out.push({ rolloutId: r.id, version: l.oldVersion, ...minus(l.oldAtEnd ?? this.#counts(r.moduleId), l.baseline.old) });
    }
    return out;
  }

  /** host.rollouts.start: the host checks what it can (the version is here, not serving yet, the module not stateful). */
  async #start(base: RolloutApi, options: Parameters<RolloutApi['start']>[0]): Promise<RolloutStatus> {
    const o = normalizeRolloutOptions(options);
    const table = this.#d.engine.table;
    const main = table.get(o.moduleId);
    const versions = this.#d.packages().filter((p) => p.manifest.id === o.moduleId).map((p) => p.manifest.version);
    if (main === undefined || !versions.includes(o.toVersion))
      throw new HotmodError(
        FleetErrorCode.ROLLOUT_VERSION_UNKNOWN,
        `rollout of ${o.moduleId}@${o.toVersion}: this host has ${versions.length ? `versions ${versions.join(', ')} of '${o.moduleId}'` : `no module '${o.moduleId}'`}; put the version's folder in the modules directory (or publish it) first`,
        { moduleId: o.moduleId, version: o.toVersion, versions },
      );
    if (main.pkg.manifest.version === o.toVersion)
      throw new HotmodError(FleetErrorCode.ROLLOUT_VERSION_UNKNOWN, `rollout of ${o.moduleId}@${o.toVersion}: that version already serves every client on this host; name a newer version`, {
        moduleId: o.moduleId,
        version: o.toVersion,
      });
    if (servingInstance(main.state)?.stateful && !o.allowStateful)
      throw new HotmodError(FleetErrorCode.ROLLOUT_STATEFUL, statefulReason(o.moduleId, this.#d.hostId), { moduleId: o.moduleId });
    return base.start({ ...options, fromVersion: main.pkg.manifest.version });
  }
}

function statefulReason(moduleId: string, hostId: string): string {
  return `module '${moduleId}' is stateful (it has deactivate) on host ${hostId}: two versions side by side would keep two states and the old one's state would be lost at promotion; swap it instead (host.swap hands the state over), or start the rollout with allowStateful (--allow-stateful) to accept per-version state`;
}

function minus(a: HealthCounts, b: HealthCounts): HealthCounts {
  return { calls: a.calls - b.calls, errors: a.errors - b.errors, timeouts: a.timeouts - b.timeouts, le: a.le.map((v, i) => v - (b.le[i] ?? 0)) };
}

function sameRoutes(a: ReadonlyMap<string, { key: string; threshold: number; named: ReadonlySet<string> }>, b: typeof a): boolean {
  if (a.size !== b.size) return false;
  for (const [id, x] of a) {
    const y = b.get(id);
    if (!y || y.key !== x.key || y.threshold !== x.threshold || y.named.size !== x.named.size || [...x.named].some((n) => !y.named.has(n))) return false;
  }
  return true;
}
