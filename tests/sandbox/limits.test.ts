import { describe, expect, it } from 'vitest';
import { createIsolateSandboxFactory } from '../../src/sandbox/index.js';
import { context, sandboxOptions, sandboxTracker } from './support.js';

for (const execution of ['sync', 'async'] as const) {
  describe(`isolate sandbox limits (execution ${execution})`, () => {
    const sandboxes = sandboxTracker(createIsolateSandboxFactory({ execution }));
    const limits = { callTimeoutMs: 150, activateTimeoutMs: 300, deactivateTimeoutMs: 300 };

    it('stops a runaway while(true) with E_CALL_TIMEOUT, and the module serves later calls', async () => {
      const { sandbox } = await sandboxes.activated('runaway', { limits });
      const error = await sandbox.call('demo.slow', 'spin', null, context).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_CALL_TIMEOUT', details: { timeoutMs: 150, capability: 'demo.slow', method: 'spin' } });
      // With 'async' the host timer and isolated-vm's own timeout race; with 'sync' the running code is what was stopped.
      if (execution === 'sync') expect(error).toMatchObject({ details: { stopped: true } });
      expect((error as Error).message).toContain("method 'demo.slow.spin' did not finish within 150 ms");
      await expect(sandbox.call('demo.slow', 'ok', 1, context)).resolves.toEqual({ ok: 1 });
      expect(sandbox.metrics()).toMatchObject({ calls: 2, timeouts: 1, errors: 1 });
    });

    it('stops a loop that starts after an await (in the microtasks)', async () => {
      const { sandbox } = await sandboxes.activated('runaway', { limits });
      await expect(sandbox.call('demo.slow', 'spinLater', null, context)).rejects.toMatchObject({ code: 'E_CALL_TIMEOUT' });
      await expect(sandbox.call('demo.slow', 'ok', 2, context)).resolves.toEqual({ ok: 2 });
    });

    it('abandons an await that never ends with E_CALL_TIMEOUT (host timer)', async () => {
      const { sandbox } = await sandboxes.activated('runaway', { limits });
      const error = await sandbox.call('demo.slow', 'hang', null, context).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_CALL_TIMEOUT', details: { stopped: false } });
      await expect(sandbox.call('demo.slow', 'ok', 3, context)).resolves.toEqual({ ok: 3 });
    });

    it('honours a per-call timeoutMs and ignores the late answer', async () => {
      const { sandbox } = await sandboxes.activated('runaway', { limits: { ...limits, callTimeoutMs: 5_000 } });
      const error = await sandbox.call('demo.slow', 'sleep', { ms: 200 }, context, 50).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_CALL_TIMEOUT', details: { timeoutMs: 50 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(sandbox.call('demo.slow', 'sleep', { ms: 1 }, context)).resolves.toBe('slept');
      expect(sandbox.metrics().timeouts).toBe(1);
    });

    it('a runaway module does not harm another isolate', async () => {
      const bad = await sandboxes.activated('runaway', { limits });
      const good = await sandboxes.activated('basic');
      const [spun, echoed] = await Promise.allSettled([bad.sandbox.call('demo.slow', 'spin', null, context), good.sandbox.call('demo.echo', 'wait', { ms: 1 }, context)]);
      expect(spun).toMatchObject({ status: 'rejected', reason: { code: 'E_CALL_TIMEOUT' } });
      expect(echoed).toEqual({ status: 'fulfilled', value: { waited: 1 } });
    });

    it('fails an activate that loops or hangs with E_ACTIVATE_TIMEOUT', async () => {
      for (const config of [{ loopInActivate: true }, { hangInActivate: true }]) {
        const made = sandboxOptions('runaway', { limits });
        const sandbox = await sandboxes.create(made.options);
        const error = await sandbox.activate({ config, previousState: undefined }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'E_ACTIVATE_TIMEOUT', details: { phase: 'activate', timeoutMs: 300 } });
        expect((error as Error).message).toContain('limits.activateTimeoutMs');
      }
    });

    it('fails a deactivate that hangs with E_DEACTIVATE_TIMEOUT', async () => {
      const made = sandboxOptions('runaway', { limits });
      const sandbox = await sandboxes.create(made.options);
      await sandbox.activate({ config: { hangInDeactivate: true }, previousState: undefined });
      await expect(sandbox.deactivate()).rejects.toMatchObject({ code: 'E_DEACTIVATE_TIMEOUT' });
    });

    it('serves timers, capability calls and 64 calls in flight', async () => {
      const { sandbox } = await sandboxes.activated('basic');
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, n) =>
          n % 3 === 0
            ? sandbox.call('demo.echo', 'wait', { ms: n % 4 }, context)
            : n % 3 === 1
              ? sandbox.call('demo.echo', 'asyncEcho', n, context)
              : sandbox.call('demo.calls', 'forward', n, { ...context, requestId: `r${n}` }),
        ),
      );
      results.forEach((result, n) =>
        expect(result).toEqual(
          n % 3 === 0 ? { waited: n % 4 } : n % 3 === 1 ? { echoed: n } : { forwarded: { ok: true, capability: 'other.service', method: 'run', input: n } },
        ),
      );
    });
  });
}
