/**
 * The module watcher: chokidar on the modules directory, turned into typed, settled,
 * validated events per module folder (src/runtime/watchEvents.ts).
 *
 *   raw fs event ──► folder.pending (+ generation++, running cycle aborted)
 *                     │ settle timer (per folder, reset by every event)
 *                     ▼
 *   serial queue ──► cycle: drop own writes ─► gone? 'removed'
 *                           └► src changed? bundleModule ─► failed? 'build-failed'
 *                           └► validate (registry) ─► 'invalid' | 'added' | 'changed'
 *
 * Half-written files never produce a bad 'changed': a truncated package.json fails
 * validation ('invalid'), and the next write settles into a new cycle. A cycle that sees
 * its folder's generation move after an await drops its work and hands its files back
 * to the next cycle (Vite's staleness checks in hmr.ts, per folder).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { debuglog } from 'node:util';
import { watch, type FSWatcher } from 'chokidar';
import { HotmodError, wrapError } from '../errors.js';
import { isDirectory, isFile } from '../shared/fs.js';
import { loadModulePackage, type ManifestDiagnostic, type ModulePackage } from '../registry/index.js';
import { bundleModule, DEFAULT_MAIN, findSourceEntry, readPackageMain, type BundleResult } from './bundleModule.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleWatchEvent, ModuleWatchListener } from './watchEvents.js';

export type { ModuleWatchEvent, ModuleWatchListener } from './watchEvents.js';

const debug = debuglog('hotmod:watch');

/** The registry's package loader, as the watcher uses it (injectable for embedding). */
export type ValidatePackage = (
  dir: string,
) => Promise<{ pkg?: ModulePackage; diagnostics: readonly ManifestDiagnostic[] }>;

export interface ModuleWatcherOptions {
  /** The modules directory; each direct child folder is one module package. */
  modulesDir: string;
  /** Quiet time after the last event in a folder before it is processed. Default 100 ms. */
  settleMs?: number;
  /** Bundle src/ with esbuild when it changes (dev mode). Default true. */
  rebuild?: boolean;
  /** Source maps of the bundles the watcher writes (see BundleOptions.sourcemap). Default 'file', as `hotmod build`. */
  sourcemap?: boolean | 'inline' | 'file';
  /** Report folders that exist at start as 'added' after `ready()`. Default false: the host scanned them itself. */
  emitInitial?: boolean;
  /** Polling instead of inotify / FSEvents (network drives, some containers). Default false. */
  usePolling?: boolean;
  /** Closes the watcher when aborted. */
  signal?: AbortSignal;
  /** Package validation. Default: the registry's `loadModulePackage`. */
  validate?: ValidatePackage;
  /** Watcher errors and listener failures. Default: `process.emitWarning`. */
  onError?: (error: HotmodError) => void;
}

export interface ModuleWatcher {
  readonly modulesDir: string;
  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: ModuleWatchListener): () => void;
  /** Resolves once the initial scan is done and events are being delivered; rejects with E_WATCH_FAILED. */
  ready(): Promise<void>;
  /** Resolves when no folder has a pending change, a settle timer or a running cycle. */
  idle(): Promise<void>;
  /** Stops watching: closes chokidar, clears timers, waits for running cycles. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_SETTLE_MS = 100;

/** ownWrites marker: a build is about to write this file; its bytes are not known yet. */
const WRITING = 'writing';

export function createModuleWatcher(options: ModuleWatcherOptions): ModuleWatcher {
  return new ChokidarModuleWatcher(options);
}

/** The outcome of the last cycle that reported something: decides added vs changed and no-op skips. */
type FolderOutcome = 'none' | 'ok' | 'invalid' | 'build-failed';

interface FolderState {
  readonly name: string;
  readonly dir: string;
  /** Bumped by every foreign event: a cycle that sees it move drops its work. */
  generation: number;
  /** Changed paths (relative, '/'-separated) not yet handled by a cycle. */
  readonly pending: Set<string>;
  /** The folder itself appeared or vanished. */
  structural: boolean;
  /** src/ changed and has not been bundled successfully since. */
  srcDirty: boolean;
  /** The last valid package reported (or found at start). */
  known?: ModulePackage;
  /** Something was reported about this folder (or it existed at start): a removal is news. */
  announced: boolean;
  outcome: FolderOutcome;
  /**
   * Files this watcher writes (absolute path -> sha256, or WRITING while a build runs):
   * their events are not edits. Registered before the write, because the kernel may
   * deliver the file event before the write's own completion.
   */
  readonly ownWrites: Map<string, string>;
  /** sha256 of the entry file when the last 'added' / 'changed' was reported. */
  reportedEntrySha?: string;
  timer?: NodeJS.Timeout;
  running?: AbortController;
  /** The serial queue: cycles run one after another. */
  queue: Promise<void>;
  /** Cycles queued or running. */
  inFlight: number;
}

type WatcherState = 'created' | 'starting' | 'ready' | 'closing' | 'closed';

class ChokidarModuleWatcher implements ModuleWatcher {
  readonly modulesDir: string;
  readonly #settleMs: number;
  readonly #rebuild: boolean;
  readonly #sourcemap: boolean | 'inline' | 'file';
  readonly #emitInitial: boolean;
  readonly #usePolling: boolean;
  readonly #validate: ValidatePackage;
  readonly #onError: (error: HotmodError) => void;
  readonly #listeners = new Set<ModuleWatchListener>();
  readonly #folders = new Map<string, FolderState>();
  #idleWaiters: (() => void)[] = [];
  #state: WatcherState = 'created';
  #fsWatcher?: FSWatcher;
  #ready: Promise<void>;
  #closing?: Promise<void>;
  #abortListener?: () => void;
  readonly #signal?: AbortSignal;

  constructor(options: ModuleWatcherOptions) {
    this.modulesDir = path.resolve(options.modulesDir);
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.#rebuild = options.rebuild ?? true;
    this.#sourcemap = options.sourcemap ?? 'file';
    this.#emitInitial = options.emitInitial ?? false;
    this.#usePolling = options.usePolling ?? false;
    this.#validate = options.validate ?? loadModulePackage;
    this.#onError = options.onError ?? ((error) => process.emitWarning(error));
    this.#signal = options.signal;
    this.#ready = this.#start();
    // A rejected ready() must not be an unhandled rejection when nobody awaits it.
    this.#ready.catch(() => {});
    if (this.#signal) {
      this.#abortListener = () => void this.close();
      if (this.#signal.aborted) void this.close();
      else this.#signal.addEventListener('abort', this.#abortListener, { once: true });
    }
  }

  on(listener: ModuleWatchListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    try {
      const info = await stat(this.modulesDir);
      if (!info.isDirectory()) throw new Error('it is not a directory');
    } catch (error) {
      this.#state = 'closed';
      throw wrapError(
        error,
        RuntimeErrorCode.WATCH_FAILED,
        (reason) => `cannot watch modules directory '${this.modulesDir}': ${reason}; create it (or pass another --modules) and start again`,
        { modulesDir: this.modulesDir },
      );
    }
    if (this.#state !== 'starting') return; // closed while checking
    const root = this.modulesDir;
    const fsWatcher = watch(root, {
      ignoreInitial: true,
      usePolling: this.#usePolling,
      // Dot-files (our temp files, editors' swap files, .git) and node_modules are never
      // part of a module's runtime: skipping them keeps inotify watches and noise down.
      ignored: (file: string) => {
        const relative = path.relative(root, file);
        if (relative === '' || relative.startsWith('..')) return false;
        return relative.split(path.sep).some((part) => part.startsWith('.') || part === 'node_modules');
      },
    });
    this.#fsWatcher = fsWatcher;
    fsWatcher.on('all', (event, file) => this.#onFsEvent(event, file));
    fsWatcher.on('error', (error) => {
      this.#onError(
        wrapError(error, RuntimeErrorCode.WATCH_FAILED, (reason) => `watching '${root}' failed: ${reason}; restart hotmod dev if reloads stop`, {
          modulesDir: root,
        }),
      );
    });
    await new Promise<void>((resolve) => fsWatcher.once('ready', () => resolve()));
    if (this.#state !== 'starting') return;
    await this.#baseline();
    if (this.#state === 'starting') this.#state = 'ready';
  }

  /** Records the folders that exist at start, so removals and edits of them are reported right. */
  async #baseline(): Promise<void> {
    const entries = await readdir(this.modulesDir, { withFileTypes: true });
    const names = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      if (this.#state !== 'starting') return;
      const folder = this.#folder(name);
      if (this.#emitInitial) {
        folder.structural = true;
        folder.generation++;
        this.#enqueue(folder);
        continue;
      }
      folder.announced = true;
      if (folder.known !== undefined || folder.inFlight > 0) continue; // an event got here first
      try {
        const { pkg } = await this.#validate(folder.dir);
        if (pkg && folder.known === undefined && folder.inFlight === 0) {
          folder.known = pkg;
          folder.outcome = 'ok';
          folder.reportedEntrySha = await sha256Of(pkg.entryPath);
        }
      } catch (error) {
        debug('baseline of %s failed: %s', folder.dir, (error as Error).message);
      }
    }
  }

  #folder(name: string): FolderState {
    let folder = this.#folders.get(name);
    if (!folder) {
      folder = {
        name,
        dir: path.join(this.modulesDir, name),
        generation: 0,
        pending: new Set(),
        structural: false,
        srcDirty: false,
        announced: false,
        outcome: 'none',
        ownWrites: new Map(),
        queue: Promise.resolve(),
        inFlight: 0,
      };
      this.#folders.set(name, folder);
    }
    return folder;
  }

  #onFsEvent(event: string, file: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const relative = path.relative(this.modulesDir, file);
    if (relative === '' || relative.startsWith('..')) return;
    const parts = relative.split(path.sep);
    const name = parts[0]!;
    const inner = parts.slice(1).join('/');
    // A plain file directly in modulesDir is not a module.
    if (inner === '' && event !== 'addDir' && event !== 'unlinkDir') return;
    const folder = this.#folder(name);
    if (inner === '') {
      folder.structural = true;
    } else if (event === 'addDir' || event === 'unlinkDir') {
      return; // files inside report themselves
    } else {
      folder.pending.add(inner);
      if (folder.ownWrites.has(file)) {
        // Most likely our own bundle landing: settle and compare bytes, but do not
        // abort the cycle that wrote it.
        this.#schedule(folder);
        return;
      }
    }
    debug('%s %s', event, relative);
    folder.generation++;
    folder.running?.abort();
    this.#schedule(folder);
  }

  #schedule(folder: FolderState): void {
    if (folder.timer) clearTimeout(folder.timer);
    folder.timer = setTimeout(() => {
      folder.timer = undefined;
      this.#enqueue(folder);
    }, this.#settleMs);
  }

  #enqueue(folder: FolderState): void {
    folder.inFlight++;
    folder.queue = folder.queue
      .then(() => this.#cycle(folder))
      .catch((error) => {
        this.#onError(
          wrapError(error, RuntimeErrorCode.WATCH_FAILED, (reason) => `processing a change in '${folder.dir}' failed: ${reason}; save the file again`, {
            dir: folder.dir,
          }),
        );
      })
      .finally(() => {
        folder.inFlight--;
        this.#checkIdle();
      });
  }

  async #cycle(folder: FolderState): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const generation = folder.generation;
    const taken = [...folder.pending];
    const structural = folder.structural;
    folder.pending.clear();
    folder.structural = false;
    const controller = new AbortController();
    folder.running = controller;
    // Gives the files back when a newer change makes this cycle's work stale.
    const stale = (): boolean => {
      if (folder.generation === generation && this.#state !== 'closing' && this.#state !== 'closed') return false;
      for (const file of taken) folder.pending.add(file);
      folder.structural ||= structural;
      debug('%s: cycle of generation %d dropped (now %d)', folder.name, generation, folder.generation);
      return true;
    };
    try {
      const changed = await this.#withoutOwnWrites(folder, taken);
      if (stale()) return;
      if (changed.length === 0 && !structural) return;

      if (!(await isDirectory(folder.dir))) {
        if (stale()) return;
        const gone = this.#forget(folder);
        if (gone.announced) {
          await this.#emit(folder, { type: 'removed', dir: folder.dir, moduleId: gone.moduleId, previous: gone.previous, reason: 'folder-removed' });
        }
        return;
      }

      const main = await readMainLeniently(folder);
      const relevant = changed.filter((file) => isRelevant(file, main));
      if (relevant.length === 0 && !structural) {
        debug('%s: only irrelevant files changed: %s', folder.name, changed.join(', '));
        return;
      }
      if (relevant.some((file) => file.startsWith('src/'))) folder.srcDirty = true;

      let build: BundleResult | undefined;
      if (this.#rebuild && main !== undefined && (await this.#needsBuild(folder, main))) {
        const outfile = path.join(folder.dir, main);
        const previousWrite = folder.ownWrites.get(outfile);
        folder.ownWrites.set(outfile, WRITING);
        try {
          build = await bundleModule(folder.dir, { outfile: main, sourcemap: this.#sourcemap, signal: controller.signal });
          folder.ownWrites.set(build.outfile, build.sha256);
        } catch (error) {
          if (previousWrite === undefined) folder.ownWrites.delete(outfile);
          else folder.ownWrites.set(outfile, previousWrite);
          if (stale()) return;
          const coded = wrapError(error, RuntimeErrorCode.BUILD_FAILED, (reason) => `module package '${folder.dir}' failed to build: ${reason}`, {
            dir: folder.dir,
          });
          folder.outcome = 'build-failed';
          folder.announced = true;
          await this.#emit(folder, { type: 'build-failed', dir: folder.dir, moduleId: folder.known?.manifest.id, files: sortFiles(relevant), error: coded });
          return;
        }
        if (stale()) return;
        folder.srcDirty = false;
      }

      // The bundle counts as changed when it differs from what was last reported (a stale
      // cycle may already have written it, so `build.unchanged` alone would hide it).
      const bundleChanged = build !== undefined && (!build.unchanged || build.sha256 !== folder.reportedEntrySha);
      const files = sortFiles(bundleChanged && build ? [...relevant, toPosix(path.relative(folder.dir, build.outfile))] : relevant);
      // Compared with what was last reported, not with the file on disk: a cycle dropped
      // as stale may have written this very bundle without reporting it.
      const onlySourceWithSameBundle =
        build !== undefined &&
        build.sha256 === folder.reportedEntrySha &&
        !structural &&
        folder.outcome === 'ok' &&
        relevant.every((file) => file.startsWith('src/'));
      if (onlySourceWithSameBundle) {
        debug('%s: src changed but the bundle is byte-identical: nothing to reload', folder.name);
        return;
      }

      const { pkg, diagnostics } = await this.#validate(folder.dir);
      if (stale()) return;
      await this.#report(folder, pkg, diagnostics, files, build);
    } finally {
      if (folder.running === controller) folder.running = undefined;
    }
  }

  async #report(
    folder: FolderState,
    pkg: ModulePackage | undefined,
    diagnostics: readonly ManifestDiagnostic[],
    files: readonly string[],
    build: BundleResult | undefined,
  ): Promise<void> {
    folder.announced = true;
    if (!pkg) {
      folder.outcome = 'invalid';
      const errors = diagnostics.filter((d) => d.severity === 'error');
      const first = errors[0] ?? diagnostics[0];
      const serving = folder.known ? `; ${folder.known.key} keeps serving` : '';
      const error = new HotmodError(
        RuntimeErrorCode.WATCH_INVALID,
        `module folder '${folder.dir}' changed into an invalid package` +
          (first ? `: ${first.file} ${first.jsonPath}: ${first.message}; ${first.fix}` : '') +
          (errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : '') +
          `${serving}; fix it and save again (hotmod check ${folder.dir} lists every problem)`,
        { dir: folder.dir, moduleId: folder.known?.manifest.id, diagnostics: diagnostics.map((d) => ({ ...d })) },
      );
      await this.#emit(folder, { type: 'invalid', dir: folder.dir, moduleId: folder.known?.manifest.id, files, diagnostics, error });
      return;
    }
    const warnings = diagnostics.filter((d) => d.severity === 'warning');
    const previous = folder.known;
    folder.known = pkg;
    folder.outcome = 'ok';
    folder.reportedEntrySha = await sha256Of(pkg.entryPath);
    if (previous && previous.manifest.id !== pkg.manifest.id) {
      // Removals before additions: the old id leaves before the new one arrives.
      await this.#emit(folder, { type: 'removed', dir: folder.dir, moduleId: previous.manifest.id, previous, reason: 'id-changed' });
      await this.#emit(folder, { type: 'added', dir: folder.dir, pkg, files, warnings, ...(build ? { build } : {}) });
      return;
    }
    if (previous) {
      await this.#emit(folder, { type: 'changed', dir: folder.dir, pkg, previous, files, warnings, ...(build ? { build } : {}) });
    } else {
      await this.#emit(folder, { type: 'added', dir: folder.dir, pkg, files, warnings, ...(build ? { build } : {}) });
    }
  }

  /** Bundle when src/ changed, or when there are sources and no bundle yet (a fresh folder). */
  async #needsBuild(folder: FolderState, main: string): Promise<boolean> {
    if (folder.srcDirty) return (await findSourceEntry(folder.dir)) !== undefined;
    if (!(await findSourceEntry(folder.dir))) return false;
    return !(await isFile(path.join(folder.dir, main)));
  }

  /** Drops paths whose bytes are exactly what this watcher wrote there. */
  async #withoutOwnWrites(folder: FolderState, files: readonly string[]): Promise<string[]> {
    const kept: string[] = [];
    for (const file of files) {
      const absolute = path.join(folder.dir, file);
      const written = folder.ownWrites.get(absolute);
      if (written !== undefined && (await sha256Of(absolute)) === written) {
        debug('%s: own write of %s', folder.name, file);
        continue;
      }
      kept.push(file);
    }
    return kept;
  }

  /**
   * The folder is gone: reset what was known about it. The state object itself stays, so
   * a folder re-created under the same name queues behind the 'removed' event.
   */
  #forget(folder: FolderState): { moduleId?: string; previous?: ModulePackage; announced: boolean } {
    const gone = { moduleId: folder.known?.manifest.id, previous: folder.known, announced: folder.announced };
    folder.ownWrites.clear();
    folder.srcDirty = false;
    folder.reportedEntrySha = undefined;
    folder.known = undefined;
    folder.announced = false;
    folder.outcome = 'none';
    return gone;
  }

  async #emit(folder: FolderState, event: ModuleWatchEvent): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    debug('%s: %s', folder.name, event.type);
    const results = await Promise.allSettled([...this.#listeners].map(async (listener) => listener(event)));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.#onError(
          wrapError(result.reason, RuntimeErrorCode.WATCH_FAILED, (reason) => `a watch listener failed on '${event.type}' for '${folder.dir}': ${reason}`, {
            dir: folder.dir,
            type: event.type,
          }),
        );
      }
    }
  }

  #isIdle(): boolean {
    for (const folder of this.#folders.values()) {
      if (folder.timer !== undefined || folder.inFlight > 0) return false;
    }
    return true;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #close(): Promise<void> {
    const wasStarting = this.#state === 'starting';
    this.#state = 'closing';
    if (this.#abortListener) this.#signal?.removeEventListener('abort', this.#abortListener);
    if (wasStarting) await this.#ready.catch(() => {});
    const queues: Promise<void>[] = [];
    for (const folder of this.#folders.values()) {
      if (folder.timer) clearTimeout(folder.timer);
      folder.timer = undefined;
      folder.running?.abort();
      queues.push(folder.queue);
    }
    await this.#fsWatcher?.close();
    await Promise.allSettled(queues);
    this.#state = 'closed';
    this.#listeners.clear();
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** `main` from package.json, or undefined when package.json cannot be read as JSON right now. */
async function readMainLeniently(folder: FolderState): Promise<string | undefined> {
  try {
    return toPosix(path.normalize(await readPackageMain(folder.dir)));
  } catch {
    // Half-written or broken: do not build (esbuild would report package.json as a source
    // error); validation reports it as 'invalid' with the registry's diagnostics.
    return undefined;
  }
}

/** package.json, src/** and the bundle's folder matter; a README or tests/ edit does not reload. */
function isRelevant(file: string, main: string | undefined): boolean {
  if (file === 'package.json' || file.startsWith('src/')) return true;
  const entry = main ?? DEFAULT_MAIN;
  if (file === entry) return true;
  const entryDir = path.posix.dirname(entry);
  return entryDir !== '.' && file.startsWith(`${entryDir}/`);
}

function sortFiles(files: readonly string[]): string[] {
  return [...new Set(files)].sort();
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}

async function sha256Of(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return undefined;
  }
}

