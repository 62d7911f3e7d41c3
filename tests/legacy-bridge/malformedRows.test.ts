import { expect, it } from 'vitest';
import { createLegacyApi, createUnifiedConfigSource, initLegacySchema, ModuleSystemUnifier } from '../../src/legacy-bridge/index.js';
import { demoCatalog } from './support/catalog.js';
import { ACME, rawRow, seedClient } from './support/seed.js';
import { describeStores } from './support/stores.js';

const catalog = demoCatalog();
const DEFAULTS = ['accounts', 'notifications'];

interface Case {
  name: string;
  /** Raw SQL literal for modules_enabled (JSON text), or null for SQL NULL. */
  json: string | null;
  /** Warning codes that must be present. */
  warnings: string[];
  /** The effective module set. */
  effective: string[];
  /** Whether a legacy-path write (enableModule(..., false)) must refuse with E_LEGACY_LIST_UNREADABLE. */
  unreadable?: boolean;
  themeJson?: string;
}

const longId = 'a'.repeat(10_000);
const tenThousand = JSON.stringify([...Array.from({ length: 9_999 }, (_, i) => `unknown-${i}`), 'billing']);

const CASES: Case[] = [
  { name: 'SQL NULL', json: null, warnings: ['W_LEGACY_LIST_NULL'], effective: DEFAULTS },
  { name: 'JSON null', json: 'null', warnings: ['W_LEGACY_LIST_NULL'], effective: DEFAULTS },
  { name: 'an object instead of an array', json: '{"billing": true, "accounts": true}', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'an empty object', json: '{}', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'a number', json: '42', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'a boolean', json: 'true', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'a bare string id', json: '"billing"', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'a JSON string containing an array (double-encoded)', json: JSON.stringify(JSON.stringify(['billing', 'accounts'])), warnings: ['W_LEGACY_LIST_DOUBLE_ENCODED'], effective: ['accounts', 'billing', 'payments'], unreadable: true },
  { name: 'a string that looks like a broken array', json: '"[billing, accounts"', warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
  { name: 'an empty array', json: '[]', warnings: [], effective: [] },
  { name: 'numbers', json: '[1, 2.5, -3, 1e300]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: [] },
  { name: 'numbers JavaScript cannot hold exactly', json: '[12345678901234567890, 1.10, -0.000000000000000000001, "accounts"]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: ['accounts'] },
  { name: 'nested arrays', json: '[["billing"], "accounts", [[["payments"]]]]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: ['accounts'] },
  { name: 'null entries', json: '[null, "accounts", null]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: ['accounts'] },
  { name: 'booleans', json: '[true, false, "accounts"]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: ['accounts'] },
  { name: 'objects as entries', json: '[{"id": "billing", "enabled": true}, "accounts"]', warnings: ['W_LEGACY_ENTRY_NOT_STRING'], effective: ['accounts'] },
  { name: '10,000 entries', json: tenThousand, warnings: ['W_LEGACY_LIST_HUGE', 'W_LEGACY_NO_PACKAGE', 'W_WARNINGS_TRUNCATED'], effective: ['billing', 'payments'] },
  { name: 'unknown ids', json: '["crm-classic", "accounts"]', warnings: ['W_LEGACY_NO_PACKAGE'], effective: ['accounts'] },
  { name: 'aliases (legacyIds)', json: '["billing-v1", "notify"]', warnings: ['W_LEGACY_ENTRY_ALIAS'], effective: ['billing', 'notifications', 'payments'] },
  { name: 'duplicates, also through an alias', json: '["accounts", "accounts", "billing", "billing-v1", "crm", "crm"]', warnings: ['W_LEGACY_ENTRY_DUPLICATE'], effective: ['accounts', 'billing', 'payments'] },
  { name: 'wrong case', json: '["Billing", "ACCOUNTS"]', warnings: ['W_LEGACY_ENTRY_CASE', 'W_LEGACY_NO_PACKAGE'], effective: [] },
  { name: 'stray whitespace', json: '[" billing", "accounts\\n", "\\tpayments\\t"]', warnings: ['W_LEGACY_ENTRY_WHITESPACE'], effective: [] },
  { name: 'empty and blank strings', json: '["", "   ", "accounts"]', warnings: ['W_LEGACY_ENTRY_EMPTY', 'W_LEGACY_NO_PACKAGE'], effective: ['accounts'] },
  { name: 'a very long id', json: JSON.stringify([longId, 'accounts']), warnings: ['W_LEGACY_ENTRY_TOO_LONG'], effective: ['accounts'] },
  { name: 'unicode ids', json: '["bïlling", "账户", "💳", "accounts"]', warnings: ['W_LEGACY_NO_PACKAGE'], effective: ['accounts'] },
  { name: 'SQL-looking strings', json: JSON.stringify(["billing'; DROP TABLE clients; --", "' OR '1'='1", 'accounts']), warnings: ['W_LEGACY_NO_PACKAGE'], effective: ['accounts'] },
  { name: 'a mix of everything', json: '[null, 1, "billing-v1", "Billing", " accounts ", "", ["x"], {"a": 1}, true, "ghost", "ghost"]', warnings: ['W_LEGACY_ENTRY_NOT_STRING', 'W_LEGACY_ENTRY_ALIAS', 'W_LEGACY_ENTRY_CASE', 'W_LEGACY_ENTRY_WHITESPACE', 'W_LEGACY_ENTRY_EMPTY', 'W_LEGACY_ENTRY_DUPLICATE', 'W_LEGACY_NO_PACKAGE'], effective: ['billing', 'payments'] },
  { name: 'theme_overrides not an object', json: '["accounts"]', themeJson: '[1, 2]', warnings: ['W_LEGACY_OVERRIDES_NOT_OBJECT'], effective: ['accounts'] },
  { name: 'a deeply nested object', json: JSON.stringify({ a: { b: { c: { d: ['billing'] } } } }), warnings: ['W_LEGACY_LIST_NOT_ARRAY'], effective: DEFAULTS, unreadable: true },
];

describeStores('malformed legacy rows', (ctx) => {
  it(`covers at least 20 kinds of bad data (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES)('$name: warnings with codes, no crash, row unchanged', async (c) => {
    const store = await ctx.open();
    await initLegacySchema(store);
    await seedClient(store, ACME, c.json === null ? undefined : c.json, c.themeJson ? { themeOverridesJson: c.themeJson } : {});
    if (c.json === null) await store.query(`INSERT INTO client_app_overrides (client_id, modules_enabled) VALUES ($1, NULL)`, [ACME]);
    const before = await rawRow(store, ACME);
    expect(before).toBeDefined();

    const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
    const result = await unifier.unifyModuleSystems(ACME);
    const codes = new Set(result.warnings.map((w) => w.code));
    for (const code of c.warnings) expect(codes, `warning ${code}`).toContain(code);
    for (const w of result.warnings) {
      expect(w.code).toMatch(/^W_[A-Z_]+$/);
      expect(w.message.length).toBeGreaterThan(10);
      expect(w.message.length).toBeLessThan(500);
    }
    expect(result.effective).toEqual(c.effective);
    expect(result.modules.length).toBeLessThanOrEqual(catalog.modules().length + 100);

    // Every read path: legacy API, module config, the config source.
    const api = createLegacyApi(store, { catalog: () => catalog });
    const row = await api.getModuleOverrides(ACME);
    expect(row?.client_id).toBe(ACME);
    await unifier.getModuleConfig(ACME, 'billing');
    const source = await createUnifiedConfigSource(store);
    const set = await source.clientModuleSet(ACME, catalog);
    expect([...set.enabled].sort()).toEqual(c.effective);
    await source.close();

    // A write that would have to edit an unreadable list is refused, not a silent rewrite.
    if (c.unreadable) {
      const error = await unifier.enableModule(ACME, 'analytics', false).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_LEGACY_LIST_UNREADABLE' });
      expect((error as Error).message).toContain('never rewrites bad legacy data');
    }
    expect(await rawRow(store, ACME)).toBe(before);

    // A write to a readable list appends the module and leaves every stored entry, bad ones
    // included, byte for byte as it was.
    const list = async () => (await store.query<{ t: string | null }>('SELECT modules_enabled::text AS t FROM client_app_overrides WHERE client_id = $1', [ACME])).rows[0]!.t;
    const stored = await list();
    if (stored !== null && stored.startsWith('[')) {
      expect(await unifier.enableModule(ACME, 'analytics', false)).toBe(true);
      expect(await list()).toBe(stored === '[]' ? '["analytics"]' : `${stored.slice(0, -1)}, "analytics"]`);
    }
    unifier.dispose();
  });
});
