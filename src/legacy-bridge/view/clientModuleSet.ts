import type { ClientModuleSet } from '../../types.js';
import { clientModuleSetOf } from '../../registry/index.js';
import type { UnifiedClientView } from './computeUnifiedView.js';

/** What the router checks on every call, from a computed view (frozen; the router caches it). */
export function toClientModuleSet(view: UnifiedClientView): ClientModuleSet {
  return clientModuleSetOf(view.clientId, view.effective, view.modules);
}
