import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, expectCode, newHost, stateOf } from './helpers.js';

describe('host lifecycle', () => {
  it('refuses a second start()', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'drain') });
    await host.start();
    const err = await expectCode(host.start(), 'E_HOST_ALREADY_STARTED');
    expect(err.message).toMatch(/start\(\) was called twice/);
  });

  it('stop() drains in-flight calls (including their nested calls), then deactivates in reverse order; twice is fine', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'drain') });
    const deactivated: string[] = [];
    host.on('module:deactivated', (e) => deactivated.push(`${e.id}:${e.reason}`));
    await host.start();
    const client = host.client('acme');
    const direct = client.invoke('slow.api', 'work', { ms: 300 });
    const nested = client.invoke('dep.api', 'work', { ms: 300 });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = host.stop();
    const again = host.stop();
    await expectCode(client.invoke('slow.api', 'work', { ms: 1 }), 'E_HOST_NOT_RUNNING');
    expect(await direct).toEqual({ done: 300 });
    expect(await nested).toEqual({ done: 10 });
    await Promise.all([stopping, again]);
    // dependent (needs slow) goes first.
    expect(deactivated).toEqual(['dependent:stop', 'slow:stop']);
    expect(stateOf(host, 'slow')).toBe('inactive');
  });

  it('stop() during start() waits for the start, then tears down', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph') });
    const starting = host.start();
    const stopped = host.stop();
    await starting;
    await stopped;
    for (const s of host.status()) expect(['inactive', 'resolved', 'discovered']).toContain(s.state);
  });

  it('rejects invalid options with E_HOST_OPTIONS_INVALID', async () => {
    const { createHost } = await import('../../src/index.js');
    await expectCode(createHost({} as never), 'E_HOST_OPTIONS_INVALID');
    await expectCode(createHost({ modulesDir: 'x', isolation: 'thread' as never }), 'E_HOST_OPTIONS_INVALID');
    await expectCode(createHost({ modulesDir: 'x', store: 42 as never }), 'E_HOST_OPTIONS_INVALID');
  });
});

describe("isolation: 'process'", () => {
  it('runs modules in supervised child processes through the same engine, router and swap', async () => {
    const { copyFixture, rewriteModule } = await import('./helpers.js');
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir, isolation: 'process' });
    await host.start();
    expect(host.status().map((s) => s.isolation)).toEqual(['process', 'process', 'process']);
    const client = host.client('acme');
    expect(await client.invoke('consumer.api', 'relay', { n: 1 })).toEqual({ version: '1.0.0', n: 1 });
    await client.invoke('counter.api', 'inc', {});
    await rewriteModule(path.join(modulesDir, 'counter'), { version: '1.1.0' });
    expect(await host.swap('counter')).toMatchObject({ stateful: true, to: '1.1.0' });
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 2, version: '1.1.0' });
  });
});
