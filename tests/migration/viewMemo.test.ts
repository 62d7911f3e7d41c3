import { describe, expect, it } from 'vitest';
import { loadCatalogView } from '../../src/legacy-bridge/migrator/loadCatalogView.js';
import { memoReading, memoView } from '../../src/legacy-bridge/migrator/viewMemo.js';
import { computeUnifiedView } from '../../src/legacy-bridge/view/computeUnifiedView.js';
import { readLegacyList } from '../../src/legacy-bridge/view/readLegacyList.js';
import type { ClientConfigState, ModuleConfigRow } from '../../src/legacy-bridge/view/rows.js';
import { prng } from '../registry/syntheticCatalog.js';
import { MODULES_DIR } from './support/stores.js';

/**
 * The migrator shares one unified view between clients of the same configuration
 * (viewMemo.ts). Its key must hold everything the view's read parts depend on: this draws
 * messy states (the malformed kinds of docs/legacy-bridge.md and more) and checks the
 * memoised view and reading against the plain functions, field by field, for each client.
 */
describe('viewMemo', () => {
  it('gives what computeUnifiedView and readLegacyList give, for 4,000 messy states (each drawn twice, under two client ids)', async () => {
    const { catalog } = await loadCatalogView(MODULES_DIR);
    const random = prng(7);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const ids = ['accounts', 'billing', 'payments', 'notifications', 'analytics', 'accounts-legacy', 'billing-v1', 'notify', 'unknown-mod', ''];
    const lists: (() => unknown)[] = [
      () => Array.from({ length: Math.floor(random() * 5) }, () => pick(ids)),
      () => JSON.stringify(Array.from({ length: 2 }, () => pick(ids))), // double-encoded
      () => null,
      () => undefined,
      () => 'accounts,billing',
      () => ({ accounts: true }),
      () => [1, null, 'payments', { id: 'billing' }],
      () => [],
    ];
    const columns: unknown[] = [null, undefined, {}, { color: 'red' }, [], 'text', 3];
    const enabledValues: unknown[] = [true, false, null, 'yes', 1];
    const migratedValues: unknown[] = [null, undefined, new Date(0), '', 0];
    const settings: unknown[] = [null, undefined, {}, { a: 1 }, [1], 'x'];
    const draw = (): Omit<ClientConfigState, 'clientId'> => {
      const hasLegacy = random() < 0.85;
      const registry: ModuleConfigRow[] = [];
      const rowCount = Math.floor(random() * 4);
      for (let i = 0; i < rowCount; i++)
        registry.push({
          client_id: '',
          module_id: pick(ids),
          enabled: pick(enabledValues) as boolean,
          custom_settings: pick(settings),
          source: pick(['registry', 'migration']),
          migrated_at: pick(migratedValues) as Date | null,
          updated_at: null,
        });
      return {
        legacy: hasLegacy
          ? { id: '1', client_id: '', modules_enabled: pick(lists)(), theme_overrides: pick(columns), consultation_config: pick(columns), plan_catalog_overrides: pick(columns), created_at: null, updated_at: null }
          : null,
        legacyRowCount: hasLegacy ? pick([1, 1, 1, 2, 3]) : 0,
        registry,
      };
    };
    const readParts = (v: ReturnType<typeof computeUnifiedView>) => ({
      effective: [...v.effective].sort(),
      explicit: [...v.explicit].sort(),
      legacyState: v.legacyState,
      warnings: v.warnings.map((d) => [d.code, d.moduleId, d.message]),
      conflicts: v.conflicts.map((d) => [d.code, d.moduleId, d.message]),
    });
    let shared = 0;
    for (let n = 0; n < 4000; n++) {
      const base = draw();
      for (const clientId of [`c${n}`, `d${n}`]) {
        const state: ClientConfigState = { ...base, clientId, registry: base.registry.map((r) => ({ ...r, client_id: clientId })) };
        const memo = memoView(state, catalog);
        expect(readParts(memo)).toEqual(readParts(computeUnifiedView(state, catalog)));
        const reading = memoReading(state, catalog);
        expect(reading).toEqual(readLegacyList(state.legacy?.modules_enabled, catalog, state.legacy !== null));
        if (memo.clientId !== clientId) shared++;
      }
    }
    // The memo did share views (else this test would check nothing of it).
    expect(shared).toBeGreaterThan(1000);
  });
});
