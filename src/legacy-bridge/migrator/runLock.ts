import { HotmodError } from '../../errors.js';
import type { AdvisoryLock, Store } from '../store/types.js';
import { MigrationErrorCode } from './errors.js';
import { findUnfinishedRun } from './runRepository.js';

/**
 * One batch run or run rollback at a time per database. Finding an unfinished run and
 * creating one are separate transactions, so without this two `migrate run` started
 * together would create two runs. The lock is a session-level advisory lock on a connection
 * of its own (PostgreSQL): a process that dies (even kill -9) loses it at once, so a crashed
 * run is resumed by the next call and a live one is never joined.
 */
export const MIGRATION_RUN_LOCK = { namespace: 734_150_002, key: 1 } as const;

/** Stores without tryAdvisoryLock (a wrapper of the caller's): the lock holds within this process. */
const heldInProcess = new WeakSet<Store>();

async function acquire(store: Store): Promise<AdvisoryLock | null> {
  if (store.tryAdvisoryLock) return store.tryAdvisoryLock(MIGRATION_RUN_LOCK.namespace, MIGRATION_RUN_LOCK.key);
  if (heldInProcess.has(store)) return null;
  heldInProcess.add(store);
  return { release: async () => void heldInProcess.delete(store) };
}

/** Runs `fn` holding the run lock; refuses with E_MIGRATION_RUN_IN_PROGRESS, naming the run, when another process holds it. */
export async function withRunLock<T>(store: Store, what: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquire(store);
  if (!lock) {
    // The holder may be a moment from creating its run: give it that moment, to name the run.
    let run = await findUnfinishedRun(store).catch(() => undefined);
    for (let i = 0; !run && i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await findUnfinishedRun(store).catch(() => undefined);
    }
    const running = run ? `run '${run.run_id}' (${run.status}, phase ${run.phase})` : 'another migration run or rollback';
    throw new HotmodError(
      MigrationErrorCode.RUN_IN_PROGRESS,
      `migration: ${what} refused: ${running} is in progress in another process or call (it holds the migration lock); only one runs at a time — wait for it to finish (hotmod migrate verify lists the runs)${run ? `, then resume or roll it back with --run ${run.run_id} if it did not finish` : ''}`,
      { ...(run ? { runId: run.run_id, status: run.status } : {}), locked: true },
    );
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
