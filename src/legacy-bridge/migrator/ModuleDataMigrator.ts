import type { CatalogView } from '../../types.js';
import { HotmodError } from '../../errors.js';
import { normalizeClientId } from '../clientId.js';
import { ViewConflictCode } from '../diagnostics.js';
import { legacyTableExists } from '../legacy/legacyRepository.js';
import type { Store } from '../store/types.js';
import { computeUnifiedView } from '../view/computeUnifiedView.js';
import { clientFingerprints, getBackup, loadClientStates, lockClientRows, lockClients, pinRowTextFormat, restoreBackups } from './batchRepository.js';
import { MigrationErrorCode } from './errors.js';
import { MIGRATION_STRATEGIES, planClientMigration, type ClientMigrationPlan, type MigrationStrategy } from './planClientMigration.js';
import { newRunId } from './analysisPhase.js';
import { BatchFailed, migrateBatch } from './migrationPhase.js';
import { rollbackRun } from './rollbackRun.js';
import { withRunLock } from './runLock.js';
import { runModuleMigration } from './runMigration.js';
import { clientRowsAfter, countClients, deleteRun, getRun, insertRun, insertRunClients, lastClientMigration, listRunIds, setRunState, writeClientResults, type RunPhase, type RunStatus } from './runRepository.js';
import type { ClientFailure, MigrationRunOptions, MigrationRunReport, RunContext, VerificationReport } from './runTypes.js';
import { verifyRun } from './verificationPhase.js';
import { applyMigratorSchema } from './schema.js';

export interface ModuleMigrationResult {
  clientId: string;
  /** The backup taken before the change (null when nothing was changed). */
  backupId: string | null;
  runId: string;
  /** Module ids given a migrated registry row. */
  migrated: string[];
  skipped: { moduleId?: string; reason: string; message?: string }[];
  failed: { moduleId?: string; code: string; message: string }[];
  differences: ClientMigrationPlan['differences'];
}

export interface ModuleMigrationValidation {
  clientId: string;
  /** No integrity problem, every configured module migrated, the effective set unchanged since the last migration. */
  valid: boolean;
  effective: string[];
  /** Catalog modules with a migrated registry row. */
  migrated: string[];
  /** Catalog modules the client's rows configure that are not migrated yet. */
  unmigrated: string[];
  issues: { code: string; message: string }[];
  /** writtenSince: the client's rows changed after the migration (an application write): a changed set is then not an issue. */
  lastMigration?: { runId: string; backupId: string | null; status: string; effectiveBefore: string[]; effectiveUnchanged: boolean; writtenSince: boolean };
}

export interface ModuleMigrationProgress {
  runId: string;
  kind: 'batch' | 'single';
  strategy: MigrationStrategy;
  status: RunStatus;
  phase: RunPhase;
  total: number;
  pending: number;
  migrated: number;
  skipped: number;
  failed: number;
  rolledBack: number;
  /** Share of clients done (0–100). */
  percent: number;
  clientsPerSecond: number;
  etaSeconds: number | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  error?: { code?: string; message?: string };
}

/** Where a client's module migration stands (the seed's per-client progress). */
export interface ClientMigrationProgress {
  clientId: string;
  /** Catalog modules the client's configuration names: migrated + pending. */
  total: number;
  /** Modules with a migrated registry row. */
  migrated: number;
  /** Configured modules not migrated yet. */
  pending: number;
  /** Share migrated (0–100; 100 when nothing is configured). */
  percent: number;
  /** validateModuleMigration(clientId).valid: everything migrated, no integrity issue, effective set unchanged. */
  complete: boolean;
  /** The progress of the last run that migrated or rolled back this client, or null. */
  lastRun: ModuleMigrationProgress | null;
}

export interface ModuleDataMigratorOptions {
  /** The catalog the host runs now (a host passes its own; the CLI loads one from --modules). */
  catalog: () => CatalogView;
}

/**
 * The seed's module data migrator (DESIGN.md "Unifier and migrator"): plan, execute,
 * roll back, validate and progress per client, the batch run, and a run's progress by run id. Built on the
 * legacy bridge's unified view and store; its own tables are versioned under 'migrator'.
 */
/** The migrator's methods the seed's API reference calls as free functions (docs/legacy-bridge.md "Seed names"). */
const SEED_METHODS = [
  'createModuleMigrationPlan',
  'executeModuleMigration',
  'rollbackModuleMigration',
  'validateModuleMigration',
  'getModuleMigrationProgress',
] as const satisfies readonly (keyof ModuleDataMigrator)[];

export class ModuleDataMigrator {
  readonly #store: Store;
  readonly #catalog: () => CatalogView;
  #schema: Promise<unknown> | undefined;

  constructor(store: Store, options: ModuleDataMigratorOptions) {
    this.#store = store;
    this.#catalog = options.catalog;
    // The seed's names work destructured (`const { executeModuleMigration } = host.migrator`).
    for (const name of SEED_METHODS) Object.defineProperty(this, name, { value: this[name].bind(this), enumerable: true });
  }

  async #ready(): Promise<boolean> {
    this.#schema ??= applyMigratorSchema(this.#store).catch((error: unknown) => {
      this.#schema = undefined;
      throw error;
    });
    await this.#schema;
    return legacyTableExists(this.#store);
  }

  async #context(strategy: MigrationStrategy): Promise<RunContext> {
    const legacyTable = await this.#ready();
    return { store: this.#store, catalog: this.#catalog(), strategy, legacyTable };
  }

  /** What a migration of this client would do now; nothing is written. */
  async createModuleMigrationPlan(clientId: string, options: { strategy?: MigrationStrategy } = {}): Promise<ClientMigrationPlan> {
    const id = normalizeClientId(clientId, 'createModuleMigrationPlan');
    const strategy = checkStrategy(options.strategy ?? 'merge');
    const ctx = await this.#context(strategy);
    const states = await loadClientStates(this.#store, [id], ctx.legacyTable);
    return planClientMigration(states.get(id)!, ctx.catalog, strategy);
  }

  /**
   * Executes a plan for one client: in one transaction under the client's lock, the plan is
   * made again and must match (E_MIGRATION_PLAN_STALE otherwise), the rows are backed up,
   * then written. Recorded as a run of kind 'single'.
   */
  async executeModuleMigration(clientId: string, plan: ClientMigrationPlan): Promise<ModuleMigrationResult> {
    const id = normalizeClientId(clientId, 'executeModuleMigration');
    if (plan.clientId !== id) {
      throw new HotmodError(MigrationErrorCode.OPTIONS_INVALID, `executeModuleMigration(${id}): the plan is for client ${plan.clientId}; make a plan for this client with createModuleMigrationPlan`, { clientId: id, planClientId: plan.clientId });
    }
    const ctx = await this.#context(checkStrategy(plan.strategy));
    const runId = newRunId();
    await this.#store.transaction(async (tx) => {
      await insertRun(tx, { runId, kind: 'single', strategy: plan.strategy, batchSize: 1, maxFailureRate: 0, options: { clients: 1 } });
      await insertRunClients(tx, runId, [id], { clients: false, overrides: false });
    });
    let result;
    try {
      result = await migrateBatch(ctx, runId, 1, { ids: [id] }, new Map([[id, plan.fingerprint]]));
    } catch (error) {
      await deleteRun(this.#store, runId).catch(() => {});
      throw error instanceof BatchFailed ? error.original : error;
    }
    const done = result.plans[0]!;
    await setRunState(this.#store, runId, { status: done.outcome === 'fail' ? 'verify_failed' : 'completed', phase: 'done', finished: true });
    const skipped: ModuleMigrationResult['skipped'] = done.modules.filter((m) => m.action === 'skip').map((m) => ({ moduleId: m.moduleId, reason: m.reason! }));
    if (done.outcome === 'skip') skipped.push({ reason: done.reason!, message: done.message! });
    return {
      clientId: id,
      backupId: result.backups.get(id) ?? null,
      runId,
      migrated: done.outcome === 'migrate' ? done.registryWrites.map((w) => w.moduleId) : [],
      skipped,
      failed: done.outcome === 'fail' ? [{ code: done.reason!, message: done.message! }] : [],
      differences: done.outcome === 'migrate' ? done.differences : [],
    };
  }

  /**
   * Puts the client's rows back exactly as the backup holds them (both tables). A client
   * written after the migration is refused with E_MIGRATION_LATER_WRITE (the write would be
   * lost) unless `overwriteLaterWrites`.
   */
  async rollbackModuleMigration(backupId: string, options: { overwriteLaterWrites?: boolean } = {}): Promise<{ backupId: string; clientId: string; runId: string }> {
    const legacyTable = await this.#ready();
    const backup = await getBackup(this.#store, String(backupId));
    if (!backup) {
      throw new HotmodError(MigrationErrorCode.BACKUP_NOT_FOUND, `rollbackModuleMigration: no backup '${String(backupId).slice(0, 80)}' in hotmod_migration_backups; take the backupId from executeModuleMigration or the run report`, { backupId: String(backupId).slice(0, 80) });
    }
    if (backup.restored_at) {
      throw new HotmodError(MigrationErrorCode.RUN_STATE, `rollbackModuleMigration: backup ${backup.backup_id} of client ${backup.client_id} was restored already (${backup.restored_at.toISOString()}); restoring again would undo later changes`, { backupId: backup.backup_id, clientId: backup.client_id });
    }
    await this.#store.transaction(async (tx) => {
      await lockClients(tx, [backup.client_id]);
      await lockClientRows(tx, [backup.client_id], legacyTable);
      const rowsAfter = await clientRowsAfter(tx, backup.run_id, backup.client_id);
      if (!options.overwriteLaterWrites && rowsAfter) {
        await pinRowTextFormat(tx);
        const now = (await clientFingerprints(tx, [backup.client_id], legacyTable)).get(backup.client_id);
        if (now !== rowsAfter) {
          throw new HotmodError(
            MigrationErrorCode.LATER_WRITE,
            `rollbackModuleMigration: client ${backup.client_id} was written after run ${backup.run_id} migrated it; restoring backup ${backup.backup_id} would discard that write, so nothing was changed; look at the client (hotmod clients show ${backup.client_id}) and pass overwriteLaterWrites (--overwrite-later-writes) to restore anyway`,
            { backupId: backup.backup_id, clientId: backup.client_id, runId: backup.run_id },
          );
        }
      }
      await restoreBackups(tx, [backup], legacyTable);
      await writeClientResults(tx, backup.run_id, null, [{ clientId: backup.client_id, status: 'rolled_back' }]);
    });
    this.#store.announce([backup.client_id]);
    return { backupId: backup.backup_id, clientId: backup.client_id, runId: backup.run_id };
  }

  /** Checks a client's migration state: integrity, what is migrated, and whether its effective set is what it was before. */
  async validateModuleMigration(clientId: string): Promise<ModuleMigrationValidation> {
    const id = normalizeClientId(clientId, 'validateModuleMigration');
    const legacyTable = await this.#ready();
    const catalog = this.#catalog();
    const state = (await loadClientStates(this.#store, [id], legacyTable)).get(id)!;
    const view = computeUnifiedView(state, catalog);
    const effective = [...view.effective].sort();
    const plan = planClientMigration(state, catalog, 'merge');
    const issues: ModuleMigrationValidation['issues'] = [];
    if (plan.outcome === 'fail') issues.push({ code: plan.reason!, message: plan.message! });
    for (const c of view.conflicts) if (c.code !== ViewConflictCode.MIGRATED_OUT_OF_STEP) issues.push({ code: c.code, message: c.message });
    const migrated = state.registry.filter((r) => r.migrated_at !== null && catalog.get(r.module_id)).map((r) => r.module_id);
    const unmigrated = plan.outcome === 'migrate' ? plan.modules.filter((m) => m.action === 'migrate').map((m) => m.moduleId) : [];
    const last = await lastClientMigration(this.#store, id);
    const result: ModuleMigrationValidation = { clientId: id, valid: false, effective, migrated, unmigrated, issues };
    if (last) {
      const before = last.effective_before ?? [];
      const unchanged = before.join(',') === effective.join(',');
      // Written since the migration (any path): a change of the application's, not a migration error.
      const laterWrite =
        last.rows_after !== null &&
        (await this.#store.transaction(async (tx) => {
          await pinRowTextFormat(tx);
          return (await clientFingerprints(tx, [id], legacyTable)).get(id) !== last.rows_after;
        }));
      result.lastMigration = { runId: last.run_id, backupId: last.backup_id, status: last.status, effectiveBefore: before, effectiveUnchanged: unchanged, writtenSince: laterWrite };
      if (last.status === 'migrated' && !unchanged && !laterWrite) {
        issues.push({ code: MigrationErrorCode.VERIFY_FAILED, message: `client ${id}: effective modules [${effective.join(', ')}] differ from [${before.join(', ')}] recorded before run ${last.run_id}` });
      }
    }
    result.valid = issues.length === 0 && unmigrated.length === 0;
    return result;
  }

  /**
   * Where a client's module migration stands (the seed's per-client progress, DESIGN.md):
   * its configured catalog modules migrated and pending, whether validateModuleMigration
   * finds it complete, and the progress of the last run that migrated or rolled it back.
   */
  async getModuleMigrationProgress(clientId: string): Promise<ClientMigrationProgress> {
    const validation = await this.validateModuleMigration(clientId);
    const migrated = validation.migrated.length;
    const pending = validation.unmigrated.length;
    const total = migrated + pending;
    const runId = validation.lastMigration?.runId;
    return {
      clientId: validation.clientId,
      total,
      migrated,
      pending,
      percent: total === 0 ? 100 : Math.round((1000 * migrated) / total) / 10,
      complete: validation.valid,
      lastRun: runId === undefined ? null : await this.getRunProgress(runId),
    };
  }

  /** A batch run's progress (hotmod migrate status): counts, phase, rate and ETA. */
  async getRunProgress(runId: string): Promise<ModuleMigrationProgress> {
    await this.#ready();
    const run = await getRun(this.#store, runId);
    if (!run) throw new HotmodError(MigrationErrorCode.RUN_NOT_FOUND, `getRunProgress: no run '${String(runId).slice(0, 80)}' in hotmod_migration_runs; runs are listed by hotmod migrate verify --json`, { runId: String(runId).slice(0, 80) });
    const counts = await countClients(this.#store, runId);
    const done = counts.total - counts.pending;
    const seconds = ((run.finished_at ?? run.updated_at).getTime() - run.created_at.getTime()) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const progress: ModuleMigrationProgress = {
      runId,
      kind: run.kind,
      strategy: run.strategy,
      status: run.status,
      phase: run.phase,
      ...counts,
      percent: counts.total > 0 ? Math.round((1000 * done) / counts.total) / 10 : 100,
      clientsPerSecond: Math.round(rate),
      etaSeconds: run.status === 'running' && rate > 0 ? counts.pending / rate : null,
      startedAt: run.created_at,
      updatedAt: run.updated_at,
      finishedAt: run.finished_at,
    };
    if (run.error) progress.error = run.error as { code?: string; message?: string };
    return progress;
  }

  /** The batch migration (five phases; docs/migration.md). */
  async runMigration(options: MigrationRunOptions = {}): Promise<MigrationRunReport> {
    await this.#ready();
    return runModuleMigration(this.#store, this.#catalog(), options);
  }

  /**
   * Rolls a whole run back from its backups (resumable). Clients written after their backup
   * are kept as they are and listed in `attention` unless `overwriteLaterWrites`; clients
   * whose restore the database refuses are listed too; the run ends rolled_back either way.
   */
  async rollbackRun(
    runId: string,
    options: { overwriteLaterWrites?: boolean; onBatch?: (restored: number) => void } | ((restored: number) => void) = {},
  ): Promise<{ runId: string; restored: number; status: RunStatus; attention: ClientFailure[] }> {
    const o = typeof options === 'function' ? { onBatch: options } : options;
    const run = await getRun(this.#store, runId).catch(() => undefined);
    if (!run) throw new HotmodError(MigrationErrorCode.RUN_NOT_FOUND, `rollback: no run '${String(runId).slice(0, 80)}' in hotmod_migration_runs`, { runId: String(runId).slice(0, 80) });
    if (run.status === 'rolled_back') {
      const counts = await countClients(this.#store, runId);
      if (counts.migrated === 0 && counts.needsAttention === 0) return { runId, restored: 0, status: run.status, attention: [] };
    }
    const ctx = await this.#context(run.strategy);
    return withRunLock(this.#store, `rollback of run ${runId}`, async () => {
      const { restored, attention } = await rollbackRun(ctx, run, o);
      await setRunState(this.#store, runId, { error: run.error ?? { code: 'manual', message: 'rolled back on request' } });
      return { runId, restored, status: 'rolled_back' as const, attention };
    });
  }

  /** Verification of a run again (effective sets of its migrated clients). */
  async verifyRun(runId: string, onPage?: (checked: number) => void): Promise<VerificationReport> {
    const run = await getRun(this.#store, runId).catch(() => undefined);
    if (!run) throw new HotmodError(MigrationErrorCode.RUN_NOT_FOUND, `verify: no run '${String(runId).slice(0, 80)}' in hotmod_migration_runs`, { runId: String(runId).slice(0, 80) });
    const ctx = await this.#context(run.strategy);
    return verifyRun(ctx, runId, onPage);
  }

  /** The runs, newest first. */
  async listRuns(limit = 20): Promise<ModuleMigrationProgress[]> {
    await this.#ready();
    return Promise.all((await listRunIds(this.#store, limit)).map((runId) => this.getRunProgress(runId)));
  }
}

function checkStrategy(strategy: unknown): MigrationStrategy {
  if (MIGRATION_STRATEGIES.includes(strategy as MigrationStrategy)) return strategy as MigrationStrategy;
  throw new HotmodError(MigrationErrorCode.STRATEGY_INVALID, `migration: strategy '${String(strategy)}' is not known; use merge, replace or preserve (docs/migration.md "Strategies")`, { strategy: String(strategy) });
}

/** The factory form of the migrator. */
export function createModuleDataMigrator(store: Store, options: ModuleDataMigratorOptions): ModuleDataMigrator {
  return new ModuleDataMigrator(store, options);
}
