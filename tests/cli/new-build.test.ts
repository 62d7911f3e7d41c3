import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadModulePackage } from '../../src/registry/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-cli-new-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function hotmod(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (text) => void out.push(text), err: (text) => void err.push(text), isTTY: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('hotmod new', () => {
  it('scaffolds a module folder with a valid manifest, sources, a README and a built dist/', async () => {
    const modulesDir = await tempDir();
    const result = await hotmod('new', 'greeter', '--dir', modulesDir);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain("module 'greeter', provides greeter.api 1.0.0");
    expect(result.out).toContain('hotmod check');

    const dir = path.join(modulesDir, 'greeter');
    // .hotmod/ holds the bundle's source map (hotmod build's default).
    expect((await readdir(dir)).sort()).toEqual(['.hotmod', 'README.md', 'dist', 'package.json', 'src']);
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('dist/index.js');
    expect(pkg.hotmod).toEqual({
      id: 'greeter',
      provides: { 'greeter.api': '1.0.0' },
      activation: 'eager',
      permissions: ['log'],
      defaultEnabled: true,
    });
    const bundle = await readFile(path.join(dir, 'dist/index.js'), 'utf8');
    expect(bundle).toMatch(/export\s*\{\s*activate,\s*deactivate\s*\}/);
    expect(bundle).not.toMatch(/^\s*import\s/m);

    // The registry accepts it without a single diagnostic (not even a warning).
    const loaded = await loadModulePackage(dir);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.pkg?.key).toBe('greeter@1.0.0');
    expect(loaded.pkg?.srcEntryPath).toBe(path.join(dir, 'src/index.ts'));
    // No staging folder is left behind.
    expect(await readdir(modulesDir)).toEqual(['greeter']);
  });

  it('passes hotmod check', async () => {
    const modulesDir = await tempDir();
    expect((await hotmod('new', 'checked.module', '--dir', modulesDir)).code).toBe(0);
    const check = await hotmod('check', path.join(modulesDir, 'checked.module'));
    expect(check.err).toBe('');
    expect(check.code).toBe(0);
  });

  it('prints what it wrote as JSON with --json', async () => {
    const modulesDir = await tempDir();
    const result = await hotmod('new', 'json-mod', '--dir', modulesDir, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(report).toMatchObject({ id: 'json-mod', capability: 'json-mod.api', dir: path.join(modulesDir, 'json-mod') });
    expect(report.files.map((f: { path: string }) => f.path)).toEqual(['dist/index.js', 'package.json', 'README.md', 'src/index.ts'].sort((a, b) => a.localeCompare(b)));
    expect(report.build.bytes).toBeGreaterThan(100);
  });

  it('refuses an existing folder with E_SCAFFOLD_EXISTS and writes nothing', async () => {
    const modulesDir = await tempDir();
    await mkdir(path.join(modulesDir, 'taken'));
    await writeFile(path.join(modulesDir, 'taken/keep.txt'), 'mine');
    const result = await hotmod('new', 'taken', '--dir', modulesDir);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error E_SCAFFOLD_EXISTS');
    expect(result.err).toContain('already exists');
    expect(await readdir(path.join(modulesDir, 'taken'))).toEqual(['keep.txt']);
    expect(await readdir(modulesDir)).toEqual(['taken']);

    const json = await hotmod('new', 'taken', '--dir', modulesDir, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).error.code).toBe('E_SCAFFOLD_EXISTS');
  });

  it('refuses an invalid id with E_SCAFFOLD_ID_INVALID and creates nothing', async () => {
    const modulesDir = await tempDir();
    for (const id of ['Billing', '-dash', 'a b', '../escape', 'a..b', 'trailing.', 'x'.repeat(215)]) {
      const result = await hotmod('new', id, '--dir', modulesDir);
      expect(result.code, id).toBe(1);
      expect(result.err).toContain('error E_SCAFFOLD_ID_INVALID');
      expect(result.err).toContain('[a-z0-9][a-z0-9._-]*');
    }
    expect(await readdir(modulesDir)).toEqual([]);
  });

  it('exits 2 with the usage when the id is missing', async () => {
    const result = await hotmod('new');
    expect(result.code).toBe(2);
    expect(result.err).toContain('missing the module id');
    expect(result.err).toContain('Usage: hotmod new <id>');
  });

  it('scaffolds a module that activates, answers a call, logs and hands over its state in a real sandbox', async () => {
    const modulesDir = await tempDir();
    expect((await hotmod('new', 'sandboxed', '--dir', modulesDir)).code).toBe(0);
    const { pkg } = await loadModulePackage(path.join(modulesDir, 'sandboxed'));
    if (!pkg) throw new Error('the scaffold did not load');
    // Imported here so the other tests of this file run even while src/sandbox is being built.
    const { createIsolateSandboxFactory } = await import('../../src/sandbox/index.js');
    const factory = createIsolateSandboxFactory();
    cleanups.push(async () => void (await factory.close?.()));
    const logs: { level: string; message: string }[] = [];
    const sandbox = await factory.create({
      moduleId: pkg.manifest.id,
      version: pkg.manifest.version,
      code: await readFile(pkg.entryPath, 'utf8'),
      filename: pkg.entryPath,
      permissions: pkg.manifest.permissions,
      limits: { memoryMb: 32, callTimeoutMs: 1000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
      log: (level, message) => void logs.push({ level, message }),
      callCapability: async () => {
        throw new Error('the scaffold calls no other module');
      },
      onFatal: () => {},
    });
    cleanups.push(() => sandbox.dispose());
    const activated = await sandbox.activate({ config: {}, previousState: { greetings: 41 } });
    expect(activated).toEqual({ capabilities: { 'sandboxed.api': ['hello'] }, hasDeactivate: true });
    const answer = await sandbox.call('sandboxed.api', 'hello', { name: 'Ada' }, { clientId: 'acme', requestId: 'r1', settings: {} });
    expect(answer).toEqual({ message: 'Hello, Ada!', module: 'sandboxed', version: '1.0.0', clientId: 'acme', greetings: 42 });
    expect(logs).toContainEqual({ level: 'info', message: 'sandboxed@1.0.0 activated' });
    expect(await sandbox.deactivate()).toEqual({ greetings: 42 });
  });
});

describe('hotmod new: the scaffold under a real host', () => {
  it('is discovered, activated and served by createHost, and a rebuilt edit swaps in with its state', async () => {
    const modulesDir = await tempDir();
    expect((await hotmod('new', 'hosted', '--dir', modulesDir)).code).toBe(0);
    const { createHost } = await import('../../src/index.js');
    // store 'none': no PGlite directory is opened anywhere.
    const host = await createHost({ modulesDir, store: 'none', configFile: false });
    cleanups.push(() => host.stop());
    await host.start();
    expect(host.status()).toMatchObject([{ id: 'hosted', version: '1.0.0', state: 'active', stateful: true }]);
    const client = host.client('acme');
    expect(await client.invoke('hosted.api', 'hello', { name: 'Ada' })).toMatchObject({ message: 'Hello, Ada!', module: 'hosted', version: '1.0.0', greetings: 1 });

    // Edit src/, bump the version, `hotmod build`, swap: the greeting count is handed over.
    const dir = path.join(modulesDir, 'hosted');
    const src = path.join(dir, 'src/index.ts');
    await writeFile(src, (await readFile(src, 'utf8')).replace('Hello, ', 'Hi, '));
    const pkgFile = path.join(dir, 'package.json');
    await writeFile(pkgFile, (await readFile(pkgFile, 'utf8')).replace('"version": "1.0.0"', '"version": "1.1.0"'));
    expect((await hotmod('build', dir)).code).toBe(0);
    expect(await host.swap('hosted')).toMatchObject({ from: '1.0.0', to: '1.1.0', stateful: true });
    expect(await client.invoke('hosted.api', 'hello', { name: 'Bo' })).toMatchObject({ message: 'Hi, Bo!', version: '1.1.0', greetings: 2 });
  });
});

describe('hotmod build', () => {
  it('bundles one package and prints the file, its size and the time', async () => {
    const modulesDir = await tempDir();
    await hotmod('new', 'built', '--dir', modulesDir);
    const dir = path.join(modulesDir, 'built');
    await rm(path.join(dir, 'dist'), { recursive: true });
    const result = await hotmod('build', dir);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^built .*built\/dist\/index\.js {2}\d+ B {2}[\d.]+ ms$/);
    expect(await readFile(path.join(dir, 'dist/index.js'), 'utf8')).toContain('Hello, ');
  });

  it('bundles every package of a modules directory, skipping those without src/', async () => {
    const modulesDir = await tempDir();
    await hotmod('new', 'one', '--dir', modulesDir);
    await hotmod('new', 'two', '--dir', modulesDir);
    await rm(path.join(modulesDir, 'two/src'), { recursive: true }); // a hand-written dist only
    const result = await hotmod('build', modulesDir, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(report.ok).toBe(true);
    expect(report.built.map((b: { dir: string }) => path.basename(b.dir))).toEqual(['one']);
    expect(report.built[0]).toMatchObject({ unchanged: true, bytes: expect.any(Number), ms: expect.any(Number) });
    expect(report.skipped).toEqual([{ dir: path.join(modulesDir, 'two'), reason: expect.stringContaining('no src/index.ts') }]);
  });

  it('exits 1 with the esbuild diagnostics (file:line:column and a caret) when the build fails', async () => {
    const modulesDir = await tempDir();
    await hotmod('new', 'broken', '--dir', modulesDir);
    const dir = path.join(modulesDir, 'broken');
    const before = await readFile(path.join(dir, 'dist/index.js'), 'utf8');
    await writeFile(path.join(dir, 'src/index.ts'), 'export async function activate() {\n  return { oops: };\n}\n');
    const result = await hotmod('build', dir);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error E_BUILD_FAILED');
    expect(result.err).toContain('src/index.ts:2:18: Unexpected "}"');
    expect(result.err).toContain('    return { oops: };\n                     ^');
    expect(await readFile(path.join(dir, 'dist/index.js'), 'utf8')).toBe(before);

    const json = await hotmod('build', dir, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out);
    expect(report.ok).toBe(false);
    expect(report.failed[0].error).toMatchObject({ code: 'E_BUILD_FAILED', details: { errors: [{ file: 'src/index.ts', line: 2, column: 18 }] } });
  });

  it('refuses a Node builtin import with E_BUILD_NODE_API', async () => {
    const modulesDir = await tempDir();
    await hotmod('new', 'nodey', '--dir', modulesDir);
    const dir = path.join(modulesDir, 'nodey');
    await writeFile(path.join(dir, 'src/index.ts'), "import { execSync } from 'node:child_process';\nexport const activate = async () => ({ 'nodey.api': { async run() { return execSync('id').toString(); } } });\n");
    const result = await hotmod('build', dir);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error E_BUILD_NODE_API');
    expect(result.err).toContain("imports the Node builtin 'node:child_process' at src/index.ts:1:26");
    expect(result.err).toContain('modules run in a sandbox with no Node API');
  });

  it('exits 1 with E_BUILD_NO_ENTRY when there is nothing to build, and 2 without a path', async () => {
    const empty = await tempDir();
    const result = await hotmod('build', empty);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error E_BUILD_NO_ENTRY');
    expect((await hotmod('build')).code).toBe(2);
  });
});
