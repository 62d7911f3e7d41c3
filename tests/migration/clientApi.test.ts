import { beforeAll, expect, it } from 'vitest';
import { isHotmodError, type HotmodErrorCode } from '../../src/errors.js';
import { createLegacyApi, loadCatalogView, MigrationErrorCode, ModuleDataMigrator, type Store } from '../../src/legacy-bridge/index.js';
import { planClientMigration } from '../../src/legacy-bridge/migrator/planClientMigration.js';
import type { CatalogView } from '../../src/types.js';
import { CLIENT_KINDS, generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

async function rejectsWith(promise: Promise<unknown>, code: HotmodErrorCode, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHotmodError(error, code), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describeStores('the per-client migrator API', (ctx) => {
  async function setup(): Promise<{ store: Store; m: ModuleDataMigrator; byKind: (name: string) => string }> {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, CLIENT_KINDS.length);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    return { store, m, byKind: (name) => ids.find((id) => kindOf.get(id)!.name === name)! };
  }

  it('plans, executes, validates, reports progress and rolls one client back byte for byte', { timeout: 60_000 }, async () => {
    const { store, m, byKind } = await setup();
    const client = byKind('registry-only-enable');
    const before = await snapshotRows(store);
    const plan = await m.createModuleMigrationPlan(client, { strategy: 'merge' });
    expect(plan).toMatchObject({ outcome: 'migrate', strategy: 'merge', effectiveBefore: ['accounts', 'notifications'], effectiveAfter: ['accounts', 'notifications'] });
    expect(plan.registryWrites).toEqual([
      { moduleId: 'accounts', enabled: true },
      { moduleId: 'notifications', enabled: true },
    ]);
    expect(plan.legacyList).toEqual(['accounts', 'notifications']);
    expect((await m.validateModuleMigration(client)).valid).toBe(false);

    const result = await m.executeModuleMigration(client, plan);
    expect(result).toMatchObject({ clientId: client, migrated: ['accounts', 'notifications'], skipped: [], failed: [] });
    expect(result.backupId).toMatch(/^[0-9a-f-]{36}$/);
    const validation = await m.validateModuleMigration(client);
    expect(validation).toMatchObject({ valid: true, effective: ['accounts', 'notifications'], unmigrated: [], issues: [] });
    expect(validation.lastMigration).toMatchObject({ backupId: result.backupId, effectiveUnchanged: true });
    const legacy = createLegacyApi(store, { catalog: () => catalog });
    expect((await legacy.getModuleOverrides(client))!.modules_enabled).toEqual(['accounts', 'notifications']);

    const progress = await m.getRunProgress(result.runId);
    expect(progress).toMatchObject({ runId: result.runId, kind: 'single', status: 'completed', total: 1, migrated: 1, pending: 0, percent: 100 });

    await m.rollbackModuleMigration(result.backupId!);
    const after = await snapshotRows(store);
    expect([...after.legacy].sort()).toEqual([...before.legacy].sort());
    expect([...after.registry].sort()).toEqual([...before.registry].sort());
    await rejectsWith(m.rollbackModuleMigration(result.backupId!), MigrationErrorCode.RUN_STATE, /restored already/);
  });

  it('refuses a stale plan and writes nothing', { timeout: 60_000 }, async () => {
    const { store, m, byKind } = await setup();
    const client = byKind('plain');
    const plan = await m.createModuleMigrationPlan(client);
    await createLegacyApi(store, { catalog: () => catalog }).saveModuleOverrides(client, ['accounts']);
    const before = await snapshotRows(store);
    await rejectsWith(m.executeModuleMigration(client, plan), MigrationErrorCode.PLAN_STALE, /changed since the plan was made/);
    const now = await snapshotRows(store);
    expect([...now.legacy].sort()).toEqual([...before.legacy].sort());
    expect([...now.registry].sort()).toEqual([...before.registry].sort());
    const { rows } = await store.query('SELECT 1 FROM hotmod_migration_backups');
    expect(rows).toEqual([]);
  });

  it('reports skips and failures per client with their codes', { timeout: 60_000 }, async () => {
    const { store, m, byKind } = await setup();
    const unreadable = await m.executeModuleMigration(byKind('object'), await m.createModuleMigrationPlan(byKind('object')));
    expect(unreadable).toMatchObject({ backupId: null, migrated: [], skipped: [{ reason: 'S_LEGACY_UNREADABLE' }] });
    await store.query(
      `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, source, migrated_at) VALUES ($1, 'billing', true, 'migration', now())`,
      [byKind('plain-small')],
    );
    const plan = await m.createModuleMigrationPlan(byKind('plain-small'));
    expect(plan).toMatchObject({ outcome: 'fail', reason: MigrationErrorCode.OUT_OF_STEP });
    const failed = await m.executeModuleMigration(byKind('plain-small'), plan);
    expect(failed.failed).toEqual([expect.objectContaining({ code: MigrationErrorCode.OUT_OF_STEP, message: expect.stringMatching(/billing.*disagree with modules_enabled/) })]);
    const v = await m.validateModuleMigration(byKind('plain-small'));
    expect(v.valid).toBe(false);
    expect(v.issues.map((i) => i.code)).toContain(MigrationErrorCode.OUT_OF_STEP);
  });

  it('rejects bad input with coded errors', { timeout: 60_000 }, async () => {
    const { m, byKind } = await setup();
    await rejectsWith(m.createModuleMigrationPlan(byKind('plain'), { strategy: 'overwrite' as never }), MigrationErrorCode.STRATEGY_INVALID, /'overwrite' is not known; use merge, replace or preserve/);
    await rejectsWith(m.rollbackModuleMigration('00000000-0000-4000-8000-000000000000'), MigrationErrorCode.BACKUP_NOT_FOUND, /no backup/);
    await rejectsWith(m.getRunProgress('run-nope'), MigrationErrorCode.RUN_NOT_FOUND, /no run 'run-nope'/);
    await rejectsWith(m.runMigration({ batchSize: 0 }), MigrationErrorCode.OPTIONS_INVALID, /batch size 0 is out of range/);
    await rejectsWith(m.runMigration({ maxFailureRate: 2 }), MigrationErrorCode.OPTIONS_INVALID, /max failure rate 2 is out of range/);
    await rejectsWith(m.runMigration({ runId: 'run-nope' }), MigrationErrorCode.RUN_NOT_FOUND, /no run 'run-nope'/);
    await rejectsWith(m.createModuleMigrationPlan('bad id!'), 'E_CLIENT_ID_INVALID', /not valid/);
    const empty = new ModuleDataMigrator((m as unknown as { store?: Store }).store ?? (await ctx.open()), { catalog: () => ({ generation: 1, modules: () => [], get: () => undefined, resolveId: () => undefined, bindings: () => undefined, providers: () => [] }) });
    await rejectsWith(empty.runMigration({ dryRun: true }), MigrationErrorCode.CATALOG_EMPTY, /no usable module/);
  });

  it('an interrupted run is resumed by the next matching run, and blocks a different one', { timeout: 60_000 }, async () => {
    const { m, byKind } = await setup();
    const abort = new AbortController();
    const first = await m.runMigration({ batchSize: 5, signal: abort.signal, onProgress: (p) => p.phase === 'migration' && abort.abort() });
    expect(first.status).toBe('interrupted');
    expect(first.counts.pending).toBe(CLIENT_KINDS.length - 5);
    await rejectsWith(m.runMigration({ clients: [byKind('plain')] }), MigrationErrorCode.RUN_IN_PROGRESS, new RegExp(`run '${first.runId}' .* did not finish; resume it with --run ${first.runId}`));
    await rejectsWith(m.runMigration({ strategy: 'replace' }), MigrationErrorCode.RUN_IN_PROGRESS, /did not finish/);
    const resumed = await m.runMigration({ batchSize: 5 });
    expect(resumed).toMatchObject({ runId: first.runId, resumed: true, status: 'completed' });
    expect(resumed.counts.pending).toBe(0);
    await rejectsWith(m.runMigration({ runId: first.runId! }), MigrationErrorCode.RUN_STATE, /is completed, there is nothing to resume/);
  });

  it('a dry run writes nothing and predicts what the run does', { timeout: 60_000 }, async () => {
    const { store, m } = await setup();
    const before = await snapshotRows(store);
    const plan = await m.runMigration({ dryRun: true, strategy: 'replace' });
    expect(plan).toMatchObject({ dryRun: true, status: 'planned', runId: null });
    const now = await snapshotRows(store);
    expect([...now.legacy].sort()).toEqual([...before.legacy].sort());
    expect([...now.registry].sort()).toEqual([...before.registry].sort());
    expect((await store.query('SELECT 1 FROM hotmod_migration_runs')).rows).toEqual([]);
    const run = await m.runMigration({ strategy: 'replace' });
    expect(run.counts).toMatchObject({ migrated: plan.counts.migrated, skipped: plan.counts.skipped, failed: plan.counts.failed });
    expect(run.reasons).toEqual(plan.reasons);
  });
});

it('plans are pure: the same rows give the same plan, and every strategy keeps the effective set', async () => {
  for (const kind of CLIENT_KINDS) {
    const state = {
      clientId: '6f1c2a44-93b5-4c1e-9d55-3f0e9a1b2c3d',
      legacy: kind.modules === undefined ? null : { id: 'x', client_id: 'c', modules_enabled: kind.modules === null ? null : JSON.parse(kind.modules), theme_overrides: {}, consultation_config: {}, plan_catalog_overrides: {}, created_at: null, updated_at: null },
      legacyRowCount: kind.modules === undefined ? 0 : 1,
      registry: (kind.registry ?? []).map((r) => ({ client_id: 'c', module_id: r.module, enabled: r.enabled, custom_settings: {}, source: 'registry', migrated_at: r.migrated ? new Date(0) : null, updated_at: null })),
    };
    for (const strategy of ['merge', 'replace', 'preserve'] as const) {
      const a = planClientMigration(state, catalog, strategy, new Date(1));
      const b = planClientMigration(state, catalog, strategy, new Date(1));
      expect(a, `${kind.name} ${strategy}`).toEqual(b);
      expect(a.outcome, `${kind.name} ${strategy}`).not.toBe('fail');
      expect(a.effectiveAfter).toEqual(a.effectiveBefore);
    }
  }
});
