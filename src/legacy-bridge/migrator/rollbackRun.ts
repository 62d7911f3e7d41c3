import { loadBackups, lockClients, restoreBackups } from './batchRepository.js';
import { yieldToEventLoop } from './runProgress.js';
import { claimPending, setRunState, writeClientResults, type RunRow } from './runRepository.js';
import type { RunContext } from './runTypes.js';

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
      await restoreBackups(tx, await loadBackups(tx, run.run_id, claimed), ctx.legacyTable);
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
