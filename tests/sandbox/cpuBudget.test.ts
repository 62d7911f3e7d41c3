/**
 * Issue 18.1, timers that re-arm themselves: every time limit is per entry, so a timer
 * callback that spins up to its limit and re-arms got a fresh budget on every run. The
 * cumulative CPU budget (limits.cpuBudgetMs per cpuWindowMs) stops such a module with
 * E_SANDBOX_CPU_BUDGET (onFatal; the runtime emits module:failed), and its neighbours'
 * latency recovers. In-process sandboxes, then a host with each isolation.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { createIsolateSandboxFactory, createProcessSandboxFactory } from '../../src/sandbox/index.js';
import { context, sandboxOptions, sandboxTracker, waitFor } from './support.js';

const budget = { cpuBudgetMs: 300, cpuWindowMs: 1000 };

/** How long a neighbour's call takes to be answered when it arrives on a 5 ms timer (the event loop's delay included). */
async function latency(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await call();
    out.push(performance.now() - t - 5);
  }
  return out;
}

describe('isolate sandbox: cumulative CPU budget', () => {
  const sandboxes = sandboxTracker();

  it('stops a module whose timer spins and re-arms with E_SANDBOX_CPU_BUDGET, and the neighbour recovers', async () => {
    const code = (await import('node:fs')).readFileSync(path.resolve(import.meta.dirname, '../fixtures/loops/spinner/dist/index.js'), 'utf8');
    const hog = await sandboxes.activated('basic', { code, filename: '/virtual/spinner/index.js', limits: budget });
    const neighbour = await sandboxes.activated('basic');
    expect(await hog.sandbox.call('spinner.api', 'start', 100, context)).toBe('spinning');
    // While it spins, a neighbour's call waits for the spin to end.
    const during = await latency(() => neighbour.sandbox.call('demo.echo', 'echo', 1, context), 5);
    await waitFor(() => hog.fatal.length > 0, 10_000);
    expect(hog.fatal[0]).toMatchObject({ code: 'E_SANDBOX_CPU_BUDGET', details: { cpuBudgetMs: 300, cpuWindowMs: 1000 } });
    expect(hog.fatal[0]!.message).toMatch(/used \d+ ms of CPU in 1000 ms, over its budget of 300 ms/);
    expect(hog.sandbox.state).toBe('disposed');
    await expect(hog.sandbox.call('spinner.api', 'start', 1, context)).rejects.toMatchObject({ code: 'E_SANDBOX_CPU_BUDGET' });
    const after = await latency(() => neighbour.sandbox.call('demo.echo', 'echo', 1, context), 20);
    expect(Math.max(...during)).toBeGreaterThan(20);
    expect([...after].sort((a, b) => a - b)[18]!).toBeLessThan(Math.max(20, Math.max(...during) / 2));
  }, 30_000);

  it('leaves a module that works in bursts under its budget alone', async () => {
    const made = await sandboxes.activated('basic', { limits: budget });
    for (let i = 0; i < 20; i++) await made.sandbox.call('demo.echo', 'echo', i, context);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(made.fatal).toEqual([]);
    expect(made.sandbox.state).toBe('active');
  });

  it('refuses a budget or window out of range with E_SANDBOX_OPTIONS', async () => {
    for (const limits of [{ cpuBudgetMs: 0 }, { cpuWindowMs: 2 ** 31 }, { cpuBudgetMs: Number.NaN }]) {
      await expect(sandboxes.create(sandboxOptions('basic', { limits }).options)).rejects.toMatchObject({ code: 'E_SANDBOX_OPTIONS' });
    }
    expect(() => createIsolateSandboxFactory({ cpuWindowMs: -1 })).toThrow(expect.objectContaining({ code: 'E_SANDBOX_OPTIONS' }));
  });
});

for (const isolation of ['isolate', 'process'] as const) {
  describe(`host: a module over its CPU budget (${isolation} isolation)`, () => {
    it('is quarantined at once with module:failed and code E_SANDBOX_CPU_BUDGET', async () => {
      const host = await createHost({
        modulesDir: path.resolve(import.meta.dirname, '../fixtures/loops'),
        store: 'none',
        isolation,
        overrides:
          isolation === 'process'
            ? { processSandboxFactory: createProcessSandboxFactory({ poolSize: 1, isolate: budget }) }
            : { isolateSandboxFactory: createIsolateSandboxFactory(budget) },
      });
      const failed: { id: string; code: string; quarantined: boolean }[] = [];
      host.on('module:failed', (e) => failed.push(e));
      await host.start();
      try {
        expect(await host.client('c').invoke('spinner.api', 'start', 100)).toBe('spinning');
        await waitFor(() => failed.length > 0, 15_000);
        // Quarantined at once, whatever the restart policy allows: a fresh budget would be spent the same way.
        expect(failed[0]).toMatchObject({ id: 'spinner', code: 'E_SANDBOX_CPU_BUDGET', quarantined: true, willRestart: false });
        expect(host.status().find((s) => s.id === 'spinner')!.state).toBe('failed');
        expect(await host.client('c').invoke('ping.api', 'ok', 0)).toBe('ok');
      } finally {
        await host.stop();
      }
    }, 40_000);
  });
}
