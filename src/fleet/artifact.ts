/**
 * An artifact: one published module version as the store holds it (docs/fleet.md
 * "Artifacts"), and its content hash.
 */
import { createHash } from 'node:crypto';

/** What `publish` stores: the package.json as written, the bundle its `main` names, the source map if any. */
export interface ArtifactInput {
  /** package.json, exactly as in the package folder. */
  packageJson: string;
  bundle: Uint8Array;
  /** The bundle's source map (`.hotmod/<main>.map` of `hotmod build`), when there is one. */
  sourceMap?: Uint8Array;
  /** Who publishes (default in the CLI: user@hostname). */
  publishedBy: string;
  /**
   * Staged (`hotmod publish --staged`): hosts fetch and catalog it but keep it out of the
   * plan until a rollout of this id@version runs it as its candidate and promotes it.
   */
  staged?: boolean;
}

/** A stored artifact, as hosts read it. */
export interface StoredArtifact {
  id: string;
  version: string;
  /** Publish order (commit order) across the store. */
  seq: number;
  contentSha256: string;
  bundleSha256: string;
  main: string;
  packageJson: string;
  bundle: Uint8Array;
  sourceMap?: Uint8Array;
  publishedBy: string;
  publishedAt: string;
  /** Published with --staged: served only through a rollout of this id@version. */
  staged: boolean;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The content hash: package.json (parsed and printed again, so formatting is not content)
 * and the bundle's bytes. The source map is not content: it describes the bundle
 * (a map rebuilt with other paths changes nothing that runs).
 */
export function contentHash(packageJson: string, bundle: Uint8Array): string {
  const canonical = JSON.stringify(JSON.parse(packageJson));
  return sha256(`hotmod-artifact/1\n${canonical}\n${sha256(bundle)}`);
}
