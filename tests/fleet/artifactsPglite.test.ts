/**
 * The single-machine fleet on PGlite (docs/fleet.md "On one machine"): a host with
 * `fleet: true` on the embedded store serves what is published into that store, beside
 * its modules directory; a folder and an artifact of the same id@version: the folder's
 * copy serves, and different bytes are a diagnostic. In-process host, real isolates.
 */
import path from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { publishArtifact, readArtifactDir, tokens, type Store } from '../../src/index.js';
import { expectCode, newHost, tempDir, waitFor } from '../runtime/helpers.js';
import { writeModule } from './support/modules.js';

const CLIENT = 'acme';

async function publishDir(store: Store, dir: string) {
  return publishArtifact(store, await readArtifactDir(dir, 'test'), dir);
}

describe('artifacts on the embedded store (PGlite)', () => {
  it('serves the union of the directory and the store; new ids and new versions arrive while it runs; a folder shadows its id@version', { timeout: 120_000 }, async () => {
    const root = await tempDir('fleet-pglite');
    const modulesDir = path.join(root, 'modules');
    // The directory has greeter@1.0.0 and echo@1.0.0.
    await writeModule(modulesDir, { id: 'greeter', version: '1.0.0', answer: 'folder 1.0.0' });
    await writeModule(modulesDir, { id: 'echo', version: '1.0.0' });
    const host = await newHost({ modulesDir, store: 'memory', fleet: { cacheDir: path.join(root, 'cache'), hostId: 'solo' } });
    const diagnostics: { id?: string; code: string; message: string }[] = [];
    host.on('module:diagnostic', (e) => diagnostics.push(e));
    await host.start();
    const store = host.container.resolve(tokens.STORE);
    const client = host.client(CLIENT);
    expect(await client.invoke('greeter.api', 'version')).toBe('folder 1.0.0');

    // A published greeter@1.0.0 with other bytes: the folder's copy serves on, and says so.
    const elsewhere = await tempDir('fleet-pglite-publish');
    await publishDir(store, await writeModule(elsewhere, { id: 'greeter', version: '1.0.0', answer: 'store 1.0.0' }));
    const shadowed = await waitFor(() => diagnostics.find((d) => d.code === 'E_ARTIFACT_SHADOWED'), 'the shadowing diagnostic');
    expect(shadowed).toMatchObject({ id: 'greeter' });
    expect(shadowed.message).toMatch(/directory's copy serves/);
    expect(await client.invoke('greeter.api', 'version')).toBe('folder 1.0.0');

    // The folder's own bytes published: identical, no diagnostic (echo@1.0.0 is the same folder).
    const before = diagnostics.length;
    await publishDir(store, path.join(modulesDir, 'echo-1.0.0'));
    // A new id from the store joins the catalog; a higher greeter replaces the folder's.
    await publishDir(store, await writeModule(elsewhere, { id: 'fresh', version: '0.1.0', answer: 'fresh from the store' }));
    await waitFor(async () => (await client.invoke('fresh.api', 'version').catch(() => undefined)) === 'fresh from the store', 'fresh to serve');
    await publishDir(store, await writeModule(elsewhere, { id: 'greeter', version: '1.1.0', answer: 'store 1.1.0' }));
    await waitFor(async () => (await client.invoke('greeter.api', 'version')) === 'store 1.1.0', 'greeter 1.1.0 to serve');
    expect(diagnostics.slice(before)).toEqual([]);

    // Its own heartbeat row says what it serves.
    const view = await host.fleet();
    expect(view.hosts).toHaveLength(1);
    expect(view.hosts[0]).toMatchObject({ hostId: 'solo', self: true, stale: false, pid: process.pid });
    expect(view.hosts[0]!.modules).toMatchObject({ greeter: { versions: ['1.1.0'] }, echo: { versions: ['1.0.0'] }, fresh: { versions: ['0.1.0'] } });
  });

  it('a host restarted on the same data directory starts with every published artifact', { timeout: 120_000 }, async () => {
    const root = await tempDir('fleet-pglite-restart');
    const modulesDir = path.join(root, 'modules');
    await writeModule(modulesDir, { id: 'echo', version: '1.0.0' });
    const options = { modulesDir, store: `pglite://${path.join(root, 'db')}`, fleet: { cacheDir: path.join(root, 'cache') } };
    const first = await newHost(options);
    await first.start();
    const store = first.container.resolve(tokens.STORE);
    const elsewhere = await tempDir('fleet-pglite-restart-publish');
    const result = await publishDir(store, await writeModule(elsewhere, { id: 'greeter', version: '2.0.0' }));
    expect(result.status).toBe('published');
    await waitFor(async () => (await first.client(CLIENT).invoke('greeter.api', 'version').catch(() => undefined)) === '2.0.0', 'greeter to serve');
    await first.stop();

    // A fresh cache: the store alone brings greeter back.
    const second = await newHost({ ...options, fleet: { cacheDir: path.join(root, 'cache-2') } });
    await second.start();
    expect(await second.client(CLIENT).invoke('greeter.api', 'version')).toBe('2.0.0');
    expect((await second.fleet()).hosts.map((h) => h.self)).toEqual([true]);
  });

  it('refuses what is not a publishable package; an artifact the host cannot write out is a diagnostic, and the host serves on', { timeout: 120_000 }, async () => {
    const root = await tempDir('fleet-pglite-bad');
    const modulesDir = path.join(root, 'modules');
    await writeModule(modulesDir, { id: 'echo', version: '1.0.0' });
    // The cache "directory" is a file: nothing can be written under it.
    const cacheDir = path.join(root, 'not-a-dir');
    await writeFile(cacheDir, 'x');
    const host = await newHost({ modulesDir, store: 'memory', fleet: { cacheDir } });
    const diagnostics: { id?: string; code: string }[] = [];
    host.on('module:diagnostic', (e) => diagnostics.push(e));
    await host.start();
    const store = host.container.resolve(tokens.STORE);

    const elsewhere = await tempDir('fleet-pglite-bad-publish');
    const good = await readArtifactDir(await writeModule(elsewhere, { id: 'greeter', version: '1.0.0' }), 'test');
    await expectCode(publishArtifact(store, { ...good, packageJson: '{ not json' }), 'E_ARTIFACT_INVALID');
    const noManifest = await expectCode(publishArtifact(store, { ...good, packageJson: JSON.stringify({ name: 'x', version: '1.0.0' }) }), 'E_ARTIFACT_INVALID');
    expect(noManifest.message).toMatch(/manifest is invalid/);
    await expectCode(publishArtifact(store, { ...good, bundle: new Uint8Array() }), 'E_ARTIFACT_INVALID');
    await writeModule(elsewhere, { id: 'unbuilt', version: '1.0.0' }).then((dir) => rm(path.join(dir, 'dist'), { recursive: true }));
    await expectCode(readArtifactDir(path.join(elsewhere, 'unbuilt-1.0.0'), 'test'), 'E_ARTIFACT_INVALID');

    // A valid artifact that this host cannot write to its cache.
    expect((await publishArtifact(store, good)).status).toBe('published');
    // package.json formatting is not content: the same manifest printed another way is the same artifact.
    const reformatted = JSON.stringify(JSON.parse(good.packageJson));
    expect(reformatted).not.toBe(good.packageJson);
    expect((await publishArtifact(store, { ...good, packageJson: reformatted })).status).toBe('unchanged');
    // The source map is not content either; the manifest is.
    expect((await publishArtifact(store, { ...good, sourceMap: Buffer.from('{}') })).status).toBe('unchanged');
    const described = JSON.stringify({ ...JSON.parse(good.packageJson), description: 'changed' });
    await expectCode(publishArtifact(store, { ...good, packageJson: described }), 'E_ARTIFACT_VERSION_EXISTS');
    await waitFor(() => diagnostics.find((d) => d.code === 'E_ARTIFACT_UNUSABLE' && d.id === 'greeter'), 'the unusable-artifact diagnostic');
    expect(await host.client(CLIENT).invoke('echo.api', 'version')).toBe('1.0.0');
    await expectCode(host.client(CLIENT).invoke('greeter.api', 'version'), 'E_NO_PROVIDER');
  });

  it('refuses the fleet option without a store, and host.fleet() without one', async () => {
    const root = await tempDir('fleet-none');
    await expectCode(newHost({ modulesDir: root, store: 'none', fleet: true }), 'E_HOST_OPTIONS_INVALID');
    await expectCode(newHost({ modulesDir: root, store: 'memory', fleet: { pollMs: -1 } }), 'E_HOST_OPTIONS_INVALID');
    const host = await newHost({ modulesDir: root, store: 'none' });
    await host.start();
    await expectCode(host.fleet(), 'E_FLEET_NO_STORE');
  });
});
