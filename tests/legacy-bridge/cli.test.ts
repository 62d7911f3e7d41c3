import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { openStore } from '../../src/legacy-bridge/index.js';
import { DEMO_CLIENTS } from '../../src/legacy-bridge/legacy/legacySchema.js';
import { createTestDatabase, PG_URL } from './support/stores.js';

const MODULES = path.resolve(import.meta.dirname, '../fixtures/legacy-bridge/modules');
const ACME = DEMO_CLIENTS[0]!.id; // ["accounts", "billing", "notifications"]
const UMBRELLA = DEMO_CLIENTS[3]!.id; // bad data

function capture(): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(text: string) {
      io.stdout += text.endsWith('\n') ? text : `${text}\n`;
    },
    err(text: string) {
      io.stderr += text.endsWith('\n') ? text : `${text}\n`;
    },
  };
  return io;
}

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, ...io };
}

const targets: { name: string; setup(): Promise<{ url: string; cleanup(): Promise<void> }> }[] = [
  {
    name: 'pglite',
    async setup() {
      const dir = await mkdtemp(path.join(tmpdir(), 'hotmod-cli-'));
      return { url: `pglite://${path.join(dir, 'db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];
if (!PG_URL) {
  describe('hotmod db / clients [postgres]', () => {
    it.skip('SKIPPED: PostgreSQL server tests — set HOTMOD_TEST_PG_URL to run them', () => {});
  });
}
if (PG_URL) targets.push({ name: 'postgres', setup: async () => { const db = await createTestDatabase(); return { url: db.url, cleanup: db.drop }; } });

for (const target of targets) {
  describe(`hotmod db / clients [${target.name}]`, () => {
    let url = '';
    let cleanup: () => Promise<void> = async () => {};
    beforeAll(async () => {
      ({ url, cleanup } = await target.setup());
    });
    afterAll(() => cleanup());

    it('db init --demo creates the legacy tables and demo clients, and is idempotent', async () => {
      const first = await run('db', 'init', '--demo', '--store', url, '--json');
      expect(first.code).toBe(0);
      const report = JSON.parse(first.stdout);
      expect(report).toMatchObject({ created: ['clients', 'client_app_overrides'], triggerAdded: true, schema: { core: 1 } });
      expect(report.demoClients).toHaveLength(DEMO_CLIENTS.length);
      const again = await run('db', 'init', '--demo', '--store', url);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('clients and client_app_overrides exist: used as they are');
      expect(again.stdout).toContain('demo clients exist already');

      // The seed's schema: the columns, their types, and client_id referencing clients(id).
      const store = await openStore(url);
      try {
        const { rows: columns } = await store.query<{ c: string }>(
          `SELECT column_name || ' ' || data_type AS c FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'client_app_overrides' ORDER BY ordinal_position`,
        );
        expect(columns.map((r) => r.c)).toEqual([
          'id uuid',
          'client_id uuid',
          'modules_enabled jsonb',
          'theme_overrides jsonb',
          'consultation_config jsonb',
          'plan_catalog_overrides jsonb',
          'created_at timestamp with time zone',
          'updated_at timestamp with time zone',
        ]);
        const { rows: fk } = await store.query<{ def: string }>(
          `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'client_app_overrides'::regclass AND contype = 'f'`,
        );
        expect(fk.map((r) => r.def)).toEqual([expect.stringMatching(/^FOREIGN KEY \(client_id\) REFERENCES clients\(id\)/)]);
        const { rows: idType } = await store.query<{ t: string }>(`SELECT data_type AS t FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'clients' AND column_name = 'id'`);
        expect(idType).toEqual([{ t: 'uuid' }]);
      } finally {
        await store.close();
      }
    }, 120_000);

    it('clients show prints module, enabled, source, implicit and warnings', async () => {
      const json = await run('clients', 'show', ACME, '--modules', MODULES, '--store', url, '--json');
      expect(json.code).toBe(0);
      const result = JSON.parse(json.stdout);
      expect(result.effective).toEqual(['accounts', 'billing', 'payments']);
      expect(result.modules.find((m: { moduleId: string }) => m.moduleId === 'payments')).toMatchObject({ enabled: true, implicit: true, source: 'registry' });
      expect(result.modules.find((m: { moduleId: string }) => m.moduleId === 'notifications')).toMatchObject({ enabled: true, source: 'legacy' });

      const human = await run('clients', 'show', UMBRELLA, '--modules', MODULES, '--store', url);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/MODULE\s+ENABLED\s+SOURCE\s+IMPLICIT\s+RUNNABLE\s+WARNINGS/);
      expect(human.stdout).toMatch(/Billing\s+yes\s+legacy\s+no\s+W_LEGACY_ENTRY_CASE/);
      expect(human.stdout).toContain('W_LEGACY_ENTRY_NOT_STRING');
      expect(human.stdout).toContain('effective: accounts');
    }, 120_000);

    it('resolve --client plans exactly the modules effective for that client', async () => {
      const json = await run('resolve', '--client', ACME, '--modules', MODULES, '--store', url, '--json');
      expect(json.code).toBe(0);
      const plan = JSON.parse(json.stdout);
      expect(plan.client).toMatchObject({ clientId: ACME, effective: ['accounts', 'billing', 'payments'] });
      expect(plan.modules.map((m: { id: string }) => m.id).sort()).toEqual(['accounts', 'billing', 'payments']);
      // With billing optionally wanting analytics.track: a plan of billing alone pulls analytics
      // in, but this client has not enabled analytics, so its plan leaves the binding empty.
      const optionalDir = await mkdtemp(path.join(tmpdir(), 'hotmod-cli-optional-'));
      try {
        await cp(MODULES, optionalDir, { recursive: true });
        const manifestFile = path.join(optionalDir, 'billing', 'package.json');
        const pkg = JSON.parse(await readFile(manifestFile, 'utf8'));
        pkg.hotmod.optionalRequires = { 'analytics.track': '^1.0.0' };
        await writeFile(manifestFile, JSON.stringify(pkg));
        const whole = JSON.parse((await run('resolve', 'billing', '--modules', optionalDir, '--json')).stdout);
        expect(whole.modules.find((m: { id: string }) => m.id === 'billing').optionalBindings).toEqual({ 'analytics.track': 'analytics' });
        const forClient = await run('resolve', '--client', ACME, '--modules', optionalDir, '--store', url, '--json');
        expect(forClient.code).toBe(0);
        const clientPlan = JSON.parse(forClient.stdout);
        expect(clientPlan.modules.map((m: { id: string }) => m.id).sort()).toEqual(['accounts', 'billing', 'payments']);
        expect(clientPlan.modules.find((m: { id: string }) => m.id === 'billing').optionalBindings).toEqual({ 'analytics.track': null });
      } finally {
        await rm(optionalDir, { recursive: true, force: true });
      }
      expect(plan.levels.flat().indexOf('accounts')).toBeLessThan(plan.levels.flat().indexOf('billing'));
      const human = await run('resolve', '--client', ACME, '--modules', MODULES, '--store', url);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`client ${ACME}: effective modules accounts, billing, payments`);
      const both = await run('resolve', 'accounts', '--client', ACME, '--store', url);
      expect(both.code).toBe(2);
      const bad = await run('resolve', '--client', "x'; DROP TABLE clients; --", '--modules', MODULES, '--store', url, '--json');
      expect(bad.code).toBe(1);
    }, 120_000);

    it('clients enable / disable change the client and print the new view', async () => {
      const enabled = await run('clients', 'enable', ACME, 'analytics', '--modules', MODULES, '--store', url);
      expect(enabled.code).toBe(0);
      expect(enabled.stdout).toContain('enabled analytics');
      expect(enabled.stdout).toContain('effective: accounts, analytics, billing, payments');
      const disabled = await run('clients', 'disable', ACME, 'billing-v1', 'analytics', '--modules', MODULES, '--store', url, '--json');
      expect(disabled.code).toBe(0);
      expect(JSON.parse(disabled.stdout)).toMatchObject({ action: 'disable', changes: [{ module: 'billing-v1', changed: true }, { module: 'analytics', changed: true }], effective: ['accounts'] });
    }, 120_000);

    it('fails with the error code for a bad client id or an unknown module (exit 1)', async () => {
      const badId = await run('clients', 'show', "x'; DROP TABLE clients; --", '--modules', MODULES, '--store', url, '--json');
      expect(badId.code).toBe(1);
      expect(JSON.parse(badId.stdout).error.code).toBe('E_CLIENT_ID_INVALID');
      const unknown = await run('clients', 'enable', ACME, 'crm', '--modules', MODULES, '--store', url);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('error E_MODULE_UNKNOWN');
    }, 120_000);

    it('clients enable refuses an id neither system knows (E_CLIENT_UNKNOWN, nearest ids named) unless --create', async () => {
      const typo = `${ACME.slice(0, -1)}${ACME.endsWith('0') ? '9' : '0'}`;
      const refused = await run('clients', 'enable', typo, 'analytics', '--advanced', '--modules', MODULES, '--store', url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('error E_CLIENT_UNKNOWN');
      expect(refused.stderr).toContain(`nearest known ids: ${ACME}`);
      const json = await run('clients', 'disable', 'tenant-new', 'accounts', '--modules', MODULES, '--store', url, '--json');
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'E_CLIENT_UNKNOWN', details: { clientId: 'tenant-new' } });
      const created = await run('clients', 'enable', 'tenant-new', 'analytics', '--create', '--modules', MODULES, '--store', url, '--json');
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ action: 'enable', changes: [{ module: 'analytics', changed: true }], clientId: 'tenant-new' });
      expect(JSON.parse(created.stdout).effective).toContain('analytics');
      // Known now: no --create needed.
      expect((await run('clients', 'disable', 'tenant-new', 'analytics', '--modules', MODULES, '--store', url)).code).toBe(0);
    }, 120_000);
  });
}

describe('hotmod db / clients usage', () => {
  it('exits 2 with the usage for missing or unknown arguments', async () => {
    for (const argv of [['clients'], ['clients', 'show'], ['clients', 'enable', ACME], ['clients', 'frob', ACME], ['db'], ['db', 'drop'], ['clients', 'show', ACME, '--advanced'], ['clients', 'show', ACME, '--create']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage:');
    }
  });
});
