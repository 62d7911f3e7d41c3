import { HotmodError } from '../../errors.js';
import type { Queryable } from '../store/types.js';
import { isStoreFault } from '../store/storeErrors.js';
import { retryStoreFaults } from './storeRetry.js';
import { clientFingerprints, editLegacyLists, loadClientStates, lockClients, underSavepoint, writeLegacyLists, writeMigratedRows } from './batchRepository.js';
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

type Claim = { next: number } | { ids: readonly string[] };

/** What one batch did: every client's plan, the write failures isolated in it, and the backups taken. */
interface BatchOutcome {
  ids: string[];
  plans: ClientMigrationPlan[];
  /** Clients whose writes the database refused (isolated under savepoints), recorded failed. */
  refused: ClientFailure[];
  backups: Map<string, string>;
}

/**
 * One batch in one transaction: claim the clients, lock them, read their rows, plan and
 * validate each, back up the ones that change, write, and record every client's result.
 * Either all of it commits or none of it does. With `groupSize`, the migrating clients are
 * written in groups of that size, each under a savepoint; a group the database refuses is
 * written again client by client under savepoints, so a refused client costs only itself
 * and the batch still commits (its failures recorded).
 */
export async function migrateBatch(ctx: RunContext, runId: string, batch: number, claim: Claim, expect?: ReadonlyMap<string, string>, groupSize?: number): Promise<BatchOutcome> {
  let claimed: string[] = [];
  const result = await ctx.store.transaction(async (tx): Promise<BatchOutcome> => {
    const ids = 'next' in claim ? await claimPending(tx, runId, claim.next) : await claimListed(tx, runId, claim.ids);
    claimed = ids;
    if (ids.length === 0) return { ids, plans: [], refused: [], backups: new Map<string, string>() };
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
    const written = groupSize === undefined ? await writeClients(tx, ctx, runId, migrating) : await writeIsolated(tx, ctx, runId, migrating, groupSize);
    const refusedIds = new Set(written.refused.map((f) => f.clientId));
    await writeClientResults(tx, runId, batch, [
      ...plans.filter((p) => !refusedIds.has(p.clientId)).map((p) => toResult(p, written.backups.get(p.clientId), written.rowsAfter.get(p.clientId))),
      ...written.refused.map((f) => ({ clientId: f.clientId, status: 'failed' as const, reason: f.reason, message: f.message })),
    ]);
    return { ids, plans: plans.filter((p) => !refusedIds.has(p.clientId)), refused: written.refused, backups: written.backups };
  }).catch((error: unknown) => {
    throw Object.assign(new BatchFailed(error), { claimed });
  });
  if (result.ids.length > 0) ctx.store.announce(result.plans.filter((p) => p.outcome === 'migrate').map((p) => p.clientId));
  return result;
}

/** Phase backup, then phase migration, for these clients: backups first, then the writes, then the fingerprints of what they left. */
async function writeClients(tx: Queryable, ctx: RunContext, runId: string, migrating: readonly ClientMigrationPlan[]): Promise<{ backups: Map<string, string>; rowsAfter: Map<string, string>; refused: ClientFailure[] }> {
  const backups = await backUpClients(tx, ctx, runId, migrating);
  await writeMigratedRows(tx, migrating.flatMap((p) => p.registryWrites.map((w) => ({ clientId: p.clientId, moduleId: w.moduleId, enabled: w.enabled }))));
  // merge edits entry by entry in SQL (every other entry kept as stored); replace writes its canonical list.
  await editLegacyLists(tx, migrating.filter((p) => p.legacyEdit !== undefined).map((p) => ({ clientId: p.clientId, ...p.legacyEdit! })));
  await writeLegacyLists(tx, migrating.filter((p) => p.legacyList !== undefined && p.legacyEdit === undefined).map((p) => ({ clientId: p.clientId, list: p.legacyList! })));
  // What the batch leaves: verification and rollback tell a later write from it (the row text format is pinned by the backup).
  const rowsAfter = await clientFingerprints(tx, migrating.map((p) => p.clientId), ctx.legacyTable);
  return { backups, rowsAfter, refused: [] };
}

/** writeClients group by group under savepoints; a refused group client by client. */
async function writeIsolated(tx: Queryable, ctx: RunContext, runId: string, migrating: readonly ClientMigrationPlan[], groupSize: number) {
  const out = { backups: new Map<string, string>(), rowsAfter: new Map<string, string>(), refused: [] as ClientFailure[] };
  const keep = (w: Awaited<ReturnType<typeof writeClients>>) => {
    for (const [k, v] of w.backups) out.backups.set(k, v);
    for (const [k, v] of w.rowsAfter) out.rowsAfter.set(k, v);
  };
  for (let i = 0; i < migrating.length; i += groupSize) {
    const group = migrating.slice(i, i + groupSize);
    const whole = await underSavepoint(tx, () => writeClients(tx, ctx, runId, group));
    if (whole.ok) {
      keep(whole.value);
      continue;
    }
    for (const plan of group.length > 1 ? group : []) {
      const one = await underSavepoint(tx, () => writeClients(tx, ctx, runId, [plan]));
      if (one.ok) keep(one.value);
      else out.refused.push(writeRefused(plan.clientId, one.error));
    }
    if (group.length === 1) out.refused.push(writeRefused(group[0]!.clientId, whole.error));
  }
  return out;
}

function writeRefused(clientId: string, error: unknown): ClientFailure {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    clientId,
    reason: MigrationErrorCode.CLIENT_WRITE_FAILED,
    message: `client ${clientId}: the database refused the migration's writes (${reason}); nothing of it was kept; fix the row or the constraint, then resume the run`,
  };
}

export class BatchFailed extends Error {
  claimed: string[] = [];
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/**
 * The group size that isolates write failures cheaply at this failure rate: a group costs
 * about as much as one client written alone, and a refused group is written again client by
 * client, so the best size is about 1 / sqrt(rate) (5 at 5%, 10 at 1%).
 */
export function isolationGroupSize(failureRate: number): number {
  return Math.max(1, Math.min(64, Math.round(1 / Math.sqrt(Math.max(failureRate, 1 / 4096)))));
}

/**
 * Runs a batch; when its transaction fails because the database refused a client's writes,
 * it is run again once (with split), its clients written in small groups under savepoints,
 * so the refused clients are recorded failed and the others migrate, in one more
 * transaction. `isolate` starts the batch that way at once (the previous batch had refused
 * clients: another plain attempt would most likely fail too).
 */
async function migrateBatchIsolating(ctx: RunContext, runId: string, batch: number, claim: Claim, split: boolean, isolate: number | undefined): Promise<BatchOutcome> {
  try {
    return await retryStoreFaults(() => migrateBatch(ctx, runId, batch, claim, undefined, isolate), (e) => (e instanceof BatchFailed ? e.original : e));
  } catch (error) {
    if (!(error instanceof BatchFailed)) throw error;
    // The connection's fault, not a client's: after the retries the run stops (resumable).
    if (isStoreFault(error.original)) throw error.original;
    const ids = error.claimed;
    if (ids.length === 0) throw error.original; // failed before claiming: a store problem, not a client's
    if (split && isolate !== 1) {
      return migrateBatchIsolating(ctx, runId, batch, { ids }, split, isolate === undefined ? isolationGroupSize(1 / ids.length) : 1);
    }
    const reason = error.original instanceof Error ? error.original.message : String(error.original);
    const failures: ClientFailure[] = ids.map((clientId) => ({
      clientId,
      reason: MigrationErrorCode.CLIENT_WRITE_FAILED,
      message: `client ${clientId}: the database refused the migration's writes (${reason}); nothing of ${ids.length > 1 ? 'its batch' : 'it'} was kept; fix the row or the constraint, then resume the run`,
    }));
    await retryStoreFaults(() => ctx.store.transaction((tx) => writeClientResults(tx, runId, batch, failures.map((f) => ({ clientId: f.clientId, status: 'failed', reason: f.reason, message: f.message })))));
    return { ids, plans: [], refused: failures, backups: new Map() };
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
  // Write refusals seen so far in this process: they size the groups of the next batches.
  let refused = 0;
  let attempted = 0;
  let isolate: number | undefined;
  for (;;) {
    if (options.signal?.aborted) return { kind: 'interrupted' };
    batch++;
    await yieldToEventLoop();
    const result = await migrateBatchIsolating(ctx, runId, batch, { next: size }, split, isolate);
    if (result.ids.length === 0) break;
    for (const r of result.plans) counts[r.outcome === 'migrate' ? 'migrated' : r.outcome === 'skip' ? 'skipped' : 'failed']++;
    counts.failed += result.refused.length;
    refused += result.refused.length;
    attempted += result.ids.length;
    isolate = split && result.refused.length > 0 ? isolationGroupSize(refused / attempted) : undefined;
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
