import { HotmodError } from '../../errors.js';
import type { Queryable } from '../store/types.js';
import { isStoreFault } from '../store/storeErrors.js';
import { retryStoreFaults } from './storeRetry.js';
import { claimAndLock, editLegacyLists, loadClientStates, underSavepoint, writeLegacyLists, writeMigratedRows } from './batchRepository.js';
import { backUpClients } from './backupPhase.js';
import { MigrationErrorCode } from './errors.js';
import { planClientMigration, type ClientMigrationPlan } from './planClientMigration.js';
import { Meter, progress, yieldToEventLoop } from './runProgress.js';
import { countClients, lastBatchNumber, writeClientResults, type ClientResultWrite, type RunCounts } from './runRepository.js';
import type { ClientFailure, MigrationRunOptions, RunContext } from './runTypes.js';

/**
 * Phase 4, migration: one transaction per batch (claim, lock, read, plan and validate each
 * client again, back up, write, record), until no client is pending.
 */

function toResult(plan: ClientMigrationPlan, backupId: string | undefined): ClientResultWrite {
  const status = plan.outcome === 'migrate' ? 'migrated' : plan.outcome === 'skip' ? 'skipped' : 'failed';
  return {
    clientId: plan.clientId,
    status,
    backupId: backupId ?? null,
    // What the batch leaves: verification and rollback tell a later write from it.
    fingerprintNow: status === 'migrated',
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
  /** A failed batch's clients, to be written again, were claimed by another batch meanwhile (that batch migrates them). */
  takenElsewhere?: boolean;
}

/**
 * One batch in one transaction: claim the clients, lock them, read their rows, plan and
 * validate each, back up the ones that change, write, and record every client's result.
 * Either all of it commits or none of it does. With `groupSize`, the migrating clients are
 * written in groups of that size, each under a savepoint; a group the database refuses is
 * written again client by client under savepoints, so a refused client costs only itself
 * and the batch still commits (its failures recorded).
 */
export async function migrateBatch(ctx: RunContext, runId: string, batch: number, claim: Claim, expect?: ReadonlyMap<string, string>, groupSize?: number, gate?: BatchGate): Promise<BatchOutcome> {
  let claimed: string[] = [];
  const result = await ctx.store.transaction(async (tx): Promise<BatchOutcome> => {
    let ids: string[];
    try {
      ids = await claimAndLock(tx, runId, claim);
    } finally {
      gate?.claimed();
    }
    claimed = ids;
    if (ids.length === 0) return { ids, plans: [], refused: [], backups: new Map<string, string>() };
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
      ...plans.filter((p) => !refusedIds.has(p.clientId)).map((p) => toResult(p, written.backups.get(p.clientId))),
      ...written.refused.map((f) => ({ clientId: f.clientId, status: 'failed' as const, reason: f.reason, message: f.message })),
    ], ctx.legacyTable);
    // Batches commit in batch order; when the run stopped (signal, failure rate, another
    // batch's error) while this one was in flight, it keeps nothing.
    if (gate && (await gate.beforeCommit())) throw new BatchStopped();
    return { ids, plans: plans.filter((p) => !refusedIds.has(p.clientId)), refused: written.refused, backups: written.backups };
  }).catch((error: unknown) => {
    throw Object.assign(new BatchFailed(error), { claimed });
  });
  if (result.ids.length > 0) ctx.store.announce(result.plans.filter((p) => p.outcome === 'migrate').map((p) => p.clientId));
  return result;
}

/** Phase backup, then phase migration, for these clients: backups first, then the writes (the fingerprints of what they leave are taken with the results). */
async function writeClients(tx: Queryable, ctx: RunContext, runId: string, migrating: readonly ClientMigrationPlan[]): Promise<{ backups: Map<string, string>; refused: ClientFailure[] }> {
  const backups = await backUpClients(tx, ctx, runId, migrating);
  await writeMigratedRows(tx, migrating.flatMap((p) => p.registryWrites.map((w) => ({ clientId: p.clientId, moduleId: w.moduleId, enabled: w.enabled }))));
  // merge edits entry by entry in SQL (every other entry kept as stored); replace writes its canonical list.
  await editLegacyLists(tx, migrating.filter((p) => p.legacyEdit !== undefined).map((p) => ({ clientId: p.clientId, ...p.legacyEdit! })));
  await writeLegacyLists(tx, migrating.filter((p) => p.legacyList !== undefined && p.legacyEdit === undefined).map((p) => ({ clientId: p.clientId, list: p.legacyList! })));
  return { backups, refused: [] };
}

/** writeClients group by group under savepoints; a refused group client by client. */
async function writeIsolated(tx: Queryable, ctx: RunContext, runId: string, migrating: readonly ClientMigrationPlan[], groupSize: number) {
  const out = { backups: new Map<string, string>(), refused: [] as ClientFailure[] };
  const keep = (w: Awaited<ReturnType<typeof writeClients>>) => {
    for (const [k, v] of w.backups) out.backups.set(k, v);
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

/**
 * How a batch runs beside others (runMigrationPhase): `claimed` once its claim statement
 * returned (the next batch may claim); `beforeCommit` just before COMMIT: it waits until
 * the batches before this one are accounted, then says whether the run stopped (true:
 * roll back).
 */
export interface BatchGate {
  claimed(): void;
  beforeCommit(): Promise<boolean>;
}

/** A batch rolled back because the run stopped while it was in flight; its clients stay pending. */
export class BatchStopped extends Error {
  constructor() {
    super('the run stopped while this batch was in flight; its clients stay pending');
  }
}

/** The store wraps what a transaction throws: BatchStopped is then its cause. */
function isBatchStopped(error: unknown): boolean {
  return error instanceof BatchStopped || (error instanceof Error && error.cause instanceof BatchStopped);
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
async function migrateBatchIsolating(ctx: RunContext, runId: string, batch: number, claim: Claim, split: boolean, isolate: number | undefined, gate: BatchGate): Promise<BatchOutcome> {
  try {
    return await retryStoreFaults(() => migrateBatch(ctx, runId, batch, claim, undefined, isolate, gate), (e) => (e instanceof BatchFailed ? e.original : e));
  } catch (error) {
    if (!(error instanceof BatchFailed)) throw error;
    if (isBatchStopped(error.original)) throw new BatchStopped();
    // The connection's fault, not a client's: after the retries the run stops (resumable).
    if (isStoreFault(error.original)) throw error.original;
    const ids = error.claimed;
    if (ids.length === 0) throw error.original; // failed before claiming: a store problem, not a client's
    if (split && isolate !== 1) {
      const again = await migrateBatchIsolating(ctx, runId, batch, { ids }, split, isolate === undefined ? isolationGroupSize(1 / ids.length) : 1, gate);
      // Rolled back, the failed batch's clients were pending again: a batch in flight beside
      // it may have claimed them first. Then this one did nothing, and the run is not drained.
      return again.ids.length === 0 ? { ...again, takenElsewhere: true } : again;
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
 * Batches in flight at once on PostgreSQL: while one batch waits for the server, the next
 * one is planned in JavaScript (and the server works on two connections), so neither side
 * idles. PGlite answers in this thread: one at a time there.
 */
export const BATCHES_IN_FLIGHT = 2;

/**
 * The batches of a run until none is pending, BATCHES_IN_FLIGHT at a time on PostgreSQL.
 * Batches claim in turn (batch n takes the n-th pending slice in id order), overlap their
 * reading, planning and writing, and commit in batch order, each once the one before it is
 * accounted: one progress event per batch, counts and the failure-rate check in order, as
 * if run one after the other. Stops (resumable) when the signal aborts, and as soon as the
 * failures certainly pass the run's rate (the caller rolls back): a batch in flight then
 * rolls back instead of committing, its clients stay pending.
 */
export async function runMigrationPhase(ctx: RunContext, runId: string, size: number, rate: number, options: Pick<MigrationRunOptions, 'signal' | 'splitFailedBatches' | 'onProgress'>): Promise<MigrationPhaseOutcome> {
  const migration = new Meter();
  const start = await countClients(ctx.store, runId);
  const counts = { migrated: start.migrated, skipped: start.skipped, failed: start.failed };
  const doneAtStart = start.total - start.pending;
  let batch = await lastBatchNumber(ctx.store, runId);
  const split = options.splitFailedBatches !== false;
  const inFlight = ctx.store.kind === 'postgres' ? BATCHES_IN_FLIGHT : 1;
  // Write refusals seen so far in this process: they size the groups of the next batches.
  let refused = 0;
  let attempted = 0;
  let isolate: number | undefined;
  let stop: MigrationPhaseOutcome | undefined;
  let drained = false;
  let failure: { error: unknown } | undefined;
  // Claims in turn: one batch's claim statement at a time, in batch order.
  let claimTurn: Promise<void> = Promise.resolve();
  // Finished batches waiting for the ones before them; null: a batch that found nothing.
  const finished = new Map<number, BatchOutcome | null>();
  let nextToAccount = batch + 1;
  const stopped = () => stop !== undefined || failure !== undefined || options.signal?.aborted === true;
  // Batches waiting to commit until the one before them is accounted.
  const waiting = new Map<number, (() => void)[]>();
  const accounted = (n: number) => (n < nextToAccount ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(n, [...(waiting.get(n) ?? []), resolve])));

  const account = (result: BatchOutcome, n: number) => {
    for (const r of result.plans) counts[r.outcome === 'migrate' ? 'migrated' : r.outcome === 'skip' ? 'skipped' : 'failed']++;
    counts.failed += result.refused.length;
    refused += result.refused.length;
    attempted += result.ids.length;
    isolate = split && result.refused.length > 0 ? isolationGroupSize(refused / attempted) : undefined;
    if (stop) return; // a batch that committed before the run stopped: counted, no event
    const done = counts.migrated + counts.skipped + counts.failed;
    const p = progress(runId, 'migration', start.total, done, migration, counts, n);
    // The ETA and rate cover this process's work only (a resumed run starts its clock late).
    p.rate = migration.rate(done - doneAtStart);
    p.etaSeconds = p.rate > 0 ? (start.total - done) / p.rate : null;
    options.onProgress?.(p);
    if (start.total > 0 && counts.failed / start.total > rate) {
      stop = {
        kind: 'failure_rate',
        message: `run ${runId}: ${counts.failed} of ${start.total} clients failed (${((100 * counts.failed) / start.total).toFixed(1)}%, more than the allowed ${(100 * rate).toFixed(1)}%): every migrated client was restored from its backup; see the failures, fix them, and run again (or raise --max-failure-rate)`,
      };
    }
  };
  const settle = (n: number, result: BatchOutcome | null) => {
    finished.set(n, result);
    while (finished.has(nextToAccount)) {
      const r = finished.get(nextToAccount)!;
      finished.delete(nextToAccount);
      if (r) account(r, nextToAccount);
      for (const resolve of waiting.get(nextToAccount) ?? []) resolve();
      waiting.delete(nextToAccount);
      nextToAccount++;
    }
  };

  const worker = async () => {
    while (!drained && !stopped()) {
      await yieldToEventLoop();
      // Wait for the previous claim, then take the next batch number and claim.
      const previous = claimTurn;
      let release!: () => void;
      claimTurn = new Promise<void>((resolve) => (release = resolve));
      await previous;
      if (drained || stopped()) {
        release();
        break;
      }
      const n = ++batch;
      let released = false;
      const gate: BatchGate = {
        claimed: () => {
          if (!released) (released = true), release();
        },
        beforeCommit: async () => {
          await accounted(n - 1);
          return stopped();
        },
      };
      let result: BatchOutcome | null;
      try {
        result = await migrateBatchIsolating(ctx, runId, n, { next: size }, split, isolate, gate);
      } catch (error) {
        gate.claimed();
        settle(n, null);
        if (isBatchStopped(error)) break;
        failure ??= { error };
        break;
      } finally {
        gate.claimed();
      }
      if (result.ids.length === 0) {
        if (!result.takenElsewhere) drained = true;
        result = null;
      }
      settle(n, result);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => worker()));
  if (failure) throw failure.error;
  if (stop) return stop;
  if (options.signal?.aborted && !drained) return { kind: 'interrupted' };
  return { kind: 'done', counts, total: start.total };
}
