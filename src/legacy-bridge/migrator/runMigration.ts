import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CatalogView } from '../../types.js';
import { HotmodError } from '../../errors.js';
import { normalizeClientId } from '../clientId.js';
import type { Queryable, Store } from '../store/types.js';
import {
  loadClientStates,
  lockClients,
  editLegacyLists,
  restoreBackups,
  writeBackups,
  writeLegacyLists,
  writeMigratedRows,
  type BackupRecord,
} from './batchRepository.js';
import { MigrationErrorCode } from './errors.js';
import { effectiveOf, MIGRATION_STRATEGIES, planClientMigration, type ClientMigrationPlan, type MigrationDifference, type MigrationStrategy } from './planClientMigration.js';
import {
  claimPending,
  countClients,
  findUnfinishedRun,
  getRun,
  insertRun,
  insertRunClients,
  lastBatchNumber,
  setRunState,
  writeClientResults,
  type ClientResultWrite,
  type RunCounts,
  type RunPhase,
  type RunRow,
  type RunStatus,
} from './runRepository.js';
import { applyMigratorSchema } from './schema.js';

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_MAX_FAILURE_RATE = 0.1;
/** Reports list at most this many clients per list; the run tables hold all of them. */
export const REPORT_LIST_MAX = 1000;

export interface MigrationProgress {
  runId: string | null;
  phase: RunPhase;
  total: number;
  /** Clients done in this phase (migrated + skipped + failed, or rolled back, or verified). */
  done: number;
  migrated: number;
  skipped: number;
  failed: number;
  /** Clients per second in this phase so far. */
  rate: number;
  /** Seconds left in this phase at the current rate, or null when unknown. */
  etaSeconds: number | null;
  batch?: number;
}

export interface MigrationRunOptions {
  /** 'all' (default): every client of clients, client_app_overrides and hotmod_module_configs. */
  clients?: 'all' | readonly string[];
  strategy?: MigrationStrategy;
  /** Clients per transaction (default 500). */
  batchSize?: number;
  /** Analysis and validation only: nothing is written, not even a run record. */
  dryRun?: boolean;
  /** Roll the whole run back when more than this share of its clients fail (default 0.1). */
  maxFailureRate?: number;
  /** Resume (or finish rolling back) this run. Without it, an unfinished run is resumed. */
  runId?: string;
  /** When a batch's transaction fails, retry its clients in halves so one bad client costs only itself (default true). */
  splitFailedBatches?: boolean;
  onProgress?: (progress: MigrationProgress) => void;
  /** Stops between batches; the run stays resumable. */
  signal?: AbortSignal;
}

export interface ClientFailure {
  clientId: string;
  reason: string;
  message: string;
}

export interface VerificationReport {
  checked: number;
  unchanged: number;
  /** Clients whose effective module set differs from the one recorded before migration. */
  mismatches: { clientId: string; before: string[]; after: string[] }[];
}

export interface ValidationReport {
  /** Clients planned (all of them up to VALIDATION_SAMPLE_MAX, a sample beyond). */
  sampled: number;
  predictedFailures: number;
  /** Predicted failures and skips per reason code. */
  reasons: Record<string, number>;
  failures: ClientFailure[];
  /** Set when the predicted failure rate exceeds the allowed one: the run was refused. */
  refused?: { reason: string; message: string };
}

/** The validation phase plans every client of runs up to this size, a sample of this size beyond. */
export const VALIDATION_SAMPLE_MAX = 2000;

export interface MigrationRunReport {
  /** null for a dry run. */
  runId: string | null;
  strategy: MigrationStrategy;
  dryRun: boolean;
  resumed: boolean;
  status: RunStatus | 'planned' | 'interrupted';
  phases: { name: RunPhase; ms: number }[];
  counts: RunCounts;
  failureRate: number;
  maxFailureRate: number;
  /** Count per skip / failure reason code. */
  reasons: Record<string, number>;
  failures: ClientFailure[];
  /** The differences the strategy makes on purpose, per client (the effective set never changes). */
  differences: { clientId: string; changes: MigrationDifference[] }[];
  /** The validation phase of a new run: a sample planned before any change. */
  validation?: ValidationReport;
  verification?: VerificationReport;
  rollback?: { reason: string; message: string; restored: number };
  /** Lists cut at REPORT_LIST_MAX: how many entries were left out. */
  truncated?: { failures?: number; differences?: number; mismatches?: number };
  durationMs: number;
  clientsPerSecond: number;
}

export interface RunContext {
  store: Store;
  catalog: CatalogView;
  strategy: MigrationStrategy;
  legacyTable: boolean;
  onProgress?: (progress: MigrationProgress) => void;
}

function validateOptions(options: MigrationRunOptions): { strategy: MigrationStrategy; batchSize: number; maxFailureRate: number } {
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
function clientsKey(clients: 'all' | readonly string[]): string {
  return clients === 'all' ? 'all' : createHash('sha1').update([...new Set(clients)].sort().join('\n')).digest('hex').slice(0, 16);
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

async function tablePresence(q: Queryable): Promise<{ clients: boolean; overrides: boolean }> {
  const { rows } = await q.query<{ clients: boolean; overrides: boolean }>(
    `SELECT to_regclass('clients') IS NOT NULL AS clients, to_regclass('client_app_overrides') IS NOT NULL AS overrides`,
  );
  return { clients: rows[0]?.clients === true, overrides: rows[0]?.overrides === true };
}

function assertCatalog(catalog: CatalogView): void {
  if (catalog.modules().length === 0) {
    throw new HotmodError(
      MigrationErrorCode.CATALOG_EMPTY,
      'migration validation: the catalog has no usable module, so every legacy entry would look unknown; pass the modules directory the application runs (--modules DIR) and check it with hotmod check',
      {},
    );
  }
}

/**
 * Lets the event loop run between batches. PGlite answers from memory in this thread, so a
 * run is otherwise one unbroken chain of microtasks: the application server (calls, timers,
 * HTTP) would stand still until the whole run ended. Once per batch costs nothing.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class Meter {
  readonly #start = performance.now();
  rate(done: number): number {
    const s = (performance.now() - this.#start) / 1000;
    return s > 0 ? done / s : 0;
  }
  ms(): number {
    return performance.now() - this.#start;
  }
}

function progress(runId: string | null, phase: RunPhase, total: number, done: number, meter: Meter, counts: { migrated: number; skipped: number; failed: number }, batch?: number): MigrationProgress {
  const rate = meter.rate(done);
  const left = Math.max(0, total - done);
  return { runId, phase, total, done, ...counts, rate, etaSeconds: rate > 0 ? left / rate : null, ...(batch !== undefined ? { batch } : {}) };
}

function toResult(plan: ClientMigrationPlan, backupId: string | undefined): ClientResultWrite {
  const status = plan.outcome === 'migrate' ? 'migrated' : plan.outcome === 'skip' ? 'skipped' : 'failed';
  return {
    clientId: plan.clientId,
    status,
    backupId: backupId ?? null,
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
    const ids =
      'next' in claim
        ? await claimPending(tx, runId, claim.next)
        : (
            await tx.query<{ client_id: string }>(
              `SELECT client_id FROM hotmod_migration_run_clients WHERE run_id = $1 AND client_id = ANY($2::text[]) AND status = 'pending' ORDER BY client_id FOR UPDATE SKIP LOCKED`,
              [runId, claim.ids],
            )
          ).rows.map((r) => r.client_id);
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
    const backups = new Map(migrating.map((p) => [p.clientId, randomUUID()]));
    // Phase backup, then phase migration: the backup rows exist before any change.
    await writeBackups(tx, runId, ctx.strategy, [...backups].map(([clientId, backupId]) => ({ backupId, clientId })), ctx.legacyTable);
    await writeMigratedRows(tx, migrating.flatMap((p) => p.registryWrites.map((w) => ({ clientId: p.clientId, moduleId: w.moduleId, enabled: w.enabled }))));
    // merge edits entry by entry in SQL (every other entry kept as stored); replace writes its canonical list.
    await editLegacyLists(tx, migrating.filter((p) => p.legacyEdit !== undefined).map((p) => ({ clientId: p.clientId, ...p.legacyEdit! })));
    await writeLegacyLists(tx, migrating.filter((p) => p.legacyList !== undefined && p.legacyEdit === undefined).map((p) => ({ clientId: p.clientId, list: p.legacyList! })));
    await writeClientResults(tx, runId, batch, plans.map((p) => toResult(p, backups.get(p.clientId))));
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
    const result = await migrateBatch(ctx, runId, batch, claim);
    return result.ids.length === 0 ? 'empty' : result.plans;
  } catch (error) {
    if (!(error instanceof BatchFailed)) throw error;
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
    await ctx.store.transaction((tx) => writeClientResults(tx, runId, batch, failures.map((f) => ({ clientId: f.clientId, status: 'failed', reason: f.reason, message: f.message }))));
    return failures;
  }
}

type Tally = { migrated: number; skipped: number; failed: number };

/** Plans a spread sample of the run's clients (all of them in small runs) on their current rows; writes nothing. */
async function validateSample(
  ctx: RunContext,
  runId: string,
  pageSize: number,
  onPage: (checked: number, total: number, tally: Tally) => void,
): Promise<ValidationReport> {
  const { rows } = await ctx.store.query<{ client_id: string }>(
    'SELECT client_id FROM hotmod_migration_run_clients WHERE run_id = $1 ORDER BY md5(client_id) LIMIT $2',
    [runId, VALIDATION_SAMPLE_MAX],
  );
  const ids = rows.map((r) => r.client_id).sort();
  const { tally, reasons, failures } = await planPages(ctx, ids, pageSize, { failuresMax: 50, onPage });
  return { sampled: ids.length, predictedFailures: tally.failed, reasons, failures };
}

/**
 * Plans clients page by page on their rows as they are now, writing nothing (the validation
 * sample and the dry run): yields to the event loop before each page, counts outcomes and
 * reasons, keeps the first `failuresMax` failures (counting the rest), hands each migrating
 * plan to `onMigrate` and reports progress after each page.
 */
async function planPages(
  ctx: Pick<RunContext, 'store' | 'catalog' | 'strategy' | 'legacyTable'>,
  ids: readonly string[],
  pageSize: number,
  on: { failuresMax: number; onMigrate?: (clientId: string, plan: ClientMigrationPlan) => void; onPage: (checked: number, total: number, tally: Tally) => void },
): Promise<{ tally: Tally; reasons: Record<string, number>; failures: ClientFailure[]; failuresLeftOut: number }> {
  const tally: Tally = { migrated: 0, skipped: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  const failures: ClientFailure[] = [];
  let failuresLeftOut = 0;
  for (let i = 0; i < ids.length; i += pageSize) {
    await yieldToEventLoop();
    const page = ids.slice(i, i + pageSize);
    const states = await loadClientStates(ctx.store, page, ctx.legacyTable);
    for (const id of page) {
      const plan = planClientMigration(states.get(id)!, ctx.catalog, ctx.strategy);
      if (plan.reason) reasons[plan.reason] = (reasons[plan.reason] ?? 0) + 1;
      if (plan.outcome === 'fail') {
        tally.failed++;
        if (failures.length < on.failuresMax) failures.push({ clientId: id, reason: plan.reason!, message: plan.message! });
        else failuresLeftOut++;
      } else if (plan.outcome === 'skip') tally.skipped++;
      else {
        tally.migrated++;
        on.onMigrate?.(id, plan);
      }
    }
    on.onPage(Math.min(ids.length, i + page.length), ids.length, tally);
  }
  return { tally, reasons, failures, failuresLeftOut };
}

/** Restores every migrated client of a run from its backup, batch by batch; resumable. */
export async function rollbackRun(ctx: RunContext, run: Pick<RunRow, 'run_id' | 'batch_size'>, onBatch?: (restored: number) => void): Promise<number> {
  await setRunState(ctx.store, run.run_id, { status: 'rolling_back', phase: 'rollback' });
  let restored = 0;
  for (;;) {
    await yieldToEventLoop();
    const ids = await ctx.store.transaction(async (tx) => {
      const claimed = await claimPending(tx, run.run_id, run.batch_size, 'migrated');
      if (claimed.length === 0) return claimed;
      await lockClients(tx, claimed);
      const { rows } = await tx.query<BackupRecord>('SELECT * FROM hotmod_migration_backups WHERE run_id = $1 AND client_id = ANY($2::text[])', [run.run_id, claimed]);
      await restoreBackups(tx, rows, ctx.legacyTable);
      await writeClientResults(tx, run.run_id, null, claimed.map((clientId) => ({ clientId, status: 'rolled_back' })));
      return claimed;
    });
    if (ids.length === 0) break;
    restored += ids.length;
    ctx.store.announce(ids);
    onBatch?.(restored);
  }
  await setRunState(ctx.store, run.run_id, { status: 'rolled_back', phase: 'done', finished: true });
  return restored;
}

/** Recomputes every migrated client's effective set and compares it with the one recorded before. */
export async function verifyRun(ctx: RunContext, runId: string, onPage?: (checked: number) => void, pageSize = 1000): Promise<VerificationReport> {
  const report: VerificationReport = { checked: 0, unchanged: 0, mismatches: [] };
  let after = '';
  for (;;) {
    await yieldToEventLoop();
    const { rows } = await ctx.store.query<{ client_id: string; effective_before: string[] }>(
      `SELECT client_id, effective_before FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'migrated' AND client_id > $2 ORDER BY client_id LIMIT $3`,
      [runId, after, pageSize],
    );
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

async function collectReport(store: Store, runId: string): Promise<Pick<MigrationRunReport, 'reasons' | 'failures' | 'differences' | 'truncated'>> {
  const reasons: Record<string, number> = {};
  const { rows: byReason } = await store.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 AND reason IS NOT NULL GROUP BY reason ORDER BY reason`,
    [runId],
  );
  for (const r of byReason) reasons[r.reason] = Number(r.n);
  const { rows: failures } = await store.query<{ client_id: string; reason: string; message: string }>(
    `SELECT client_id, reason, message FROM hotmod_migration_run_clients WHERE run_id = $1 AND status = 'failed' ORDER BY client_id LIMIT $2`,
    [runId, REPORT_LIST_MAX + 1],
  );
  const { rows: diffs } = await store.query<{ client_id: string; changes: { differences: MigrationDifference[] } }>(
    `SELECT client_id, changes FROM hotmod_migration_run_clients WHERE run_id = $1 AND status IN ('migrated', 'rolled_back')
        AND jsonb_array_length(COALESCE(changes -> 'differences', '[]'::jsonb)) > 0 ORDER BY client_id LIMIT $2`,
    [runId, REPORT_LIST_MAX + 1],
  );
  const truncated: MigrationRunReport['truncated'] = {};
  if (failures.length > REPORT_LIST_MAX) truncated.failures = (await countWhere(store, runId, `status = 'failed'`)) - REPORT_LIST_MAX;
  if (diffs.length > REPORT_LIST_MAX) {
    truncated.differences = (await countWhere(store, runId, `status IN ('migrated', 'rolled_back') AND jsonb_array_length(COALESCE(changes -> 'differences', '[]'::jsonb)) > 0`)) - REPORT_LIST_MAX;
  }
  return {
    reasons,
    failures: failures.slice(0, REPORT_LIST_MAX).map((f) => ({ clientId: f.client_id, reason: f.reason, message: f.message })),
    differences: diffs.slice(0, REPORT_LIST_MAX).map((d) => ({ clientId: d.client_id, changes: d.changes.differences })),
    ...(Object.keys(truncated).length > 0 ? { truncated } : {}),
  };
}

async function countWhere(store: Store, runId: string, where: string): Promise<number> {
  const { rows } = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE run_id = $1 AND ${where}`, [runId]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The batch migration: analysis (the run record and its pending clients), validation
 * (the catalog and the tables; each client is validated again under its lock inside its
 * batch), backup and migration (one transaction per batch), verification (every migrated
 * client's effective set recomputed). More failures than maxFailureRate roll the whole
 * run back. A crashed run is resumed by the next call (or `runId`).
 */
export async function runModuleMigration(store: Store, catalog: CatalogView, options: MigrationRunOptions = {}): Promise<MigrationRunReport> {
  const { strategy: asked, batchSize, maxFailureRate } = validateOptions(options);
  const total = new Meter();
  const phases: { name: RunPhase; ms: number }[] = [];
  const clients = options.clients === undefined || options.clients === 'all' ? 'all' : options.clients.map((c) => normalizeClientId(c, 'migration'));

  await applyMigratorSchema(store);
  const tables = await tablePresence(store);
  assertCatalog(catalog);

  if (options.dryRun) return planRun(store, catalog, { strategy: asked, batchSize, maxFailureRate, clients, tables, onProgress: options.onProgress });

  // Phase analysis: a new run with its clients pending, or the unfinished one resumed.
  const analysis = new Meter();
  let run: RunRow | undefined;
  let resumed = false;
  if (options.runId !== undefined) {
    run = await getRun(store, options.runId);
    if (!run) throw new HotmodError(MigrationErrorCode.RUN_NOT_FOUND, `migration: no run '${options.runId}' in hotmod_migration_runs; list runs with hotmod migrate verify --json or start a new one without --run`, { runId: options.runId });
    if (run.status !== 'running' && run.status !== 'rolling_back') {
      throw new HotmodError(MigrationErrorCode.RUN_STATE, `migration: run '${run.run_id}' is ${run.status}, there is nothing to resume; start a new run without --run (or roll this one back with hotmod migrate rollback --run ${run.run_id})`, { runId: run.run_id, status: run.status });
    }
    resumed = true;
  } else {
    run = await findUnfinishedRun(store);
    if (run) {
      const sameClients = (run.options as { clientsKey?: string }).clientsKey === clientsKey(clients);
      if ((options.strategy !== undefined && run.strategy !== asked) || !sameClients) {
        throw new HotmodError(MigrationErrorCode.RUN_IN_PROGRESS, `migration: run '${run.run_id}' (strategy ${run.strategy}, ${String((run.options as { clients?: unknown }).clients)} clients) did not finish; resume it with --run ${run.run_id} or roll it back (hotmod migrate rollback --run ${run.run_id}) before starting another run`, { runId: run.run_id, strategy: run.strategy });
      }
      resumed = true;
    }
  }
  if (!run) {
    const runId = newRunId();
    await store.transaction(async (tx) => {
      await insertRun(tx, { runId, kind: 'batch', strategy: asked, batchSize, maxFailureRate, options: { clients: clients === 'all' ? 'all' : clients.length, clientsKey: clientsKey(clients) } });
      await insertRunClients(tx, runId, clients, tables);
    });
    // Fresh statistics for the table every batch claims from (PGlite has no autovacuum).
    await store.query('ANALYZE hotmod_migration_run_clients');
    run = (await getRun(store, runId))!;
  }
  phases.push({ name: 'analysis', ms: analysis.ms() });
  const ctx: RunContext = { store, catalog, strategy: run.strategy, legacyTable: tables.overrides, onProgress: options.onProgress };
  const runId = run.run_id;
  const rate = Number(run.max_failure_rate);
  const size = Number(run.batch_size);

  const finish = async (status: MigrationRunReport['status'], extra: Partial<MigrationRunReport> = {}): Promise<MigrationRunReport> => {
    const counts = await countClients(store, runId);
    const lists = await collectReport(store, runId);
    const ms = total.ms();
    const report: MigrationRunReport = {
      runId,
      strategy: run.strategy,
      dryRun: false,
      resumed,
      status,
      phases,
      counts,
      failureRate: counts.total > 0 ? counts.failed / counts.total : 0,
      maxFailureRate: rate,
      ...lists,
      ...extra,
      durationMs: Math.round(ms),
      clientsPerSecond: ms > 0 ? Math.round((counts.total * 1000) / ms) : 0,
    };
    if (status !== 'interrupted') await setRunState(store, runId, { report: { ...report, failures: report.failures.slice(0, 50), differences: report.differences.slice(0, 50) } });
    return report;
  };

  const rollBack = async (reason: string, message: string): Promise<MigrationRunReport> => {
    await setRunState(store, runId, { error: { code: reason, message } });
    const meter = new Meter();
    const toRestore = (await countClients(store, runId)).migrated;
    const restored = await rollbackRun(ctx, run, (n) => options.onProgress?.(progress(runId, 'rollback', toRestore, n, meter, { migrated: 0, skipped: 0, failed: 0 })));
    phases.push({ name: 'rollback', ms: meter.ms() });
    return finish('rolled_back', { rollback: { reason, message, restored }, ...(validationReport ? { validation: validationReport } : {}) });
  };

  if (run.status === 'rolling_back') {
    const err = (run.error ?? {}) as { code?: string; message?: string };
    return rollBack(err.code ?? 'resumed', err.message ?? `rollback of run ${runId} resumed`);
  }

  // Phase validation, before any change: the clients of a sample are planned on their rows
  // as they are now; when the failures predicted exceed the allowed rate, the run is refused
  // with nothing written. Every client is validated again in its batch, under its lock.
  let validationReport: ValidationReport | undefined;
  if (!resumed) {
    const validation = new Meter();
    await setRunState(store, runId, { phase: 'validation' });
    validationReport = await validateSample(ctx, runId, size, (n, total, tally) => options.onProgress?.(progress(runId, 'validation', total, n, validation, tally)));
    phases.push({ name: 'validation', ms: validation.ms() });
    const { sampled, predictedFailures } = validationReport;
    if (sampled > 0 && predictedFailures / sampled > rate) {
      const message = `run ${runId} refused at validation: ${predictedFailures} of ${sampled} clients checked${sampled < run.total ? ` (a sample of ${run.total})` : ''} would fail (${((100 * predictedFailures) / sampled).toFixed(1)}%, more than the allowed ${(100 * rate).toFixed(1)}%); nothing was changed; see the failures, fix them, and run again (or raise --max-failure-rate)`;
      validationReport.refused = { reason: MigrationErrorCode.FAILURE_RATE, message };
      await setRunState(store, runId, { status: 'refused', phase: 'done', finished: true, error: { code: MigrationErrorCode.FAILURE_RATE, message } });
      return finish('refused', { validation: validationReport });
    }
  }

  // Phases backup + migration, batch by batch.
  await setRunState(store, runId, { phase: 'migration' });
  const migration = new Meter();
  const start = await countClients(store, runId);
  const counts = { migrated: start.migrated, skipped: start.skipped, failed: start.failed };
  const doneAtStart = start.total - start.pending;
  let batch = await lastBatchNumber(store, runId);
  const split = options.splitFailedBatches !== false;
  for (;;) {
    if (options.signal?.aborted) {
      phases.push({ name: 'migration', ms: migration.ms() });
      return finish('interrupted');
    }
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
      phases.push({ name: 'migration', ms: migration.ms() });
      return rollBack(
        MigrationErrorCode.FAILURE_RATE,
        `run ${runId}: ${counts.failed} of ${start.total} clients failed (${((100 * counts.failed) / start.total).toFixed(1)}%, more than the allowed ${(100 * rate).toFixed(1)}%): every migrated client was restored from its backup; see the failures, fix them, and run again (or raise --max-failure-rate)`,
      );
    }
  }
  phases.push({ name: 'migration', ms: migration.ms() });

  // Phase verification.
  await setRunState(store, runId, { phase: 'verification' });
  const verifying = new Meter();
  const verification = await verifyRun(ctx, runId, (n) => options.onProgress?.(progress(runId, 'verification', counts.migrated, n, verifying, counts)));
  phases.push({ name: 'verification', ms: verifying.ms() });
  if (verification.mismatches.length > 0) {
    const failed = counts.failed + verification.mismatches.length;
    if (failed / start.total > rate) {
      return rollBack(
        MigrationErrorCode.VERIFY_FAILED,
        `run ${runId}: verification found ${verification.mismatches.length} clients whose effective module set changed, which with ${counts.failed} failures is more than ${(100 * rate).toFixed(1)}% of ${start.total}: the run was rolled back`,
      );
    }
    await setRunState(store, runId, { status: 'verify_failed', phase: 'done', finished: true, error: { code: MigrationErrorCode.VERIFY_FAILED, message: `${verification.mismatches.length} clients changed their effective module set` } });
    return finish('verify_failed', { verification: capMismatches(verification), ...(validationReport ? { validation: validationReport } : {}) });
  }
  await setRunState(store, runId, { status: 'completed', phase: 'done', finished: true });
  return finish('completed', { verification, ...(validationReport ? { validation: validationReport } : {}) });
}

function capMismatches(v: VerificationReport): VerificationReport {
  return v.mismatches.length > REPORT_LIST_MAX ? { ...v, mismatches: v.mismatches.slice(0, REPORT_LIST_MAX) } : v;
}

/** The dry run: every client planned and validated, nothing written. */
async function planRun(
  store: Store,
  catalog: CatalogView,
  o: { strategy: MigrationStrategy; batchSize: number; maxFailureRate: number; clients: 'all' | string[]; tables: { clients: boolean; overrides: boolean }; onProgress?: (p: MigrationProgress) => void },
): Promise<MigrationRunReport> {
  const meter = new Meter();
  let ids: string[];
  if (o.clients === 'all') {
    const sources = [
      o.tables.clients ? 'SELECT id::text AS id FROM clients' : undefined,
      o.tables.overrides ? 'SELECT client_id::text AS id FROM client_app_overrides' : undefined,
      'SELECT client_id AS id FROM hotmod_module_configs',
    ].filter(Boolean);
    ids = (await store.query<{ id: string }>(`SELECT id FROM (${sources.join(' UNION ')}) AS ids ORDER BY id`)).rows.map((r) => r.id);
  } else {
    ids = [...new Set(o.clients)].sort();
  }
  const analysisMs = meter.ms();
  const validation = new Meter();
  const counts: RunCounts = { total: ids.length, pending: ids.length, migrated: 0, skipped: 0, failed: 0, rolledBack: 0 };
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
    differences,
    ...(Object.keys(truncated).length > 0 ? { truncated } : {}),
    durationMs: Math.round(ms),
    clientsPerSecond: ms > 0 ? Math.round((ids.length * 1000) / ms) : 0,
  };
}

