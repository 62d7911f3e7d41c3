/**
 * The host's artifact cache: a stored artifact written out as a module package folder, so
 * the catalog loads it exactly like a folder of the modules directory (loadModulePackage).
 *
 *   <cacheDir>/<id>@<version>-<first 16 hex of the content hash>/
 *     package.json · <main> · .hotmod/<main>.map (when published with one)
 *
 * Folder names carry the content hash and are written under a temporary name, then
 * renamed: a folder that exists is complete and holds those bytes, so several hosts on
 * one machine may share a cache and a restart reuses what it wrote.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HotmodError } from '../errors.js';
import { loadModulePackage, type ModulePackage } from '../registry/index.js';
import { isDirectory } from '../shared/fs.js';
import type { StoredArtifact } from './artifact.js';
import { FleetErrorCode } from './errors.js';

export function artifactFolderName(artifact: Pick<StoredArtifact, 'id' | 'version' | 'contentSha256'>): string {
  return `${artifact.id}@${artifact.version}-${artifact.contentSha256.slice(0, 16)}`;
}

function unusable(artifact: StoredArtifact, reason: string, cause?: unknown): HotmodError {
  return new HotmodError(
    FleetErrorCode.ARTIFACT_UNUSABLE,
    `stored artifact ${artifact.id}@${artifact.version} cannot be served: ${reason}; check the artifact cache directory (fleet.cacheDir) is writable, or publish a fixed version`,
    { id: artifact.id, version: artifact.version },
    cause === undefined ? undefined : { cause },
  );
}

/** Writes the artifact into the cache (unless there already) and loads it as a package. */
export async function materializeArtifact(cacheDir: string, artifact: StoredArtifact): Promise<ModulePackage> {
  const root = path.resolve(cacheDir);
  const dir = path.join(root, artifactFolderName(artifact));
  const mainFile = path.resolve(dir, artifact.main);
  if (!mainFile.startsWith(dir + path.sep)) throw unusable(artifact, `its main '${artifact.main}' points outside the package`);
  if (!(await isDirectory(dir))) {
    const temp = path.join(root, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      const tempMain = path.resolve(temp, artifact.main);
      await mkdir(path.dirname(tempMain), { recursive: true });
      await writeFile(path.join(temp, 'package.json'), artifact.packageJson);
      await writeFile(tempMain, artifact.bundle);
      if (artifact.sourceMap) {
        const mapFile = path.join(temp, '.hotmod', `${artifact.main}.map`);
        await mkdir(path.dirname(mapFile), { recursive: true });
        await writeFile(mapFile, artifact.sourceMap);
      }
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another host of this machine renamed the same content in first.
        if (!(await isDirectory(dir))) throw error;
      });
    } catch (error) {
      throw unusable(artifact, `writing ${dir} failed: ${(error as Error).message}`, error);
    } finally {
      await rm(temp, { recursive: true, force: true }).catch(() => {});
    }
  }
  const { pkg, diagnostics } = await loadModulePackage(dir);
  if (!pkg) throw unusable(artifact, diagnostics.map((d) => `${d.jsonPath}: ${d.message}`).join('; '));
  return pkg;
}
