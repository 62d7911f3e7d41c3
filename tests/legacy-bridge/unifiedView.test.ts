import { describe, expect, it } from 'vitest';
import { computeUnifiedView } from '../../src/legacy-bridge/index.js';
import { toClientModuleSet } from '../../src/legacy-bridge/view/clientModuleSet.js';
import { type ClientConfigState, type LegacyOverridesRow, type ModuleConfigRow } from '../../src/legacy-bridge/view/rows.js';
import { createCatalogView } from '../../src/registry/index.js';
import { demoCatalog, manifest } from './support/catalog.js';

const CLIENT = '6f1c2a44-93b5-4c1e-9d55-3f0e9a1b2c3d';
const T0 = new Date('2026-01-01T00:00:00Z');

function legacyRow(modulesEnabled: unknown, extra: Partial<LegacyOverridesRow> = {}): LegacyOverridesRow {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    client_id: CLIENT,
    modules_enabled: modulesEnabled,
    theme_overrides: {},
    consultation_config: {},
    plan_catalog_overrides: {},
    created_at: T0,
    updated_at: T0,
    ...extra,
  };
}

function registryRow(moduleId: string, enabled: boolean, extra: Partial<ModuleConfigRow> = {}): ModuleConfigRow {
  return { client_id: CLIENT, module_id: moduleId, enabled, custom_settings: {}, source: 'registry', migrated_at: null, updated_at: T0, ...extra };
}

function view(state: Partial<ClientConfigState>, catalog = demoCatalog()) {
  return computeUnifiedView({ clientId: CLIENT, legacy: null, registry: [], ...state }, catalog);
}

const codes = (list: { code: string }[]) => list.map((d) => d.code);
const mod = (v: ReturnType<typeof view>, id: string) => v.modules.find((m) => m.moduleId === id)!;

describe('unified view: base set', () => {
  it('gives a client with no legacy row and no registry rows the catalog defaults', () => {
    const v = view({});
    expect([...v.effective].sort()).toEqual(['accounts', 'notifications']);
    expect(v.legacyState).toBe('absent');
    expect(mod(v, 'accounts')).toMatchObject({ enabled: true, source: 'registry' });
    expect(mod(v, 'billing')).toMatchObject({ enabled: false, source: 'registry' });
    expect(v.warnings).toEqual([]);
    expect(v.modules.map((m) => m.moduleId)).toEqual(['accounts', 'analytics', 'billing', 'notifications', 'payments']);
  });

  it('treats a readable legacy list as the complete set: defaults do not add to it', () => {
    const v = view({ legacy: legacyRow(['analytics', 'accounts']) });
    expect([...v.effective].sort()).toEqual(['accounts', 'analytics']);
    expect(mod(v, 'notifications')).toMatchObject({ enabled: false, source: 'registry' });
  });

  it("marks modules named by the legacy list and present in the catalog 'unified', with the legacy config", () => {
    const v = view({ legacy: legacyRow(['accounts'], { theme_overrides: { primaryColor: '#123' } }) });
    expect(mod(v, 'accounts')).toMatchObject({
      enabled: true,
      source: 'unified',
      legacyConfig: { modulesEnabled: ['accounts'], themeOverrides: { primaryColor: '#123' }, consultationConfig: {}, planCatalogOverrides: {} },
    });
    expect(mod(v, 'accounts').advancedConfig).toMatchObject({ capabilities: ['accounts.users'], customSettings: {} });
    expect(codes(v.recommendations)).toContain('R_MIGRATE_MODULE');
  });

  it("records a legacy entry without a package as source 'legacy', not runnable, with a warning", () => {
    const v = view({ legacy: legacyRow(['accounts', 'crm-classic']) });
    expect(mod(v, 'crm-classic')).toMatchObject({ enabled: true, source: 'legacy' });
    expect(mod(v, 'crm-classic').warnings?.map((w) => w.code)).toEqual(['W_LEGACY_NO_PACKAGE']);
    expect(v.effective.has('crm-classic')).toBe(false);
    expect(v.explicit.has('crm-classic')).toBe(true);
    expect(codes(v.recommendations)).toContain('R_REMOVE_UNKNOWN_ENTRY');
    expect(toClientModuleSet(v).enabled.has('crm-classic')).toBe(false);
  });

  it('resolves legacyIds (aliases) to the module, with a warning and a recommendation', () => {
    const v = view({ legacy: legacyRow(['billing-v1', 'notify']) });
    expect([...v.effective].sort()).toEqual(['billing', 'notifications', 'payments']);
    expect(mod(v, 'billing').source).toBe('unified');
    expect(v.warnings.filter((w) => w.code === 'W_LEGACY_ENTRY_ALIAS').map((w) => w.moduleId)).toEqual(['billing', 'notifications']);
    expect(v.recommendations.find((r) => r.code === 'R_REPLACE_ALIAS')?.message).toContain("replace the legacy id 'billing-v1' with 'billing'");
  });
});

describe('unified view: registry rows', () => {
  it("enables a module only the registry names, source 'registry', with its customSettings", () => {
    const v = view({ legacy: legacyRow(['accounts']), registry: [registryRow('analytics', true, { custom_settings: { sampling: 0.5 } })] });
    expect(mod(v, 'analytics')).toMatchObject({ enabled: true, source: 'registry', advancedConfig: { customSettings: { sampling: 0.5 } } });
    expect(toClientModuleSet(v).settings.get('analytics')).toEqual({ sampling: 0.5 });
    expect(v.conflicts).toEqual([]); // an advanced-only module is not a conflict
  });

  it('overrides the defaults per module when there is no legacy list', () => {
    const v = view({ registry: [registryRow('accounts', false), registryRow('payments', true)] });
    expect([...v.effective].sort()).toEqual(['notifications', 'payments']);
    expect(v.conflicts).toEqual([]);
  });

  it('lets a registry row win over the legacy list, reporting the conflict', () => {
    const v = view({ legacy: legacyRow(['accounts', 'notifications']), registry: [registryRow('notifications', false)] });
    expect(mod(v, 'notifications')).toMatchObject({ enabled: false, source: 'unified' });
    expect(v.conflicts).toEqual([expect.objectContaining({ code: 'C_LEGACY_REGISTRY_DISAGREE', moduleId: 'notifications' })]);
    expect(codes(v.recommendations)).toContain('R_RESOLVE_CONFLICT');
  });

  it('makes a migrated row the source of truth and reports a legacy list out of step', () => {
    const migratedAt = new Date('2026-02-01T00:00:00Z');
    const inStep = view({ legacy: legacyRow(['accounts', 'analytics']), registry: [registryRow('analytics', true, { migrated_at: migratedAt, source: 'migration' })] });
    expect(mod(inStep, 'analytics')).toMatchObject({ enabled: true, source: 'unified', migratedAt });
    expect(inStep.conflicts).toEqual([]);
    expect(inStep.recommendations.filter((r) => r.moduleId === 'analytics').map((r) => r.code)).not.toContain('R_MIGRATE_MODULE');

    const outOfStep = view({ legacy: legacyRow(['accounts']), registry: [registryRow('analytics', true, { migrated_at: migratedAt })] });
    expect(mod(outOfStep, 'analytics').enabled).toBe(true);
    expect(outOfStep.conflicts).toEqual([expect.objectContaining({ code: 'C_MIGRATED_OUT_OF_STEP', moduleId: 'analytics' })]);
  });

  it('records a registry row for a module not in the catalog, not runnable, with a warning', () => {
    const v = view({ registry: [registryRow('ghost', true)] });
    expect(mod(v, 'ghost')).toMatchObject({ enabled: true, source: 'registry' });
    expect(v.effective.has('ghost')).toBe(false);
    expect(codes(v.warnings)).toEqual(['W_REGISTRY_NO_PACKAGE']);
  });

  it('uses {} for custom_settings that are not an object, with a warning', () => {
    const v = view({ registry: [registryRow('payments', true, { custom_settings: [1, 2] })] });
    expect(mod(v, 'payments').advancedConfig?.customSettings).toEqual({});
    expect(codes(v.warnings)).toEqual(['W_REGISTRY_SETTINGS_NOT_OBJECT']);
  });
});

describe('unified view: implicit requirements', () => {
  it('pulls in the provider of a required capability, implicit: true, with a recommendation', () => {
    const v = view({ legacy: legacyRow(['billing']) });
    expect(mod(v, 'payments')).toMatchObject({ enabled: true, implicit: true, source: 'registry' });
    expect(mod(v, 'billing').implicit).toBeUndefined();
    expect(v.effective.has('payments')).toBe(true);
    expect(v.explicit.has('payments')).toBe(false);
    expect(v.recommendations.find((r) => r.code === 'R_ENABLE_IMPLICIT')).toMatchObject({ moduleId: 'payments' });
    expect(v.recommendations.find((r) => r.code === 'R_ENABLE_IMPLICIT')?.message).toContain("'billing' requires capability 'payments.charge' ^2.1.0");
  });

  it('pulls in dependsOn modules, transitively', () => {
    const catalog = createCatalogView(
      [
        manifest('a', { dependsOn: { b: '^1.0.0' } }),
        manifest('b', { requires: { 'c.cap': '^1.0.0' } }),
        manifest('c', { provides: { 'c.cap': '1.2.0' } }),
      ],
      1,
    );
    const v = view({ registry: [registryRow('a', true)] }, catalog);
    expect([...v.effective].sort()).toEqual(['a', 'b', 'c']);
    expect(v.modules.filter((m) => m.implicit).map((m) => m.moduleId)).toEqual(['b', 'c']);
  });

  it('does not pull in a module that is already enabled, nor one only optionally required', () => {
    const catalog = createCatalogView([manifest('a', { optionalRequires: { 'b.cap': '^1.0.0' } }), manifest('b', { provides: { 'b.cap': '1.0.0' } })], 1);
    const v = view({ registry: [registryRow('a', true)] }, catalog);
    expect([...v.effective]).toEqual(['a']);
    const both = view({ legacy: legacyRow(['billing', 'payments']) });
    expect(mod(both, 'payments').implicit).toBeUndefined();
    expect(codes(both.recommendations)).not.toContain('R_ENABLE_IMPLICIT');
  });

  it('pulls in a required module even when a registry row disables it, reporting the conflict', () => {
    const v = view({ legacy: legacyRow(['billing']), registry: [registryRow('payments', false)] });
    expect(mod(v, 'payments')).toMatchObject({ enabled: true, implicit: true });
    expect(codes(v.conflicts)).toContain('C_REQUIRED_BUT_DISABLED');
  });

  it('warns when no module provides a required capability in a matching version', () => {
    const catalog = createCatalogView([manifest('billing', { requires: { 'payments.charge': '^3.0.0' } }), manifest('payments', { provides: { 'payments.charge': '2.1.0' } })], 1);
    const v = view({ registry: [registryRow('billing', true)] }, catalog);
    expect([...v.effective]).toEqual(['billing']);
    expect(mod(v, 'billing').warnings?.map((w) => w.code)).toEqual(['W_REQUIREMENT_UNAVAILABLE']);
    expect(v.warnings[0]?.message).toContain("capability 'payments.charge' ^3.0.0");
  });
});

describe('unified view: purity', () => {
  it('never changes its input and gives the same answer twice', () => {
    const row = legacyRow(['billing-v1', 'Billing', 42, null, 'crm'], { theme_overrides: 'dark' });
    const rows = [registryRow('analytics', true, { custom_settings: { a: 1 } })];
    const before = JSON.stringify({ row, rows });
    const deepFreeze = (o: unknown): void => {
      if (o && typeof o === 'object' && !(o instanceof Date)) {
        Object.freeze(o);
        for (const v of Object.values(o)) deepFreeze(v);
      }
    };
    deepFreeze(row);
    deepFreeze(rows);
    const a = view({ legacy: row, registry: rows });
    const b = view({ legacy: row, registry: rows });
    expect(JSON.stringify({ row, rows })).toBe(before);
    expect(JSON.stringify(a.modules)).toBe(JSON.stringify(b.modules));
    expect(codes(a.warnings)).toContain('W_LEGACY_OVERRIDES_NOT_OBJECT');
  });
});
