/**
 * docs/errors.md and the source stay in step: every error code a user can see has a row.
 * The codes are every string literal 'E_…' (single, double or back quotes) in any .ts file
 * under src/: the errors.ts tables, and literals elsewhere — the sandbox bridge's source
 * (src/sandbox/bridgeSource.ts, module-side errors), the CLI, the Fastify layer. A literal
 * ending in `_` is a code family prefix (src/fastify/httpStatus.ts), not a code.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../src/shared/fs.js';

const root = path.resolve(import.meta.dirname, '..');

/** Every code literal in src/, with the first file naming it. */
async function codesInSource(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const file of await listFiles(path.join(root, 'src'), (name) => name.endsWith('.ts'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/['"`](E_[A-Z0-9_]*[A-Z0-9])['"`]/g)) if (!codes.has(m[1]!)) codes.set(m[1]!, path.relative(root, file));
  }
  return codes;
}

async function codesInDocs(): Promise<Set<string>> {
  const text = await readFile(path.join(root, 'docs/errors.md'), 'utf8');
  return new Set([...text.matchAll(/^\|\s*`(E_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!));
}

describe('docs/errors.md catalogue', () => {
  it('documents every code literal in src/', async () => {
    const docs = await codesInDocs();
    const missing = [...(await codesInSource())].filter(([code]) => !docs.has(code)).map(([c, f]) => `${c} (${f})`);
    expect(missing, 'codes missing a row in docs/errors.md').toEqual([]);
  });

  it('names no code that the source no longer has', async () => {
    const source = await codesInSource();
    const stale = [...(await codesInDocs())].filter((code) => !source.has(code));
    expect(stale, 'rows in docs/errors.md for codes no file in src/ names').toEqual([]);
  });

  it('reads the codes outside the errors.ts tables too: the sandbox bridge source, the CLI, the legacy bridge', async () => {
    const source = await codesInSource();
    expect(source.size).toBeGreaterThan(50);
    // Named only as literals in these files, not in any errors.ts table.
    const bridge = await readFile(path.join(root, 'src/sandbox/bridgeSource.ts'), 'utf8');
    const cliIo = await readFile(path.join(root, 'src/cli/io.ts'), 'utf8');
    for (const code of ['E_TOO_MANY_TIMERS', 'E_PAYLOAD_TOO_LARGE', 'E_SANDBOX_NOT_JSON', 'E_UNKNOWN_METHOD']) {
      expect(bridge, code).toContain(`'${code}'`);
      expect(source.has(code), code).toBe(true);
    }
    expect(cliIo).toContain("'E_INTERNAL'");
    expect(source.has('E_INTERNAL')).toBe(true);
    expect(source.has('E_CLIENT_UNKNOWN')).toBe(true);
    // Family prefixes are not codes.
    expect([...source.keys()].filter((c) => c.endsWith('_'))).toEqual([]);
  });
});
