import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/index.js';
import { createHostWatcherFactory } from '../../src/runtime/index.js';
import { FIXTURES, copyFixture, expectCode, newHost, rewriteModule, stateOf, waitFor } from './helpers.js';

async function watchingHost(modulesDir: string): Promise<{ host: Host; events: { type: string; e: Record<string, unknown> }[] }> {
  const host = await newHost({ modulesDir, watch: true, overrides: { watcherFactory: createHostWatcherFactory({ settleMs: 50 }) } });
  const events: { type: string; e: Record<string, unknown> }[] = [];
  for (const type of ['module:swapped', 'swap:failed', 'module:diagnostic', 'module:activated', 'module:deactivated', 'catalog:changed'] as const)
    host.on(type, (e: object) => events.push({ type, e: e as Record<string, unknown> }));
  await host.start();
  return { host, events };
}

describe('hot reload through the watcher', () => {
  it('swaps on an edit of dist/, keeps serving through a broken edit, and swaps again when fixed', async () => {
    const modulesDir = await copyFixture('watch');
    const { host, events } = await watchingHost(modulesDir);
    const client = host.client('acme');
    expect(await client.invoke('welcome.api', 'welcome', { name: 'ada' })).toEqual({ welcome: 'hello ada' });

    await rewriteModule(path.join(modulesDir, 'greeter'), {
      version: '1.1.0',
      code: "export async function activate(ctx) { return { 'greet.api': { async hello(i) { return { text: 'hi ' + i.name, version: ctx.module.version }; } } }; }",
    });
    await waitFor(() => events.some((x) => x.type === 'module:swapped' && x.e.to === '1.1.0'), 'the swap to 1.1.0');
    expect(await client.invoke('welcome.api', 'welcome', { name: 'ada' })).toEqual({ welcome: 'hi ada' });

    // A half-written package.json: a diagnostic, and 1.1.0 serves on.
    await rewriteModule(path.join(modulesDir, 'greeter'), { raw: '{ "name": "@fixtures/greeter", "version": "1.2.0", ' });
    const diag = await waitFor(() => events.find((x) => x.type === 'module:diagnostic'), 'a diagnostic');
    expect(diag.e).toMatchObject({ id: 'greeter', dir: path.join(modulesDir, 'greeter') });
    expect(String(diag.e.message)).toMatch(/JSON/);
    expect(await client.invoke('greet.api', 'hello', { name: 'bo' })).toEqual({ text: 'hi bo', version: '1.1.0' });
    expect(stateOf(host, 'greeter')).toBe('active');

    await cp(path.join(FIXTURES, 'watch/greeter/package.json'), path.join(modulesDir, 'greeter/package.json'));
    await rewriteModule(path.join(modulesDir, 'greeter'), { version: '1.2.0' });
    await waitFor(() => events.some((x) => x.type === 'module:swapped' && x.e.to === '1.2.0'), 'the swap to 1.2.0');
    expect(await client.invoke('greet.api', 'hello', { name: 'cy' })).toEqual({ text: 'hi cy', version: '1.2.0' });
  });

  it('rebuilds src/ with esbuild on an edit and swaps the rebuilt bundle in', async () => {
    const modulesDir = await copyFixture('watch');
    const { host, events } = await watchingHost(modulesDir);
    const src = path.join(modulesDir, 'greeter/src/index.ts');
    await writeFile(
      src,
      "export async function activate(ctx: { module: { version: string } }) {\n  return { 'greet.api': { async hello(input: { name: string }) { return { text: `bonjour ${input.name}`, version: ctx.module.version }; } } };\n}\n",
    );
    await waitFor(() => events.some((x) => x.type === 'module:swapped' && x.e.id === 'greeter'), 'the swap after the src/ rebuild');
    expect(await host.client('acme').invoke('greet.api', 'hello', { name: 'di' })).toEqual({ text: 'bonjour di', version: '1.0.0' });
  });

  it('keeps the old version serving through a broken src/ edit (a diagnostic with file:line), then swaps the fix in', async () => {
    const modulesDir = await copyFixture('watch');
    const { host, events } = await watchingHost(modulesDir);
    const src = path.join(modulesDir, 'greeter/src/index.ts');
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    const bundleBefore = await readFile(dist, 'utf8');
    await writeFile(src, "export async function activate() {\n  return { 'greet.api': { async hello( { } } };\n}\n");
    const diag = await waitFor(() => events.find((x) => x.type === 'module:diagnostic'), 'a build diagnostic');
    expect(diag.e).toMatchObject({ id: 'greeter', code: 'E_BUILD_FAILED', dir: path.join(modulesDir, 'greeter') });
    expect(String(diag.e.message)).toMatch(/src\/index\.ts:2:\d+/);
    // dist/ untouched, no swap attempted, 1.0.0 serves on.
    expect(await readFile(dist, 'utf8')).toBe(bundleBefore);
    expect(events.some((x) => x.type === 'module:swapped' || x.type === 'swap:failed')).toBe(false);
    expect(await host.client('acme').invoke('greet.api', 'hello', { name: 'ed' })).toEqual({ text: 'hello ed', version: '1.0.0' });
    expect(stateOf(host, 'greeter')).toBe('active');

    await writeFile(src, "export async function activate(ctx: { module: { version: string } }) {\n  return { 'greet.api': { async hello(input: { name: string }) { return { text: `hallo ${input.name}`, version: ctx.module.version }; } } };\n}\n");
    await waitFor(() => events.some((x) => x.type === 'module:swapped' && x.e.id === 'greeter'), 'the swap after the fix');
    expect(await host.client('acme').invoke('greet.api', 'hello', { name: 'ed' })).toEqual({ text: 'hallo ed', version: '1.0.0' });
  });

  it('falls back to another folder with the same id when the running one is removed, and re-activates its dependents', async () => {
    const modulesDir = await copyFixture('watch');
    // A second greeter folder, 1.5.0: the resolver runs it (the newest version).
    await cp(path.join(modulesDir, 'greeter'), path.join(modulesDir, 'greeter-next'), { recursive: true });
    await rewriteModule(path.join(modulesDir, 'greeter-next'), {
      version: '1.5.0',
      hotmod: (h) => ((h.provides as Record<string, string>)['greet.api'] = '1.5.0'),
      code: "export async function activate(ctx) { return { 'greet.api': { async hello(i) { return { text: 'hey ' + i.name, version: ctx.module.version }; } } }; }",
    });
    const { host, events } = await watchingHost(modulesDir);
    const client = host.client('acme');
    expect(await client.invoke('welcome.api', 'welcome', { name: 'al' })).toEqual({ welcome: 'hey al' });

    await rm(path.join(modulesDir, 'greeter-next'), { recursive: true, force: true });
    await waitFor(() => host.status().find((s) => s.id === 'greeter')?.version === '1.0.0' && stateOf(host, 'needs-greeter') === 'active', 'greeter 1.0.0 and its dependent active again');
    expect(events.filter((x) => x.type === 'module:deactivated').map((x) => x.e.id)).toEqual(['needs-greeter', 'greeter']);
    expect(await client.invoke('welcome.api', 'welcome', { name: 'al' })).toEqual({ welcome: 'hello al' });
    expect(host.status().find((s) => s.id === 'needs-greeter')!.bindings).toEqual({ 'greet.api': 'greeter' });
  });

  it('activates an added folder and unloads a removed one (its dependents become unresolved)', async () => {
    const modulesDir = await copyFixture('watch');
    const { host, events } = await watchingHost(modulesDir);
    await cp(path.join(FIXTURES, 'swap/svc'), path.join(modulesDir, 'svc'), { recursive: true });
    await waitFor(() => events.some((x) => x.type === 'module:activated' && x.e.id === 'svc'), 'svc activated');
    expect(await host.client('acme').invoke('svc.api', 'get', { n: 1 })).toEqual({ version: '1.0.0', n: 1 });
    expect(events.some((x) => x.type === 'catalog:changed' && (x.e.added as string[]).includes('svc'))).toBe(true);

    await rm(path.join(modulesDir, 'greeter'), { recursive: true, force: true });
    await waitFor(() => stateOf(host, 'needs-greeter') === 'unresolved', 'needs-greeter unresolved');
    expect(events.some((x) => x.type === 'catalog:changed' && (x.e.removed as string[]).includes('greeter'))).toBe(true);
    expect(stateOf(host, 'greeter')).toBeUndefined();
    const status = host.status().find((s) => s.id === 'needs-greeter')!;
    expect(status.reason).toMatch(/greet\.api/);
    // Unload goes in reverse order: the dependent first, then the module it needed.
    expect(events.filter((x) => x.type === 'module:deactivated').map((x) => `${x.e.id}:${x.e.reason}`)).toEqual(['needs-greeter:unload', 'greeter:unload']);
    await expectCode(host.client('acme').invoke('greet.api', 'hello', { name: 'x' }), 'E_NO_PROVIDER');
    await expectCode(host.client('acme').invoke('welcome.api', 'welcome', { name: 'x' }), 'E_NO_PROVIDER');
  });

  it('lets a stateful swap in progress finish before a removed folder unloads the module; nothing fails', async () => {
    const modulesDir = await copyFixture('swap');
    const { host, events } = await watchingHost(modulesDir);
    const failed: unknown[] = [];
    host.on('module:failed', (e) => failed.push(e));
    const client = host.client('acme');
    await client.invoke('counter.api', 'inc', {});
    // A long call keeps the old version draining while the swap holds new calls...
    const long = client.invoke('counter.api', 'inc', { delayMs: 400 }, { timeoutMs: 5000 });
    await rewriteModule(path.join(modulesDir, 'counter'), { version: '1.1.0' });
    const swapped = host.swap('counter');
    // ...and the folder disappears in the middle of it: the new version is loaded, calls are held.
    await waitFor(() => host.status().find((s) => s.id === 'counter')?.holdingCalls, 'the swap to hold calls');
    await rm(path.join(modulesDir, 'counter'), { recursive: true, force: true });
    await expect(long).resolves.toEqual({ count: 2, version: '1.0.0' });
    await expect(swapped).resolves.toMatchObject({ from: '1.0.0', to: '1.1.0', stateful: true });
    await waitFor(() => stateOf(host, 'counter') === undefined, 'counter unloaded');
    const deactivated = events.filter((x) => x.type === 'module:deactivated' && x.e.id === 'counter').map((x) => `${x.e.version}:${x.e.reason}`);
    expect(deactivated).toEqual(['1.1.0:unload']);
    expect(failed).toEqual([]);
    await expectCode(client.invoke('counter.api', 'get', {}), 'E_NO_PROVIDER');
  });
});
