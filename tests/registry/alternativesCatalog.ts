/**
 * Catalogs with alternatives, the shape of issue 17: n module ids (about 2.2 packages
 * each), a few hundred capabilities each offered by dozens of providers at different
 * versions, some newest versions broken (a requirement nobody provides, an unsatisfiable
 * range) or built for another hotmod, and a share of modules with dependsOn.
 *
 * Every catalog has a solution by construction: one "witness" version per id (often not
 * the newest) requires only capabilities and modules of lower-numbered ids, in ranges
 * their witness versions satisfy. The other versions require freely (higher ids too, so
 * cycles through capabilities are possible), so the newest-first search has to work.
 */
import { validateManifest, type ModulePackage } from '../../src/registry/index.js';
import { prng } from './syntheticCatalog.js';

export interface AlternativesOptions {
  seed?: number;
  /** Capabilities: default n / 30 (10,000 ids: 333 capabilities, ~30 provider ids each). */
  capabilities?: number;
  /** Share of modules with a dependsOn entry (default 0.3). */
  dependsOnShare?: number;
  /** Share of ids whose newest version is broken or built for another hotmod (default 0.15). */
  brokenShare?: number;
  /** Requirements per package (default 3). */
  requires?: number;
  /** Share of the other versions' requirements that may point at any id, so cycles can form (default 0: layered, acyclic by construction). */
  upwardShare?: number;
  /** Prefix of the ids and capability names, so that several catalogs can sit side by side as separate components (default none). */
  prefix?: string;
}

export const altId = (i: number, prefix = '') => `${prefix}a${String(i).padStart(6, '0')}`;

export interface AltPackageJson {
  folder: string;
  json: Record<string, unknown>;
}

export function alternativesPackageJsons(n: number, options: AlternativesOptions = {}): AltPackageJson[] {
  const random = prng(options.seed ?? 1);
  const caps = Math.max(1, options.capabilities ?? Math.round(n / 30));
  const dependsShare = options.dependsOnShare ?? 0.3;
  const brokenShare = options.brokenShare ?? 0.15;
  const reqs = options.requires ?? 3;
  const upward = options.upwardShare ?? 0;
  const prefix = options.prefix ?? '';
  const capName = (c: number) => `${prefix}cap${c}.api`;
  const idOf = (i: number) => altId(i, prefix);
  const pick = (k: number) => Math.floor(random() * k);
  // id -> its versions (ascending) and the witness index; capability served by each id.
  const versionsOf: string[][] = [];
  const witness: number[] = [];
  const capOf: number[] = [];
  const capMajor = (i: number, v: number) => 1 + ((i + v) % 3);
  const out: AltPackageJson[] = [];
  for (let i = 0; i < n; i++) {
    const count = 1 + pick(3) + (random() < 0.1 ? 1 : 0); // 1..4, about 2.2 on average
    const versions = Array.from({ length: count }, (_, v) => `${1 + v}.${pick(3)}.0`);
    versionsOf.push(versions);
    witness.push(pick(count));
    // Contiguous bands of ids share a capability: layers, like real catalogs.
    capOf.push(Math.min(caps - 1, Math.floor((i * caps) / n)));
  }
  const firstOfBand: number[] = [];
  for (let i = n - 1; i >= 0; i--) firstOfBand[capOf[i]!] = i;
  for (let i = 0; i < n; i++) {
    const id = idOf(i);
    const versions = versionsOf[i]!;
    const w = witness[i]!;
    const brokenNewest = versions.length > 1 && w !== versions.length - 1 && random() < brokenShare * 3;
    for (let v = 0; v < versions.length; v++) {
      const requires: Record<string, string> = {};
      const dependsOn: Record<string, string> = {};
      let engines = '^1.0.0';
      if (v === w) {
        // The witness: lower ids only, ranges their witnesses satisfy.
        for (let k = 0; k < reqs && i > 0; k++) {
          const j = pick(i);
          requires[capName(capOf[j]!)] = `^${capMajor(j, witness[j]!)}.0.0`;
        }
        if (i > 0 && random() < dependsShare) {
          const j = pick(i);
          const wv = versionsOf[j]![witness[j]!]!;
          dependsOn[idOf(j)] = random() < 0.5 ? `>=${wv}` : `^${wv.split('.')[0]}.0.0`;
        }
      } else {
        for (let k = 0; k < reqs; k++) {
          const below = firstOfBand[capOf[i]!]!;
          const up = random() < upward;
          if (!up && below === 0) continue; // the first layer requires nothing
          const j = up ? pick(n) : pick(below);
          if (j === i) continue;
          requires[capName(capOf[j]!)] = `^${1 + pick(3)}.0.0`;
        }
        if (random() < dependsShare) {
          const up = random() < upward;
          const j = up ? pick(n) : i === 0 ? i : pick(i);
          if (j !== i) dependsOn[idOf(j)] = random() < 0.5 ? `^${1 + pick(4)}.0.0` : '*';
        }
        if (brokenNewest && v === versions.length - 1) {
          const kind = pick(3);
          if (kind === 0) requires[`${prefix}missing${i}.api`] = '^1.0.0';
          else if (kind === 1) engines = '^2.0.0';
          else requires[capName(capOf[(i + 1) % n]!)] = '^9.0.0';
        }
      }
      // A module never requires what it provides itself.
      delete requires[capName(capOf[i]!)];
      const version = versions[v]!;
      // Witness capability versions fall as ids rise: among witnesses, the provider a consumer
      // binds to (highest capability version in range) is the lowest id in range, always below
      // the consumer, so the witness plan has no cycle under the binding rule either.
      const capVersion = v === w ? `${capMajor(i, v)}.${n - i}.0` : `${capMajor(i, v)}.${pick(n)}.${v + 1}`;
      out.push({
        folder: `${id}-${version}`,
        json: JSON.parse(
          JSON.stringify({
            name: `@alt/${id.replace(/[^a-z0-9-]/g, '-')}`,
            version,
            main: 'dist/index.js',
            engines: { hotmod: engines },
            hotmod: { id, provides: { [capName(capOf[i]!)]: capVersion }, requires, dependsOn },
          }),
        ) as Record<string, unknown>,
      });
    }
  }
  return out;
}

export function toPackage({ folder, json }: AltPackageJson): ModulePackage {
  const dir = `/alt/${folder}`;
  const { manifest, diagnostics } = validateManifest(json, { dir, file: `${dir}/package.json` });
  if (!manifest) throw new Error(`alternatives package ${folder} is invalid: ${JSON.stringify(diagnostics)}`);
  return { manifest, dir, packageJsonPath: `${dir}/package.json`, entryPath: `${dir}/dist/index.js`, key: `${manifest.id}@${manifest.version}` };
}

/** The catalog as validated in-memory packages, sorted by id then version (highest first), like a scan. */
export function alternativesPackages(n: number, options: AlternativesOptions = {}): ModulePackage[] {
  return alternativesPackageJsons(n, options).map(toPackage).reverse().sort((a, b) => (a.manifest.id < b.manifest.id ? -1 : a.manifest.id > b.manifest.id ? 1 : 0));
}
