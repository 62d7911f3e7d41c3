/**
 * The catalog reconciler: which packages the host holds (any number of versions per id,
 * by folder), the catalog view config sources and the router read, and the changes to
 * both: the start-up scan, the watcher's typed events (added / changed / removed /
 * invalid), one at a time. After every change it resolves the packages again and sends
 * the module table what follows: new modules are added, newly unresolved ones are
 * unloaded with the reason, ones whose requirement came back are bound afresh. A running
 * graph is never rewired.
 */
import type { Logger } from 'pino';
import semver from 'semver';
import type { EventEmitter } from 'eventemitter3';
import type { HotmodError } from '../errors.js';
import type { CatalogView } from '../types.js';
import { createCatalogView, resolvePlan, scanCatalog, type ModulePackage, type ResolvePlan } from '../registry/index.js';
import { HOTMOD_VERSION } from '../version.js';
import type { ActivationEngine } from './activationEngine.js';
import { dependentsOf } from './moduleGraph.js';
import { servingInstance } from './moduleState.js';
import { candidateKey } from './moduleTable.js';
import { planCatalog, type CatalogPlan } from './planCatalog.js';
import { routesOf } from './routingSnapshot.js';
import type { Router } from './router.js';
import type { SwapCoordinator } from './swapCoordinator.js';
import type { HostEvents } from './types.js';
import { assertNeverWatchEvent, type ModuleWatchEvent } from './watchEvents.js';

export interface ReconcilerDeps {
  modulesDir: string;
  engine: ActivationEngine;
  swaps: SwapCoordinator;
  router: Router;
  events: EventEmitter<HostEvents>;
  logger: Logger;
  /** Watcher events are acted on only while the host runs. */
  running(): boolean;
  /**
   * Versions kept out of the plan, as `id@version` (candidateKey): the new version of a live
   * or rolled-back rollout, which serves only the clients its rollout picks (rolloutAgent.ts).
   */
  heldOut?(): ReadonlySet<string>;
  /** A package from outside the directory (a published artifact) has the key of a folder's package: the folder's serves. */
  onShadowed?(folder: ModulePackage, external: ModulePackage): void;
}

/** Resolves `packages` (or, with none, the catalog on disk) in partial mode: `host.resolve`. */
export async function resolveCatalog(modulesDir: string, packages: readonly ModulePackage[], moduleIds?: readonly string[]): Promise<ResolvePlan> {
  const list = packages.length ? [...packages] : (await scanCatalog(modulesDir)).packages;
  return resolvePlan(list, { ...(moduleIds ? { request: [...moduleIds] } : {}), hostVersion: HOTMOD_VERSION, mode: 'partial' });
}

export class CatalogReconciler {
  readonly #d: ReconcilerDeps;
  /** Every valid package found (any number of versions per id), by folder. */
  readonly #packages = new Map<string, ModulePackage>();
  #generation = 0;
  #catalog: CatalogView = createCatalogView([], 0);
  /** Reconciliations (watcher add / remove) run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
  }

  /** The running catalog as config sources see it. */
  get catalog(): CatalogView {
    return this.#catalog;
  }

  packages(): ModulePackage[] {
    return [...this.#packages.values()];
  }

  /**
   * The start-up scan: every package found, plus `external` ones (published artifacts,
   * docs/fleet.md; a folder's package of the same id@version wins), resolved; returns the
   * plan (its levels order the eager start).
   */
  async load(external: readonly ModulePackage[] = []): Promise<CatalogPlan> {
    const d = this.#d;
    const scan = await scanCatalog(d.modulesDir);
    for (const diag of scan.diagnostics)
      if (diag.severity === 'error') d.logger.warn({ dir: diag.dir, code: diag.code, jsonPath: diag.jsonPath }, `${diag.message} (${diag.fix})`);
    // The held packages by key, kept as this loop adds: one look-up per package, not a pass over all held.
    const byKey = new Map<string, ModulePackage[]>();
    const index = (pkg: ModulePackage) => {
      const same = byKey.get(pkg.key);
      if (same) same.push(pkg);
      else byKey.set(pkg.key, [pkg]);
    };
    for (const held of this.#packages.values()) index(held);
    for (const pkg of [...scan.packages, ...external]) {
      if (this.#shadowed(pkg, byKey.get(pkg.key) ?? [])) continue;
      const replaced = this.#packages.get(pkg.dir);
      if (replaced) byKey.set(replaced.key, byKey.get(replaced.key)!.filter((p) => p !== replaced));
      this.#packages.set(pkg.dir, pkg);
      index(pkg);
      d.events.emit('module:discovered', { id: pkg.manifest.id, version: pkg.manifest.version, dir: pkg.dir });
    }
    const plan = await this.#applyPlan();
    this.bumpCatalog(d.engine.table.ids(), [], []);
    return plan;
  }

  /**
   * A package from outside the modules directory (a published artifact): held like a
   * folder's. A higher version of a module in the table is swapped in (the swap's checks
   * apply; refused or failed, the running version serves on and swap:failed says why),
   * unless heldOut() holds it (a staged artifact, a live rollout's candidate: the rollout
   * decides who gets it); anything else is added and resolved as a new folder would be.
   */
  addExternal(pkg: ModulePackage): Promise<void> {
    return this.#serial(async () => {
      if (this.#shadowed(pkg)) return;
      const d = this.#d;
      const record = d.engine.table.get(pkg.manifest.id);
      const held = d.heldOut?.().has(candidateKey(pkg.manifest.id, pkg.manifest.version)) === true;
      if (held || record === undefined || record.state.name === 'unresolved' || !semver.gt(pkg.manifest.version, record.pkg.manifest.version)) {
        await this.#addPackage(pkg);
        return;
      }
      this.#packages.set(pkg.dir, pkg);
      d.events.emit('module:discovered', { id: pkg.manifest.id, version: pkg.manifest.version, dir: pkg.dir });
      await d.swaps.swap(record.id, pkg).catch(() => {});
    });
  }

  /** Another package already has this id@version (a folder's wins over an external one's). */
  #shadowed(pkg: ModulePackage, candidates: Iterable<ModulePackage> = this.#packages.values()): boolean {
    for (const held of candidates) {
      if (held.key !== pkg.key || held.dir === pkg.dir) continue;
      this.#d.onShadowed?.(held, pkg);
      return true;
    }
    return false;
  }

  /** Waits for the reconciliations queued so far (stop). */
  settled(): Promise<void> {
    return this.#serial(async () => {});
  }

  /**
   * Resolves the current packages and brings the table in line: new ids are added,
   * newly unresolved ones are unloaded with the reason, newly resolved ones are bound.
   * Active modules keep their bindings.
   */
  async #applyPlan(): Promise<CatalogPlan> {
    const held = this.#d.heldOut?.();
    const packages = held === undefined || held.size === 0 ? this.packages() : this.packages().filter((p) => !held.has(candidateKey(p.manifest.id, p.manifest.version)));
    const plan = planCatalog(packages, HOTMOD_VERSION);
    const { table } = this.#d.engine;
    for (const m of plan.modules) {
      const existing = table.get(m.id);
      const binding = { pkg: m.pkg, bindings: m.bindings, optionalBindings: m.optionalBindings, dependsOn: m.dependsOn };
      if (existing === undefined) {
        table.add(m.pkg);
        table.apply(m.id, { type: 'resolve', binding });
      } else if (existing.state.name === 'unresolved' || existing.state.name === 'discovered' || existing.state.name === 'inactive') {
        // Unresolved until now, or unloaded with a provider that another folder replaces: bind afresh.
        table.apply(m.id, { type: 'resolve', binding });
      }
    }
    for (const u of plan.unresolved) {
      const error = u.error as HotmodError;
      const pkg = packages.find((p) => p.manifest.id === u.id);
      const existing = table.get(u.id);
      if (existing === undefined) {
        if (!pkg) continue;
        table.add(pkg);
      } else if (servingInstance(existing.state) !== undefined || existing.state.name === 'activating') {
        // Newly unresolved (a provider went away): drain and unload it first, then record why.
        await this.#d.engine.deactivate(u.id, 'unload').catch(() => {});
      }
      table.apply(u.id, { type: 'unresolve', error });
    }
    return plan;
  }

  /** A new catalog generation: the router re-derives its providers, listeners hear `catalog:changed`. */
  bumpCatalog(added: string[], removed: string[], changed: string[]): void {
    this.#generation++;
    this.#catalog = createCatalogView(
      this.#d.engine.table.catalogValues().map((r) => r.pkg.manifest),
      this.#generation,
      routesOf(this.#d.engine.table.catalogValues()),
    );
    this.#d.router.setCatalog(this.#catalog);
    this.#d.events.emit('catalog:changed', { generation: this.#generation, added, removed, changed });
  }

  /** The watcher's typed protocol; one folder at a time (the watcher awaits us). */
  async onWatchEvent(event: ModuleWatchEvent): Promise<void> {
    const d = this.#d;
    if (!d.running()) return;
    switch (event.type) {
      case 'added':
        await this.#serial(() => this.#addPackage(event.pkg));
        return;
      case 'changed': {
        const record = d.engine.table.get(event.pkg.manifest.id);
        // Not running from this folder, or unresolved: nothing to hand over from; resolve again.
        if (record === undefined || record.pkg.dir !== event.dir || record.state.name === 'unresolved') {
          this.#packages.set(event.dir, event.pkg);
          await this.#serial(async () => this.#reconcile([], [], [event.pkg.manifest.id]));
          return;
        }
        try {
          await d.swaps.swap(record.id, event.pkg);
          this.#packages.set(event.dir, event.pkg);
        } catch {
          // swap:failed was emitted with the reason; the old version serves on.
        }
        return;
      }
      case 'removed':
        await this.#serial(() => this.#removeFolder(event.dir));
        return;
      case 'invalid':
      case 'build-failed':
        d.events.emit('module:diagnostic', {
          ...(event.moduleId ? { id: event.moduleId } : {}),
          dir: event.dir,
          code: event.error.code,
          message: event.error.message,
          diagnostics: event.type === 'invalid' ? event.diagnostics : [],
        });
        return;
      default:
        assertNeverWatchEvent(event);
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #reconcile(added: string[], removed: string[], changed: string[]): Promise<void> {
    const plan = await this.#applyPlan();
    this.bumpCatalog(added, removed, changed);
    const { engine } = this.#d;
    const eager = plan.modules
      .map((m) => engine.table.get(m.id)!)
      .filter((r) => r.state.name === 'resolved' && r.pkg.manifest.activation === 'eager');
    await Promise.allSettled(eager.map((r) => engine.ensureActive(r.id)));
  }

  async #addPackage(pkg: ModulePackage): Promise<void> {
    this.#packages.set(pkg.dir, pkg);
    this.#d.events.emit('module:discovered', { id: pkg.manifest.id, version: pkg.manifest.version, dir: pkg.dir });
    await this.#reconcile([pkg.manifest.id], [], []);
  }

  async #removeFolder(dir: string): Promise<void> {
    const pkg = this.#packages.get(dir);
    this.#packages.delete(dir);
    if (!pkg) return;
    const id = pkg.manifest.id;
    const { engine } = this.#d;
    const record = engine.table.get(id);
    const stillHasId = this.packages().some((p) => p.manifest.id === id);
    if (record && record.pkg.dir === dir) {
      // Reverse order: what requires the module unloads first (deepest dependents first), so
      // no running dependent is left calling a provider that is gone; then the module itself.
      for (const dependent of dependentsOf(engine.table, id)) await engine.deactivate(dependent.id, 'unload');
      await engine.deactivate(id, 'unload');
      engine.table.remove(id);
    }
    await this.#reconcile([], stillHasId ? [] : [id], []);
  }
}
