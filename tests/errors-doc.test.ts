import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

async function errorFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await errorFiles(full)));
    else if (entry.name === 'errors.ts') out.push(full);
  }
  return out;
}

async function codesInSource(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const file of await errorFiles(path.join(root, 'src'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) codes.set(m[1]!, path.relative(root, file));
  }
  return codes;
}

async function codesInDocs(): Promise<Set<string>> {
  const text = await readFile(path.join(root, 'docs/errors.md'), 'utf8');
  return new Set([...text.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!));
}

describe('docs/errors.md catalogue', () => {
  it('documents every code declared in an errors.ts', async () => {
    const docs = await codesInDocs();
    const missing = [...(await codesInSource())].filter(([code]) => !docs.has(code)).map(([c, f]) => `${c} (${f})`);
    expect(missing, 'codes missing a row in docs/errors.md').toEqual([]);
  });

  it('names no code that the source no longer declares', async () => {
    const source = await codesInSource();
    const stale = [...(await codesInDocs())].filter((code) => !source.has(code));
    expect(stale, 'rows in docs/errors.md for codes no errors.ts declares').toEqual([]);
  });

  it('finds codes at all (the scan itself works)', async () => {
    expect((await codesInSource()).size).toBeGreaterThan(0);
  });
});
