/**
 * Issue 13.4: errors thrown in module code show the author's file and line in src/, not
 * the bundle's: hotmod build appends an inline source map and the sandbox maps the frames.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { evalSandboxes } from './support.js';
import { bundle, moduleFolders } from './libModules.js';

const modulePackage = moduleFolders();
const sandbox = evalSandboxes();

const files = {
  'src/index.ts': [
    "import { total } from './cart';",
    "import { z } from 'zod';",
    '',
    'interface Ctx { config?: { failActivate?: boolean } }',
    'export async function activate(ctx: Ctx) {',
    "  if (ctx.config?.failActivate) throw new Error('activate refused');",
    '  return {',
    '    cart: {',
    '      total: (input: { lines: number[] }) => total(input.lines),',
    '      later: () => { setTimeout(() => { throw new TypeError(\'from a timer\'); }, 1); return 1; },',
    '      parse: (input: unknown) => z.object({ a: z.number() }).parse(input),',
    '    },',
    '  };',
    '}',
  ].join('\n'),
  'src/cart.ts': [
    '// the cart',
    'type Line = number;',
    '',
    'export function total(lines: Line[]): number {',
    '  let sum = 0;',
    '  for (const line of lines) {',
    "    if (line < 0) throw new RangeError('negative line ' + line);",
    '    sum += line;',
    '  }',
    '  return sum;',
    '}',
  ].join('\n'),
};

async function failure(p: Promise<unknown>): Promise<HotmodError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HotmodError);
  return error as HotmodError;
}

describe('source maps: module errors point into src/ (issue 13.4)', () => {
  it('a method that throws: the message, details.sourceLocation and the stack name src/cart.ts and the line', async () => {
    const dir = await modulePackage(files);
    const built = await bundle(dir);
    // a map file in the dot-folder the watcher ignores, for these bytes, positions only; the bundle is as without a map
    expect(built.sourcemapFile).toBe(path.join(dir, '.hotmod/dist/index.js.map'));
    expect(built.code).not.toContain('sourceMappingURL');
    expect(built.code).toBe((await bundle(dir, { sourcemap: false, outfile: 'plain/index.js' })).code);
    const map = JSON.parse(await readFile(built.sourcemapFile!, 'utf8')) as { sources: string[]; sourcesContent?: unknown; x_hotmod_bundle_sha256: string };
    expect(map.sources).toContain('../../src/cart.ts');
    expect(map.sourcesContent).toBeUndefined();
    expect(map.x_hotmod_bundle_sha256).toBe(built.sha256);
    const s = await sandbox({ code: built.code, filename: built.outfile });
    expect(await s.call('cart', 'total', { lines: [1, 2] })).toBe(3);
    const error = await failure(s.call('cart', 'total', { lines: [1, -2] }));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toContain('RangeError: negative line -2 at src/cart.ts:7:25;');
    expect(error.details.sourceLocation).toBe('src/cart.ts:7:25');
    expect(error.details.moduleStack).toContain(`${dir}/src/cart.ts:7:25`);
    expect(error.details.moduleStack).toContain(`${dir}/src/index.ts:9:`);
    expect(error.details.moduleStack).not.toContain('dist/index.js');
    expect(error.stack).toContain(`${dir}/src/cart.ts:7:25`);
  });

  it('an error raised by a bundled dependency (zod) shows the module’s own src/ frame', async () => {
    const dir = await modulePackage(files);
    const built = await bundle(dir);
    const s = await sandbox({ code: built.code, filename: built.outfile });
    const error = await failure(s.call('cart', 'parse', { a: 'x' }));
    expect(error.details.moduleStack).not.toContain('dist/index.js');
    expect(error.details.moduleStack).toContain(`${dir}/src/index.ts:11:`);
  });

  it('activate that throws, and a timer callback that throws (logged), show the src/ place', async () => {
    const dir = await modulePackage(files);
    const built = await bundle(dir);
    const { createIsolateSandboxFactory } = await import('../../src/sandbox/index.js');
    const logs: string[] = [];
    const failing = await createIsolateSandboxFactory().create({
      moduleId: 'maps', version: '1.0.0', code: built.code, filename: built.outfile, permissions: ['log', 'timers'],
      log: (_level, message) => logs.push(message), callCapability: async () => undefined, onFatal: () => {},
      limits: { memoryMb: 64, callTimeoutMs: 2000, activateTimeoutMs: 2000, deactivateTimeoutMs: 2000 },
    });
    try {
      const error = await failure(failing.activate({ config: { failActivate: true }, previousState: undefined }));
      expect(error.message).toContain('activate refused at src/index.ts:6:');
      await failing.activate({ config: {}, previousState: undefined });
      await failing.call('cart', 'later', undefined, { clientId: 'c', requestId: 'r', settings: {} });
      const deadline = Date.now() + 5000;
      while (!logs.some((l) => l.includes('from a timer')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(logs.find((l) => l.includes('from a timer'))).toContain('at src/index.ts:10:');
    } finally {
      await failing.dispose();
    }
  });

  it('an inline map (--sourcemap) works the same', async () => {
    const dir = await modulePackage(files);
    const built = await bundle(dir, { sourcemap: true });
    expect(built.code).toContain('//# sourceMappingURL=data:application/json;base64,');
    const s = await sandbox({ code: built.code, filename: built.outfile });
    expect((await failure(s.call('cart', 'total', { lines: [-1] }))).details.sourceLocation).toBe('src/cart.ts:7:25');
  });

  it('a comment-only edit leaves the bundle byte-identical, and the rewritten map gives the new line', async () => {
    const dir = await modulePackage(files);
    const first = await bundle(dir);
    const s = await sandbox({ code: first.code, filename: first.outfile });
    expect((await failure(s.call('cart', 'total', { lines: [-1] }))).details.sourceLocation).toBe('src/cart.ts:7:25');
    await writeFile(path.join(dir, 'src/cart.ts'), '// one more comment line\n' + files['src/cart.ts']);
    const second = await bundle(dir);
    expect(second.unchanged).toBe(true);
    // the running bundle is the same bytes, so the new map is the right one for it
    await new Promise((r) => setTimeout(r, 20));
    expect((await failure(s.call('cart', 'total', { lines: [-1] }))).details.sourceLocation).toBe('src/cart.ts:8:25');
  });

  it('--no-sourcemap (sourcemap: false) makes no map and removes an earlier one; errors keep the bundle’s place', async () => {
    const dir = await modulePackage(files);
    const mapped = await bundle(dir);
    expect(existsSync(mapped.sourcemapFile!)).toBe(true);
    const built = await bundle(dir, { sourcemap: false });
    expect(built.code).not.toContain('sourceMappingURL');
    expect(existsSync(mapped.sourcemapFile!)).toBe(false);
    const s = await sandbox({ code: built.code, filename: built.outfile });
    const error = await failure(s.call('cart', 'total', { lines: [-1] }));
    expect(error.details.sourceLocation).toBeUndefined();
    expect(error.details.moduleStack).toContain(built.outfile);
  });

  it('a map file is applied only to the bundle it was made for (a hand-edited dist/ keeps its own places)', async () => {
    const dir = await modulePackage(files);
    const built = await bundle(dir);
    const edited = '\n\n' + built.code;
    await writeFile(built.outfile, edited);
    const s = await sandbox({ code: edited, filename: built.outfile });
    const error = await failure(s.call('cart', 'total', { lines: [-1] }));
    expect(error.details.sourceLocation).toBeUndefined();
    expect(error.details.moduleStack).toContain(built.outfile);
  });
});
