/**
 * Source maps of module bundles: a stack frame in the bundle (`dist/index.js:812:11`)
 * becomes the author's place (`src/cart.ts:14:9`). `hotmod build` and the dev watcher
 * write every bundle's map to the package's .hotmod/ (or inline it); the loader registers
 * the bundle here by its file name, and the map is looked for, read and decoded only when
 * an error first needs it (and applied only if it was made for these bytes), so loading a
 * bundle costs no file-system call; the module error path rewrites the frames. A bundle
 * without a map keeps its frames as they are.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)\s*$/;

interface Entry {
  /** The bundle's text until an error first looks for its map (then dropped): its inline map or its sha256 come from it. */
  code?: string;
  /** An inline map's payload, or undefined for a map file. */
  base64?: string;
  /** A map file: its path (read when first needed, again when its mtime changes) and the sha256 of the bundle it must be for. */
  file?: string;
  bundleSha256?: string;
  mtimeMs?: number;
  /** Where its `sources` are relative to. */
  baseDir: string;
  map?: SourceMap | null;
}

/** By bundle file name; the newest load of a file wins (a rebuilt bundle has the same name). */
const maps = new Map<string, Entry>();
const MAX_MAPS = 1000;
/** How many folders up from the bundle a package's .hotmod/ may be (dist/index.js: one). */
const MAP_SEARCH_DEPTH = 4;

/**
 * Called for every bundle the sandbox loads. Its map (an inline one, or the map file
 * hotmod build wrote for it at `<package>/.hotmod/<bundle path>.map`) is looked for when an
 * error first needs it (`resolved`); until then the entry holds the bundle's text, one per
 * file name (the newest load wins), at most MAX_MAPS of them.
 */
export function registerSourceMap(filename: string, code: string): void {
  maps.delete(filename);
  if (maps.size >= MAX_MAPS) maps.delete(maps.keys().next().value!);
  maps.set(filename, { code, baseDir: path.dirname(filename) });
}

/** The entry of `filename` with its map's whereabouts settled (inline, a file, or none: map null). */
function resolved(filename: string): Entry | undefined {
  const entry = maps.get(filename);
  if (entry === undefined || entry.code === undefined) return entry;
  const code = entry.code;
  delete entry.code;
  const at = code.lastIndexOf('//# sourceMappingURL=');
  const inline = at < 0 ? null : INLINE_MAP.exec(code.slice(at));
  if (inline) {
    entry.base64 = inline[1]!;
    return entry;
  }
  const file = path.isAbsolute(filename) ? findMapFile(filename) : undefined;
  if (file === undefined) {
    entry.map = null;
    return entry;
  }
  entry.file = file;
  entry.bundleSha256 = createHash('sha256').update(code).digest('hex');
  entry.baseDir = path.dirname(file);
  return entry;
}

function findMapFile(filename: string): string | undefined {
  let dir = path.dirname(filename);
  for (let i = 0; i < MAP_SEARCH_DEPTH; i++) {
    const candidate = path.join(dir, '.hotmod', `${path.relative(dir, filename)}.map`);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function mapFor(filename: string): SourceMap | undefined {
  const entry = resolved(filename);
  if (!entry || (entry.map === null && entry.file === undefined)) return undefined;
  if (entry.file !== undefined) {
    // A map file is read when an error needs it: after a comment-only edit the bundle is
    // byte-identical (no reload), and the rewritten map, made for these very bytes, is right.
    let mtimeMs: number | undefined;
    try {
      mtimeMs = statSync(entry.file).mtimeMs;
    } catch {
      mtimeMs = undefined;
    }
    if (mtimeMs !== entry.mtimeMs) {
      entry.mtimeMs = mtimeMs;
      entry.map = undefined;
    }
  }
  if (entry.map === undefined) {
    try {
      const payload = JSON.parse(entry.file !== undefined ? readFileSync(entry.file, 'utf8') : Buffer.from(entry.base64!, 'base64').toString('utf8')) as SourceMapPayload & { x_hotmod_bundle_sha256?: string };
      entry.map = entry.file !== undefined && payload.x_hotmod_bundle_sha256 !== entry.bundleSha256 ? null : new SourceMap(payload);
    } catch {
      entry.map = null;
    }
  }
  return entry.map ?? undefined;
}

export interface SourcePlace {
  /** Absolute path of the author's file. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
}

/** The author's place of a 1-based line and column of a bundle, if its map knows it. */
export function originalPlace(filename: string, line: number, column: number): SourcePlace | undefined {
  const map = mapFor(filename);
  const baseDir = maps.get(filename)?.baseDir ?? path.dirname(filename); // settled by mapFor
  if (!map) return undefined;
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (!entry || typeof entry.originalSource !== 'string' || typeof entry.originalLine !== 'number') return undefined;
  const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : entry.originalSource;
  return { file: path.resolve(baseDir, source), line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}

const FRAME = /^(\s+at (?:.*? \()?)(.+?):(\d+):(\d+)(\)?)$/;

/** Stack frames with every place in a mapped bundle replaced by the author's. */
export function mapFrames(frames: string[]): string[] {
  if (maps.size === 0) return frames;
  return frames.map((frame) => {
    const m = FRAME.exec(frame);
    if (!m) return frame;
    const place = originalPlace(m[2]!, Number(m[3]), Number(m[4]));
    return place ? `${m[1]}${place.file}:${place.line}:${place.column}${m[5]}` : frame;
  });
}

/** `src/cart.ts:14:9` for a mapped frame (the part from the package's src/), else undefined. */
export function authorLocation(frames: string[]): string | undefined {
  for (const frame of frames) {
    const m = FRAME.exec(frame);
    if (!m) continue;
    const place = originalPlace(m[2]!, Number(m[3]), Number(m[4]));
    if (!place) return undefined;
    const parts = place.file.split(path.sep);
    const src = parts.lastIndexOf('src');
    const shown = src >= 0 && !parts.slice(src).includes('node_modules') ? parts.slice(src).join('/') : place.file;
    return `${shown}:${place.line}:${place.column}`;
  }
  return undefined;
}
