import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, capturingLogger, expectCode, newHost, stateOf, waitFor } from './helpers.js';

describe('activation engine', () => {
  it('activates in topological order, each level concurrently, and routes between modules', async () => {
    const { logger, lines } = capturingLogger();
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), logger });
    const activated: string[] = [];
    host.on('module:activated', (e) => activated.push(e.id));
    const discovered: string[] = [];
    host.on('module:discovered', (e) => discovered.push(e.id));
    await host.start();

    expect(discovered.sort()).toEqual(['base', 'lazy-echo', 'mid-a', 'mid-b', 'sneaky', 'top']);
    // lazy-echo is lazy: not activated by start.
    expect(activated).not.toContain('lazy-echo');
    expect(stateOf(host, 'lazy-echo')).toBe('resolved');
    expect(activated.indexOf('base')).toBeLessThan(activated.indexOf('mid-a'));
    expect(activated.indexOf('base')).toBeLessThan(activated.indexOf('mid-b'));
    expect(activated.indexOf('top')).toBeGreaterThan(Math.max(activated.indexOf('mid-a'), activated.indexOf('mid-b')));

    // mid-a and mid-b (same level, 400 ms activations) both started before either finished.
    const marks = lines.map((l) => l.msg).filter((m) => m?.startsWith('activate:'));
    const at = (m: string) => marks.indexOf(m);
    expect(at('activate:start:mid-a')).toBeGreaterThan(at('activate:end:base'));
    expect(Math.max(at('activate:start:mid-a'), at('activate:start:mid-b'))).toBeLessThan(Math.min(at('activate:end:mid-a'), at('activate:end:mid-b')));
    expect(at('activate:start:top')).toBeGreaterThan(Math.max(at('activate:end:mid-a'), at('activate:end:mid-b')));

    const result = await host.client('acme').invoke('top.api', 'ping', {});
    expect(result).toEqual({ id: 'top', version: '1.0.0', path: ['base', 'mid-a', 'base', 'mid-b', 'top'] });
    const status = host.status();
    expect(status.find((s) => s.id === 'top')).toMatchObject({ state: 'active', bindings: { 'mida.api': 'mid-a', 'midb.api': 'mid-b' } });
    expect(status.find((s) => s.id === 'base')!.metrics.calls).toBe(2);

    // host.resolve: a plan in activation order for the requested modules.
    const plan = await host.resolve(['top']);
    expect(plan.modules.map((m) => m.id)).toEqual(['base', 'mid-a', 'mid-b', 'top']);
    expect(plan.levels).toEqual([['base'], ['mid-a', 'mid-b'], ['top']]);
  });

  it('activates a lazy module on its first call, once for concurrent first calls', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph') });
    let activations = 0;
    host.on('module:activated', (e) => {
      if (e.id === 'lazy-echo') activations++;
    });
    await host.start();
    expect(stateOf(host, 'lazy-echo')).toBe('resolved');
    const client = host.client('c1');
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => client.invoke('echo.api', 'echo', { n })));
    expect(results.map((r) => (r as { input: { n: number } }).input.n)).toEqual([1, 2, 3, 4, 5]);
    expect(results[0]).toMatchObject({ clientId: 'c1', settings: {} });
    expect(activations).toBe(1);
    expect(stateOf(host, 'lazy-echo')).toBe('active');
  });

  it('isolates a failure to the failing module and what needs it, with the reason in status()', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'failure'), restart: { maxRestarts: 0 } });
    const failed: { id: string; code: string; reason: string }[] = [];
    host.on('module:failed', (e) => failed.push({ id: e.id, code: e.code, reason: e.reason }));
    await host.start();
    const status = Object.fromEntries(host.status().map((s) => [s.id, s]));

    expect(status.independent!.state).toBe('active');
    // The sandbox's own code says what happened; the message names the module and the phase.
    expect(status.broken).toMatchObject({ state: 'failed', code: 'E_MODULE_THREW' });
    expect(status.broken!.reason).toMatch(/module 'broken@1.0.0' threw in activate: database handle missing/);
    expect(status['needs-broken']).toMatchObject({ state: 'failed', code: 'E_MODULE_FAILED' });
    expect(status['needs-broken']!.reason).toMatch(/because its dependency 'broken' failed to activate: module 'broken@1.0.0' threw in activate/);
    expect(status['wrong-caps']).toMatchObject({ state: 'failed', code: 'E_CAPABILITY_MISMATCH' });
    expect(status['wrong-caps']!.reason).toMatch(/missing 'wc.other'; not declared 'wc.extra'/);
    expect(status.orphan).toMatchObject({ state: 'unresolved', code: 'E_RESOLVE_MISSING' });
    expect(status.orphan!.reason).toMatch(/nobody\.api/);
    expect(failed.map((f) => f.id).sort()).toEqual(['broken', 'needs-broken', 'wrong-caps']);

    const client = host.client('acme');
    expect(await client.invoke('ind.api', 'run', 7)).toEqual({ ok: true, input: 7 });
    const err = await expectCode(client.invoke('nb.api', 'run', {}), 'E_MODULE_FAILED');
    expect(err.message).toMatch(/module 'needs-broken' cannot serve: .*dependency 'broken'/);
    await expectCode(client.invoke('orphan.api', 'run', {}), 'E_NO_PROVIDER');
  });

  it('restarts a module whose activate throws with exponential backoff, an event each time, until it succeeds', async () => {
    let attempt = 0;
    const host = await newHost({
      modulesDir: path.join(FIXTURES, 'flaky'),
      restart: { maxRestarts: 5, baseDelayMs: 20 },
      overrides: { moduleConfig: { get: () => ({ attempt: ++attempt }) } },
    });
    const events: { willRestart: boolean; attempt: number; delayMs?: number }[] = [];
    host.on('module:failed', (e) => events.push({ willRestart: e.willRestart, attempt: e.attempt, ...(e.delayMs !== undefined ? { delayMs: e.delayMs } : {}) }));
    const activated: number[] = [];
    host.on('module:activated', (e) => activated.push(e.restart));
    await host.start();
    await waitFor(() => stateOf(host, 'flaky') === 'active', 'flaky to become active');
    expect(events).toEqual([
      { willRestart: true, attempt: 1, delayMs: 20 },
      { willRestart: true, attempt: 2, delayMs: 40 },
    ]);
    expect(activated).toEqual([2]);
    expect(host.status()[0]!.restarts).toBe(2);
    expect(await host.client('a').invoke('flaky.api', 'run', {})).toEqual({ attempt: 3 });
  });

  it('gives up after the restart limit and leaves the module failed', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'failure'), restart: { maxRestarts: 2, baseDelayMs: 10 } });
    const events: { id: string; willRestart: boolean; attempt: number }[] = [];
    host.on('module:failed', (e) => {
      if (e.id === 'broken') events.push({ id: e.id, willRestart: e.willRestart, attempt: e.attempt });
    });
    await host.start();
    await waitFor(() => events.some((e) => !e.willRestart), 'the final failure');
    expect(events).toEqual([
      { id: 'broken', willRestart: true, attempt: 1 },
      { id: 'broken', willRestart: true, attempt: 2 },
      { id: 'broken', willRestart: false, attempt: 3 },
    ]);
    const broken = host.status().find((s) => s.id === 'broken')!;
    expect(broken).toMatchObject({ state: 'failed', restarts: 2 });
    expect(broken.nextRestartAt).toBeUndefined();
  });
});

/** A clock the test moves by hand: backoff delays are scheduled through the host's CLOCK. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimeout(t: unknown) {
      timers = timers.filter((x) => x !== t);
    },
    pending: () => timers.map((t) => t.at - now),
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

describe('restart backoff on an injected clock', () => {
  it('schedules 1 s, 2 s, then the capped 3 s, and gives up after maxRestarts', async () => {
    const clock = manualClock();
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'failure'), restart: { maxRestarts: 3, baseDelayMs: 1000, maxDelayMs: 3000 }, overrides: { clock } });
    const events: { attempt: number; willRestart: boolean; delayMs?: number }[] = [];
    host.on('module:failed', (e) => {
      if (e.id === 'broken') events.push({ attempt: e.attempt, willRestart: e.willRestart, ...(e.delayMs !== undefined ? { delayMs: e.delayMs } : {}) });
    });
    await host.start();
    expect(events).toEqual([{ attempt: 1, willRestart: true, delayMs: 1000 }]);
    expect(clock.pending()).toContain(1000);
    expect(host.status().find((s) => s.id === 'broken')!.nextRestartAt).toBe(new Date(1000).toISOString());
    clock.advance(999);
    expect(events).toHaveLength(1);
    clock.advance(1);
    await waitFor(() => events.length === 2, 'the second failure');
    expect(events[1]).toEqual({ attempt: 2, willRestart: true, delayMs: 2000 });
    clock.advance(2000);
    await waitFor(() => events.length === 3, 'the third failure');
    expect(events[2]).toEqual({ attempt: 3, willRestart: true, delayMs: 3000 });
    clock.advance(3000);
    await waitFor(() => events.length === 4, 'the final failure');
    expect(events[3]).toEqual({ attempt: 4, willRestart: false });
    expect(host.status().find((s) => s.id === 'broken')).toMatchObject({ state: 'failed', restarts: 3 });
  });
});
