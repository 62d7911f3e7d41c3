import { randomUUID } from 'node:crypto';
import type { Queryable } from '../store/types.js';
import { writeBackups } from './batchRepository.js';
import type { ClientMigrationPlan } from './planClientMigration.js';
import type { RunContext } from './runTypes.js';

/**
 * Phase 3, backup: inside the batch's transaction and before any of its writes, one backup
 * per client that will change (its legacy rows and registry rows as read, as row texts).
 * Returns the backup id of each.
 */
export async function backUpClients(tx: Queryable, ctx: Pick<RunContext, 'strategy' | 'legacyTable'>, runId: string, migrating: readonly ClientMigrationPlan[]): Promise<Map<string, string>> {
  const backups = new Map(migrating.map((p) => [p.clientId, randomUUID()]));
  await writeBackups(tx, runId, ctx.strategy, [...backups].map(([clientId, backupId]) => ({ backupId, clientId })), ctx.legacyTable);
  return backups;
}
