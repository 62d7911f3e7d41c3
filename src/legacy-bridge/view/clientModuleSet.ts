import type { ClientModuleSet } from '../../types.js';
import type { UnifiedClientView } from './computeUnifiedView.js';

const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/** What the router checks on every call, from a computed view (frozen; cache it). */
export function toClientModuleSet(view: UnifiedClientView): ClientModuleSet {
  const settings = new Map<string, Readonly<Record<string, unknown>>>();
  for (const m of view.modules) {
    if (!view.effective.has(m.moduleId)) continue;
    const custom = m.advancedConfig?.customSettings as Record<string, unknown> | undefined;
    settings.set(m.moduleId, custom && Object.keys(custom).length > 0 ? custom : NO_SETTINGS);
  }
  return Object.freeze({ clientId: view.clientId, enabled: view.effective, settings });
}
