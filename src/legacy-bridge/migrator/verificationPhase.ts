import { clientFingerprints, loadClientStates, pinRowTextFormat } from './batchRepository.js';
import { effectiveOf } from './planClientMigration.js';
import { yieldToEventLoop } from './runProgress.js';
import { retryStoreFaults } from './storeRetry.js';
import { migratedPage } from './runRepository.js';
import { REPORT_LIST_MAX, type RunContext, type VerificationReport } from './runTypes.js';

/**
 * Phase 5, verification: every migrated client's effective module set recomputed from the
 * database and compared with the one recorded before its batch — unless the client was
 * written after its batch (its rows' fingerprint differs from the one the batch left):
 * that is the application's acknowledged write, listed in `laterWrites`, never a mismatch.
 */
export async function verifyRun(ctx: RunContext, runId: string, onPage?: (checked: number) => void, pageSize = 1000): Promise<VerificationReport> {
  const report: VerificationReport = { checked: 0, unchanged: 0, mismatches: [], laterWrites: [] };
  let after = '';
  for (;;) {
    await yieldToEventLoop();
    const rows = await migratedPage(ctx.store, runId, after, pageSize);
    if (rows.length === 0) break;
    after = rows.at(-1)!.client_id;
    const ids = rows.map((r) => r.client_id);
    // One snapshot for the rows and their fingerprints: a write landing between two reads
    // could otherwise pass for a migration error.
    const { states, fingerprints } = await retryStoreFaults(() =>
      ctx.store.transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await pinRowTextFormat(tx);
        return { states: await loadClientStates(tx, ids, ctx.legacyTable), fingerprints: await clientFingerprints(tx, ids, ctx.legacyTable) };
      }),
    );
    for (const row of rows) {
      report.checked++;
      // Written after its batch committed (any path): the application's own change, not the migration's.
      if (row.rows_after !== null && fingerprints.get(row.client_id) !== row.rows_after) {
        report.laterWrites.push(row.client_id);
        continue;
      }
      const now = effectiveOf(states.get(row.client_id)!, ctx.catalog);
      const before = row.effective_before ?? [];
      if (now.join(',') === before.join(',')) report.unchanged++;
      else report.mismatches.push({ clientId: row.client_id, before, after: now });
    }
    onPage?.(report.checked);
  }
  return report;
}

export function capMismatches(v: VerificationReport): VerificationReport {
  return { ...v, mismatches: v.mismatches.slice(0, REPORT_LIST_MAX), laterWrites: v.laterWrites.slice(0, REPORT_LIST_MAX) };
}
