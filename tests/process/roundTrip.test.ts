import { afterEach, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { createProcessSandboxFactory, processSandboxPid, type ProcessSandboxFactory } from '../../src/sandbox/process/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { ctx, inner, isAlive, sandboxOptions, until } from './support.js';

let factory: ProcessSandboxFactory | undefined;
const pids = new Set<number>();

function track(sandbox: Sandbox): Sandbox {
  const pid = processSandboxPid(sandbox);
  if (pid !== undefined) pids.add(pid);
  return sandbox;
}

afterEach(async () => {
  await factory?.close();
  factory = undefined;
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  pids.clear();
});

describe('process sandbox: the sandbox contract across the process boundary', () => {
  it('activates, serves sync and async methods, and routes module-to-module calls through the parent', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const { options, recorder } = sandboxOptions('worker');
    const sandbox = track(await factory.create(options));
    expect(sandbox.state).toBe('loaded');
    expect(processSandboxPid(sandbox)).not.toBe(process.pid);

    const activated = await sandbox.activate({ config: {}, previousState: undefined });
    expect(activated.hasDeactivate).toBe(true);
    expect(activated.capabilities['test.worker']).toContain('viaPeer');
    expect(sandbox.state).toBe('active');

    expect(await sandbox.call('test.worker', 'echo', { a: [1, 2] }, ctx)).toEqual({ input: { a: [1, 2] }, clientId: 'acme' });
    expect(await sandbox.call('test.worker', 'later', 'x', ctx)).toEqual({ later: 'x' });
    expect(await sandbox.call('test.worker', 'viaPeer', 41, ctx)).toEqual({ sum: 42 });
    expect(recorder.outgoing).toHaveLength(1);
    expect(recorder.outgoing[0]).toMatchObject({ moduleId: 'worker', capability: 'test.math', method: 'add', input: { a: 41, b: 1 } });
    expect(recorder.outgoing[0]!.caller.clientId).toBe('acme');
    expect(recorder.logs).toContain('info: activated with counter 0');

    const metrics = sandbox.metrics();
    expect(metrics.calls).toBe(3);
    expect(metrics.errors).toBe(0);
    expect(recorder.fatals).toEqual([]);
  });

  it('hands state from deactivate to the next sandbox across the boundary', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 2 });
    const first = track(await factory.create(sandboxOptions('worker').options));
    await first.activate({ config: {}, previousState: undefined });
    for (let i = 0; i < 3; i++) await first.call('test.worker', 'count', null, ctx);
    const state = await first.deactivate();
    expect(state).toEqual({ counter: 3 });

    const second = track(await factory.create({ ...sandboxOptions('worker').options, version: '1.1.0' }));
    await second.activate({ config: {}, previousState: state });
    expect(await second.call('test.worker', 'count', null, ctx)).toBe(4);
    // The old version is disposed independently; the new one keeps serving.
    await first.dispose();
    expect(first.state).toBe('disposed');
    expect(await second.call('test.worker', 'count', null, ctx)).toBe(5);
  });

  it('spreads sandboxes over the pool and keeps them independent', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 2 });
    const a = track(await factory.create(sandboxOptions('worker').options));
    const b = track(await factory.create(sandboxOptions('worker').options));
    expect(processSandboxPid(a)).not.toBe(processSandboxPid(b));
    expect(factory.processes().map((p) => p.sandboxes).sort()).toEqual([1, 1]);
    await a.activate({ config: {}, previousState: undefined });
    await b.activate({ config: {}, previousState: { counter: 10 } });
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? a : b).call('test.worker', 'later', i, ctx)),
    );
    expect(results).toEqual(Array.from({ length: 64 }, (_, i) => ({ later: i })));
    expect(await b.call('test.worker', 'count', null, ctx)).toBe(11);
  });

  it('shares one child start-up between concurrent creates, and feeds metrics from the heartbeat', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1, heartbeatIntervalMs: 100 });
    const sandboxes = await Promise.all([1, 2, 3].map(() => factory!.create(sandboxOptions('worker').options)));
    sandboxes.forEach(track);
    expect(new Set(sandboxes.map(processSandboxPid)).size).toBe(1);
    expect(factory.processes()).toEqual([expect.objectContaining({ state: 'ready', sandboxes: 3, slot: 0 })]);
    const [first] = sandboxes;
    await first!.activate({ config: {}, previousState: undefined });
    await first!.call('test.worker', 'grow', null, ctx);
    // heap figures come from the child's heartbeat; calls are counted in the parent.
    await until(() => first!.metrics().heapUsedBytes > 0, 'heap metrics from the heartbeat');
    expect(first!.metrics()).toMatchObject({ heapLimitBytes: expect.any(Number), calls: 1, errors: 0 });
    expect(first!.metrics().heapLimitBytes).toBeGreaterThanOrEqual(first!.metrics().heapUsedBytes);
  });

  it('rejects calls pending on a disposed sandbox with E_SANDBOX_DISPOSED, and later calls too', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const sandbox = track(await factory.create(sandboxOptions('worker').options));
    await sandbox.activate({ config: {}, previousState: undefined });
    const pending = sandbox.call('test.worker', 'never', null, ctx, 20_000).catch((error: unknown) => error);
    await sandbox.dispose();
    expect(await pending).toMatchObject({ code: 'E_SANDBOX_DISPOSED', message: expect.stringContaining("module 'worker'@1.0.0") });
    await expect(sandbox.call('test.worker', 'echo', 1, ctx)).rejects.toMatchObject({ code: 'E_SANDBOX_DISPOSED' });
    await sandbox.dispose(); // idempotent
    expect(factory.processes()[0]!.sandboxes).toBe(0);
  });

  it('times out an async method that never settles with E_CALL_TIMEOUT, and the sandbox serves on', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const sandbox = track(await factory.create(sandboxOptions('worker').options));
    await sandbox.activate({ config: {}, previousState: undefined });
    await expect(sandbox.call('test.worker', 'never', null, ctx, 200)).rejects.toMatchObject({
      code: 'E_CALL_TIMEOUT',
      message: expect.stringContaining('timed out after 200 ms'),
    });
    expect(await sandbox.call('test.worker', 'echo', 'still here', ctx)).toEqual({ input: 'still here', clientId: 'acme' });
    expect(sandbox.metrics()).toMatchObject({ calls: 2, errors: 1, timeouts: 1 });
  });

  it('copies values as JSON, like the in-process sandbox: a value JSON cannot encode is E_SANDBOX_NOT_JSON', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const sandbox = track(await factory.create(sandboxOptions('worker').options));
    await sandbox.activate({ config: {}, previousState: undefined });
    await expect(sandbox.call('test.worker', 'echo', { n: 1n }, ctx)).rejects.toMatchObject({
      code: 'E_SANDBOX_NOT_JSON',
      message: expect.stringContaining('not JSON'),
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(sandbox.call('test.worker', 'echo', cyclic, ctx)).rejects.toMatchObject({ code: 'E_SANDBOX_NOT_JSON' });
    // Functions and undefined members vanish, as JSON.stringify does in-process.
    expect(await sandbox.call('test.worker', 'echo', { a: 1, f: () => 1, u: undefined }, ctx)).toEqual({ input: { a: 1 }, clientId: 'acme' });
    expect(sandbox.metrics().errors).toBe(2);
  });

  it('validates its options and refuses work after close()', async () => {
    expect(() => createProcessSandboxFactory({ poolSize: 0 })).toThrow(expect.objectContaining({ code: 'E_PROCESS_OPTIONS_INVALID' }));
    expect(() => createProcessSandboxFactory({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500 })).toThrow(
      expect.objectContaining({ code: 'E_PROCESS_OPTIONS_INVALID', message: expect.stringContaining('heartbeatTimeoutMs') }),
    );
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const sandbox = track(await factory.create(sandboxOptions('worker').options));
    const pid = processSandboxPid(sandbox)!;
    await factory.close();
    await factory.close(); // idempotent
    expect(factory.processes()).toEqual([]);
    expect(isAlive(pid)).toBe(false);
    await expect(factory.create(sandboxOptions('worker').options)).rejects.toMatchObject({ code: 'E_PROCESS_FACTORY_CLOSED' });
    await expect(sandbox.call('test.worker', 'echo', 1, ctx)).rejects.toMatchObject({ code: 'E_PROCESS_FACTORY_CLOSED' });
  });

  it('reports a child that cannot start with E_PROCESS_SPAWN_FAILED and its stderr', async () => {
    factory = createProcessSandboxFactory({ innerFactory: { moduleUrl: inner.moduleUrl, exportName: 'noSuchExport' }, poolSize: 1 });
    await expect(factory.create(sandboxOptions('worker').options)).rejects.toMatchObject({
      code: 'E_PROCESS_SPAWN_FAILED',
      message: expect.stringContaining("no function export 'noSuchExport'"),
    });
  });
});

describe('process sandbox: a module cannot forge the host refusals (issue 18.2)', () => {
  it("keeps a module's own code in details.moduleCode and vouches (details.hostRefusal) only for a refusal the host handed to the call", async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const { options } = sandboxOptions('worker', {
      callCapability: () => Promise.reject(new HotmodError('E_NOT_ENABLED', 'refused by the host')),
    });
    const sandbox = track(await factory.create(options));
    await sandbox.activate({ config: {}, previousState: undefined });
    const forged = await sandbox.call('test.worker', 'forge', { code: 'E_NOT_ENABLED' }, ctx).catch((e: HotmodError) => e);
    expect(forged).toMatchObject({ code: 'E_MODULE_THREW', details: { moduleCode: 'E_NOT_ENABLED' } });
    expect((forged as HotmodError).details).not.toHaveProperty('hostRefusal');
    const real = await sandbox.call('test.worker', 'forge', { viaPeer: true }, ctx).catch((e: HotmodError) => e);
    expect(real).toMatchObject({ code: 'E_MODULE_THREW', details: { moduleCode: 'E_NOT_ENABLED', hostRefusal: 'E_NOT_ENABLED' } });
  });
});

describe('process sandbox: out-of-range durations (issue 18.1)', () => {
  it("refuses a call's timeoutMs with E_DURATION_INVALID and limits with E_PROCESS_OPTIONS_INVALID", async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const sandbox = track(await factory.create(sandboxOptions('worker').options));
    await sandbox.activate({ config: {}, previousState: undefined });
    for (const timeoutMs of [2 ** 31, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(sandbox.call('test.worker', 'echo', 1, ctx, timeoutMs), String(timeoutMs)).rejects.toMatchObject({ code: 'E_DURATION_INVALID' });
    }
    expect(await sandbox.call('test.worker', 'echo', 1, ctx, 2000)).toMatchObject({ input: 1 });
    const { options } = sandboxOptions('worker');
    for (const value of [2 ** 31, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(factory.create({ ...options, limits: { ...options.limits, activateTimeoutMs: value } })).rejects.toMatchObject({ code: 'E_PROCESS_OPTIONS_INVALID' });
    }
    expect(() => createProcessSandboxFactory({ heartbeatTimeoutMs: 2 ** 31 })).toThrow(expect.objectContaining({ code: 'E_PROCESS_OPTIONS_INVALID' }));
  });
});
