import type { CatalogView } from '../../types.js';
import type { Store } from '../store/types.js';
import type { MigrationDifference, MigrationStrategy } from './planClientMigration.js';
import { Meter, progress } from './runProgress.js';
import { allClientIds, type RunCounts, type TablePresence } from './runRepository.js';
import { REPORT_LIST_MAX, type MigrationProgress, type MigrationRunReport } from './runTypes.js';
import { planPages } from './validationPhase.js';

/** The dry run: every client planned and validated, nothing written. */
export async function planRun(
  store: Store,
  catalog: CatalogView,
  o: { strategy: MigrationStrategy; batchSize: number; maxFailureRate: number; clients: 'all' | string[]; tables: TablePresence; onProgress?: (p: MigrationProgress) => void },
): Promise<MigrationRunReport> {
  const meter = new Meter();
  const ids = o.clients === 'all' ? await allClientIds(store, o.tables) : [...new Set(o.clients)].sort();
  const analysisMs = meter.ms();
  const validation = new Meter();
  const counts: RunCounts = { total: ids.length, pending: ids.length, migrated: 0, skipped: 0, failed: 0, rolledBack: 0, needsAttention: 0 };
  const differences: { clientId: string; changes: MigrationDifference[] }[] = [];
  let differencesLeftOut = 0;
  const { tally, reasons, failures, failuresLeftOut } = await planPages({ store, catalog, strategy: o.strategy, legacyTable: o.tables.overrides }, ids, o.batchSize, {
    failuresMax: REPORT_LIST_MAX,
    onMigrate: (clientId, plan) => {
      if (plan.differences.length === 0) return;
      if (differences.length < REPORT_LIST_MAX) differences.push({ clientId, changes: plan.differences });
      else differencesLeftOut++;
    },
    onPage: (checked, total, t) => o.onProgress?.(progress(null, 'validation', total, checked, validation, t)),
  });
  const leftOut = { failures: failuresLeftOut, differences: differencesLeftOut };
  // In a plan, 'migrated' / 'skipped' / 'failed' say what a run would do now.
  Object.assign(counts, tally, { pending: 0 });
  const ms = meter.ms();
  const truncated = { ...(leftOut.failures ? { failures: leftOut.failures } : {}), ...(leftOut.differences ? { differences: leftOut.differences } : {}) };
  return {
    runId: null,
    strategy: o.strategy,
    dryRun: true,
    resumed: false,
    status: 'planned',
    phases: [
      { name: 'analysis', ms: analysisMs },
      { name: 'validation', ms: validation.ms() },
    ],
    counts,
    failureRate: ids.length > 0 ? tally.failed / ids.length : 0,
    maxFailureRate: o.maxFailureRate,
    reasons,
    failures,
    attention: [],
    differences,
    ...(Object.keys(truncated).length > 0 ? { truncated } : {}),
    durationMs: Math.round(ms),
    clientsPerSecond: ms > 0 ? Math.round((ids.length * 1000) / ms) : 0,
  };
}

