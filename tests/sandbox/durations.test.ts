/**
 * Issue 18.1, out-of-range settings: a duration Node's timers cannot hold (2**31, a
 * negative, NaN, Infinity) is refused with a coded error wherever it enters: a call's
 * timeoutMs, a sandbox's limits, the host's defaultLimits and drainTimeoutMs, and
 * client.invoke's options.timeoutMs. (Process isolation: tests/process/roundTrip.test.ts.)
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { createIsolateSandboxFactory } from '../../src/sandbox/index.js';
import { context, sandboxOptions, sandboxTracker } from './support.js';

const OUT_OF_RANGE = [2 ** 31, -1, 0, Number.NaN, Number.POSITIVE_INFINITY];

for (const execution of ['sync', 'async'] as const) {
  describe(`isolate sandbox: out-of-range durations (execution ${execution})`, () => {
    const sandboxes = sandboxTracker(createIsolateSandboxFactory({ execution }));

    it("refuses a call's timeoutMs out of range with E_DURATION_INVALID, and serves in-range calls", async () => {
      const { sandbox } = await sandboxes.activated('basic');
      for (const timeoutMs of OUT_OF_RANGE) {
        const error = await sandbox.call('demo.echo', 'echo', 1, context, timeoutMs).catch((e: unknown) => e);
        expect(error, String(timeoutMs)).toMatchObject({ code: 'E_DURATION_INVALID', details: { max: 2 ** 31 - 1 } });
      }
      await expect(sandbox.call('demo.echo', 'echo', 1, context, 2 ** 31 - 1)).resolves.toBeDefined();
    });

    it('refuses limits out of range with E_SANDBOX_OPTIONS', async () => {
      for (const key of ['callTimeoutMs', 'activateTimeoutMs', 'deactivateTimeoutMs'] as const) {
        for (const value of OUT_OF_RANGE) {
          const made = sandboxOptions('basic', { limits: { [key]: value } });
          await expect(sandboxes.create(made.options), `${key} ${value}`).rejects.toMatchObject({ code: 'E_SANDBOX_OPTIONS' });
        }
      }
    });
  });
}

describe('host: out-of-range durations', () => {
  const modulesDir = path.resolve(import.meta.dirname, '../fixtures/fastify-plugin');

  it('refuses defaultLimits and drainTimeoutMs out of range with E_HOST_OPTIONS_INVALID', async () => {
    for (const value of OUT_OF_RANGE) {
      await expect(createHost({ modulesDir, store: 'none', defaultLimits: { callTimeoutMs: value } })).rejects.toMatchObject({ code: 'E_HOST_OPTIONS_INVALID' });
      await expect(createHost({ modulesDir, store: 'none', drainTimeoutMs: value })).rejects.toMatchObject({ code: 'E_HOST_OPTIONS_INVALID' });
    }
  });

  it("refuses client.invoke's timeoutMs out of range with E_DURATION_INVALID", async () => {
    const host = await createHost({ modulesDir, store: 'none' });
    await host.start();
    try {
      for (const timeoutMs of OUT_OF_RANGE) {
        await expect(host.client('client-a').invoke('echo.api', 'echo', 1, { timeoutMs }), String(timeoutMs)).rejects.toMatchObject({ code: 'E_DURATION_INVALID' });
      }
      expect(await host.client('client-a').invoke('echo.api', 'echo', 1, { timeoutMs: 2000 })).toBe(1);
    } finally {
      await host.stop();
    }
  });
});
