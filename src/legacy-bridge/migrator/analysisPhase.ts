import { createHash, randomBytes } from 'node:crypto';
import { HotmodError } from '../../errors.js';
import type { Store } from '../store/types.js';
import { MigrationErrorCode } from './errors.js';
import { MIGRATION_STRATEGIES, type MigrationStrategy } from './planClientMigration.js';
import { analyzeRunClients, findUnfinishedRun, getRun, insertRun, insertRunClients, type RunRow, type TablePresence } from './runRepository.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_FAILURE_RATE, type MigrationRunOptions } from './runTypes.js';

/**
 * Phase 1, analysis: the run's options checked, then its record and its clients (pending),
 * or the unfinished run that this call resumes.
 */

export function validateOptions(options: MigrationRunOptions): { strategy: MigrationStrategy; batchSize: number; maxFailureRate: number } {
  const strategy = options.strategy ?? 'merge';
  if (!MIGRATION_STRATEGIES.includes(strategy)) {
    throw new HotmodError(MigrationErrorCode.STRATEGY_INVALID, `migration: strategy '${String(strategy)}' is not known; use merge, replace or preserve (docs/migration.md "Strategies")`, { strategy });
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new HotmodError(MigrationErrorCode.OPTIONS_INVALID, `migration: batch size ${batchSize} is out of range; use a whole number from 1 to 10000 (default ${DEFAULT_BATCH_SIZE})`, { batchSize });
  }
  const maxFailureRate = options.maxFailureRate ?? DEFAULT_MAX_FAILURE_RATE;
  if (typeof maxFailureRate !== 'number' || !(maxFailureRate >= 0 && maxFailureRate <= 1)) {
    throw new HotmodError(MigrationErrorCode.OPTIONS_INVALID, `migration: max failure rate ${maxFailureRate} is out of range; use a share from 0 to 1 (0.1 = 10%)`, { maxFailureRate });
  }
  if (options.clients !== undefined && options.clients !== 'all' && (!Array.isArray(options.clients) || options.clients.length === 0)) {
    throw new HotmodError(MigrationErrorCode.OPTIONS_INVALID, `migration: no clients given; pass 'all' or a non-empty list of client ids`, {});
  }
  return { strategy, batchSize, maxFailureRate };
}

/** Identifies a run's client selection, so a re-run resumes only the run it would have started. */
export function clientsKey(clients: 'all' | readonly string[]): string {
  return clients === 'all' ? 'all' : createHash('sha1').update([...new Set(clients)].sort().join('\n')).digest('hex').slice(0, 16);
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The run this call works on: `runId`'s (it must be unfinished), else the unfinished run
 * with the same strategy and clients (a different one is refused), else a new run.
 */
export async function openRun(
  store: Store,
  o: { runId?: string; strategy?: MigrationStrategy; asked: MigrationStrategy; batchSize: number; maxFailureRate: number; clients: 'all' | string[]; tables: TablePresence },
): Promise<{ run: RunRow; resumed: boolean }> {
  if (o.runId !== undefined) {
    const run = await getRun(store, o.runId);
    if (!run) throw new HotmodError(MigrationErrorCode.RUN_NOT_FOUND, `migration: no run '${o.runId}' in hotmod_migration_runs; list runs with hotmod migrate verify --json or start a new one without --run`, { runId: o.runId });
    if (run.status !== 'running' && run.status !== 'rolling_back') {
      throw new HotmodError(MigrationErrorCode.RUN_STATE, `migration: run '${run.run_id}' is ${run.status}, there is nothing to resume; start a new run without --run (or roll this one back with hotmod migrate rollback --run ${run.run_id})`, { runId: run.run_id, status: run.status });
    }
    return { run, resumed: true };
  }
  const unfinished = await findUnfinishedRun(store);
  if (unfinished) {
    const sameClients = (unfinished.options as { clientsKey?: string }).clientsKey === clientsKey(o.clients);
    if ((o.strategy !== undefined && unfinished.strategy !== o.asked) || !sameClients) {
      throw new HotmodError(MigrationErrorCode.RUN_IN_PROGRESS, `migration: run '${unfinished.run_id}' (strategy ${unfinished.strategy}, ${String((unfinished.options as { clients?: unknown }).clients)} clients) did not finish; resume it with --run ${unfinished.run_id} or roll it back (hotmod migrate rollback --run ${unfinished.run_id}) before starting another run`, { runId: unfinished.run_id, strategy: unfinished.strategy });
    }
    return { run: unfinished, resumed: true };
  }
  const runId = newRunId();
  await store.transaction(async (tx) => {
    await insertRun(tx, { runId, kind: 'batch', strategy: o.asked, batchSize: o.batchSize, maxFailureRate: o.maxFailureRate, options: { clients: o.clients === 'all' ? 'all' : o.clients.length, clientsKey: clientsKey(o.clients) } });
    await insertRunClients(tx, runId, o.clients, o.tables);
  });
  await analyzeRunClients(store);
  return { run: (await getRun(store, runId))!, resumed: false };
}
