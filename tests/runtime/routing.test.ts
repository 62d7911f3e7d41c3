import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigSource } from '../../src/index.js';
import { clientModuleSetOf } from '../../src/registry/index.js';
import { createAllEnabledConfigSource } from '../../src/runtime/index.js';
import { FIXTURES, copyFixture, expectCode, newHost, tempDir } from './helpers.js';

/** A ConfigSource that enables exactly the listed modules per client: the seam, not a mock of the router. */
function listSource(lists: Record<string, string[]>): ConfigSource & { change(clients: string[] | 'all'): void } {
  const listeners = new Set<(c: readonly string[] | 'all') => void>();
  const clientModules: ConfigSource['clientModules'] = async (clientId, catalog) => {
    const on = new Set(lists[clientId] ?? []);
    return catalog.modules().map((m) => ({ moduleId: m.id, enabled: on.has(m.id), source: 'registry' as const, advancedConfig: { registryEntry: {}, capabilities: [], dependencies: [], customSettings: { who: clientId } } }));
  };
  return {
    name: 'test-lists',
    clientModules,
    // Exactly the listed modules, no closure: the hop checks below need a provider left out.
    clientModuleSet: async (clientId, catalog) => clientModuleSetOf(clientId, new Set(lists[clientId] ?? []), await clientModules(clientId, catalog)),
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    change(clients) {
      for (const l of listeners) l(clients);
    },
  };
}

describe('router', () => {
  it('refuses a client call to a module not enabled for the client (E_NOT_ENABLED), and picks up config changes', async () => {
    const lists: Record<string, string[]> = { acme: ['lazy-echo'], other: [] };
    const source = listSource(lists);
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), overrides: { configSource: source } });
    const changed: unknown[] = [];
    host.on('client:changed', (e) => changed.push(e.clients));
    await host.start();
    expect(await host.client('acme').invoke('echo.api', 'echo', 1)).toEqual({ input: 1, clientId: 'acme', settings: { who: 'acme' } });
    const err = await expectCode(host.client('other').invoke('echo.api', 'echo', 1), 'E_NOT_ENABLED');
    expect(err.message).toMatch(/client 'other' called capability 'echo.api', but no module providing it \(lazy-echo\) is enabled/);
    expect(err.details).toMatchObject({ clientId: 'other', capability: 'echo.api' });

    lists.other = ['lazy-echo'];
    source.change(['other']);
    expect(changed).toEqual([['other']]);
    expect(await host.client('other').invoke('echo.api', 'echo', 2)).toMatchObject({ input: 2, clientId: 'other' });
  });

  it('checks enablement on every module-to-module hop, with the caller clientId', async () => {
    // top is enabled for acme, but mid-b (which top calls) is not.
    const source = listSource({ acme: ['top', 'mid-a', 'base'], full: ['top', 'mid-a', 'mid-b', 'base'], deep: ['top', 'mid-a', 'mid-b'] });
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), overrides: { configSource: source } });
    await host.start();
    const err = await expectCode(host.client('acme').invoke('top.api', 'ping', {}), 'E_NOT_ENABLED');
    expect(err.message).toMatch(/module 'top' called 'midb.api.ping' for client 'acme', but its provider 'mid-b' is not enabled for that client/);
    expect(await host.client('full').invoke('top.api', 'ping', {})).toMatchObject({ id: 'top' });
    // The second hop is checked too: top -> mid-a passes, mid-a -> base is refused for this client.
    const deep = await expectCode(host.client('deep').invoke('top.api', 'ping', {}), 'E_NOT_ENABLED');
    expect(deep.message).toMatch(/module 'mid-a' called 'base.api.ping' for client 'deep', but its provider 'base' is not enabled for that client/);
    // base was reached by acme's mid-a hop and full's two hops, never for 'deep'.
    expect(host.status().find((s) => s.id === 'base')!.metrics.calls).toBe(3);
  });

  it('refuses a call to a capability the module did not declare (E_UNDECLARED_CAPABILITY)', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph') });
    await host.start();
    const err = await expectCode(host.client('acme').invoke('sneaky.api', 'steal', {}), 'E_UNDECLARED_CAPABILITY');
    expect(err.message).toMatch(/module 'sneaky' called capability 'base.api' \(method 'ping'\) without declaring it/);
    expect(host.status().find((s) => s.id === 'base')!.metrics.calls).toBe(0);
  });

  it('reports unknown capabilities and refuses calls before start and after stop', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph') });
    await expectCode(host.client('a').invoke('base.api', 'ping', {}), 'E_HOST_NOT_RUNNING');
    await host.start();
    const err = await expectCode(host.client('a').invoke('nope.api', 'x', {}), 'E_NO_PROVIDER');
    expect(err.message).toMatch(/capability 'nope.api'/);
    expect(() => host.client('bad id!')).toThrow(expect.objectContaining({ code: 'E_CLIENT_ID_INVALID' }));
    // uuids are keyed in lower case, as PostgreSQL prints them.
    expect(host.client('0D7C9F3E-1A2B-4C5D-8E6F-000000000001').clientId).toBe('0d7c9f3e-1a2b-4c5d-8e6f-000000000001');
    await host.stop();
    await expectCode(host.client('a').invoke('base.api', 'ping', {}), 'E_HOST_NOT_RUNNING');
  });

  it('applies a per-call timeout and counts calls, errors and timeouts per module and capability', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'drain') });
    await host.start();
    const client = host.client('acme');
    for (let i = 0; i < 5; i++) await client.invoke('slow.api', 'work', { ms: 1 });
    const err = await expectCode(client.invoke('slow.api', 'work', { ms: 2000 }, { timeoutMs: 100 }), 'E_CALL_TIMEOUT');
    expect(err.message).toMatch(/slow/);
    const m = host.metrics().modules.slow!;
    expect(m).toMatchObject({ calls: 6, errors: 1, timeouts: 1, state: 'active', version: '1.0.0' });
    expect(m.capabilities['slow.api']).toMatchObject({ calls: 6, errors: 1, timeouts: 1 });
    expect(m.latencyMs.count).toBe(6);
    expect(m.latencyMs.p50).toBeGreaterThan(0);
    expect(m.latencyMs.p99).toBeGreaterThanOrEqual(m.latencyMs.p95);
    expect(m.latencyMs.p99).toBeGreaterThanOrEqual(90);
    const text = await host.prometheus();
    expect(text).toMatch(/hotmod_calls_total\{module="slow",capability="slow.api"\} 6/);
    expect(text).toMatch(/hotmod_call_timeouts_total\{module="slow",capability="slow.api"\} 1/);
    expect(text).toMatch(/hotmod_call_latency_ms\{module="slow",capability="slow.api",quantile="0.99"\}/);
  });

  it('reads per-client lists, settings and module config from hotmod.config.json', async () => {
    const modulesDir = await copyFixture('graph');
    const configFile = path.join(path.dirname(modulesDir), 'hotmod.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        modules: { 'lazy-echo': { config: { greeting: 'hi' } } },
        clients: { acme: { modules: ['lazy-echo', 'top'], settings: { 'lazy-echo': { currency: 'EUR' } } }, nobody: { modules: [] } },
      }),
    );
    const host = await newHost({ modulesDir, configFile });
    await host.start();
    expect(await host.client('acme').invoke('echo.api', 'echo', 'x')).toEqual({ input: 'x', clientId: 'acme', settings: { currency: 'EUR' } });
    // top's requirements are pulled in implicitly.
    expect(await host.client('acme').invoke('top.api', 'ping', {})).toMatchObject({ id: 'top' });
    const modules = await host.client('acme').modules();
    expect(modules.find((m) => m.moduleId === 'mid-a')).toMatchObject({ enabled: true, implicit: true });
    expect(modules.find((m) => m.moduleId === 'sneaky')).toMatchObject({ enabled: false });
    await expectCode(host.client('nobody').invoke('echo.api', 'echo', 'x'), 'E_NOT_ENABLED');
  });

  it('rejects a malformed hotmod.config.json with E_CONFIG_INVALID at start', async () => {
    const dir = await tempDir('badconfig');
    const configFile = path.join(dir, 'hotmod.config.json');
    await writeFile(configFile, JSON.stringify({ clients: { acme: { modules: 'billing' } } }));
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), configFile });
    const err = await expectCode(host.start(), 'E_CONFIG_INVALID');
    expect(err.message).toMatch(/"clients.acme.modules" must be an array of module ids/);
  });

  it('lets an embedding app replace a part through the container tokens', async () => {
    const { tokens } = await import('../../src/runtime/index.js');
    const source = createAllEnabledConfigSource();
    const replaced = { ...source, name: 'replaced' };
    let asked = 0;
    const host = await newHost({
      modulesDir: path.join(FIXTURES, 'graph'),
      register(container) {
        container.register(tokens.CONFIG_SOURCE, { useValue: { ...replaced, clientModuleSet: (c: string, cat: never) => (asked++, replaced.clientModuleSet(c, cat)) } });
      },
    });
    await host.start();
    await host.client('z').invoke('base.api', 'ping', {});
    await host.client('z').invoke('base.api', 'ping', {});
    expect(asked).toBe(1); // cached per client
    expect(host.container.resolve(tokens.CONFIG_SOURCE).name).toBe('replaced');
    // A child container per host: the replacement does not leak into another host.
    const other = await newHost({ modulesDir: path.join(FIXTURES, 'graph') });
    expect(other.container).not.toBe(host.container);
    expect(other.container.isRegistered(tokens.CONFIG_SOURCE, true)).toBe(false);
    expect(other.container.resolve(tokens.LOGGER)).not.toBe(host.container.resolve(tokens.LOGGER));
  });
});
