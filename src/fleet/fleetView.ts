/**
 * The fleet view (`host.fleet()`, `hotmod fleet`): every host with a heartbeat row, what
 * it serves, and whether it is stale. Ages are the database's (now() - last_seen), so the
 * hosts' clocks do not matter.
 */
import type { Store } from '../legacy-bridge/index.js';
import { ensureHeartbeatSchema } from './heartbeatSchema.js';
import type { HostServes } from './heartbeat.js';

/** A host is stale when its last heartbeat is older than this many of its intervals. */
export const DEFAULT_STALE_AFTER = 3;

export interface FleetHost {
  hostId: string;
  pid: number;
  hostname: string;
  hotmodVersion: string;
  startedAt: string;
  lastSeen: string;
  /** Milliseconds since the last heartbeat, by the database's clock. */
  ageMs: number;
  heartbeatMs: number;
  /** No heartbeat for staleAfter intervals: the host died or lost the store. */
  stale: boolean;
  /** This is the host that asked (host.fleet()). */
  self: boolean;
  /** Module id → versions served (and the rollout stage). */
  modules: HostServes;
}

export interface FleetView {
  hosts: FleetHost[];
  live: number;
  stale: number;
  staleAfter: number;
}

export async function readFleet(store: Store, options: { selfId?: string; staleAfter?: number } = {}): Promise<FleetView> {
  await ensureHeartbeatSchema(store);
  const staleAfter = options.staleAfter ?? DEFAULT_STALE_AFTER;
  const { rows } = await store.query<{
    host_id: string;
    pid: number;
    hostname: string;
    hotmod_version: string;
    started_at: Date | string;
    last_seen: Date | string;
    heartbeat_ms: number;
    serves: HostServes | string;
    age_ms: number;
  }>(
    `SELECT host_id, pid, hostname, hotmod_version, started_at, last_seen, heartbeat_ms, serves,
            (extract(epoch FROM (now() - last_seen)) * 1000)::float8 AS age_ms
       FROM hotmod_fleet_hosts ORDER BY host_id`,
  );
  const hosts = rows.map((r): FleetHost => {
    const ageMs = Math.max(0, Math.round(Number(r.age_ms)));
    return {
      hostId: r.host_id,
      pid: Number(r.pid),
      hostname: r.hostname,
      hotmodVersion: r.hotmod_version,
      startedAt: new Date(r.started_at).toISOString(),
      lastSeen: new Date(r.last_seen).toISOString(),
      ageMs,
      heartbeatMs: Number(r.heartbeat_ms),
      stale: ageMs > staleAfter * Number(r.heartbeat_ms),
      self: r.host_id === options.selfId,
      modules: typeof r.serves === 'string' ? (JSON.parse(r.serves) as HostServes) : r.serves,
    };
  });
  const stale = hosts.filter((h) => h.stale).length;
  return { hosts, live: hosts.length - stale, stale, staleAfter };
}

/** Deletes the rows of stale hosts (`hotmod fleet --prune`): the ids removed. A live host's next beat would write its row again anyway. */
export async function pruneStaleHosts(store: Store, staleAfter = DEFAULT_STALE_AFTER): Promise<string[]> {
  await ensureHeartbeatSchema(store);
  const { rows } = await store.query<{ host_id: string }>(
    `DELETE FROM hotmod_fleet_hosts WHERE extract(epoch FROM (now() - last_seen)) * 1000 > $1 * heartbeat_ms RETURNING host_id`,
    [staleAfter],
  );
  return rows.map((r) => r.host_id).sort();
}
