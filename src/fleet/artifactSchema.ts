/**
 * hotmod_artifacts: every published module version (docs/fleet.md "Artifacts"). One row
 * per id@version, immutable once written. `seq` orders publishes as they committed (the
 * publish transaction takes ARTIFACT_PUBLISH_LOCK before it draws the next seq), so a host
 * that has read up to seq N has every artifact committed before N: its catch-up is
 * `WHERE seq > N`.
 */
import type { SchemaMigration } from '../legacy-bridge/index.js';
import { schemaEnsurer } from './fleetSchema.js';

/** The NOTIFY channel of new artifacts: payload `<seq> <id>@<version>`. */
export const ARTIFACTS_CHANNEL = 'hotmod_artifacts';

/** Advisory transaction lock of a publish (an arbitrary constant): publishes commit in seq order. */
export const ARTIFACT_PUBLISH_LOCK = 734_150_012;

export const ARTIFACT_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'published module artifacts',
    up: [
      `CREATE TABLE IF NOT EXISTS hotmod_artifacts (
        module_id text NOT NULL,
        version text NOT NULL,
        seq bigint NOT NULL UNIQUE,
        content_sha256 text NOT NULL,
        bundle_sha256 text NOT NULL,
        main text NOT NULL,
        package_json text NOT NULL,
        manifest jsonb NOT NULL,
        bundle bytea NOT NULL,
        source_map bytea,
        published_by text NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (module_id, version)
      )`,
      `CREATE SEQUENCE IF NOT EXISTS hotmod_artifacts_seq`,
    ],
  },
  {
    version: 2,
    name: 'staged artifacts (held until a rollout of the version promotes it)',
    up: [`ALTER TABLE hotmod_artifacts ADD COLUMN IF NOT EXISTS staged boolean NOT NULL DEFAULT false`],
  },
];

/** Applies the artifact schema once per store. */
export const ensureArtifactSchema = schemaEnsurer('artifacts', ARTIFACT_MIGRATIONS);
