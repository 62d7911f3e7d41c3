import type { Store } from '../store/types.js';
import type { MigrationDifference } from './planClientMigration.js';
import { attentionClients, clientsWithDifferences, countFailed, countWithDifferences, failedClients, reasonCounts } from './runRepository.js';
import { REPORT_LIST_MAX, type MigrationRunReport } from './runTypes.js';

/** The lists of a run's report, read from its run tables (cut at REPORT_LIST_MAX, with the count left out). */
export async function collectReport(store: Store, runId: string, listAll = false): Promise<Pick<MigrationRunReport, 'reasons' | 'failures' | 'differences' | 'truncated' | 'attention'>> {
  const reasons = await reasonCounts(store, runId);
  const failures = await failedClients(store, runId, listAll ? null : REPORT_LIST_MAX + 1);
  const attention = await attentionClients(store, runId, listAll ? null : REPORT_LIST_MAX + 1);
  const diffs = await clientsWithDifferences<MigrationDifference>(store, runId, REPORT_LIST_MAX + 1);
  const truncated: MigrationRunReport['truncated'] = {};
  if (!listAll && attention.length > REPORT_LIST_MAX) truncated.attention = attention.length - REPORT_LIST_MAX; // at least
  if (!listAll && failures.length > REPORT_LIST_MAX) truncated.failures = (await countFailed(store, runId)) - REPORT_LIST_MAX;
  if (diffs.length > REPORT_LIST_MAX) truncated.differences = (await countWithDifferences(store, runId)) - REPORT_LIST_MAX;
  return {
    reasons,
    failures: (listAll ? failures : failures.slice(0, REPORT_LIST_MAX)).map((f) => ({ clientId: f.client_id, reason: f.reason, message: f.message })),
    attention: (listAll ? attention : attention.slice(0, REPORT_LIST_MAX)).map((f) => ({ clientId: f.client_id, reason: f.reason, message: f.message })),
    differences: diffs.slice(0, REPORT_LIST_MAX).map((d) => ({ clientId: d.client_id, changes: d.changes.differences })),
    ...(Object.keys(truncated).length > 0 ? { truncated } : {}),
  };
}
