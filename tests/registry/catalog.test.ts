import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { Catalog, createCapabilityRegistry, scanCatalog, type ModulePackage } from '../../src/registry/index.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/registry');
const modules = path.resolve(import.meta.dirname, '../../modules');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function packagesOf(scenario: string): Promise<readonly ModulePackage[]> {
  return (await scanCatalog(path.join(fixtures, scenario))).packages;
}

describe('scanCatalog', () => {
  it('returns packages sorted by id, then version from highest', async () => {
    expect((await packagesOf('versions')).map((p) => p.key)).toEqual(['kv@2.0.0', 'kv@1.2.0', 'kv@1.0.0', 'session@1.0.0']);
  });

  it('refuses a second folder with the same id@version, keeping the first by folder name', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-scan-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(path.join(fixtures, 'versions/kv-1.0.0'), path.join(dir, 'a-kv'), { recursive: true });
    await cp(path.join(fixtures, 'versions/kv-1.0.0'), path.join(dir, 'b-kv-copy'), { recursive: true });
    const scan = await scanCatalog(dir);
    expect(scan.packages.map((p) => [p.key, path.basename(p.dir)])).toEqual([['kv@1.0.0', 'a-kv']]);
    expect(scan.diagnostics).toHaveLength(1);
    expect(scan.diagnostics[0]).toMatchObject({ code: 'E_CATALOG_DUPLICATE', severity: 'error', dir: path.join(dir, 'b-kv-copy'), jsonPath: '$.version' });
    expect(scan.diagnostics[0]!.message).toContain('kv@1.0.0 is already in the catalog from a-kv');
  });

  it('warns about legacy ids that name another module or are claimed twice, and keeps the packages', async () => {
    const scan = await scanCatalog(path.join(fixtures, 'legacy-clash'));
    expect(scan.packages.map((p) => p.key)).toEqual(['billing@1.0.0', 'invoices@1.0.0', 'payments@1.0.0']);
    expect(scan.diagnostics.map((d) => [d.code, d.severity, path.basename(d.dir), d.jsonPath])).toEqual([
      ['E_CATALOG_LEGACY_ID_CLASH', 'warning', 'billing', '$.hotmod.legacyIds[1]'],
      ['E_CATALOG_LEGACY_ID_CLASH', 'warning', 'invoices', '$.hotmod.legacyIds[0]'],
    ]);
    expect(scan.diagnostics[0]!.message).toContain("legacy id 'payments' of billing@1.0.0 is the id of another module");
    expect(scan.diagnostics[1]!.message).toContain("legacy id 'invoicing' is claimed by both 'billing' and 'invoices'");
  });

  it('throws E_CATALOG_DIR_MISSING for a directory that does not exist', async () => {
    const error = await scanCatalog(path.join(fixtures, 'nope')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HotmodError);
    expect((error as HotmodError).code).toBe('E_CATALOG_DIR_MISSING');
    expect((error as HotmodError).message).toMatch(/cannot be scanned.*--modules DIR/);
  });

  it('finds the sources of the demo modules for dev mode', async () => {
    const scan = await scanCatalog(modules);
    expect(scan.diagnostics).toEqual([]);
    for (const p of scan.packages) {
      expect(p.srcEntryPath).toBe(path.join(p.dir, 'src/index.ts'));
      expect(p.entryPath).toBe(path.join(p.dir, 'dist/index.js'));
    }
  });
});

describe('Catalog (the one writer)', () => {
  it('applies removals before additions, so one delta replaces a version', async () => {
    const [kv2, kv12, kv1, session] = await packagesOf('versions');
    const catalog = new Catalog([kv1!, session!]);
    expect(catalog.generation).toBe(0);
    const before = catalog.snapshot();

    const result = catalog.applyDelta({ remove: ['kv@1.0.0'], add: [kv12!, kv2!] });
    expect(result).toEqual({ generation: 1, refused: [] });
    expect(catalog.packages().map((p) => p.key)).toEqual(['kv@2.0.0', 'kv@1.2.0', 'session@1.0.0']);
    expect(catalog.packages('kv').map((p) => p.manifest.version)).toEqual(['2.0.0', '1.2.0']);

    // The earlier snapshot is immutable and still describes generation 0.
    expect(before.generation).toBe(0);
    expect(before.packages.map((p) => p.key)).toEqual(['kv@1.0.0', 'session@1.0.0']);
    expect(Object.isFrozen(before.packages)).toBe(true);
    const after = catalog.snapshot();
    expect(after.generation).toBe(1);
    expect(after.ids).toEqual(['kv', 'session']);
    expect(after.get('kv@1.2.0')).toBe(kv12);
    expect(after.versions('nope')).toEqual([]);
    expect(catalog.snapshot()).toBe(after); // cached until the next change
  });

  it('refuses duplicates and unknown removals with a code and a reason, and keeps the generation when nothing changed', async () => {
    const [kv2, , kv1] = await packagesOf('versions');
    const catalog = new Catalog([kv2!]);
    const result = catalog.applyDelta({ add: [kv2!], remove: ['kv@9.9.9'] });
    expect(result.generation).toBe(0);
    expect(result.refused).toEqual([
      { key: 'kv@9.9.9', code: 'E_CATALOG_UNKNOWN_KEY', reason: 'cannot remove kv@9.9.9: the catalog does not hold it' },
      expect.objectContaining({ key: 'kv@2.0.0', code: 'E_CATALOG_DUPLICATE' }),
    ]);
    expect(result.refused[1]!.reason).toMatch(/already holds it.*remove it in the same delta to replace it/);
    // A partly refused delta still applies the rest.
    expect(catalog.applyDelta({ add: [kv1!, kv2!] })).toMatchObject({ generation: 1, refused: [{ key: 'kv@2.0.0' }] });
    expect(catalog.packages().map((p) => p.key)).toEqual(['kv@2.0.0', 'kv@1.0.0']);
  });

  it('iterates in the same order whatever order packages were added in', async () => {
    const all = await packagesOf('diamond');
    const a = new Catalog([...all].reverse());
    const b = new Catalog();
    for (const p of all) b.applyDelta({ add: [p] });
    expect(a.packages().map((p) => p.key)).toEqual(b.packages().map((p) => p.key));
  });
});

describe('capability registry', () => {
  it('answers who provides a capability, highest first, and filters by range', async () => {
    const registry = createCapabilityRegistry(await packagesOf('diamond'));
    expect(registry.providers('base.api')).toEqual([
      { moduleId: 'base', version: '2.0.0', capabilityVersion: '2.0.0' },
      { moduleId: 'base', version: '1.3.0', capabilityVersion: '1.3.0' },
      { moduleId: 'base', version: '1.1.0', capabilityVersion: '1.1.0' },
    ]);
    expect(registry.providers('base.api', '^1.2.0').map((p) => p.version)).toEqual(['1.3.0']);
    expect(registry.providers('nobody.api')).toEqual([]);
    expect(registry.capabilities()).toEqual(['base.api', 'left.api', 'right.api']);
  });

  it('matches capabilities by prefix pattern', async () => {
    const registry = createCapabilityRegistry([...(await packagesOf('conflict')), ...(await scanCatalog(modules)).packages]);
    expect(registry.match('payments.*').map((m) => [m.name, m.providers.map((p) => `${p.moduleId}@${p.version}`)])).toEqual([
      ['payments.charge', ['payments@2.1.0', 'payments@2.0.0', 'payments@1.9.0']],
    ]);
    expect(registry.match('*.invoices').map((m) => m.name)).toEqual(['billing.invoices']);
    expect(registry.match('analytics.track').map((m) => m.name)).toEqual(['analytics.track']);
    expect(registry.match('pay.*')).toEqual([]);
  });

  it('matches every name under a prefix at any depth, one segment per inner *, and everything with *', () => {
    const mk = (id: string, provides: Record<string, string>) =>
      ({ key: `${id}@1.0.0`, manifest: { id, version: '1.0.0', provides } }) as unknown as ModulePackage;
    const registry = createCapabilityRegistry([
      mk('payments', { payments: '1.0.0', 'payments.charge': '2.1.0', 'payments.refund': '2.0.0', 'payments.refund.bulk': '1.0.0' }),
      mk('paymentsx', { 'paymentsx.api': '1.0.0' }),
      mk('billing', { 'billing.invoices': '1.4.0', 'billing.payments.charge': '1.0.0' }),
    ]);
    const names = (pattern: string) => registry.match(pattern).map((m) => m.name);
    expect(names('payments.*')).toEqual(['payments.charge', 'payments.refund', 'payments.refund.bulk']);
    expect(names('payments.refund.*')).toEqual(['payments.refund.bulk']);
    expect(names('*.charge')).toEqual(['payments.charge']);
    expect(names('*.*.charge')).toEqual(['billing.payments.charge']);
    expect(names('payments')).toEqual(['payments']);
    expect(names('*')).toEqual(registry.capabilities());
    expect(registry.capabilities()).toHaveLength(7);
    expect(registry.match('payments.*')[0]!.providers).toEqual([{ moduleId: 'payments', version: '1.0.0', capabilityVersion: '2.1.0' }]);
  });

  it('refuses a malformed pattern or range with E_CATALOG_QUERY', async () => {
    const registry = createCapabilityRegistry(await packagesOf('diamond'));
    for (const bad of ['payments*', 'pay ments.*', '', 'a..b', '**']) {
      expect(() => registry.match(bad), bad).toThrow(expect.objectContaining({ code: 'E_CATALOG_QUERY' }));
    }
    expect(() => registry.providers('base.api', 'not a range')).toThrow(expect.objectContaining({ code: 'E_CATALOG_QUERY', message: expect.stringMatching(/not a valid semver range/) }));
  });

  it('orders providers of one capability from several modules deterministically', () => {
    const mk = (id: string, version: string, cap: string) =>
      ({ key: `${id}@${version}`, manifest: { id, version, provides: { 'mail.send': cap } } }) as unknown as ModulePackage;
    const registry = createCapabilityRegistry([mk('smtp', '1.0.0', '1.2.0'), mk('ses', '3.0.0', '1.2.0'), mk('postmark', '1.0.0', '1.4.0')]);
    expect(registry.providers('mail.send').map((p) => p.moduleId)).toEqual(['postmark', 'ses', 'smtp']);
  });
});
