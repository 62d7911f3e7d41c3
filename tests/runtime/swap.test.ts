import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixture, expectCode, newHost, rewriteModule, stateOf, waitFor } from './helpers.js';

/** Runs `callers` loops of calls until `stop()`; counts successes and failures (with their errors). */
function load(call: (n: number) => Promise<unknown>, callers: number) {
  let running = true;
  const stats = { ok: 0, failed: 0, errors: [] as unknown[] };
  const loops = Array.from({ length: callers }, async (_, c) => {
    let n = 0;
    while (running) {
      // Calls into a sync-mode isolate settle in microtasks only: yield so timers (and the swaps) run.
      await new Promise((r) => setImmediate(r));
      try {
        await call(c * 1_000_000 + n++);
        stats.ok++;
      } catch (error) {
        stats.failed++;
        if (stats.errors.length < 5) stats.errors.push(error);
      }
    }
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}

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
    const direct = load((n) => client.invoke('svc.api', 'get', { n, delayMs: n % 3 }), 3);
    const relayed = load((n) => client.invoke('consumer.api', 'relay', { n }), 2);
    const stateful = load(() => client.invoke('counter.api', 'inc', {}), 2);
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
});
