/**
 * Small random catalogs for the differential tests (differential.test.ts, incremental.test.ts):
 * 2–5 module ids, 1–3 versions each, three capabilities offered by several providers at
 * different versions, ranges, dependsOn, optional requirements, engines, cycles. The same
 * seed gives the same catalog. `prefix` names the ids and capabilities, so that several
 * catalogs can be put side by side as separate components of one catalog.
 */
import { validateManifest, type ModulePackage } from '../../src/registry/index.js';
import { prng } from './syntheticCatalog.js';

const VERSIONS = ['1.0.0', '1.5.0', '2.0.0'];
const RANGES = ['^1.0.0', '^2.0.0', '>=1.5.0', '*', '~1.5.0'];

export interface RandomCatalogOptions {
  /** Prefix of the module ids and capability names (default: none: ids m0…, capabilities c0.api…). */
  readonly prefix?: string;
  /** Capabilities are named with this prefix instead (components sharing one link up). */
  readonly capPrefix?: string;
  /** Cycle-rich: requirements and dependsOn twice as likely (most catalogs then have cycles that other versions may avoid). */
  readonly cycleRich?: boolean;
}

/** One package of id `id` at `version`, drawn from `random`. */
export function randomPackage(random: () => number, id: string, version: string, ids: readonly string[], caps: readonly string[], tag: string, cycleRich = false): ModulePackage {
  const requireShare = cycleRich ? 0.55 : 0.3;
  const dependsShare = cycleRich ? 0.7 : 0.35;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const provides: Record<string, string> = {};
  for (const cap of caps) if (random() < 0.35) provides[cap] = pick(VERSIONS);
  const requires: Record<string, string> = {};
  const optionalRequires: Record<string, string> = {};
  for (const cap of caps) {
    if (provides[cap] !== undefined) continue;
    const r = random();
    if (r < requireShare) requires[cap] = pick(RANGES);
    else if (r < requireShare + 0.1) optionalRequires[cap] = pick(RANGES);
  }
  const dependsOn: Record<string, string> = {};
  if (random() < dependsShare) {
    const other = pick(ids);
    if (other !== id) dependsOn[other] = pick(RANGES);
  }
  const json = {
    name: `@diff/${id}`,
    version,
    main: 'dist/index.js',
    engines: { hotmod: random() < 0.12 ? '^2.0.0' : '^1.0.0' },
    hotmod: { id, provides, requires, optionalRequires, dependsOn },
  };
  const dir = `/diff/${tag}/${id}-${version}`;
  const { manifest, diagnostics } = validateManifest(json, { dir, file: `${dir}/package.json` });
  if (!manifest) throw new Error(`${tag}: invalid ${id}@${version}: ${JSON.stringify(diagnostics)}`);
  return { manifest, dir, packageJsonPath: `${dir}/package.json`, entryPath: `${dir}/dist/index.js`, key: `${id}@${version}` };
}

export function randomCatalog(seed: number, options: RandomCatalogOptions = {}): ModulePackage[] {
  const random = prng(seed);
  const prefix = options.prefix ?? '';
  const capPrefix = options.capPrefix ?? prefix;
  const caps = [0, 1, 2].map((c) => `${capPrefix}c${c}.api`);
  const idCount = 2 + Math.floor(random() * 4); // 2..5
  const ids = Array.from({ length: idCount }, (_, i) => `${prefix}m${i}`);
  const out: ModulePackage[] = [];
  for (const id of ids) {
    const versions = VERSIONS.filter(() => random() < 0.6);
    if (versions.length === 0) versions.push(pick(random, VERSIONS));
    for (const version of versions) out.push(randomPackage(random, id, version, ids, caps, String(seed), options.cycleRich));
  }
  return out;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export { VERSIONS as RANDOM_VERSIONS };
