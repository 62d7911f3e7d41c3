/**
 * tsyringe tokens: every part of a host is registered under one of these in the host's
 * child container, so an embedding application can replace any of them (`createHost({
 * register(container) { container.register(LOGGER, { useValue: myLogger }) } })` or the
 * typed `overrides` option). One file, so the list of replaceable parts is in one place.
 */
import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { ConfigSource } from '../types.js';
import type { SandboxFactory } from '../sandbox/index.js';
import type { Store } from '../legacy-bridge/index.js';
import type { Clock } from './clock.js';
import type { HostOptions, LegacyBridgeFactory, ModuleConfigProvider, WatcherFactory } from './types.js';

function token<T>(name: string): InjectionToken<T> {
  return Symbol.for(`hotmod.${name}`) as unknown as InjectionToken<T>;
}

/** The options createHost was given, normalised. */
export const HOST_OPTIONS = token<HostOptions>('HostOptions');
/** pino logger (silent unless `logger` is given or HOTMOD_LOG_LEVEL is set). */
export const LOGGER = token<Logger>('Logger');
/** Time for backoff and drain budgets. */
export const CLOCK = token<Clock>('Clock');
/** The sandbox factory for `isolation: 'isolate'` (isolated-vm in this process). */
export const ISOLATE_SANDBOX_FACTORY = token<SandboxFactory>('IsolateSandboxFactory');
/** The sandbox factory for `isolation: 'process'` (an isolate in a supervised child process). */
export const PROCESS_SANDBOX_FACTORY = token<SandboxFactory>('ProcessSandboxFactory');
/** Which modules serve which client: the per-client seam. */
export const CONFIG_SOURCE = token<ConfigSource>('ConfigSource');
/** Module-level configuration handed to `activate` as `ctx.config`. */
export const MODULE_CONFIG = token<ModuleConfigProvider>('ModuleConfig');
/**
 * The legacy bridge's store. Registered by the host at start with the store the bridge
 * opened from the `store` URL; an embedding application may register its own open store
 * here instead (the bridge then uses it and the host never closes it).
 */
export const STORE = token<Store>('Store');
/**
 * Builds the legacy bridge (store, legacy API, unifier, migrator and its ConfigSource)
 * at start. The host registers createLegacyBridge unless HostOptions.legacyBridge replaces
 * it; with store 'none' it is never called (the file source or everything-enabled serves).
 */
export const LEGACY_BRIDGE_FACTORY = token<LegacyBridgeFactory>('LegacyBridgeFactory');
/** Creates the module-folder watcher for `watch: true`. */
export const WATCHER_FACTORY = token<WatcherFactory>('WatcherFactory');
