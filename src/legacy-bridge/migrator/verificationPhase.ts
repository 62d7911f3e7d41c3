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
  type Row = Awaited<ReturnType<typeof migratedPage>>[number];
  // Pages are read in id order, one after the other (a keyset walk, cheap); on PostgreSQL
  // VERIFY_PAGES_IN_FLIGHT of them are checked at once, each in its own snapshot, and the
  // report is assembled in page order, so it reads as if checked one by one.
  const pages: VerificationReport[] = [];
  let after = '';
  let ended = false;
  let checked = 0;
  let nextPage: Promise<{ index: number; rows: Row[] }> = Promise.resolve({ index: -1, rows: [] });
  const takePage = () => {
    nextPage = nextPage.then(async ({ index }) => {
      if (ended) return { index, rows: [] };
      const rows = await migratedPage(ctx.store, runId, after, pageSize);
      if (rows.length === 0) ended = true;
      else after = rows.at(-1)!.client_id;
      return { index: index + 1, rows };
    });
    return nextPage;
  };
  const worker = async () => {
    try {
      for (;;) {
        await yieldToEventLoop();
        const { index, rows } = await takePage();
        if (rows.length === 0) return;
        pages[index] = await verifyPage(ctx, rows);
        checked += rows.length;
        onPage?.(checked);
      }
    } catch (error) {
      ended = true; // the other pages stop too; the run reports this error
      throw error;
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: ctx.store.kind === 'postgres' ? VERIFY_PAGES_IN_FLIGHT : 1 }, () => worker()));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const report: VerificationReport = { checked: 0, unchanged: 0, mismatches: [], laterWrites: [] };
  for (const page of pages) {
    report.checked += page.checked;
    report.unchanged += page.unchanged;
    report.mismatches.push(...page.mismatches);
    report.laterWrites.push(...page.laterWrites);
  }
  return report;
}

/** Pages of verification checked at once on PostgreSQL (see BATCHES_IN_FLIGHT). */
export const VERIFY_PAGES_IN_FLIGHT = 2;

/**
 * One page: its clients' fingerprints first, then the rows of those whose rows are as
 * their batch left them (a later-written client's rows are not read: it is not compared),
 * all in one snapshot.
 */
async function verifyPage(ctx: RunContext, rows: readonly { client_id: string; effective_before: string[] | null; rows_after: string | null }[]): Promise<VerificationReport> {
  const page: VerificationReport = { checked: 0, unchanged: 0, mismatches: [], laterWrites: [] };
  // One snapshot for the rows and their fingerprints: a write landing between two reads
  // could otherwise pass for a migration error.
  const { states, fingerprints } = await retryStoreFaults(() =>
    ctx.store.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await pinRowTextFormat(tx, true);
      const withRowsAfter = rows.filter((r) => r.rows_after !== null).map((r) => r.client_id);
      const fingerprints = await clientFingerprints(tx, withRowsAfter, ctx.legacyTable);
      const compared = rows.filter((r) => r.rows_after === null || fingerprints.get(r.client_id) === r.rows_after).map((r) => r.client_id);
      return { states: await loadClientStates(tx, compared, ctx.legacyTable), fingerprints };
    }),
  );
  for (const row of rows) {
    page.checked++;
    // Written after its batch committed (any path): the application's own change, not the migration's.
    if (row.rows_after !== null && fingerprints.get(row.client_id) !== row.rows_after) {
      page.laterWrites.push(row.client_id);
      continue;
    }
    const now = effectiveOf(states.get(row.client_id)!, ctx.catalog);
    const before = row.effective_before ?? [];
    if (now.join(',') === before.join(',')) page.unchanged++;
    else page.mismatches.push({ clientId: row.client_id, before, after: now });
  }
  return page;
}

export function capMismatches(v: VerificationReport): VerificationReport {
  return { ...v, mismatches: v.mismatches.slice(0, REPORT_LIST_MAX), laterWrites: v.laterWrites.slice(0, REPORT_LIST_MAX) };
}
