import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { resolvePlan, scanCatalog, type ModulePackage } from '../../src/registry/index.js';

/**
 * Catalogs that punish a naive search, generated as real folders: 25 independent modules
 * with 5 versions each sit between a module's choice and the conflict that disproves it.
 * Going back one decision at a time would try 5^25 combinations; the resolver must jump
 * straight back to the culprit.
 */
let dir: string;
let packages: readonly ModulePackage[];

async function writeModule(folder: string, id: string, version: string, hotmod: Record<string, unknown>): Promise<void> {
  const target = path.join(dir, folder);
  await mkdir(path.join(target, 'dist'), { recursive: true });
  const json = { name: `@fixture/${id}`, version, main: 'dist/index.js', engines: { hotmod: '^1.0.0' }, hotmod: { id, ...hotmod } };
  await writeFile(path.join(target, 'package.json'), JSON.stringify(json, null, 2));
  await writeFile(path.join(target, 'dist/index.js'), 'export async function activate() { return {}; }\n');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-search-'));
  // a (40 versions) is decided first; z (decided last) needs a ^1.0.0.
  for (let major = 1; major <= 40; major++) await writeModule(`a-${major}`, 'a', `${major}.0.0`, {});
  for (let i = 0; i < 25; i++) for (let v = 1; v <= 5; v++) await writeModule(`m${String(i).padStart(2, '0')}-${v}`, `m${String(i).padStart(2, '0')}`, `${v}.0.0`, {});
  await writeModule('z', 'z', '1.0.0', { dependsOn: { a: '^1.0.0' } });
  const scan = await scanCatalog(dir);
  expect(scan.diagnostics).toEqual([]);
  packages = scan.packages;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('search limits', () => {
  it('jumps back over unrelated decisions to the one that caused the conflict', () => {
    const plan = resolvePlan(packages, { hostVersion: '1.0.0', maxBacktracks: 1_000 });
    const versions = Object.fromEntries(plan.modules.map((m) => [m.id, m.version]));
    expect(versions.a).toBe('1.0.0');
    expect(versions.z).toBe('1.0.0');
    // The unrelated modules keep their newest versions: they were never retried.
    for (let i = 0; i < 25; i++) expect(versions[`m${String(i).padStart(2, '0')}`]).toBe('5.0.0');
  });

  it('gives up with E_RESOLVE_TOO_COMPLEX when the backtracking budget runs out', () => {
    let error: unknown;
    try {
      resolvePlan(packages, { hostVersion: '1.0.0', maxBacktracks: 10 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HotmodError);
    expect((error as HotmodError).code).toBe('E_RESOLVE_TOO_COMPLEX');
    expect((error as HotmodError).message).toMatch(/gave up after 10 backtracks.*to fix: narrow the version ranges/);
  });

  it('partial mode never throws when the budget runs out: it keeps what a greedy pass resolves', () => {
    const plan = resolvePlan(packages, { hostVersion: '1.0.0', maxBacktracks: 10, mode: 'partial' });
    // Greedy: a keeps its newest version, so z (which needs a ^1) is left out with the reason.
    expect(plan.modules.find((m) => m.id === 'a')!.version).toBe('40.0.0');
    expect(plan.modules).toHaveLength(26);
    expect(plan.unresolved.map((u) => [u.id, u.error.code])).toEqual([['z', 'E_RESOLVE_CONFLICT']]);
    expect(plan.unresolved[0]!.error.message).toContain('z 1.0.0 depends on a ^1.0.0, but a 40.0.0 is already chosen because a was requested');
  });

  it('resolves an empty catalog to an empty plan', () => {
    expect(resolvePlan([], { hostVersion: '1.0.0' })).toEqual({ modules: [], levels: [], unresolved: [] });
  });
});
