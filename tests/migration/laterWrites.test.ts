/**
 * The application keeps writing while a run goes on, and data changes under a finished
 * run: verification tells the application's acknowledged writes from migration errors, no
 * rollback (automatic or manual) discards a write made after the backup unless asked to,
 * and one client that cannot be restored never stops the others. Also: a run that crashed
 * during validation validates when it resumes.
 */
import { beforeAll, expect, it } from 'vitest';
import { createLegacyApi, loadCatalogView, MigrationErrorCode, ModuleDataMigrator, type Store } from '../../src/legacy-bridge/index.js';
import type { CatalogView } from '../../src/types.js';
import { CLIENT_KINDS, generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { describeStores, MODULES_DIR } from './support/stores.js';

const N = 2000;
let catalog: CatalogView;
beforeAll(async () => {
  catalog = (await loadCatalogView(MODULES_DIR)).catalog;
});

async function statuses(store: Store, runId: string): Promise<Map<string, { status: string; reason: string | null }>> {
  const { rows } = await store.query<{ client_id: string; status: string; reason: string | null }>('SELECT client_id, status, reason FROM hotmod_migration_run_clients WHERE run_id = $1', [runId]);
  return new Map(rows.map((r) => [r.client_id, { status: r.status, reason: r.reason }]));
}

async function legacyList(store: Store, clientId: string): Promise<unknown> {
  const { rows } = await store.query<{ m: unknown }>('SELECT modules_enabled AS m FROM client_app_overrides WHERE client_id = $1', [clientId]);
  return rows[0]?.m;
}

describeStores('writes during and after a run', (ctx) => {
  it('saves of 15% of the clients during the run: verification lists them as later writes (no mismatch); rollback keeps every one and lists it; overwriting takes the flag', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    const { ids } = await generateClients(store, N);
    const before = await snapshotRows(store);
    const legacy = createLegacyApi(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const sorted = [...ids].sort();
    // The clients of the first 10 batches that the run will migrate (their plans, made now).
    const migrating = new Set<string>();
    for (const id of sorted.slice(0, 1000)) if ((await m.createModuleMigrationPlan(id)).outcome === 'migrate') migrating.add(id);
    const saves: Promise<unknown>[] = [];
    const saved: string[] = [];
    // After each of the first 10 batches (100 clients, id order), the application saves 30
    // of the clients that batch just migrated: 300 saves, 15% of 2,000, each acknowledged.
    const report = await m.runMigration({
      batchSize: 100,
      onProgress: (p) => {
        if (p.phase !== 'migration' || p.batch! > 10) return;
        const done = sorted.slice((p.batch! - 1) * 100, p.batch! * 100).filter((id) => migrating.has(id));
        for (const id of done.slice(0, 30)) {
          saved.push(id);
          saves.push(legacy.saveModuleOverrides(id, ['payments']));
        }
      },
    });
    await Promise.all(saves);
    expect(saved.length).toBe(300);
    expect(report.status).toBe('completed');
    expect(report.verification!.mismatches).toEqual([]);
    expect([...report.verification!.laterWrites].sort()).toEqual([...saved].sort());
    expect(report.verification!.unchanged).toBe(report.counts.migrated - 300);
    // Per client too: a saved client's changed set is the application's, not a migration issue.
    const check = await m.validateModuleMigration(saved[0]!);
    expect(check.lastMigration).toMatchObject({ writtenSince: true, effectiveUnchanged: false });
    expect(check.issues.map((i) => i.code)).not.toContain(MigrationErrorCode.VERIFY_FAILED);

    // Rollback: the 300 are kept as the application saved them and listed; the rest restored.
    const rolled = await m.rollbackRun(report.runId!);
    expect(rolled.status).toBe('rolled_back');
    expect(rolled.restored).toBe(report.counts.migrated - 300);
    expect(rolled.attention.map((a) => a.clientId).sort()).toEqual([...saved].sort());
    expect(rolled.attention.every((a) => a.reason === MigrationErrorCode.LATER_WRITE && a.message.includes('--overwrite-later-writes'))).toBe(true);
    for (const id of saved.slice(0, 20)) expect(await legacyList(store, id)).toEqual(['payments']);
    const progress = await m.getRunProgress(report.runId!);
    expect(progress).toMatchObject({ status: 'rolled_back', needsAttention: 300, migrated: 0 });
    const middle = await snapshotRows(store);
    const changed = [...middle.legacy].filter(([k, v]) => before.legacy.get(k) !== v).map(([k]) => k);
    const { rows: owners } = await store.query<{ c: string }>('SELECT client_id::text AS c FROM client_app_overrides WHERE id::text = ANY($1::text[])', [changed]);
    expect(owners.map((o) => o.c).sort()).toEqual([...saved].sort()); // exactly the saved clients' rows differ from before (or are new)

    // One client by backup: refused without the flag, restored with it.
    const one = saved[0]!;
    const { rows } = await store.query<{ backup_id: string }>('SELECT backup_id FROM hotmod_migration_backups WHERE run_id = $1 AND client_id = $2', [report.runId, one]);
    await expect(m.rollbackModuleMigration(rows[0]!.backup_id)).rejects.toMatchObject({ code: MigrationErrorCode.LATER_WRITE });
    expect(await legacyList(store, one)).toEqual(['payments']);
    await m.rollbackModuleMigration(rows[0]!.backup_id, { overwriteLaterWrites: true });

    // The whole run, explicitly overwriting: every row as it was before the run.
    const forced = await m.rollbackRun(report.runId!, { overwriteLaterWrites: true });
    expect(forced.attention).toEqual([]);
    const after = await snapshotRows(store);
    expect([...after.legacy].filter(([k, v]) => before.legacy.get(k) !== v)).toEqual([]);
    expect([...after.registry].filter(([k, v]) => before.registry.get(k) !== v)).toEqual([]);
  });

  it('an automatic rollback (failure rate) keeps the saves acknowledged during the run and lists them', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    const { ids } = await generateClients(store, 600);
    await store.exec(`
      CREATE FUNCTION refuse_late() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.client_id > '00000000-0000-4000-8000-000000000190' THEN RAISE EXCEPTION 'client % is under legal hold', NEW.client_id; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_late BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION refuse_late();`);
    const legacy = createLegacyApi(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const early = [...ids].sort().slice(0, 100).filter((_, i) => i % CLIENT_KINDS.length === 0);
    let saving: Promise<unknown> | undefined;
    const report = await m.runMigration({
      batchSize: 100,
      onProgress: (p) => {
        if (p.phase === 'migration' && p.batch === 1) saving = Promise.all(early.map((id) => legacy.saveModuleOverrides(id, ['notifications'])));
      },
    });
    await saving;
    expect(report.status).toBe('rolled_back');
    expect(report.rollback).toMatchObject({ reason: MigrationErrorCode.FAILURE_RATE, needsAttention: early.length });
    expect(report.attention.map((a) => a.clientId).sort()).toEqual([...early].sort());
    for (const id of early) expect(await legacyList(store, id)).toEqual(['notifications']);
  });

  it('rollback isolates each client: deleted clients and changed registry rows are listed (and named) instead of failing the rollback; the store stays usable for new runs', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    const { ids, kindOf } = await generateClients(store, 300);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    const report = await m.runMigration({ batchSize: 50 });
    expect(report.status).toBe('completed');
    const st = await statuses(store, report.runId!);
    const migrated = [...ids].filter((id) => st.get(id)!.status === 'migrated' && kindOf.get(id)!.modules !== undefined);
    const deleted = migrated.slice(0, 3);
    const changed = migrated.slice(10, 12);
    // After the run: three clients deleted (their legacy rows go with them), two clients' registry rows changed by SQL.
    await store.query('DELETE FROM clients WHERE id = ANY($1::uuid[])', [deleted]);
    await store.query(`UPDATE hotmod_module_configs SET custom_settings = '{"edited": true}'::jsonb WHERE client_id = ANY($1::text[])`, [changed]);

    const rolled = await m.rollbackRun(report.runId!);
    expect(rolled.status).toBe('rolled_back');
    expect(rolled.attention.map((a) => a.clientId).sort()).toEqual([...deleted, ...changed].sort());
    expect(rolled.attention.every((a) => a.reason === MigrationErrorCode.LATER_WRITE)).toBe(true);
    expect((await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_module_configs WHERE custom_settings = '{"edited": true}'::jsonb`)).rows[0]!.n).toBeGreaterThan(0);

    // Overwriting on purpose: the changed ones are restored; the deleted ones cannot be
    // (their client is gone: foreign key) and each is named with why; the others still restore.
    const forced = await m.rollbackRun(report.runId!, { overwriteLaterWrites: true });
    expect(forced.restored).toBe(2);
    expect(forced.attention.map((a) => a.clientId).sort()).toEqual([...deleted].sort());
    for (const a of forced.attention) {
      expect(a.reason).toBe(MigrationErrorCode.RESTORE_FAILED);
      expect(a.message).toContain(`client ${a.clientId}`);
      expect(a.message).toMatch(/deleted from clients/);
    }
    expect((await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_module_configs WHERE custom_settings = '{"edited": true}'::jsonb`)).rows[0]!.n).toBe(0);
    expect((await m.getRunProgress(report.runId!)).status).toBe('rolled_back');

    // Nothing is stuck: a new run starts and completes.
    const next = await m.runMigration({ batchSize: 50 });
    expect(next.status).toBe('completed');
    expect(next.runId).not.toBe(report.runId);
  });

  it('a run that crashed while validating validates when it resumes (and is refused if validation says so)', { timeout: 240_000 }, async () => {
    const store = await ctx.open();
    await generateClients(store, 400, { failEvery: 8 }); // 12.5% would fail
    const before = await snapshotRows(store);
    const m = new ModuleDataMigrator(store, { catalog: () => catalog });
    // The process "dies" in the middle of validation (the progress callback throws).
    const crash = await m
      .runMigration({
        batchSize: 100,
        onProgress: (p) => {
          if (p.phase === 'validation') throw new Error('killed during validation');
        },
      })
      .catch((e: unknown) => e);
    expect((crash as Error).message).toBe('killed during validation');
    const { rows } = await store.query<{ status: string; phase: string }>('SELECT status, phase FROM hotmod_migration_runs');
    expect(rows).toEqual([{ status: 'running', phase: 'validation' }]);
    const resumed = await m.runMigration({ batchSize: 100 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.phases.map((p) => p.name)).toContain('validation');
    expect(resumed.status).toBe('refused');
    expect(resumed.validation).toMatchObject({ sampled: 400, predictedFailures: 50 });
    const after = await snapshotRows(store);
    expect([...after.legacy].filter(([k, v]) => before.legacy.get(k) !== v)).toEqual([]);
  });
});
