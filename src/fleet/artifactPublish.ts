/**
 * Publishes an artifact into the store: validated, hashed, written and announced in one
 * transaction (docs/fleet.md "Publish").
 *
 *   BEGIN; pg_advisory_xact_lock(ARTIFACT_PUBLISH_LOCK)      publishes one at a time
 *     row for id@version?  same content hash ─► 'unchanged' (no write, no NOTIFY; the first
 *                                               publish's `staged` stands)
 *                          other content     ─► E_ARTIFACT_VERSION_EXISTS (bump the version)
 *     INSERT … seq = nextval(); pg_notify('hotmod_artifacts', '<seq> <id>@<version>')
 *   COMMIT                                                   hosts hear it after the commit
 */
import { HotmodError } from '../errors.js';
import type { ModuleManifest } from '../manifest.js';
import { validateManifest } from '../registry/index.js';
import type { Store } from '../legacy-bridge/index.js';
import { contentHash, sha256, type ArtifactInput } from './artifact.js';
import type { ArtifactSummary } from './artifactQueries.js';
import { ARTIFACT_PUBLISH_LOCK, ARTIFACTS_CHANNEL, ensureArtifactSchema } from './artifactSchema.js';
import { FleetErrorCode } from './errors.js';

/** 'published': stored now; 'unchanged': the same bytes were already published (nothing written). */
export type PublishResult = { status: 'published' | 'unchanged' } & ArtifactSummary;

/** Checks the package.json of an artifact; the manifest, or E_ARTIFACT_INVALID with every problem. */
export function artifactManifest(packageJson: string, where: string): ModuleManifest {
  let json: unknown;
  try {
    json = JSON.parse(packageJson);
  } catch (error) {
    throw new HotmodError(FleetErrorCode.ARTIFACT_INVALID, `publish ${where}: package.json is not valid JSON (${(error as Error).message}); fix it and publish again`, { where }, { cause: error });
  }
  const { manifest, diagnostics } = validateManifest(json, { dir: where, file: `${where}/package.json` });
  if (!manifest) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    throw new HotmodError(
      FleetErrorCode.ARTIFACT_INVALID,
      `publish ${where}: the manifest is invalid: ${errors.map((d) => `${d.jsonPath}: ${d.message}`).join('; ')}; fix it (hotmod check) and publish again`,
      { where, diagnostics: errors },
    );
  }
  return manifest;
}

export async function publishArtifact(store: Store, input: ArtifactInput, where = 'artifact'): Promise<PublishResult> {
  const manifest = artifactManifest(input.packageJson, where);
  if (input.bundle.byteLength === 0)
    throw new HotmodError(FleetErrorCode.ARTIFACT_INVALID, `publish ${manifest.id}@${manifest.version}: the bundle ${manifest.main} is empty; build the module (hotmod build) first`, { id: manifest.id, version: manifest.version });
  const hash = contentHash(input.packageJson, input.bundle);
  const { id, version } = manifest;
  await ensureArtifactSchema(store);
  return store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ARTIFACT_PUBLISH_LOCK]);
    const { rows } = await tx.query<{ seq: string; content_sha256: string; published_by: string; published_at: Date | string; bytes: number; staged: boolean }>(
      'SELECT seq::text AS seq, content_sha256, published_by, published_at, octet_length(bundle) AS bytes, staged FROM hotmod_artifacts WHERE module_id = $1 AND version = $2',
      [id, version],
    );
    const existing = rows[0];
    if (existing) {
      const at = new Date(existing.published_at).toISOString();
      if (existing.content_sha256 !== hash) {
        throw new HotmodError(
          FleetErrorCode.ARTIFACT_VERSION_EXISTS,
          `publish ${id}@${version} refused: a different artifact was published under this version (sha256 ${existing.content_sha256.slice(0, 12)}…, by ${existing.published_by} at ${at}); published versions never change: bump "version" in package.json and publish again`,
          { id, version, publishedSha256: existing.content_sha256, sha256: hash, publishedBy: existing.published_by, publishedAt: at },
        );
      }
      return { status: 'unchanged', id, version, seq: Number(existing.seq), contentSha256: hash, bundleBytes: Number(existing.bytes), publishedBy: existing.published_by, publishedAt: at, staged: existing.staged === true };
    }
    const inserted = await tx.query<{ seq: string; published_at: Date | string }>(
      `INSERT INTO hotmod_artifacts (module_id, version, seq, content_sha256, bundle_sha256, main, package_json, manifest, bundle, source_map, published_by, staged)
       VALUES ($1, $2, nextval('hotmod_artifacts_seq'), $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)
       RETURNING seq::text AS seq, published_at`,
      [id, version, hash, sha256(input.bundle), manifest.main, input.packageJson, JSON.stringify(manifest), input.bundle, input.sourceMap ?? null, input.publishedBy, input.staged === true],
    );
    const row = inserted.rows[0]!;
    await tx.query('SELECT pg_notify($1, $2)', [ARTIFACTS_CHANNEL, `${row.seq} ${id}@${version}`]);
    return {
      status: 'published',
      id,
      version,
      seq: Number(row.seq),
      contentSha256: hash,
      bundleBytes: input.bundle.byteLength,
      publishedBy: input.publishedBy,
      publishedAt: new Date(row.published_at).toISOString(),
      staged: input.staged === true,
    };
  });
}
