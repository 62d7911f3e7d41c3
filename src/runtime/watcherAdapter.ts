/**
 * The default WATCHER_FACTORY: the module watcher (watcher.ts) feeding the host's typed
 * event handler. Errors of the watcher itself are logged, never thrown at the host.
 */
import { createModuleWatcher } from './watcher.js';
import type { WatcherFactory } from './types.js';

export function createHostWatcherFactory(options: { settleMs?: number; usePolling?: boolean } = {}): WatcherFactory {
  return async ({ modulesDir, logger, onEvent }) => {
    const watcher = createModuleWatcher({
      modulesDir,
      ...options,
      onError: (error) => logger.warn({ code: error.code, details: error.details }, error.message),
    });
    watcher.on(onEvent);
    await watcher.ready();
    return { close: () => watcher.close(), idle: () => watcher.idle() };
  };
}
