/**
 * hotmod_fleet_hosts: one row per running host, refreshed by its heartbeat
 * (docs/fleet.md "Fleet view"). `serves` is module id → { versions, rolloutStage }; the
 * rollout stage is null until a rollout governs the module.
 */
import type { SchemaMigration } from '../legacy-bridge/index.js';
import { schemaEnsurer } from './fleetSchema.js';

export const HEARTBEAT_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'fleet host heartbeats',
    up: [
      `CREATE TABLE IF NOT EXISTS hotmod_fleet_hosts (
        host_id text PRIMARY KEY,
        pid integer NOT NULL,
        hostname text NOT NULL,
        hotmod_version text NOT NULL,
        started_at timestamptz NOT NULL,
        last_seen timestamptz NOT NULL DEFAULT now(),
        heartbeat_ms integer NOT NULL,
        serves jsonb NOT NULL DEFAULT '{}'::jsonb
      )`,
    ],
  },
];

/** Applies the heartbeat schema once per store. */
export const ensureHeartbeatSchema = schemaEnsurer('fleet-hosts', HEARTBEAT_MIGRATIONS);
