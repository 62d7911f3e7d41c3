import { HotmodError } from '../../errors.js';
import type { Queryable } from '../store/types.js';
import { clientFingerprints, loadBackups, lockClientRows, lockClients, pinRowTextFormat, restoreBackups, underSavepoint, type BackupRecord } from './batchRepository.js';
import { MigrationErrorCode } from './errors.js';
import { yieldToEventLoop } from './runProgress.js';
import { retryStoreFaults } from './storeRetry.js';
import { claimForRollback, setRunState, writeClientResults, type ClientResultWrite, type RunRow } from './runRepository.js';
import type { ClientFailure, RunContext } from './runTypes.js';

export interface RollbackOptions {
  /** Restore clients written after their backup too, discarding those writes (default false: they are kept and listed). */
  overwriteLaterWrites?: boolean;
  onBatch?: (restored: number) => void;
}

export interface RollbackOutcome {
  restored: number;
  /** Clients left as they are, with why (E_MIGRATION_LATER_WRITE, E_MIGRATION_RESTORE_FAILED). */
  attention: ClientFailure[];
}

/**
 * Restores the migrated clients of a run from their backups, batch by batch; resumable.
 * Each client on its own: a client written after its backup (its rows' fingerprint is not
 * the one its batch left) is kept as it is unless overwriteLaterWrites; a client whose
 * restore the database refuses (deleted from clients, a constraint) is left as it is. Both
 * are recorded `needs_attention` with the reason, and the run still ends `rolled_back`, so
 * new runs can start. Running the rollback again looks at those clients again.
 */
export async function rollbackRun(ctx: RunContext, run: Pick<RunRow, 'run_id' | 'batch_size'>, options: RollbackOptions = {}): Promise<RollbackOutcome> {
  await setRunState(ctx.store, run.run_id, { status: 'rolling_back', phase: 'rollback' });
  let restored = 0;
  const attention: ClientFailure[] = [];
  let after = '';
  for (;;) {
    await yieldToEventLoop();
    const batch = await retryStoreFaults(() => ctx.store.transaction(async (tx) => {
      const claimed = await claimForRollback(tx, run.run_id, after, run.batch_size);
      if (claimed.length === 0) return undefined;
      const ids = claimed.map((c) => c.client_id);
      await lockClients(tx, ids);
      await lockClientRows(tx, ids, ctx.legacyTable);
      await pinRowTextFormat(tx, true);
      const now = await clientFingerprints(tx, ids, ctx.legacyTable);
      const backups = new Map((await loadBackups(tx, run.run_id, ids)).map((b) => [b.client_id, b]));
      const left: ClientFailure[] = [];
      const toRestore: BackupRecord[] = [];
      for (const c of claimed) {
        const backup = backups.get(c.client_id);
        if (!backup) {
          left.push({ clientId: c.client_id, reason: MigrationErrorCode.RESTORE_FAILED, message: `client ${c.client_id}: run ${run.run_id} has no backup of it; left as it is` });
        } else if (!options.overwriteLaterWrites && c.rows_after !== null && now.get(c.client_id) !== c.rows_after) {
          left.push({
            clientId: c.client_id,
            reason: MigrationErrorCode.LATER_WRITE,
            message: `client ${c.client_id}: written after run ${run.run_id} migrated it (its rows are not as the migration left them); kept as it is, so that write is not lost; to put backup ${backup.backup_id} back anyway (discarding the later write) run hotmod migrate rollback --backup ${backup.backup_id} --overwrite-later-writes`,
          });
        } else toRestore.push(backup);
      }
      const refused = await restoreEachClient(tx, toRestore, ctx.legacyTable, run.run_id);
      left.push(...refused);
      const leftIds = new Set(left.map((l) => l.clientId));
      const done = toRestore.filter((b) => !leftIds.has(b.client_id)).map((b) => b.client_id);
      const results: ClientResultWrite[] = [
        ...done.map((clientId) => ({ clientId, status: 'rolled_back' as const })),
        ...left.map((l) => ({ clientId: l.clientId, status: 'needs_attention' as const, reason: l.reason, message: l.message })),
      ];
      await writeClientResults(tx, run.run_id, null, results);
      return { last: ids.at(-1)!, done, left };
    }));
    if (!batch) break;
    after = batch.last;
    restored += batch.done.length;
    attention.push(...batch.left);
    ctx.store.announce(batch.done);
    options.onBatch?.(restored);
  }
  await setRunState(ctx.store, run.run_id, { status: 'rolled_back', phase: 'done', finished: true });
  return { restored, attention };
}

/**
 * Restores the backups in one set-based pass under a savepoint; when the database refuses
 * it, client by client, each under its own savepoint, so one client's failure costs only
 * itself. Returns the clients it could not restore, with the database's reason.
 */
async function restoreEachClient(tx: Queryable, backups: readonly BackupRecord[], legacyTable: boolean, runId: string): Promise<ClientFailure[]> {
  if (backups.length === 0) return [];
  if ((await underSavepoint(tx, () => restoreBackups(tx, backups, legacyTable))).ok) return [];
  const refused: ClientFailure[] = [];
  for (const backup of backups) {
    const attempt = await underSavepoint(tx, () => restoreBackups(tx, [backup], legacyTable));
    if (attempt.ok) continue;
    const error = attempt.error;
    const reason = error instanceof Error ? error.message : String(error);
    const sqlState = error instanceof HotmodError ? (error.details as { sqlState?: string }).sqlState : undefined;
    refused.push({
      clientId: backup.client_id,
      reason: MigrationErrorCode.RESTORE_FAILED,
      message: `client ${backup.client_id}: the database refused to restore backup ${backup.backup_id} (${sqlState === '23503' ? 'a row it references is gone — was the client deleted from clients?' : reason}); the client was left as it is now; fix the cause and run hotmod migrate rollback --run ${runId} again`,
    });
  }
  return refused;
}
