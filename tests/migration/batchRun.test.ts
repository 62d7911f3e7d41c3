import { beforeAll, expect, it } from 'vitest';
import { loadCatalogView, MigrationErrorCode, ModuleDataMigrator, type Store } from '../../src/legacy-bridge/index.js';
import type { CatalogView } from '../../src/types.js';
import { CLIENT_KINDS, clientId, generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { refuseRegistryWrites } from './support/refuse.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

const N = 2000;
let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

async function effectiveSets(store: Store, m: ModuleDataMigrator, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // validateModuleMigration computes the effective set through the legacy bridge's view.
  for (const id of ids) out.set(id, (await m.validateModuleMigration(id)).effective.join(','));
  return out;
}

async function clientStatuses(store: Store, runId: string): Promise<Map<string, string>> {
  const { rows } = await store.query<{ client_id: string; status: string }>('SELECT client_id, status FROM hotmod_migration_run_clients WHERE run_id = $1', [runId]);
  return new Map(rows.map((r) => [r.client_id, r.status]));
}

function diffRows(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k));
}

describeStores('batch migration of 2,000 generated clients', (ctx) => {
  it('merge: migrates every client once, keeps every effective set, lists the intended differences, leaves malformed rows untouched', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, N);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const sample = ids.filter((_, i) => i % 23 === 0);
    const effectiveBefore = await effectiveSets(store, m, sample);

    const progress: number[] = [];
    const report = await m.runMigration({ clients: 'all', strategy: 'merge', batchSize: 128, onProgress: (p) => p.phase === 'migration' && progress.push(p.done) });
    expect(report.status).toBe('completed');
    expect(report.counts.total).toBe(N);
    expect(report.counts.pending).toBe(0);
    expect(report.counts.failed).toBe(0);
    expect(report.counts.migrated + report.counts.skipped).toBe(N);
    expect(progress.length).toBe(Math.ceil(N / 128));
    expect(progress.at(-1)).toBe(N);
    expect(report.verification).toMatchObject({ checked: report.counts.migrated, unchanged: report.counts.migrated, mismatches: [] });

    // Exactly once: one backup per migrated client, every client has a final status.
    const { rows: dup } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM hotmod_migration_backups WHERE run_id = $1', [report.runId]);
    expect(Number(dup[0]!.n)).toBe(report.counts.migrated);
    const statuses = await clientStatuses(store, report.runId!);
    expect(statuses.size).toBe(N);

    // Effective sets through the legacy bridge's own view, before and after.
    expect(await effectiveSets(store, m, sample)).toEqual(effectiveBefore);

    // Legacy rows change only where the report lists an intended difference; malformed rows never.
    const after = await snapshotRows(store);
    const changedLegacy = diffRows(before.legacy, after.legacy);
    const { rows: changedClients } = await store.query<{ client_id: string }>(
      `SELECT client_id::text FROM client_app_overrides WHERE id::text = ANY($1::text[])`,
      [changedLegacy],
    );
    const withDifferences = new Set(report.differences.map((d) => d.clientId));
    for (const { client_id } of changedClients) {
      expect(kindOf.get(client_id)!.malformed).not.toBe(true);
      expect(withDifferences.has(client_id) || report.truncated?.differences).toBeTruthy();
    }
    const kinds = new Set(changedClients.map((c) => kindOf.get(c.client_id)!.name));
    expect([...kinds].sort()).toEqual(['registry-disables-named', 'registry-only-enable']);
    const added = report.differences.find((d) => kindOf.get(d.clientId)!.name === 'registry-only-enable')!;
    expect(added.changes).toEqual([expect.objectContaining({ kind: 'legacy_entry_added', moduleId: 'notifications' })]);
    const plain = ids.find((id) => kindOf.get(id)!.name === 'aliases')!;
    expect((await m.validateModuleMigration(plain)).migrated.sort()).toEqual(['accounts', 'billing', 'notifications']);

    // Malformed rows: unreadable lists are skipped with a coded reason; the valid entries of the others migrate.
    expect(report.reasons).toMatchObject({ S_LEGACY_UNREADABLE: expect.any(Number), S_ALREADY_MIGRATED: expect.any(Number) });
    const nonStrings = ids.find((id) => kindOf.get(id)!.name === 'non-strings')!;
    expect(statuses.get(nonStrings)).toBe('migrated');
    expect((await m.validateModuleMigration(nonStrings)).migrated).toEqual(['accounts']);
    const object = ids.find((id) => kindOf.get(id)!.name === 'object')!;
    expect(statuses.get(object)).toBe('skipped');

    // A second run finds nothing left to do.
    const again = await m.runMigration({ clients: 'all', strategy: 'merge', batchSize: 500 });
    expect(again.status).toBe('completed');
    expect(again.counts.migrated).toBe(0);
    expect(diffRows(after.legacy, (await snapshotRows(store)).legacy)).toEqual([]);
  });

  it('rollback restores every legacy row and registry row byte for byte (merge and replace)', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, N);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    for (const strategy of ['merge', 'replace'] as const) {
      const report = await m.runMigration({ strategy, batchSize: 300 });
      expect(report.status).toBe('completed');
      const middle = await snapshotRows(store);
      expect(diffRows(before.legacy, middle.legacy).length + diffRows(before.registry, middle.registry).length).toBeGreaterThan(0);
      const rolled = await m.rollbackRun(report.runId!);
      expect(rolled.restored).toBe(report.counts.migrated);
      const after = await snapshotRows(store);
      expect(diffRows(before.legacy, after.legacy)).toEqual([]);
      expect(diffRows(before.registry, after.registry)).toEqual([]);
      expect((await m.getRunProgress(report.runId!)).status).toBe('rolled_back');
    }
  });

  it('preserve never touches a legacy row; replace rewrites only well-formed lists and skips malformed ones with a reason', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, CLIENT_KINDS.length * 20);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });

    const preserve = await m.runMigration({ strategy: 'preserve', batchSize: 100 });
    expect(preserve.status).toBe('completed');
    expect(preserve.verification!.mismatches).toEqual([]);
    expect(diffRows(before.legacy, (await snapshotRows(store)).legacy)).toEqual([]);
    // A module whose registry row and list disagree is not migrated: preserve would have to edit the list.
    const registryOnly = ids.find((id) => kindOf.get(id)!.name === 'registry-only-enable')!;
    const { rows: rc } = await store.query<{ changes: { skippedModules: unknown[] } }>('SELECT changes FROM hotmod_migration_run_clients WHERE run_id = $1 AND client_id = $2', [preserve.runId, registryOnly]);
    expect(rc[0]!.changes.skippedModules).toEqual([{ moduleId: 'notifications', reason: 'S_MODULE_CONFLICT' }]);
    expect((await m.validateModuleMigration(registryOnly)).unmigrated).toEqual(['notifications']);
    await m.rollbackRun(preserve.runId!);

    const replace = await m.runMigration({ strategy: 'replace', batchSize: 100 });
    expect(replace.status).toBe('completed');
    expect(replace.verification!.mismatches).toEqual([]);
    const statuses = await clientStatuses(store, replace.runId!);
    const after = await snapshotRows(store);
    const changed = new Set(diffRows(before.legacy, after.legacy));
    const { rows } = await store.query<{ id: string; client_id: string; m: string }>('SELECT id::text, client_id::text, modules_enabled::text AS m FROM client_app_overrides');
    for (const row of rows) {
      const kind = kindOf.get(row.client_id)!;
      if (kind.malformed && kind.name !== 'duplicates') {
        expect(changed.has(row.id)).toBe(false);
        // theme-not-object has a clean list (nothing to rewrite): its modules migrate, the row stays as it is.
        expect(statuses.get(row.client_id)).toBe(kind.name === 'theme-not-object' ? 'migrated' : 'skipped');
      }
      if (kind.name === 'aliases') expect(row.m).toBe('["accounts", "billing", "notifications"]');
      if (kind.name === 'duplicates') expect(row.m).toBe('["accounts", "billing"]');
    }
    const noRow = ids.find((id) => kindOf.get(id)!.name === 'no-row')!;
    const v = await m.validateModuleMigration(noRow);
    expect(v.migrated.sort()).toEqual(catalog.modules().map((x) => x.id).sort());
    expect(replace.differences.find((d) => d.clientId === noRow)!.changes.map((c) => c.kind)).toContain('default_pinned');
    expect(replace.reasons).toMatchObject({ S_LEGACY_MALFORMED: expect.any(Number), S_LEGACY_UNREADABLE: expect.any(Number) });
  });

  it('refuses a run at validation, before any change, when the failures it predicts exceed --max-failure-rate', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    // Every 8th client has a migrated row out of step with its list: 12.5% would fail.
    const { ids } = await generateClients(store, N, { failEvery: 8 });
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const report = await m.runMigration({ strategy: 'merge', batchSize: 100 });
    expect(report.status).toBe('refused');
    expect(report.validation).toMatchObject({ sampled: N, predictedFailures: N / 8, refused: { reason: MigrationErrorCode.FAILURE_RATE } });
    expect(report.validation!.refused!.message).toMatch(/250 of 2000 clients checked would fail \(12\.5%, more than the allowed 10\.0%\); nothing was changed/);
    expect(report.validation!.failures[0]).toMatchObject({ reason: MigrationErrorCode.OUT_OF_STEP });
    expect(report.counts).toMatchObject({ pending: N, migrated: 0 });
    const after = await snapshotRows(store);
    expect(diffRows(before.legacy, after.legacy)).toEqual([]);
    expect(diffRows(before.registry, after.registry)).toEqual([]);
    expect((await store.query('SELECT 1 FROM hotmod_migration_backups')).rows).toEqual([]);

    // Allowed 20%: the run completes and lists every failure with its code.
    const tolerant = await m.runMigration({ strategy: 'merge', batchSize: 250, maxFailureRate: 0.2 });
    expect(tolerant.status).toBe('completed');
    expect(tolerant.counts.failed).toBe(N / 8);
    expect(tolerant.failures.every((f) => f.reason === MigrationErrorCode.OUT_OF_STEP && f.message.includes('disagree with modules_enabled'))).toBe(true);
    expect(tolerant.failures.map((f) => f.clientId)).toContain(ids[0]);
  });

  it('rolls the whole run back automatically when more than --max-failure-rate of the clients fail during the run', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, N);
    // Failures validation cannot foresee: the database refuses the writes of 1 client in 4
    // (a real trigger, the way a constraint added by another team would).
    await store.exec(`
      CREATE FUNCTION refuse_some() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF right(NEW.client_id, 1) IN ('3', '7', 'b', 'f') THEN RAISE EXCEPTION 'client % is under legal hold', NEW.client_id; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_some BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION refuse_some();`);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const batches: number[] = [];
    const report = await m.runMigration({ strategy: 'merge', batchSize: 100, onProgress: (p) => p.phase === 'migration' && batches.push(p.done) });
    expect(report.status).toBe('rolled_back');
    expect(report.validation).toMatchObject({ sampled: N, predictedFailures: 0 });
    expect(report.rollback).toMatchObject({ reason: MigrationErrorCode.FAILURE_RATE });
    expect(report.rollback!.message).toMatch(/more than the allowed 10\.0%\): every migrated client was restored from its backup/);
    expect(report.failures[0]).toMatchObject({ reason: MigrationErrorCode.CLIENT_WRITE_FAILED, message: expect.stringMatching(/under legal hold/) });
    // It stopped as soon as the threshold was certainly passed, and restored what it had migrated.
    expect(batches.at(-1)!).toBeLessThan(N);
    expect(report.counts.migrated).toBe(0);
    expect(report.counts.rolledBack).toBe(report.rollback!.restored);
    expect(report.rollback!.restored).toBeGreaterThan(0);
    const after = await snapshotRows(store);
    expect(diffRows(before.legacy, after.legacy)).toEqual([]);
    expect(diffRows(before.registry, after.registry)).toEqual([]);
    expect((await m.getRunProgress(report.runId!)).status).toBe('rolled_back');
  });

  it('keeps a batch all or nothing: a database error mid-batch leaves none of its writes, and splitting isolates the bad client', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, 400);
    // A real constraint in the database: this client's registry rows are refused.
    const bad = ids.find((id, i) => i > 150 && kindOf.get(id)!.name === 'plain')!;
    await refuseRegistryWrites(store, bad);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const report = await m.runMigration({ strategy: 'merge', batchSize: 100, splitFailedBatches: false, maxFailureRate: 1 });
    expect(report.status).toBe('completed');
    const { rows } = await store.query<{ client_id: string; status: string; reason: string | null; batch: number }>(
      'SELECT client_id, status, reason, batch FROM hotmod_migration_run_clients WHERE run_id = $1',
      [report.runId],
    );
    const badBatch = rows.find((r) => r.client_id === bad)!.batch;
    const inBadBatch = rows.filter((r) => r.batch === badBatch);
    expect(inBadBatch.length).toBe(100);
    expect(inBadBatch.every((r) => r.status === 'failed' && r.reason === MigrationErrorCode.CLIENT_WRITE_FAILED)).toBe(true);
    expect(report.failures.find((f) => f.clientId === bad)!.message).toMatch(/frozen by policy/);
    // Nothing of that batch was written: no backups, no registry rows, no legacy changes.
    const badIds = inBadBatch.map((r) => r.client_id);
    const { rows: backups } = await store.query('SELECT 1 FROM hotmod_migration_backups WHERE client_id = ANY($1::text[])', [badIds]);
    expect(backups).toEqual([]);
    const after = await snapshotRows(store);
    for (const key of diffRows(before.registry, after.registry)) expect(badIds).not.toContain(key.split('/')[0]);
    // Other batches committed.
    expect(rows.filter((r) => r.status === 'migrated').length).toBeGreaterThan(0);

    // With splitting (the default), only the refused client fails.
    await m.rollbackRun(report.runId!);
    const split = await m.runMigration({ strategy: 'merge', batchSize: 100, maxFailureRate: 1 });
    expect(split.counts.failed).toBe(1);
    expect(split.failures).toEqual([expect.objectContaining({ clientId: bad, reason: MigrationErrorCode.CLIENT_WRITE_FAILED })]);
  });
  it('keeps what JavaScript and JSON cannot tell apart: big numbers in a merged list stay as stored, and rollback restores SQL NULL and jsonb null exactly', { timeout: 120_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, 0); // the legacy tables only
    const [a, b, c] = [clientId(1, 0xabc), clientId(2, 0xabc), clientId(3, 0xabc)];
    await store.query(`INSERT INTO clients (id, name) SELECT id, 'odd ' || id FROM unnest($1::uuid[]) AS t(id)`, [[a, b, c]]);
    // a: junk entries JavaScript would change (12345678901234567890 -> ...000, 1.10 -> 1.1), a
    // jsonb null and an SQL NULL side by side, a double-encoded string, microsecond timestamps.
    await store.query(
      `INSERT INTO client_app_overrides (id, client_id, modules_enabled, theme_overrides, consultation_config, plan_catalog_overrides, created_at, updated_at) VALUES
         (gen_random_uuid(), $1, '["accounts", 12345678901234567890, 1.10, {"x": 1.50}, "analytics"]', 'null', NULL, '"[\\"a\\"]"', '2025-01-01T00:00:00.000001Z', '2025-02-01T00:00:00.123456Z'),
         (gen_random_uuid(), $2, '["accounts", 98765432109876543210]', '{}', 'null', NULL, '2025-01-02Z', '2025-03-01Z'),
         (gen_random_uuid(), $3, '["accounts"]', '{"dark": true}', '{}', '{}', '2025-01-03Z', '2025-03-02T10:00:00.5Z')`,
      [a, b, c],
    );
    // Registry rows the merge will rewrite; one holds a jsonb null in a NOT NULL column.
    await store.query(
      `INSERT INTO hotmod_module_configs (client_id, module_id, enabled, custom_settings, updated_at) VALUES
         ($1, 'notifications', true, 'null', '2025-04-01T00:00:00.000001Z'), ($1, 'analytics', false, '{"n": 1.10}', '2025-04-01Z'),
         ($2, 'notifications', true, '{}', '2025-04-02Z'), ($3, 'notifications', true, '{"tier": "gold"}', '2025-04-03Z')`,
      [a, b, c],
    );
    const columns = async (id: string) =>
      (await store.query<{ t: string }>(`SELECT concat_ws('|', modules_enabled::text, theme_overrides IS NULL, theme_overrides::text, consultation_config IS NULL, consultation_config::text, plan_catalog_overrides::text, created_at::text) AS t FROM client_app_overrides WHERE client_id = $1`, [id])).rows[0]!.t;
    const before = await snapshotRows(store);
    const othersBefore = await columns(a);
    expect(othersBefore).toMatch(/^\["accounts", 12345678901234567890, 1\.10, \{"x": 1\.50\}, "analytics"\]\|f\|null\|t\|"\[\\"a\\"\]"\|2025-01-01 /);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });

    const report = await m.runMigration({ clients: [a, b, c], strategy: 'merge', batchSize: 2 });
    expect(report).toMatchObject({ status: 'completed', counts: { migrated: 3, failed: 0 } });
    // merge edits only the entries of the modules it adds or removes: the junk stays byte for byte.
    expect(await columns(a)).toBe(othersBefore.replace('{"x": 1.50}, "analytics"]', '{"x": 1.50}, "notifications"]'));
    expect((await store.query<{ t: string }>(`SELECT modules_enabled::text AS t FROM client_app_overrides WHERE client_id = $1`, [b])).rows[0]!.t).toBe('["accounts", 98765432109876543210, "notifications"]');

    const rolled = await m.rollbackRun(report.runId!);
    expect(rolled.restored).toBe(3);
    const after = await snapshotRows(store);
    expect(diffRows(before.legacy, after.legacy)).toEqual([]);
    expect(diffRows(before.registry, after.registry)).toEqual([]);
    expect(await columns(a)).toBe(othersBefore);

    // Backups written by earlier versions (row_to_json text) still restore (client c: no nulls to confuse).
    const again = await m.runMigration({ clients: [c], strategy: 'merge' });
    expect(again.counts.migrated).toBe(1);
    await store.query(
      `UPDATE hotmod_migration_backups SET legacy_rows = ARRAY(SELECT row_to_json(u.t::client_app_overrides)::text FROM unnest(legacy_rows) AS u(t)),
              module_configs = ARRAY(SELECT row_to_json(u.t::hotmod_module_configs)::text FROM unnest(module_configs) AS u(t)) WHERE run_id = $1`,
      [again.runId],
    );
    expect((await store.query<{ t: string }>('SELECT legacy_rows[1] AS t FROM hotmod_migration_backups WHERE run_id = $1', [again.runId])).rows[0]!.t).toMatch(/^\{"id":/);
    await m.rollbackRun(again.runId!);
    const afterOld = await snapshotRows(store);
    expect(diffRows(before.legacy, afterOld.legacy)).toEqual([]);
    expect(diffRows(before.registry, afterOld.registry)).toEqual([]);
  });

  it('verification recomputes every migrated client: a change the plan did not make is listed, and above the threshold rolls the run back', { timeout: 180_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, 200);
    const victim = ids.find((id) => kindOf.get(id)!.name === 'plain')!;
    // The database stores something else than the migration wrote, for one client: a real
    // trigger turns its notifications row off (a concurrent writer would do the same).
    await store.exec(`
      CREATE FUNCTION flip_one() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.client_id = '${victim}' AND NEW.module_id = 'notifications' THEN NEW.enabled := false; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER flip_one BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION flip_one();`);
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });

    const tolerant = await m.runMigration({ strategy: 'merge', batchSize: 50, maxFailureRate: 0.5 });
    expect(tolerant.status).toBe('verify_failed');
    expect(tolerant.verification!.checked).toBe(tolerant.counts.migrated);
    expect(tolerant.verification!.mismatches).toEqual([{ clientId: victim, before: ['accounts', 'billing', 'notifications', 'payments'], after: ['accounts', 'billing', 'payments'] }]);
    expect((await m.verifyRun(tolerant.runId!)).mismatches.map((x) => x.clientId)).toEqual([victim]);
    const v = await m.validateModuleMigration(victim);
    expect(v.valid).toBe(false);
    expect(v.issues.map((i) => i.code)).toContain(MigrationErrorCode.VERIFY_FAILED);
    await m.rollbackRun(tolerant.runId!);

    // No failure allowed: the one mismatch rolls the whole run back.
    const strict = await m.runMigration({ strategy: 'merge', batchSize: 50, maxFailureRate: 0 });
    expect(strict.status).toBe('rolled_back');
    expect(strict.rollback).toMatchObject({ reason: MigrationErrorCode.VERIFY_FAILED, restored: strict.counts.rolledBack });
    await store.exec('DROP TRIGGER flip_one ON hotmod_module_configs');
    const after = await snapshotRows(store);
    expect(diffRows(before.legacy, after.legacy)).toEqual([]);
    expect(diffRows(before.registry, after.registry)).toEqual([]);
  });
});
