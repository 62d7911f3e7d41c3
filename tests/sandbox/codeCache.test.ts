/**
 * Issue 15.1: a bundle's compiled code is kept across restarts (src/sandbox/codeCache.ts,
 * stored by src/runtime/bundleModule.ts codeCacheStore in the package's .hotmod/codecache/).
 * A "restart" here is clearMemoryCodeCache(): the process forgets its own copies, the disk
 * keeps its files. Real isolates, real files.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { CODE_CACHE_DIR, codeCacheStore, codeCacheWritten } from '../../src/runtime/bundleModule.js';
import { spawnSync } from 'node:child_process';
import { asScript, clearMemoryCodeCache, CODE_CACHE_MIN_LENGTH, frame } from '../../src/sandbox/codeCache.js';
import { setupCacheKey } from '../../src/sandbox/isolateSetup.js';
import type { CodeCacheStore } from '../../src/sandbox/index.js';
import { context, sandboxOptions, sandboxTracker } from './support.js';

const track = sandboxTracker();

/** A fresh process: one sandbox over the runtime's store for a package folder; how the setup script's entry was used. */
const SETUP_CHILD = `
const { codeCacheStore, codeCacheWritten } = await import(${JSON.stringify(path.resolve('src/runtime/bundleModule.ts'))});
const { createIsolateSandboxFactory } = await import(${JSON.stringify(path.resolve('src/sandbox/index.ts'))});
const inner = codeCacheStore(process.argv.at(-1));
const seen = { read: 0, written: 0 };
const store = {
  async read(key) { const data = await inner.read(key); if (key.startsWith('s-') && data) seen.read++; return data; },
  write(key, data) { if (key.startsWith('s-')) seen.written++; inner.write(key, data); },
};
const sandbox = await createIsolateSandboxFactory().create({ moduleId: 'm', version: '1.0.0', code: "export async function activate() { return { s: { ping: () => 'pong' } }; }", filename: '/virtual/m.js', permissions: [],
  limits: { memoryMb: 16, callTimeoutMs: 1000, activateTimeoutMs: 1000, deactivateTimeoutMs: 1000 }, log() {}, callCapability: async () => undefined, onFatal() {}, codeCache: store });
await sandbox.activate({ config: {}, previousState: undefined });
const served = await sandbox.call('s', 'ping', undefined, { clientId: 'c', requestId: 'r', settings: {} });
await sandbox.dispose();
await codeCacheWritten();
console.log(JSON.stringify({ ...seen, served }));
process.exit(0);
`;
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A bundle in esbuild's shape, over the size the cache starts at; `tag` changes its bytes. */
function bundle(tag: string, extra = ''): string {
  const table = Array.from({ length: 400 }, (_, i) => `  function f${i}(x) { return x * ${i} + ${JSON.stringify(tag)}.length; }`).join('\n');
  const code = `// src/index.ts
${extra}
const table = (() => {
${table}
  return [${Array.from({ length: 400 }, (_, i) => `f${i}`).join(', ')}];
})();
async function activate() {
  return { svc: { sum: (n) => table.slice(0, n).reduce((s, f) => s + f(2), 0), tag: () => ${JSON.stringify(tag)}, boom: () => { throw new Error('boom'); } } };
}
export {
  activate
};
`;
  expect(code.length).toBeGreaterThan(CODE_CACHE_MIN_LENGTH);
  return code;
}

/** The runtime's store over a temp package folder, counting what it hands back and what it is given for bundles (keys 'b-…'; the setup script's 's-…' key is left out). */
async function countingStore() {
  const catalog = await mkdtemp(path.join(tmpdir(), 'hotmod-codecache-'));
  temps.push(catalog);
  const dir = path.join(catalog, 'cached');
  const inner = codeCacheStore(dir);
  const counts = { hits: 0, misses: 0, writes: 0 };
  const store: CodeCacheStore = {
    async read(key) {
      const data = await inner.read(key);
      if (key.startsWith('b-')) {
        if (data === undefined) counts.misses++;
        else counts.hits++;
      }
      return data;
    },
    write(key, data) {
      if (key.startsWith('b-')) counts.writes++;
      inner.write(key, data);
    },
  };
  const files = async () => (await readdir(path.join(dir, CODE_CACHE_DIR)).catch(() => [] as string[])).filter((f) => f.endsWith('.bin'));
  return { catalog, dir, store, counts, files };
}

async function load(code: string, store: CodeCacheStore) {
  const sandbox = await track.create(sandboxOptions('basic', { code, filename: '/virtual/cached/dist/index.js', codeCache: store }).options);
  await sandbox.activate({ config: {}, previousState: undefined });
  return sandbox;
}

describe('bundle code cache', () => {
  it('a second start compiles from the file the first one wrote, and serves the same', async () => {
    const { store, counts, files } = await countingStore();
    clearMemoryCodeCache();
    const first = await load(bundle('a'), store);
    expect(await first.call('svc', 'sum', 10, context)).toBe(45 * 2 + 10);
    await codeCacheWritten();
    expect(counts).toEqual({ hits: 0, misses: 1, writes: 1 });
    expect(await files()).toHaveLength(1);

    clearMemoryCodeCache(); // a restart: only the disk remembers
    const second = await load(bundle('a'), store);
    expect(await second.call('svc', 'sum', 10, context)).toBe(45 * 2 + 10);
    await codeCacheWritten();
    // Read, accepted by V8 (nothing new produced), nothing written.
    expect(counts).toEqual({ hits: 1, misses: 1, writes: 1 });

    // Within one process the second isolate of a bundle does not even read the disk.
    await load(bundle('a'), store);
    expect(counts).toEqual({ hits: 1, misses: 1, writes: 1 });
  });

  it('a changed bundle misses, and its file replaces the old one', async () => {
    const { store, counts, files } = await countingStore();
    clearMemoryCodeCache();
    await load(bundle('a'), store);
    await codeCacheWritten();
    const [before] = await files();
    clearMemoryCodeCache();
    const changed = await load(bundle('b'), store);
    expect(await changed.call('svc', 'tag', undefined, context)).toBe('b');
    await codeCacheWritten();
    expect(counts).toEqual({ hits: 0, misses: 2, writes: 2 });
    const after = await files();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
  });

  it('a damaged file is ignored and rewritten: bytes flipped in it, or a well-framed payload V8 refuses', async () => {
    const { dir, store, counts, files } = await countingStore();
    clearMemoryCodeCache();
    await load(bundle('a'), store);
    await codeCacheWritten();
    const [name] = await files();
    const file = path.join(dir, CODE_CACHE_DIR, name!);
    const good = await readFile(file);

    // 1. Flipped bytes in the payload: the frame's checksum refuses it before V8 sees it.
    const flipped = Buffer.from(good);
    for (let i = flipped.length - 64; i < flipped.length; i++) flipped[i] = flipped[i]! ^ 0xff;
    await writeFile(file, flipped);
    clearMemoryCodeCache();
    const a = await load(bundle('a'), store);
    expect(await a.call('svc', 'sum', 3, context)).toBe(3 * 2 + 3);
    await codeCacheWritten();
    expect(counts.writes).toBe(2);
    expect(await readFile(file)).toEqual(good);

    // 2. A valid frame around bytes that are no V8 code cache: V8 rejects them, the compile produces new data.
    const key = name!.slice(0, -'.bin'.length);
    await writeFile(file, frame(key, new Uint8Array(good.length).fill(7)));
    clearMemoryCodeCache();
    const b = await load(bundle('a'), store);
    expect(await b.call('svc', 'sum', 3, context)).toBe(3 * 2 + 3);
    await codeCacheWritten();
    expect(counts.writes).toBe(3);
    expect((await readFile(file)).length).toBeGreaterThan(100);
    clearMemoryCodeCache();
    await load(bundle('a'), store);
    await codeCacheWritten();
    expect(counts.writes).toBe(3); // the rewritten file is good again
  });

  it('keeps the bundle\'s own lines in stack traces', async () => {
    const { store } = await countingStore();
    const code = bundle('a');
    const line = code.split('\n').findIndex((l) => l.includes("throw new Error('boom')")) + 1;
    for (let i = 0; i < 2; i++) {
      const sandbox = await load(code, store);
      const error = (await sandbox.call('svc', 'boom', undefined, context).catch((e: unknown) => e)) as HotmodError;
      expect(error).toBeInstanceOf(HotmodError);
      expect(String(error.details.stack ?? error.stack)).toContain(`/virtual/cached/dist/index.js:${line}:`);
    }
  });

  it('a bundle that is no script (a top-level await) loads as a module, with no cache', async () => {
    const { store, counts } = await countingStore();
    expect(asScript(bundle('t', 'await 0;'), '__e')).toBeDefined(); // the shape matches…
    const sandbox = await load(bundle('t', 'await 0;'), store); // …but it compiles as a module
    expect(await sandbox.call('svc', 'tag', undefined, context)).toBe('t');
    await codeCacheWritten();
    expect(counts.writes).toBe(0);
  });

  it("the setup script's compiled code is kept once for the catalog, and a fresh process starts from it", async () => {
    const { catalog, store } = await countingStore();
    const key = setupCacheKey();
    expect(key).toMatch(/^s-[0-9a-f]{64}-v8-/);
    // This process already has it in memory; a new one reads the file an earlier process wrote.
    const child = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', '-e', SETUP_CHILD, path.join(catalog, 'cached')], { cwd: process.cwd(), encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toEqual({ read: 0, written: 1, served: 'pong' });
    const file = path.join(catalog, CODE_CACHE_DIR, `${key}.bin`);
    expect((await readFile(file)).length).toBeGreaterThan(1000);
    const again = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', '-e', SETUP_CHILD, path.join(catalog, 'cached')], { cwd: process.cwd(), encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toEqual({ read: 1, written: 0, served: 'pong' });
    void store;
  });

  it('only the final export clause of identifiers makes the script shape', () => {
    expect(asScript('const a = 1;\nexport { a as b, a };\n', '__e')).toContain('get b() { return a; }');
    expect(asScript('export const a = 1;\n', '__e')).toBeUndefined();
    expect(asScript('const a = 1;\nexport { a as "b-c" };\n', '__e')).toBeUndefined();
    expect(asScript('const a = 1;\nexport { a };\n//# sourceMappingURL=data:application/json;base64,e30=\n', '__e')).toContain('sourceMappingURL');
  });
});
