import type { CatalogView } from '../../../src/types.js';
import { createCatalogView, type ModuleManifest } from '../../../src/registry/index.js';

/** A validated-looking manifest for the pure view tests (the registry's defaults filled in). */
export function manifest(id: string, extra: Partial<ModuleManifest> = {}): ModuleManifest {
  return {
    id,
    packageName: `@demo/hotmod-${id}`,
    version: '1.0.0',
    main: 'dist/index.js',
    engines: {},
    legacyIds: [],
    provides: {},
    requires: {},
    optionalRequires: {},
    dependsOn: {},
    activation: 'eager',
    permissions: [],
    limits: {},
    defaultEnabled: false,
    ...extra,
  };
}

/**
 * The demo catalog's shape: accounts (default), payments, billing (legacy id billing-v1,
 * requires payments.charge), notifications (default, legacy id notify), analytics
 * (dependsOn accounts).
 */
export function demoCatalog(generation = 1): CatalogView {
  return createCatalogView(
    [
      manifest('accounts', { version: '3.1.0', provides: { 'accounts.users': '3.1.0' }, defaultEnabled: true }),
      manifest('payments', { version: '2.1.0', provides: { 'payments.charge': '2.1.0' } }),
      manifest('billing', { version: '1.4.0', legacyIds: ['billing-v1'], provides: { 'billing.invoices': '1.4.0' }, requires: { 'payments.charge': '^2.1.0' } }),
      manifest('notifications', { legacyIds: ['notify'], provides: { 'notifications.send': '1.0.0' }, defaultEnabled: true }),
      manifest('analytics', { provides: { 'analytics.track': '1.0.0' }, dependsOn: { accounts: '^3.0.0' } }),
    ],
    generation,
  );
}
