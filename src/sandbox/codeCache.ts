/**
 * The compiled code of module bundles, kept across isolates and across restarts.
 *
 * isolated-vm 6.2 accepts `cachedData` for `compileModuleSync` but never hands it to V8
 * (its module compile passes no consume option), so an ES module's code cannot come from a
 * cache. A bundle in the shape `hotmod build` (esbuild) writes — one ES module with no
 * import, whose only export is the final `export { a, b as c };` clause — is therefore
 * compiled as a script that means the same: the code, unchanged, inside a strict function
 * whose last statement returns the exports as live getters (`asScript`). Anything that is
 * not a script that way (an import, `import.meta`, a top-level await, an export elsewhere)
 * is a syntax error there, and the loader compiles the bundle as a module instead, without
 * a cache. The wrapper's first line is taken back by `lineOffset: -1`, so stack frames keep
 * the bundle's lines and columns (and the source maps stay right).
 *
 * The cache's key is 'b-', the bundle's sha256, the V8 version and the isolated-vm version:
 * a changed bundle, a new Node or a new isolated-vm never meets old code. Entries live in
 * this process (`ExternalCopy`, the most recent MEMORY_ENTRIES bundles) and, when the
 * sandbox options carry a `CodeCacheStore` (the runtime's, beside the module's build output:
 * src/runtime/bundleModule.ts), on disk. A file is framed with its key and the sha256 of
 * its bytes: V8 checks a cache's header but not its payload, so a damaged file is refused
 * here, never handed to V8. Data V8 rejects (another V8 build, other flags) is replaced by
 * what the compile produced instead, silently.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import ivm from 'isolated-vm';
import type { CodeCacheStore } from './types.js';

/** Bundles shorter than this compile faster than a cache is read: they skip it. */
export const CODE_CACHE_MIN_LENGTH = 16 * 1024;
const MEMORY_ENTRIES = 256;
const FILE_MAGIC = 'hotmod-code-cache 1\n';

const IVM_VERSION = (createRequire(import.meta.url)('isolated-vm/package.json') as { version: string }).version;

/** The part of every key that is not the bundle: what compiled code depends on besides its source. */
export const CODE_CACHE_ENGINE = `v8-${process.versions.v8}-ivm-${IVM_VERSION}`;

const memory = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

/** @internal For the benches only: whether bundles' compiled code is reused (memory and disk). */
export const codeCacheSwitches = { enabled: true };

/** How a bundle is to be compiled: as a script (with its cache key and the cached code found), or as a module. */
export interface CompilePlan {
  script?: { text: string; key: string; cachedData?: ivm.ExternalCopy<ArrayBuffer> };
}

const EXPORT_CLAUSE = /\nexport\s*\{([^{}]*)\}\s*;?\s*((?:\/\/[^\n]*\s*)*)$/;
const NAME = /^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/;

/**
 * The bundle as a script whose completion value is its exports object (getters, no
 * prototype), with `evaluatedExport` true; undefined when the bundle is not in the shape.
 */
export function asScript(code: string, evaluatedExport: string): string | undefined {
  const match = EXPORT_CLAUSE.exec(code);
  if (match === null) return undefined;
  const getters: string[] = [];
  for (const part of match[1]!.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const name = NAME.exec(item);
    if (name === null) return undefined;
    getters.push(`get ${name[2] ?? name[1]}() { return ${name[1]}; }`);
  }
  getters.push(`get ${evaluatedExport}() { return true; }`);
  // The head on a line of its own (taken back by lineOffset: -1); the tail after the code's last line.
  return `(function () {'use strict';\n${code.slice(0, match.index)}\n;return { __proto__: null, ${getters.join(', ')} };\n${match[2] ?? ''}\n})()`;
}

/** Decides how `code` compiles, and finds its cached code (memory first, then the store). Never throws. */
export async function planCompile(code: string, evaluatedExport: string, store: CodeCacheStore | undefined): Promise<CompilePlan> {
  if (!codeCacheSwitches.enabled || code.length < CODE_CACHE_MIN_LENGTH) return {};
  const text = asScript(code, evaluatedExport);
  if (text === undefined) return {};
  const key = `b-${createHash('sha256').update(code).digest('hex')}-${CODE_CACHE_ENGINE}`;
  let cachedData = memory.get(key);
  if (cachedData === undefined && store !== undefined) {
    const bytes = unframe(key, await store.read(key).catch(() => undefined));
    if (bytes !== undefined) cachedData = remember(key, new ivm.ExternalCopy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer));
  }
  return { script: { text, key, ...(cachedData ? { cachedData } : {}) } };
}

/** After a compile: keeps what V8 produced (in memory and in the store) when there was no usable cache. */
export function keepCompiled(key: string, produced: ivm.ExternalCopy<ArrayBuffer> | undefined, rejected: boolean, store: CodeCacheStore | undefined): void {
  if (rejected) memory.delete(key);
  if (produced === undefined) return;
  remember(key, produced);
  if (store !== undefined) {
    try {
      store.write(key, frame(key, new Uint8Array(produced.copy())));
    } catch {
      // The store is best effort: the next start compiles from source.
    }
  }
}

function remember(key: string, data: ivm.ExternalCopy<ArrayBuffer>): ivm.ExternalCopy<ArrayBuffer> {
  memory.delete(key);
  memory.set(key, data);
  if (memory.size > MEMORY_ENTRIES) {
    // Dropped, not released: a compile planned a moment ago may still be about to use it.
    memory.delete(memory.keys().next().value!);
  }
  return data;
}

/** The stored form: magic, key, sha256 of the payload, payload. */
export function frame(key: string, payload: Uint8Array): Uint8Array {
  const head = Buffer.from(`${FILE_MAGIC}${key}\n${createHash('sha256').update(payload).digest('hex')}\n`);
  return Buffer.concat([head, payload]);
}

/** The payload of a stored entry, or undefined when it is not one for `key` or is damaged. */
export function unframe(key: string, data: Uint8Array | undefined): Uint8Array | undefined {
  if (data === undefined) return undefined;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const expected = `${FILE_MAGIC}${key}\n`;
  if (buffer.length < expected.length + 65 || buffer.toString('latin1', 0, expected.length) !== expected) return undefined;
  const sum = buffer.toString('latin1', expected.length, expected.length + 64);
  const payload = buffer.subarray(expected.length + 65);
  if (buffer[expected.length + 64] !== 0x0a || createHash('sha256').update(payload).digest('hex') !== sum) return undefined;
  return payload;
}

/** @internal Tests: forget the in-process entries (as a restart does). */
export function clearMemoryCodeCache(): void {
  memory.clear();
}
