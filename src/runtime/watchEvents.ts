/**
 * The hot-reload protocol: what the module watcher reports about one module folder.
 * A discriminated union on `type`; consumers `switch` on it and end with a `never`
 * check (see `assertNeverWatchEvent`), so a new kind of event is a compile error in
 * every consumer instead of a silently dropped update.
 *
 * Per folder, events are delivered one at a time, in the order the changes settled,
 * and the next one waits until every listener's promise for the previous one settled.
 */
import type { HotmodError } from '../errors.js';
import type { ManifestDiagnostic, ModulePackage } from '../registry/index.js';
import type { BundleResult } from './bundleModule.js';

/** A new, valid module folder (or a folder that was invalid until now). Activate it. */
export interface ModuleAddedEvent {
  readonly type: 'added';
  /** Absolute path of the module folder. */
  readonly dir: string;
  readonly pkg: ModulePackage;
  /** Changed files, relative to `dir`, '/'-separated, sorted. Includes the bundle when the watcher rebuilt it. */
  readonly files: readonly string[];
  /** Warnings of the accepted package (errors would have made it 'invalid'). */
  readonly warnings: readonly ManifestDiagnostic[];
  /** Set when the watcher bundled src/ for this event. */
  readonly build?: BundleResult;
}

/** A known module folder changed into a new valid package. Swap it in. */
export interface ModuleChangedEvent {
  readonly type: 'changed';
  readonly dir: string;
  readonly pkg: ModulePackage;
  /** The package the previous 'added' / 'changed' event reported for this folder. */
  readonly previous: ModulePackage;
  readonly files: readonly string[];
  readonly warnings: readonly ManifestDiagnostic[];
  readonly build?: BundleResult;
}

/** Why a module left the catalog. */
export type ModuleRemovedReason =
  /** The folder is gone. */
  | 'folder-removed'
  /** The folder now declares another `hotmod.id`: the old id is removed, then the new one added. */
  | 'id-changed';

/** A module folder went away (or changed its id). Unload the module; dependents become unresolved. */
export interface ModuleRemovedEvent {
  readonly type: 'removed';
  readonly dir: string;
  /** The id of the last valid package seen in the folder; undefined when it never had one. */
  readonly moduleId?: string;
  /** That last valid package, when there was one. */
  readonly previous?: ModulePackage;
  readonly reason: ModuleRemovedReason;
}

/**
 * The folder changed into something that is not a valid package (a half-written
 * package.json, a missing entry, a bad manifest). Keep the old version serving and show
 * the diagnostics; a later good write produces 'changed' (or 'added').
 */
export interface ModuleInvalidEvent {
  readonly type: 'invalid';
  readonly dir: string;
  /** The id of the version still serving, when the folder had a valid package before. */
  readonly moduleId?: string;
  readonly files: readonly string[];
  /** Every problem found (errors and warnings), as `hotmod check` shows them. */
  readonly diagnostics: readonly ManifestDiagnostic[];
  /** E_WATCH_INVALID, with the diagnostics in `details.diagnostics`. */
  readonly error: HotmodError;
}

/** esbuild could not bundle src/: dist/ was left untouched and the old version keeps serving. */
export interface ModuleBuildFailedEvent {
  readonly type: 'build-failed';
  readonly dir: string;
  readonly moduleId?: string;
  readonly files: readonly string[];
  /** E_BUILD_FAILED or E_BUILD_NODE_API, with `details.errors` as file:line:column problems. */
  readonly error: HotmodError;
}

export type ModuleWatchEvent =
  | ModuleAddedEvent
  | ModuleChangedEvent
  | ModuleRemovedEvent
  | ModuleInvalidEvent
  | ModuleBuildFailedEvent;

export type ModuleWatchEventType = ModuleWatchEvent['type'];

/**
 * Receives watcher events. A returned promise is awaited (with every other listener's)
 * before the next event of the same folder is delivered: a swap finishes before the next
 * edit of that module is applied. A throw or rejection is reported to `onError`.
 */
export type ModuleWatchListener = (event: ModuleWatchEvent) => void | Promise<void>;

/** The end of an exhaustive `switch (event.type)`: a compile error when a case is missing. */
export function assertNeverWatchEvent(event: never): never {
  throw new Error(`unhandled module watch event: ${JSON.stringify(event)}`);
}

/** One line for people, as `hotmod dev` prints it. */
export function describeWatchEvent(event: ModuleWatchEvent): string {
  switch (event.type) {
    case 'added':
      return `added ${event.pkg.key} (${event.dir})`;
    case 'changed':
      return `changed ${event.pkg.key} (was ${event.previous.manifest.version}): ${event.files.join(', ')}`;
    case 'removed':
      return event.reason === 'id-changed'
        ? `removed ${event.moduleId ?? event.dir}: the folder now declares another id`
        : `removed ${event.moduleId ?? event.dir}: the folder is gone`;
    case 'invalid':
      return `invalid ${event.moduleId ?? event.dir}: ${event.error.message}`;
    case 'build-failed':
      return `build failed ${event.moduleId ?? event.dir}: ${event.error.message}`;
    default:
      return assertNeverWatchEvent(event);
  }
}
