/**
 * Bundles a module package's `src/index.ts` (or `.js`) into the one self-contained ES
 * module the sandbox loads (`main`, by default `dist/index.js`). Used by `hotmod build`,
 * `hotmod new` and the watcher in dev mode.
 *
 * Everything is inlined (no externals): the sandbox has no module loader and no Node
 * API, so an import of a Node builtin is refused here, at build time, with its place in
 * the source, instead of failing later inside the isolate.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild';
import { HotmodError } from '../errors.js';
import type { CodeCacheStore } from '../sandbox/index.js';
import { pathExists } from '../shared/fs.js';
import { RuntimeErrorCode } from './errors.js';
import { writeFileAtomic } from './writeFileAtomic.js';

export interface BundleOptions {
  /** Where to write, absolute or relative to the package folder. Default: package.json `main`, else dist/index.js. */
  outfile?: string;
  /**
   * The source map, by which module errors show the author's src/ file and line:
   * 'file' (default) writes it to `.hotmod/<main>.map` (a dot-folder the watcher ignores)
   * and leaves the bundle's bytes as they are without a map, so an edit that only moves
   * lines (a comment) is still no reload; true or 'inline' appends it to the bundle;
   * false makes none.
   */
  sourcemap?: boolean | 'inline' | 'file';
  /** Aborted: the bundle is not written (a newer change superseded it). */
  signal?: AbortSignal;
}

export interface BundleResult {
  /** Absolute path of the package folder. */
  dir: string;
  /** Absolute path of the source entry that was bundled. */
  entry: string;
  /** Absolute path of the bundle. */
  outfile: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** Wall time of the build, in milliseconds. */
  ms: number;
  /** sha256 (hex) of the bundle: the watcher uses it to recognise its own writes. */
  sha256: string;
  /** With sourcemap 'file': the absolute path of the map. */
  sourcemapFile?: string;
  /** True when the file already had exactly these bytes, so nothing was written. */
  unchanged: boolean;
  /** esbuild warnings, each as `file:line:column: text`. */
  warnings: string[];
}

/** One esbuild problem, as `details.errors` of E_BUILD_FAILED / E_BUILD_NODE_API carries it. */
export interface BuildProblem {
  /** Relative to the package folder when inside it. */
  file?: string;
  line?: number;
  /** 1-based, like editors show it. */
  column?: number;
  text: string;
  lineText?: string;
  /** Set when the problem is an import of a Node builtin. */
  builtin?: string;
  /** With `builtin`: the imports that led to it, from the entry (`src/index.ts`, `yaml`, `node:fs`). */
  chain?: string[];
}

export const DEFAULT_MAIN = 'dist/index.js';
const SOURCE_ENTRIES = ['src/index.ts', 'src/index.js', 'src/index.mts', 'src/index.mjs'] as const;

/** The source entry of a package (src/index.ts first), or undefined when it has none. */
export async function findSourceEntry(dir: string): Promise<string | undefined> {
  for (const relative of SOURCE_ENTRIES) {
    const candidate = path.join(dir, relative);
    if (await pathExists(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Reads `main` from the package's package.json. A missing package.json or `main` gives
 * the default; a package.json that is not JSON, or a `main` outside the folder, throws.
 */
export async function readPackageMain(dir: string): Promise<string> {
  const file = path.join(dir, 'package.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_MAIN;
    throw buildError(dir, `cannot read package.json: ${(error as Error).message}`, [], error);
  }
  let main: unknown;
  try {
    main = (JSON.parse(text) as { main?: unknown } | null)?.main;
  } catch (error) {
    throw buildError(dir, `package.json is not valid JSON (${(error as Error).message}), so where to write the bundle is unknown`, [], error);
  }
  if (main === undefined) return DEFAULT_MAIN;
  if (typeof main !== 'string' || main.length === 0 || isOutside(dir, path.resolve(dir, main))) {
    throw buildError(dir, `package.json "main" must be a relative path inside the package folder, got ${JSON.stringify(main)}`, []);
  }
  return main;
}

export async function bundleModule(dir: string, options: BundleOptions = {}): Promise<BundleResult> {
  const started = performance.now();
  const root = path.resolve(dir);
  const entry = await findSourceEntry(root);
  if (entry === undefined) {
    throw new HotmodError(
      RuntimeErrorCode.BUILD_NO_ENTRY,
      `module package '${root}' has no source to bundle: none of ${SOURCE_ENTRIES.join(', ')} exists; put the module's entry at src/index.ts`,
      { dir: root, looked: [...SOURCE_ENTRIES] },
    );
  }
  const outfile = path.resolve(root, options.outfile ?? (await readPackageMain(root)));
  const mapMode = options.sourcemap === undefined || options.sourcemap === 'file' ? 'file' : options.sourcemap === false ? 'none' : 'inline';
  const mapFile = mapMode === 'file' ? mapFileFor(root, outfile) : undefined;

  let output: Uint8Array;
  let mapText: string | undefined;
  let warnings: Message[];
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile,
      write: false,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // 'neutral' resolves no package entry fields by default; npm dependencies need these.
      mainFields: ['module', 'main'],
      sourcemap: mapMode === 'inline' ? 'inline' : mapMode === 'file' ? 'external' : false,
      // Positions are all the sandbox needs to show the author's place; the sources stay out of the bundle.
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [refuseNodeBuiltins(root)],
    });
    const file = result.outputFiles.find((f) => f.path === outfile) ?? result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output file');
    output = file.contents;
    warnings = result.warnings;
    const map = mapFile === undefined ? undefined : result.outputFiles.find((f) => f.path === `${outfile}.map`);
    // No sourceMappingURL comment: the bundle keeps the bytes it has without a map, and the
    // sandbox finds the map by its place and the bundle's sha256 (src/sandbox/sourceMaps.ts).
    if (mapFile !== undefined && map !== undefined) mapText = relocateMap(map.text, path.dirname(outfile), path.dirname(mapFile), createHash('sha256').update(output).digest('hex'));
  } catch (error) {
    throw esbuildError(root, error);
  }

  const sha256 = createHash('sha256').update(output).digest('hex');
  options.signal?.throwIfAborted();
  const unchanged = await hasContent(outfile, sha256);
  // The map first: a host that loads the new bundle finds its map already there.
  if (mapFile !== undefined && mapText !== undefined && !(await hasContent(mapFile, createHash('sha256').update(mapText).digest('hex')))) {
    await mkdir(path.dirname(mapFile), { recursive: true });
    await writeFileAtomic(mapFile, Buffer.from(mapText));
  }
  // A build without a map file removes the one an earlier build left for this bundle.
  if (mapMode !== 'file') await rm(mapFileFor(root, outfile), { force: true });
  if (!unchanged) await writeFileAtomic(outfile, output);
  return {
    dir: root,
    entry,
    outfile,
    bytes: output.byteLength,
    ms: Math.round((performance.now() - started) * 10) / 10,
    sha256,
    ...(mapFile !== undefined && mapText !== undefined ? { sourcemapFile: mapFile } : {}),
    unchanged,
    warnings: warnings.map((w) => formatProblem(toProblem(root, w))),
  };
}

/**
 * Where compiled code is kept across restarts (src/sandbox/codeCache.ts): a bundle's in
 * `<package>/.hotmod/codecache/` (beside its map, a dot-folder the watcher ignores), one
 * file per bundle named by its key ('b-', the bundle's sha256, the V8 and isolated-vm
 * versions); the sandbox's setup script's (key 's-…', the same for every module) once for
 * the catalog, in `<catalog folder>/.hotmod/codecache/`. Writing a file removes the
 * folder's others of the same kind. Delete the folders to drop the cache; nothing else
 * needs them.
 */
export const CODE_CACHE_DIR = path.join('.hotmod', 'codecache');
const pendingCacheWrites = new Set<Promise<void>>();

/** The code cache of the package in `dir` (SandboxOptions.codeCache). Reads and writes never throw. */
export function codeCacheStore(dir: string): CodeCacheStore {
  const folderOf = (key: string) => path.join(key.startsWith('s-') ? path.dirname(dir) : dir, CODE_CACHE_DIR);
  const fileOf = (key: string) => path.join(folderOf(key), `${key}.bin`);
  return {
    async read(key) {
      try {
        return await readFile(fileOf(key));
      } catch {
        return undefined;
      }
    },
    write(key, data) {
      const kind = key.slice(0, 2);
      const done: Promise<void> = (async () => {
        await writeFileAtomic(fileOf(key), data);
        const folder = folderOf(key);
        for (const name of await readdir(folder)) if (name.startsWith(kind) && name.endsWith('.bin') && name !== `${key}.bin`) await rm(path.join(folder, name), { force: true });
      })()
        .catch(() => {})
        .finally(() => pendingCacheWrites.delete(done));
      pendingCacheWrites.add(done);
    },
  };
}

/** Settles once every code cache write started so far is on disk (host stop waits for it). */
export async function codeCacheWritten(): Promise<void> {
  await Promise.all([...pendingCacheWrites]);
}

/** Where sourcemap 'file' puts the map of a bundle: `<package>/.hotmod/<bundle path>.map`. */
export function mapFileFor(root: string, outfile: string): string {
  const relative = isOutside(root, outfile) ? path.basename(outfile) : path.relative(root, outfile);
  return path.join(root, '.hotmod', `${relative}.map`);
}

/**
 * esbuild writes `sources` relative to the bundle; a map file elsewhere needs them relative
 * to itself. It also records the sha256 of its bundle, so that a map is never applied to a
 * bundle it was not made for (a hand-written dist/, a build with --no-sourcemap).
 */
function relocateMap(text: string, fromDir: string, toDir: string, bundleSha256: string): string {
  const map = JSON.parse(text) as { sources?: string[]; x_hotmod_bundle_sha256?: string };
  if (Array.isArray(map.sources)) map.sources = map.sources.map((s) => path.relative(toDir, path.resolve(fromDir, s)).split(path.sep).join('/'));
  map.x_hotmod_bundle_sha256 = bundleSha256;
  return JSON.stringify(map);
}

/** `file:line:column: text`, the shape editors and terminals link. */
export function formatProblem(problem: BuildProblem): string {
  const where = problem.file === undefined ? '' : `${problem.file}:${problem.line ?? 0}:${problem.column ?? 0}: `;
  return `${where}${problem.text}`;
}

// An esbuild plugin: every import of a Node builtin becomes a build error at the import's
// place, with the chain of imports that led there (`src/index.ts → yaml → node:fs`). Bare
// names (`fs`, `events`) are refused only when nothing in node_modules provides them, so a
// bundled polyfill package still works; `node:` names are always refused. To know the
// chain, the plugin resolves every import itself and remembers who first imported each file.
const BUILTIN_DETAIL = 'hotmod:node-builtin';
const CHAIN_DETAIL = 'hotmod:import-chain';
const RESOLVING = Symbol('hotmod:resolving');
function refuseNodeBuiltins(root: string): Plugin {
  return {
    name: 'hotmod-no-node-api',
    setup(pluginBuild) {
      const importers = new Map<string, string>();
      const chainOf = (importer: string, name: string): string[] => {
        const files: string[] = [];
        for (let file: string | undefined = importer, hops = 0; file !== undefined && hops < 1000; file = importers.get(file), hops++) files.unshift(file);
        const chain: string[] = [];
        for (const file of files) {
          const label = chainLabel(root, file);
          if (chain.at(-1) !== label) chain.push(label);
        }
        chain.push(name);
        return chain;
      };
      const refuse = (name: string, importer: string) => {
        const chain = chainOf(importer, name);
        return {
          errors: [{ text: `imports the Node builtin '${name}' (${chain.join(' → ')}); modules run in a sandbox with no Node API`, detail: { [BUILTIN_DETAIL]: name, [CHAIN_DETAIL]: chain } }],
        };
      };
      pluginBuild.onResolve({ filter: /^node:/ }, (args) => refuse(args.path, args.importer));
      pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.kind === 'entry-point') return undefined;
        const found = await pluginBuild.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (found.errors.length > 0) {
          if (isBuiltin(args.path)) return refuse(args.path, args.importer);
          return { errors: found.errors, warnings: found.warnings };
        }
        if (found.path && !importers.has(found.path) && args.importer) importers.set(found.path, args.importer);
        return { path: found.path, namespace: found.namespace, sideEffects: found.sideEffects, external: found.external, suffix: found.suffix, pluginData: found.pluginData, warnings: found.warnings };
      });
    },
  };
}

/** A file in an import chain: the npm package it belongs to, or its path in the package folder. */
function chainLabel(root: string, file: string): string {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0 && at + 1 < parts.length) {
    const name = parts[at + 1]!;
    return name.startsWith('@') && at + 2 < parts.length ? `${name}/${parts[at + 2]}` : name;
  }
  return isOutside(root, file) ? file : path.relative(root, file).split(path.sep).join('/');
}

function esbuildError(dir: string, error: unknown): HotmodError {
  const messages = (error as Partial<BuildFailure>)?.errors;
  if (!Array.isArray(messages) || messages.length === 0) {
    return buildError(dir, error instanceof Error ? error.message : String(error), [], error);
  }
  const problems = messages.map((m) => toProblem(dir, m));
  const builtins = problems.filter((p) => p.builtin !== undefined);
  if (builtins.length > 0) {
    const list = builtins.map((p) => `'${p.builtin}' at ${p.file}:${p.line}:${p.column}${p.chain && p.chain.length > 2 ? ` (${p.chain.join(' → ')})` : ''}`).join(', ');
    const viaDependency = builtins.some((p) => p.chain !== undefined && p.chain.length > 2);
    return new HotmodError(
      RuntimeErrorCode.BUILD_NODE_API,
      `module package '${dir}' failed to build: it imports the Node builtin ${list}; modules run in a sandbox with no Node API, ` +
        (viaDependency
          ? `so that dependency cannot run there: use a version or an alternative that needs no Node builtin (a browser build; the sandbox has the web-standard globals), or get the work done by the host through a capability (call.capability); dist/ was left as it was`
          : `so remove the import and get what you need from the host through a capability (call.capability) or a permission (ctx.log); dist/ was left as it was`),
      { dir, errors: problems },
      { cause: error },
    );
  }
  return buildError(dir, problems.map(formatProblem).join('; '), problems, error);
}

function buildError(dir: string, reason: string, problems: BuildProblem[], cause?: unknown): HotmodError {
  return new HotmodError(
    RuntimeErrorCode.BUILD_FAILED,
    `module package '${dir}' failed to build: ${reason}; fix it and save again (or run hotmod build ${dir}); dist/ was left as it was`,
    { dir, errors: problems },
    cause === undefined ? undefined : { cause },
  );
}

function toProblem(dir: string, message: Message): BuildProblem {
  const problem: BuildProblem = { text: message.text };
  const location = message.location;
  if (location) {
    const absolute = path.resolve(dir, location.file);
    problem.file = isOutside(dir, absolute) ? absolute : path.relative(dir, absolute);
    problem.line = location.line;
    problem.column = location.column + 1;
    problem.lineText = location.lineText;
  }
  const detail = message.detail as Record<string, unknown> | undefined;
  if (detail && typeof detail[BUILTIN_DETAIL] === 'string') problem.builtin = detail[BUILTIN_DETAIL];
  if (detail && Array.isArray(detail[CHAIN_DETAIL])) problem.chain = detail[CHAIN_DETAIL] as string[];
  return problem;
}

async function hasContent(file: string, sha256: string): Promise<boolean> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex') === sha256;
  } catch {
    return false;
  }
}

function isOutside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative);
}
