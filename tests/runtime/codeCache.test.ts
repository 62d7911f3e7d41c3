/**
 * Issue 15.1: a host keeps each module's compiled code in the package's .hotmod/codecache/
 * (src/runtime/bundleModule.ts codeCacheStore) and the next host over the catalog starts
 * from it; a rebuilt bundle gets its own file in place of the old one.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_CACHE_DIR } from '../../src/runtime/bundleModule.js';
import { clearMemoryCodeCache, CODE_CACHE_MIN_LENGTH } from '../../src/sandbox/codeCache.js';
import { newHost, tempDir } from './helpers.js';

/** ~20 KB in esbuild's output shape (the shape the sandbox compiles from a cache). */
function bundle(tag: string): string {
  const helpers = Array.from({ length: 500 }, (_, i) => `function h${i}(x) { return x + ${i} + ${JSON.stringify(tag)}.length; }`).join('\n');
  const code = `// src/index.ts\n${helpers}\nasync function activate() { return { 'cache.api': { tag: () => ${JSON.stringify(tag)}, sum: () => h1(1) + h499(1) } }; }\nexport {\n  activate\n};\n`;
  expect(code.length).toBeGreaterThan(CODE_CACHE_MIN_LENGTH);
  return code;
}

async function writePackage(dir: string, version: string, code: string): Promise<void> {
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: '@t/cached', version, main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'cached', provides: { 'cache.api': '1.0.0' } } }));
  await writeFile(path.join(dir, 'dist/index.js'), code);
}

const files = async (dir: string) => (await readdir(path.join(dir, CODE_CACHE_DIR)).catch(() => [] as string[])).filter((f) => f.startsWith('b-') && f.endsWith('.bin'));

describe('host: the code cache across restarts', () => {
  it('the first start writes the module\'s compiled code, the second starts from it untouched, a rebuilt bundle replaces it', async () => {
    const modulesDir = await tempDir('hotmod-host-codecache-');
    const pkg = path.join(modulesDir, 'cached');
    await writePackage(pkg, '1.0.0', bundle('one'));

    const first = await newHost({ modulesDir });
    await first.start();
    expect(await first.client('c1').invoke('cache.api', 'tag')).toBe('one');
    await first.stop(); // waits for the cache's writes
    const [file] = await files(pkg);
    expect(file).toMatch(/^b-[0-9a-f]{64}-v8-.+-ivm-.+\.bin$/);
    const written = (await stat(path.join(pkg, CODE_CACHE_DIR, file!))).mtimeMs;

    clearMemoryCodeCache(); // a restart: only the disk remembers
    const second = await newHost({ modulesDir });
    await second.start();
    expect(await second.client('c1').invoke('cache.api', 'sum')).toBe(2 + 500 + 6);
    await second.stop();
    expect(await files(pkg)).toEqual([file]);
    expect((await stat(path.join(pkg, CODE_CACHE_DIR, file!))).mtimeMs).toBe(written);

    await writePackage(pkg, '1.1.0', bundle('two'));
    clearMemoryCodeCache();
    const third = await newHost({ modulesDir });
    await third.start();
    expect(await third.client('c1').invoke('cache.api', 'tag')).toBe('two');
    await third.stop();
    const after = await files(pkg);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(file);
  });
});
