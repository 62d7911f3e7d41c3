import type { CatalogView } from '../../types.js';
import { normalizeClientId } from '../clientId.js';
import type { Store } from '../store/types.js';
import { openRun, validateOptions } from './analysisPhase.js';
import { MigrationErrorCode } from './errors.js';
import { runMigrationPhase } from './migrationPhase.js';
import { planRun } from './planRun.js';
import { rollbackRun } from './rollbackRun.js';
import { Meter, progress } from './runProgress.js';
import { countClients, legacyTablesPresent, setRunState, type RunPhase, type TablePresence } from './runRepository.js';
import { withRunLock } from './runLock.js';
import { withQueryRetries } from './storeRetry.js';
import type { MigrationStrategy } from './planClientMigration.js';
import { collectReport } from './runReport.js';
import type { MigrationRunOptions, MigrationRunReport, RunContext, ValidationReport } from './runTypes.js';
import { applyMigratorSchema } from './schema.js';
import { assertCatalog, validateSample } from './validationPhase.js';
import { capMismatches, verifyRun } from './verificationPhase.js';

// The batch run is split by the seed's five phases: analysisPhase, validationPhase,
// backupPhase, migrationPhase, verificationPhase (+ rollbackRun); the SQL lives in
// runRepository and batchRepository. This file runs the phases in order.
export * from './runTypes.js';
export { newRunId } from './analysisPhase.js';
export { BatchFailed, migrateBatch } from './migrationPhase.js';
export { rollbackRun } from './rollbackRun.js';
export { verifyRun } from './verificationPhase.js';

/**
 * The batch migration: analysis (the run record and its pending clients), validation
 * (the catalog and the tables; each client is validated again under its lock inside its
 * batch), backup and migration (one transaction per batch), verification (every migrated
 * client's effective set recomputed). More failures than maxFailureRate roll the whole
 * run back. A crashed run is resumed by the next call (or `runId`).
 */
export async function runModuleMigration(store: Store, catalog: CatalogView, options: MigrationRunOptions = {}): Promise<MigrationRunReport> {
  const { strategy: asked, batchSize, maxFailureRate } = validateOptions(options);
  const total = new Meter();
  const phases: { name: RunPhase; ms: number }[] = [];
  const clients = options.clients === undefined || options.clients === 'all' ? 'all' : options.clients.map((c) => normalizeClientId(c, 'migration'));

  await applyMigratorSchema(store);
  const tables = await legacyTablesPresent(store);
  assertCatalog(catalog);

  if (options.dryRun) return planRun(store, catalog, { strategy: asked, batchSize, maxFailureRate, clients, tables, onProgress: options.onProgress });
  // A backend terminated between batches (a restart, a failover) costs a retry, not the run.
  return withRunLock(store, 'migrate run', () => runPhases(withQueryRetries(store), catalog, options, { asked, batchSize, maxFailureRate, clients, tables, total, phases }));
}

/** The five phases of a run, holding the run lock. */
async function runPhases(
  store: Store,
  catalog: CatalogView,
  options: MigrationRunOptions,
  o: { asked: MigrationStrategy; batchSize: number; maxFailureRate: number; clients: 'all' | string[]; tables: TablePresence; total: Meter; phases: { name: RunPhase; ms: number }[] },
): Promise<MigrationRunReport> {
  const { asked, batchSize, maxFailureRate, clients, tables, total, phases } = o;
  // Phase analysis: a new run with its clients pending, or the unfinished one resumed.
  const analysis = new Meter();
  const { run, resumed } = await openRun(store, { ...(options.runId !== undefined ? { runId: options.runId } : {}), ...(options.strategy !== undefined ? { strategy: options.strategy } : {}), asked, batchSize, maxFailureRate, clients, tables });
  phases.push({ name: 'analysis', ms: analysis.ms() });
  const ctx: RunContext = { store, catalog, strategy: run.strategy, legacyTable: tables.overrides, onProgress: options.onProgress };
  const runId = run.run_id;
  const rate = Number(run.max_failure_rate);
  const size = Number(run.batch_size);
  let validationReport: ValidationReport | undefined;

  const finish = async (status: MigrationRunReport['status'], extra: Partial<MigrationRunReport> = {}): Promise<MigrationRunReport> => {
    const counts = await countClients(store, runId);
    const lists = await collectReport(store, runId, options.listAll === true);
    const ms = total.ms();
    const report: MigrationRunReport = {
      runId,
      strategy: run.strategy,
      dryRun: false,
      resumed,
      status,
      phases,
      counts,
      failureRate: counts.total > 0 ? counts.failed / counts.total : 0,
      maxFailureRate: rate,
      ...lists,
      ...extra,
      durationMs: Math.round(ms),
      clientsPerSecond: ms > 0 ? Math.round((counts.total * 1000) / ms) : 0,
    };
    if (status !== 'interrupted') await setRunState(store, runId, { report: { ...report, failures: report.failures.slice(0, 50), differences: report.differences.slice(0, 50) } });
    return report;
  };

  const rollBack = async (reason: string, message: string): Promise<MigrationRunReport> => {
    await setRunState(store, runId, { error: { code: reason, message } });
    const meter = new Meter();
    const toRestore = (await countClients(store, runId)).migrated;
    // Clients written after their backup are kept as they are and listed (attention), never overwritten by an automatic rollback.
    const { restored, attention } = await rollbackRun(ctx, run, { onBatch: (n) => options.onProgress?.(progress(runId, 'rollback', toRestore, n, meter, { migrated: 0, skipped: 0, failed: 0 })) });
    phases.push({ name: 'rollback', ms: meter.ms() });
    const note = attention.length > 0 ? `; ${attention.length} clients need attention (left as they are: written after their backup, or their restore refused)` : '';
    return finish('rolled_back', { rollback: { reason, message: message + note, restored, needsAttention: attention.length }, ...(validationReport ? { validation: validationReport } : {}) });
  };

  if (run.status === 'rolling_back') {
    const err = (run.error ?? {}) as { code?: string; message?: string };
    return rollBack(err.code ?? 'resumed', err.message ?? `rollback of run ${runId} resumed`);
  }

  // Phase validation, before any change: the clients of a sample are planned on their rows
  // as they are now; when the failures predicted exceed the allowed rate, the run is refused
  // with nothing written. Every client is validated again in its batch, under its lock.
  // A run resumed before its validation finished (a crash in analysis or validation)
  // validates now: the phase is recorded, so nothing is skipped.
  if (!resumed || run.phase === 'analysis' || run.phase === 'validation') {
    const validation = new Meter();
    await setRunState(store, runId, { phase: 'validation' });
    validationReport = await validateSample(ctx, runId, size, (n, total, tally) => options.onProgress?.(progress(runId, 'validation', total, n, validation, tally)));
    phases.push({ name: 'validation', ms: validation.ms() });
    const { sampled, predictedFailures } = validationReport;
    if (sampled > 0 && predictedFailures / sampled > rate) {
      const message = `run ${runId} refused at validation: ${predictedFailures} of ${sampled} clients checked${sampled < run.total ? ` (a sample of ${run.total})` : ''} would fail (${((100 * predictedFailures) / sampled).toFixed(1)}%, more than the allowed ${(100 * rate).toFixed(1)}%); nothing was changed; see the failures, fix them, and run again (or raise --max-failure-rate)`;
      validationReport.refused = { reason: MigrationErrorCode.FAILURE_RATE, message };
      await setRunState(store, runId, { status: 'refused', phase: 'done', finished: true, error: { code: MigrationErrorCode.FAILURE_RATE, message } });
      return finish('refused', { validation: validationReport });
    }
  }

  // Phases backup + migration, batch by batch.
  await setRunState(store, runId, { phase: 'migration' });
  const migration = new Meter();
  const outcome = await runMigrationPhase(ctx, runId, size, rate, options);
  phases.push({ name: 'migration', ms: migration.ms() });
  if (outcome.kind === 'interrupted') return finish('interrupted');
  if (outcome.kind === 'failure_rate') return rollBack(MigrationErrorCode.FAILURE_RATE, outcome.message);
  const { counts } = outcome;

  // Phase verification.
  await setRunState(store, runId, { phase: 'verification' });
  const verifying = new Meter();
  const verification = await verifyRun(ctx, runId, (n) => options.onProgress?.(progress(runId, 'verification', counts.migrated, n, verifying, counts)));
  phases.push({ name: 'verification', ms: verifying.ms() });
  if (verification.mismatches.length > 0) {
    const failed = counts.failed + verification.mismatches.length;
    if (failed / outcome.total > rate) {
      return rollBack(
        MigrationErrorCode.VERIFY_FAILED,
        `run ${runId}: verification found ${verification.mismatches.length} clients whose effective module set changed, which with ${counts.failed} failures is more than ${(100 * rate).toFixed(1)}% of ${outcome.total}: the run was rolled back`,
      );
    }
    await setRunState(store, runId, { status: 'verify_failed', phase: 'done', finished: true, error: { code: MigrationErrorCode.VERIFY_FAILED, message: `${verification.mismatches.length} clients changed their effective module set` } });
    return finish('verify_failed', { verification: capMismatches(verification), ...(validationReport ? { validation: validationReport } : {}) });
  }
  await setRunState(store, runId, { status: 'completed', phase: 'done', finished: true });
  return finish('completed', { verification, ...(validationReport ? { validation: validationReport } : {}) });
}
