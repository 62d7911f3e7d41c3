/**
 * Rollouts on one host (PGlite in memory, real isolates, a real watcher): the new version
 * runs beside the old, each client reaches the version its hash says on every hop,
 * promotion replaces the old version, abort and stateful modules are handled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tokens, type Host } from '../../src/runtime/index.js';
import { createRolloutApi } from '../../src/fleet/index.js';
import { expectCode, newHost, waitFor } from '../runtime/helpers.js';
import { CLIENTS, expectedNew, modulesDirWith } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function hostWith(folders: string[], later: string[]): Promise<Host> {
  const m = await modulesDirWith(folders);
  cleanups.push(m.remove);
  const host = await newHost({ modulesDir: m.dir, store: 'memory', watch: true, rollouts: { hostId: 'h1', pollIntervalMs: 50, reportIntervalMs: 50 } });
  await host.start();
  for (const f of later) await m.add(f);
  return host;
}

/** Starts the rollout once the watcher has found the new version's folder. */
async function startWhenSeen(host: Host, options: Parameters<Host['rollouts']['start']>[0]) {
  return waitFor(
    () =>
      host.rollouts.start(options).catch((e: { code?: string }) => {
        if (e.code === 'E_ROLLOUT_VERSION_UNKNOWN') return undefined;
        throw e;
      }),
    `the watcher to find ${options.moduleId}@${options.version}`,
  );
}

async function versions(host: Host, clients: readonly string[]): Promise<Map<string, { direct: string; viaFront: string }>> {
  const out = new Map<string, { direct: string; viaFront: string }>();
  for (const c of clients) {
    const direct = (await host.client(c).invoke('greet.api', 'hello', {})) as { version: string };
    const page = (await host.client(c).invoke('front.api', 'page', {})) as { greeter: string };
    out.set(c, { direct: direct.version, viaFront: page.greeter });
  }
  return out;
}

describe('a rollout on one host', () => {
  it('reaches exactly the hashed clients (named ones first) on direct calls and module-to-module hops; promotion replaces the old version', async () => {
    const host = await hostWith(['greeter-1', 'front'], ['greeter-2']);
    const started = await startWhenSeen(host, { moduleId: 'greeter', version: '2.0.0', stages: '10,50,100', bake: '1h', clients: ['client-7'] });
    expect(started).toMatchObject({ moduleId: 'greeter', fromVersion: '1.0.0', toVersion: '2.0.0', state: 'running', stage: 1, percent: 10 });

    const want = expectedNew(started.id, 10, CLIENTS, ['client-7']);
    expect(want.size).toBeGreaterThan(5);
    expect(want.size).toBeLessThan(60);
    const seen = await versions(host, CLIENTS);
    for (const c of CLIENTS) {
      const v = want.has(c) ? '2.0.0' : '1.0.0';
      expect(seen.get(c), c).toEqual({ direct: v, viaFront: v });
    }
    // Both versions run side by side; the catalog still names the old one.
    expect(host.status().map((s) => `${s.id}:${s.version}:${s.state}`)).toEqual(expect.arrayContaining(['greeter:1.0.0:active', 'greeter@2.0.0:2.0.0:active']));
    expect(host.status().find((s) => s.id === 'greeter@2.0.0')).toMatchObject({ candidateOf: 'greeter' });
    expect(host.status().find((s) => s.id === 'greeter')?.candidateOf).toBeUndefined();

    // Sticky: at 50 % every client that had the new version keeps it.
    const at50 = await host.rollouts.promote('greeter');
    expect(at50).toMatchObject({ state: 'running', stage: 2, percent: 50 });
    const seen50 = await versions(host, CLIENTS);
    for (const c of want) expect(seen50.get(c)!.direct).toBe('2.0.0');
    expect([...seen50.values()].filter((v) => v.direct === '2.0.0').length).toBe(expectedNew(started.id, 50, CLIENTS, ['client-7']).size);

    await host.rollouts.promote(started.id); // 100 %
    const done = await host.rollouts.promote(started.id); // past the last stage: the new version replaces the old
    expect(['promoting', 'completed']).toContain(done.state);
    await waitFor(async () => (await host.rollouts.status(started.id)).state === 'completed', 'the rollout to complete');
    await waitFor(() => !host.status().some((s) => s.id === 'greeter@2.0.0'), 'the candidate cell to go');
    expect(host.status().find((s) => s.id === 'greeter')).toMatchObject({ version: '2.0.0', state: 'active' });
    const after = await versions(host, CLIENTS.slice(0, 20));
    for (const v of after.values()) expect(v).toEqual({ direct: '2.0.0', viaFront: '2.0.0' });
    const status = await host.rollouts.status('greeter');
    expect(status.history.map((h) => h.event)).toEqual(['start', 'begin', 'advance', 'advance', 'advance', 'finish']);
  });

  it('advances by itself after each bake within budget, promotes, and completes; each step is an event', async () => {
    const host = await hostWith(['greeter-1', 'front'], ['greeter-2']);
    const events: { state: string; percent: number }[] = [];
    host.on('rollout:changed', (e) => events.push({ state: e.state, percent: e.percent }));
    const r = await startWhenSeen(host, { moduleId: 'greeter', version: '2.0.0', stages: '10,50,100', bake: '300ms', minCalls: 0 });
    await waitFor(async () => (await host.rollouts.status(r.id)).state === 'completed', 'the rollout to complete by itself');
    const done = await host.rollouts.status(r.id);
    expect(done.history.map((h) => `${h.event}:${h.to}`)).toEqual(['start:pending', 'begin:running', 'advance:running', 'advance:running', 'advance:promoting', 'finish:completed']);
    expect(done.history.slice(1).every((h) => h.hostId === 'h1')).toBe(true);
    expect(events.map((e) => `${e.state}:${e.percent}`)).toEqual(expect.arrayContaining(['running:10', 'running:50', 'running:100', 'completed:100']));
    await waitFor(() => host.status().find((s) => s.id === 'greeter')?.version === '2.0.0' && !host.status().some((s) => s.id === 'greeter@2.0.0'), 'the old version to unload');
  });

  it('rolls back a version whose fleet p99 is over budget, with the reason in status', async () => {
    const host = await hostWith(['greeter-1', 'front'], ['greeter-4-slow']);
    const r = await startWhenSeen(host, { moduleId: 'greeter', version: '4.0.0', stages: [100], bake: '1h', maxP99: '20ms', minCalls: 10 });
    for (let i = 0; i < 12; i++) expect(((await host.client(`c${i}`).invoke('greet.api', 'hello', {})) as { version: string }).version).toBe('4.0.0');
    const s = await waitFor(async () => {
      const now = await host.rollouts.status(r.id);
      return now.state === 'rolled-back' ? now : undefined;
    }, 'the p99 rollback');
    // 40 ms of work per call: the p99 bound is 50 ms, or more on a loaded machine.
    expect(s.reason).toMatch(/p99 latency ≤ \d+ ms \(over \d+ calls fleet-wide\) is over the budget of 20 ms/);
    expect(s.health['4.0.0']!.errors).toBe(0);
    expect(s.health['4.0.0']!.p99Ms).toBeGreaterThanOrEqual(50);
    await waitFor(async () => ((await host.client('c1').invoke('greet.api', 'hello', {})) as { version: string }).version === '1.0.0', 'the old version back');
  });

  it('abort sends every client back to the old version and unloads the new one; a second live rollout of a module is refused; a change no NOTIFY announces is found by the poll', async () => {
    const host = await hostWith(['greeter-1', 'front'], ['greeter-2']);
    const r = await startWhenSeen(host, { moduleId: 'greeter', version: '2.0.0', stages: [50, 100], bake: '1h' });
    await expectCode(host.rollouts.start({ moduleId: 'greeter', version: '2.0.0' }), 'E_ROLLOUT_CONFLICT');
    // A change no NOTIFY announces (the trigger off, a writer outside the host): the poll finds it.
    const store = host.container.resolve(tokens.STORE);
    const paused: string[] = [];
    host.on('rollout:changed', (e) => paused.push(e.state));
    await store.exec('ALTER TABLE hotmod_rollouts DISABLE TRIGGER hotmod_rollouts_notify');
    await createRolloutApi(store, 'outside').pause(r.id);
    await waitFor(() => paused.includes('paused'), 'the poll to find the pause');
    await store.exec('ALTER TABLE hotmod_rollouts ENABLE TRIGGER hotmod_rollouts_notify');
    const aborted = await host.rollouts.abort(r.id, 'testing abort');
    expect(aborted).toMatchObject({ state: 'aborted', reason: 'testing abort', percent: 0 });
    await waitFor(() => !host.status().some((s) => s.id === 'greeter@2.0.0'), 'the candidate to unload');
    for (const v of (await versions(host, CLIENTS.slice(0, 30))).values()) expect(v).toEqual({ direct: '1.0.0', viaFront: '1.0.0' });
    await expectCode(host.rollouts.pause(r.id), 'E_ROLLOUT_STATE');
  });

  it('refuses a stateful module (E_ROLLOUT_STATEFUL) unless allowStateful; then each version keeps its own state', async () => {
    const host = await hostWith(['counter-1'], ['counter-2']);
    const refused = await waitFor(
      () =>
        host.rollouts.start({ moduleId: 'counter', version: '2.0.0' }).then(
          () => undefined,
          (e: { code?: string }) => (e.code === 'E_ROLLOUT_VERSION_UNKNOWN' ? undefined : e),
        ),
      'the watcher to find counter@2.0.0',
    );
    expect(refused).toMatchObject({ code: 'E_ROLLOUT_STATEFUL' });
    expect((refused as Error).message).toMatch(/allowStateful/);
    const r = await host.rollouts.start({ moduleId: 'counter', version: '2.0.0', stages: [100], bake: '1h', allowStateful: true });
    expect(r.state).toBe('running');
    const a = (await host.client('a').invoke('counter.api', 'next', {})) as { version: string; n: number };
    expect(a.version).toBe('2.0.0');
    expect(a.n).toBe(1); // the candidate started with its own state, not the old version's
  });

  it('without the rollouts option host.rollouts refuses with E_ROLLOUTS_DISABLED; bad options give E_ROLLOUT_INVALID', async () => {
    const m = await modulesDirWith(['greeter-1']);
    cleanups.push(m.remove);
    const plain = await newHost({ modulesDir: m.dir, store: 'memory' });
    await plain.start();
    await expectCode(plain.rollouts.list(), 'E_ROLLOUTS_DISABLED');
    await expectCode(newHost({ modulesDir: m.dir, store: 'none', rollouts: true }), 'E_HOST_OPTIONS_INVALID');
    await expectCode(newHost({ modulesDir: m.dir, store: 'memory', rollouts: { pollIntervalMs: -1 } }), 'E_HOST_OPTIONS_INVALID');
    const host = await hostWith(['greeter-1'], []);
    await expectCode(host.rollouts.start({ moduleId: 'greeter', version: '2.0.0', stages: '50,10' }), 'E_ROLLOUT_INVALID');
    await expectCode(host.rollouts.start({ moduleId: 'greeter', version: '2.0.0', maxErrorRate: '150%' }), 'E_ROLLOUT_INVALID');
    await expectCode(host.rollouts.start({ moduleId: 'greeter', version: '9.0.0' }), 'E_ROLLOUT_VERSION_UNKNOWN');
  });
});
