/**
 * Real module folders for the web-runtime tests: a temp package with package.json, src/
 * and a node_modules (a symlink to this repository's, where the published libraries are
 * installed as devDependencies, or real folders of test packages), bundled by the real
 * bundleModule (esbuild) and loaded into a real isolate.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { bundleModule, type BundleOptions, type BundleResult } from '../../src/runtime/bundleModule.js';

export const repoNodeModules = path.resolve(import.meta.dirname, '../../node_modules');

export function moduleFolders() {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  /** Writes `files` (paths relative to the package) into a new package folder. */
  return async function modulePackage(files: Record<string, string>, options: { linkNodeModules?: boolean } = {}): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-web-'));
    made.push(dir);
    const all = { 'package.json': JSON.stringify({ name: path.basename(dir), version: '1.0.0', main: 'dist/index.js' }), ...files };
    for (const [relative, text] of Object.entries(all)) {
      const file = path.join(dir, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
    if (options.linkNodeModules !== false && files['node_modules/.keep'] === undefined) await symlink(repoNodeModules, path.join(dir, 'node_modules'), 'dir');
    return dir;
  };
}

export async function bundle(dir: string, options?: BundleOptions): Promise<BundleResult & { code: string }> {
  const result = await bundleModule(dir, options);
  const { readFile } = await import('node:fs/promises');
  return { ...result, code: await readFile(result.outfile, 'utf8') };
}
