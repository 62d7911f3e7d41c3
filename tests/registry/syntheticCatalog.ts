/**
 * Synthetic module catalogs for the determinism tests and bench/resolve.bench.ts: n module
 * ids, several versions each, about five requirements per module on lower-numbered modules
 * (so the graph is acyclic), with some newest versions broken (a requirement nobody
 * provides) or built for another hotmod, so the resolver has to backtrack.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateManifest, type ModulePackage } from '../../src/registry/index.js';

export interface SyntheticOptions {
  versionsPerId?: number;
  requiresPerModule?: number;
  /** Every k-th module's newest version requires a capability nobody provides. */
  brokenEvery?: number;
  /** Every k-th module's newest version needs hotmod ^2. */
  otherEngineEvery?: number;
  seed?: number;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same catalog. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0'];
const RANGES = ['>=1.0.0', '^1.0.0 || ^2.0.0', '*', '>=1.1.0'];

export const idOf = (i: number) => `m${String(i).padStart(5, '0')}`;

/** The package.json objects of a synthetic catalog. */
export function syntheticPackageJsons(n: number, options: SyntheticOptions = {}): { folder: string; json: Record<string, unknown> }[] {
  const random = prng(options.seed ?? 1);
  const perId = options.versionsPerId ?? 3;
  const reqs = options.requiresPerModule ?? 5;
  const brokenEvery = options.brokenEvery ?? 10;
  const engineEvery = options.otherEngineEvery ?? 7;
  const versions = VERSIONS.slice(VERSIONS.length - perId);
  const out: { folder: string; json: Record<string, unknown> }[] = [];
  for (let i = 0; i < n; i++) {
    const id = idOf(i);
    // Requirements on lower-numbered modules, chosen once per id (all versions share them).
    const targets = new Set<number>();
    const want = Math.min(reqs, i);
    while (targets.size < want) targets.add(Math.floor(random() * i));
    const sorted = [...targets].sort((a, b) => a - b);
    const requires: Record<string, string> = {};
    const dependsOn: Record<string, string> = {};
    sorted.forEach((j, k) => {
      const range = RANGES[Math.floor(random() * RANGES.length)]!;
      if (k === 0) dependsOn[idOf(j)] = range;
      else requires[`${idOf(j)}.api`] = range;
    });
    versions.forEach((version, v) => {
      const newest = v === versions.length - 1;
      const hotmod: Record<string, unknown> = { id, provides: { [`${id}.api`]: version }, dependsOn, requires: { ...requires } };
      if (newest && i % brokenEvery === 3) (hotmod.requires as Record<string, string>)[`missing${i}.api`] = '^1.0.0';
      out.push({
        folder: `${id}-${version}`,
        // Through JSON, like a package.json read from disk (flat strings, not concatenations).
        json: jsonRoundTrip({
          name: `@synthetic/${id}`,
          version,
          main: 'dist/index.js',
          engines: { hotmod: newest && i % engineEvery === 5 ? '^2.0.0' : '^1.0.0' },
          hotmod,
        }),
      });
    });
  }
  return out;
}

function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The same catalog as validated in-memory packages (no disk). */
export function syntheticPackages(n: number, options: SyntheticOptions = {}): ModulePackage[] {
  return syntheticPackageJsons(n, options).map(({ folder, json }) => {
    const dir = `/synthetic/${folder}`;
    const { manifest, diagnostics } = validateManifest(json, { dir, file: `${dir}/package.json` });
    if (!manifest) throw new Error(`synthetic package ${folder} is invalid: ${JSON.stringify(diagnostics)}`);
    return { manifest, dir, packageJsonPath: `${dir}/package.json`, entryPath: `${dir}/dist/index.js`, key: `${manifest.id}@${manifest.version}` };
  });
}

/** Writes the catalog as real package folders (package.json + dist/index.js); `folderName` can shuffle names. */
export async function writeSyntheticCatalog(dir: string, n: number, options: SyntheticOptions & { folderName?: (folder: string) => string } = {}): Promise<void> {
  for (const { folder, json } of syntheticPackageJsons(n, options)) {
    const target = path.join(dir, options.folderName ? options.folderName(folder) : folder);
    await mkdir(path.join(target, 'dist'), { recursive: true });
    await writeFile(path.join(target, 'package.json'), JSON.stringify(json, null, 2));
    const cap = Object.keys((json.hotmod as { provides: Record<string, string> }).provides)[0]!;
    await writeFile(path.join(target, 'dist/index.js'), `export async function activate() { return { ${JSON.stringify(cap)}: { async ping() { return 'pong'; } } }; }\n`);
  }
}

/** Fisher-Yates with a seeded PRNG. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
