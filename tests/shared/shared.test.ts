/** src/shared: the fs questions and "did you mean", on a real temp directory. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDirectory, isFile, listFiles, pathExists } from '../../src/shared/fs.js';
import { editDistance, nearest } from '../../src/shared/nearest.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotmod-shared-'));
  await mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true });
  await writeFile(path.join(dir, 'a.ts'), '');
  await writeFile(path.join(dir, 'sub', 'b.md'), '');
  await writeFile(path.join(dir, 'sub', 'deeper', 'c.ts'), '');
  await symlink(path.join(dir, 'missing'), path.join(dir, 'dangling'));
  await symlink(path.join(dir, 'sub'), path.join(dir, 'linked-dir'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('src/shared/fs', () => {
  it('pathExists: anything at the path, a dangling link included', async () => {
    expect(await pathExists(path.join(dir, 'a.ts'))).toBe(true);
    expect(await pathExists(path.join(dir, 'sub'))).toBe(true);
    expect(await pathExists(path.join(dir, 'dangling'))).toBe(true);
    expect(await pathExists(path.join(dir, 'nope'))).toBe(false);
  });

  it('isFile / isDirectory follow links and answer false for what is missing', async () => {
    expect(await isFile(path.join(dir, 'a.ts'))).toBe(true);
    expect(await isFile(path.join(dir, 'sub'))).toBe(false);
    expect(await isFile(path.join(dir, 'dangling'))).toBe(false);
    expect(await isDirectory(path.join(dir, 'sub'))).toBe(true);
    expect(await isDirectory(path.join(dir, 'linked-dir'))).toBe(true);
    expect(await isDirectory(path.join(dir, 'a.ts'))).toBe(false);
    expect(await isDirectory(path.join(dir, 'nope'))).toBe(false);
  });

  it('listFiles walks below the directory, sorted, filtered by name, without following links', async () => {
    expect((await listFiles(dir)).map((f) => path.relative(dir, f))).toEqual(['a.ts', 'sub/b.md', 'sub/deeper/c.ts']);
    expect((await listFiles(dir, (n) => n.endsWith('.ts'))).map((f) => path.relative(dir, f))).toEqual(['a.ts', 'sub/deeper/c.ts']);
  });
});

describe('src/shared/nearest', () => {
  it('editDistance is the Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('nearest lists close candidates, nearest first, at most `limit`, never the word itself', () => {
    expect(nearest('tenant-43', ['tenant-42', 'tenant-4', 'tenant-43', 'other', 'tenant-42'])).toEqual(['tenant-4', 'tenant-42']);
    expect(nearest('abcdefgh', ['zzzzzzzz'])).toEqual([]);
    expect(nearest('a1', ['a2', 'a3', 'a4', 'a5'], { limit: 2 })).toEqual(['a2', 'a3']);
  });
});
