import { loadClientStates } from './batchRepository.js';
import { effectiveOf } from './planClientMigration.js';
import { yieldToEventLoop } from './runProgress.js';
import { migratedPage } from './runRepository.js';
import { REPORT_LIST_MAX, type RunContext, type VerificationReport } from './runTypes.js';

/**
 * Phase 5, verification: every migrated client's effective module set recomputed from the
 * database and compared with the one recorded before its batch.
 */
export async function verifyRun(ctx: RunContext, runId: string, onPage?: (checked: number) => void, pageSize = 1000): Promise<VerificationReport> {
  const report: VerificationReport = { checked: 0, unchanged: 0, mismatches: [] };
  let after = '';
  for (;;) {
    await yieldToEventLoop();
    const rows = await migratedPage(ctx.store, runId, after, pageSize);
    if (rows.length === 0) break;
    after = rows.at(-1)!.client_id;
    const states = await loadClientStates(ctx.store, rows.map((r) => r.client_id), ctx.legacyTable);
    for (const row of rows) {
      const now = effectiveOf(states.get(row.client_id)!, ctx.catalog);
      const before = row.effective_before ?? [];
      report.checked++;
      if (now.join(',') === before.join(',')) report.unchanged++;
      else report.mismatches.push({ clientId: row.client_id, before, after: now });
    }
    onPage?.(report.checked);
  }
  return report;
}

export function capMismatches(v: VerificationReport): VerificationReport {
  return v.mismatches.length > REPORT_LIST_MAX ? { ...v, mismatches: v.mismatches.slice(0, REPORT_LIST_MAX) } : v;
}
