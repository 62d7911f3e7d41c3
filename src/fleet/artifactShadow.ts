/**
 * A module folder and a stored artifact with the same id@version: the folder's copy
 * serves (the operator's own directory has the last word on that machine). Same content
 * hash: nothing to say. Different bytes: E_ARTIFACT_SHADOWED, reported as a diagnostic.
 */
import { readFile } from 'node:fs/promises';
import { HotmodError } from '../errors.js';
import type { ModulePackage } from '../registry/index.js';
import { contentHash, type StoredArtifact } from './artifact.js';
import { FleetErrorCode } from './errors.js';

export async function shadowedArtifact(folder: ModulePackage, artifact: StoredArtifact): Promise<HotmodError | undefined> {
  let hash: string;
  try {
    hash = contentHash(await readFile(folder.packageJsonPath, 'utf8'), await readFile(folder.entryPath));
  } catch {
    hash = '';
  }
  if (hash === artifact.contentSha256) return undefined;
  return new HotmodError(
    FleetErrorCode.ARTIFACT_SHADOWED,
    `${folder.key} is both in the modules directory (${folder.dir}) and published in the store with other bytes (sha256 ${artifact.contentSha256.slice(0, 12)}…, by ${artifact.publishedBy}); the directory's copy serves on this host: remove the folder, or publish the folder's code under a new version`,
    { id: folder.manifest.id, version: folder.manifest.version, dir: folder.dir, storeSha256: artifact.contentSha256, folderSha256: hash },
  );
}
