import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModulePackage } from '../../src/registry/index.js';
import { ModuleRecord } from '../../src/runtime/moduleRecord.js';
import { LIFECYCLE_TRANSITIONS, canTransition, type ModuleStateName } from '../../src/runtime/moduleState.js';
import { FIXTURES, expectCode, newHost, stateOf } from './helpers.js';

describe('the lifecycle state machine', () => {
  const ALL: ModuleStateName[] = ['discovered', 'resolved', 'activating', 'active', 'deactivating', 'inactive', 'failed', 'unresolved'];

  it("allows DESIGN.md's path, failed and unresolved from anywhere, and nothing else", () => {
    const path: ModuleStateName[] = ['discovered', 'resolved', 'activating', 'active', 'deactivating', 'inactive'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`).toBe(true);
    for (const from of ALL) {
      expect(canTransition(from, 'failed'), `${from} -> failed`).toBe(true);
      expect(canTransition(from, 'unresolved'), `${from} -> unresolved`).toBe(true);
    }
    // Restarts and returning requirements go back through resolved; a swap replaces the active instance.
    expect(canTransition('failed', 'resolved')).toBe(true);
    expect(canTransition('unresolved', 'resolved')).toBe(true);
    expect(canTransition('active', 'active')).toBe(true);
    expect(canTransition('failed', 'active')).toBe(true); // a stateful swap whose old instance crashed mid-way
    // No shortcut around activation, and nothing comes back from the dead without being resolved again.
    for (const [from, to] of [
      ['discovered', 'active'],
      ['discovered', 'activating'],
      ['resolved', 'active'],
      ['inactive', 'active'],
      ['inactive', 'activating'],
      ['failed', 'activating'],
      ['unresolved', 'activating'],
      ['deactivating', 'active'],
      ['active', 'resolved'],
      ['active', 'inactive'],
    ] as const)
      expect(canTransition(from, to), `${from} -> ${to}`).toBe(false);
    // The table names only real states.
    for (const [from, tos] of Object.entries(LIFECYCLE_TRANSITIONS)) for (const to of tos) expect(ALL, `${from} -> ${to}`).toContain(to);
  });

  it('refuses an illegal move on a module record with E_STATE_TRANSITION, and keeps the old state', async () => {
    const { pkg } = await loadModulePackage(path.join(FIXTURES, 'drain/slow'));
    const record = new ModuleRecord(pkg!, {}, {}, []);
    expect(record.state.name).toBe('discovered');
    expect(() => (record.state = { name: 'inactive' })).toThrow(
      expect.objectContaining({ code: 'E_STATE_TRANSITION', message: expect.stringMatching(/module 'slow': the lifecycle does not allow discovered -> inactive/) }),
    );
    expect(record.state.name).toBe('discovered');
    record.state = { name: 'resolved' };
    expect(record.state.name).toBe('resolved');
  });
});

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
