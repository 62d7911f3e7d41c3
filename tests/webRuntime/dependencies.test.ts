/**
 * Issue 13.3: a module's own node_modules dependencies (ESM or CommonJS) are bundled into
 * its one bundle; a dependency that needs a Node builtin fails at build time with the
 * chain of imports that led to it.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import type { BuildProblem } from '../../src/runtime/bundleModule.js';
import { evalSandboxes } from './support.js';
import { bundle, moduleFolders } from './libModules.js';

const modulePackage = moduleFolders();
const sandbox = evalSandboxes();

async function buildError(dir: string): Promise<HotmodError> {
  const error = await bundle(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HotmodError);
  return error as HotmodError;
}

const ownPackages = {
  'node_modules/.keep': '',
  // ESM, with a nested ESM dependency
  'node_modules/esm-dep/package.json': JSON.stringify({ name: 'esm-dep', version: '1.0.0', type: 'module', exports: { '.': './index.js' } }),
  'node_modules/esm-dep/index.js': `import { shout } from 'cjs-dep';\nexport const greet = (name) => shout('hello ' + name);\n`,
  // CommonJS, with module.exports and a relative require
  'node_modules/cjs-dep/package.json': JSON.stringify({ name: 'cjs-dep', version: '2.0.0', main: 'lib/main.js' }),
  'node_modules/cjs-dep/lib/main.js': `'use strict';\nconst suffix = require('./suffix');\nmodule.exports.shout = (s) => s.toUpperCase() + suffix;\n`,
  'node_modules/cjs-dep/lib/suffix.js': `module.exports = '!';\n`,
  // needs Node: ESM importing node:fs, and CommonJS requiring a bare builtin
  'node_modules/wrapper/package.json': JSON.stringify({ name: 'wrapper', version: '1.0.0', type: 'module', exports: './index.js' }),
  'node_modules/wrapper/index.js': `export { read } from './inner.js';\n`,
  'node_modules/wrapper/inner.js': `export { read } from 'needs-fs';\n`,
  'node_modules/needs-fs/package.json': JSON.stringify({ name: 'needs-fs', version: '1.0.0', type: 'module', exports: './index.js' }),
  'node_modules/needs-fs/index.js': `import { readFileSync } from 'node:fs';\nexport const read = (f) => readFileSync(f, 'utf8');\n`,
  'node_modules/@scope/needs-os/package.json': JSON.stringify({ name: '@scope/needs-os', version: '1.0.0', main: 'index.js' }),
  'node_modules/@scope/needs-os/index.js': `const os = require('os');\nmodule.exports = () => os.hostname();\n`,
};

describe('bundling a module’s node_modules dependencies (issue 13.3)', () => {
  it('inlines ESM and CommonJS dependencies into one self-contained bundle that runs in the sandbox', async () => {
    const dir = await modulePackage({
      ...ownPackages,
      'src/index.ts': `import { greet } from 'esm-dep';\nimport cjs from 'cjs-dep';\nexport async function activate() { return { t: { run: (name: string) => [greet(name), cjs.shout('x')] } }; }\n`,
    });
    const built = await bundle(dir);
    expect(built.code).not.toMatch(/^\s*import\s/m);
    expect(built.code).toContain('hello ');
    const s = await sandbox({ code: built.code, filename: built.outfile });
    expect(await s.call('t', 'run', 'ada')).toEqual(['HELLO ADA!', 'X!']);
  });

  it('a dependency that imports node:fs fails the build with the import chain through the dependencies', async () => {
    const dir = await modulePackage({
      ...ownPackages,
      'src/index.ts': `import { helper } from './lib/helper';\nexport async function activate() { return { t: { run: () => helper() } }; }\n`,
      'src/lib/helper.ts': `import { read } from 'wrapper';\nexport const helper = () => read('/etc/hostname');\n`,
    });
    await mkdir(path.join(dir, 'dist'), { recursive: true });
    await writeFile(path.join(dir, 'dist/index.js'), '// the previous good bundle\n');
    const error = await buildError(dir);
    expect(error.code).toBe('E_BUILD_NODE_API');
    expect(error.message).toContain("'node:fs' at node_modules/needs-fs/index.js:1:30 (src/index.ts → src/lib/helper.ts → wrapper → needs-fs → node:fs)");
    expect(error.message).toMatch(/so that dependency cannot run there: use a version or an alternative that needs no Node builtin/);
    const problem = (error.details.errors as BuildProblem[])[0]!;
    expect(problem.builtin).toBe('node:fs');
    expect(problem.chain).toEqual(['src/index.ts', 'src/lib/helper.ts', 'wrapper', 'needs-fs', 'node:fs']);
    expect(await readFile(path.join(dir, 'dist/index.js'), 'utf8')).toBe('// the previous good bundle\n');
  });

  it('a CommonJS require of a bare builtin in a scoped package is refused the same way', async () => {
    const dir = await modulePackage({
      ...ownPackages,
      'src/index.ts': `import hostname from '@scope/needs-os';\nexport async function activate() { return { t: { run: () => hostname() } }; }\n`,
    });
    const error = await buildError(dir);
    expect(error.code).toBe('E_BUILD_NODE_API');
    expect((error.details.errors as BuildProblem[])[0]!.chain).toEqual(['src/index.ts', '@scope/needs-os', 'os']);
  });

  it('a real published package that needs a builtin (commonmark-spec reads its spec.txt with fs) is refused at build time', async () => {
    const dir = await modulePackage({
      'src/index.ts': `import spec from 'commonmark-spec';\nexport async function activate() { return { t: { run: () => spec.tests.length } }; }\n`,
    });
    const error = await buildError(dir);
    expect(error.code).toBe('E_BUILD_NODE_API');
    expect(error.message).toContain('(src/index.ts → commonmark-spec → fs)');
    expect(error.message).toContain('(src/index.ts → commonmark-spec → path)');
  });

  it('the module’s own import of a builtin keeps the short form (no chain to show beyond the file)', async () => {
    const dir = await modulePackage({ 'src/index.ts': `import { readFileSync } from 'node:fs';\nexport async function activate() { return { t: { run: () => readFileSync } }; }\n` });
    const error = await buildError(dir);
    expect(error.message).toContain("'node:fs' at src/index.ts:1:30;");
    expect(error.message).toMatch(/so remove the import/);
    expect((error.details.errors as BuildProblem[])[0]!.chain).toEqual(['src/index.ts', 'node:fs']);
  });
});
