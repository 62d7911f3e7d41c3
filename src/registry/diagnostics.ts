import path from 'node:path';
import { HotmodError } from '../errors.js';
import { ManifestErrorCode } from './errors.js';
import type { ManifestDiagnostic } from './types.js';

/** One diagnostic as people read it: `error E_… file $.path: message\n  fix: …`. */
export function formatDiagnostic(d: ManifestDiagnostic, cwd: string = process.cwd()): string {
  const file = path.relative(cwd, d.file) || d.file;
  return `${d.severity} ${d.code} ${file} ${d.jsonPath}: ${d.message}\n  fix: ${d.fix}`;
}

/** Sorts diagnostics by file, then JSON path, then code: the same order every run. */
export function sortDiagnostics<T extends ManifestDiagnostic>(diagnostics: T[]): T[] {
  return diagnostics.sort((a, b) => cmp(a.dir, b.dir) || cmp(a.file, b.file) || cmp(a.jsonPath, b.jsonPath) || cmp(a.code, b.code));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * E_MANIFEST_INVALID for callers that need a valid package (a swap, `hotmod build`):
 * the message lists every error; details.diagnostics has them all.
 */
export function manifestInvalidError(dir: string, diagnostics: readonly ManifestDiagnostic[]): HotmodError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const lines = errors.map((d) => `${d.code} ${d.jsonPath}: ${d.message} (fix: ${d.fix})`);
  return new HotmodError(
    ManifestErrorCode.INVALID,
    `module package ${dir} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${lines.join('; ')}; run hotmod check ${dir}`,
    { dir, diagnostics: errors },
  );
}
