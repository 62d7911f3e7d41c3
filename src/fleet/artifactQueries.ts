/** Reads of hotmod_artifacts: what hosts catch up on, and the list `hotmod fleet` shows. */
import type { Store } from '../legacy-bridge/index.js';
import type { StoredArtifact } from './artifact.js';
import { ensureArtifactSchema } from './artifactSchema.js';

interface ArtifactRow {
  module_id: string;
  version: string;
  seq: string;
  content_sha256: string;
  bundle_sha256: string;
  main: string;
  package_json: string;
  bundle: Uint8Array;
  source_map: Uint8Array | null;
  published_by: string;
  published_at: Date | string;
  staged: boolean;
}

/** pg hands bytea back as a Buffer, PGlite as a Uint8Array: one shape for both. */
const bytes = (value: Uint8Array): Uint8Array => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));

/** Artifacts published after `afterSeq`, in publish order, at most `limit` of them. */
export async function artifactsAfter(store: Store, afterSeq: number, limit = 100): Promise<StoredArtifact[]> {
  await ensureArtifactSchema(store);
  const { rows } = await store.query<ArtifactRow>(
    `SELECT module_id, version, seq::text AS seq, content_sha256, bundle_sha256, main, package_json, bundle, source_map, published_by, published_at, staged
       FROM hotmod_artifacts WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  return rows.map((r) => ({
    id: r.module_id,
    version: r.version,
    seq: Number(r.seq),
    contentSha256: r.content_sha256,
    bundleSha256: r.bundle_sha256,
    main: r.main,
    packageJson: r.package_json,
    bundle: bytes(r.bundle),
    ...(r.source_map ? { sourceMap: bytes(r.source_map) } : {}),
    publishedBy: r.published_by,
    publishedAt: new Date(r.published_at).toISOString(),
    staged: r.staged === true,
  }));
}

export interface ArtifactSummary {
  id: string;
  version: string;
  seq: number;
  contentSha256: string;
  bundleBytes: number;
  publishedBy: string;
  publishedAt: string;
  /** Published with --staged (docs/fleet.md "Staged publish"). */
  staged: boolean;
}

/** Every published artifact without its bytes, by id then publish order. */
export async function listArtifacts(store: Store): Promise<ArtifactSummary[]> {
  await ensureArtifactSchema(store);
  const { rows } = await store.query<{ module_id: string; version: string; seq: string; content_sha256: string; bytes: number; published_by: string; published_at: Date | string; staged: boolean }>(
    `SELECT module_id, version, seq::text AS seq, content_sha256, octet_length(bundle) AS bytes, published_by, published_at, staged
       FROM hotmod_artifacts ORDER BY module_id, seq`,
  );
  return rows.map((r) => ({
    id: r.module_id,
    version: r.version,
    seq: Number(r.seq),
    contentSha256: r.content_sha256,
    bundleBytes: Number(r.bytes),
    publishedBy: r.published_by,
    publishedAt: new Date(r.published_at).toISOString(),
    staged: r.staged === true,
  }));
}
