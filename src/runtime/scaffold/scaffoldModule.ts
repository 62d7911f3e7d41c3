/**
 * `hotmod new <id>`: writes a module package that passes `hotmod check` and runs.
 *
 * The package is assembled and bundled in a dot-named temp folder next to its target and
 * then renamed into place, so a running `hotmod dev` watcher sees one complete folder
 * appear (never a folder without its dist/), and a failure leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HotmodError } from '../../errors.js';
import { pathExists } from '../../shared/fs.js';
import { CAPABILITY_NAME_PATTERN, MODULE_ID_PATTERN } from '../../registry/index.js';
import { bundleModule } from '../bundleModule.js';
import { RuntimeErrorCode } from '../errors.js';
import { capabilityFor, indexTemplate, packageJsonTemplate, readmeTemplate, type ScaffoldNames } from './templates.js';

/** npm's limit for package names, which the registry applies to ids too. */
const MAX_ID_LENGTH = 214;

export interface ScaffoldOptions {
  /** The modules directory the folder is created in (created when missing). */
  modulesDir: string;
  id: string;
}

export interface ScaffoldResult {
  id: string;
  capability: string;
  /** Absolute path of the new module folder. */
  dir: string;
  /** Files written, relative to `dir`, with their sizes. */
  files: { path: string; bytes: number }[];
  /** The bundle: size and build time. */
  build: { outfile: string; bytes: number; ms: number };
}

export async function scaffoldModule(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { id } = options;
  // The capability `<id>.api` must be valid too: an id with empty segments ('a..b') is refused here.
  if (!MODULE_ID_PATTERN.test(id) || id.length > MAX_ID_LENGTH || !CAPABILITY_NAME_PATTERN.test(capabilityFor(id))) {
    throw new HotmodError(
      RuntimeErrorCode.SCAFFOLD_ID_INVALID,
      `cannot create module '${id}': a module id must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, '.', '_', '-', starting with a letter or digit), at most ${MAX_ID_LENGTH} characters, with no empty '.'-segment (it names the capability '<id>.api'); pick another id`,
      { id, pattern: MODULE_ID_PATTERN.source },
    );
  }
  const modulesDir = path.resolve(options.modulesDir);
  const dir = path.join(modulesDir, id);
  if (await pathExists(dir)) throw existsError(id, dir);

  const names: ScaffoldNames = { id, capability: capabilityFor(id) };
  const sources: [string, string][] = [
    ['package.json', packageJsonTemplate(names)],
    ['src/index.ts', indexTemplate(names)],
    ['README.md', readmeTemplate(names)],
  ];

  await mkdir(modulesDir, { recursive: true });
  const staging = path.join(modulesDir, `.hotmod-new-${id}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path.join(staging, 'src'), { recursive: true });
    for (const [file, text] of sources) await writeFile(path.join(staging, file), text);
    const build = await bundleModule(staging);
    try {
      await rename(staging, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Someone created the folder between our check and the rename.
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') throw existsError(id, dir);
      throw error;
    }
    const outfile = path.join(dir, path.relative(staging, build.outfile));
    return {
      id,
      capability: names.capability,
      dir,
      files: [
        ...sources.map(([file, text]) => ({ path: file, bytes: Buffer.byteLength(text) })),
        { path: toPosix(path.relative(dir, outfile)), bytes: build.bytes },
      ].sort((a, b) => a.path.localeCompare(b.path)),
      build: { outfile, bytes: build.bytes, ms: build.ms },
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function existsError(id: string, dir: string): HotmodError {
  return new HotmodError(
    RuntimeErrorCode.SCAFFOLD_EXISTS,
    `cannot create module '${id}': ${dir} already exists; nothing was written. Pick another id, or remove or rename the existing folder first`,
    { id, dir },
  );
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}
