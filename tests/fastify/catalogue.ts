/** Every code the host owns: each E_… string in an src/**\/errors.ts (as tests/errors-doc.test.ts reads them). */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

const src = path.resolve(import.meta.dirname, '../../src');

export async function catalogueCodes(dir = src): Promise<string[]> {
  const codes = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const code of await catalogueCodes(full)) codes.add(code);
    else if (entry.name === 'errors.ts') for (const m of (await readFile(full, 'utf8')).matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) codes.add(m[1]!);
  }
  return [...codes].sort();
}
