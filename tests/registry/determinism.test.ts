import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePlan, scanCatalog, type ModulePackage, type ResolvePlan } from '../../src/registry/index.js';
import { idOf, prng, shuffled, writeSyntheticCatalog } from './syntheticCatalog.js';

const HOST = '1.0.0';
const N = 150;
let dirA: string;
let dirB: string;

/** Everything about a plan that must not depend on input order. */
function fingerprint(plan: ResolvePlan) {
  return {
    levels: plan.levels,
    modules: plan.modules.map((m) => ({ id: m.id, version: m.version, bindings: { ...m.bindings }, optional: { ...m.optionalBindings }, dependents: m.dependents })),
    unresolved: plan.unresolved.map((u) => [u.id, u.error.code, u.error.message]),
  };
}

beforeAll(async () => {
  // The same catalog on disk twice; in B the folder names are scrambled so the scan reads them in another order.
  dirA = await mkdtemp(path.join(os.tmpdir(), 'hotmod-det-a-'));
  dirB = await mkdtemp(path.join(os.tmpdir(), 'hotmod-det-b-'));
  await writeSyntheticCatalog(dirA, N, { seed: 7 });
  const random = prng(99);
  await writeSyntheticCatalog(dirB, N, { seed: 7, folderName: (folder) => `${Math.floor(random() * 1e9).toString(36)}-${folder.split('').reverse().join('')}` });
}, 60_000);

afterAll(async () => {
  await rm(dirA, { recursive: true, force: true });
  await rm(dirB, { recursive: true, force: true });
});

describe('determinism', () => {
  it('scans a generated catalog of real folders and resolves it, backtracking where newest versions are broken', async () => {
    const scan = await scanCatalog(dirA);
    expect(scan.diagnostics).toEqual([]);
    expect(scan.packages).toHaveLength(N * 3);
    const plan = resolvePlan(scan.packages, { hostVersion: HOST });
    expect(plan.modules).toHaveLength(N);
    // m00003's newest version requires a capability nobody provides; m00005's needs hotmod ^2.
    const version = (i: number) => plan.modules.find((m) => m.id === idOf(i))!.version;
    expect(version(3)).toBe('2.0.0'); // versions are 1.2.0, 2.0.0, 2.1.0
    expect(version(5)).toBe('2.0.0');
    expect(version(4)).toBe('2.1.0');
    // Every module comes after what it needs.
    const position = new Map(plan.modules.map((m, i) => [m.id, i]));
    for (const m of plan.modules) for (const need of [...m.dependsOn, ...Object.values(m.bindings)]) expect(position.get(need)!).toBeLessThan(position.get(m.id)!);
  });

  it('gives the same plan for the same input, twice, and for folders scanned in another order', async () => {
    const a = await scanCatalog(dirA);
    const b = await scanCatalog(dirB);
    const planA = fingerprint(resolvePlan(a.packages, { hostVersion: HOST }));
    expect(fingerprint(resolvePlan(a.packages, { hostVersion: HOST }))).toEqual(planA);
    expect(fingerprint(resolvePlan(b.packages, { hostVersion: HOST }))).toEqual(planA);
  });

  it('gives the same plan, and the same explanations, whatever order the packages are passed in', async () => {
    const packages = (await scanCatalog(dirA)).packages;
    // Drop one module so that others become unresolved in partial mode: explanations must be stable too.
    const broken = packages.filter((p) => p.manifest.id !== idOf(1));
    const expected = fingerprint(resolvePlan(broken, { hostVersion: HOST, mode: 'partial' }));
    expect(expected.unresolved.length).toBeGreaterThan(0);
    for (const seed of [1, 2, 3]) {
      const input: readonly ModulePackage[] = shuffled(broken, seed);
      expect(fingerprint(resolvePlan(input, { hostVersion: HOST, mode: 'partial' }))).toEqual(expected);
      expect(fingerprint(resolvePlan(shuffled(packages, seed), { hostVersion: HOST }))).toEqual(fingerprint(resolvePlan(packages, { hostVersion: HOST })));
    }
  });

  it('orders the request the same whatever order the ids are given in', async () => {
    const packages = (await scanCatalog(dirA)).packages;
    const ids = [idOf(140), idOf(20), idOf(77)];
    const one = fingerprint(resolvePlan(packages, { hostVersion: HOST, request: ids }));
    expect(fingerprint(resolvePlan(packages, { hostVersion: HOST, request: [...ids].reverse() }))).toEqual(one);
  });
});
