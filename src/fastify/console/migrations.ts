/**
 * Migration runs from the console, through the migrator's own API (host.migrator: runMigration,
 * verifyRun, rollbackRun, listRuns; docs/migration.md). A run started here goes on in the
 * background; its progress reaches every open page over the hub's stream ('migration'
 * events) and its report is kept until the next run. A rollback needs the run id typed back
 * as the confirmation.
 */
import { HotmodError, MigrationErrorCode, type Host, type MigrationRunOptions, type MigrationRunReport, type ModuleDataMigrator } from '../../index.js';
import { FastifyErrorCode } from '../errors.js';
import type { ConsoleHub } from './sse.js';

type Progress = Parameters<NonNullable<MigrationRunOptions['onProgress']>>[0];

/** What the console shows of a run's report (the full report stays with the CLI and the API). */
export interface RunSummary {
  runId: string | null;
  status: string;
  dryRun: boolean;
  counts: MigrationRunReport['counts'];
  failureRate: number;
  durationMs: number;
  refused?: { reason: string; message: string };
  verification?: { checked: number; unchanged: number; mismatches: number; laterWrites: number };
  rollback?: MigrationRunReport['rollback'];
}

export interface ConsoleRunState {
  runId: string | null;
  state: 'running' | 'finished' | 'failed' | 'rolling-back' | 'rolled-back';
  progress: Progress | null;
  summary?: RunSummary;
  error?: { code: string; message: string };
}

function summarize(report: MigrationRunReport): RunSummary {
  return {
    runId: report.runId,
    status: report.status,
    dryRun: report.dryRun,
    counts: report.counts,
    failureRate: report.failureRate,
    durationMs: Math.round(report.durationMs),
    ...(report.validation?.refused ? { refused: report.validation.refused } : {}),
    ...(report.verification
      ? { verification: { checked: report.verification.checked, unchanged: report.verification.unchanged, mismatches: report.verification.mismatches.length, laterWrites: report.verification.laterWrites.length } }
      : {}),
    ...(report.rollback ? { rollback: report.rollback } : {}),
  };
}

function codeOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'E_INTERNAL', message: typeof e?.message === 'string' ? e.message : String(error) };
}

export class ConsoleMigrations {
  readonly #host: Host;
  readonly #hub: ConsoleHub;
  #current: ConsoleRunState | undefined;

  constructor(host: Host, hub: ConsoleHub) {
    this.#host = host;
    this.#hub = hub;
  }

  #migrator(): ModuleDataMigrator {
    const migrator = this.#host.migrator;
    if (!migrator) throw new HotmodError(FastifyErrorCode.HOST_NOT_READY, 'migrations need host.migrator, which this host does not have; create the host with a store (docs/migration.md)', { part: 'migrator' });
    return migrator;
  }

  get current(): ConsoleRunState | undefined {
    return this.#current;
  }

  #update(next: ConsoleRunState): void {
    this.#current = next;
    this.#hub.broadcast('migration', next);
  }

  /** Starts a run in the background; resolves once it has a run id (or has ended, a dry run or a refusal). */
  async start(options: { strategy?: MigrationRunOptions['strategy']; batchSize?: number; dryRun?: boolean }): Promise<ConsoleRunState> {
    const migrator = this.#migrator();
    if (this.#current?.state === 'running' || this.#current?.state === 'rolling-back') {
      throw new HotmodError(MigrationErrorCode.RUN_IN_PROGRESS, `a migration run started from the console is still ${this.#current.state} (run ${this.#current.runId ?? 'not yet numbered'}); wait for it to end`, { runId: this.#current.runId });
    }
    const state: ConsoleRunState = { runId: null, state: 'running', progress: null };
    this.#update(state);
    let announced: () => void = () => {};
    const first = new Promise<void>((resolve) => (announced = resolve));
    const run = migrator.runMigration({
      clients: 'all',
      ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      onProgress: (progress) => {
        this.#update({ ...this.#current!, runId: progress.runId ?? this.#current!.runId, progress });
        if (progress.runId !== null) announced();
      },
    });
    run.then(
      (report) => {
        this.#update({ ...this.#current!, runId: report.runId, state: 'finished', summary: summarize(report) });
        announced();
      },
      (error: unknown) => {
        this.#update({ ...this.#current!, state: 'failed', error: codeOf(error) });
        announced();
      },
    );
    await first;
    return this.#current!;
  }

  list(limit = 20) {
    return this.#migrator().listRuns(limit);
  }

  progress(runId: string) {
    return this.#migrator().getRunProgress(runId);
  }

  verify(runId: string) {
    return this.#migrator().verifyRun(runId);
  }

  /** Rolls a run back; `confirm` must repeat the run id. */
  async rollback(runId: string, confirm: unknown) {
    if (confirm !== runId) {
      throw new HotmodError(FastifyErrorCode.CONSOLE_CONFIRMATION_REQUIRED, `rolling back run ${runId} restores every client of it from its backup: send { "confirm": "${runId}" } (the run id typed back) to confirm`, { runId });
    }
    const migrator = this.#migrator();
    this.#update({ runId, state: 'rolling-back', progress: null });
    try {
      const result = await migrator.rollbackRun(runId, { onBatch: (restored) => this.#hub.broadcast('migration', { ...this.#current!, restored }) });
      this.#update({ runId, state: 'rolled-back', progress: null });
      return result;
    } catch (error) {
      this.#update({ runId, state: 'failed', progress: null, error: codeOf(error) });
      throw error;
    }
  }
}
