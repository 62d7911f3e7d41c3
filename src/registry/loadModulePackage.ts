import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDirectorySync, isFileSync } from '../shared/fs.js';
import { ManifestErrorCode as C } from './errors.js';
import type { ManifestDiagnostic, ModulePackage } from './types.js';
import { validateManifest } from './validateManifest.js';

/** Where dev mode finds the sources, in order of preference (all under `src/`). */
const SOURCE_ENTRIES = ['src/index.ts', 'src/index.js'];

export interface LoadedPackage {
  pkg?: ModulePackage;
  diagnostics: ManifestDiagnostic[];
}

/**
 * Reads and validates one package folder. Never throws for a bad package: every problem
 * is a diagnostic, and `pkg` is present only when there are no errors.
 */
export async function loadModulePackage(dir: string): Promise<LoadedPackage> {
  return readModulePackage(dir);
}

/**
 * loadModulePackage, synchronously: a package is a few small reads (package.json, the entry,
 * and the source entry only when the folder has a `src` directory: one probe for a built
 * package without sources), each a few microseconds done in place where a thread-pool round
 * trip costs tens, more on a busy machine. scanCatalog reads hundreds in slices between
 * which the event loop runs.
 */
export function readModulePackage(dir: string): LoadedPackage {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, 'package.json');
  const diag = (code: string, jsonPath: string, message: string, fix: string): ManifestDiagnostic => ({
    code,
    dir: absDir,
    file,
    jsonPath,
    message,
    fix,
    severity: 'error',
  });

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `no package.json in ${absDir}` : `cannot read package.json: ${(error as Error).message}`;
    return { diagnostics: [diag(C.NOT_FOUND, '$', message, 'Add a package.json with a "hotmod" manifest (hotmod new <id> writes one).')] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      diagnostics: [diag(C.PARSE, '$', `package.json is not valid JSON: ${(error as Error).message}`, 'Fix the JSON syntax (trailing commas and comments are not allowed).')],
    };
  }

  const { manifest, diagnostics } = validateManifest(json, { dir: absDir, file });
  if (!manifest) return { diagnostics };

  const entryPath = path.join(absDir, manifest.main);
  if (!isFileSync(entryPath)) {
    diagnostics.push(
      diag(C.ENTRY_MISSING, '$.main', `the entry file ${manifest.main} does not exist`, `Build the module (hotmod build ${path.relative(process.cwd(), absDir) || '.'}) or point "main" at the bundled file.`),
    );
    return { diagnostics };
  }
  let srcEntryPath: string | undefined;
  if (isDirectorySync(path.join(absDir, 'src')))
    for (const candidate of SOURCE_ENTRIES) {
      if (isFileSync(path.join(absDir, candidate))) {
        srcEntryPath = path.join(absDir, candidate);
        break;
      }
    }
  const pkg: ModulePackage = Object.freeze({
    manifest,
    dir: absDir,
    packageJsonPath: file,
    entryPath,
    ...(srcEntryPath === undefined ? {} : { srcEntryPath }),
    key: `${manifest.id}@${manifest.version}`,
  });
  return { pkg, diagnostics };
}
