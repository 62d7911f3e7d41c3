import { HotmodError } from '../../errors.js';
import { isStoreFault } from '../store/storeErrors.js';
import { clientFingerprints, editLegacyLists, loadClientStates, lockClients, writeLegacyLists, writeMigratedRows } from './batchRepository.js';
import { backUpClients } from './backupPhase.js';
import { MigrationErrorCode } from './errors.js';
import { planClientMigration, type ClientMigrationPlan } from './planClientMigration.js';
import { Meter, progress, yieldToEventLoop } from './runProgress.js';
import { claimListed, claimPending, countClients, lastBatchNumber, writeClientResults, type ClientResultWrite, type RunCounts } from './runRepository.js';
import type { ClientFailure, MigrationRunOptions, RunContext } from './runTypes.js';

/**
 * Phase 4, migration: one transaction per batch (claim, lock, read, plan and validate each
 * client again, back up, write, record), until no client is pending.
 */

function toResult(plan: ClientMigrationPlan, backupId: string | undefined, rowsAfter: string | undefined): ClientResultWrite {
  const status = plan.outcome === 'migrate' ? 'migrated' : plan.outcome === 'skip' ? 'skipped' : 'failed';
  return {
    clientId: plan.clientId,
    status,
    backupId: backupId ?? null,
    rowsAfter: rowsAfter ?? null,
    reason: plan.reason ?? null,
    message: plan.message ?? null,
    effectiveBefore: plan.effectiveBefore,
    changes:
      plan.outcome === 'migrate'
        ? {
            modules: plan.registryWrites.map((w) => w.moduleId),
            skippedModules: plan.modules.filter((m) => m.action === 'skip').map((m) => ({ moduleId: m.moduleId, reason: m.reason })),
            differences: plan.differences,
          }
        : null,
  };
}

/**
 * One batch in one transaction: claim the clients, lock them, read their rows, plan and
 * validate each, back up the ones that change, write, and record every client's result.
 * Either all of it commits or none of it does.
 */
export async function migrateBatch(
  ctx: RunContext,
  runId: string,
  batch: number,
  claim: { next: number } | { ids: readonly string[] },
  expect?: ReadonlyMap<string, string>,
): Promise<{ ids: string[]; plans: ClientMigrationPlan[]; backups: Map<string, string> }> {
  let claimed: string[] = [];
  const result = await ctx.store.transaction(async (tx) => {
    const ids = 'next' in claim ? await claimPending(tx, runId, claim.next) : await claimListed(tx, runId, claim.ids);
    claimed = ids;
    if (ids.length === 0) return { ids, plans: [], backups: new Map<string, string>() };
    await lockClients(tx, ids);
    const states = await loadClientStates(tx, ids, ctx.legacyTable);
    const now = new Date();
    const plans = ids.map((id) => planClientMigration(states.get(id)!, ctx.catalog, ctx.strategy, now));
    for (const p of plans) {
      const want = expect?.get(p.clientId);
      if (want !== undefined && want !== p.fingerprint) {
        throw new HotmodError(
          MigrationErrorCode.PLAN_STALE,
          `executeModuleMigration(${p.clientId}): the client's rows changed since the plan was made; nothing was written; make a new plan (createModuleMigrationPlan) and execute that`,
          { clientId: p.clientId },
        );
      }
    }
    const migrating = plans.filter((p) => p.outcome === 'migrate');
    // Phase backup, then phase migration: the backup rows exist before any change.
    const backups = await backUpClients(tx, ctx, runId, migrating);
    await writeMigratedRows(tx, migrating.flatMap((p) => p.registryWrites.map((w) => ({ clientId: p.clientId, moduleId: w.moduleId, enabled: w.enabled }))));
    // merge edits entry by entry in SQL (every other entry kept as stored); replace writes its canonical list.
    await editLegacyLists(tx, migrating.filter((p) => p.legacyEdit !== undefined).map((p) => ({ clientId: p.clientId, ...p.legacyEdit! })));
    await writeLegacyLists(tx, migrating.filter((p) => p.legacyList !== undefined && p.legacyEdit === undefined).map((p) => ({ clientId: p.clientId, list: p.legacyList! })));
    // What the batch leaves: verification and rollback tell a later write from it (the row text format is pinned by the backup).
    const rowsAfter = await clientFingerprints(tx, migrating.map((p) => p.clientId), ctx.legacyTable);
    await writeClientResults(tx, runId, batch, plans.map((p) => toResult(p, backups.get(p.clientId), rowsAfter.get(p.clientId))));
    return { ids, plans, backups };
  }).catch((error: unknown) => {
    throw Object.assign(new BatchFailed(error), { claimed });
  });
  if (result.ids.length > 0) ctx.store.announce(result.plans.filter((p) => p.outcome === 'migrate').map((p) => p.clientId));
  return result;
}

export class BatchFailed extends Error {
  claimed: string[] = [];
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/**
 * Runs a batch; when its transaction fails, nothing of it is kept and (with split) its
 * clients are retried in halves, each half its own transaction, until the client the
 * database refuses is alone: it is recorded failed, the others migrate.
 */
async function migrateBatchIsolating(ctx: RunContext, runId: string, batch: number, claim: { next: number } | { ids: readonly string[] }, split: boolean): Promise<ClientMigrationPlan[] | ClientFailure[] | 'empty'> {
  try {
    const result = await retryStoreFaults(() => migrateBatch(ctx, runId, batch, claim));
    return result.ids.length === 0 ? 'empty' : result.plans;
  } catch (error) {
    if (!(error instanceof BatchFailed)) throw error;
    // The connection's fault, not a client's: after the retries the run stops (resumable).
    if (isStoreFault(error.original)) throw error.original;
    const ids = error.claimed;
    if (ids.length === 0) throw error.original; // failed before claiming: a store problem, not a client's
    if (split && ids.length > 1) {
      const half = Math.ceil(ids.length / 2);
      const out: (ClientMigrationPlan | ClientFailure)[] = [];
      for (const part of [ids.slice(0, half), ids.slice(half)]) {
        const r = await migrateBatchIsolating(ctx, runId, batch, { ids: part }, split);
        if (r !== 'empty') out.push(...r);
      }
      return out as ClientMigrationPlan[];
    }
    const reason = error.original instanceof Error ? error.original.message : String(error.original);
    const failures: ClientFailure[] = ids.map((clientId) => ({
      clientId,
      reason: MigrationErrorCode.CLIENT_WRITE_FAILED,
      message: `client ${clientId}: the database refused the migration's writes (${reason}); nothing of ${ids.length > 1 ? 'its batch' : 'it'} was kept; fix the row or the constraint, then resume the run`,
    }));
    await retryStoreFaults(() => ctx.store.transaction((tx) => writeClientResults(tx, runId, batch, failures.map((f) => ({ clientId: f.clientId, status: 'failed', reason: f.reason, message: f.message })))));
    return failures;
  }
}

/** Attempts after the first when the store loses its connection or times out, and the pause before each. */
const STORE_RETRY_DELAYS_MS = [100, 500, 2000];

/**
 * Retries a batch whose transaction failed because of the store (a terminated backend, a
 * failover, a timeout). Safe: a failed transaction kept nothing, and a COMMIT whose answer
 * was lost leaves its clients migrated (no longer pending), so the retry cannot claim them
 * twice.
 */
async function retryStoreFaults<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const original = error instanceof BatchFailed ? error.original : error;
      if (!isStoreFault(original) || i >= STORE_RETRY_DELAYS_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_DELAYS_MS[i]));
    }
  }
}

export type MigrationPhaseOutcome = { kind: 'done'; counts: Pick<RunCounts, 'migrated' | 'skipped' | 'failed'>; total: number } | { kind: 'interrupted' } | { kind: 'failure_rate'; message: string };

/**
 * The batches of a run until none is pending. Stops (resumable) when the signal aborts, and
 * as soon as the failures certainly pass the run's rate (the caller rolls back).
 */
export async function runMigrationPhase(ctx: RunContext, runId: string, size: number, rate: number, options: Pick<MigrationRunOptions, 'signal' | 'splitFailedBatches' | 'onProgress'>): Promise<MigrationPhaseOutcome> {
  const migration = new Meter();
  const start = await countClients(ctx.store, runId);
  const counts = { migrated: start.migrated, skipped: start.skipped, failed: start.failed };
  const doneAtStart = start.total - start.pending;
  let batch = await lastBatchNumber(ctx.store, runId);
  const split = options.splitFailedBatches !== false;
  for (;;) {
    if (options.signal?.aborted) return { kind: 'interrupted' };
    batch++;
    await yieldToEventLoop();
    const result = await migrateBatchIsolating(ctx, runId, batch, { next: size }, split);
    if (result === 'empty') break;
    for (const r of result) {
      if ('outcome' in r) counts[r.outcome === 'migrate' ? 'migrated' : r.outcome === 'skip' ? 'skipped' : 'failed']++;
      else counts.failed++;
    }
    const done = counts.migrated + counts.skipped + counts.failed;
    const p = progress(runId, 'migration', start.total, done, migration, counts, batch);
    // The ETA and rate cover this process's work only (a resumed run starts its clock late).
    p.rate = migration.rate(done - doneAtStart);
    p.etaSeconds = p.rate > 0 ? (start.total - done) / p.rate : null;
    options.onProgress?.(p);
    if (start.total > 0 && counts.failed / start.total > rate) {
      return {
        kind: 'failure_rate',
        message: `run ${runId}: ${counts.failed} of ${start.total} clients failed (${((100 * counts.failed) / start.total).toFixed(1)}%, more than the allowed ${(100 * rate).toFixed(1)}%): every migrated client was restored from its backup; see the failures, fix them, and run again (or raise --max-failure-rate)`,
      };
    }
  }
  return { kind: 'done', counts, total: start.total };
}
