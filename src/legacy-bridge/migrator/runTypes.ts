import type { CatalogView } from '../../types.js';
import type { Store } from '../store/types.js';
import type { MigrationDifference, MigrationStrategy } from './planClientMigration.js';
import type { RunCounts, RunPhase, RunStatus } from './runRepository.js';

/** The batch run's options, reports and context, shared by its phases (docs/migration.md). */
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
  /** The report lists every failed client (not only the first REPORT_LIST_MAX): the CLI's --json. */
  listAll?: boolean;
  /** Roll the whole run back when more than this share of its clients fail (default 0.1). */
  maxFailureRate?: number;
  /** Resume (or finish rolling back) this run. Without it, an unfinished run is resumed. */
  runId?: string;
  /** When the database refuses a write of a batch, run it once more with its clients in small groups under savepoints, so one bad client costs only itself (default true). */
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
  /** Clients whose effective module set differs from the one recorded before migration (and whose rows are as the batch left them). */
  mismatches: { clientId: string; before: string[]; after: string[] }[];
  /** Clients written after their batch committed (any path): the application's own changes, not compared, not mismatches. */
  laterWrites: string[];
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
  rollback?: { reason: string; message: string; restored: number; needsAttention: number };
  /** Clients a rollback left as they are (written after their backup, or their restore refused), with why. */
  attention: ClientFailure[];
  /** Lists cut at REPORT_LIST_MAX: how many entries were left out. */
  truncated?: { failures?: number; differences?: number; mismatches?: number; attention?: number };
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

