import { afterEach, describe, expect, it } from 'vitest';
import { createProcessSandboxFactory, processSandboxPid, type ProcessSandboxFactory } from '../../src/sandbox/process/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { blockingInner, ctx, inner, isAlive, sandboxOptions, until } from './support.js';

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

async function activeSandbox(f: ProcessSandboxFactory, name = 'worker') {
  const { options, recorder } = sandboxOptions(name);
  const sandbox = track(await f.create(options));
  await sandbox.activate({ config: {}, previousState: undefined });
  return { sandbox, recorder };
}

/** After a crash the pool must hand out a working sandbox again (on a new child). */
async function expectFreshSandboxWorks(f: ProcessSandboxFactory, deadPid: number): Promise<void> {
  const { sandbox } = await activeSandbox(f);
  expect(processSandboxPid(sandbox)).not.toBe(deadPid);
  expect(await sandbox.call('test.worker', 'echo', 'fresh', ctx)).toEqual({ input: 'fresh', clientId: 'acme' });
}

describe('process sandbox supervision', () => {
  it('fails the call in flight with E_SANDBOX_CRASHED when the child is SIGKILLed, tells onFatal, and restarts', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const { sandbox: neighbour, recorder: neighbourRecorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    expect(processSandboxPid(neighbour)).toBe(pid);

    const inFlight = sandbox.call('test.worker', 'never', null, ctx, 20_000).catch((error: unknown) => error);
    process.kill(pid, 'SIGKILL');
    const error = await inFlight;
    expect(error).toMatchObject({
      code: 'E_SANDBOX_CRASHED',
      message: expect.stringContaining(`sandbox child process ${pid} crashed`),
      details: { pid, signal: 'SIGKILL', reason: 'killed by SIGKILL' },
    });
    // Every sandbox on the dead child is reported, each exactly once.
    expect(recorder.fatals).toHaveLength(1);
    expect(recorder.fatals[0]).toMatchObject({ code: 'E_SANDBOX_CRASHED' });
    expect(neighbourRecorder.fatals).toHaveLength(1);
    expect(sandbox.state).toBe('disposed');
    await expect(sandbox.call('test.worker', 'echo', 1, ctx)).rejects.toMatchObject({ code: 'E_SANDBOX_CRASHED' });
    await sandbox.dispose(); // still fine after a crash

    await expectFreshSandboxWorks(factory, pid);
  });

  it('reports a child that exits by itself with its exit code', async () => {
    factory = createProcessSandboxFactory({ innerFactory: blockingInner, poolSize: 1 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    const error = await sandbox.call('test.block', 'exit', null, ctx, 20_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_CRASHED', details: { pid, exitCode: 7, reason: 'exit code 7' } });
    expect(recorder.fatals[0]).toMatchObject({ code: 'E_SANDBOX_CRASHED', message: expect.stringContaining('exit code 7') });
    const { sandbox: again } = await activeSandbox(factory);
    expect(processSandboxPid(again)).not.toBe(pid);
    expect(await again.call('test.block', 'echo', 'back', ctx)).toBe('back');
  });

  it("reports a child whose own heap ran out (maxMemoryMb) as 'out of memory'", async () => {
    factory = createProcessSandboxFactory({ innerFactory: blockingInner, poolSize: 1, maxMemoryMb: 64 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    const error = await sandbox.call('test.block', 'hog', null, ctx, 30_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_CRASHED', message: expect.stringContaining('out of memory'), details: { pid, reason: 'out of memory' } });
    expect(recorder.fatals[0]).toMatchObject({ code: 'E_SANDBOX_CRASHED', details: { reason: 'out of memory' } });
    const { sandbox: again } = await activeSandbox(factory);
    expect(await again.call('test.block', 'echo', 'ok', ctx)).toBe('ok');
  });

  it('kills a child whose event loop is blocked (heartbeat missed): the call times out, onFatal says why', async () => {
    factory = createProcessSandboxFactory({ innerFactory: blockingInner, poolSize: 1, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1500 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    // The parent's own timer answers although the child cannot.
    await expect(sandbox.call('test.block', 'spin', null, ctx, 300)).rejects.toMatchObject({
      code: 'E_CALL_TIMEOUT',
      details: { phase: 'call test.block.spin', timeoutMs: 300, pid },
    });
    await until(() => recorder.fatals.length > 0, 'onFatal after the missed heartbeat');
    expect(recorder.fatals[0]).toMatchObject({
      code: 'E_SANDBOX_CRASHED',
      message: expect.stringContaining('heartbeat missed'),
      details: { pid, signal: 'SIGKILL' },
    });
    await until(() => !isAlive(pid), 'the hung child to be gone');
    const { sandbox: again } = await activeSandbox(factory);
    expect(processSandboxPid(again)).not.toBe(pid);
    expect(await again.call('test.block', 'echo', 'alive', ctx)).toBe('alive');
  });

  it('stops an endless synchronous loop in module code with E_CALL_TIMEOUT; the same sandbox and child keep serving', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1, heartbeatTimeoutMs: 5000 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    await expect(sandbox.call('test.worker', 'spin', null, ctx, 300)).rejects.toMatchObject({
      code: 'E_CALL_TIMEOUT',
      message: expect.stringContaining('timed out'),
    });
    // The isolate's own timeout stopped the loop: no crash, no restart (docs/process-isolation.md).
    expect(await sandbox.call('test.worker', 'echo', 'after', ctx)).toEqual({ input: 'after', clientId: 'acme' });
    expect(recorder.fatals).toEqual([]);
    expect(sandbox.state).toBe('active');
    expect(factory.processes().map((p) => p.pid)).toEqual([pid]);
  });

  it('contains a single huge allocation: the call fails with a code, the child is replaced, a new sandbox works', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    const error = (await sandbox.call('test.worker', 'huge', null, ctx, 10_000).catch((e: unknown) => e)) as { code?: string };
    expect(['E_SANDBOX_CRASHED', 'E_SANDBOX_MEMORY', 'E_CALL_TIMEOUT']).toContain(error.code);
    await until(() => recorder.fatals.length > 0, 'onFatal after the huge allocation');
    expect(['E_SANDBOX_CRASHED', 'E_SANDBOX_MEMORY']).toContain((recorder.fatals[0] as { code?: string }).code);
    await until(() => !factory!.processes().some((p) => p.pid === pid), 'the child to be replaced');
    await expectFreshSandboxWorks(factory, pid);
  });

  it('contains a memory bomb that grows slowly over many calls', async () => {
    factory = createProcessSandboxFactory({ innerFactory: inner, poolSize: 1, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000 });
    const { sandbox, recorder } = await activeSandbox(factory);
    const pid = processSandboxPid(sandbox)!;
    let failure: { code?: string } | undefined;
    let grown = 0;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      try {
        grown = (await sandbox.call('test.worker', 'grow', null, ctx, 10_000)) as number;
      } catch (error) {
        failure = error as { code?: string };
      }
    }
    expect(grown).toBeGreaterThan(1);
    // The isolate's memory limit catches a slow leak: the child reports it, and is retired.
    expect(failure).toMatchObject({ code: 'E_SANDBOX_MEMORY', message: expect.stringContaining('ran out of memory') });
    await until(() => recorder.fatals.length > 0, 'onFatal after the memory bomb');
    expect(recorder.fatals[0]).toMatchObject({ code: 'E_SANDBOX_MEMORY' });
    await until(() => !factory!.processes().some((p) => p.pid === pid), 'the child to be replaced');
    await expectFreshSandboxWorks(factory, pid);
  });
});
