import type { ClientModuleSet, UnifiedModuleConfig } from '../types.js';

const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * What the router checks on every call: the client's effective module ids (clientClosure's
 * `effective`) and each one's customSettings from the source's answer. The one builder of
 * a ClientModuleSet; frozen, the router caches it per client.
 */
export function clientModuleSetOf(clientId: string, effective: ReadonlySet<string>, configs: readonly UnifiedModuleConfig[]): ClientModuleSet {
  const settings = new Map<string, Readonly<Record<string, unknown>>>();
  for (const c of configs) {
    if (!effective.has(c.moduleId)) continue;
    const custom = c.advancedConfig?.customSettings as Record<string, unknown> | undefined;
    settings.set(c.moduleId, custom && Object.keys(custom).length > 0 ? custom : NO_SETTINGS);
  }
  return Object.freeze({ clientId, enabled: effective, settings });
}
