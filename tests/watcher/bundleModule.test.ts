import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHotmodError } from '../../src/errors.js';
import { bundleModule, type BuildProblem } from '../../src/runtime/bundleModule.js';
import { copyFixture, tempModulesDir } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function fixture(name: string): Promise<string> {
  const tmp = await tempModulesDir();
  cleanups.push(tmp.cleanup);
  return copyFixture(name, tmp.dir);
}

async function bundleError(dir: string) {
  try {
    await bundleModule(dir);
  } catch (error) {
    if (isHotmodError(error)) return error;
    throw error;
  }
  throw new Error('expected the build to fail');
}

describe('bundleModule', () => {
  it('bundles src/ with its relative imports into one self-contained ES module at main', async () => {
    const dir = await fixture('relative-imports');
    const result = await bundleModule(dir);
    expect(result.outfile).toBe(path.join(dir, 'build/bundle.js')); // package.json "main"
    expect(result.entry).toBe(path.join(dir, 'src/index.ts'));
    const code = await readFile(result.outfile, 'utf8');
    expect(result.bytes).toBe(Buffer.byteLength(code));
    expect(code).not.toMatch(/^\s*import\s/m); // every import inlined
    expect(code).toContain('toUpperCase');
    expect(code).toMatch(/export\s*\{\s*activate\s*\}/);
    // The bundle is a real ES module that works without any loader.
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
      activate(): Promise<Record<string, { shout(input: string): Promise<string> }>>;
    };
    const api = (await mod.activate())['relative-imports.api']!;
    expect(await api.shout('hi')).toBe('HI (v2.0.0)');
  });

  it('reports unchanged and does not rewrite the file when the bundle is byte-identical', async () => {
    const dir = await fixture('greeter');
    const first = await bundleModule(dir);
    const mtime = (await stat(first.outfile)).mtimeMs;
    const second = await bundleModule(dir);
    expect(second.unchanged).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    expect((await stat(first.outfile)).mtimeMs).toBe(mtime);
  });

  it('writes to an explicit outfile and appends an inline source map on request', async () => {
    const dir = await fixture('greeter');
    const result = await bundleModule(dir, { outfile: 'out/custom.js', sourcemap: true });
    expect(result.outfile).toBe(path.join(dir, 'out/custom.js'));
    expect(await readFile(result.outfile, 'utf8')).toContain('//# sourceMappingURL=data:application/json;base64,');
    // No temp file is left next to it.
    expect(await readdir(path.join(dir, 'out'))).toEqual(['custom.js']);
  });

  it('refuses a syntax error with E_BUILD_FAILED, file:line:column, and leaves dist/ untouched', async () => {
    const dir = await fixture('syntax-error');
    const before = await readFile(path.join(dir, 'dist/index.js'), 'utf8');
    const error = await bundleError(dir);
    expect(error.code).toBe('E_BUILD_FAILED');
    expect(error.message).toContain(`src/index.ts:2:66: Expected "}" but found ";"`);
    expect(error.message).toContain('hotmod build');
    const problems = error.details.errors as BuildProblem[];
    expect(problems[0]).toMatchObject({ file: 'src/index.ts', line: 2, lineText: expect.stringContaining("'pong'") });
    expect(await readFile(path.join(dir, 'dist/index.js'), 'utf8')).toBe(before);
    expect(await readdir(path.join(dir, 'dist'))).toEqual(['index.js']);
  });

  it("refuses an import of a Node builtin ('node:fs') with E_BUILD_NODE_API and where it is", async () => {
    const dir = await fixture('node-builtin');
    const error = await bundleError(dir);
    expect(error.code).toBe('E_BUILD_NODE_API');
    expect(error.message).toContain("imports the Node builtin 'node:fs' at src/index.ts:2:");
    expect(error.message).toContain('modules run in a sandbox with no Node API');
    expect(error.details.errors).toEqual([expect.objectContaining({ builtin: 'node:fs', file: 'src/index.ts', line: 2 })]);
    await expect(stat(path.join(dir, 'dist'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses bare builtin names too (fs, child_process) when nothing in node_modules provides them', async () => {
    const dir = await fixture('node-builtin');
    await writeFile(path.join(dir, 'src/index.ts'), "import cp from 'child_process';\nimport { EventEmitter } from 'events';\nexport const x = [cp, EventEmitter];\n");
    const error = await bundleError(dir);
    expect(error.code).toBe('E_BUILD_NODE_API');
    expect((error.details.errors as BuildProblem[]).map((p) => p.builtin).sort()).toEqual(['child_process', 'events']);
  });

  it('inlines a dependency from node_modules even when its name is also a Node builtin name', async () => {
    const dir = await fixture('node-builtin');
    const dep = path.join(dir, 'node_modules/events');
    await import('node:fs/promises').then((fs) => fs.mkdir(dep, { recursive: true }));
    await writeFile(path.join(dep, 'package.json'), JSON.stringify({ name: 'events', version: '3.3.0', main: 'index.js' }));
    await writeFile(path.join(dep, 'index.js'), 'module.exports.EventEmitter = class EventEmitter { polyfill() { return true; } };\n');
    await writeFile(path.join(dir, 'src/index.ts'), "import { EventEmitter } from 'events';\nexport const activate = async () => ({ 'node-builtin.api': { async ok() { return new EventEmitter().polyfill(); } } });\n");
    const result = await bundleModule(dir);
    expect(await readFile(result.outfile, 'utf8')).toContain('polyfill');
  });

  it('refuses a package without src/index.ts with E_BUILD_NO_ENTRY', async () => {
    const tmp = await tempModulesDir();
    cleanups.push(tmp.cleanup);
    const error = await bundleError(tmp.dir);
    expect(error.code).toBe('E_BUILD_NO_ENTRY');
    expect(error.message).toContain('src/index.ts');
  });

  it('refuses an unparseable package.json with E_BUILD_FAILED (where to write is unknown)', async () => {
    const dir = await fixture('greeter');
    await writeFile(path.join(dir, 'package.json'), '{ "main": ');
    const error = await bundleError(dir);
    expect(error.code).toBe('E_BUILD_FAILED');
    expect(error.message).toContain('package.json is not valid JSON');
  });

  it('does not write when aborted before the write', async () => {
    const dir = await fixture('syntax-error');
    await writeFile(path.join(dir, 'src/index.ts'), 'export const activate = async () => ({});\n');
    const before = await readFile(path.join(dir, 'dist/index.js'), 'utf8');
    const controller = new AbortController();
    controller.abort();
    await expect(bundleModule(dir, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readFile(path.join(dir, 'dist/index.js'), 'utf8')).toBe(before);
  });
});
