import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModulePackage, ManifestErrorCode, manifestInvalidError, scanCatalog, validateManifest } from '../../src/registry/index.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/registry/manifest-errors');
const load = (folder: string) => loadModulePackage(path.join(fixtures, folder));

/** Each fixture folder, the code it must produce, where, and words the message must contain. */
const cases: { folder: string; code: string; jsonPath: string; message: RegExp; fix: RegExp }[] = [
  { folder: 'not-found', code: 'E_MANIFEST_NOT_FOUND', jsonPath: '$', message: /no package\.json/, fix: /hotmod new/ },
  { folder: 'parse', code: 'E_MANIFEST_PARSE', jsonPath: '$', message: /not valid JSON/, fix: /trailing commas/ },
  { folder: 'parse-not-object', code: 'E_MANIFEST_PARSE', jsonPath: '$', message: /must hold a JSON object, found an array/, fix: /object/ },
  { folder: 'not-hotmod', code: 'E_MANIFEST_NOT_HOTMOD', jsonPath: '$.hotmod', message: /no "hotmod" field/, fix: /"hotmod"/ },
  { folder: 'required', code: 'E_MANIFEST_REQUIRED', jsonPath: '$.version', message: /no "version"/, fix: /1\.0\.0/ },
  { folder: 'required', code: 'E_MANIFEST_REQUIRED', jsonPath: '$.hotmod.id', message: /no "id"/, fix: /Add "id"/ },
  { folder: 'type', code: 'E_MANIFEST_TYPE', jsonPath: '$.hotmod.provides', message: /"provides" must be an object, found an array/, fix: /billing\.invoices/ },
  { folder: 'type', code: 'E_MANIFEST_TYPE', jsonPath: '$.hotmod.defaultEnabled', message: /true or false, found "yes"/, fix: /no quotes/ },
  { folder: 'id', code: 'E_MANIFEST_ID', jsonPath: '$.hotmod.id', message: /'Billing!' is not a valid module id/, fix: /lowercase/ },
  { folder: 'version', code: 'E_MANIFEST_VERSION', jsonPath: '$.version', message: /'1\.4' is not an exact semver version/, fix: /MAJOR\.MINOR\.PATCH/ },
  { folder: 'range', code: 'E_MANIFEST_RANGE', jsonPath: '$.hotmod.requires["payments.charge"]', message: /'\^\^2' for capability 'payments\.charge'/, fix: /\^2\.1\.0/ },
  { folder: 'range', code: 'E_MANIFEST_RANGE', jsonPath: '$.hotmod.dependsOn.accounts', message: /'latest-ish' for module 'accounts'/, fix: /semver range/ },
  { folder: 'engines-range', code: 'E_MANIFEST_RANGE', jsonPath: '$.engines.hotmod', message: /'one point oh'/, fix: /\^1\.0\.0/ },
  { folder: 'capability', code: 'E_MANIFEST_CAPABILITY', jsonPath: '$.hotmod.provides["bad name!"]', message: /'bad name!' is malformed/, fix: /dot-separated/ },
  { folder: 'capability-version', code: 'E_MANIFEST_CAPABILITY_VERSION', jsonPath: '$.hotmod.provides["good.api"]', message: /exact version implemented, found '\^1\.0\.0'/, fix: /"1\.0\.0"; ranges belong in "requires"/ },
  { folder: 'enum', code: 'E_MANIFEST_ENUM', jsonPath: '$.hotmod.activation', message: /"eager" or "lazy", found "sometimes"/, fix: /first call/ },
  { folder: 'enum', code: 'E_MANIFEST_ENUM', jsonPath: '$.hotmod.isolation', message: /"isolate" or "process", found "thread"/, fix: /child process/ },
  { folder: 'permission', code: 'E_MANIFEST_PERMISSION', jsonPath: '$.hotmod.permissions[1]', message: /unknown permission "network"/, fix: /Known permissions: log, timers/ },
  { folder: 'permission', code: 'E_MANIFEST_PERMISSION', jsonPath: '$.hotmod.permissions[2]', message: /unknown permission "timer"/, fix: /Did you mean "timers"/ },
  { folder: 'fetch', code: 'E_MANIFEST_FETCH', jsonPath: '$.hotmod.fetch.origins[1]', message: /"https:\/\/api\.example\.com\/v1" is not an http\(s\) origin/, fix: /no path/ },
  { folder: 'limit', code: 'E_MANIFEST_LIMIT', jsonPath: '$.hotmod.limits.memoryMb', message: /positive integer, found 0/, fix: /between 1 and 4096/ },
  { folder: 'limit', code: 'E_MANIFEST_LIMIT', jsonPath: '$.hotmod.limits.callTimeoutMs', message: /99999999, above the maximum 600000/, fix: /milliseconds/ },
  { folder: 'limit', code: 'E_MANIFEST_LIMIT', jsonPath: '$.hotmod.limits.activateTimeoutMs', message: /found 1\.5/, fix: /whole number/ },
  { folder: 'config-schema', code: 'E_MANIFEST_CONFIG_SCHEMA', jsonPath: '$.hotmod.configSchema', message: /not a valid JSON Schema: .*currency\/type/, fix: /keyword spelling/ },
  { folder: 'config-schema-not-object', code: 'E_MANIFEST_CONFIG_SCHEMA', jsonPath: '$.hotmod.configSchema', message: /found a string/, fix: /"type": "object"/ },
  { folder: 'unknown-field', code: 'E_MANIFEST_UNKNOWN_FIELD', jsonPath: '$.hotmod.requries', message: /unknown manifest field "requries"/, fix: /Did you mean "requires"/ },
  { folder: 'self-reference', code: 'E_MANIFEST_SELF_REFERENCE', jsonPath: '$.hotmod.dependsOn.selfish', message: /'selfish' depends on itself/, fix: /Remove/ },
  { folder: 'self-reference', code: 'E_MANIFEST_SELF_REFERENCE', jsonPath: '$.hotmod.requires["good.api"]', message: /which it provides itself/, fix: /Remove/ },
  { folder: 'duplicate', code: 'E_MANIFEST_DUPLICATE', jsonPath: '$.hotmod.legacyIds[1]', message: /'dup-v1' is listed twice/, fix: /duplicate/ },
  { folder: 'duplicate', code: 'E_MANIFEST_DUPLICATE', jsonPath: '$.hotmod.optionalRequires["x.api"]', message: /both requires and optionalRequires/, fix: /one of them/ },
  { folder: 'main', code: 'E_MANIFEST_MAIN', jsonPath: '$.main', message: /'\.\.\/outside\.js' points outside the package folder/, fix: /dist\/index\.js/ },
  { folder: 'entry-missing', code: 'E_MANIFEST_ENTRY_MISSING', jsonPath: '$.main', message: /dist\/index\.js does not exist/, fix: /hotmod build/ },
];

describe('manifest validation on fixture packages', () => {
  it.each(cases)('$folder reports $code at $jsonPath', async ({ folder, code, jsonPath, message, fix }) => {
    const { pkg, diagnostics } = await load(folder);
    expect(pkg).toBeUndefined();
    const found = diagnostics.find((d) => d.code === code && d.jsonPath === jsonPath);
    expect(found, `diagnostics were: ${JSON.stringify(diagnostics, null, 2)}`).toBeDefined();
    expect(found!.message).toMatch(message);
    expect(found!.fix).toMatch(fix);
    expect(found!.severity).toBe('error');
    expect(found!.file).toBe(path.join(fixtures, folder, 'package.json'));
    expect(found!.dir).toBe(path.join(fixtures, folder));
  });

  it('covers every manifest code the registry declares (INVALID is thrown, ENGINES_MISSING is a warning)', () => {
    const covered = new Set(cases.map((c) => c.code));
    const declared = Object.values(ManifestErrorCode).filter((c) => c !== 'E_MANIFEST_INVALID' && c !== 'E_MANIFEST_ENGINES_MISSING');
    expect(declared.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('accepts a valid package with defaults filled in and its sources found', async () => {
    const { pkg, diagnostics } = await load('good');
    expect(diagnostics).toEqual([]);
    expect(pkg!.key).toBe('good@1.0.0');
    expect(pkg!.entryPath).toBe(path.join(fixtures, 'good/dist/index.js'));
    expect(pkg!.srcEntryPath).toBe(path.join(fixtures, 'good/src/index.ts'));
    expect(pkg!.manifest).toMatchObject({
      id: 'good',
      packageName: '@fixture/good',
      activation: 'eager',
      permissions: ['log'],
      limits: { memoryMb: 32 },
      defaultEnabled: true,
      requires: {},
      optionalRequires: {},
      dependsOn: {},
      legacyIds: [],
      engines: { hotmod: '^1.0.0' },
    });
    expect(pkg!.manifest.isolation).toBeUndefined();
    expect(Object.isFrozen(pkg!.manifest.provides)).toBe(true);
  });

  it('accepts a package without engines.hotmod, with a warning', async () => {
    const { pkg, diagnostics } = await load('engines-missing');
    expect(pkg?.key).toBe('no-engines@1.0.0');
    expect(diagnostics.map((d) => [d.code, d.severity, d.jsonPath])).toEqual([['E_MANIFEST_ENGINES_MISSING', 'warning', '$.engines.hotmod']]);
    expect(pkg!.manifest.engines).toEqual({});
  });

  it('validates an in-memory package.json and reports every problem at once', () => {
    const { manifest, diagnostics } = validateManifest(
      { name: 'x', version: '2.0.0', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'x', provides: { 'x.api': '2' }, requires: { 'y.api': 7 }, permissions: 'log', limits: { memoryMB: 10 } } },
      { dir: '/m/x', file: '/m/x/package.json' },
    );
    expect(manifest).toBeUndefined();
    expect(diagnostics.map((d) => `${d.code} ${d.jsonPath}`).sort()).toEqual([
      'E_MANIFEST_CAPABILITY_VERSION $.hotmod.provides["x.api"]',
      'E_MANIFEST_TYPE $.hotmod.permissions',
      'E_MANIFEST_TYPE $.hotmod.requires["y.api"]',
      'E_MANIFEST_UNKNOWN_FIELD $.hotmod.limits.memoryMB',
    ]);
    expect(diagnostics.find((d) => d.jsonPath === '$.hotmod.limits.memoryMB')!.fix).toMatch(/Did you mean "memoryMb"/);
  });

  // Every field of DESIGN.md's manifest, given a wrong value on an otherwise valid package.
  const base = () => ({ name: '@t/f', version: '1.0.0', main: 'dist/index.js', engines: { hotmod: '^1.0.0' } as unknown, hotmod: { id: 'f' } as Record<string, unknown> });
  const fieldCases: [string, (pkg: ReturnType<typeof base>) => void, string, string][] = [
    ['name', (p) => Object.assign(p, { name: 5 }), 'E_MANIFEST_TYPE', '$.name'],
    ['version', (p) => Object.assign(p, { version: 1 }), 'E_MANIFEST_TYPE', '$.version'],
    ['version (range)', (p) => Object.assign(p, { version: '^1.0.0' }), 'E_MANIFEST_VERSION', '$.version'],
    ['main', (p) => Object.assign(p, { main: 7 }), 'E_MANIFEST_TYPE', '$.main'],
    ['main (absolute)', (p) => Object.assign(p, { main: '/etc/passwd' }), 'E_MANIFEST_MAIN', '$.main'],
    ['engines', (p) => Object.assign(p, { engines: 'hotmod 1' }), 'E_MANIFEST_TYPE', '$.engines'],
    ['engines.hotmod', (p) => Object.assign(p, { engines: { hotmod: 1 } }), 'E_MANIFEST_TYPE', '$.engines.hotmod'],
    ['hotmod', (p) => Object.assign(p, { hotmod: [] }), 'E_MANIFEST_TYPE', '$.hotmod'],
    ['id', (p) => (p.hotmod.id = 3), 'E_MANIFEST_TYPE', '$.hotmod.id'],
    ['legacyIds', (p) => (p.hotmod.legacyIds = 'f-v1'), 'E_MANIFEST_TYPE', '$.hotmod.legacyIds'],
    ['legacyIds[i]', (p) => (p.hotmod.legacyIds = ['ok', ' padded ']), 'E_MANIFEST_ID', '$.hotmod.legacyIds[1]'],
    ['legacyIds (own id)', (p) => (p.hotmod.legacyIds = ['f']), 'E_MANIFEST_SELF_REFERENCE', '$.hotmod.legacyIds[0]'],
    // A legacy list entry has at most 214 characters; a longer legacy id could never match one.
    ['legacyIds (too long)', (p) => (p.hotmod.legacyIds = ['ok', 'x'.repeat(215)]), 'E_MANIFEST_ID', '$.hotmod.legacyIds[1]'],
    ['provides', (p) => (p.hotmod.provides = ['f.api']), 'E_MANIFEST_TYPE', '$.hotmod.provides'],
    ['provides value', (p) => (p.hotmod.provides = { 'f.api': 1 }), 'E_MANIFEST_TYPE', '$.hotmod.provides["f.api"]'],
    ['requires', (p) => (p.hotmod.requires = 'x.api'), 'E_MANIFEST_TYPE', '$.hotmod.requires'],
    ['requires name', (p) => (p.hotmod.requires = { 'x api': '^1.0.0' }), 'E_MANIFEST_CAPABILITY', '$.hotmod.requires["x api"]'],
    ['optionalRequires', (p) => (p.hotmod.optionalRequires = { 'x.api': 'soon' }), 'E_MANIFEST_RANGE', '$.hotmod.optionalRequires["x.api"]'],
    ['optionalRequires name', (p) => (p.hotmod.optionalRequires = { 'x.*': '^1.0.0' }), 'E_MANIFEST_CAPABILITY', '$.hotmod.optionalRequires["x.*"]'],
    ['dependsOn', (p) => (p.hotmod.dependsOn = ['accounts']), 'E_MANIFEST_TYPE', '$.hotmod.dependsOn'],
    ['dependsOn key', (p) => (p.hotmod.dependsOn = { Accounts: '^1.0.0' }), 'E_MANIFEST_ID', '$.hotmod.dependsOn.Accounts'],
    ['dependsOn range', (p) => (p.hotmod.dependsOn = { accounts: 3 }), 'E_MANIFEST_TYPE', '$.hotmod.dependsOn.accounts'],
    ['activation', (p) => (p.hotmod.activation = true), 'E_MANIFEST_ENUM', '$.hotmod.activation'],
    ['isolation', (p) => (p.hotmod.isolation = 'vm'), 'E_MANIFEST_ENUM', '$.hotmod.isolation'],
    ['permissions', (p) => (p.hotmod.permissions = { log: true }), 'E_MANIFEST_TYPE', '$.hotmod.permissions'],
    ['permissions (twice)', (p) => (p.hotmod.permissions = ['log', 'log']), 'E_MANIFEST_DUPLICATE', '$.hotmod.permissions[1]'],
    ['permissions (not a string)', (p) => (p.hotmod.permissions = [7]), 'E_MANIFEST_PERMISSION', '$.hotmod.permissions[0]'],
    ['limits', (p) => (p.hotmod.limits = [64]), 'E_MANIFEST_TYPE', '$.hotmod.limits'],
    ['limits.memoryMb', (p) => (p.hotmod.limits = { memoryMb: '64' }), 'E_MANIFEST_LIMIT', '$.hotmod.limits.memoryMb'],
    ['configSchema', (p) => (p.hotmod.configSchema = { type: 'objekt' }), 'E_MANIFEST_CONFIG_SCHEMA', '$.hotmod.configSchema'],
    ['defaultEnabled', (p) => (p.hotmod.defaultEnabled = 1), 'E_MANIFEST_TYPE', '$.hotmod.defaultEnabled'],
  ];
  it('accepts the base package of the field table', () => {
    expect(validateManifest(base(), { dir: '/m/f', file: '/m/f/package.json' }).manifest?.id).toBe('f');
  });
  it.each(fieldCases)('checks %s', (_field, spoil, code, at) => {
    const pkg = base();
    spoil(pkg);
    const { manifest, diagnostics } = validateManifest(pkg, { dir: '/m/f', file: '/m/f/package.json' });
    expect(manifest).toBeUndefined();
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.jsonPath}`)).toEqual([`${code} ${at}`]);
    expect(diagnostics.every((d) => d.file === '/m/f/package.json' && d.fix.length > 0 && d.message.length > 0)).toBe(true);
  });

  it("treats names that Object.prototype also has ('toString', 'constructor') as ordinary names, never as known limits", () => {
    const at = { dir: '/m/o', file: '/m/o/package.json' };
    const caps = validateManifest({ name: 'o', version: '1.0.0', engines: { hotmod: '*' }, hotmod: { id: 'o', requires: { toString: '^1.0.0' }, optionalRequires: { constructor: '^1.0.0' } } }, at);
    expect(caps.diagnostics).toEqual([]);
    expect(caps.manifest!.requires).toEqual({ toString: '^1.0.0' });
    expect(caps.manifest!.optionalRequires).toEqual({ constructor: '^1.0.0' });
    const limits = validateManifest({ name: 'o', version: '1.0.0', engines: { hotmod: '*' }, hotmod: { id: 'o', limits: { toString: 5, constructor: 1 } } }, at);
    expect(limits.manifest).toBeUndefined();
    expect(limits.diagnostics.map((d) => `${d.code} ${d.jsonPath}`).sort()).toEqual(['E_MANIFEST_UNKNOWN_FIELD $.hotmod.limits.constructor', 'E_MANIFEST_UNKNOWN_FIELD $.hotmod.limits.toString']);
  });

  it('sorts map keys so that the manifest reads the same whatever order the author wrote', () => {
    const at = { dir: '/m/o', file: '/m/o/package.json' };
    const a = validateManifest({ name: 'o', version: '1.0.0', engines: { hotmod: '*' }, hotmod: { id: 'o', requires: { 'b.x': '^1.0.0', 'a.x': '^1.0.0' } } }, at);
    expect(Object.keys(a.manifest!.requires)).toEqual(['a.x', 'b.x']);
  });

  it('manifestInvalidError lists every error with its path and fix', async () => {
    const { diagnostics } = await load('limit');
    const error = manifestInvalidError(path.join(fixtures, 'limit'), diagnostics);
    expect(error.code).toBe('E_MANIFEST_INVALID');
    expect(error.message).toMatch(/invalid \(3 problems\)/);
    expect(error.message).toContain('$.hotmod.limits.memoryMb');
    expect(error.message).toMatch(/run hotmod check/);
    expect((error.details.diagnostics as unknown[]).length).toBe(3);
  });
});

describe('scanCatalog', () => {
  it('keeps the good packages and reports the bad ones: one bad package never stops the rest', async () => {
    const scan = await scanCatalog(fixtures);
    expect(scan.packages.map((p) => p.key)).toEqual(['good@1.0.0', 'no-engines@1.0.0']);
    const refused = new Set(scan.diagnostics.filter((d) => d.severity === 'error').map((d) => path.basename(d.dir)));
    expect(refused.size).toBe(23);
    expect(refused.has('good')).toBe(false);
    // Deterministic: sorted by folder, path, code.
    const again = await scanCatalog(fixtures);
    expect(again.diagnostics).toEqual(scan.diagnostics);
  });
});
