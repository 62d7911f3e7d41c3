/**
 * The rollout tables (component 'rollouts' of hotmod's schema migrations, so several hosts
 * opening one database at once apply them once, under the schema lock):
 *
 *   hotmod_rollouts          one row per rollout: target, stages, budget, state, revision (the compare-and-set key)
 *   hotmod_rollout_health    one row per (rollout, host, version): that host's counts since it joined
 *   hotmod_rollout_events    the history: every state change, who made it and why
 *
 * A trigger announces every change of a rollout row on NOTIFY channel `hotmod_rollouts`
 * (payload: the rollout id), direct SQL included, so hosts hear of it at once; they poll too.
 */
import type { SchemaMigration } from '../legacy-bridge/index.js';
import { schemaEnsurer } from './fleetSchema.js';

export const ROLLOUT_CHANNEL = 'hotmod_rollouts';

/** The states in which a rollout is live (one live rollout per module). */
export const LIVE_STATES_SQL = `('pending', 'running', 'paused', 'promoting')`;

const ROLLOUT_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'rollouts, their health and history',
    up: [
      `CREATE TABLE IF NOT EXISTS hotmod_rollouts (
        id text PRIMARY KEY,
        module_id text NOT NULL,
        from_version text,
        to_version text NOT NULL,
        stages jsonb NOT NULL,
        bake_ms bigint NOT NULL,
        max_error_rate double precision NOT NULL,
        max_p99_ms double precision,
        min_calls integer NOT NULL,
        clients jsonb NOT NULL DEFAULT '[]'::jsonb,
        allow_stateful boolean NOT NULL DEFAULT false,
        state text NOT NULL,
        stage integer,
        stage_started_at timestamptz,
        reason text,
        revision integer NOT NULL DEFAULT 0,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX IF NOT EXISTS hotmod_rollouts_one_live ON hotmod_rollouts (module_id) WHERE state IN ${LIVE_STATES_SQL}`,
      `CREATE TABLE IF NOT EXISTS hotmod_rollout_health (
        rollout_id text NOT NULL REFERENCES hotmod_rollouts (id) ON DELETE CASCADE,
        host_id text NOT NULL,
        version text NOT NULL,
        calls bigint NOT NULL,
        errors bigint NOT NULL,
        timeouts bigint NOT NULL,
        le jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (rollout_id, host_id, version)
      )`,
      `CREATE TABLE IF NOT EXISTS hotmod_rollout_events (
        seq bigserial PRIMARY KEY,
        rollout_id text NOT NULL REFERENCES hotmod_rollouts (id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        host_id text,
        event text NOT NULL,
        from_state text,
        to_state text NOT NULL,
        reason text
      )`,
      `CREATE OR REPLACE FUNCTION hotmod_notify_rollout_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM pg_notify('${ROLLOUT_CHANNEL}', NEW.id);
        RETURN NULL;
      END
      $fn$`,
      `CREATE TRIGGER hotmod_rollouts_notify AFTER INSERT OR UPDATE ON hotmod_rollouts FOR EACH ROW EXECUTE FUNCTION hotmod_notify_rollout_change()`,
    ],
  },
];

/** Creates (or upgrades) the rollout tables once per open store; safe to call from every host at once. */
export const ensureRolloutSchema = schemaEnsurer('rollouts', ROLLOUT_MIGRATIONS);
