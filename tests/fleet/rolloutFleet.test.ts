/**
 * Rollouts across application servers: several host processes on one real PostgreSQL
 * server (a fresh database per test), real isolates, real watchers. Needs HOTMOD_TEST_PG_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, PG_URL } from '../legacy-bridge/support/stores.js';
import type { RolloutStatus } from '../../src/fleet/index.js';
import { startHostProcess, type HostProcess } from './support/rolloutHostProcess.js';
import { CLIENTS, expectedNew, modulesDirWith } from './support.js';

type Versions = Record<string, { direct: string; viaFront: string }>;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function fleet(folders: string[], pollMs?: number) {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const modules = await modulesDirWith(folders);
  cleanups.push(modules.remove);
  const start = async (id: string) => {
    const h = await startHostProcess(id, { modulesDir: modules.dir, storeUrl: db.url, ...(pollMs !== undefined ? { pollMs } : {}) });
    cleanups.push(() => h.stop());
    return h;
  };
  return { db, modules, start };
}

const invoke = (h: HostProcess, clients = CLIENTS) => h.request<Versions>({ op: 'invoke', clients });
const rollouts = <T = RolloutStatus>(h: HostProcess, method: string, ...args: unknown[]) => h.request<T>({ op: 'rollouts', method, args });

/** Each client on the version its hash says, directly and through front (one version set per client). */
function matches(seen: Versions, want: Set<string>, next: string, old: string): boolean {
  return CLIENTS.every((c) => {
    const v = want.has(c) ? next : old;
    return seen[c]!.direct === v && seen[c]!.viaFront === v;
  });
}

async function startWhenSeen(h: HostProcess, options: Record<string, unknown>): Promise<RolloutStatus> {
  return waitFor(
    () =>
      rollouts(h, 'start', options).catch((e: { code?: string }) => {
        if (e.code === 'E_ROLLOUT_VERSION_UNKNOWN') return undefined;
        throw e;
      }),
    'the watcher to find the new version',
  );
}

describe.skipIf(!PG_URL)('rollouts across host processes [postgres]', () => {
  it('10 % reaches exactly the hashed clients on every host (hops included); a kill -9 changes nothing for the others; a host started mid-rollout joins at the current stage', async () => {
    // No polling (once a minute): every change reaches the other hosts by LISTEN/NOTIFY alone.
    const f = await fleet(['greeter-1', 'front'], 60_000);
    const a = await f.start('host-a');
    const b = await f.start('host-b');
    await f.modules.add('greeter-2');
    const r = await startWhenSeen(a, { moduleId: 'greeter', version: '2.0.0', stages: '10,100', bake: '1h', maxErrorRate: '1%', minCalls: 5 });
    expect(r).toMatchObject({ state: 'running', percent: 10, fromVersion: '1.0.0' });
    const want = expectedNew(r.id, 10);
    expect(want.size).toBeGreaterThan(5);
    expect(want.size).toBeLessThan(50);
    for (const h of [a, b]) await waitFor(async () => matches(await invoke(h), want, '2.0.0', '1.0.0'), `${h.hostId} to route 10 % to 2.0.0`);

    await b.kill9();
    expect(matches(await invoke(a), want, '2.0.0', '1.0.0')).toBe(true);
    expect((await rollouts(a, 'status', r.id)).state).toBe('running');

    // Started mid-rollout, with both version folders in its modules directory: the old version serves, the stage applies.
    const c = await f.start('host-c');
    expect(await c.request<{ id: string; version: string }[]>({ op: 'status' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'greeter', version: '1.0.0' }), expect.objectContaining({ id: 'greeter@2.0.0', version: '2.0.0' })]),
    );
    await waitFor(async () => matches(await invoke(c), want, '2.0.0', '1.0.0'), 'host-c to join at 10 %');

    await rollouts(c, 'promote', r.id);
    const all = new Set(CLIENTS);
    for (const h of [a, c]) await waitFor(async () => matches(await invoke(h), all, '2.0.0', '1.0.0'), `${h.hostId} at 100 %`);
    await rollouts(a, 'promote', r.id);
    await waitFor(async () => (await rollouts(a, 'status', r.id)).state === 'completed', 'completion');
    for (const h of [a, c])
      await waitFor(async () => {
        const s = await h.request<{ id: string; version: string }[]>({ op: 'status' });
        return !s.some((m) => m.id === 'greeter@2.0.0') && s.some((m) => m.id === 'greeter' && m.version === '2.0.0');
      }, `${h.hostId} to unload 1.0.0`);
  }, 240_000);

  it('a version that throws on a share of calls is rolled back on every host under load; only the calls it failed failed, and they are the ones counted', async () => {
    const f = await fleet(['greeter-1', 'front']);
    const a = await f.start('host-a');
    const b = await f.start('host-b');
    await f.modules.add('greeter-3-flaky');
    const loads = [a, b].map((h) => h.request<{ ok: Record<string, number>; failed: { code: string; message: string }[] }>({ op: 'load', ms: 12_000, clients: CLIENTS, concurrency: 4 }, 90_000));
    const r = await startWhenSeen(a, { moduleId: 'greeter', version: '3.0.0', stages: '50,100', bake: '1h', maxErrorRate: '5%', minCalls: 30 });
    const rolledBack = await waitFor(async () => {
      const s = await rollouts(b, 'status', r.id);
      return s.state === 'rolled-back' ? s : undefined;
    }, 'the automatic rollback');
    expect(rolledBack.reason).toMatch(/error rate .* is over the budget of 5%/);
    const [la, lb] = (await Promise.all(loads)) as [(typeof loads)[0] extends Promise<infer T> ? T : never, (typeof loads)[0] extends Promise<infer T> ? T : never];
    const failed = [...la.failed, ...lb.failed];
    expect(failed.length).toBeGreaterThan(0);
    // Every failed call is one the bad version failed itself: none failed because of the rollout or the rollback.
    for (const e of failed) expect(e.message).toMatch(/flaky 3\.0\.0 failed call/);
    expect(la.ok['1.0.0']! + lb.ok['1.0.0']!).toBeGreaterThan(0);
    // After the rollback every client is back on 1.0.0 on both hosts, and 3.0.0 unloaded.
    for (const h of [a, b]) {
      await waitFor(async () => matches(await invoke(h), new Set(), '3.0.0', '1.0.0'), `${h.hostId} back on 1.0.0`);
      expect((await h.request<{ id: string }[]>({ op: 'status' })).some((m) => m.id === 'greeter@3.0.0')).toBe(false);
      expect(h.events.some((e) => e.state === 'rolled-back' && typeof e.reason === 'string')).toBe(true);
      expect(h.output()).toMatch(/rolled back: error rate/);
    }
    // The counts: the fleet's errors of 3.0.0 are exactly the failed calls.
    const final = await waitFor(async () => {
      const s = await rollouts(a, 'status', r.id);
      return s.health['3.0.0']?.errors === failed.length ? s : undefined;
    }, 'the last health rows');
    expect(final.health['3.0.0']!.calls).toBe(la.ok['3.0.0']! + lb.ok['3.0.0']! + failed.length);
    expect(final.history.map((h) => h.event)).toEqual(['start', 'begin', 'rollback']);
  }, 240_000);
});
