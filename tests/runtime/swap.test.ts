import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLoop } from '../support/loadLoop.js';
import { copyFixture, expectCode, newHost, rewriteModule, stateOf, waitFor } from './helpers.js';

const svcCode = (tag: string) => `
export async function activate(ctx) {
  return { 'svc.api': { async get(input) {
    if (input && input.delayMs) await new Promise((r) => setTimeout(r, input.delayMs));
    return { version: ctx.module.version, tag: '${tag}', n: input && input.n };
  } } };
}
`;

describe('zero-downtime swap', () => {
  it('swaps a stateless module atomically; the old instance drains its in-flight calls', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir });
    const swapped: unknown[] = [];
    host.on('module:swapped', (e) => swapped.push(e));
    await host.start();
    const client = host.client('acme');
    const slow = client.invoke('svc.api', 'get', { delayMs: 300, n: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await rewriteModule(path.join(modulesDir, 'svc'), { version: '1.1.0', code: svcCode('new') });
    const result = await host.swap('svc');
    expect(result).toMatchObject({ id: 'svc', from: '1.0.0', to: '1.1.0', stateful: false });
    // The call that started on 1.0.0 finishes there; new calls reach 1.1.0.
    expect(await slow).toEqual({ version: '1.0.0', n: 1 });
    expect(await client.invoke('svc.api', 'get', { n: 2 })).toEqual({ version: '1.1.0', tag: 'new', n: 2 });
    expect(await client.invoke('consumer.api', 'relay', { n: 3 })).toMatchObject({ version: '1.1.0' });
    expect(swapped).toEqual([expect.objectContaining({ id: 'svc', from: '1.0.0', to: '1.1.0', stateful: false })]);
    expect(host.status().find((s) => s.id === 'svc')!.version).toBe('1.1.0');
  });

  it('fails no call during 20+ swaps under continuous load from concurrent callers', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir });
    await host.start();
    const client = host.client('acme');
    const direct = loadLoop((n) => client.invoke('svc.api', 'get', { n, delayMs: n % 3 }), 3);
    const relayed = loadLoop((n) => client.invoke('consumer.api', 'relay', { n }), 2);
    const stateful = loadLoop(() => client.invoke('counter.api', 'inc', {}), 2);
    const versions: string[] = [];
    for (let i = 1; i <= 22; i++) {
      const version = `1.${i}.0`;
      await rewriteModule(path.join(modulesDir, 'svc'), { version, code: svcCode(`v${i}`) });
      await rewriteModule(path.join(modulesDir, 'counter'), { version });
      const [a, b] = await Promise.all([host.swap('svc'), host.swap('counter')]);
      versions.push(a.to, b.to);
    }
    const [d, r, s] = await Promise.all([direct.stop(), relayed.stop(), stateful.stop()]);
    expect(d.errors).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(s.errors).toEqual([]);
    expect(d.failed + r.failed + s.failed).toBe(0);
    expect(d.ok).toBeGreaterThan(20);
    expect(r.ok).toBeGreaterThan(20);
    expect(s.ok).toBeGreaterThan(20);
    expect(versions.filter((v) => v === '1.22.0')).toHaveLength(2);
    // The stateful counter lost no increment across 22 handoffs.
    expect(await client.invoke('counter.api', 'get', {})).toEqual({ count: s.ok, version: '1.22.0' });
    expect(host.metrics().swaps.succeeded).toBe(44);
  });

  it('hands the state of a stateful module to the new version, holding calls meanwhile', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir });
    const swapped: unknown[] = [];
    host.on('module:swapped', (e) => swapped.push(e));
    await host.start();
    const client = host.client('acme');
    for (let i = 0; i < 3; i++) await client.invoke('counter.api', 'inc', {});
    await rewriteModule(path.join(modulesDir, 'counter'), { version: '2.0.0', hotmod: (h) => ((h.provides as Record<string, string>)['counter.api'] = '1.1.0') });
    const inFlight = client.invoke('counter.api', 'inc', { delayMs: 500 });
    await new Promise((r) => setTimeout(r, 30));
    const swap = host.swap('counter');
    // Once the swap holds calls (it is draining the in-flight one), a new call waits for the new version.
    await waitFor(() => host.status().find((s) => s.id === 'counter')!.holdingCalls, 'the swap to hold calls');
    const held = client.invoke('counter.api', 'inc', {});
    expect(await inFlight).toEqual({ count: 4, version: '1.0.0' });
    expect(await swap).toMatchObject({ stateful: true, from: '1.0.0', to: '2.0.0' });
    expect(await held).toEqual({ count: 5, version: '2.0.0' });
    expect(swapped).toEqual([expect.objectContaining({ id: 'counter', stateful: true, heldCalls: 1 })]);
  });

  it('rolls a failed swap back: the old version resumes with its state and serves the held calls', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir });
    const failures: { id: string; code: string; reason: string }[] = [];
    host.on('swap:failed', (e) => failures.push({ id: e.id, code: e.code, reason: e.reason }));
    await host.start();
    const client = host.client('acme');
    await client.invoke('counter.api', 'inc', {});
    await client.invoke('counter.api', 'inc', {});
    await rewriteModule(path.join(modulesDir, 'counter'), {
      version: '2.0.0',
      code: `export async function activate(ctx) { throw new Error('schema migration failed at ' + JSON.stringify(ctx.previousState)); }\nexport async function deactivate() { return {}; }`,
    });
    const inFlight = client.invoke('counter.api', 'inc', { delayMs: 300 });
    await new Promise((r) => setTimeout(r, 30));
    const swap = host.swap('counter');
    await waitFor(() => host.status().find((s) => s.id === 'counter')!.holdingCalls, 'the swap to hold calls');
    const held = client.invoke('counter.api', 'inc', {});
    const err = await expectCode(swap, 'E_SWAP_FAILED');
    expect(err.message).toMatch(/swap of module 'counter' from 1.0.0 to 2.0.0 failed: .*schema migration failed at \{"count":3\}.*version 1.0.0 resumed/);
    expect(await inFlight).toEqual({ count: 3, version: '1.0.0' });
    // The held call reaches the resumed old version, which kept its state.
    expect(await held).toEqual({ count: 4, version: '1.0.0' });
    expect(failures).toEqual([expect.objectContaining({ id: 'counter', code: 'E_SWAP_FAILED' })]);
    expect(stateOf(host, 'counter')).toBe('active');
    expect(host.status().find((s) => s.id === 'counter')!.version).toBe('1.0.0');

    // Stateless: the new version never took over.
    await rewriteModule(path.join(modulesDir, 'svc'), { version: '1.5.0', code: 'export async function activate() { return {}; }' });
    const err2 = await expectCode(host.swap('svc'), 'E_SWAP_FAILED');
    expect(err2.message).toMatch(/missing 'svc.api'/);
    expect(await client.invoke('svc.api', 'get', { n: 1 })).toEqual({ version: '1.0.0', n: 1 });
  });

  it("refuses a swap whose capability version breaks an active consumer's range, or whose manifest is invalid", async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir });
    const failures: { code: string; reason: string }[] = [];
    host.on('swap:failed', (e) => failures.push({ code: e.code, reason: e.reason }));
    await host.start();
    const client = host.client('acme');
    await rewriteModule(path.join(modulesDir, 'svc'), { version: '2.0.0', hotmod: (h) => ((h.provides as Record<string, string>)['svc.api'] = '2.0.0') });
    const err = await expectCode(host.swap('svc'), 'E_SWAP_REFUSED');
    expect(err.message).toMatch(/version 2.0.0 provides 'svc.api' 2.0.0, which does not satisfy 'consumer' \(requires \^1.0.0\); version 1.0.0 serves on/);
    expect(err.details).toMatchObject({ consumer: 'consumer', capability: 'svc.api', range: '^1.0.0' });

    await rewriteModule(path.join(modulesDir, 'svc'), { raw: '{ "name": "svc", "version": ' });
    const err2 = await expectCode(host.swap('svc'), 'E_SWAP_REFUSED');
    expect(err2.message).toMatch(/is invalid: .*not valid JSON/);
    expect(failures.map((f) => f.code)).toEqual(['E_SWAP_REFUSED', 'E_SWAP_REFUSED']);
    expect(await client.invoke('consumer.api', 'relay', { n: 9 })).toEqual({ version: '1.0.0', n: 9 });
    expect(host.metrics().swaps).toEqual({ succeeded: 0, failed: 0, refused: 2 });
    await expectCode(host.swap('nope'), 'E_UNKNOWN_MODULE');
  });

  it("resumes the old version when its own deactivate() throws: the held calls are served, the swap fails", async () => {
    const modulesDir = await copyFixture('swap');
    await rewriteModule(path.join(modulesDir, 'counter'), {
      code: `let count = 0;
export async function activate(ctx) {
  count = ctx.previousState ? ctx.previousState.count : 0;
  return { 'counter.api': {
    async inc(input) { if (input && input.delayMs) await new Promise((r) => setTimeout(r, input.delayMs)); count += 1; return { count, version: ctx.module.version }; },
    async get() { return { count, version: ctx.module.version }; },
  } };
}
export async function deactivate() { throw new Error('state too large to serialise'); }`,
    });
    const host = await newHost({ modulesDir });
    await host.start();
    const client = host.client('acme');
    await client.invoke('counter.api', 'inc', {});
    await rewriteModule(path.join(modulesDir, 'counter'), { version: '1.1.0' });
    const inFlight = client.invoke('counter.api', 'inc', { delayMs: 200 });
    await new Promise((r) => setTimeout(r, 30));
    const swap = host.swap('counter');
    await waitFor(() => host.status().find((s) => s.id === 'counter')!.holdingCalls, 'the swap to hold calls');
    const held = client.invoke('counter.api', 'inc', {});
    const err = await expectCode(swap, 'E_SWAP_FAILED');
    expect(err.message).toMatch(/deactivate\(\) of version 1.0.0 threw: .*state too large to serialise.*version 1.0.0 resumed/);
    expect(await inFlight).toEqual({ count: 2, version: '1.0.0' });
    // The resumed instance had no state to start from, but it serves: no call failed.
    expect(await held).toEqual({ count: 1, version: '1.0.0' });
    expect(host.status().find((s) => s.id === 'counter')).toMatchObject({ state: 'active', version: '1.0.0' });
  });

  it('does not fail the first call of a lazy module when a swap arrives while that call activates it', async () => {
    const modulesDir = await copyFixture('graph');
    const host = await newHost({ modulesDir });
    await host.start();
    const client = host.client('acme');
    // lazy-echo's activate takes 200 ms: the swap lands in the middle of it.
    const first = client.invoke('echo.api', 'echo', { n: 1 });
    await waitFor(() => stateOf(host, 'lazy-echo') === 'activating', 'lazy-echo to be activating');
    await rewriteModule(path.join(modulesDir, 'lazy-echo'), { version: '1.1.0' });
    const swap = host.swap('lazy-echo');
    expect(await first).toEqual({ input: { n: 1 }, clientId: 'acme', settings: {} });
    expect(await swap).toMatchObject({ id: 'lazy-echo', from: '1.0.0', to: '1.1.0' });
    expect(host.status().find((s) => s.id === 'lazy-echo')).toMatchObject({ state: 'active', version: '1.1.0' });
    expect(await client.invoke('echo.api', 'echo', { n: 2 })).toMatchObject({ input: { n: 2 } });
  });

  it('never cuts a call in flight that outlasts the drain budget: the stateless old instance finishes it', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir, drainTimeoutMs: 50 });
    await host.start();
    const client = host.client('acme');
    const slow = client.invoke('svc.api', 'get', { delayMs: 400, n: 1 }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 30));
    await rewriteModule(path.join(modulesDir, 'svc'), { version: '1.1.0', code: svcCode('new') });
    expect(await host.swap('svc')).toMatchObject({ to: '1.1.0' });
    expect(await client.invoke('svc.api', 'get', { n: 2 })).toMatchObject({ version: '1.1.0' });
    // 400 ms > the 50 ms drain budget: the retired instance still answers the call it started.
    expect(await slow).toEqual({ version: '1.0.0', n: 1 });
  });

  it('gives a stateful swap up when calls outlast the drain budget: the old version serves on with its state, nothing fails', async () => {
    const modulesDir = await copyFixture('swap');
    const host = await newHost({ modulesDir, drainTimeoutMs: 50 });
    const failures: { code: string; reason: string }[] = [];
    host.on('swap:failed', (e) => failures.push({ code: e.code, reason: e.reason }));
    await host.start();
    const client = host.client('acme');
    await client.invoke('counter.api', 'inc', {});
    const inFlight = client.invoke('counter.api', 'inc', { delayMs: 400 }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 30));
    await rewriteModule(path.join(modulesDir, 'counter'), { version: '1.1.0' });
    const swap = host.swap('counter');
    await waitFor(() => host.status().find((s) => s.id === 'counter')!.holdingCalls, 'the swap to hold calls');
    const held = client.invoke('counter.api', 'inc', {});
    const err = await expectCode(swap, 'E_SWAP_FAILED');
    expect(err.message).toMatch(/1 call\(s\) still in flight after the drain budget \(50 ms\).*version 1.0.0 resumed/);
    // The held call is released to 1.0.0 at once; the long call finishes after it.
    expect(await held).toEqual({ count: 2, version: '1.0.0' });
    expect(await inFlight).toEqual({ count: 3, version: '1.0.0' });
    expect(failures).toEqual([expect.objectContaining({ code: 'E_SWAP_FAILED' })]);
    expect(host.status().find((s) => s.id === 'counter')).toMatchObject({ state: 'active', version: '1.0.0', holdingCalls: false });
    // Once the calls are done, the same swap goes through and hands the state over.
    expect(await host.swap('counter')).toMatchObject({ stateful: true, to: '1.1.0' });
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 4, version: '1.1.0' });
  });
});
