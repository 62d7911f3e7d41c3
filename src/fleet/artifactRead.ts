/**
 * Reads a built module package folder as an artifact: its package.json, the bundle at
 * `main` and the source map `hotmod build` wrote beside it (`.hotmod/<main>.map`). Building
 * is the caller's (the CLI runs bundleModule first, as `hotmod build` does).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HotmodError } from '../errors.js';
import { loadModulePackage } from '../registry/index.js';
import { isFile } from '../shared/fs.js';
import type { ArtifactInput } from './artifact.js';
import { FleetErrorCode } from './errors.js';

export async function readArtifactDir(dir: string, publishedBy: string): Promise<ArtifactInput> {
  const root = path.resolve(dir);
  const { pkg, diagnostics } = await loadModulePackage(root);
  if (!pkg) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    throw new HotmodError(
      FleetErrorCode.ARTIFACT_INVALID,
      `cannot publish ${root}: ${errors.map((d) => `${d.jsonPath}: ${d.message} (${d.fix})`).join('; ')}`,
      { dir: root, diagnostics: errors },
    );
  }
  const mapFile = path.join(root, '.hotmod', `${pkg.manifest.main}.map`);
  const [packageJson, bundle, sourceMap] = await Promise.all([
    readFile(pkg.packageJsonPath, 'utf8'),
    readFile(pkg.entryPath),
    isFile(mapFile).then((has) => (has ? readFile(mapFile) : undefined)),
  ]);
  return { packageJson, bundle, publishedBy, ...(sourceMap ? { sourceMap } : {}) };
}
