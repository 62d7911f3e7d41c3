/**
 * Dispose frees everything: 1,000 load/activate/call/dispose cycles leave no isolates,
 * timers or handles behind, measured with the process's own counters.
 */
import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ivm from 'isolated-vm';
import { setupSource } from '../../src/sandbox/isolateSetup.js';
import { describe, expect, it } from 'vitest';
import { createIsolateSandboxFactory } from '../../src/sandbox/index.js';
import { IsolateSandbox } from '../../src/sandbox/isolateSandbox.js';
import { context, sandboxOptions } from './support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('isolate sandbox: no leaks over 1,000 load/dispose cycles', () => {
  it('returns RSS, handles, host timers and external copies to their baseline', async () => {
    const factory = createIsolateSandboxFactory();
    const made = sandboxOptions('basic', { limits: { memoryMb: 16 } });
    const liveTimers = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === 'Timeout' && liveTimers.add(id)),
      destroy: (id) => void liveTimers.delete(id),
    });

    let notDisposed = 0;
    const cycle = async (i: number) => {
      const sandbox = await factory.create(made.options);
      await sandbox.activate({ config: { i }, previousState: { counter: i } });
      await sandbox.call('demo.echo', 'asyncEcho', { i }, context);
      // Leave work behind on purpose: a pending timer call and a pending capability call.
      const pending = [sandbox.call('demo.echo', 'wait', { ms: 60_000 }, context), sandbox.call('demo.calls', 'forward', { i }, context)];
      await sandbox.dispose();
      await Promise.allSettled(pending);
      // The isolate's own flag: disposed, not merely dropped.
      if (!IsolateSandbox.isolateCounters(sandbox as IsolateSandbox).isDisposed) notDisposed++;
    };

    // Warm up (code caches, allocator pools) before taking the baseline.
    for (let i = 0; i < 50; i++) await cycle(i);
    await settle();
    const resourcesBefore = process.getActiveResourcesInfo().sort();
    const rssBefore = process.memoryUsage().rss;
    const externalBefore = ivm.ExternalCopy.totalExternalSize;
    hook.enable();

    for (let i = 0; i < 1000; i++) await cycle(i);

    await new Promise((resolve) => setTimeout(resolve, 50));
    await settle();
    hook.disable();
    const rssAfter = process.memoryUsage().rss;
    expect(notDisposed).toBe(0);
    expect(liveTimers.size).toBe(0);
    expect(process.getActiveResourcesInfo().sort()).toEqual(resourcesBefore);
    // isolated-vm 6.2 never subtracts a compiled source's size from this counter (its
    // ExternalCopy move-assignment drops it; the memory itself is freed), so each cycle may
    // add the bundle's length, and nothing more: the values copied by calls are all freed.
    // The setup script (src/sandbox/isolateSetup.ts: the bridge and the web globals) is compiled
    // in every isolate too, with its code cache: the counter gains the source and the cache's
    // copy, each about its length.
    expect(ivm.ExternalCopy.totalExternalSize - externalBefore).toBeLessThanOrEqual(1000 * (made.options.code.length + 2 * setupSource().length + 256));
    // One live isolate costs ~1-2 MB of RSS: 1,000 leaked ones would be gigabytes.
    expect(rssAfter - rssBefore).toBeLessThan(150 * 1024 * 1024);
  }, 180_000);

  it('holds the same isolated-vm references after 1,000 calls of every kind (the isolate\'s own referenceCount)', async () => {
    const factory = createIsolateSandboxFactory();
    const made = sandboxOptions('basic', { limits: { memoryMb: 16 } });
    const sandbox = await factory.create(made.options);
    try {
      await sandbox.activate({ config: {}, previousState: undefined });
      const counters = () => IsolateSandbox.isolateCounters(sandbox as IsolateSandbox);
      const round = async (i: number) => {
        await sandbox.call('demo.echo', 'echo', { i }, context);
        await sandbox.call('demo.echo', 'wait', { ms: 0 }, context);
        await sandbox.call('demo.calls', 'forward', { i }, { ...context, requestId: `r${i}` });
        await sandbox.call('demo.echo', 'missing', null, context).catch(() => {});
        await sandbox.call('demo.echo', 'log', { message: 'm', data: { i } }, context);
      };
      for (let i = 0; i < 20; i++) await round(i);
      await settle();
      const before = counters().referenceCount;
      expect(before).toBeGreaterThan(0);
      for (let i = 0; i < 200; i++) await round(i);
      await settle();
      expect(counters()).toEqual({ referenceCount: before, isDisposed: false });
      await sandbox.dispose();
      expect(counters()).toEqual({ referenceCount: 0, isDisposed: true });
    } finally {
      await sandbox.dispose();
    }
  }, 60_000);
});
