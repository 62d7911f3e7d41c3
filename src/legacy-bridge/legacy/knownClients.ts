import { HotmodError } from '../../errors.js';
import { nearest } from '../../shared/nearest.js';
import { isUuid } from '../clientId.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import type { Queryable } from '../store/types.js';
import type { ClientConfigState } from '../view/rows.js';

/** How many ids per table the "nearest known ids" hint reads at the most (the hint is for typos, not a search). */
export const NEAREST_SCAN_LIMIT = 10_000;

async function clientsTableExists(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ present: boolean }>(`SELECT to_regclass('clients') IS NOT NULL AS present`);
  return rows[0]?.present === true;
}

/**
 * Whether either system knows the client: a client_app_overrides row, a row in the legacy
 * `clients` table, or any hotmod_module_configs row. `state` is the client's loaded state
 * (its rows of both tables), so only a client with none of them costs a query.
 */
export async function isKnownClient(q: Queryable, state: ClientConfigState, legacyTable: boolean): Promise<boolean> {
  if (state.legacy || (state.legacyRowCount ?? 0) > 0 || state.registry.length > 0) return true;
  if (!legacyTable || !isUuid(state.clientId) || !(await clientsTableExists(q))) return false;
  const { rows } = await q.query<{ known: boolean }>('SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1::uuid) AS known', [state.clientId]);
  return rows[0]?.known === true;
}

/** Known client ids nearest to `clientId` (edit distance), from both systems. */
export async function nearestKnownClients(q: Queryable, clientId: string, legacyTable: boolean): Promise<string[]> {
  const ids: string[] = [];
  const read = async (sql: string) => {
    const { rows } = await q.query<{ id: string }>(sql, [NEAREST_SCAN_LIMIT]);
    for (const r of rows) ids.push(r.id);
  };
  await read('SELECT DISTINCT client_id AS id FROM hotmod_module_configs LIMIT $1');
  if (legacyTable) await read('SELECT DISTINCT client_id::text AS id FROM client_app_overrides LIMIT $1');
  if (legacyTable && (await clientsTableExists(q))) await read('SELECT id::text AS id FROM clients LIMIT $1');
  return nearest(clientId, ids);
}

/**
 * Refuses a write for a client neither system knows (E_CLIENT_UNKNOWN), naming the nearest
 * known ids: a typo must not create a new, empty registry-only client. `createClient: true`
 * on the write says the caller means to create it.
 */
export async function assertKnownClient(q: Queryable, state: ClientConfigState, legacyTable: boolean, where: string): Promise<void> {
  if (await isKnownClient(q, state, legacyTable)) return;
  const id = state.clientId;
  const near = await nearestKnownClients(q, id, legacyTable);
  throw new HotmodError(
    LegacyBridgeErrorCode.CLIENT_UNKNOWN,
    `${where}(${id}): no client '${id}' in client_app_overrides, clients or hotmod_module_configs, so nothing was written; ` +
      (near.length > 0 ? `nearest known ids: ${near.join(', ')}. ` : 'no known id is close to it. ') +
      'Check the id, or pass { createClient: true } (CLI: --create) to create the client with this write',
    { clientId: id, nearest: near },
  );
}
