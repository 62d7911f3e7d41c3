/**
 * host.explain over a real host: real module folders (tests/fixtures/explain/modules),
 * real isolates, the real legacy bridge on an in-memory PGlite store. One case per rule of
 * the unified view (docs/legacy-bridge.md "The unified view"), then the runtime facts
 * (lifecycle, provider, last failure, routing) and the action a disabled module ends with.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, renderExplanation, tokens, type ExplainFact, type Explanation, type Host } from '../../src/index.js';
import { initLegacySchema, type Store } from '../../src/legacy-bridge/index.js';

const MODULES = path.resolve(import.meta.dirname, '../fixtures/explain/modules');

const LIST = '0e000000-0000-4000-8000-000000000001'; // ["billing-v1", "Analytics", "ghost", "crashy", "reports"]
const NULL_LIST = '0e000000-0000-4000-8000-000000000002'; // modules_enabled NULL
const CONFLICT = '0e000000-0000-4000-8000-000000000003'; // ["billing"] + a row disabling billing
const REQUIRED = '0e000000-0000-4000-8000-000000000004'; // ["billing"] + a row disabling payments
const MIGRATED = '0e000000-0000-4000-8000-000000000005'; // [] + a migrated row enabling billing
const UNREADABLE = '0e000000-0000-4000-8000-000000000006'; // {"billing": true}
const DEPENDENT = '0e000000-0000-4000-8000-000000000007'; // ["audit", " billing "]
const PLAIN = 'shop-7'; // registry rows only: payments-lite, phantom
const NOBODY = 'nobody-1'; // no rows anywhere

let host: Host;
let store: Store;

async function seed(clientId: string, listJson: string | null): Promise<void> {
  await store.query('INSERT INTO clients (id, name) VALUES ($1, $2)', [clientId, `client ${clientId.slice(-2)}`]);
  await store.query('INSERT INTO client_app_overrides (client_id, modules_enabled) VALUES ($1, $2::jsonb)', [clientId, listJson]);
}
async function row(clientId: string, moduleId: string, enabled: boolean, migrated = false): Promise<void> {
  await store.query(`INSERT INTO hotmod_module_configs (client_id, module_id, enabled, source, migrated_at) VALUES ($1, $2, $3, $4, ${migrated ? 'now()' : 'NULL'})`, [
    clientId,
    moduleId,
    enabled,
    migrated ? 'migration' : 'registry',
  ]);
}

function facts<K extends ExplainFact['kind']>(e: Explanation, kind: K): Extract<ExplainFact, { kind: K }>[] {
  return e.facts.filter((f): f is Extract<ExplainFact, { kind: K }> => f.kind === kind);
}
function fact<K extends ExplainFact['kind']>(e: Explanation, kind: K): Extract<ExplainFact, { kind: K }> {
  const found = facts(e, kind);
  expect(found.length, `${kind} in ${JSON.stringify(e.facts)}`).toBeGreaterThan(0);
  return found[0]!;
}
function lastFact(e: Explanation): ExplainFact {
  return e.facts[e.facts.length - 1]!;
}

beforeAll(async () => {
  host = await createHost({ modulesDir: MODULES, store: 'memory', configFile: false, restart: { maxRestarts: 0 } });
  await host.start();
  store = host.container.resolve(tokens.STORE);
  await initLegacySchema(store);
  await seed(LIST, '["billing-v1", "Analytics", "ghost", "crashy", "reports"]');
  await seed(NULL_LIST, null);
  await seed(CONFLICT, '["billing"]');
  await row(CONFLICT, 'billing', false);
  await seed(REQUIRED, '["billing"]');
  await row(REQUIRED, 'payments', false);
  await seed(MIGRATED, '[]');
  await row(MIGRATED, 'billing', true, true);
  await seed(UNREADABLE, '{"billing": true}');
  await seed(DEPENDENT, '["audit", " billing "]');
  await row(PLAIN, 'payments-lite', true);
  await row(PLAIN, 'phantom', true);
}, 120_000);

afterAll(async () => {
  await host?.stop();
});

describe('rule 1: the base set', () => {
  it('names the legacy entry that enabled the module, an alias included', async () => {
    const e = await host.explain(LIST, 'billing');
    expect(fact(e, 'legacy-list')).toMatchObject({ rule: 1, state: 'list', entries: 5 });
    expect(fact(e, 'legacy-entry')).toEqual({ kind: 'legacy-entry', rule: 1, entry: 'billing-v1', index: 0, alias: true });
    expect(e.serves).toBe(true);
    expect(e.version).toBe('2.0.0');
    expect(lastFact(e)).toEqual({ kind: 'verdict', serves: true, version: '2.0.0' });
  });

  it('resolves a legacy id asked for to the module it names', async () => {
    const e = await host.explain(LIST, 'billing-v1');
    expect(e.moduleId).toBe('billing');
    expect(e.asked).toBe('billing-v1');
    expect(e.serves).toBe(true);
  });

  it('a readable list is the complete base: a default-enabled module it misses (by case) is off, and enabling it is the action', async () => {
    const e = await host.explain(LIST, 'analytics');
    expect(fact(e, 'catalog')).toMatchObject({ defaultEnabled: true });
    expect(fact(e, 'legacy-near-miss')).toEqual({ kind: 'legacy-near-miss', rule: 1, entry: 'Analytics', index: 1, problem: 'case' });
    expect(fact(e, 'legacy-not-named')).toBeDefined();
    expect(facts(e, 'catalog-default')).toEqual([]);
    expect(e.serves).toBe(false);
    expect(lastFact(e)).toEqual({
      kind: 'action',
      action: { type: 'enable', command: `hotmod clients enable ${LIST} analytics`, api: `host.unifier.enableModule('${LIST}', 'analytics')` },
    });
  });

  it('an entry with stray whitespace does not enable the module, and says so', async () => {
    const e = await host.explain(DEPENDENT, 'billing');
    expect(fact(e, 'legacy-near-miss')).toEqual({ kind: 'legacy-near-miss', rule: 1, entry: ' billing ', index: 1, problem: 'whitespace' });
    expect(e.serves).toBe(false);
    expect(fact(e, 'action').action.type).toBe('enable');
  });

  it('with a NULL list, an unreadable one or no row, the catalog default decides', async () => {
    for (const [client, state] of [[NULL_LIST, 'null'], [UNREADABLE, 'unreadable'], [NOBODY, 'absent']] as const) {
      const on = await host.explain(client, 'accounts');
      expect(fact(on, 'legacy-list').state).toBe(state);
      expect(fact(on, 'catalog-default')).toEqual({ kind: 'catalog-default', rule: 1, defaultEnabled: true });
      expect(on.serves).toBe(true);
      const off = await host.explain(client, 'billing');
      expect(fact(off, 'catalog-default').defaultEnabled).toBe(false);
      expect(off.serves).toBe(false);
      expect(fact(off, 'action').action.type).toBe('enable');
    }
  });
});

describe('rule 2: registry rows decide', () => {
  it('a row disabling a module the list names wins, and says it disagrees', async () => {
    const e = await host.explain(CONFLICT, 'billing');
    expect(fact(e, 'legacy-entry')).toMatchObject({ entry: 'billing', alias: false });
    expect(fact(e, 'registry-row')).toEqual({ kind: 'registry-row', rule: 2, enabled: false, source: 'registry', migratedAt: null, conflict: 'C_LEGACY_REGISTRY_DISAGREE' });
    expect(e.serves).toBe(false);
    expect(fact(e, 'action').action).toMatchObject({ type: 'enable', command: `hotmod clients enable ${CONFLICT} billing` });
  });

  it('the action it names works: after enableModule the module serves', async () => {
    await host.unifier!.enableModule(CONFLICT, 'billing');
    const e = await host.explain(CONFLICT, 'billing');
    expect(fact(e, 'registry-row')).toMatchObject({ enabled: true });
    expect(facts(e, 'registry-row')[0]!.conflict).toBeUndefined();
    expect(e.serves).toBe(true);
    await expect(host.client(CONFLICT).invoke('billing.invoices', 'total')).resolves.toBe(42);
  });

  it('a migrated row is the source of truth, also against a list edited by SQL', async () => {
    const e = await host.explain(MIGRATED, 'billing');
    expect(fact(e, 'legacy-not-named')).toBeDefined();
    const r = fact(e, 'registry-row');
    expect(r).toMatchObject({ enabled: true, source: 'migration', conflict: 'C_MIGRATED_OUT_OF_STEP' });
    expect(r.migratedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(e.serves).toBe(true);
  });
});

describe('rule 3: source and packages', () => {
  it('a legacy entry without a package is recorded but not runnable: install the package', async () => {
    const e = await host.explain(LIST, 'ghost');
    expect(fact(e, 'no-package')).toEqual({ kind: 'no-package', rule: 3, moduleId: 'ghost', recordedBy: ['legacy-list'], nearest: [] });
    expect(fact(e, 'legacy-entry')).toMatchObject({ entry: 'ghost', index: 2 });
    expect(fact(e, 'configured')).toMatchObject({ enabled: true, effective: false, source: 'legacy' });
    expect(e.serves).toBe(false);
    expect(lastFact(e)).toEqual({ kind: 'action', action: { type: 'install-package', moduleId: 'ghost' } });
  });

  it('a registry row without a package, and a near name', async () => {
    const e = await host.explain(PLAIN, 'phantom');
    expect(fact(e, 'no-package').recordedBy).toEqual(['registry-row']);
    const typo = await host.explain(PLAIN, 'biling');
    expect(fact(typo, 'no-package').nearest).toEqual(['billing']);
    expect(fact(typo, 'action').action).toEqual({ type: 'install-package', moduleId: 'biling' });
  });

  it('a module named by the list and in the catalog is unified; a registry-only one is registry', async () => {
    expect(fact(await host.explain(LIST, 'billing'), 'configured').source).toBe('unified');
    const lite = await host.explain(PLAIN, 'payments-lite');
    expect(fact(lite, 'configured')).toMatchObject({ source: 'registry', enabled: true, explicit: true, effective: true });
    expect(fact(lite, 'legacy-list').state).toBe('absent');
  });
});

describe('rule 4: implicit requirements', () => {
  it('names the module that pulled it in, the requirement and the whole chain', async () => {
    const payments = await host.explain(LIST, 'payments');
    expect(fact(payments, 'implicit')).toEqual({ kind: 'implicit', rule: 4, requiredBy: 'billing', need: "capability 'payments.charge' ^1.0.0", chain: ['billing', 'payments'], overridesRow: false });
    const accounts = await host.explain(LIST, 'accounts');
    expect(fact(accounts, 'implicit')).toMatchObject({ requiredBy: 'payments', chain: ['billing', 'payments', 'accounts'] });
    expect(fact(accounts, 'configured')).toMatchObject({ enabled: true, explicit: false, effective: true });
    expect(accounts.serves).toBe(true);
  });

  it('pulls in a module its row disables, and says so', async () => {
    const e = await host.explain(REQUIRED, 'payments');
    expect(fact(e, 'registry-row').enabled).toBe(false);
    expect(fact(e, 'implicit').overridesRow).toBe(true);
    expect(e.serves).toBe(true);
    expect(renderExplanation(e)).toContain('C_REQUIRED_BUT_DISABLED');
  });

  it('a requirement nothing provides: the module is unresolved, and the action is a provider', async () => {
    const e = await host.explain(LIST, 'reports');
    expect(fact(e, 'requirement-unbound')).toEqual({ kind: 'requirement-unbound', rule: 4, need: "capability 'warehouse.query' ^1.0.0" });
    expect(fact(e, 'lifecycle').state).toBe('unresolved');
    expect(e.serves).toBe(false);
    expect(lastFact(e)).toEqual({ kind: 'action', action: { type: 'add-provider', need: "capability 'warehouse.query' ^1.0.0" } });
  });
});

describe('rule 5: explicit and effective', () => {
  it('an explicitly enabled module is explicit and effective; a disabled one is neither', async () => {
    expect(fact(await host.explain(LIST, 'billing'), 'configured')).toEqual({ kind: 'configured', rule: 5, enabled: true, explicit: true, effective: true, source: 'unified' });
    expect(fact(await host.explain(LIST, 'payments-lite'), 'configured')).toMatchObject({ enabled: false, explicit: false, effective: false });
  });
});

describe('the runtime', () => {
  it('names the provider each requirement is bound to and its state', async () => {
    const e = await host.explain(LIST, 'billing');
    expect(fact(e, 'provider')).toEqual({ kind: 'provider', capability: 'payments.charge', providerId: 'payments', state: 'active' });
    expect(fact(e, 'lifecycle')).toMatchObject({ state: 'active', version: '2.0.0', activation: 'eager', restarts: 0 });
  });

  it('a failed module: its state, its last failure, and fixing it is the action', async () => {
    const e = await host.explain(LIST, 'crashy');
    expect(fact(e, 'configured').effective).toBe(true);
    const life = fact(e, 'lifecycle');
    expect(life.state).toBe('failed');
    expect(life.reason).toContain('license server unreachable');
    const failure = fact(e, 'last-failure');
    expect(failure).toMatchObject({ event: 'module:failed' });
    expect(failure.message).toContain('license server unreachable');
    expect(e.serves).toBe(false);
    expect(lastFact(e)).toEqual({ kind: 'action', action: { type: 'fix-and-swap', moduleId: 'crashy', command: "host.swap('crashy')" } });
  });

  it('a module down because its provider failed: the provider named, and fixing the provider is the action', async () => {
    const e = await host.explain(DEPENDENT, 'audit');
    expect(fact(e, 'provider')).toEqual({ kind: 'provider', capability: 'crashy.run', providerId: 'crashy', state: 'failed' });
    expect(fact(e, 'lifecycle')).toMatchObject({ state: 'failed', dependency: 'crashy' });
    expect(e.serves).toBe(false);
    expect(lastFact(e)).toEqual({ kind: 'action', action: { type: 'fix-and-swap', moduleId: 'crashy', command: "host.swap('crashy')" } });
    expect(renderExplanation(e)).toContain('audit@0.2.0 is failed because crashy failed.');
    // crashy itself is pulled in for this client by audit.
    expect(fact(await host.explain(DEPENDENT, 'crashy'), 'implicit')).toMatchObject({ requiredBy: 'audit', chain: ['audit', 'crashy'] });
  });

  it('routing: the client calls reach the first provider in the resolver order that the client has', async () => {
    // shop-7 has payments-lite only: its calls reach it. With payments effective too (LIST), payments comes first.
    expect(fact(await host.explain(PLAIN, 'payments-lite'), 'routing')).toEqual({ kind: 'routing', capability: 'payments.charge', servedBy: 'payments-lite' });
    expect(fact(await host.explain(LIST, 'payments-lite'), 'routing')).toEqual({ kind: 'routing', capability: 'payments.charge', servedBy: 'payments' });
    // What the router does agrees.
    await expect(host.client(PLAIN).invoke('payments.charge', 'charge')).resolves.toBe('lite');
  });

  it('no rollout fact when no live rollout governs the module (tests/fleet/stagedRollout.test.ts has one that does)', async () => {
    expect(facts(await host.explain(LIST, 'billing'), 'rollout')).toEqual([]);
  });

  it('renders one short sentence per fact', async () => {
    const e = await host.explain(LIST, 'analytics');
    const text = renderExplanation(e);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`why analytics for client ${LIST}:`);
    expect(lines.length).toBe(e.facts.length + 1);
    expect(text).toContain("Entry 1 'Analytics' differs from 'analytics' in case");
    expect(lines[lines.length - 1]).toBe(`  To change that: hotmod clients enable ${LIST} analytics (or host.unifier.enableModule('${LIST}', 'analytics')).`);
  });

  it('refuses a bad client id with E_CLIENT_ID_INVALID', async () => {
    await expect(host.explain('no spaces allowed', 'billing')).rejects.toMatchObject({ code: 'E_CLIENT_ID_INVALID' });
  });
});

describe('a host without the legacy bridge', () => {
  it('explains from the configuration source it has, and the action is to edit it', async () => {
    const other = await createHost({ modulesDir: MODULES, store: 'none', configFile: path.resolve(import.meta.dirname, '../fixtures/explain/hotmod.config.json') });
    await other.start();
    try {
      const off = await other.explain('tenant-a', 'analytics');
      expect(fact(off, 'config-source')).toMatchObject({ enabled: false });
      expect(off.serves).toBe(false);
      expect(fact(off, 'action').action).toMatchObject({ type: 'edit-config' });
      const on = await other.explain('tenant-a', 'accounts');
      expect(fact(on, 'config-source')).toMatchObject({ enabled: true });
      expect(on.serves).toBe(true);
    } finally {
      await other.stop();
    }
  }, 60_000);
});

describe('after a recovery', () => {
  it('the last failure stays in the chain once the module serves again (fixed and swapped in)', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hotmod-explain-'));
    await cp(path.join(MODULES, 'crashy'), path.join(tmp, 'crashy'), { recursive: true });
    const own = await createHost({ modulesDir: tmp, store: 'none', configFile: false, restart: { maxRestarts: 0 } });
    await own.start();
    try {
      const before = await own.explain('tenant-b', 'crashy');
      expect(fact(before, 'lifecycle').state).toBe('failed');
      // The operator does what the action says: fix the module, swap it in.
      expect(fact(before, 'action').action).toMatchObject({ type: 'fix-and-swap', moduleId: 'crashy' });
      await writeFile(path.join(tmp, 'crashy/dist/index.js'), "export async function activate() { return { 'crashy.run': { async run() { return 'fine'; } } }; }\n");
      await own.swap('crashy');
      const after = await own.explain('tenant-b', 'crashy');
      expect(fact(after, 'lifecycle').state).toBe('active');
      expect(after.serves).toBe(true);
      expect(fact(after, 'last-failure').message).toContain('license server unreachable');
      await expect(own.client('tenant-b').invoke('crashy.run', 'run')).resolves.toBe('fine');
    } finally {
      await own.stop();
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
